"""Fixtures for seminar tests: moto tables, a manual clock, an in-memory secret store and recording fakes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from haishin import wiring
from haishin.seminars.service import SeminarService
from haishin.subscribers.models import line_account
from haishin.wiring import Services

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forms"))
from forms_env import FakeMessenger, FakeScenarios, FakeWebhooks

from haishin.secrets import InMemorySecretStore

WS = "w_sem"


@dataclass
class Env:
    service: SeminarService
    root: Services
    messenger: FakeMessenger
    webhooks: FakeWebhooks
    scenarios: FakeScenarios


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    scenarios, messenger, webhooks = FakeScenarios(), FakeMessenger(), FakeWebhooks()
    root = Services(secrets=InMemorySecretStore(), scenario_service=scenarios, messenger=messenger, webhooks=webhooks)
    previous = wiring.install(root)
    try:
        yield Env(root.seminars, root, messenger, webhooks, scenarios)
    finally:
        wiring.install(previous)


@pytest.fixture
def friends(env: Env) -> Callable[[int], list[str]]:
    counter = iter(range(1_000_000))

    def make(count: int) -> list[str]:
        repo = env.root.subscribers
        made = []
        for _ in range(count):
            i = next(counter)
            subscriber = repo.new(WS, source="line")
            user = f"U{i:032x}"
            subscriber.line = {"1234567890": line_account(user, status="following")}
            subscriber.display_name = f"友だち{i}"
            repo.create(subscriber, [("line:1234567890", user)])
            made.append(subscriber.subscriber_id)
        return made

    return make
