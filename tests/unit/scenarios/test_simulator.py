"""POST /api/scenarios/{id}/simulate: what a friend would receive and when, every rule stated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from haishin import wiring
from haishin.api.app import AdminApi
from tests.support.admin_api import ensure_operator
from tests.unit.scenarios.step_harness import StepWorld

WS = "ws1"


class Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def call(method: str, path: str, body: Any = None, role: str = "viewer") -> tuple[int, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(WS, f"{role}@example.jp", role)}}},
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
    response = AdminApi().handle(event, Context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def text(t: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": t}]


SCENARIO = {"name": "sim", "steps": [
    {"id": "hello", "line": text("hello")},
    {"id": "evening", "timing": {"type": "day_at", "day": 0, "at": "20:00", "late_enrollment": "next_day"},
     "line": text("evening"), "actions": [{"type": "add_tag", "tag": "warm"}]},
    {"id": "night", "timing": {"type": "after", "amount": 3, "unit": "hours"}, "line": text("night")},
    {"id": "vip", "conditions": {"all": [{"type": "has_tag", "tag": "vip"}]},
     "timing": {"type": "after", "amount": 1, "unit": "days"}, "line": text("vip")},
    {"id": "warm", "conditions": {"all": [{"type": "has_tag", "tag": "warm"}]},
     "timing": {"type": "after", "amount": 1, "unit": "hours"}, "line": text("warm")},
    {"id": "birthday", "timing": {"type": "relative_to_date", "field": "birthday", "days": -1, "at": "10:00"},
     "line": text("birthday")},
    {"id": "later", "timing": {"type": "after", "amount": 30, "unit": "days"}, "line": text("later")},
]}


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> Iterator[StepWorld]:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))  # 12:00 JST
    built = StepWorld()
    built.workspace(WS, quiet=("22:00", "08:00"))
    previous = wiring.install(built.services)
    try:
        yield built
    finally:
        wiring.install(previous)


def by_id(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["step_id"]: row for row in answer["steps"]}


def test_hypothetical_friend_late_enrollment_quiet_hours_conditions_and_horizon(world: StepWorld) -> None:
    scenario = world.scenario(WS, SCENARIO)
    status, answer = call("POST", f"/api/scenarios/{scenario.id}/simulate", {
        "hypothetical": {"tags": ["new"], "fields": {}, "enrolled_at": "2026-01-05T21:00"}, "days": 7})
    assert status == 200, answer
    assert answer["time_zone"] == "Asia/Tokyo" and answer["enrolled_at_local"] == "2026-01-05T21:00+09:00"
    rows = by_id(answer)
    assert rows["hello"]["outcome"] == "send" and rows["hello"]["due_local"] == "2026-01-05T21:00+09:00"
    assert rows["hello"]["due"] == "2026-01-05T12:00:00+00:00"  # UTC too
    evening = rows["evening"]
    assert evening["due_local"] == "2026-01-06T20:00+09:00" and "next day" in evening["note"]  # late enrollment
    night = rows["night"]  # 23:00 is inside 22:00-08:00: moved to 08:00, said so
    assert night["due_local"] == "2026-01-07T08:00+09:00" and night["quiet_hours_moved"] is True
    assert night["due_before_quiet_hours_local"] == "2026-01-06T23:00+09:00"
    assert rows["vip"]["outcome"] == "condition_skip"  # no "vip" tag
    assert rows["warm"]["outcome"] == "send"  # the evening step's add_tag action counts
    assert rows["birthday"]["outcome"] == "skipped" and "birthday" in rows["birthday"]["note"]
    assert "later" not in rows  # beyond the 7 days asked for
    assert rows["hello"]["line"] == text("hello")


def test_real_friend_and_lateness_for_an_enrollment_in_the_past(world: StepWorld) -> None:
    strict = world.scenario(WS, {**SCENARIO, "name": "strict",
                                 "lateness": {"policy": "skip_if_late", "max_late_minutes": 60}})
    friend = world.friend(WS, "U1", tags={"vip"}, fields={"birthday": "2026-01-20"})
    status, answer = call("POST", f"/api/scenarios/{strict.id}/simulate", {
        "subscriber_id": friend, "enrolled_at": "2026-01-05T11:00", "days": 30})
    assert status == 200, answer
    rows = by_id(answer)
    assert answer["subscriber"] == "Hanako"
    assert rows["hello"]["outcome"] == "send_late" and rows["hello"]["late_minutes"] == 60  # not more than 60
    assert rows["evening"]["outcome"] == "send" and rows["evening"]["due_local"] == "2026-01-05T20:00+09:00"
    assert rows["vip"]["outcome"] == "send"  # the friend's own tags
    assert rows["birthday"]["due_local"] == "2026-01-19T10:00+09:00"  # the friend's own field
    status, answer = call("POST", f"/api/scenarios/{strict.id}/simulate", {
        "subscriber_id": friend, "enrolled_at": "2026-01-05T09:00"})
    assert by_id(answer)["hello"]["outcome"] == "skipped_late"
    assert "skip_if_late" in by_id(answer)["hello"]["notes"][-1]


def test_bad_input_is_explained(world: StepWorld) -> None:
    scenario = world.scenario(WS, SCENARIO)
    status, answer = call("POST", f"/api/scenarios/{scenario.id}/simulate", {"days": 0})
    assert status == 422 and answer["where"] == "days"
    status, answer = call("POST", f"/api/scenarios/{scenario.id}/simulate",
                          {"hypothetical": {"enrolled_at": "tomorrow"}})
    assert status == 422 and answer["where"] == "hypothetical.enrolled_at"
