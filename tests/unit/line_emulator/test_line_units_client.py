"""Our LINE client's aggregation units against the emulator: the unit goes out on push and multicast; a unit LINE
refuses (the month's names used up, or a bad name) never costs the delivery: the same request goes again without it,
with the same retry key, and the refused unit is not asked for again this month. Also the three reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, TOKEN

from haishin import clock
from haishin.line.client import LineClient
from haishin.line.units import UNIT_NAME, broadcast_unit, month_of, stats_period, step_unit
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
HELLO = [{"type": "text", "text": "こんにちは https://shop.example.jp/a"}]


@pytest.fixture
def client(emulator: LineEmulator) -> Iterator[LineClient]:
    previous = clock.install(clock.ManualClock(datetime(2026, 3, 10, 3, 0, tzinfo=UTC)))
    line = LineClient(TOKEN, base_url=emulator.base_url)
    yield line
    line.close()
    clock.install(previous)


def _units(emulator: LineEmulator, user: str) -> list[Any]:
    return [r.get("unit") for r in emulator.received(user, CHANNEL_ID)]


def test_unit_names_are_valid_deterministic_and_distinct() -> None:
    names = [broadcast_unit("bc_01HZZZZZZZZZZZZZZZZZZZZZZZ"), broadcast_unit("bc_01HZZZZZZZZZZZZZZZZZZZZZZZ", "A"),
             broadcast_unit("bc_01HZZZZZZZZZZZZZZZZZZZZZZZ_w"), step_unit("sc_1", "day-1"), step_unit("sc_1", "day-2")]
    assert all(UNIT_NAME.fullmatch(n) for n in names) and len(set(names)) == len(names)
    assert broadcast_unit("bc_x") == broadcast_unit("bc_x")
    assert month_of(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == "202604"  # Japan time
    first, last = stats_period(datetime(2026, 1, 1).date(), datetime(2026, 3, 1).date())
    assert (last - first).days == 30


def test_push_and_multicast_carry_the_unit(emulator: LineEmulator, client: LineClient) -> None:
    assert client.push(ALICE, HELLO, retry_key=str(uuid.uuid4()), unit="b_spring").unit == "b_spring"
    client.multicast([ALICE, BOB], HELLO, retry_key=str(uuid.uuid4()), unit="b_spring")
    assert _units(emulator, ALICE) == ["b_spring", "b_spring"] and _units(emulator, BOB) == ["b_spring"]
    assert client.units_used_this_month() == 1
    assert client.unit_names_this_month() == (["b_spring"], None)


def test_past_the_monthly_limit_the_message_goes_without_a_unit_and_is_not_refused_twice(
        emulator: LineEmulator, client: LineClient) -> None:
    emulator.units.monthly_limit = 1
    client.push(ALICE, HELLO, retry_key=str(uuid.uuid4()), unit="b_first")
    key = str(uuid.uuid4())
    result = client.push(ALICE, HELLO, retry_key=key, unit="b_second")
    assert result.unit is None and not result.already_accepted
    assert _units(emulator, ALICE) == ["b_first", None]  # delivered, without the unit
    assert emulator.stats()["calls"]["push"] == {"200": 2, "400": 1}
    # the same retry key again: LINE kept it for the accepted request only, so this is a 409, not a second message
    assert client.push(ALICE, HELLO, retry_key=key, unit="b_second").already_accepted
    # this month, a new unit is not tried again (no second refusal); a unit in use still goes out
    client.multicast([ALICE, BOB], HELLO, retry_key=str(uuid.uuid4()), unit="b_third")
    client.push(BOB, HELLO, retry_key=str(uuid.uuid4()), unit="b_first")
    assert emulator.stats()["calls"]["push"]["400"] == 1 and "400" not in emulator.stats()["calls"]["multicast"]
    assert _units(emulator, BOB) == [None, "b_first"]


def test_a_name_line_would_refuse_is_not_sent(emulator: LineEmulator, client: LineClient) -> None:
    client.push(ALICE, HELLO, retry_key=str(uuid.uuid4()), unit="春のセール")
    assert _units(emulator, ALICE) == [None]
    assert "400" not in emulator.stats()["calls"]["push"]


def test_statistics_per_unit_read_through_the_client(emulator: LineEmulator, client: LineClient) -> None:
    client.push(ALICE, HELLO, retry_key=str(uuid.uuid4()), unit="s_step")
    seq = emulator.received(ALICE, CHANNEL_ID)[0]["seq"]
    emulator.phone_open(CHANNEL_ID, ALICE, seq, "https://shop.example.jp/a")
    stats = client.unit_statistics("s_step", "20260301", "20260310")
    assert stats["overview"]["uniqueImpression"] is None  # one friend: below LINE's 20
    assert stats["clicks"][0]["url"] == "https://shop.example.jp/a"
