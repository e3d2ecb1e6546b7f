"""LINE reads someone waits for (quota, bot info, profile) ride out a short 429/5xx burst with jittered backoff
inside a small budget; a longer outage is a 503 with a Japanese message, never a 502 with LINE's raw text.
Against the LINE emulator's fault injection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from haishin.line.client import READ_BUDGET_S, LineClient, LineUnavailable
from haishin_local.line_emulator import LineEmulator
from tests.unit.broadcasts.harness import CHANNEL, BroadcastWorld

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
TOKEN = "token-reads"


class FakeTime:
    """sleep() moves monotonic() forward: the budget runs out without waiting for real."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def emulator() -> Iterator[LineEmulator]:
    emu = LineEmulator(host="127.0.0.1", port=0).start()
    emu.register_channel(CHANNEL, "secret", TOKEN, display_name="サロン")
    try:
        yield emu
    finally:
        emu.stop()


def client_for(emulator: LineEmulator, fake: FakeTime) -> LineClient:
    client = LineClient(TOKEN, base_url=emulator.base_url)
    client.sleep, client.monotonic = fake.sleep, fake.monotonic
    return client


def test_a_short_429_burst_on_the_quota_is_ridden_out(emulator: LineEmulator) -> None:
    emulator.set_faults(throttle_burst=3, endpoints=["quota", "quota_consumption"])
    fake = FakeTime()
    quota = client_for(emulator, fake).quota()
    assert quota["type"] == "none" and quota["totalUsage"] == 0
    assert len(fake.slept) == 3 and sum(fake.slept) <= READ_BUDGET_S


def test_a_longer_5xx_outage_is_a_503_in_japanese_within_the_budget(emulator: LineEmulator) -> None:
    emulator.set_faults(error_rate=1.0, status=500, endpoints=["bot_info"])
    fake = FakeTime()
    with pytest.raises(LineUnavailable) as info:
        client_for(emulator, fake).bot_info()
    error = info.value
    assert error.http_status == 503 and error.code == "line_unavailable"
    assert "LINE" in error.message and "もう一度" in error.message
    assert "Internal server error" not in str(error.to_dict())
    assert len(fake.slept) >= 1 and fake.now - 100.0 <= READ_BUDGET_S


class EmulatedClients:
    def __init__(self, emulator: LineEmulator) -> None:
        self.client = LineClient(TOKEN, base_url=emulator.base_url)
        self.client.sleep = lambda _s: None

    def for_channel(self, workspace_id: str, channel_id: str) -> LineClient:
        return self.client


def test_send_now_works_through_a_short_throttling_burst(aws: Any, manual_clock: Any,
                                                         emulator: LineEmulator) -> None:
    world = BroadcastWorld()
    world.service._line_clients = EmulatedClients(emulator)
    ws = world.workspace()
    world.friends(ws, 5)
    broadcast_id = world.create(ws)
    emulator.set_faults(throttle_burst=2, endpoints=["quota"])
    answer = world.service.send_now(ws, broadcast_id)  # the marketer's one click
    assert answer["broadcast"]["status"] == "scheduled"
    assert world.planner_queue.bodies == [{"workspace_id": ws, "broadcast_id": broadcast_id}]
