"""The collaborators forms and payments use, built lazily so tests inject fakes and Lambdas pay only for what runs.

The scenario engine (``haishin.scenarios.service.ScenarioService``), the outgoing-webhook queue and the default
services live in ``haishin.wiring`` (another area); they are looked up by name on first use and may be missing
(``None``): a form then still stores its answer and applies tags/fields, and says so in the log.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from haishin.actions import ActionRunner, ScenarioControl, WebhookCaller
from haishin.line.client import LineClients
from haishin.subscribers.line_reach import push_to_friend
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline

log = logging.getLogger(__name__)


class ScenarioTrigger(Protocol):
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> Any: ...


class Messenger(Protocol):
    """Sends one friend a LINE text with a deterministic retry key (auto-replies, thank-you messages)."""

    def push_text(self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str,
                  channel_id: str | None = None) -> bool: ...


def _from_wiring(*names: str) -> Any:
    try:
        wiring = importlib.import_module("haishin.wiring")
    except ImportError:
        return None
    holders: list[Any] = [wiring]
    if callable(getattr(wiring, "services", None)):
        holders.insert(0, wiring.services())  # haishin.wiring.services(): the lazily built default services
    for holder in holders:
        for name in names:
            factory = getattr(holder, name, None)
            if factory is not None:
                return factory() if callable(factory) else factory
    return None


def _default_secrets() -> Any:
    found = _from_wiring("secret_store", "secrets")
    if found is not None:
        return found
    from haishin.secrets import SecretsManagerStore  # noqa: PLC0415

    return SecretsManagerStore()


def _default_scenarios() -> Any:
    found = _from_wiring("scenario_service", "scenarios")
    if found is not None:
        return found
    try:
        module = importlib.import_module("haishin.scenarios.service")
        return module.ScenarioService()
    except Exception:
        log.warning("scenario engine unavailable: scenario triggers are skipped")
        return None


class LineMessenger:
    """Auto-replies through the one LINE client (``haishin.line.client``), push with ``X-Line-Retry-Key``.

    Sent directly, not through DeliveryQueue: ``haishin.delivery.messages`` knows only the kinds ``step`` (needs a
    scenario step reference) and ``broadcast`` (ledger and timeline attribute it to a broadcast), so there is no
    one-off kind (one recipient, inline content, deterministic delivery ID) to enqueue yet. The retry key makes a
    repeat a no-op. Move this to an enqueue once the worker gains such a kind (email auto-replies wait for it too).
    """

    def __init__(self, secrets: Any) -> None:
        self._secrets = secrets
        self._clients: Any = None

    def push_text(self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str,
                  channel_id: str | None = None) -> bool:
        if self._clients is None:
            self._clients = LineClients(self._secrets)
        # the asked-for channel when the friend has it, else the usual choice (haishin.subscribers.line_reach)
        channel = channel_id if channel_id and channel_id in (subscriber.line or {}) else None
        sent = push_to_friend(self._clients, workspace_id, subscriber.line, [{"type": "text", "text": text[:5000]}],
                              retry_key=retry_key, channel_id=channel)
        return sent is not None


@dataclass
class Collaborators:
    subscribers: SubscriberRepository = field(default_factory=SubscriberRepository)
    timeline: Timeline = field(default_factory=Timeline)
    secrets: Any = None
    scenarios: Any = None  # ScenarioTrigger & ScenarioControl (haishin.scenarios.service.ScenarioService)
    webhooks: WebhookCaller | None = None
    messenger: Messenger | None = None
    stripe: Any = None  # haishin.stripe_api.StripeGateway
    _resolved: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _lazy(self, name: str, build: Any) -> Any:
        value = getattr(self, name)
        if value is None and name not in self._resolved:
            with self._lock:
                if name not in self._resolved:
                    setattr(self, name, build())
                    self._resolved.add(name)
            value = getattr(self, name)
        return value

    def secret_store(self) -> Any:
        return self._lazy("secrets", _default_secrets)

    def scenario_service(self) -> Any:
        return self._lazy("scenarios", _default_scenarios)

    def webhook_caller(self) -> WebhookCaller | None:
        return self._lazy("webhooks", lambda: _from_wiring("webhook_caller", "webhooks"))

    def line_messenger(self) -> Messenger:
        return self._lazy("messenger", lambda: LineMessenger(self.secret_store()))

    def stripe_gateway(self) -> Any:
        def build() -> Any:
            from haishin.stripe_api import StripeGateway  # noqa: PLC0415

            return StripeGateway()

        return self._lazy("stripe", build)

    def action_runner(self) -> ActionRunner:
        control: ScenarioControl | None = self.scenario_service()
        return ActionRunner(self.subscribers, self.timeline, scenarios=control, webhooks=self.webhook_caller())

    def trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                idempotency_key: str) -> bool:
        service = self.scenario_service()
        if service is None or not hasattr(service, "on_trigger"):
            log.warning("no scenario engine: trigger %s skipped", trigger)
            return False
        service.on_trigger(workspace_id, subscriber_id, trigger, detail, idempotency_key=idempotency_key)
        return True
