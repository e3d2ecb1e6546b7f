"""Schedules: rate/cron parsing, scheduled events, one-time EventBridge Scheduler schedules against the clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from haishin import clock
from haishin_local.runtime.errors import TemplateRefused
from haishin_local.runtime.schedules import (
    Scheduler,
    cron_matches,
    parse_at,
    rate_seconds,
    scheduled_event,
    validate_cron,
)
from haishin_local.runtime.template import ScheduleSource, lambda_arn

START = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    c = clock.ManualClock(START)
    previous = clock.install(c)
    yield c
    clock.install(previous)


def test_rate_and_cron() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(2 hours)") == 7200
    assert rate_seconds("cron(0 * * * ? *)") is None
    assert cron_matches("cron(0/15 * * * ? *)", datetime(2025, 3, 1, 10, 30, tzinfo=UTC))
    assert not cron_matches("cron(0/15 * * * ? *)", datetime(2025, 3, 1, 10, 31, tzinfo=UTC))
    # 2025-03-01 is a Saturday (AWS day-of-week 7)
    assert cron_matches("cron(0 9 ? * SAT *)", datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    assert not cron_matches("cron(0 9 ? * MON-FRI *)", datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    with pytest.raises(TemplateRefused, match="StepTick"):
        validate_cron("cron(0 9 L * ? *)", "StepTick")


def test_scheduled_event_payload() -> None:
    source = ScheduleSource("StepTickFunction", "EveryMinute", "rate(1 minute)", rule_name="StepTickRule")
    event = scheduled_event(source, START)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2025-03-01T00:00:00Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/StepTickRule"]
    assert event["detail"] == {}
    with_input = ScheduleSource("F", "E", "rate(1 minute)", input='{"k": 1}')
    assert scheduled_event(with_input, START) == {"k": 1}


def test_parse_at_uses_the_time_zone() -> None:
    assert parse_at("at(2025-03-01T09:00:00)", "Asia/Tokyo") == START
    assert parse_at("at(2025-03-01T00:00:00)", None) == START
    assert parse_at("rate(1 minute)", None) is None


class FakeScheduler:
    def __init__(self) -> None:
        self.schedules: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, name: str, at: str, action: str = "DELETE", group: str = "g") -> None:
        self.schedules[(group, name)] = {
            "Name": name,
            "GroupName": group,
            "ScheduleExpression": f"at({at})",
            "ScheduleExpressionTimezone": "Asia/Tokyo",
            "State": "ENABLED",
            "ActionAfterCompletion": action,
            "Target": {"Arn": lambda_arn("PlannerFunction"), "Input": json.dumps({"broadcast_id": name})},
        }

    def list_schedule_groups(self, **_: Any) -> dict[str, Any]:
        return {"ScheduleGroups": [{"Name": g} for g in sorted({g for g, _ in self.schedules} | {"default"})]}

    def list_schedules(self, GroupName: str, **_: Any) -> dict[str, Any]:
        return {"Schedules": [{"Name": n, "State": "ENABLED"} for g, n in self.schedules if g == GroupName]}

    def get_schedule(self, Name: str, GroupName: str) -> dict[str, Any]:
        return self.schedules[(GroupName, Name)]

    def delete_schedule(self, Name: str, GroupName: str) -> None:
        del self.schedules[(GroupName, Name)]


def test_one_time_schedule_fires_when_due_and_is_deleted(manual: clock.ManualClock) -> None:
    calls: list[tuple[str, Any]] = []
    fake = FakeScheduler()
    fake.add("b1", "2025-03-01T09:05:00")
    fake.add("b2", "2025-03-01T09:05:00", action="NONE")
    fake.add("later", "2025-03-01T10:00:00")
    scheduler = Scheduler([], lambda fid, event: calls.append((fid, event)), lambda arn: arn.rsplit(":", 1)[-1], fake)
    assert scheduler.check_one_time() == 0
    manual.set(datetime(2025, 3, 1, 0, 5, tzinfo=UTC))
    assert scheduler.check_one_time() == 2
    assert sorted(calls, key=str) == [
        ("PlannerFunction", {"broadcast_id": "b1"}),
        ("PlannerFunction", {"broadcast_id": "b2"}),
    ]
    assert ("g", "b1") not in fake.schedules  # ActionAfterCompletion DELETE
    assert ("g", "b2") in fake.schedules  # NONE: kept, but never fired twice
    assert scheduler.check_one_time() == 0
    assert len(calls) == 2


def test_fire_all_invokes_each_enabled_rule() -> None:
    calls: list[str] = []
    sources = [
        ScheduleSource("Tick", "EveryMinute", "rate(1 minute)"),
        ScheduleSource("Off", "Never", "rate(1 minute)", enabled=False),
    ]
    scheduler = Scheduler(sources, lambda fid, event: calls.append(fid), lambda arn: None, FakeScheduler())
    scheduler.fire_all()
    assert calls == ["Tick"]


def test_a_cron_rule_fired_by_an_advance_is_not_fired_again_in_the_same_minute(manual: clock.ManualClock) -> None:
    calls: list[str] = []
    source = ScheduleSource("Tick", "EveryMinute", "cron(* * * * ? *)")
    scheduler = Scheduler([source], lambda fid, event: calls.append(fid), lambda arn: None, FakeScheduler())
    scheduler.fire_all()  # after a clock advance
    scheduler._fire_periodic_due()  # the loop, later in the same minute
    assert calls == ["Tick"]
    manual.advance(timedelta(minutes=1))
    scheduler._fire_periodic_due()  # the next minute
    assert calls == ["Tick", "Tick"]
