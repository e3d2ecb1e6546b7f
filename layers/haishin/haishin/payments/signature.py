"""Stripe webhook signature verification with the stdlib (no ``stripe`` import on the webhook path).

Stripe's scheme: ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]`` where each v1 is
HMAC-SHA256(endpoint secret, f"{t}.{raw body}"). During a secret rotation Stripe sends one v1 per active secret, and
an endpoint may hold several secrets of its own (test/live, old/new): any (secret, v1) pair matching is enough.
A timestamp further than ``tolerance`` seconds from now (``haishin.clock``) is refused, so a replay fails.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from haishin import clock

DEFAULT_TOLERANCE_S = 300


class SignatureError(Exception):
    """The request is not from Stripe (or too old); the handler answers 400 and stores nothing."""


def parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureError("the timestamp is not a number") from exc
        elif key == "v1" and value:
            signatures.append(value.strip())
    if timestamp is None:
        raise SignatureError("no timestamp in Stripe-Signature")
    if not signatures:
        raise SignatureError("no v1 signature in Stripe-Signature")
    return timestamp, signatures


def compute_signature(secret: str, timestamp: int, payload: bytes) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign_header(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """A header as Stripe would send it (tests, the local stand-in's counterpart)."""
    t = int(clock.epoch_seconds()) if timestamp is None else timestamp
    return f"t={t},v1={compute_signature(secret, t, payload)}"


def verify(payload: bytes, header: str | None, secrets: Iterable[str], *,
           tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None) -> int:
    """Return the signed timestamp, or raise ``SignatureError``. Constant-time comparisons throughout."""
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    if not header.isascii():  # hmac.compare_digest raises TypeError on non-ASCII text: refuse it as unsigned
        raise SignatureError("Stripe-Signature is not ASCII")
    timestamp, signatures = parse_header(header)
    current = clock.epoch_seconds() if now is None else now
    if tolerance_s > 0 and abs(current - timestamp) > tolerance_s:
        raise SignatureError("timestamp outside the tolerance zone")
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = compute_signature(secret, timestamp, payload)
        for candidate in signatures:
            # no early exit on a match: the time taken does not depend on which pair matched
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no signature matches an endpoint secret")
    return timestamp
