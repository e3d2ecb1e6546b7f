"""The welcome scenario's "immediately" first step on the local system: it arrives in the same drain as the follow
(no tick), by reply (the channel's monthly quota is untouched); when LINE refuses the reply token it arrives by push
exactly once, and later ticks send it no second time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500191"
WS = "w_instant_first"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d191"
TOKEN = "instant-first-message-token-00000000000191"


def welcome(emulator: Any, user: str) -> list[tuple[str, str]]:
    return [(str(d["endpoint"]), str((d.get("message") or {}).get("text"))) for d in emulator.received(user, CH)]


def test_the_welcome_arrives_by_reply_at_once_and_by_push_once_when_the_token_is_refused(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    status, scenario = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "welcome", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "hello", "line": [{"type": "text", "text": "ようこそ"}]},
            {"id": "later", "timing": {"type": "after", "amount": 1, "unit": "hours"},
             "line": [{"type": "text", "text": "later"}]}]}, auth)
    assert status in (200, 201), scenario
    quota_before = emulator.quota_consumption(CH)

    friend = "U" + "191a" * 8
    assert emulator.follow(CH, friend) == 200
    system.drain()  # the events consumer only: no clock advance, no tick
    assert welcome(emulator, friend) == [("reply", "ようこそ")]
    assert emulator.quota_consumption(CH) == quota_before

    late = "U" + "191b" * 8
    emulator.set_reply_token_ttl(timedelta(0))  # the token is used or expired when the consumer answers
    try:
        assert emulator.follow(CH, late) == 200
        system.drain()
    finally:
        emulator.set_reply_token_ttl(None)
    assert welcome(emulator, late) == [("push", "ようこそ")]
    assert emulator.quota_consumption(CH) == quota_before + 1
    status, dashboard = json_request("GET", f"{system.base_url}/api/dashboard", None, auth)
    assert status == 200, dashboard
    assert dashboard["deliveries"]["replied_this_month"] == 1  # free; the push is in the quota's used

    for _ in range(3):  # the ticks after: step 1 is not sent again
        system.advance(timedelta(minutes=1))
    assert welcome(emulator, friend) == [("reply", "ようこそ")]
    assert welcome(emulator, late) == [("push", "ようこそ")]
    system.advance(timedelta(minutes=61))
    system.advance(timedelta(minutes=2))
    assert welcome(emulator, friend) == [("reply", "ようこそ"), ("push", "later")]
    assert welcome(emulator, late) == [("push", "ようこそ"), ("push", "later")]


CH_GREET = "1234500192"
WS_GREET = "w_instant_greeting"
TOKEN_GREET = "instant-first-message-token-00000000000192"


def test_the_greeting_and_the_welcome_share_one_reply(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS_GREET, CH_GREET, SECRET, TOKEN_GREET)
    status, body = json_request("PUT", f"{system.base_url}/api/channels/{CH_GREET}/greeting",
                                {"messages": [{"type": "text", "text": "こんにちは"}]}, auth)
    assert status == 200, body
    status, body = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "welcome", "triggers": [{"type": "friend_added"}],
        "steps": [{"id": "hello", "line": [{"type": "text", "text": "ようこそ"}]}]}, auth)
    assert status in (200, 201), body
    quota_before = emulator.quota_consumption(CH_GREET)

    friend = "U" + "192a" * 8
    assert emulator.follow(CH_GREET, friend) == 200
    system.drain()
    got = [(str(d["endpoint"]), str(d["message"].get("text"))) for d in emulator.received(friend, CH_GREET)]
    assert got == [("reply", "こんにちは"), ("reply", "ようこそ")]
    assert emulator.quota_consumption(CH_GREET) == quota_before

    late = "U" + "192b" * 8
    emulator.set_reply_token_ttl(timedelta(0))
    try:
        assert emulator.follow(CH_GREET, late) == 200
        system.drain()
    finally:
        emulator.set_reply_token_ttl(None)
    system.advance(timedelta(minutes=2))
    got = [(str(d["endpoint"]), str(d["message"].get("text"))) for d in emulator.received(late, CH_GREET)]
    assert got == [("push", "こんにちは"), ("push", "ようこそ")]


CH_LATE = "1234500194"
WS_LATE = "w_instant_late_consumer"
TOKEN_LATE = "instant-first-message-token-00000000000194"


def test_a_consumer_late_past_the_tokens_minute_pushes_the_welcome_once(local_system: Any) -> None:
    """LINE's own reply window (no test override): the events consumer is held (a cold start, a backlog) while two
    minutes pass, so the follow's token has expired when it answers; the welcome goes by push, exactly once."""
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS_LATE, CH_LATE, SECRET, TOKEN_LATE)
    status, body = json_request("POST", f"{system.base_url}/api/scenarios", {
        "name": "welcome", "triggers": [{"type": "friend_added"}],
        "steps": [{"id": "hello", "line": [{"type": "text", "text": "ようこそ"}]}]}, auth)
    assert status in (200, 201), body
    quota_before = emulator.quota_consumption(CH_LATE)
    friend = "U" + "194a" * 8
    with system.pump("LineEventsFunction").held():
        assert emulator.follow(CH_LATE, friend) == 200  # LINE got 200 from the webhook; the event waits in SQS
        system.clock.advance(timedelta(minutes=2))
    system.drain()
    got = [(str(d["endpoint"]), str(d["message"].get("text"))) for d in emulator.received(friend, CH_LATE)]
    assert got == [("push", "ようこそ")]
    assert emulator.quota_consumption(CH_LATE) == quota_before + 1
    system.advance(timedelta(minutes=2))
    got = [(str(d["endpoint"]), str(d["message"].get("text"))) for d in emulator.received(friend, CH_LATE)]
    assert got == [("push", "ようこそ")]
