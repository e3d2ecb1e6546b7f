"""Seven follows sent back to back and drained once: every friend gets the welcome scenario's first step exactly
once (reply or push), none is left behind a claim nobody finishes (docs/production/race.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500733"
WS = "w_follow_burst"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d733"
TOKEN = "follow-burst-token-000000000000000000000733"
FRIENDS = 10


def welcome(emulator: Any, user: str) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in emulator.received(user, CH)
            if (d.get("message") or {}).get("text") == "ようこそ"]


def test_a_burst_of_follows_drained_once_gets_every_welcome_exactly_once(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, owner="owner@follow-burst.example.com")
    status, scenario = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "welcome", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "hello", "line": [{"type": "text", "text": "ようこそ"}]},
            {"id": "later", "timing": {"type": "after", "amount": 1, "unit": "hours"},
             "line": [{"type": "text", "text": "later"}]}]}, auth)
    assert status in (200, 201), scenario

    friends = [f"U{i:032x}" for i in range(0x733000, 0x733000 + FRIENDS)]
    for friend in friends:
        assert emulator.follow(CH, friend) == 200
    system.drain()  # once: the events consumer and the delivery worker, no clock move
    once = {friend: ["ようこそ"] for friend in friends}
    assert {friend: welcome(emulator, friend) for friend in friends} == once

    for _ in range(4):  # the ticks after, past every lease: nothing is sent a second time
        system.advance(timedelta(minutes=1))
    assert {friend: welcome(emulator, friend) for friend in friends} == once
