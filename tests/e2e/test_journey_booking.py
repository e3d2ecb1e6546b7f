"""Journey (予約, slot booking) in the browser: the marketer sets up a menu and a staff member (weekday hours) on the
admin's booking setup screen and makes a friend's signed booking link on the booking screen; the link reaches the
friend's LINE chat; on the emulator's phone page the friend taps it, picks the menu, then an open slot, and the page
confirms the booking; the confirmation (with its cancel link) arrives in the chat; the booked slot is no longer
offered to another friend; the admin's booking list shows it (names, not IDs) and marks the friend attended, and the
week grid (staff × time) shows it in its staff member's column.

The second journey (キャンセル待ち and the friend's own move): a friend finds the only slot of a day full and joins
its waitlist on the booking page; the friend who holds it opens their cancel page from the LINE confirmation,
filters the move list by staff, pages past two weeks (the menu allows 30 days) and moves; the waiting friend is
booked at once and told so in their LINE chat.

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
    assert "カット" in row.inner_text() and "佐藤" in row.inner_text() and "高橋 美咲" in row.inner_text()
    assert row.get_by_test_id("bk-status").inner_text() == "予約中"
    row.get_by_test_id("bk-attended").click()
    page.get_by_test_id("bk-status").filter(has_text="来店").wait_for()
    snap("calendar")
    page.locator("select[name=view]").select_option("grid")
    cell = page.get_by_test_id("bk-grid-cell")
    cell.wait_for()
    assert "高橋 美咲" in cell.inner_text() and "来店" in cell.inner_text()
    snap("grid")
    tags = [t["name"] for t in api_request(system, token, "GET", f"/api/subscribers/{friend}")["tags"]]
    assert "予約:来店" in tags
    assert [e for e in browser_errors if "status of 422" not in e] == []


def test_waitlist_and_the_friends_own_move(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    menu = api_request(system, token, "POST", "/api/booking-menus",
                       {"name": "ヘッドスパ", "duration_minutes": 60, "reschedule_days": 30, "cancel_cutoff_hours": 0})
    hours = {day: [["15:00", "16:00"]] for day in WEEKDAYS}
    kato = api_request(system, token, "POST", "/api/booking-staff",
                       {"name": "加藤", "hours": hours, "menu_ids": [menu["menu_id"]]})
    api_request(system, token, "POST", "/api/booking-staff",
                {"name": "木村", "hours": {day: [["17:00", "18:00"]] for day in WEEKDAYS}, "menu_ids": [menu["menu_id"]]})
    holder, waiting = _friend(system, token, "高橋 美咲"), _friend(system, token, "伊藤 蓮")

    # the holder books 加藤's first 15:00 on their page
    holder_page = page.context.new_page()
    holder_page.goto(api_request(system, token, "POST", "/api/bookings/link", {"subscriber_id": holder})["url"])
    holder_page.locator("[data-menu]", has_text="ヘッドスパ").click()
    holder_page.locator("[data-staff]", has_text="加藤").click()
    first = holder_page.locator("[data-slot]").first
    first.wait_for()
    start = first.get_attribute("data-slot")
    first.click()
    holder_page.locator("[data-booking-done]").wait_for()
    system.drain()

    # the other friend finds it full (加藤's hour) and joins the waitlist
    waiting_page = page.context.new_page()
    waiting_page.goto(api_request(system, token, "POST", "/api/bookings/link", {"subscriber_id": waiting})["url"])
    waiting_page.locator("[data-menu]", has_text="ヘッドスパ").click()
    waiting_page.locator("[data-staff]", has_text="加藤").click()
    full = waiting_page.locator(f"[data-slot-full='{start}']")
    full.wait_for()
    assert "キャンセル待ち" in full.inner_text()
    full.click()
    assert "キャンセル待ちで受け付けました" in waiting_page.inner_text("body")
    waiting_page.screenshot(path=str(snap("waitlisted")))

    # the holder opens the cancel link of their LINE confirmation and moves to 木村 (staff filter), past two weeks
    phone = page.context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={USER}")
    bubble = phone.locator(".bubble", has_text="ヘッドスパ").last
    bubble.wait_for()
    cancel_link = next(w for w in bubble.inner_text().split() if "/b/cancel/" in w)
    holder_page.goto(cancel_link)
    holder_page.locator("[data-move-staff-link]", has_text="木村").click()
    holder_page.locator("[data-move-staff-current]", has_text="木村").wait_for()
    holder_page.locator("[data-move-next]").click()  # days 15-28: the menu allows 30
    move = holder_page.locator("[data-booking-move]").first
    move.wait_for()
    moved_to = move.get_attribute("data-booking-move")
    assert moved_to and moved_to > start
    holder_page.screenshot(path=str(snap("move")))
    move.click()
    holder_page.locator("[data-booking-done]").wait_for()
    assert "ご予約を変更しました" in holder_page.inner_text("body") and "木村" in holder_page.inner_text("body")

    # the waiting friend holds 加藤's 15:00 now, and hears it on LINE
    system.drain()
    other_phone = page.context.new_page()
    other_phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={OTHER}")
    other_phone.locator(".bubble", has_text="キャンセル待ちの枠が空いたため").wait_for()
    other_phone.screenshot(path=str(snap("promoted")))
    local_date = datetime.fromisoformat(start).astimezone(ZoneInfo("Asia/Tokyo")).date().isoformat()
    day = api_request(system, token, "GET", f"/api/bookings?date={local_date}&days=1")["items"]
    at = datetime.fromisoformat(start)
    held = [(b["friend_name"], b["staff_id"]) for b in day
            if datetime.fromisoformat(b["start"].replace("Z", "+00:00")) == at and b["status"] == "booked"]
    assert held == [("伊藤 蓮", kato["staff_id"])]
    assert [e for e in browser_errors if "status of 4" not in e] == []


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
