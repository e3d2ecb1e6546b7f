"""Lesson attachments uploaded to the assets bucket: a course may name only its workspace's files (refused at the
attachment), and the file is streamed only to a logged-in member with access while the lesson is open - never to
a visitor, a member after a refund, before a drip lesson opens, or for a file the lesson does not name."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from members_env import WS
from test_member_pages import request
from test_members import COURSE, _login_link, buy, course, lesson_ids

from haishin.assets.inputs import AssetUpload
from haishin.errors import ValidationFailed
from tests.support.asset_files import DOCX, PDF, b64, make_bucket


@pytest.fixture
def assets(env: Any, aws: Any) -> Any:
    make_bucket(aws)
    return env.root.assets


def _upload(assets: Any, name: str, data: bytes, ws: str = WS) -> str:
    return str(assets.upload(ws, AssetUpload(kind="attachment", name=name, base64=b64(data))).asset_id)


def _with_attachments(attachments: list[dict[str, str]]) -> dict[str, Any]:
    first, *rest = COURSE["chapters"]
    lessons = [{**first["lessons"][0], "attachments": attachments}, *first["lessons"][1:]]
    third = {**rest[0]["lessons"][0], "attachments": attachments}
    return {"chapters": [{**first, "lessons": lessons}, {**rest[0], "lessons": [third]}]}


def _member_cookie(env: Any, course_id: str) -> str:
    env.service.request_login(WS, course_id, "hanako@example.jp")
    token, nonce = _login_link(env)
    _, cookie = env.service.login(WS, course_id, token, nonce)
    return f"haishin_member={cookie}"


def test_a_member_downloads_an_uploaded_attachment_and_nobody_else_does(env: Any, friend: Any, assets: Any,
                                                                        manual_clock: Any) -> None:
    pdf = _upload(assets, "ワークシート.pdf", PDF)
    other = _upload(assets, "別の資料.docx", DOCX)  # the workspace's, but no lesson names it
    item = course(env, **_with_attachments([{"name": "ワークシート", "asset_id": pdf}]))
    first, _, drip = lesson_ids(item)
    base = f"/m/{WS}/{item.course_id}/"
    sid = friend("hanako@example.jp")
    buy(env, sid, item.course_id)
    cookie = _member_cookie(env, item.course_id)

    lesson = request(env, "GET", f"{base}l/{first}", cookie=cookie)
    assert f'href="{base}l/{first}/a/{pdf}"' in lesson["body"] and "ワークシート" in lesson["body"]
    got = request(env, "GET", f"{base}l/{first}/a/{pdf}", cookie=cookie)
    assert got["statusCode"] == 200 and base64.b64decode(got["body"]) == PDF
    headers = got["headers"]
    assert headers["content-type"] == "application/pdf" and headers["cache-control"] == "private, no-store"
    assert headers["content-disposition"] == (
        "attachment; filename=\"______.pdf\"; filename*=UTF-8''%E3%83%AF%E3%83%BC%E3%82%AF%E3%82%B7%E3%83%BC%E3%83%88.pdf")

    visitor = request(env, "GET", f"{base}l/{first}/a/{pdf}")
    assert visitor["statusCode"] == 403 and "ログインしてください" in visitor["body"] and "isBase64Encoded" not in visitor
    unnamed = request(env, "GET", f"{base}l/{first}/a/{other}", cookie=cookie)
    assert unnamed["statusCode"] == 404 and "添付ファイルが見つかりません" in unnamed["body"]
    locked = request(env, "GET", f"{base}l/{drip}/a/{pdf}", cookie=cookie)  # the 7-day drip lesson
    assert locked["statusCode"] == 403 and "まだ公開されていません" in locked["body"]
    manual_clock.advance(timedelta(days=7))
    assert request(env, "GET", f"{base}l/{drip}/a/{pdf}", cookie=cookie)["statusCode"] == 200

    env.service.publish(WS, "purchase_refunded", {"order_id": "ord_1", "product_id": "p_1", "subscriber_id": sid},
                        idempotency_key="order:ord_1:refund")
    ended = request(env, "GET", f"{base}l/{first}/a/{pdf}", cookie=cookie)
    assert ended["statusCode"] == 403 and "受講期間は終了しています" in ended["body"]


def test_a_course_names_only_its_workspaces_files(env: Any, assets: Any) -> None:
    theirs = _upload(assets, "資料.pdf", PDF, ws="w_other")
    with pytest.raises(ValidationFailed) as refused:
        course(env, **_with_attachments([{"name": "資料", "url": "https://example.com/a.pdf"},
                                         {"name": "他社", "asset_id": theirs}]))
    assert refused.value.where == "chapters.0.lessons.0.attachments.1"  # the editor's field names
    assert f"ファイル「{theirs}」が見つかりません" in refused.value.message
    assert env.service.courses(WS) == []
