"""Fixtures for the LINE emulator tests: a started emulator with one channel and two friends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, SECRET, TOKEN

from haishin_local.line_emulator import LineEmulator


@pytest.fixture
def emulator() -> Iterator[LineEmulator]:
    emu = LineEmulator(host="127.0.0.1", port=0).start()
    emu.register_channel(CHANNEL_ID, SECRET, TOKEN, display_name="サロン テスト")
    emu.add_user(ALICE, "アリス")
    emu.add_user(BOB, "Bob", language="en")
    emu.follow(CHANNEL_ID, ALICE)
    emu.follow(CHANNEL_ID, BOB)
    try:
        yield emu
    finally:
        emu.stop()
