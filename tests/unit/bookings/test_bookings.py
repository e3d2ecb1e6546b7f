"""Staff, menus, open slots and booking under concurrency (conditional writes, moto)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from bookings_env import WS

from haishin.errors import Conflict, NotFound, ValidationFailed
from haishin.forms.tokens import TokenInvalid

TUE = date(2026, 1, 6)  # the clock starts Monday 2026-01-05 09:00 in Tokyo


def _setup(env: Any, *, capacity: int = 1, duration: int = 60) -> tuple[str, str]:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": duration, "price": 4400})
    staff = env.service.save_staff(
        WS,
        {
            "name": "佐藤",
            "capacity": capacity,
            "hours": {"tue": [["10:00", "13:00"]], "wed": [["10:00", "12:00"]]},
            "exceptions": {"2026-01-07": []},
        },
    )
    return menu.menu_id, staff.staff_id


def test_slots_follow_hours_exceptions_and_zone(env: Any) -> None:
    menu_id, staff_id = _setup(env)
    slots = env.service.slots(WS, menu_id, start_date=date(2026, 1, 5), days=3)
    zone = env.service.zone(WS)
    assert [s.view(zone)["local_time"] for s in slots] == ["10:00", "11:00", "12:00"]  # Wed is an exception (closed)
    assert {s.view(zone)["local_date"] for s in slots} == {"2026-01-06"}
    assert slots[0].start.isoformat() == "2026-01-06T01:00:00+00:00"  # 10:00 Tokyo
    assert all(s.staff_id == staff_id and s.remaining == 1 for s in slots)


def test_bad_setup_is_refused_in_japanese(env: Any) -> None:
    with pytest.raises(ValidationFailed, match="15 分単位"):
        env.service.save_menu(WS, {"name": "x", "duration_minutes": 40})
    with pytest.raises(ValidationFailed, match="開始"):
        env.service.save_staff(WS, {"name": "x", "hours": {"mon": [["18:00", "10:00"]]}})
    with pytest.raises(ValidationFailed, match="曜日"):
        env.service.save_staff(WS, {"name": "x", "hours": {"monday": [["10:00", "18:00"]]}})
    assert env.service.list_menus(WS) == [] and env.service.list_staff(WS) == []


def test_booking_confirms_publishes_and_closes_overlapping_slots(env: Any, friends: Any) -> None:
    menu_id, staff_id = _setup(env)
    short = env.service.save_menu(WS, {"name": "前髪カット", "duration_minutes": 30}).menu_id
    (friend,) = friends(1)
    slot = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0]
    booking = env.service.book(WS, {"menu_id": menu_id, "start": slot.start.isoformat()}, subscriber_id=friend)
    assert booking.staff_id == staff_id and booking.status == "booked"
    (sent,) = env.messenger.sent
    assert sent[0] == friend and "ご予約を承りました" in sent[1] and "10:00" in sent[1] and "/b/cancel/" in sent[1]
    assert [e[0] for e in env.webhooks.events] == ["booking_created"]
    # the 60-minute 10:00 booking closes the 10:00 and 10:30 half-hour slots too
    left = [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]
    assert slot.start not in left
    halves = [s.start for s in env.service.slots(WS, short, start_date=TUE, days=1)]
    assert slot.start not in halves and slot.start + timedelta(minutes=30) not in halves
    assert slot.start + timedelta(minutes=60) in halves
    with pytest.raises(Conflict, match="すでに埋まりました"):
        env.service.book(
            WS, {"menu_id": short, "start": (slot.start + timedelta(minutes=30)).isoformat()}, subscriber_id=friend
        )
    assert [b.booking_id for b in env.service.calendar(WS, TUE, 1)] == [booking.booking_id]


@pytest.mark.parametrize(("capacity", "racers"), [(1, 50), (3, 50)])
@pytest.mark.parametrize("stale_reads", [False, True])
def test_racing_friends_get_exactly_the_capacity(
    env: Any,
    friends: Any,
    atomic_requests: None,
    monkeypatch: pytest.MonkeyPatch,
    capacity: int,
    racers: int,
    stale_reads: bool,
) -> None:
    """50 friends book one slot at once: exactly ``capacity`` bookings. With ``stale_reads`` every friend's read
    still shows the slot open (they all read before anyone wrote): only the conditional writes decide."""
    menu_id, _ = _setup(env, capacity=capacity)
    people = friends(racers)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start.isoformat()
    if stale_reads:
        monkeypatch.setattr(env.service.repository, "unit_counts", lambda *a, **k: {})

    def attempt(friend: str) -> str:
        try:
            env.service.book(WS, {"menu_id": menu_id, "start": start}, subscriber_id=friend)
        except Conflict:
            return "taken"
        return "booked"

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, people))
    assert results.count("booked") == capacity
    assert results.count("taken") == racers - capacity
    assert len([b for b in env.service.calendar(WS, TUE, 1) if b.status == "booked"]) == capacity
    monkeypatch.undo()
    assert start not in [s.start.isoformat() for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]


def test_cancel_reopens_the_slot_once_and_respects_the_cutoff(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, _ = _setup(env)
    (friend,) = friends(1)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booking = env.service.book(WS, {"menu_id": menu_id, "start": start.isoformat()}, subscriber_id=friend)
    manual_clock.set(start - timedelta(hours=23))  # inside the 24-hour cutoff
    with pytest.raises(ValidationFailed, match="キャンセルの受付期限"):
        env.service.cancel(WS, booking.booking_id, by_staff=False)
    assert env.service.get(WS, booking.booking_id).status == "booked"
    env.service.cancel(WS, booking.booking_id, by_staff=True)  # staff may cancel any time
    assert env.service.get(WS, booking.booking_id).status == "canceled"
    with pytest.raises(Conflict):
        env.service.cancel(WS, booking.booking_id, by_staff=True)
    assert start in [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]


def test_friend_cancel_before_cutoff_and_past_slots(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, _ = _setup(env)
    (friend,) = friends(1)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booking = env.service.book(WS, {"menu_id": menu_id, "start": start.isoformat()}, subscriber_id=friend)
    env.service.cancel(WS, booking.booking_id, by_staff=False)
    manual_clock.set(start + timedelta(minutes=1))
    with pytest.raises(ValidationFailed, match="締め切りました"):
        env.service.book(WS, {"menu_id": menu_id, "start": start.isoformat()}, subscriber_id=friend)
    assert start not in [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]


def test_signed_links_refuse_forgeries(env: Any, friends: Any) -> None:
    menu_id, _ = _setup(env)
    (friend,) = friends(1)
    url = env.service.mint_link(WS, friend)
    signed = url.split("?t=", 1)[1]
    assert env.service.verify_link(signed).subscriber_id == friend
    for forged in (signed[:-2] + "xx", signed.replace(friend, "s_other"), "w_other." + signed.split(".", 1)[1], "x"):
        with pytest.raises(TokenInvalid):
            env.service.verify_link(forged)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booking = env.service.book(WS, {"menu_id": menu_id, "start": start.isoformat()}, subscriber_id=friend)
    cancel_token = env.messenger.sent[0][1].split("?t=", 1)[1].strip()
    assert env.service.verify_cancel(booking.booking_id, cancel_token).booking_id == booking.booking_id
    with pytest.raises(TokenInvalid):
        env.service.verify_cancel(booking.booking_id, cancel_token[:-2] + "xx")


def test_attendance_tags_the_friend(env: Any, friends: Any) -> None:
    menu_id, _ = _setup(env)
    (friend,) = friends(1)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booking = env.service.book(WS, {"menu_id": menu_id, "start": start.isoformat()}, subscriber_id=friend)
    env.service.mark(WS, booking.booking_id, "attended")
    tags = env.root.tags.resolve(WS, ["予約:来店"], create_missing=False)
    assert tags[0] in env.root.subscribers.get(WS, friend).tags
    with pytest.raises(ValidationFailed):
        env.service.mark(WS, booking.booking_id, "late")
    with pytest.raises(NotFound):
        env.service.get(WS, "bkg_nope")


def test_reschedule_moves_the_place_in_one_transaction(env: Any, friends: Any) -> None:
    menu_id, _ = _setup(env)
    one, two = friends(2)
    slots = env.service.slots(WS, menu_id, start_date=TUE, days=1)  # 10:00, 11:00, 12:00
    first = env.service.book(WS, {"menu_id": menu_id, "start": slots[0].start.isoformat()}, subscriber_id=one)
    env.service.book(WS, {"menu_id": menu_id, "start": slots[2].start.isoformat()}, subscriber_id=two)
    with pytest.raises(Conflict, match="すでに埋まりました"):  # 12:00 is taken: nothing changes
        env.service.reschedule(WS, first.booking_id, {"start": slots[2].start.isoformat()})
    assert env.service.get(WS, first.booking_id).status == "booked"
    half = slots[0].start + timedelta(minutes=30)
    with pytest.raises(Conflict):  # 10:30 is not a slot of a 60-minute menu from 10:00
        env.service.reschedule(WS, first.booking_id, {"start": half.isoformat()})
    moved = env.service.reschedule(WS, first.booking_id, {"start": slots[1].start.isoformat()})
    assert moved.rescheduled_from == first.booking_id and moved.subscriber_id == one
    assert env.service.get(WS, first.booking_id).status == "rescheduled"
    open_now = [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]
    assert open_now == [slots[0].start]  # 10:00 freed, 11:00 and 12:00 held
    assert "ご予約を変更しました" in env.messenger.sent[-1][1]
    with pytest.raises(Conflict):
        env.service.reschedule(WS, first.booking_id, {"start": slots[0].start.isoformat()})


def test_reschedule_onto_an_overlapping_slot_of_the_same_staff(env: Any, friends: Any) -> None:
    menu_id, _ = _setup(env)
    short = env.service.save_menu(WS, {"name": "前髪", "duration_minutes": 30}).menu_id
    (friend,) = friends(1)
    slots = env.service.slots(WS, short, start_date=TUE, days=1)  # 10:00, 10:30, ...
    booked = env.service.book(WS, {"menu_id": short, "start": slots[0].start.isoformat()}, subscriber_id=friend)
    moved = env.service.reschedule(WS, booked.booking_id, {"start": slots[1].start.isoformat()})
    assert moved.start == slots[1].start
    long_open = [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]
    assert slots[0].start not in long_open  # 10:00-11:00 overlaps 10:30
    assert next(s.start for s in env.service.slots(WS, short, start_date=TUE, days=1)) == slots[0].start


def test_a_staff_member_who_does_not_offer_the_menu_is_named(env: Any, friends: Any) -> None:
    menu_id, _ = _setup(env)
    other_menu = env.service.save_menu(WS, {"name": "カラー", "duration_minutes": 60}).menu_id
    only_color = env.service.save_staff(
        WS, {"name": "鈴木", "hours": {"tue": [["10:00", "12:00"]]}, "menu_ids": [other_menu]}
    ).staff_id
    (friend,) = friends(1)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start.isoformat()
    with pytest.raises(ValidationFailed, match="担当していません"):
        env.service.book(WS, {"menu_id": menu_id, "staff_id": only_color, "start": start}, subscriber_id=friend)
    with pytest.raises(NotFound, match="担当者が見つかりません"):
        env.service.book(WS, {"menu_id": menu_id, "staff_id": "bks_nope", "start": start}, subscriber_id=friend)
    assert env.service.calendar(WS, TUE, 1) == []
