"""Scheduling (EventBridge Scheduler in moto), quota policy, validation naming the field, uploaded ID lists."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from haishin.broadcasts.audience import check_list, save_list
from haishin.broadcasts.scheduling import BroadcastScheduler
from haishin.broadcasts.service import BroadcastInput
from haishin.config import settings
from haishin.errors import Conflict, ValidationFailed
from haishin.subscribers.models import AliasModel, SubscriberModel, alias_pk
from haishin.workspaces.models import WorkspaceModel, workspace_pk
from tests.unit.broadcasts.harness import CHANNEL, BroadcastWorld, QuotaLine, user_id


def scheduler_in_moto() -> tuple[Any, str]:
    """EventBridge Scheduler in moto, with the schedule group the template creates."""
    client = boto3.client("scheduler", region_name="us-east-1")
    group = settings().scheduler_group
    if group != "default":
        client.create_schedule_group(Name=group)
    return client, group


def test_schedule_edit_and_cancel_manage_one_eventbridge_schedule(aws, manual_clock):
    client, group = scheduler_in_moto()
    world = BroadcastWorld(scheduler=BroadcastScheduler(client))
    ws = world.workspace()
    world.friends(ws, 3)
    broadcast_id = world.create(ws)
    world.service.schedule(ws, broadcast_id, "2026-01-10T09:30")
    schedule = client.get_schedule(Name=f"bc-{broadcast_id}", GroupName=group)
    assert schedule["ScheduleExpression"] == "at(2026-01-10T09:30:00)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Tokyo"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == settings().broadcast_planner_arn
    assert schedule["Target"]["RoleArn"] == settings().scheduler_role_arn
    assert json.loads(schedule["Target"]["Input"]) == {"broadcast_id": broadcast_id, "workspace_id": ws}
    view = world.view(ws, broadcast_id)
    assert view["status"] == "scheduled" and view["send_at"].startswith("2026-01-10T00:30")
    world.service.schedule(ws, broadcast_id, "2026-01-11T08:00")  # an edit moves it
    moved = client.get_schedule(Name=f"bc-{broadcast_id}", GroupName=group)
    assert moved["ScheduleExpression"] == "at(2026-01-11T08:00:00)"
    # a stale invocation (the old time) does not start it
    assert world.planner.start(ws, broadcast_id) == "not_yet"
    world.service.cancel(ws, broadcast_id)
    with pytest.raises(Exception) as gone:
        client.get_schedule(Name=f"bc-{broadcast_id}", GroupName=group)
    assert type(gone.value).__name__ == "ResourceNotFoundException"
    assert world.view(ws, broadcast_id)["status"] == "cancelled"


def test_schedule_in_the_past_names_the_field(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    broadcast_id = world.create(ws)
    with pytest.raises(ValidationFailed) as raised:
        world.service.schedule(ws, broadcast_id, "2026-01-01T09:00")
    assert raised.value.where == "at"
    with pytest.raises(ValidationFailed) as bad:
        world.service.schedule(ws, broadcast_id, "tomorrow-ish")
    assert bad.value.where == "at"


def test_a_scheduled_broadcast_starts_at_its_minute_once(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 5)
    broadcast_id = world.create(ws)
    world.service.schedule(ws, broadcast_id, "2026-01-05T10:00")  # 01:00 UTC; the clock is at 00:00 UTC
    manual_clock.advance(timedelta(minutes=59))
    assert world.planner.start(ws, broadcast_id) == "fanned_out"  # Scheduler fires at the minute (1 min slack)
    assert world.planner.start(ws, broadcast_id) == "ignored:planning"
    world.plan()
    world.drain()
    assert len(world.line.received) == 5


def test_content_validation_names_the_field(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    cases = [
        ({"line": []}, "content.line"),
        ({"line": [{"type": "text", "text": "a"}] * 6}, "content.line"),
        ({"line": [{"type": "text", "text": " "}]}, "content.line.0.text"),
        ({"line": [{"type": "text", "text": "{{ name "}]}, "content.line.0.text"),
    ]
    for content, where in cases:
        with pytest.raises(ValidationFailed) as raised:
            world.service.create(ws, BroadcastInput(name="x", channel="line", content=content))
        assert raised.value.where == where
    with pytest.raises(ValidationFailed) as raised:
        world.service.create(ws, BroadcastInput(name="x", channel="line_email",
                                                content={"line": [{"type": "text", "text": "a"}]}))
    assert raised.value.where == "content.email"
    with pytest.raises(ValidationFailed) as raised:
        world.service.create(ws, BroadcastInput(name="x", channel="fax", content={}))
    assert raised.value.where == "channel"
    with pytest.raises(ValidationFailed) as raised:
        world.service.create(ws, BroadcastInput(name="x", content={"line": [{"type": "text", "text": "a"}]},
                                                segment={"match": "all", "conditions": [{"type": "nope"}]}))
    assert (raised.value.where or "").startswith("segment")


def test_quota_refuse_and_warn_show_the_numbers(aws, manual_clock):
    line = QuotaLine(limit=1_000, usage=900)
    world = BroadcastWorld(line)
    ws = world.workspace(policy="refuse")
    world.friends(ws, 60)
    broadcast_id = world.create(ws, content={"line": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]})
    check = world.service.quota_check(ws, broadcast_id)
    assert check["estimated_messages"] == 120 and check["remaining"] == 100 and check["limit"] == 1_000
    assert check["used"] == 900 and check["ok"] is False and "120" in check["warning"]
    with pytest.raises(Conflict) as refused:
        world.service.send_now(ws, broadcast_id)
    assert refused.value.where == "quota" and refused.value.details["estimated_messages"] == 120
    assert world.view(ws, broadcast_id)["status"] == "draft"
    world.workspace(policy="warn")
    result = world.service.send_now(ws, broadcast_id)
    assert result["quota"]["ok"] is False
    assert result["broadcast"]["quota_warning"] and result["broadcast"]["status"] == "scheduled"


def test_send_reuses_a_fresh_audience_count_for_the_same_segment_only(aws, manual_clock, monkeypatch):
    line = QuotaLine(limit=1_000, usage=0)
    world = BroadcastWorld(line)
    ws = world.workspace(policy="refuse")
    world.friends(ws, 4)
    broadcast_id = world.create(ws)
    counted: list[object] = []
    reachable = world.service.audience.reachable
    monkeypatch.setattr(world.service.audience, "reachable",
                        lambda *args, **kwargs: counted.append(args[1]) or reachable(*args, **kwargs))
    first = world.service.quota_check(ws, broadcast_id)  # the confirm dialog counts
    assert first["recipients"] == 4 and len(counted) == 1
    world.friends(ws, 2, start=50)
    manual_clock.advance(timedelta(minutes=4))
    again = world.service.quota_check(ws, broadcast_id)  # within 5 minutes, same segment: the same count
    assert again["recipients"] == 4 and again["estimated_at"] == first["estimated_at"] and len(counted) == 1
    manual_clock.advance(timedelta(minutes=2))
    stale = world.service.quota_check(ws, broadcast_id)  # older than 5 minutes: counted again
    assert stale["recipients"] == 6 and len(counted) == 2
    broadcast = world.service.repository.require(ws, broadcast_id)
    broadcast.segment = {"match": "all", "conditions": [{"type": "follow", "status": "blocked"}]}
    broadcast.save()
    narrowed = world.service.quota_check(ws, broadcast_id)  # another segment: counted again, at once
    assert narrowed["recipients"] == 0 and len(counted) == 3
    assert world.service.send_now(ws, broadcast_id)["quota"]["estimated_at"] == narrowed["estimated_at"]
    assert len(counted) == 3  # "send now" right after the check reused it


def test_email_fallback_for_friends_without_line(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 3)
    world.friends(ws, 2, start=100, email="a@example.com")
    for item in SubscriberModel.scan():
        if item.email:
            item.line = {}
            item.save()
    broadcast_id = world.create(ws, channel="line_email", content={
        "line": [{"type": "text", "text": "hi"}], "email": {"subject": "Hi {{ name }}", "text": "hello"}})
    check = world.service.quota_check(ws, broadcast_id)  # the 2 friends reached by email do not count for LINE
    assert (check["recipients"], check["estimated_messages"]) == (5, 3)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    assert len(world.line.received) == 3 and len(world.email.sent) == 2
    assert world.view(ws, broadcast_id)["progress"]["sent"] == 5


def test_uploaded_id_list_reports_each_problem_by_line_and_sends_only_to_known_friends(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 6)
    for i in range(6):  # alias items as the LINE ingestion writes them
        AliasModel(pk=alias_pk(ws, f"line:{CHANNEL}", user_id(i)), sk="alias", subscriber_id=f"s_{i:08d}").save()
    text = "\n".join([
        user_id(0),             # 1 known
        user_id(1),             # 2 known
        user_id(999),           # 3 unknown
        user_id(0),             # 4 duplicate of line 1
        "hello, not an id",     # 5 bad line
        "",                     # 6 empty: ignored
        f"  {user_id(2)}  ",    # 7 known (spaces trimmed)
    ])
    report = check_list(ws, "line_user_id", text)
    problems = [(p["line"], p["problem"]) for p in report.problems]
    assert problems == [(3, "unknown"), (4, "duplicate"), (5, "bad_line")]
    assert report.problems[1]["same_as"] == 1
    assert [p["message"] for p in report.problems] == [
        "このLINEユーザーIDの友だちはいません", "1行目と重複しています", "LINEユーザーIDの形式ではありません(U + 英数字32桁)"]
    assert report.known == [user_id(0), user_id(1), user_id(2)]
    list_id = save_list(ws, "campaign", report)
    broadcast_id = world.create(ws, segment={"match": "all", "conditions": [{"type": "list", "list_id": list_id}]})
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    assert sorted(r.user_id for r in world.line.received) == [user_id(0), user_id(1), user_id(2)]
    csv_report = check_list(ws, "email", "email\nA@Example.com\nb@example.com,Taro\n")
    assert [(p["line"], p["problem"]) for p in csv_report.problems] == [(1, "bad_line"), (2, "unknown"),
                                                                          (3, "unknown")]


def test_send_now_in_quiet_hours_waits_for_their_end_unless_the_broadcast_is_urgent(aws, manual_clock):
    client, group = scheduler_in_moto()
    world = BroadcastWorld(scheduler=BroadcastScheduler(client))
    ws = world.workspace()  # Asia/Tokyo; the clock reads 09:00 there
    workspace = WorkspaceModel.get(workspace_pk(ws), "workspace")
    workspace.quiet_hours_start, workspace.quiet_hours_end = "21:00", "10:00"
    workspace.save()
    world.friends(ws, 3)
    broadcast_id = world.create(ws)

    check = world.service.quota_check(ws, broadcast_id)  # the confirm dialog says what "send now" will do
    assert check["deferred"]["until_local"] == "2026-01-05T10:00"
    assert "配信停止時間帯（21:00〜10:00）" in check["deferred"]["reason"]
    result = world.service.send_now(ws, broadcast_id)
    assert result["deferred"]["until"].startswith("2026-01-05T01:00")  # 10:00 JST
    assert world.planner_queue.bodies == []  # nothing goes out now
    schedule = client.get_schedule(Name=f"bc-{broadcast_id}", GroupName=group)
    assert schedule["ScheduleExpression"] == "at(2026-01-05T10:00:00)"
    assert world.view(ws, broadcast_id)["status"] == "scheduled"

    # a time picked inside the window moves to its end too
    later = world.create(ws, name="夜の告知")
    scheduled = world.service.schedule(ws, later, "2026-01-05T23:30")
    assert scheduled["deferred"]["until_local"] == "2026-01-06T10:00"
    assert client.get_schedule(Name=f"bc-{later}", GroupName=group)["ScheduleExpression"] == "at(2026-01-06T10:00:00)"

    # an urgent notice that opts out goes at once
    urgent = world.service.create(ws, BroadcastInput(name="緊急のお知らせ", channel="line", everyone=True,
                                                     content={"line": [{"type": "text", "text": "本日休業します"}]},
                                                     respect_quiet_hours=False))
    assert world.service.quota_check(ws, urgent.broadcast_id)["deferred"] is None
    sent = world.service.send_now(ws, urgent.broadcast_id)
    assert "deferred" not in sent and len(world.planner_queue.bodies) == 1
    assert world.view(ws, urgent.broadcast_id)["respect_quiet_hours"] is False
