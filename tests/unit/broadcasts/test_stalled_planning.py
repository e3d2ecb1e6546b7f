"""A broadcast stuck in planning (its slice messages lost, no progress) is found by the step tick's sweep and
resumed exactly once; scheduled broadcasts' schedules have a dead-letter queue."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from haishin.broadcasts.models import PlanningWatchModel
from haishin.broadcasts.scheduling import BroadcastScheduler
from haishin.config import reset_settings_cache
from tests.support import template as tpl
from tests.unit.broadcasts.harness import BroadcastWorld, user_id


def test_a_broadcast_stalled_in_planning_is_resumed_once_and_finishes(aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 700)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.planner.handle(world.planner_queue.bodies.pop(0))  # the start: scheduled -> planning, slices queued
    first_slices = world.planner_queue.bodies[:3]
    world.planner_queue.bodies.clear()  # ... and then lost (a crash before SendMessageBatch returned, say)
    for body in first_slices:  # a few slices ran before the loss
        world.planner.handle(body)
    assert world.view(ws, broadcast_id)["status"] == "planning"

    assert world.planner.resume_stalled()["resumed"] == 0  # progress a moment ago: not stalled
    manual_clock.set(manual_clock.now() + timedelta(minutes=16))
    assert world.planner.resume_stalled()["resumed"] == 1
    resumed = list(world.planner_queue.bodies)
    assert {b["slice"] for b in resumed}.isdisjoint({b["slice"] for b in first_slices})  # only the slices not done
    assert world.planner.resume_stalled()["resumed"] == 0  # the same stall is resumed once
    world.plan()
    world.drain()
    per_user = Counter(r.user_id for r in world.line.received)
    assert len(per_user) == 700 and set(per_user.values()) == {1} and user_id(0) in per_user
    view = world.view(ws, broadcast_id)
    assert view["status"] == "done" and view["progress"]["sent"] == 700
    assert list(PlanningWatchModel.query("system#broadcasts_planning")) == []  # nothing left to watch
    assert world.planner.resume_stalled() == {"watched": 0, "resumed": 0, "finished": 0}


def test_schedules_send_failed_invocations_to_a_dead_letter_queue(aws: Any, manual_clock: Any,
                                                                  monkeypatch: Any) -> None:
    env = tpl.functions()
    admin = next(f for f in env if f.logical_id == "AdminApiFunction")
    variables = admin.properties["Environment"]["Variables"]
    assert variables["SCHEDULER_DLQ_ARN"] == {"Fn::GetAtt": ["BroadcastScheduleDeadLetterQueue", "Arn"]}
    planner = next(f for f in env if f.logical_id == "BroadcastPlannerFunction")
    # Scheduler's DLQ catches invocations Lambda refused; one Lambda accepted and then failed lands there too
    assert planner.properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS", "Destination": {"Fn::GetAtt": ["BroadcastScheduleDeadLetterQueue", "Arn"]}}
    role = tpl.resources()["SchedulerInvokeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert any(s["Action"] == "sqs:SendMessage" and s["Resource"] == {
        "Fn::GetAtt": ["BroadcastScheduleDeadLetterQueue", "Arn"]} for s in role)

    dlq_arn = "arn:aws:sqs:us-east-1:123456789012:BroadcastScheduleDeadLetterQueue"
    monkeypatch.setenv("SCHEDULER_DLQ_ARN", dlq_arn)
    reset_settings_cache()
    try:
        scheduler = BroadcastScheduler()
        request = scheduler._request("ws1", "bc_1", manual_clock.now() + timedelta(hours=1), "Asia/Tokyo")
        assert request["Target"]["DeadLetterConfig"] == {"Arn": dlq_arn}
    finally:
        monkeypatch.delenv("SCHEDULER_DLQ_ARN")
        reset_settings_cache()
