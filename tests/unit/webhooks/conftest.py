"""Outgoing-webhook fixtures: moto tables, a manual clock, an in-memory secret store and queue, a scripted sender."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from haishin.secrets import InMemorySecretStore
from haishin.webhooks.queue import InMemoryWebhookQueue
from haishin.webhooks.repository import WebhookRepository
from haishin.webhooks.schemas import EndpointDefinition
from haishin.webhooks.sender import SendResult
from haishin.webhooks.service import WebhookService

WS = "ws_hooks"


@dataclass
class ScriptedSender:
    """Answers each POST with the next scripted result (200 when the script is empty); records what was sent."""

    script: list[SendResult] = field(default_factory=list)
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        self.posts.append((url, body, headers))
        return self.script.pop(0) if self.script else SendResult(200, 12, body="ok")


@dataclass
class Env:
    service: WebhookService
    secrets: InMemorySecretStore
    queue: InMemoryWebhookQueue
    sender: ScriptedSender

    def endpoint(self, events: list[str] | None = None, url: str = "https://hooks.example.com/in",
                 enabled: bool = True) -> dict[str, Any]:
        return self.service.create_endpoint(WS, EndpointDefinition.model_validate(
            {"url": url, "events": events or [], "enabled": enabled}))


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    secrets, queue, sender = InMemorySecretStore(), InMemoryWebhookQueue(), ScriptedSender()
    yield Env(WebhookService(WebhookRepository(), secrets, queue, sender), secrets, queue, sender)
