"""Step due times are whole minutes: a relative delay is rounded to the nearest whole minute (never before the moment
it is planned), so the tick of that minute sends it; "immediately" stays exact; day_at and quiet hours stay whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin.scenarios.models import parse_scenario
from haishin.scenarios.schedule import WorkspaceRules
from haishin.scenarios.simulator import Friend, simulate
from haishin.scenarios.timing import QuietHours, nearest_minute, step_due
from tests.unit.scenarios.step_harness import StepWorld

TOKYO = ZoneInfo("Asia/Tokyo")
AT_0900 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TWO_STEPS = {"name": "lag", "steps": [
    {"id": "s1", "timing": {"type": "after", "amount": 3, "unit": "minutes"}, "line": [{"type": "text", "text": "1"}]},
    {"id": "s2", "timing": {"type": "after", "amount": 4, "unit": "minutes"}, "line": [{"type": "text", "text": "2"}]},
]}


def step(timing: dict[str, Any]) -> Any:
    return parse_scenario({"name": "x", "steps": [
        {"id": "a", "timing": timing, "line": [{"type": "text", "text": "a"}]}]}).steps[0]


def due(timing: dict[str, Any], enrolled_at: datetime, *, previous_due: datetime | None = None,
        planned_at: datetime | None = None, quiet: QuietHours | None = None) -> datetime | None:
    return step_due(step(timing), enrolled_at=enrolled_at, previous_due=previous_due, fields={}, tz=TOKYO,
                    quiet=quiet or QuietHours(), planned_at=planned_at).at


def sec(seconds: float) -> datetime:
    return AT_0900 + timedelta(seconds=seconds)


def test_a_relative_delay_is_rounded_to_the_nearest_whole_minute() -> None:
    three = {"type": "after", "amount": 3, "unit": "minutes"}
    assert due(three, sec(29)) == sec(180)  # 09:03:29 -> 09:03
    assert due(three, sec(29.999)) == sec(180)
    assert due(three, sec(30)) == sec(240)  # 09:03:30 -> 09:04
    assert due(three, sec(0)) == sec(180)  # already whole
    hours = {"type": "after", "amount": 2, "unit": "hours", "from": "enrollment"}
    assert due(hours, sec(45)) == sec(2 * 3600 + 60)
    # from the previous step's scheduled time, with seconds (e.g. an "immediately" step at a follow at 09:00:40)
    assert due({"type": "after", "amount": 1, "unit": "minutes"}, sec(0), previous_due=sec(40)) == sec(120)


def test_rounding_never_makes_a_step_due_before_it_is_planned() -> None:
    five = {"type": "after", "amount": 5, "unit": "minutes"}
    # previous step due 09:00:20, taken late by the 09:05:10 tick: exact 09:05:20, nearest 09:05 is in the past
    assert due(five, sec(0), previous_due=sec(20), planned_at=sec(310)) == sec(360)
    # planned before the nearest minute: nearest stands
    assert due(five, sec(0), previous_due=sec(20), planned_at=sec(290)) == sec(300)
    # exact already past when planned (catch-up): whole minute, sent at once as before
    assert due(five, sec(0), previous_due=sec(20), planned_at=sec(900)) == sec(300)
    assert nearest_minute(sec(310), not_before=sec(310)) == sec(300 + 60)
    assert nearest_minute(sec(300), not_before=sec(300)) == sec(300)


def test_immediately_and_clock_times_keep_their_exact_times() -> None:
    assert due({"type": "immediately"}, sec(29)) == sec(29)  # the events consumer sends it at once
    assert due({"type": "after", "amount": 0, "unit": "minutes"}, sec(29)) == sec(29)
    at = due({"type": "day_at", "day": 1, "at": "18:30"}, sec(29))
    assert at == datetime(2026, 1, 6, 18, 30, tzinfo=TOKYO)
    # a rounded due inside quiet hours moves to the window's end, a whole minute
    quiet = QuietHours.parse("18:00", "19:00")  # 09:00 UTC = 18:00 Tokyo
    assert due({"type": "after", "amount": 3, "unit": "minutes"}, sec(29), quiet=quiet) == \
        datetime(2026, 1, 5, 19, 0, tzinfo=TOKYO)


def test_the_tick_of_the_rounded_minute_sends_the_step_and_the_ledger_says_that_minute(aws: Any,
                                                                                          manual_clock: Any) -> None:
    manual_clock.set(sec(29))  # a follow at 09:00:29: step 1 is due 09:03 (not 09:03:29), step 2 at 09:07
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, TWO_STEPS)
    friend = world.friend(ws, "U1")
    world.enroll(ws, friend, scenario)

    manual_clock.set(sec(120))
    assert world.tick().enqueued == 0
    manual_clock.set(sec(180))  # the 09:03 tick, at 09:03:00
    report = world.tick()
    assert report.enqueued == 1
    assert str(world.waiting[0].scheduled_at).startswith("2026-01-05T09:03:00")
    world.drain()
    assert [r.user_id for r in world.line.received] == ["U1"]

    manual_clock.set(sec(420))  # the 09:07 tick: step 2 is 4 minutes after step 1's scheduled 09:03
    assert world.tick().enqueued == 1
    assert str(world.waiting[0].scheduled_at).startswith("2026-01-05T09:07:00")


def test_the_simulator_shows_the_same_whole_minutes() -> None:
    rows = simulate(parse_scenario(TWO_STEPS), Friend(set(), {}, sec(30)),
                    WorkspaceRules("Asia/Tokyo", QuietHours()), now=sec(0))
    assert [row["due"] for row in rows] == [sec(240).isoformat(), sec(480).isoformat()]
