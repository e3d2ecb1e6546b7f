"""Journey (予約, slot booking) in the browser: the marketer sets up a menu and a staff member (weekday hours) on the
admin's booking setup screen and makes a friend's signed booking link on the booking screen; the link reaches the
friend's LINE chat; on the emulator's phone page the friend taps it, picks the menu, then an open slot, and the page
confirms the booking; the confirmation (with its cancel link) arrives in the chat; the booked slot is no longer
offered to another friend; the admin's booking list shows it and marks the friend attended.

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000002177"
SECRET = "0123456789abcdef0123456789abc177"
TOKEN = "e2e-booking-token-" + "b" * 40
WS = "ws_e2e_booking"
OWNER = "owner@booking.example.jp"
USER = "U" + "b" * 32
OTHER = "U" + "c" * 32
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室",
                      friends={USER: "高橋 美咲", OTHER: "伊藤 蓮"})
    yield s


def _friend(system: Any, token: str, name: str) -> str:
    friends = api_request(system, token, "GET", "/api/subscribers")["items"]
    [friend] = [f for f in friends if f.get("display_name") == name]
    return str(friend["subscriber_id"])


def test_set_up_book_from_the_phone_and_see_it_everywhere(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # the marketer: a menu and a staff member open 10:00-12:00 every day
    page.goto(admin + "#/bookings/setup")
    new_menu = page.get_by_test_id("bk-menu-new")
    new_menu.wait_for()
    new_menu.locator("input[name=name]").fill("カット")
    new_menu.locator("input[name=duration_minutes]").fill("50")
    page.get_by_test_id("bk-menu-save").last.click()
    new_menu.locator("[data-field-error]").first.wait_for()  # 50 minutes is off the 15-minute grid: refused
    assert "15 分単位" in new_menu.inner_text()
    new_menu.locator("input[name=duration_minutes]").fill("60")
    page.get_by_test_id("bk-menu-save").last.click()
    page.get_by_test_id("bk-menu").wait_for()
    new_staff = page.get_by_test_id("bk-staff-new")
    new_staff.locator("input[name=name]").fill("佐藤")
    for day in WEEKDAYS:
        new_staff.locator(f"input[name='hours.{day}']").fill("10:00-12:00")
    page.get_by_test_id("bk-staff-save").last.click()
    page.get_by_test_id("bk-staff").wait_for()
    snap("setup")

    # the friend's signed booking link, made on the booking screen and sent in the chat
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    friend = _friend(system, token, "高橋 美咲")
    page.goto(admin + "#/bookings")
    page.get_by_test_id("bk-link").wait_for()
    page.locator("input[name=link_subscriber_id]").fill(friend)
    page.get_by_test_id("bk-link-make").click()
    url = page.get_by_test_id("bk-link-value").inner_text()
    assert url.startswith(f"{system.api_url}/b?t=")
    api_request(system, token, "POST", f"/api/subscribers/{friend}/chat", {"text": f"ご予約はこちら {url}"})
    system.drain()

    # the friend's phone: tap the link, choose the menu, then the first open slot
    phone = page.context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={USER}")
    link = phone.locator("a.link", has_text="/b?t=")
    link.wait_for()
    with page.context.expect_page() as opened:
        link.click()
    booking_page = opened.value
    booking_page.locator("[data-menu]", has_text="カット").click()
    first = booking_page.locator("[data-slot]").first
    first.wait_for()
    start = first.get_attribute("data-slot")
    assert start
    booking_page.screenshot(path=str(snap("slots")))
    first.click()
    booking_page.locator("[data-booking-done]").wait_for()
    assert "ご予約を承りました" in booking_page.inner_text("body")
    booking_page.screenshot(path=str(snap("booked")))

    # the confirmation in the chat, with the cancel link
    phone.locator(".bubble", has_text="ご予約を承りました").wait_for()
    assert "/b/cancel/" in phone.locator(".bubble", has_text="ご予約を承りました").inner_text()
    phone.screenshot(path=str(snap("phone")))

    # another friend is not offered that slot any more
    other = _friend(system, token, "伊藤 蓮")
    other_url = api_request(system, token, "POST", "/api/bookings/link", {"subscriber_id": other})["url"]
    other_page = page.context.new_page()
    other_page.goto(other_url)
    other_page.locator("[data-menu]", has_text="カット").click()
    other_page.locator("[data-slot]").first.wait_for()
    offered = [other_page.locator("[data-slot]").nth(i).get_attribute("data-slot")
               for i in range(other_page.locator("[data-slot]").count())]
    assert start not in offered
    other_page.close()

    # the admin's booking list shows it; staff mark the friend attended, who gets the tag
    local_date = datetime.fromisoformat(start).astimezone(ZoneInfo("Asia/Tokyo")).date().isoformat()
    page.goto(admin + "#/bookings")
    page.get_by_test_id("bk-date").fill(local_date)
    row = page.get_by_test_id("bk-row")
    row.wait_for()
    assert "カット" in row.inner_text() and "佐藤" in row.inner_text() and friend in row.inner_text()
    assert row.get_by_test_id("bk-status").inner_text() == "予約中"
    row.get_by_test_id("bk-attended").click()
    page.get_by_test_id("bk-status").filter(has_text="来店").wait_for()
    snap("calendar")
    tags = [t["name"] for t in api_request(system, token, "GET", f"/api/subscribers/{friend}")["tags"]]
    assert "予約:来店" in tags
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_the_booking_screens_on_a_phone(system: Any, page: Any, browser_errors: list[str]) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    for route, testid in (("#/bookings", "bk-calendar"), ("#/bookings/setup", "bk-setup")):
        page.goto(admin + route)
        page.get_by_test_id(testid).wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{route} scrolls sideways on a phone ({width}px)"
    assert browser_errors == []
