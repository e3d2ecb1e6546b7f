"""Outgoing webhooks' use cases: endpoints (create, update, rotate, delete), queueing events, delivering one attempt,
the test event and replay. Knows no Lambda events and no PynamoDB (``WebhookRepository``)."""

from __future__ import annotations

import ipaddress
import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from haishin import clock, ids
from haishin.errors import ValidationFailed
from haishin.secrets import SecretStore, mask, secret_name
from haishin.storage.base import iso
from haishin.webhook_events import delivery_id as make_delivery_id
from haishin.webhook_events import event_id as make_event_id
from haishin.webhooks.models import EVENT_TYPES, WebhookDeliveryModel, WebhookEndpointModel
from haishin.webhooks.queue import DeliveryQueue
from haishin.webhooks.repository import MAX_ENDPOINTS, WebhookRepository
from haishin.webhooks.sender import SendResult, UnsafeUrl, allow_list, refused_reason
from haishin.webhooks.signer import EVENT_ID_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, new_secret, sign

if TYPE_CHECKING:  # the admin's pydantic schemas: the webhook sender's cold start does not load pydantic
    from haishin.webhooks.schemas import EndpointDefinition, EndpointUpdate

log = logging.getLogger(__name__)

SECRET_KIND = "webhooks"  # noqa: S105 - the secret store path segment, not a secret
# Seconds to wait after the n-th failed attempt (about 23 hours in all, as Stripe retries for days in live mode);
# each wait gets up to 10% of jitter so a receiver's outage does not end in a thundering herd.
BACKOFF_S: tuple[int, ...] = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(BACKOFF_S) + 1
ROTATION_GRACE = timedelta(hours=24)  # the previous secret still signs (as a second v1) for a day after a rotation
DELIVERY_TTL = timedelta(days=30)
ATTEMPT_LOG = 10
Outcome = Literal["delivered", "retry", "failed"]


def classify(result: SendResult) -> Outcome:
    """2xx delivered; no answer, 408, 429 and 5xx are retried; a refused URL, 3xx (redirects are not followed) and
    every other 4xx are permanent: the receiver said no, and asking again would not change its answer."""
    if result.refused:
        return "failed"
    if result.status is None:
        return "retry"
    if 200 <= result.status < 300:
        return "delivered"
    if result.status in (408, 429) or result.status >= 500:
        return "retry"
    return "failed"


def backoff_seconds(attempt: int, *, jitter: float | None = None) -> int:
    base = BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1]
    fraction = random.random() if jitter is None else jitter  # spreading retries, not a secret
    return int(base * (1 + 0.1 * fraction))


def check_endpoint_url(url: str) -> None:
    """What can be checked without DNS when an endpoint is saved (each send resolves and checks again)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    exempt = f"{host}:{port}" in allow_list()
    if parts.scheme != "https" and not (parts.scheme == "http" and exempt):
        raise ValidationFailed("Webhook の URL は https:// で始めてください", where="url")
    if parts.username or parts.password:
        raise ValidationFailed("URL に認証情報は含められません", where="url")
    if host in ("localhost", "metadata.google.internal") and not exempt:
        raise ValidationFailed(f"このホストには送れません: {host}", where="url")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    reason = None if exempt else refused_reason(host.strip("[]"))
    if reason:
        raise ValidationFailed(reason, where="url")


def endpoint_view(endpoint: WebhookEndpointModel) -> dict[str, Any]:
    return {"endpoint_id": endpoint.endpoint_id, "url": endpoint.url, "description": endpoint.description,
            "enabled": endpoint.enabled, "events": sorted(endpoint.events or set()),
            "secret_hint": endpoint.secret_hint, "created_at": iso(endpoint.created_at),
            "updated_at": iso(endpoint.updated_at)}


def delivery_view(delivery: WebhookDeliveryModel) -> dict[str, Any]:
    log_ = list(delivery.attempt_log or [])
    last = log_[-1] if log_ else {}
    return {"delivery_id": delivery.delivery_id, "endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
            "event_type": delivery.event_type, "status": delivery.status, "attempts": int(delivery.attempts or 0),
            "last_status_code": last.get("status_code"), "last_error": last.get("error"),
            "last_duration_ms": last.get("duration_ms"), "attempt_log": log_,
            "next_attempt_at": iso(delivery.next_attempt_at) if delivery.next_attempt_at else None,
            "created_at": iso(delivery.created_at), "updated_at": iso(delivery.updated_at),
            "event": delivery.event}


@dataclass
class WebhookService:
    repository: WebhookRepository
    secrets: SecretStore
    queue: DeliveryQueue
    sender: Any  # HttpSender: post(url, body, headers) -> SendResult

    # ------------------------------------------------------------------ endpoints
    def endpoints(self, workspace_id: str) -> list[dict[str, Any]]:
        return [endpoint_view(e) for e in sorted(self.repository.endpoints(workspace_id),
                                                 key=lambda e: e.created_at)]

    def create_endpoint(self, workspace_id: str, definition: EndpointDefinition) -> dict[str, Any]:
        """Returns the endpoint and, this once, its signing secret (``whsec_...``)."""
        url = str(definition.url)
        check_endpoint_url(url)
        if len(self.repository.endpoints(workspace_id)) >= MAX_ENDPOINTS:
            raise ValidationFailed(f"Webhook エンドポイントは {MAX_ENDPOINTS} 件までです", where="url")
        now = clock.now()
        endpoint_id = ids.new_id("whep_")
        secret = new_secret()
        self.secrets.put(secret_name(workspace_id, SECRET_KIND, endpoint_id), {"secret": secret})
        endpoint = WebhookEndpointModel(
            f"ws#{workspace_id}", f"webhook#{endpoint_id}", workspace_id=workspace_id, endpoint_id=endpoint_id,
            url=url, description=definition.description, enabled=definition.enabled,
            events=set(definition.events) or None, secret_hint=mask(secret), created_at=now, updated_at=now)
        self.repository.save_endpoint(endpoint)
        return {**endpoint_view(endpoint), "secret": secret}

    def update_endpoint(self, workspace_id: str, endpoint_id: str, update: EndpointUpdate) -> dict[str, Any]:
        endpoint = self.repository.require_endpoint(workspace_id, endpoint_id)
        if update.url is not None:
            check_endpoint_url(str(update.url))
            endpoint.url = str(update.url)
        if update.description is not None:
            endpoint.description = update.description
        if update.enabled is not None:
            endpoint.enabled = update.enabled
        if update.events is not None:
            endpoint.events = set(update.events) or None
        endpoint.updated_at = clock.now()
        self.repository.save_endpoint(endpoint)
        return endpoint_view(endpoint)

    def rotate_secret(self, workspace_id: str, endpoint_id: str) -> dict[str, Any]:
        """A new secret, shown once; the old one keeps signing (as a second ``v1``) for ``ROTATION_GRACE``."""
        endpoint = self.repository.require_endpoint(workspace_id, endpoint_id)
        name = secret_name(workspace_id, SECRET_KIND, endpoint_id)
        old = self.secrets.get(name).get("secret")
        secret = new_secret()
        now = clock.now()
        self.secrets.put(name, {"secret": secret, "previous": old or "",
                                "previous_until": iso(now + ROTATION_GRACE)})
        endpoint.secret_hint, endpoint.updated_at = mask(secret), now
        self.repository.save_endpoint(endpoint)
        return {**endpoint_view(endpoint), "secret": secret}

    def delete_endpoint(self, workspace_id: str, endpoint_id: str) -> None:
        self.repository.delete_endpoint(workspace_id, endpoint_id)
        self.secrets.delete(secret_name(workspace_id, SECRET_KIND, endpoint_id))

    def require_endpoint(self, workspace_id: str, endpoint_id: str) -> None:
        self.repository.require_endpoint(workspace_id, endpoint_id)

    # ------------------------------------------------------------------ queueing
    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        """One event to every enabled endpoint subscribed to ``event_type``; returns how many were queued."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {event_type!r}")
        targets = [e for e in self.repository.endpoints(workspace_id)
                   if e.enabled and event_type in (e.events or set())]
        for endpoint in targets:
            self._enqueue(workspace_id, endpoint.endpoint_id, event_type, data, idempotency_key)
        return len(targets)

    def enqueue(self, workspace_id: str, subscriber_id: str, endpoint_id: str, payload: dict[str, Any],
                idempotency_key: str) -> None:
        """The ``call_webhook`` action: one event of type ``action`` to the endpoint named. An endpoint deleted or
        paused since the action was saved does not fail the step (that would retry it into the dead-letter queue):
        the delivery is recorded and fails at its attempt, visibly in the admin's delivery list, without a request."""
        self._enqueue(workspace_id, endpoint_id, "action", {"subscriber_id": subscriber_id, **payload},
                      idempotency_key)

    def send_test(self, workspace_id: str, endpoint_id: str) -> dict[str, Any]:
        self.repository.require_endpoint(workspace_id, endpoint_id)
        delivery = self._enqueue(workspace_id, endpoint_id, "test",
                                 {"message": "Haishin からのテスト送信です"}, ids.new_id("test_"))
        return delivery_view(delivery)

    def _enqueue(self, workspace_id: str, endpoint_id: str, event_type: str, data: dict[str, Any],
                 idempotency_key: str) -> WebhookDeliveryModel:
        """Store the delivery (one per event and endpoint) and queue it. A retried cause finds the stored delivery:
        it is queued only if its first queueing never succeeded (stored, then SQS failed); otherwise nothing
        happens, so a cause retried after success never sends twice."""
        now = clock.now()
        evt = make_event_id(workspace_id, event_type, idempotency_key)
        did = make_delivery_id(evt, endpoint_id)
        delivery = self.repository.new_delivery(workspace_id, did, now)
        delivery.endpoint_id, delivery.event_id, delivery.event_type = endpoint_id, evt, event_type
        delivery.event = {"id": evt, "type": event_type, "created": iso(now), "workspace_id": workspace_id,
                          "data": data}
        delivery.expires_at = int((now + DELIVERY_TTL).timestamp())
        if not self.repository.create_delivery(delivery):
            existing = self.repository.require_delivery(workspace_id, did)
            if existing.enqueued or int(existing.attempts or 0) > 0:
                return existing
            delivery = existing
        self.queue.send(workspace_id, did)
        self.repository.mark_enqueued(workspace_id, did)
        return delivery

    # ------------------------------------------------------------------ admin views
    def deliveries(self, workspace_id: str, *, limit: int = 50, endpoint_id: str | None = None) -> list[dict[str, Any]]:
        return [delivery_view(d) for d in self.repository.recent_deliveries(workspace_id, limit=limit,
                                                                             endpoint_id=endpoint_id)]

    def delivery(self, workspace_id: str, delivery_id: str) -> dict[str, Any]:
        return delivery_view(self.repository.require_delivery(workspace_id, delivery_id))

    def replay(self, workspace_id: str, delivery_id: str) -> dict[str, Any]:
        """Send a delivery again now (the same event ID and body, freshly signed); its attempt history stays."""
        def reset(d: WebhookDeliveryModel) -> None:
            d.status, d.next_attempt_at, d.updated_at = "queued", None, clock.now()

        delivery = self.repository.update_delivery(workspace_id, delivery_id, reset)
        self.queue.send(workspace_id, delivery_id)
        return delivery_view(delivery)

    # ------------------------------------------------------------------ delivering (the queue consumer)
    def deliver(self, workspace_id: str, delivery_id: str) -> int | None:
        """Make one attempt if one is due. Returns seconds until the next attempt (queue it again), or None when
        the delivery is settled (delivered, failed, or gone)."""
        delivery = self.repository.get_delivery(workspace_id, delivery_id)
        if delivery is None or delivery.status in ("delivered", "failed"):
            return None
        now = clock.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return max(1, int((delivery.next_attempt_at - now).total_seconds()))
        endpoint = self.repository.get_endpoint(workspace_id, delivery.endpoint_id)
        attempt = int(delivery.attempts or 0) + 1
        if endpoint is None or not endpoint.enabled:
            result = SendResult(None, 0, error="エンドポイントが削除されたか無効になっています", refused=True)
        else:
            body = json.dumps(delivery.event, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Haishin-Webhooks/1.0",
                SIGNATURE_HEADER: sign(self._signing_secrets(workspace_id, endpoint.endpoint_id, now), body,
                                       int(now.timestamp())),
                EVENT_ID_HEADER: delivery.event_id,
                IDEMPOTENCY_HEADER: delivery.event_id,
                "Haishin-Event-Type": delivery.event_type,
                "Haishin-Delivery-Attempt": str(attempt),
            }
            try:
                result = self.sender.post(endpoint.url, body, headers)
            except UnsafeUrl as exc:  # pragma: no cover - HttpSender returns refusals; a custom sender may raise
                result = SendResult(None, 0, error=exc.reason, refused=True)
        outcome = classify(result)
        if outcome == "retry" and attempt >= MAX_ATTEMPTS:
            outcome = "failed"
        delay = backoff_seconds(attempt) if outcome == "retry" else None
        entry = {"attempt": attempt, "at": iso(now), "status_code": result.status, "duration_ms": result.duration_ms,
                 "error": result.error, "outcome": outcome, "response": (result.body or "")[:512]}

        def settle(d: WebhookDeliveryModel) -> None:
            d.attempts = attempt
            d.attempt_log = [*(d.attempt_log or []), entry][-ATTEMPT_LOG:]
            d.status = {"delivered": "delivered", "failed": "failed", "retry": "retrying"}[outcome]
            d.next_attempt_at = now + timedelta(seconds=delay) if delay is not None else None
            d.updated_at = now

        self.repository.update_delivery(workspace_id, delivery_id, settle)
        log.info("webhook delivery %s attempt %d: %s (%s)", delivery_id, attempt, outcome,
                 result.status or result.error)
        return delay

    def _signing_secrets(self, workspace_id: str, endpoint_id: str, now: Any) -> list[str]:
        stored = self.secrets.get(secret_name(workspace_id, SECRET_KIND, endpoint_id))
        keys = [stored["secret"]]
        until = stored.get("previous_until")
        if stored.get("previous") and until and until > iso(now):
            keys.append(stored["previous"])
        return keys
