"""Deleting an asset a funnel image block or a lesson attachment still names is refused (409, the places named in
Japanese, nothing deleted); once nothing names it, it is deleted. Uses are looked up in the caller's workspace only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from haishin import clock
from haishin.api.app import AdminApi
from haishin.wiring import services
from tests.support.admin_api import call_admin_api
from tests.support.asset_files import PDF, b64, make_bucket, png

WS, OTHER = "w_asset_uses", "w_asset_uses_other"


@pytest.fixture
def api(aws: Any, manual_clock: clock.ManualClock) -> Iterator[AdminApi]:
    make_bucket(aws)
    yield AdminApi()


def _upload(api: AdminApi, kind: str, name: str, data: bytes, ws: str = WS) -> str:
    status, body = call_admin_api(api, "POST", "/api/assets", workspace=ws,
                                  body={"kind": kind, "name": name, "base64": b64(data)})
    assert status == 201, body
    return str(body["asset_id"])


def _funnel(image: str, *, variant_image: str = "") -> dict[str, Any]:
    page: dict[str, Any] = {"page_id": "lp", "kind": "optin", "title": "無料講座のご案内", "blocks": [
        {"type": "heading", "text": "ようこそ"}, {"type": "image", "asset_id": image, "alt": "講師の写真"}]}
    if variant_image:
        page["variants"] = [{"title": "別案", "blocks": [{"type": "image", "asset_id": variant_image, "alt": "別"}]}]
    return {"name": "春の講座ファネル", "pages": [page, {"page_id": "thanks", "kind": "thanks", "title": "完了",
                                                       "blocks": [{"type": "text", "text": "ありがとう"}]}]}


def _course(attachment: str) -> dict[str, Any]:
    return {"title": "素材講座", "chapters": [{"title": "第1章", "lessons": [
        {"title": "はじめに"}, {"title": "ワークシート", "attachments": [{"name": "資料", "asset_id": attachment}]}]}]}


def _stored(aws: Any, ws: str) -> int:
    return int(aws.client("s3").list_objects_v2(Bucket="assetsbucket", Prefix=f"{ws}/").get("KeyCount", 0))


def test_an_image_a_funnel_shows_is_refused_with_the_funnel_and_page_and_nothing_is_deleted(
        api: AdminApi, aws: Any) -> None:
    image = _upload(api, "image", "講師.png", png())
    status, funnel = call_admin_api(api, "POST", "/api/funnels", workspace=WS, body=_funnel(image))
    assert status == 201
    status, body = call_admin_api(api, "DELETE", f"/api/assets/{image}", workspace=WS)
    assert status == 409 and body["code"] == "in_use"
    assert body["message"] == ("「講師.png」は使われているため削除できません（ファネル「春の講座ファネル」のページ"
                               "「無料講座のご案内」）。先にそこから外してください")
    assert body["details"]["uses"] == ["ファネル「春の講座ファネル」のページ「無料講座のご案内」"]
    assert services().assets.get(WS, image).name == "講師.png" and _stored(aws, WS) == 1
    # removed from the funnel (here: the funnel deleted), the same delete goes through
    call_admin_api(api, "DELETE", f"/api/funnels/{funnel['funnel_id']}", workspace=WS)
    status, _ = call_admin_api(api, "DELETE", f"/api/assets/{image}", workspace=WS)
    assert status == 204 and services().assets.all(WS) == [] and _stored(aws, WS) == 0


def test_an_attachment_a_lesson_names_and_an_image_only_a_variant_shows_are_refused(api: AdminApi, aws: Any) -> None:
    pdf = _upload(api, "attachment", "資料.pdf", PDF)
    main, variant = _upload(api, "image", "a.png", png()), _upload(api, "image", "b.png", png())
    assert call_admin_api(api, "POST", "/api/courses", workspace=WS, body=_course(pdf))[0] == 201
    assert call_admin_api(api, "POST", "/api/funnels", workspace=WS, body=_funnel(main, variant_image=variant))[0] == 201
    status, body = call_admin_api(api, "DELETE", f"/api/assets/{pdf}", workspace=WS)
    assert status == 409 and body["details"]["uses"] == ["コース「素材講座」のレッスン「ワークシート」"]
    status, body = call_admin_api(api, "DELETE", f"/api/assets/{variant}", workspace=WS)
    assert status == 409 and body["details"]["uses"] == ["ファネル「春の講座ファネル」のページ「無料講座のご案内」（パターン B）"]
    assert len(services().assets.all(WS)) == 3 and _stored(aws, WS) == 3


def test_an_unused_asset_is_deleted_even_when_others_are_in_use(api: AdminApi, aws: Any) -> None:
    used, unused = _upload(api, "image", "used.png", png()), _upload(api, "image", "unused.png", png())
    assert call_admin_api(api, "POST", "/api/funnels", workspace=WS, body=_funnel(used))[0] == 201
    status, _ = call_admin_api(api, "DELETE", f"/api/assets/{unused}", workspace=WS)
    assert status == 204
    assert [a.asset_id for a in services().assets.all(WS)] == [used] and _stored(aws, WS) == 1


def test_uses_are_looked_up_in_the_callers_workspace_only(api: AdminApi, aws: Any) -> None:
    ours = _upload(api, "image", "ours.png", png())
    theirs = _upload(api, "image", "theirs.png", png(), ws=OTHER)
    assert call_admin_api(api, "POST", "/api/funnels", workspace=OTHER, body=_funnel(theirs))[0] == 201
    # another workspace's asset ID: not found (not "in use"), whether or not its own funnel uses it
    status, body = call_admin_api(api, "DELETE", f"/api/assets/{theirs}", workspace=WS)
    assert status == 404 and body["message"] == "ファイルが見つかりません" and _stored(aws, OTHER) == 1
    # a definition naming our ID in another workspace (never accepted by the API: written past it) is not our use
    funnels = services().funnels
    stray = funnels.all(OTHER)[0]
    funnels.repo.save_definition(stray, _funnel(ours), now=clock.now())
    assert services().assets.uses(OTHER, ours) != [] and services().assets.uses(WS, ours) == []
    status, _ = call_admin_api(api, "DELETE", f"/api/assets/{ours}", workspace=WS)
    assert status == 204 and _stored(aws, WS) == 0
