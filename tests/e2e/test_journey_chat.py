"""Journey (phone): a friend writes on LINE, the operator opens the friend from the list and replies in the 1:1 chat;
the reply arrives in the LINE emulator. Real local system (LocalSystem + LINE emulator) started by a module fixture."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000002"
SECRET = "fedcba9876543210fedcba9876543210"
TOKEN = "e2e-chat-token-" + "b" * 40
WS = "ws_e2e_chat"
USER = "U" + "2" * 32


def api(system: Any, method: str, path: str, body: Any = None) -> Any:
    token = system.login(email="owner@chat.example.jp", workspace_id=WS, role="owner")
    return api_request(system, token, method, path, body)


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)  # one LocalSystem per process, shared with the other journeys
    s.create_owner(WS, "owner@chat.example.jp")  # the workspace's first owner, as the create-owner command makes it
    emu = s.line_emulator
    emu.register_channel(CH, SECRET, TOKEN, display_name="ハイシン整体院")
    channel = api(s, "POST", "/api/channels", {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN})
    emu.set_webhook_url(CH, channel["webhook_url"])
    emu.add_user(USER, "山田 花子")
    emu.follow(CH, USER)
    emu.send_text(CH, USER, "明日の 15 時に予約できますか?")
    s.drain()
    yield s


@pytest.mark.viewport(390, 844)
def test_reply_to_a_friend_in_the_chat_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@chat.example.jp", workspace_id=WS, role="owner")
    page.get_by_test_id("mobile-nav").locator("[data-nav='/friends']").click()
    page.get_by_test_id("friends-table").wait_for()
    assert page.get_by_test_id("friends-total").inner_text().startswith("1")
    snap("list")
    page.get_by_test_id("friend-row").first.locator("a").click()
    page.get_by_role("heading", name="山田 花子").wait_for()
    chat = page.get_by_test_id("chat")
    chat.locator("[data-direction=in]").first.wait_for()
    assert "明日の 15 時に予約できますか?" in chat.inner_text()

    page.get_by_test_id("chat-input").fill("はい、15 時でご予約をお取りしました。お待ちしております!")
    page.get_by_test_id("chat-send").click()
    chat.locator("[data-direction=out]").first.wait_for()
    assert page.get_by_test_id("chat-input").input_value() == ""
    system.drain()
    received = system.line_emulator.received(USER)
    texts = [(r.get("message") or {}).get("text") for r in received]
    assert "はい、15 時でご予約をお取りしました。お待ちしております!" in texts, received
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    page.get_by_test_id("chat").scroll_into_view_if_needed()
    snap("chat")
    assert browser_errors == []


def test_dashboard_charts_the_new_friend_and_the_quota(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@chat.example.jp", workspace_id=WS, role="owner")
    page.get_by_test_id("kpis").wait_for()
    assert page.get_by_test_id("kpis").inner_text().split("\n")[1].strip() == "1"  # one friend following
    page.get_by_test_id("chart-friends").locator("svg rect[fill='#06c755']").first.wait_for(state="attached")
    quota = page.get_by_test_id("quota").inner_text()
    assert "ハイシン整体院" in quota and "通" in quota, quota
    snap("dashboard")
    assert browser_errors == []


def test_opt_out_from_the_friend_page_shows_on_the_dashboard(system: Any, page: Any, browser_errors: list[str],
                                                              snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@chat.example.jp", workspace_id=WS, role="owner")
    page.locator("nav [data-nav='/friends']").first.click()
    page.get_by_test_id("friend-row").first.locator("a").click()
    line = page.get_by_test_id("opt-out-line")
    line.wait_for()
    assert line.get_attribute("data-stopped") == "false" and "配信中" in line.inner_text()
    page.get_by_test_id("opt-out-toggle-line").click()
    page.locator("[data-testid=opt-out-line][data-stopped=true]").wait_for()
    assert "停止中" in line.inner_text() and "管理画面" in line.inner_text()  # when and how
    snap("friend-opt-out")
    page.locator("nav [data-nav='/dashboard']").first.click()
    table = page.get_by_test_id("optouts-table")
    table.wait_for()
    assert "1" in table.inner_text()
    assert page.get_by_test_id("kpi-optouts").inner_text().split("\n")[1].strip() == "1"
    snap("dashboard-opt-outs")
    assert browser_errors == []


def test_the_workspace_sets_its_opt_out_keywords_and_a_clash_is_named(system: Any, page: Any, browser_errors: list[str],
                                                                       snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@chat.example.jp", workspace_id=WS, role="owner")
    page.locator("nav [data-nav='/settings']").first.click()
    stop = page.get_by_test_id("optout-keywords-stop")
    stop.wait_for()
    assert stop.input_value() == "配信停止"
    stop.fill("配信停止\nストップ")
    page.get_by_test_id("optout-keywords-save").click()
    page.get_by_test_id("optout-keywords-saved").wait_for()
    api(system, "POST", "/api/auto-replies", {"name": "お問い合わせ", "match_type": "contains", "keywords": ["ストップ"],
                                            "priority": 1, "messages": [{"type": "text", "text": "ご用件をどうぞ"}]})
    page.get_by_test_id("optout-keywords-save").click()
    form = page.get_by_test_id("optout-keywords-form")
    form.locator("[aria-invalid=true]").wait_for()
    assert "「ストップ」" in form.inner_text() and "「お問い合わせ」" in form.inner_text()
    snap("keywords-clash")
    assert [e for e in browser_errors if "status of 422" not in e] == []  # the refusal itself
