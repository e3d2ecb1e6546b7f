"""The friend's own move on the signed cancel page: a staff filter, and as many days ahead as the menu allows."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from bookings_env import WS
from test_booking_pages import call

TUE = date(2026, 1, 6)  # the clock starts Monday 2026-01-05 09:00 in Tokyo
WEEKLY = {"tue": [["10:00", "12:00"]]}


def _book(env: Any, friends: Any, *, reschedule_days: int = 14) -> tuple[Any, str, str, str]:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60, "reschedule_days": reschedule_days})
    sato = env.service.save_staff(WS, {"name": "佐藤", "hours": WEEKLY}).staff_id
    suzuki = env.service.save_staff(WS, {"name": "鈴木", "hours": WEEKLY}).staff_id
    (friend,) = friends(1)
    start = env.service.slots(WS, menu.menu_id, staff_id=sato, start_date=TUE, days=1)[0].start
    booking = env.service.book(
        WS, {"menu_id": menu.menu_id, "staff_id": sato, "start": start.isoformat()}, subscriber_id=friend
    )
    token = env.service.cancel_token(booking)
    return booking, token, sato, suzuki


def _moves(body: str) -> list[str]:
    return re.findall(r'data-booking-move="([^"]+)"', body)


def test_the_friend_filters_by_staff_and_moves_to_that_person(env: Any, friends: Any) -> None:
    booking, token, _, suzuki = _book(env, friends)
    path = f"/b/cancel/{booking.booking_id}"
    page = call(env, "GET", path, {"t": token})
    assert 'data-move-staff-current=""' in page["body"]  # 指名なし first
    assert f'data-move-staff-link="{suzuki}"' in page["body"]
    anyone = _moves(page["body"])
    # 指名なし: one button per time, the booking's own 10:00 left out: Tue 11:00, next Tue 10:00 and 11:00
    assert len(anyone) == 3 and booking.start.isoformat() not in anyone
    page = call(env, "GET", path, {"t": token, "staff": suzuki})
    assert f'data-move-staff-current="{suzuki}"' in page["body"]
    with_suzuki = _moves(page["body"])
    assert booking.start.isoformat() in with_suzuki  # the same time with another person is a real change
    assert f'name="staff_id" value="{suzuki}"' in page["body"]
    done = call(
        env, "POST", path, form={"t": token, "op": "reschedule", "start": booking.start.isoformat(), "staff_id": suzuki}
    )
    assert done["statusCode"] == 200 and "ご予約を変更しました" in done["body"] and "鈴木" in done["body"]
    (moved,) = [b for b in env.service.calendar(WS, TUE, 1) if b.status == "booked"]
    assert moved.staff_id == suzuki and moved.start == booking.start
    # an unknown staff filter is 指名なし, not an error
    again = call(env, "GET", f"/b/cancel/{moved.booking_id}", {"t": env.service.cancel_token(moved), "staff": "x"})
    assert 'data-move-staff-current=""' in again["body"]


def test_two_weeks_unless_the_menu_allows_more(env: Any, friends: Any) -> None:
    booking, token, _, _ = _book(env, friends)
    path = f"/b/cancel/{booking.booking_id}"
    page = call(env, "GET", path, {"t": token})
    assert "data-move-next" not in page["body"] and "14 日先まで" in page["body"]
    far = booking.start + timedelta(days=21)
    refused = call(env, "POST", path, form={"t": token, "op": "reschedule", "start": far.isoformat()})
    assert refused["statusCode"] == 422 and "14 日先まで" in refused["body"]
    assert env.service.get(WS, booking.booking_id).status == "booked"


def test_a_menu_with_sixty_days_pages_through_two_week_windows(env: Any, friends: Any) -> None:
    booking, token, _, _ = _book(env, friends, reschedule_days=60)
    path = f"/b/cancel/{booking.booking_id}"
    page = call(env, "GET", path, {"t": token})
    assert "60 日先まで" in page["body"]
    next_href = html.unescape(re.search(r'href="([^"]+)" data-move-next', page["body"]).group(1))
    query = dict(pair.split("=", 1) for pair in next_href.split("?", 1)[1].split("&"))
    assert query["from"] == "2026-01-19"
    later = call(env, "GET", path, {"t": token, "from": "2026-02-23"})
    starts = _moves(later["body"])
    assert starts and all(s >= "2026-02-23" for s in starts)
    assert "data-move-next" not in later["body"] and "data-move-prev" in later["body"]  # the horizon ends before Mar 6
    far = booking.start + timedelta(days=49)  # Tue 2026-02-24, inside 60 days
    done = call(env, "POST", path, form={"t": token, "op": "reschedule", "start": far.isoformat()})
    assert done["statusCode"] == 200 and "ご予約を変更しました" in done["body"]
