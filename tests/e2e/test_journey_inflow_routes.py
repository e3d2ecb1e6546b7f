"""Journey (流入経路 in the admin): a marketer sets the channel's LINE Login channel on the channel screen (the
callback URL shown to paste; a bad secret refused at its field), makes a route with an add-tag action on the route screen (a nameless
route is refused at the field), copies its URL, downloads its QR code (a real PNG and SVG); someone opens the route's
URL, goes through LINE's consent and add-friend screens (the emulator's), and the friend page shows the friend with
the route and its tag; the route list counts the friend. The route page on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000241"
SECRET = "0123456789abcdef0123456789abcd41"
TOKEN = "e2e-routesui-token-" + "r" * 40
LOGIN_ID = "2000000242"
LOGIN_SECRET = "abcdef0123456789abcdef0123456742"
WS = "ws_e2e_routesui"
OWNER = "owner@routesui.example.jp"
USER = "U" + "7" * 32


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室")
    s.line_emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [f"{s.base_url}/login/callback"],
                                                 bot_channel_id=CH)
    s.line_emulator.add_user(USER, "森 陽葵")
    yield s


def _download(page: Any, test_id: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    return Path(info.value.path()).read_bytes()


def test_make_a_route_download_its_qr_and_see_the_friend_it_brought(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # the LINE Login channel on the channel screen
    page.goto(admin + "#/settings/channels")
    login = page.get_by_test_id(f"channel-{CH}").get_by_test_id("login-channel")
    assert login.get_by_test_id("login-callback-url").inner_text() == f"{system.base_url}/login/callback"
    assert login.get_by_test_id("login-channel-status").inner_text() == "未設定"
    login.locator("input[name=login_channel_id]").fill(LOGIN_ID)
    login.locator("input[name=login_channel_secret]").fill("not-a-secret")
    login.get_by_test_id("login-channel-save").click()
    login.locator("input[name=login_channel_secret][aria-invalid=true]").wait_for()
    assert login.locator("[data-field-error=login_channel_secret]").inner_text().strip() != ""
    login.locator("input[name=login_channel_secret]").fill(LOGIN_SECRET)
    login.get_by_test_id("login-channel-save").click()
    login.get_by_test_id("login-channel-saved").wait_for()
    assert login.get_by_test_id("login-channel-status").inner_text() == f"設定済み ({LOGIN_ID})"

    page.goto(admin + "#/inflow-routes")
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("route-new").click()
    page.get_by_test_id("route-editor").wait_for()
    page.locator("input[name=folder]").fill("店舗")
    page.get_by_test_id("action-add").click()
    page.locator("input[name='actions[0].tag']").fill("店頭")

    # no name: refused at the field, what was typed stays
    page.get_by_test_id("route-save").click()
    page.locator("input[name=name][aria-invalid=true]").wait_for()
    assert page.locator("[data-field-error=name]").inner_text().strip() != ""
    assert page.locator("input[name='actions[0].tag']").input_value() == "店頭"
    page.locator("input[name=name]").fill("店頭ポスター")
    page.get_by_test_id("route-save").click()

    # the route's page: URL, QR preview and downloads
    page.get_by_test_id("route-panel").wait_for()
    url = page.get_by_test_id("route-url").inner_text()
    assert url.startswith(f"{system.base_url}/r/")
    page.get_by_test_id("route-copy").click()
    page.get_by_text("コピーしました").wait_for()
    page.get_by_test_id("route-qr").wait_for()
    assert _download(page, "route-qr-png").startswith(b"\x89PNG")
    svg = _download(page, "route-qr-svg")
    assert b"<svg" in svg[:400]

    # someone scans it: LINE's consent, add the friend
    page.goto(url)
    page.get_by_role("button", name="許可する").wait_for()
    page.locator("input[name=user_id]").fill(USER)
    page.get_by_role("button", name="許可する").click()
    page.get_by_role("button", name="追加", exact=True).click()
    page.get_by_text("ありがとうございます").wait_for()
    system.drain()

    # the list counts the friend; the friend page shows the route and the route's tag
    page.goto(admin + "#/inflow-routes")
    page.get_by_test_id("route-row").wait_for()
    assert page.get_by_test_id("route-friends").inner_text() == "友だち 1人"
    [friend] = [f for f in api_request(system, token, "GET", "/api/subscribers")["items"]
                if f.get("display_name") == "森 陽葵"]
    page.goto(admin + f"#/friends/{friend['subscriber_id']}")
    page.get_by_test_id("friend-tag").first.wait_for()
    assert [t.strip().split()[0] for t in page.get_by_test_id("friend-tag").all_inner_texts()] == ["店頭"]
    page.get_by_text("店頭ポスター").first.wait_for()
    snap("friend")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_a_route_page_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    route = api_request(system, token, "POST", "/api/inflow-routes", {
        "name": "Instagram プロフィール", "folder": "SNS", "channel_id": CH, "run": "every",
        "actions": [{"type": "add_tag", "tag": "instagram"}],
        "greeting": [{"type": "text", "text": "Instagram から来てくれてありがとう!"}]})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/inflow-routes/{route['route_id']}")
    page.get_by_test_id("route-qr").wait_for()
    assert page.locator("textarea[name='greeting.0']").input_value() == "Instagram から来てくれてありがとう!"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the route page scrolls sideways on a phone ({width}px)"
    snap("phone-route")
    assert browser_errors == []
