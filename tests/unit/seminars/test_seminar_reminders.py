"""Reminders through the one scenario engine: the event's reminder scenario has steps timed from the friend's
``seminar_start`` field (relative_to_date with ``minutes``: a day and an hour before). Each arrives once, at its
time; a friend moved to another session gets them for the new start; a cancelled friend gets none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from haishin import clock, wiring
from haishin.seminars.inputs import SeminarIn, SessionIn
from tests.unit.scenarios.step_harness import StepWorld

WS = "w_sem_rem"

REMINDERS = {
    "id": "sem-reminders",
    "name": "セミナーリマインド",
    "steps": [
        {
            "id": "day",
            "timing": {"type": "relative_to_date", "field": "seminar_start", "days": 0, "minutes": -1440},
            "line": [{"type": "text", "text": "明日は{{ fields.seminar_title }}です"}],
        },
        {
            "id": "hour",
            "timing": {"type": "relative_to_date", "field": "seminar_start", "days": 0, "minutes": -60},
            "line": [{"type": "text", "text": "1時間後に開始します"}],
        },
    ],
}


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> Iterator[StepWorld]:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))  # 12:00 JST
    built = StepWorld()
    built.workspace(WS)
    previous = wiring.install(built.services)
    try:
        yield built
    finally:
        wiring.install(previous)


def received(world: StepWorld, user: str) -> list[tuple[str, str]]:
    return [(r.at.astimezone(UTC).strftime("%m-%d %H:%M"), r.messages[0]["text"]) for r in world.line.of(user)]


def test_reminders_once_at_their_times_and_they_follow_a_move(world: StepWorld) -> None:
    world.scenario(WS, REMINDERS)
    seminars = world.services.seminars
    event = seminars.create(WS, SeminarIn(title="集客セミナー", reminder_scenario_id="sem-reminders"))
    first = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 7, 19), ends_at=datetime(2026, 1, 7, 21), venue="渋谷", capacity=5),
    )
    later = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 9, 19), ends_at=datetime(2026, 1, 9, 21), venue="渋谷", capacity=5),
    )
    stays = world.friend(WS, "U" + "1" * 32)
    moves = world.friend(WS, "U" + "2" * 32)
    quits = world.friend(WS, "U" + "3" * 32)
    seminars.register(WS, event.event_id, first.session_id, stays)
    moving = seminars.register(WS, event.event_id, first.session_id, moves)
    quitting = seminars.register(WS, event.event_id, first.session_id, quits)
    seminars.cancel(WS, event.event_id, quitting.registration_id)
    world.run_for(timedelta(hours=12))
    seminars.move(WS, event.event_id, moving.registration_id, later.session_id)
    world.run_for(timedelta(days=5))
    # 19:00 JST = 10:00 UTC: a day before at 01-06 10:00 UTC, an hour before at 01-07 09:00 UTC
    assert received(world, "U" + "1" * 32) == [
        ("01-06 10:00", "明日は集客セミナーです"),
        ("01-07 09:00", "1時間後に開始します"),
    ]
    assert received(world, "U" + "2" * 32) == [
        ("01-08 10:00", "明日は集客セミナーです"),
        ("01-09 09:00", "1時間後に開始します"),
    ]
    assert received(world, "U" + "3" * 32) == []
    assert clock.now() > datetime(2026, 1, 9, 10, tzinfo=UTC)
