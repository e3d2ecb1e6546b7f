"""Timed steps from a strongly consistent source: the step tick reads base-table due pointers with ConsistentRead
(no GSI, no margin), so a step due at 09:00 leaves with the 09:00 tick; a stale pointer sends nothing; catch-up holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import pytest

from haishin.scenarios.enrollments import DuePointerModel, EnrollmentModel, due_pointer
from haishin.scenarios.timing import minute_key
from haishin_local import restore_due_pointers
from tests.unit.scenarios.step_harness import StepWorld

AT_0800 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
AT_0900 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AN_HOUR_LATER = {"name": "later", "steps": [
    {"id": "later", "timing": {"type": "after", "amount": 1, "unit": "hours"},
     "line": [{"type": "text", "text": "1時間後"}]}]}
TWO_STEPS = {"name": "two", "steps": [
    {"id": "first", "timing": {"type": "immediately"}, "line": [{"type": "text", "text": "最初"}]},
    {"id": "second", "timing": {"type": "after", "amount": 1, "unit": "hours"},
     "line": [{"type": "text", "text": "2通目"}]}]}


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request made (operation, parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    real = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params))
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield calls


def pointers() -> list[DuePointerModel]:
    return [p for p in DuePointerModel.scan() if p.pk.startswith("due#")]


def test_a_step_due_at_0900_leaves_with_the_0900_tick_read_consistently(aws: Any, manual_clock: Any,
                                                                         dynamodb_calls: Any) -> None:
    manual_clock.set(AT_0800)
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, AN_HOUR_LATER)
    friend = world.friend(ws, "U1")
    world.enroll(ws, friend, scenario)
    assert world.tick().enqueued == 0  # 08:00: nothing due yet

    manual_clock.set(AT_0900)
    dynamodb_calls.clear()
    report = world.tick()
    assert report.enqueued == 1 and [m.recipients for m in world.waiting] == [[friend]]
    assert world.waiting[0].scheduled_at.startswith("2026-01-05T09:00:00")
    assert report.watermark == minute_key(AT_0900 - timedelta(minutes=1))  # no margin: every earlier minute is done
    due_reads = [params for op, params in dynamodb_calls if op == "Query" and any(
        str(value.get("S", "")).startswith("due#") for value in params["ExpressionAttributeValues"].values())]
    assert due_reads  # the 09:00 minute (the harness skips the shards it knows are empty)
    assert all(q.get("ConsistentRead") is True and "IndexName" not in q for q in due_reads)
    gets = [params for op, params in dynamodb_calls if op == "BatchGetItem"]
    assert gets and all(table.get("ConsistentRead") is True for g in gets for table in g["RequestItems"].values())
    world.drain()
    assert [r.user_id for r in world.line.received] == ["U1"]


def test_a_stale_pointer_sends_nothing(aws: Any, manual_clock: Any) -> None:
    manual_clock.set(AT_0900)
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, TWO_STEPS)
    advanced, stopped = world.friend(ws, "U1"), world.friend(ws, "U2")
    world.enroll(ws, advanced, scenario)
    assert world.tick().enqueued == 1  # U1's first step; U1 now waits for 10:00
    world.enroll(ws, stopped, scenario)
    manual_clock.set(AT_0900 + timedelta(minutes=1))
    assert world.tick().enqueued == 1  # U2's first step
    world.drain()
    world.services.scenario_service.stop(ws, stopped, scenario.id, reason="test")
    assert len(pointers()) == 4  # both first-step pointers and both 10:00 pointers stay until they expire

    # the 09:00 and 09:01 minutes read again (as after a failed minute): the advanced enrollment's old pointer
    # sends nothing
    world.services.enrollments.save_tick_watermark(AT_0900 - timedelta(minutes=1))
    manual_clock.set(AT_0900 + timedelta(minutes=5))
    report = world.tick()
    assert (report.items_read, report.enqueued, report.raced) == (0, 0, 0)

    manual_clock.set(AT_0900 + timedelta(hours=1, minutes=1))  # 10:01: only the live pointer is taken
    report = world.tick()
    assert report.enqueued == 1 and [m.recipients for m in world.waiting] == [[advanced]]
    world.drain()
    assert [(r.user_id, r.text) for r in world.line.received] == [("U1", "最初"), ("U2", "最初"), ("U1", "2通目")]


def test_catch_up_after_missed_minutes_sends_each_step_once(aws: Any, manual_clock: Any) -> None:
    manual_clock.set(AT_0800)
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, AN_HOUR_LATER)
    world.tick()
    friends = []
    for i, minutes in enumerate((0, 3, 7)):  # due 09:00, 09:03, 09:07
        manual_clock.set(AT_0800 + timedelta(minutes=minutes))
        friends.append(world.friend(ws, f"U{i}"))
        world.enroll(ws, friends[-1], scenario)
    manual_clock.set(AT_0900 + timedelta(minutes=10))  # no tick from 08:01 to 09:09: 08:00..09:10 are read
    report = world.tick()
    assert report.enqueued == 3 and report.minutes == 71 and report.caught_up
    assert report.watermark == minute_key(AT_0900 + timedelta(minutes=9))
    manual_clock.set(AT_0900 + timedelta(minutes=11))
    assert world.tick().enqueued == 0
    world.drain()
    assert sorted(r.user_id for r in world.line.received) == ["U0", "U1", "U2"]


def test_a_refused_enrollment_write_writes_no_pointer(aws: Any, manual_clock: Any) -> None:
    manual_clock.set(AT_0800)
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, AN_HOUR_LATER)
    friend = world.friend(ws, "U1")
    item = world.enroll(ws, friend, scenario)
    assert [p.sk for p in pointers()] == [item.due_sk]
    repo = world.services.enrollments
    stale = repo.get(ws, friend, scenario.id)
    assert stale is not None
    repo.save_if_unchanged(repo.get(ws, friend, scenario.id), read_seq=int(stale.seq))  # another writer first
    stale.due_pk = f"due#{minute_key(AT_0900 + timedelta(minutes=30))}#0"
    assert repo.save_if_unchanged(stale, read_seq=int(stale.seq)) is False
    assert [p.sk for p in pointers()] == [item.due_sk]  # the transaction wrote neither the item nor its pointer
    stored = EnrollmentModel.get(item.pk, item.sk, consistent_read=True)
    assert due_pointer(stored) is not None and stored.due_pk == item.due_pk


def test_enrollments_from_before_the_change_get_their_pointers_once(aws: Any, manual_clock: Any, capsys: Any) -> None:
    """Upgrading from the due GSI: an enrollment that names a bucket but has no pointer item is found by the tick
    after ``restore_due_pointers`` (a future bucket as named, a passed one moved to the next minute), once."""
    manual_clock.set(AT_0800)
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, AN_HOUR_LATER)
    future, passed = world.friend(ws, "U1"), world.friend(ws, "U2")
    world.enroll(ws, future, scenario)  # due 09:00
    manual_clock.set(AT_0800 - timedelta(minutes=30))
    world.enroll(ws, passed, scenario)  # due 08:30
    for pointer in pointers():
        pointer.delete()  # as the GSI era left them: no pointer items
    manual_clock.set(AT_0800 + timedelta(minutes=31))
    world.services.enrollments.save_tick_watermark(AT_0800 + timedelta(minutes=30))  # the tick ran meanwhile
    assert world.tick().enqueued == 0  # without pointers nothing is found

    repo = world.services.enrollments
    assert restore_due_pointers.main([]) == 0  # the operator's command
    assert json.loads(capsys.readouterr().out) == {"waiting": 2, "pointers": 1, "moved": 1, "raced": 0}
    manual_clock.set(AT_0800 + timedelta(minutes=32))
    report = world.tick()
    assert report.enqueued == 1 and [m.recipients for m in world.waiting] == [[passed]]
    assert world.waiting[0].scheduled_at.startswith("2026-01-05T08:30:00")  # the due time is kept
    assert repo.restore_due_pointers() == {"waiting": 1, "pointers": 1, "moved": 0, "raced": 0}  # repeatable
    manual_clock.set(AT_0900)
    assert world.tick().enqueued == 1
    world.drain()
    assert sorted(r.user_id for r in world.line.received) == ["U1", "U2"]
