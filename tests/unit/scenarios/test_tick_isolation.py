"""The step tick isolates each enrollment: one that fails is counted, logged and retried later; the others are
enqueued and the watermark moves on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from haishin.scenarios.timing import floor_minute, minute_key
from tests.unit.scenarios.step_harness import StepWorld

ONE_STEP = {"name": "welcome", "steps": [{"id": "hello", "timing": {"type": "immediately"},
                                          "line": [{"type": "text", "text": "ようこそ"}]}]}


def test_one_failing_enrollment_neither_stalls_the_others_nor_the_watermark(aws: Any, manual_clock: Any,
                                                                            monkeypatch: Any) -> None:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, ONE_STEP)
    friends = [world.friend(ws, f"U{i}") for i in range(3)]
    for friend in friends:
        world.enroll(ws, friend, scenario)
    bad = friends[1]
    ledger = world.services.tick.ledger
    real = ledger.record_enqueued

    def flaky(**kwargs: Any) -> bool:
        if kwargs.get("subscriber_id") == bad:
            raise RuntimeError("ProvisionedThroughputExceeded on one item")
        return real(**kwargs)

    monkeypatch.setattr(ledger, "record_enqueued", flaky)
    manual_clock.set(manual_clock.now() + timedelta(minutes=2))
    report = world.tick()
    assert report.errors == 1 and report.failed == 0
    assert sorted(m.recipients[0] for m in world.waiting) == sorted([friends[0], friends[2]])
    assert report.watermark == minute_key(floor_minute(manual_clock.now()) - timedelta(minutes=1))
    enrollment = world.services.enrollments.get(ws, bad, scenario.id)
    assert enrollment.status == "active" and any("tick error" in n for n in enrollment.notes)

    monkeypatch.setattr(ledger, "record_enqueued", real)  # the fault passes: the next ticks retry it, once
    for _ in range(4):
        manual_clock.set(manual_clock.now() + timedelta(minutes=1))
        world.tick()
    world.drain()
    assert sorted(r.user_id for r in world.line.received) == ["U0", "U1", "U2"]
