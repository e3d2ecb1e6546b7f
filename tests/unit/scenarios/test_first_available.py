"""The ``first_available`` channel fallback (issue 16): a step with LINE, e-mail and SMS content goes out on the
first channel the friend can be reached on, in that order (LINE, e-mail, SMS), and on no other; ``all`` sends on
every reachable channel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.scenarios.step_harness import StepWorld

STEP = {"id": "s1", "line": [{"type": "text", "text": "LINEで {{ name }}"}],
        "email": {"subject": "メールで", "text": "本文"}, "sms": {"text": "SMSで"}}


def run(mode: str, **friend: Any) -> StepWorld:
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "fb", "channel_mode": mode, "steps": [STEP]})
    world.enroll(ws, world.friend(ws, "U1", **friend), scenario)
    world.tick()
    world.drain()
    return world


def channels_sent(world: StepWorld) -> list[str]:
    return (["line"] if world.line.received else []) + (["email"] if world.email.sent else []) + (
        ["sms"] if world.sms.sent else [])


@pytest.mark.parametrize(("friend", "expected"), [
    ({"email": "a@example.com", "phone": "09012345678"}, ["line"]),
    ({"status": "blocked", "email": "a@example.com", "phone": "09012345678"}, ["email"]),
    ({"status": "blocked", "phone": "09012345678"}, ["sms"]),
    ({"status": "blocked"}, []),
])
def test_first_available_sends_on_the_first_reachable_channel_only(aws: Any, manual_clock: Any,
                                                                  friend: dict[str, Any], expected: list[str]) -> None:
    assert channels_sent(run("first_available", **friend)) == expected


def test_all_sends_on_every_reachable_channel(aws: Any, manual_clock: Any) -> None:
    world = run("all", email="a@example.com", phone="09012345678")
    assert channels_sent(world) == ["line", "email", "sms"]
