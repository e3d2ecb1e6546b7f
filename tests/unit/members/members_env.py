"""Fixtures for member-site tests: moto tables, a manual clock, an in-memory secret store, recording fakes for the
scenario engine, webhooks and the e-mail sender, and a payments stand-in holding products and orders."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from haishin import wiring
from haishin.errors import NotFound
from haishin.members.service import MemberService
from haishin.secrets import InMemorySecretStore
from haishin.senders.service import Sender
from haishin.wiring import Services

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forms"))
from forms_env import FakeMessenger, FakeScenarios, FakeWebhooks

WS = "w_mem"


@dataclass
class Outbox:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, *, source: str, to: str, subject: str, html: str | None, text: str | None,
             headers: dict[str, str] | None = None) -> str:
        self.sent.append({"source": source, "to": to, "subject": subject, "text": text})
        return f"m{len(self.sent)}"


class VerifiedSenders:
    def for_send(self, workspace_id: str, from_address: str | None) -> Sender:
        return Sender("sid_1", "講座事務局", "school@example.jp", None)


@dataclass
class Payments:
    """Products and orders as PaymentService answers them (the listener reads only these two)."""

    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, SimpleNamespace] = field(default_factory=dict)

    def get_product(self, workspace_id: str, product_id: str) -> Any:
        if product_id not in self.products:
            raise NotFound("商品が見つかりません")
        return SimpleNamespace(product_id=product_id, definition=self.products[product_id])

    def get_order(self, workspace_id: str, order_id: str) -> Any:
        if order_id not in self.orders:
            raise NotFound("注文が見つかりません")
        return self.orders[order_id]


@dataclass
class Env:
    service: MemberService
    root: Services
    scenarios: FakeScenarios
    webhooks: FakeWebhooks
    outbox: Outbox
    payments: Payments


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    scenarios, webhooks, outbox, payments = FakeScenarios(), FakeWebhooks(), Outbox(), Payments()
    root = Services(secrets=InMemorySecretStore(), scenario_service=scenarios, messenger=FakeMessenger(),
                    webhooks=webhooks, email=outbox, senders=VerifiedSenders(), payments=payments)
    previous = wiring.install(root)
    try:
        yield Env(root.members, root, scenarios, webhooks, outbox, payments)
    finally:
        wiring.install(previous)


@pytest.fixture
def friend(env: Env) -> Callable[[str], str]:
    def make(email: str) -> str:
        repo = env.root.subscribers
        subscriber = repo.new(WS, source="stripe")
        subscriber.email = email
        subscriber.display_name = email.split("@", maxsplit=1)[0]
        repo.create(subscriber, [("email", email)])
        return subscriber.subscriber_id

    return make
