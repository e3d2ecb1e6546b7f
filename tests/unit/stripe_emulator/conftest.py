"""The Stripe stand-in on a local port for each test, holding its events until the test delivers them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from haishin_local.stripe_emulator import StripeEmulator


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    with StripeEmulator(auto_deliver=False) as emu:
        yield emu
