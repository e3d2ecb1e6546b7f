"""The friend's booking pages: menu -> staff -> slot, booking by POST, the cancel page; forged links change nothing."""

from __future__ import annotations

import re
import urllib.parse
from datetime import date, timedelta
from typing import Any

from bookings_env import WS

TUE = date(2026, 1, 6)


def call(
    env: Any, method: str, path: str, query: dict[str, str] | None = None, form: dict[str, str] | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {"rawPath": path, "requestContext": {"http": {"method": method}}}
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = urllib.parse.urlencode(query)
    if form is not None:
        event["body"] = urllib.parse.urlencode(form)
        event["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    return env.root.pages.handle(event)


def _setup(env: Any) -> tuple[str, str]:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60, "price": 4400})
    staff = env.service.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "12:00"]]}})
    return menu.menu_id, staff.staff_id


def test_the_friend_books_a_slot_and_it_is_gone_for_the_next_friend(env: Any, friends: Any) -> None:
    menu_id, staff_id = _setup(env)
    first, second = friends(2)
    signed = env.service.mint_link(WS, first).split("?t=", 1)[1]
    page = call(env, "GET", "/b", {"t": signed})
    assert page["statusCode"] == 200 and "カット" in page["body"] and "data-slot" not in page["body"]
    page = call(env, "GET", "/b", {"t": signed, "menu": menu_id})
    assert "佐藤" in page["body"] and "指名なし" in page["body"]
    starts = re.findall(r'data-slot="([^"]+)"', page["body"])
    assert len(starts) == 2  # Tue 10:00 and 11:00 (Tokyo)
    done = call(env, "POST", "/b", form={"t": signed, "menu_id": menu_id, "staff_id": "", "start": starts[0]})
    assert done["statusCode"] == 200 and "ご予約を承りました" in done["body"] and "data-booking-cancel" in done["body"]
    assert len(env.messenger.sent) == 1
    other = env.service.mint_link(WS, second).split("?t=", 1)[1]
    page = call(env, "GET", "/b", {"t": other, "menu": menu_id})
    assert re.findall(r'data-slot="([^"]+)"', page["body"]) == [starts[1]]
    taken = call(env, "POST", "/b", form={"t": other, "menu_id": menu_id, "staff_id": staff_id, "start": starts[0]})
    assert taken["statusCode"] == 409 and "すでに埋まりました" in taken["body"]
    assert (
        len(
            [
                b
                for b in env.service.calendar(
                    WS, env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start.date(), 1
                )
            ]
        )
        == 1
    )


def test_forged_links_book_nothing(env: Any, friends: Any) -> None:
    menu_id, _ = _setup(env)
    (friend,) = friends(1)
    signed = env.service.mint_link(WS, friend).split("?t=", 1)[1]
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    forged = signed[:-3] + "abc"
    assert call(env, "GET", "/b", {"t": forged})["statusCode"] == 403
    response = call(
        env, "POST", "/b", form={"t": forged, "menu_id": menu_id, "staff_id": "", "start": start.isoformat()}
    )
    assert response["statusCode"] == 403 and "無効" in response["body"]
    assert env.service.calendar(WS, start.date(), 2) == [] and env.messenger.sent == []


def test_cancel_page_shows_then_cancels_before_the_cutoff_only(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, _ = _setup(env)
    one, two = friends(2)
    slots = env.service.slots(WS, menu_id, start_date=TUE, days=1)
    booked = [
        env.service.book(WS, {"menu_id": menu_id, "start": s.start.isoformat()}, subscriber_id=f)
        for s, f in zip(slots, (one, two), strict=True)
    ]
    tokens = [env.service.cancel_token(b) for b in booked]
    path = f"/b/cancel/{booked[0].booking_id}"
    assert call(env, "GET", path, {"t": tokens[1]})["statusCode"] == 403  # another friend's token
    shown = call(env, "GET", path, {"t": tokens[0]})
    assert shown["statusCode"] == 200 and "data-booking-cancel" in shown["body"]
    assert env.service.get(WS, booked[0].booking_id).status == "booked"  # a GET changes nothing
    gone = call(env, "POST", path, form={"t": tokens[0]})
    assert gone["statusCode"] == 200 and "キャンセルしました" in gone["body"]
    assert env.service.get(WS, booked[0].booking_id).status == "canceled"
    manual_clock.set(booked[1].start - timedelta(hours=2))
    late = call(env, "POST", f"/b/cancel/{booked[1].booking_id}", form={"t": tokens[1]})
    assert late["statusCode"] == 422 and "期限を過ぎています" in late["body"]
    assert env.service.get(WS, booked[1].booking_id).status == "booked"


def test_the_friend_moves_their_booking_from_the_cancel_page(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, _ = _setup(env)
    one, two = friends(2)
    ten, eleven = env.service.slots(WS, menu_id, start_date=TUE, days=1)
    booking = env.service.book(WS, {"menu_id": menu_id, "start": ten.start.isoformat()}, subscriber_id=one)
    token = env.service.cancel_token(booking)
    path = f"/b/cancel/{booking.booking_id}"
    shown = call(env, "GET", path, {"t": token})
    moves = re.findall(r'data-booking-move="([^"]+)"', shown["body"])
    assert (
        eleven.start.isoformat() in moves and ten.start.isoformat() not in moves and "日時を変更する" in shown["body"]
    )
    # a forged token moves nothing
    forged = call(env, "POST", path, form={"t": token[:-3] + "abc", "op": "reschedule", "start": moves[0]})
    assert forged["statusCode"] == 403 and env.service.get(WS, booking.booking_id).status == "booked"

    moved = call(env, "POST", path, form={"t": token, "op": "reschedule", "start": eleven.start.isoformat()})
    assert moved["statusCode"] == 200 and "ご予約を変更しました" in moved["body"], moved["body"]
    assert env.service.get(WS, booking.booking_id).status == "rescheduled"
    [upcoming] = env.service.upcoming_for(WS, one)
    assert upcoming["local_time"] == "11:00" and upcoming["booking_id"] != booking.booking_id
    new = env.service.get(WS, upcoming["booking_id"])
    assert new.booked_by == "friend" and new.rescheduled_from == booking.booking_id
    assert "ご予約を変更しました" in str(env.messenger.sent[-1])
    # the old link cannot move it again; 10:00 is free again for another friend
    again = call(env, "POST", path, form={"t": token, "op": "reschedule", "start": ten.start.isoformat()})
    assert again["statusCode"] == 409 and env.service.upcoming_for(WS, one)[0]["local_time"] == "11:00"
    assert ten.start in [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]

    # a taken slot, then past the cutoff: nothing changes, and the page offers no move
    env.service.book(WS, {"menu_id": menu_id, "start": ten.start.isoformat()}, subscriber_id=two)
    new_token = env.service.cancel_token(new)
    new_path = f"/b/cancel/{new.booking_id}"
    taken = call(env, "POST", new_path, form={"t": new_token, "op": "reschedule", "start": ten.start.isoformat()})
    assert taken["statusCode"] == 409 and "埋まりました" in taken["body"]
    manual_clock.set(new.start - timedelta(hours=2))
    late = call(env, "POST", new_path, form={"t": new_token, "op": "reschedule", "start": ten.start.isoformat()})
    assert late["statusCode"] == 422 and "変更の受付期限を過ぎています" in late["body"]
    assert "data-booking-move" not in call(env, "GET", new_path, {"t": new_token})["body"]
    assert env.service.get(WS, new.booking_id).status == "booked"
