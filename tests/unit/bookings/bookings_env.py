"""Fixtures for booking tests: moto tables, a manual clock (2026-01-05 00:00 UTC = 09:00 Monday in Tokyo), an
in-memory secret store and recording fakes for LINE and the event fanout."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from haishin import wiring
from haishin.bookings.service import BookingService
from haishin.secrets import InMemorySecretStore
from haishin.senders.service import Sender
from haishin.subscribers.models import line_account
from haishin.wiring import Services

WS = "w_book"


@dataclass
class FakeScenarios:
    triggers: list[tuple[str, str, str, dict[str, Any], str]] = field(default_factory=list)
    started: list[tuple[str, str, str]] = field(default_factory=list)
    stopped: list[tuple[str, str, str]] = field(default_factory=list)

    def on_trigger(
        self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any], idempotency_key: str
    ) -> None:
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

    def queue_text(
        self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str, channel_id: str | None = None
    ) -> bool:
        self.sent.append((subscriber.subscriber_id, text, retry_key))
        return True


@dataclass
class FakeWebhooks:
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def enqueue(
        self, workspace_id: str, subscriber_id: str, endpoint_id: str, payload: dict[str, Any], idempotency_key: str
    ) -> None:
        self.calls.append((subscriber_id, endpoint_id, idempotency_key))

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        self.events.append((event_type, data, idempotency_key))
        return 1


@dataclass
class FakeEmail:
    """SES: records each send; ``fail`` makes the next sends raise (as SES throttling would)."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    def send(self, **message: Any) -> str:
        if self.fail:
            raise RuntimeError("SES unavailable")
        self.sent.append(message)
        return f"m{len(self.sent)}"


@dataclass
class FakeSenders:
    """The workspace's default sender identity, verified (``SenderService.for_send``)."""

    def for_send(self, workspace_id: str, from_address: str | None) -> Sender:
        return Sender(
            identity_id="sid_1",
            from_name="サロン花子",
            from_address="info@shop.example.jp",
            reply_to="desk@shop.example.jp",
        )


@dataclass
class Env:
    service: BookingService
    root: Services
    messenger: FakeMessenger
    webhooks: FakeWebhooks
    email: FakeEmail


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    messenger, webhooks, email = FakeMessenger(), FakeWebhooks(), FakeEmail()
    root = Services(
        email=email,
        senders=FakeSenders(),
        secrets=InMemorySecretStore(),
        scenario_service=FakeScenarios(),
        messenger=messenger,
        webhooks=webhooks,
        events=webhooks,
    )
    previous = wiring.install(root)
    try:
        yield Env(root.bookings, root, messenger, webhooks, email)
    finally:
        wiring.install(previous)


@pytest.fixture
def friends(env: Env) -> Callable[[int], list[str]]:
    def make(count: int) -> list[str]:
        out = []
        repo = env.root.subscribers
        for i in range(count):
            subscriber = repo.new(WS, source="line")
            user = f"U{i:032x}"
            subscriber.line = {"1234567890": line_account(user, status="following")}
            subscriber.display_name = f"友だち{i}"
            repo.create(subscriber, [("line:1234567890", user)])
            out.append(subscriber.subscriber_id)
        return out

    return make


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's in-process DynamoDB is not thread-safe (a transaction deep-copies tables another thread is writing);
    DynamoDB applies each request atomically. One lock per request gives the same: the service code between the
    requests still runs in 16 threads at once, and nothing in it locks."""
    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialised)
