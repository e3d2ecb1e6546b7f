"""The LINE webhook's whole job: verify the signature, durably enqueue the body, answer. Stdlib only.

This module is on the cold-start path of ``functions/line_webhook``: it imports neither boto3, botocore, pynamodb,
pydantic, line-bot-sdk nor Powertools (``haishin.aws_lite`` speaks to AWS). Outcomes:

- 413 body over ``settings().max_webhook_body_bytes``; 404 unknown or disconnected channel; 401 missing or wrong
  ``x-line-signature``; 400 a signed body that is not JSON, or not an object with an ``events`` list. Nothing is
  enqueued.
- 200 after one SQS message per request was accepted: ``{"channel_id", "workspace_id", "received_at", "body"}``
  (``body`` is the raw text, so the consumer sees exactly what LINE signed). The console's verify request
  (``events: []``) is enqueued the same way: the consumer records ``webhook_verified_at`` from it. That keeps the
  webhook at one network call and its IAM at read-only on WorkspaceTable.
- 500 when the queue refused the message: LINE redelivers; we never answer 200 for an event we did not keep.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from haishin import clock
from haishin.aws_lite import DynamoDb, SecretsManager, Sqs
from haishin.config import settings, table_name
from haishin.line.signature import verify
from haishin.sqs_limits import MAX_MESSAGE_BYTES, utf8_size
from haishin.ttl_cache import TtlLru

log = logging.getLogger("haishin.line_webhook")

CHANNEL_TTL_S = 60.0
UNKNOWN_CHANNEL_TTL_S = 5.0
SECRET_TTL_S = 300.0
MISSING_SECRET_TTL_S = 5.0
CACHE_MAX_ITEMS = 1024  # per cache and container; random IDs evict the least recently used, never grow memory
SECRET_REFRESH_MIN_INTERVAL_S = 10.0  # a flood of forged signatures cannot turn into a flood of Secrets Manager calls


def log_json(level: int, message: str, **fields: Any) -> None:
    """One JSON line per log record (stdlib logging: Powertools' Logger costs ~40 ms of import on this path)."""
    if log.isEnabledFor(level):
        log.log(level, json.dumps({"message": message, **fields}, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class ChannelRef:
    channel_id: str
    workspace_id: str
    secret_name: str
    status: str = "connected"


class ChannelLookup(Protocol):
    def get(self, channel_id: str) -> ChannelRef | None: ...


class SecretReader(Protocol):
    def channel_secret(self, secret_name: str, *, fresh: bool = False) -> str | None: ...


class QueueSender(Protocol):
    def send(self, body: str) -> None: ...


# ------------------------------------------------------------------------------------------ AWS implementations
class DynamoChannelLookup:
    """``channel#<id>`` from WorkspaceTable with a strongly consistent GetItem, cached per container."""

    def __init__(self, dynamodb: Any = None, table: str | None = None) -> None:
        self._db = dynamodb or DynamoDb()
        self._table = table or table_name("WORKSPACE_TABLE")
        self._cache = TtlLru(CACHE_MAX_ITEMS)

    def get(self, channel_id: str) -> ChannelRef | None:
        found, value = self._cache.get(channel_id)
        if found:
            return value
        item = self._db.get_item(
            self._table, {"pk": f"channel#{channel_id}", "sk": "channel"},
            attributes=["workspace_id", "secret_name", "status"],
        )
        ref = None
        if item and item.get("workspace_id") and item.get("secret_name"):
            ref = ChannelRef(channel_id, str(item["workspace_id"]), str(item["secret_name"]),
                             str(item.get("status") or "connected"))
        self._cache.put(channel_id, ref, CHANNEL_TTL_S if ref else UNKNOWN_CHANNEL_TTL_S)
        return ref


class SecretsManagerReader:
    """The channel secret from the channel's Secrets Manager secret (JSON ``{"channel_secret", ...}``)."""

    def __init__(self, secretsmanager: Any = None) -> None:
        self._sm = secretsmanager or SecretsManager()
        self._cache = TtlLru(CACHE_MAX_ITEMS)

    def channel_secret(self, secret_name: str, *, fresh: bool = False) -> str | None:
        if not fresh:
            found, value = self._cache.get(secret_name)
            if found:
                return value
        text = self._sm.get_secret_string(secret_name)
        secret = None
        if text:
            try:
                secret = json.loads(text).get("channel_secret")
            except (ValueError, AttributeError):
                secret = None
        # a miss is kept briefly too: forged requests for a channel whose secret is gone cost no call each
        self._cache.put(secret_name, secret, SECRET_TTL_S if secret else MISSING_SECRET_TTL_S)
        return secret


class SqsSender:
    def __init__(self, sqs: Any = None, queue_url: str | None = None) -> None:
        self._sqs = sqs or Sqs()
        self._queue_url = queue_url or settings().line_events_queue_url

    def send(self, body: str) -> None:
        self._sqs.send_message(self._queue_url, body)


# ------------------------------------------------------------------------------------------ the service
def _response(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"code": code, "message": message}),
    }


def _envelopes(channel_id: str, workspace_id: str, text: str, parsed: dict[str, Any], events: list[Any]
               ) -> list[str]:
    """The queue message(s) for one webhook body: the body as signed, or, when that is over the queue's
    ``MAX_MESSAGE_BYTES`` (UTF-8 bytes), the events split into as few bodies as fit (each event is applied on its own
    and deduplicated on ``webhookEventId``, so splitting changes nothing downstream)."""
    received_at = clock.now().isoformat(timespec="microseconds")

    def envelope(body: str) -> str:
        return json.dumps({"channel_id": channel_id, "workspace_id": workspace_id, "received_at": received_at,
                           "body": body}, ensure_ascii=False, separators=(",", ":"))

    whole = envelope(text)
    if utf8_size(whole) <= MAX_MESSAGE_BYTES or len(events) < 2:
        return [whole]  # a single event over the limit cannot be split: SendMessage refuses it, LINE redelivers
    half = len(events) // 2
    out: list[str] = []
    for part in (events[:half], events[half:]):
        body = json.dumps({**parsed, "events": part}, ensure_ascii=False, separators=(",", ":"))
        out += _envelopes(channel_id, workspace_id, body, {**parsed, "events": part}, part)
    return out


class WebhookService:
    def __init__(
        self,
        channels: ChannelLookup,
        secrets: SecretReader,
        sender: QueueSender,
        *,
        max_body_bytes: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channels = channels
        self.secrets = secrets
        self.sender = sender
        self.max_body_bytes = max_body_bytes if max_body_bytes is not None else settings().max_webhook_body_bytes
        self._monotonic = monotonic
        self._last_refresh: dict[str, float] = {}

    # ------------------------------------------------------------------ pieces
    def _raw_body(self, event: dict[str, Any]) -> bytes | None:
        """The exact bytes LINE signed; None when the body is too large (checked before decoding)."""
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            if len(body) > (self.max_body_bytes * 4) // 3 + 4:
                return None
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raw = b"\x00invalid-base64"  # cannot match any signature: answered 401
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        return None if len(raw) > self.max_body_bytes else raw

    def _signature_ok(self, ref: ChannelRef, raw: bytes, signature: str | None) -> bool:
        if not signature:
            return False
        secret = self.secrets.channel_secret(ref.secret_name)
        if secret and verify(secret, raw, signature):
            return True
        # Maybe the secret was rotated since we cached it: re-read once (rate-limited per channel).
        now = self._monotonic()
        if now - self._last_refresh.get(ref.channel_id, -1e9) < SECRET_REFRESH_MIN_INTERVAL_S:
            return False
        self._last_refresh[ref.channel_id] = now
        fresh = self.secrets.channel_secret(ref.secret_name, fresh=True)
        return bool(fresh and fresh != secret and verify(fresh, raw, signature))

    # ------------------------------------------------------------------ the request
    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        channel_id = str((event.get("pathParameters") or {}).get("channel_id") or "")
        raw = self._raw_body(event)
        if raw is None:
            log_json(logging.WARNING, "webhook body too large", channel_id=channel_id)
            return _response(413, "payload_too_large", f"the body is over {self.max_body_bytes} bytes")
        if not (channel_id.isascii() and channel_id.isdigit()):
            return _response(404, "unknown_channel", "no connected channel has this ID")
        try:
            ref = self.channels.get(channel_id)
        except Exception:
            log.exception("channel lookup failed")
            return _response(500, "internal_error", "try again")
        if ref is None or ref.status != "connected":
            log_json(logging.WARNING, "webhook for an unknown channel", channel_id=channel_id)
            return _response(404, "unknown_channel", "no connected channel has this ID")
        headers = event.get("headers") or {}
        signature = headers.get("x-line-signature") or next(
            (v for k, v in headers.items() if k.lower() == "x-line-signature"), None
        )
        try:
            signed = self._signature_ok(ref, raw, signature)
        except Exception:
            log.exception("reading the channel secret failed")
            return _response(500, "internal_error", "try again")
        if not signed:
            log_json(logging.WARNING, "bad webhook signature", channel_id=channel_id, present=bool(signature))
            return _response(401, "bad_signature", "x-line-signature does not match the body")
        try:
            text = raw.decode("utf-8")
            parsed = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            return _response(400, "bad_body", "the body is not JSON")
        events = parsed.get("events") if isinstance(parsed, dict) else None
        if not isinstance(events, list):
            return _response(400, "bad_body", "the body must be a JSON object with an events list")
        messages = _envelopes(channel_id, ref.workspace_id, text, parsed, events)
        try:
            for message in messages:  # one, unless the body is over the queue's size: then split by events
                self.sender.send(message)
        except Exception as exc:
            log_json(logging.ERROR, "enqueue failed; LINE will redeliver", channel_id=channel_id,
                     error=type(exc).__name__, detail=str(exc)[:200])
            return _response(500, "enqueue_failed", "the events could not be queued; LINE will redeliver")
        log_json(logging.INFO, "webhook accepted", channel_id=channel_id, events=len(events))
        return _response(200, "ok", "accepted")


def default_service() -> WebhookService:
    """The production wiring (no network happens until the first request)."""
    return WebhookService(DynamoChannelLookup(), SecretsManagerReader(), SqsSender())
