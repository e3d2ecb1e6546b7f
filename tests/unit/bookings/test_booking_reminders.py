"""Reminders through the scenario engine: a scenario starting on ``booking_created`` with a step timed
``relative_to_date`` on the friend's ``booking_date`` field (the evening before at 18:00) sends once; a cancel stops
it (``booking_canceled``); a new booking after a cancel (a reschedule) moves it to the new date. The real tick,
delivery worker and (fake) LINE of the step harness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from haishin import wiring
from tests.unit.scenarios.step_harness import StepWorld

WS = "w_remind"
USER = "U" + "r" * 32
REMINDER = {
    "name": "予約リマインド",
    "triggers": [{"type": "booking_created"}],
    "stop_on": [{"type": "booking_canceled"}],
    "restart": "restart",
    "steps": [
        {
            "id": "eve",
            "timing": {"type": "relative_to_date", "field": "booking_date", "days": -1, "at": "18:00"},
            "line": [
                {"type": "text", "text": "明日 {{ fields.booking_time }} から{{ fields.booking_menu }}のご予約です"}
            ],
        }
    ],
}


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> Iterator[StepWorld]:
    built = StepWorld()
    built.workspace(WS)
    previous = wiring.install(built.services)
    try:
        yield built
    finally:
        wiring.install(previous)


def _setup(world: StepWorld) -> tuple[Any, str, str]:
    bookings = world.services.bookings
    menu = bookings.save_menu(WS, {"name": "カット", "duration_minutes": 60})
    bookings.save_staff(
        WS,
        {"name": "佐藤", "hours": {d: [["10:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
    )
    world.scenario(WS, REMINDER)
    return bookings, menu.menu_id, world.friend(WS, USER)


def _book(bookings: Any, menu_id: str, friend: str, day: date) -> Any:
    slot = bookings.slots(WS, menu_id, start_date=day, days=1)[0]
    return bookings.book(WS, {"menu_id": menu_id, "start": slot.start.isoformat()}, subscriber_id=friend)


def _texts(world: StepWorld) -> list[tuple[datetime, str]]:
    return [(r.at, r.text) for r in world.line.of(USER)]


def test_the_reminder_comes_once_the_evening_before(world: StepWorld) -> None:
    bookings, menu_id, friend = _setup(world)
    _book(bookings, menu_id, friend, date(2026, 1, 8))  # Thursday 10:00 JST
    world.run_for(timedelta(days=4))
    reminders = [(at, text) for at, text in _texts(world) if text.startswith("明日")]
    assert [text for _, text in reminders] == ["明日 10:00 からカットのご予約です"]
    assert reminders[0][0] == datetime(2026, 1, 7, 9, 0, tzinfo=UTC)  # Wednesday 18:00 JST
    assert sum("ご予約を承りました" in text for _, text in _texts(world)) == 1


def test_a_cancel_stops_it_and_a_new_booking_moves_it(world: StepWorld) -> None:
    bookings, menu_id, friend = _setup(world)
    first = _book(bookings, menu_id, friend, date(2026, 1, 8))
    bookings.cancel(WS, first.booking_id, by_staff=False)
    world.run_for(timedelta(days=1))
    assert not [t for _, t in _texts(world) if t.startswith("明日")]
    _book(bookings, menu_id, friend, date(2026, 1, 10))  # rebooked on Saturday
    world.run_for(timedelta(days=6))
    reminders = [(at, text) for at, text in _texts(world) if text.startswith("明日")]
    assert len(reminders) == 1 and reminders[0][0] == datetime(2026, 1, 9, 9, 0, tzinfo=UTC)  # Friday 18:00 JST


def test_a_rescheduled_booking_moves_the_reminder(world: StepWorld) -> None:
    bookings, menu_id, friend = _setup(world)
    first = _book(bookings, menu_id, friend, date(2026, 1, 8))  # Thursday
    later = bookings.slots(WS, menu_id, start_date=date(2026, 1, 10), days=1)[1]  # Saturday 11:00
    bookings.reschedule(WS, first.booking_id, {"start": later.start.isoformat()})
    world.run_for(timedelta(days=6))
    reminders = [(at, text) for at, text in _texts(world) if text.startswith("明日")]
    assert reminders == [(datetime(2026, 1, 9, 9, 0, tzinfo=UTC), "明日 11:00 からカットのご予約です")]
    assert sum("ご予約を変更しました" in text for _, text in _texts(world)) == 1


def _reminders(world: StepWorld) -> list[tuple[datetime, str]]:
    return [(at, text) for at, text in _texts(world) if text.startswith("明日")]


def test_two_future_bookings_each_get_their_reminder(world: StepWorld) -> None:
    bookings, menu_id, friend = _setup(world)
    _book(bookings, menu_id, friend, date(2026, 1, 10))  # Saturday, booked first
    _book(bookings, menu_id, friend, date(2026, 1, 8))  # Thursday, booked second: it is the next one
    assert world.services.subscribers.get(WS, friend).fields["booking_date"] == "2026-01-08"
    world.run_for(timedelta(days=3, hours=3))  # to Thursday 12:00 JST: Thursday's booking is over
    bookings.slots(WS, menu_id, start_date=date(2026, 1, 12), days=1)  # any slot read moves the fields on
    assert world.services.subscribers.get(WS, friend).fields["booking_date"] == "2026-01-10"
    world.run_for(timedelta(days=3))
    assert _reminders(world) == [
        (datetime(2026, 1, 7, 9, 0, tzinfo=UTC), "明日 10:00 からカットのご予約です"),  # Wednesday 18:00 JST
        (datetime(2026, 1, 9, 9, 0, tzinfo=UTC), "明日 10:00 からカットのご予約です"),  # Friday 18:00 JST
    ]


def test_cancelling_the_later_booking_keeps_the_next_ones_reminder(world: StepWorld) -> None:
    bookings, menu_id, friend = _setup(world)
    _book(bookings, menu_id, friend, date(2026, 1, 8))
    later = _book(bookings, menu_id, friend, date(2026, 1, 10))
    bookings.cancel(WS, later.booking_id, by_staff=True)  # booking_canceled stops the scenario: it restarts
    world.run_for(timedelta(days=6))
    assert _reminders(world) == [(datetime(2026, 1, 7, 9, 0, tzinfo=UTC), "明日 10:00 からカットのご予約です")]


def test_marking_attendance_moves_the_fields_to_the_following_booking(world: StepWorld) -> None:
    bookings, menu_id, friend = _setup(world)
    first = _book(bookings, menu_id, friend, date(2026, 1, 6))  # Tuesday
    _book(bookings, menu_id, friend, date(2026, 1, 9))  # Friday
    world.run_for(timedelta(days=1, hours=2))  # Tuesday 11:00 JST: the first is over
    bookings.mark(WS, first.booking_id, "attended")
    assert world.services.subscribers.get(WS, friend).fields["booking_date"] == "2026-01-09"
    world.run_for(timedelta(days=4))
    assert [at for at, _ in _reminders(world)] == [
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),  # Monday 18:00 JST for Tuesday
        datetime(2026, 1, 8, 9, 0, tzinfo=UTC),  # Thursday 18:00 JST for Friday
    ]
