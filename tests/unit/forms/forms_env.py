"""Fixtures for form tests: moto tables, a manual clock, an in-memory secret store and recording fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from haishin import wiring
from haishin.forms.collab import Collaborators
from haishin.forms.service import FormService
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.models import line_account
from haishin.wiring import Services


@dataclass
class FakeScenarios:
    triggers: list[tuple[str, str, str, dict[str, Any], str]] = field(default_factory=list)
    started: list[tuple[str, str, str]] = field(default_factory=list)
    stopped: list[tuple[str, str, str]] = field(default_factory=list)

    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> None:
        self.triggers.append((workspace_id, subscriber_id, trigger, detail, idempotency_key))

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        self.started.append((workspace_id, subscriber_id, scenario_id))

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> None:
        self.stopped.append((workspace_id, subscriber_id, scenario_id))

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> None:
        self.stopped.append((workspace_id, subscriber_id, "*"))


@dataclass
class FakeMessenger:
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # subscriber, text, retry key

    def queue_text(self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str,
                  channel_id: str | None = None) -> bool:
        self.sent.append((subscriber.subscriber_id, text, retry_key))
        return True


@dataclass
class FakeWebhooks:
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def enqueue(self, workspace_id: str, subscriber_id: str, endpoint_id: str, payload: dict[str, Any],
                idempotency_key: str) -> None:
        self.calls.append((subscriber_id, endpoint_id, idempotency_key))

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        self.events.append((event_type, data, idempotency_key))
        return 1


@dataclass
class Env:
    service: FormService
    collab: Collaborators
    scenarios: FakeScenarios
    messenger: FakeMessenger
    webhooks: FakeWebhooks
    secrets: InMemorySecretStore


WS = "w_forms"


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    secrets = InMemorySecretStore()
    scenarios, messenger, webhooks = FakeScenarios(), FakeMessenger(), FakeWebhooks()
    root = Services(secrets=secrets, scenario_service=scenarios, messenger=messenger, webhooks=webhooks)
    previous = wiring.install(root)  # the admin API and handlers use the same services
    try:
        yield Env(root.forms, root.collaborators, scenarios, messenger, webhooks, secrets)
    finally:
        wiring.install(previous)


@pytest.fixture
def line_friend(env: Env) -> str:
    repo = env.collab.subscribers
    subscriber = repo.new(WS, source="line")
    subscriber.line = {"1234567890": line_account("U" + "a" * 32, status="following")}
    subscriber.display_name = "花子"
    repo.create(subscriber, [("line:1234567890", "U" + "a" * 32)])
    return subscriber.subscriber_id
