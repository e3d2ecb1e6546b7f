"""Journey (リンク計測): a marketer creates a tracked link (a destination without http(s) is refused at the field), with
an add-tag action; someone opens the public URL, a friend opens their own URL (made on the link's page); the link's
page and the list show the clicks (total / unique friends), the friend got the tag; the link is deleted behind a
confirm. The link's page on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.http import open_without_redirect
from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000220"
SECRET = "0123456789abcdef0123456789abcd20"
TOKEN = "e2e-links-token-" + "f" * 40
WS = "ws_e2e_links"
OWNER = "owner@links.example.jp"
USER = "U" + "5" * 32
TARGET = "https://shop.example.jp/spring"


def _click(url: str) -> int:
    """Open a tracked URL as a browser would, without following the redirect off this machine; the status."""
    status, location = open_without_redirect(url)
    if status == 302:
        assert location == TARGET
    return status


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室", friends={USER: "松本 紬"})
    yield s


def test_create_a_tracked_link_count_clicks_and_tag_the_friend(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    friend = api_request(system, token, "GET", "/api/subscribers")["items"][0]
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/links")
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("link-new").click()
    page.get_by_test_id("link-editor").wait_for()
    page.locator("input[name=name]").fill("春のキャンペーン(Instagram)")
    page.locator("input[name=target_url]").fill("shop.example.jp/spring")
    page.locator("input[name=inflow_route]").fill("instagram")
    page.get_by_test_id("action-add").click()
    page.locator("input[name='actions[0].tag']").fill("春キャンペーン閲覧")

    # no scheme: refused at the field, what was typed stays
    page.get_by_test_id("link-save").click()
    page.locator("input[name=target_url][aria-invalid=true]").wait_for()
    assert page.locator("[data-field-error=target_url]").inner_text() == "http:// または https:// で始まる URL を入力してください"
    assert page.locator("input[name=name]").input_value() == "春のキャンペーン(Instagram)"
    page.locator("input[name=target_url]").fill(TARGET)
    page.get_by_test_id("link-save").click()
    page.get_by_test_id("link-detail").wait_for()
    public_url = page.get_by_test_id("link-url").inner_text()
    assert "/c/l_" in public_url
    page.get_by_test_id("link-copy").click()
    page.get_by_text("コピーしました").wait_for()

    # the per-friend URL, made on the link's page
    page.locator("input[name=subscriber_id]").fill(friend["subscriber_id"])
    page.get_by_test_id("link-friend-url-make").click()
    friend_url = page.get_by_test_id("link-friend-url-value").inner_text()
    assert friend_url.startswith(public_url + ".")

    assert _click(public_url) == 302  # someone from Instagram
    assert _click(friend_url) == 302  # the friend, twice: one unique friend
    assert _click(friend_url) == 302
    system.drain()
    page.reload()
    page.get_by_test_id("link-detail").wait_for()
    assert page.get_by_test_id("link-clicks").inner_text() == "3"
    assert page.get_by_test_id("link-unique").inner_text() == "1"
    tags = [t["name"] for t in api_request(system, token, "GET", f"/api/subscribers/{friend['subscriber_id']}")["tags"]]
    assert "春キャンペーン閲覧" in tags
    snap("detail")

    page.goto(admin + "#/links")
    assert page.get_by_test_id("link-counts").inner_text() == "クリック 3 回 · 友だち 1 人"
    page.get_by_test_id("link-list").locator("a.list-card__title").click()
    page.get_by_test_id("link-delete").click()
    page.get_by_text("この計測リンクを削除しますか?").wait_for()
    page.get_by_test_id("link-delete-confirm").click()
    page.get_by_test_id("list-empty").wait_for()
    assert api_request(system, token, "GET", "/api/links")["items"] == []
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_a_link_page_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    link = api_request(system, token, "POST", "/api/links", {
        "name": "店頭 POP の QR コード", "target_url": "https://shop.example.jp/menu?utm_source=pop&utm_medium=qr",
        "actions": [{"type": "add_tag", "tag": "来店"}]})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/links/{link['link_id']}")
    page.get_by_test_id("link-detail").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the link page scrolls sideways on a phone ({width}px)"
    snap("phone-detail")
    assert browser_errors == []
