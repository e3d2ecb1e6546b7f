"""Step delivery on the local system: follow -> friend_added enrollment -> tick -> DeliveryQueue -> worker -> LINE
emulator; later steps by advancing the clock, an 8-hour outage caught up once, and 20% faults with every step
arriving exactly once (counted by the emulator)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500001"
WS = "w_steps"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d7e9"
TOKEN = "step-delivery-token-000000000000000000001"


def texts(emulator: Any, user: str) -> list[str]:
    return [str((delivery.get("message") or {}).get("text")) for delivery in emulator.received(user, CH)]


def test_three_steps_outage_and_faults(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)  # owner, sign-in, channel
    status, scenario = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "welcome", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "s1", "line": [{"type": "text", "text": "step1"}]},
            {"id": "s2", "timing": {"type": "after", "amount": 1, "unit": "hours"},
             "line": [{"type": "text", "text": "step2"}]},
            {"id": "s3", "timing": {"type": "after", "amount": 4, "unit": "hours"},
             "line": [{"type": "text", "text": "step3"}]}]}, auth)
    assert status in (200, 201), scenario

    user = "U" + "5" * 32
    assert emulator.follow(CH, user) == 200
    system.drain()  # the follow event enrolls the friend
    system.advance(timedelta(minutes=1))
    system.drain()
    assert texts(emulator, user) == ["step1"]
    system.advance(timedelta(minutes=61))
    system.drain()
    assert texts(emulator, user) == ["step1", "step2"]
    system.advance(timedelta(hours=8))  # an outage: one tick after 8 hours catches up, once
    system.drain()
    system.advance(timedelta(minutes=2))
    system.drain()
    assert texts(emulator, user) == ["step1", "step2", "step3"]

    # 20% of LINE calls fail (5xx and timeouts, some before and some after acceptance) plus 429 bursts
    emulator.set_faults(error_rate=0.1, timeout_rate=0.1, throttle_burst=3, timeout_s=0.3,
                        timeout_after_delivery=True, seed=11)
    friends = ["U" + f"{i:x}".rjust(32, "6") for i in range(8)]
    try:
        for friend in friends:
            assert emulator.follow(CH, friend) == 200
        system.drain()
        for _ in range(12):  # one tick a minute for 12 minutes, then the later steps
            system.advance(timedelta(minutes=1))
        system.advance(timedelta(hours=1))
        for _ in range(5):
            system.advance(timedelta(minutes=1))
        system.advance(timedelta(hours=4))
        for _ in range(10):
            system.advance(timedelta(minutes=1))
        system.drain(timeout=120)
    finally:
        emulator.set_faults()
    for friend in friends:
        assert texts(emulator, friend) == ["step1", "step2", "step3"], friend
