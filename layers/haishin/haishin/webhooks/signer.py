"""The Haishin-Signature header, signed the way Stripe signs its webhooks.

``Haishin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. During a secret rotation a
header may carry several ``v1`` values; a receiver accepts the delivery when any of them matches. ``verify`` is the
function a receiver (in Python) uses as is; docs/production/webhooks.md shows the same check in a few lines.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Haishin-Signature"
EVENT_ID_HEADER = "Haishin-Event-Id"  # the same on every retry and replay: receivers dedupe on it
IDEMPOTENCY_HEADER = "Idempotency-Key"  # = the event ID, under the name HTTP APIs commonly read
DEFAULT_TOLERANCE_S = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets


class SignatureError(ValueError):
    """The header is missing, malformed, too old, or no signature matches."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secrets_: str | list[str], body: bytes, timestamp: int) -> str:
    """The header value for ``body`` at ``timestamp`` (one v1 per secret: the new one first while rotating)."""
    keys = [secrets_] if isinstance(secrets_, str) else secrets_
    return ",".join([f"t={timestamp}", *(f"v1={_digest(k, timestamp, body)}" for k in keys)])


def verify(secret: str, body: bytes, header: str | None, *, tolerance_s: int = DEFAULT_TOLERANCE_S,
           now: float | None = None) -> int:
    """Check a delivery as a receiver should; returns its timestamp or raises ``SignatureError``.

    ``body`` must be the raw bytes received (not re-serialised JSON). A timestamp more than ``tolerance_s`` away
    from ``now`` is refused, so a captured delivery cannot be replayed later.
    """
    if not header:
        raise SignatureError("no Haishin-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed Haishin-Signature header")
    current = time.time() if now is None else now
    if tolerance_s > 0 and abs(current - timestamp) > tolerance_s:
        raise SignatureError("timestamp outside the tolerance")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no signature matches")
    return timestamp
