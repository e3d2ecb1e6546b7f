"""What other packages see of outgoing webhooks: the publishing protocol and deterministic event IDs (stdlib only,
so every service can depend on it without pulling the sender or storage)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable


def event_id(workspace_id: str, event_type: str, idempotency_key: str) -> str:
    """The same cause (a LINE webhookEventId, a Stripe event ID, a form submission...) always gets the same ID."""
    digest = hashlib.sha256(f"{workspace_id}|{event_type}|{idempotency_key}".encode()).hexdigest()
    return "evt_" + digest[:32]


def delivery_id(event: str, endpoint_id: str) -> str:
    return "whd_" + hashlib.sha256(f"{event}|{endpoint_id}".encode()).hexdigest()[:32]


@runtime_checkable
class WebhookEvents(Protocol):
    """Publishes one event to every enabled endpoint of the workspace subscribed to its type (queued, signed)."""

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int: ...


@runtime_checkable
class WebhookCaller(Protocol):
    """Queues a signed call to one endpoint of the workspace (the ``call_webhook`` action)."""

    def enqueue(self, workspace_id: str, subscriber_id: str, endpoint_id: str, payload: dict[str, Any],
                idempotency_key: str) -> None: ...


class EventFanout:
    """Domain events to the outgoing webhooks first, then to listeners (conversions). A listener's failure is
    logged and does not fail the cause (a friend's form answer or payment never fails because of analytics)."""

    def __init__(self, webhooks: WebhookEvents, *listeners: WebhookEvents) -> None:
        self.webhooks = webhooks
        self.listeners = listeners

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        queued = self.webhooks.publish(workspace_id, event_type, data, idempotency_key=idempotency_key)
        for listener in self.listeners:
            try:
                listener.publish(workspace_id, event_type, data, idempotency_key=idempotency_key)
            except Exception:
                logging.getLogger(__name__).exception("event %s: a listener failed", event_type)
        return queued


T = TypeVar("T")


class LateListener(Generic[T]):
    """A listener looked up on each call, THE way the composition root breaks a construction loop: the listener is
    built from services that themselves hold what it listens to (partners, seminars and coupon redemptions publish
    through the event fanout: partners -> routes -> actions -> events; the rich menus' re-linker reads menus through
    the rich menu service). Every attribute (``publish``, ``on_menu_replaced``...) is the one of what ``get``
    returns then, so it stands for a listener of any kind; the root's cached services make ``get`` cheap."""

    def __init__(self, get: Callable[[], T]) -> None:
        self._get = get

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy/pickle probes, and ``_get`` itself before ``__init__``: never a lookup
            raise AttributeError(name)
        return getattr(self._get(), name)
