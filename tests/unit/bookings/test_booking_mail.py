"""The booking confirmation by e-mail (a friend with an address): once per booking, from the shop's sender."""

from __future__ import annotations

from datetime import date
from typing import Any

from bookings_env import WS

TUE = date(2026, 1, 6)


def _book(env: Any, friends: Any, *, email: str | None) -> Any:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60})
    env.service.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "13:00"]]}})
    (friend,) = friends(1)
    if email:
        env.root.subscribers.mutate_identity(WS, friend, lambda s: setattr(s, "email", email))
    start = env.service.slots(WS, menu.menu_id, start_date=TUE, days=1)[0].start
    return env.service.book(WS, {"menu_id": menu.menu_id, "start": start.isoformat()}, subscriber_id=friend)


def test_a_friend_with_an_address_gets_the_confirmation_by_email_once(env: Any, friends: Any) -> None:
    booking = _book(env, friends, email="hanako@example.jp")
    (mail,) = env.email.sent
    assert mail["to"] == "hanako@example.jp"
    assert mail["source"] == "サロン花子 <info@shop.example.jp>"
    assert mail["headers"] == {"Reply-To": "desk@shop.example.jp"}
    assert mail["subject"].endswith("ご予約を承りました")
    assert "カット（担当: 佐藤）" in mail["text"] and "2026年01月06日 10:00〜11:00" in mail["text"]
    assert f"/b/cancel/{booking.booking_id}?t=" in mail["text"]
    # the follow-up running again (a retry) sends nothing twice
    menu = env.service.repository.menu(WS, booking.menu_id)
    staff = env.service.repository.staff(WS, booking.staff_id)
    subscriber = env.root.subscribers.get(WS, booking.subscriber_id)
    env.service._after_booking(WS, booking, menu, staff, subscriber, env.service.zone(WS))
    assert len(env.email.sent) == 1
    # a move is a new booking: its own confirmation
    later = env.service.slots(WS, booking.menu_id, start_date=TUE, days=1)[-1].start
    moved = env.service.reschedule(WS, booking.booking_id, {"start": later.isoformat()})
    assert len(env.email.sent) == 2 and "ご予約を変更しました" in env.email.sent[1]["subject"]
    assert f"/b/cancel/{moved.booking_id}?t=" in env.email.sent[1]["text"]


def test_a_friend_without_an_address_gets_line_only(env: Any, friends: Any) -> None:
    _book(env, friends, email=None)
    assert env.email.sent == [] and len(env.messenger.sent) == 1


def test_an_ses_failure_never_undoes_the_booking_and_a_retry_sends(env: Any, friends: Any) -> None:
    env.email.fail = True
    booking = _book(env, friends, email="hanako@example.jp")
    assert env.service.get(WS, booking.booking_id).status == "booked" and env.email.sent == []
    env.email.fail = False  # the claim was given back: the retry sends it
    menu = env.service.repository.menu(WS, booking.menu_id)
    staff = env.service.repository.staff(WS, booking.staff_id)
    subscriber = env.root.subscribers.get(WS, booking.subscriber_id)
    env.service._after_booking(WS, booking, menu, staff, subscriber, env.service.zone(WS))
    assert len(env.email.sent) == 1
