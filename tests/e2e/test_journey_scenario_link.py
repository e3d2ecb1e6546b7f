"""Journey (a scenario's own friend-add link, UTAGE): on the scenario's page the marketer makes the scenario's
friend-add link and QR code (with two LINE channels the channel is asked at the field first), downloads the QR code
(PNG and SVG); someone opens the link, goes through LINE's consent and add-friend screens (the emulator's); the friend
is in that scenario (not the welcome scenario), the scenario's page counts them, and the phone shows the scenario's
first message. The scenario page on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channels.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, connect_line_login, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000591"
CH2 = "2000000593"
SECRET = "0123456789abcdef0123456789abc591"
TOKEN = "e2e-scenlink-token-" + "s" * 40
TOKEN2 = "e2e-scenlink-token2-" + "t" * 40
LOGIN_ID = "2000000592"
LOGIN_SECRET = "abcdef0123456789abcdef0123456592"
WS = "ws_e2e_scenlink"
OWNER = "owner@scenlink.example.jp"
USER = "U" + "8" * 31 + "5"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン料理教室")
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    connect_line_login(s, token, WS, channel_id=CH, channel_secret=SECRET, access_token=TOKEN, login_channel_id=LOGIN_ID,
                       login_channel_secret=LOGIN_SECRET)
    s.line_emulator.register_channel(CH2, SECRET, TOKEN2, display_name="二号店")
    api_request(s, token, "POST", "/api/channels", {"channel_id": CH2, "channel_secret": SECRET,
                                                    "access_token": TOKEN2})
    s.line_emulator.add_user(USER, "佐藤 結衣")
    yield s


def _download(page: Any, test_id: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    return Path(info.value.path()).read_bytes()


def _scenarios(system: Any, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    welcome = api_request(system, token, "POST", "/api/scenarios", {
        "name": "ウェルカム", "line_channel_id": CH, "triggers": [{"type": "friend_added"}],
        "steps": [{"id": "hello", "line": [{"type": "text", "text": "友だち追加ありがとう"}]}]})
    seminar = api_request(system, token, "POST", "/api/scenarios", {
        "name": "体験レッスン", "steps": [
            {"id": "invite", "line": [{"type": "text", "text": "体験レッスンのご案内です"}]},
            {"id": "remind", "timing": {"type": "after", "amount": 1, "unit": "days"},
             "line": [{"type": "text", "text": "明日はレッスンです"}]}]})
    return welcome, seminar


def test_make_a_scenarios_link_follow_through_it_and_get_its_first_message(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    _welcome, seminar = _scenarios(system, token)
    admin = f"{system.base_url}/admin/"
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # the scenario's page: make its link; two channels, so the channel is asked at the field first
    page.goto(admin + f"#/scenarios/{seminar['id']}")
    panel = page.get_by_test_id("scenario-friend-link")
    panel.get_by_test_id("scenario-friend-link-create").click()
    panel.locator("select[name=channel_id][aria-invalid=true]").wait_for()
    assert "複数" in panel.locator("[data-field-error=channel_id]").inner_text()
    panel.locator("select[name=channel_id]").select_option(CH)
    panel.get_by_test_id("scenario-friend-link-create").click()
    panel.get_by_test_id("route-panel").wait_for()
    url = panel.get_by_test_id("route-url").inner_text()
    assert url.startswith(f"{system.base_url}/r/")
    assert panel.get_by_test_id("route-friends-count").inner_text() == "0"
    panel.get_by_test_id("route-qr").wait_for()
    assert _download(page, "route-qr-png").startswith(b"\x89PNG")
    assert b"<svg" in _download(page, "route-qr-svg")[:400]
    snap("link")

    # someone opens it: LINE Login's consent, then add the friend (bot_prompt=aggressive)
    page.goto(url)
    page.get_by_role("button", name="許可する").wait_for()
    page.locator("input[name=user_id]").fill(USER)
    page.get_by_role("button", name="許可する").click()
    page.get_by_role("button", name="追加", exact=True).click()
    page.get_by_text("ありがとうございます").wait_for()
    system.drain()  # no clock advance: no tick sends anything

    # the phone: the scenario's first message
    phone = f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={USER}"
    page.goto(phone)
    page.get_by_text("体験レッスンのご案内です").wait_for()
    snap("phone")

    # the friend is in that scenario (the welcome scenario gave way), and the scenario's page counts them
    [friend] = [f for f in api_request(system, token, "GET", "/api/subscribers")["items"]
                if f.get("display_name") == "佐藤 結衣"]
    page.goto(admin + f"#/friends/{friend['subscriber_id']}")
    page.locator(f"[data-testid=enrollment][data-scenario='{seminar['id']}'][data-status=active]").wait_for()
    active = page.locator("[data-testid=enrollment][data-status=active]")
    assert active.count() == 1
    page.goto(admin + f"#/scenarios/{seminar['id']}")
    page.get_by_test_id("scenario-friend-link").get_by_test_id("route-panel").wait_for()
    page.wait_for_function(
        "document.querySelector('[data-testid=scenario-friend-link] [data-testid=route-friends-count]')"
        "?.textContent === '1'")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_a_scenarios_link_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    scenario = api_request(system, token, "POST", "/api/scenarios", {
        "name": "スマホで見るシナリオ", "line_channel_id": CH,
        "steps": [{"id": "one", "line": [{"type": "text", "text": "こんにちは"}]}]})
    api_request(system, token, "POST", f"/api/scenarios/{scenario['id']}/friend-link", {})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/scenarios/{scenario['id']}")
    page.get_by_test_id("scenario-friend-link").get_by_test_id("route-qr").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the scenario page scrolls sideways on a phone ({width}px)"
    snap("phone-scenario-link")
    assert browser_errors == []
