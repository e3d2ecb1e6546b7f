"""Per-menu capacity (a room or machine shared by every staff member) under concurrency, and the unit counters' TTL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from bookings_env import WS

from haishin.bookings.models import UnitModel, menu_unit_pk, unit_pk
from haishin.errors import Conflict, ValidationFailed
from haishin.storage.base import iso

TUE = date(2026, 1, 6)
HOURS = {"tue": [["10:00", "13:00"]]}


def _two_staff_one_room(env: Any, *, room: int = 1) -> str:
    menu = env.service.save_menu(WS, {"name": "脱毛", "duration_minutes": 60, "capacity": room})
    for name in ("佐藤", "鈴木", "高橋"):
        env.service.save_staff(WS, {"name": name, "capacity": 1, "hours": HOURS})
    return menu.menu_id


def test_menu_capacity_closes_the_slot_for_every_staff_member(env: Any, friends: Any) -> None:
    menu_id = _two_staff_one_room(env)
    other = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60}).menu_id
    one, two, three = friends(3)
    slots = env.service.slots(WS, menu_id, start_date=TUE, days=1)
    ten = slots[0].start
    assert {s.staff_id for s in slots if s.start == ten} and all(s.remaining == 1 for s in slots)
    first = env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=one)
    # the room is taken at 10:00: no staff member offers the menu then, but other menus still can
    assert ten not in [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]
    with pytest.raises(Conflict, match="すでに埋まりました"):
        env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=two)
    other_staff = [s.staff_id for s in env.service.slots(WS, other, start_date=TUE, days=1) if s.start == ten]
    assert len(other_staff) == 2 and first.staff_id not in other_staff
    env.service.book(WS, {"menu_id": other, "start": ten.isoformat()}, subscriber_id=three)
    # a cancel frees the room once
    env.service.cancel(WS, first.booking_id, by_staff=True)
    assert ten in [s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)]
    env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=two)


def test_reschedule_moves_the_room_too(env: Any, friends: Any) -> None:
    menu_id = _two_staff_one_room(env)
    one, two = friends(2)
    ten, eleven = (s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)[::3][:2])
    booked = env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=one)
    env.service.reschedule(WS, booked.booking_id, {"start": eleven.isoformat()})
    open_now = {s.start for s in env.service.slots(WS, menu_id, start_date=TUE, days=1)}
    assert ten in open_now and eleven not in open_now
    with pytest.raises(Conflict):
        env.service.book(WS, {"menu_id": menu_id, "start": eleven.isoformat()}, subscriber_id=two)


def test_a_menu_capacity_set_after_bookings_never_blocks_their_cancel(env: Any, friends: Any) -> None:
    menu = env.service.save_menu(WS, {"name": "脱毛", "duration_minutes": 60})
    env.service.save_staff(WS, {"name": "佐藤", "capacity": 2, "hours": HOURS})
    (friend,) = friends(1)
    ten = env.service.slots(WS, menu.menu_id, start_date=TUE, days=1)[0].start
    booked = env.service.book(WS, {"menu_id": menu.menu_id, "start": ten.isoformat()}, subscriber_id=friend)
    env.service.save_menu(WS, {"name": "脱毛", "duration_minutes": 60, "capacity": 1}, menu.menu_id)
    assert env.service.cancel(WS, booked.booking_id, by_staff=True).status == "canceled"


def test_menu_capacity_is_validated_in_japanese(env: Any) -> None:
    with pytest.raises(ValidationFailed, match="5 時間以内"):
        env.service.save_menu(WS, {"name": "一日講座", "duration_minutes": 330, "capacity": 3})
    with pytest.raises(ValidationFailed):
        env.service.save_menu(WS, {"name": "x", "duration_minutes": 60, "capacity": 0})
    assert env.service.list_menus(WS) == []


@pytest.mark.parametrize(("room", "racers"), [(1, 50), (2, 50)])
@pytest.mark.parametrize("stale_reads", [False, True])
def test_racing_friends_get_exactly_the_menu_capacity(
    env: Any,
    friends: Any,
    atomic_requests: None,
    monkeypatch: pytest.MonkeyPatch,
    room: int,
    racers: int,
    stale_reads: bool,
) -> None:
    """Three staff free at 10:00, a room for ``room``: 50 friends book 指名なし at once -> exactly ``room``
    bookings. With ``stale_reads`` every read says all is free: only the conditional writes decide."""
    menu_id = _two_staff_one_room(env, room=room)
    people = friends(racers)
    start = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start.isoformat()
    if stale_reads:
        monkeypatch.setattr(env.service.repository, "unit_counts", lambda *a, **k: {})
        monkeypatch.setattr(env.service.repository, "menu_unit_counts", lambda *a, **k: {})

    def attempt(friend: str) -> str:
        try:
            env.service.book(WS, {"menu_id": menu_id, "start": start}, subscriber_id=friend)
        except Conflict:
            return "taken"
        return "booked"

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, people))
    assert results.count("booked") == room
    assert len({b.staff_id for b in env.service.calendar(WS, TUE, 1) if b.status == "booked"}) == room


def test_unit_counters_expire_thirty_days_after_the_unit(env: Any, friends: Any) -> None:
    menu_id = _two_staff_one_room(env)
    (friend,) = friends(1)
    ten = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booked = env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=friend)
    for pk in (unit_pk(WS, booked.staff_id), menu_unit_pk(WS, menu_id)):
        unit = UnitModel.get(pk, iso(ten))
        assert unit.held == 1
        assert unit.expires_at == int((ten + timedelta(minutes=15) + timedelta(days=30)).timestamp())
