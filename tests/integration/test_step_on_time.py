"""A timed step leaves with the tick of its own minute on the local system: the tick reads due pointers from
EnrollmentsTable with ConsistentRead (no GSI), so a step due at 09:00 goes out at the 09:00 tick and that tick
declares every earlier minute done (watermark 08:59, no two-minute margin). A relative delay is due at a whole
minute too (the nearest), so it leaves with the tick of that minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500190"
WS = "w_on_time"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d7f0"
TOKEN = "step-on-time-token-00000000000000000000001"
CH_MINUTES, WS_MINUTES = "1234500189", "w_on_time_minutes"
SECRET_MINUTES = "5c3c0a1b2d4e5f60718293a4b5c6d7f1"
TOKEN_MINUTES = "step-on-time-token-00000000000000000000002"


def test_a_step_due_at_0900_leaves_with_the_0900_tick(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    status, scenario = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "next morning", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "morning", "timing": {"type": "day_at", "day": 1, "at": "09:00"},
             "line": [{"type": "text", "text": "おはようございます"}]}]}, auth)
    assert status in (200, 201), scenario

    user = "U" + "9" * 32
    assert emulator.follow(CH, user) == 200
    system.drain()  # the follow enrolls the friend: one transaction writes the enrollment and its due pointer
    ddb = system.client("dynamodb")
    items = [i for i in ddb.scan(TableName="EnrollmentsTable")["Items"] if i["pk"]["S"].startswith(f"enr#{WS}#")]
    assert len(items) == 1
    due = datetime.fromisoformat(items[0]["next_due_at"]["S"])
    assert (due.second, due.microsecond) == (0, 0)
    pointers = [i for i in ddb.scan(TableName="EnrollmentsTable")["Items"] if i["pk"]["S"].startswith("due#")
                and i["enrollment_pk"]["S"] == items[0]["pk"]["S"]]
    assert len(pointers) == 1

    # The real tick runs every minute; one tick catches up at most 8 hours (max_minutes), so a long jump of the
    # shared clock goes in steps of 6 hours, as the minute ticks would have gone, whatever time the session is at.
    while (due - system.clock.now()) > timedelta(hours=6, seconds=90):
        system.advance(timedelta(hours=6))
    system.advance(timedelta(seconds=max(0.0, (due - system.clock.now()).total_seconds() - 90)))
    _catch_up(system, ddb)
    assert emulator.received(user, CH) == []  # the tick a minute or so before: not yet
    system.advance(due + timedelta(seconds=1) - system.clock.now())  # the tick of the due minute (09:00:01)
    assert [str((d.get("message") or {}).get("text")) for d in emulator.received(user, CH)] == ["おはようございます"]
    assert _watermark(ddb) == (due - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")


def _catch_up(system: Any, ddb: Any) -> None:
    for _ in range(20):  # a watermark left far behind by earlier jumps catches up with ticks of the same minute
        if _watermark(ddb) >= (system.clock.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"):
            break
        system.advance(timedelta(0))


def _watermark(ddb: Any) -> str:
    item = ddb.get_item(TableName="WorkspaceTable", ConsistentRead=True,
                        Key={"pk": {"S": "system"}, "sk": {"S": "step_tick_watermark"}}).get("Item") or {}
    return str((item.get("minute") or {}).get("S") or "")


def test_three_minutes_after_a_follow_at_20_seconds_leaves_with_the_tick_of_the_whole_minute(local_system: Any
                                                                                               ) -> None:
    """A relative delay is due at the nearest whole minute: a follow at hh:mm:20 with "3 minutes after" is due at
    hh:mm+3:00 and arrives with that minute's tick (not a tick later, at hh:mm+4)."""
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS_MINUTES, CH_MINUTES, SECRET_MINUTES, TOKEN_MINUTES)
    status, scenario = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "three minutes", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "soon", "timing": {"type": "after", "amount": 3, "unit": "minutes"},
             "line": [{"type": "text", "text": "3分後です"}]}]}, auth)
    assert status in (200, 201), scenario

    ddb = system.client("dynamodb")
    _catch_up(system, ddb)
    now = system.clock.now()
    follow_at = now.replace(second=20, microsecond=0) + timedelta(minutes=1)
    system.clock.advance(follow_at - now)  # the clock only: no tick
    user = "U" + "8" * 32
    assert emulator.follow(CH_MINUTES, user) == 200
    system.drain()
    items = [i for i in ddb.scan(TableName="EnrollmentsTable")["Items"]
             if i["pk"]["S"].startswith(f"enr#{WS_MINUTES}#")]
    due = datetime.fromisoformat(items[0]["next_due_at"]["S"])
    assert due == follow_at.replace(second=0) + timedelta(minutes=3)

    system.advance(due - timedelta(seconds=30) - system.clock.now())  # the tick of the minute before
    assert emulator.received(user, CH_MINUTES) == []
    system.advance(due + timedelta(seconds=1) - system.clock.now())  # the tick of the due minute
    assert [str((d.get("message") or {}).get("text")) for d in emulator.received(user, CH_MINUTES)] == ["3分後です"]
