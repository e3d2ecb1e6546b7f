"""キャンセル待ち: a friend waits for a full slot and is booked, oldest first, when a place frees (cancel, move)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from bookings_env import WS
from test_booking_pages import call

from haishin.errors import Conflict, ValidationFailed

TUE = date(2026, 1, 6)


def _full_slot(env: Any, friends: Any, waiting: int) -> tuple[str, Any, list[str]]:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60})
    env.service.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "12:00"]]}})
    first, *others = friends(1 + waiting)
    start = env.service.slots(WS, menu.menu_id, start_date=TUE, days=1)[0].start
    booking = env.service.book(WS, {"menu_id": menu.menu_id, "start": start.isoformat()}, subscriber_id=first)
    return menu.menu_id, booking, others


def test_a_cancel_books_the_oldest_waiting_friend(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, booking, (b, c) = _full_slot(env, friends, 2)
    body = {"menu_id": menu_id, "start": booking.start.isoformat()}
    env.service.join_waitlist(WS, body, subscriber_id=b)
    manual_clock.advance(timedelta(seconds=1))
    env.service.join_waitlist(WS, body, subscriber_id=c)
    with pytest.raises(Conflict, match="すでにキャンセル待ち"):
        env.service.join_waitlist(WS, body, subscriber_id=b)
    listed = env.service.waitlist(WS, TUE, 1)
    assert [w["subscriber_id"] for w in listed] == [b, c] and listed[0]["friend_name"] == "友だち1"
    env.service.cancel(WS, booking.booking_id, by_staff=True)
    live = [x for x in env.service.calendar(WS, TUE, 1) if x.status == "booked"]
    assert [x.subscriber_id for x in live] == [b]
    assert "キャンセル待ちの枠が空いたため" in env.messenger.sent[-1][1] and env.messenger.sent[-1][0] == b
    assert [w["subscriber_id"] for w in env.service.waitlist(WS, TUE, 1)] == [c]


def test_an_open_slot_or_a_non_slot_is_not_waited_for(env: Any, friends: Any) -> None:
    menu_id, booking, (b,) = _full_slot(env, friends, 1)
    eleven = booking.start + timedelta(hours=1)
    with pytest.raises(Conflict, match="空いています"):
        env.service.join_waitlist(WS, {"menu_id": menu_id, "start": eleven.isoformat()}, subscriber_id=b)
    with pytest.raises(ValidationFailed, match="予約枠ではありません"):
        env.service.join_waitlist(
            WS, {"menu_id": menu_id, "start": (booking.start + timedelta(minutes=30)).isoformat()}, subscriber_id=b
        )
    assert env.service.waitlist(WS, TUE, 1) == []


def test_a_move_away_frees_the_slot_for_the_waitlist(env: Any, friends: Any) -> None:
    menu_id, booking, (b,) = _full_slot(env, friends, 1)
    env.service.join_waitlist(WS, {"menu_id": menu_id, "start": booking.start.isoformat()}, subscriber_id=b)
    eleven = booking.start + timedelta(hours=1)
    env.service.reschedule(WS, booking.booking_id, {"start": eleven.isoformat()})
    booked = {x.subscriber_id: x.start for x in env.service.calendar(WS, TUE, 1) if x.status == "booked"}
    assert booked[b] == booking.start


def test_the_page_offers_waiting_on_a_full_slot(env: Any, friends: Any) -> None:
    menu_id, booking, (b,) = _full_slot(env, friends, 1)
    signed = env.service.mint_link(WS, b).split("?t=", 1)[1]
    page = call(env, "GET", "/b", {"t": signed, "menu": menu_id})
    assert re.findall(r'data-slot-full="([^"]+)"', page["body"]) == [booking.start.isoformat()]
    assert "満席（キャンセル待ち）" in page["body"]
    done = call(
        env,
        "POST",
        "/b",
        form={"t": signed, "menu_id": menu_id, "staff_id": "", "start": booking.start.isoformat(), "op": "wait"},
    )
    assert done["statusCode"] == 200 and "キャンセル待ちで受け付けました" in done["body"]
    again = call(
        env,
        "POST",
        "/b",
        form={"t": signed, "menu_id": menu_id, "staff_id": "", "start": booking.start.isoformat(), "op": "wait"},
    )
    assert again["statusCode"] == 409 and "すでにキャンセル待ち" in again["body"]
    forged = call(
        env,
        "POST",
        "/b",
        form={"t": signed[:-2] + "xx", "menu_id": menu_id, "op": "wait", "start": booking.start.isoformat()},
    )
    assert forged["statusCode"] == 403
    assert len(env.service.waitlist(WS, TUE, 1)) == 1


def test_two_cancels_at_once_book_the_waiting_friend_once(env: Any, friends: Any, atomic_requests: None) -> None:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60})
    env.service.save_staff(WS, {"name": "佐藤", "capacity": 2, "hours": {"tue": [["10:00", "11:00"]]}})
    a, b, waiting = friends(3)
    start = env.service.slots(WS, menu.menu_id, start_date=TUE, days=1)[0].start.isoformat()
    first = env.service.book(WS, {"menu_id": menu.menu_id, "start": start}, subscriber_id=a)
    second = env.service.book(WS, {"menu_id": menu.menu_id, "start": start}, subscriber_id=b)
    env.service.join_waitlist(WS, {"menu_id": menu.menu_id, "start": start}, subscriber_id=waiting)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda x: env.service.cancel(WS, x.booking_id, by_staff=True), [first, second]))
    live = [x.subscriber_id for x in env.service.calendar(WS, TUE, 1) if x.status == "booked"]
    assert live == [waiting]
