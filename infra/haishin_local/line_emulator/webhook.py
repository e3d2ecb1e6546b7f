"""Webhook bodies as LINE sends them, their signature, and the signed POST to the bot's webhook URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any, NamedTuple

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def sign(channel_secret: str, body: bytes) -> str:
    """``x-line-signature``: base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_event_id(at: datetime) -> str:
    """ULID-like (26 Crockford base32 chars, time first) from the emulator clock, as LINE's ``webhookEventId``."""
    value = (int(at.timestamp() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def reply_token() -> str:
    return secrets.token_hex(16)


def mark_as_read_token() -> str:
    return secrets.token_urlsafe(32)


def quote_token() -> str:
    return secrets.token_urlsafe(48)


def message_id() -> str:
    """LINE message IDs are decimal strings of about 18 digits."""
    return str(400_000_000_000_000_000 + secrets.randbelow(99_999_999_999_999_999))


def base_event(kind: str, user_id: str, at: datetime, token: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(at.timestamp() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": webhook_event_id(at),
        "deliveryContext": {"isRedelivery": False},
    }
    if token is not None:
        event["replyToken"] = token
    return event


def encode(body: dict[str, Any]) -> bytes:
    # LINE sends compact JSON with non-ASCII characters as UTF-8, not \\u escapes.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Outcome(NamedTuple):
    """One webhook POST as LINE reports it (``POST /v2/bot/channel/webhook/test`` and the error statistics).

    ``status`` is the bot's HTTP status, 0 when no response came. ``reason`` is LINE's: OK, ERROR_STATUS_CODE,
    COULD_NOT_CONNECT, REQUEST_TIMEOUT or UNCLASSIFIED; ``detail`` the status code or what went wrong.
    """

    status: int
    reason: str
    detail: str


def post(url: str, channel_secret: str, body: bytes, timeout_s: float) -> Outcome:
    """POSTs a signed body. Never raises for a bad URL or an unreachable bot: that is an outcome too."""
    try:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "LineBotWebhook/2.0",
                "x-line-signature": sign(channel_secret, body),
            },
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
    except ValueError as exc:  # a malformed URL (http.client.InvalidURL is one): no connection was attempted
        return Outcome(0, "UNCLASSIFIED", f"{type(exc).__name__}: {exc}")
    except (urllib.error.URLError, OSError) as exc:
        cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(cause, TimeoutError):
            return Outcome(0, "REQUEST_TIMEOUT", "Request timeout")
        return Outcome(0, "COULD_NOT_CONNECT", f"Connection failed: {cause}")
    except http.client.HTTPException as exc:  # the bot answered something that is not HTTP
        return Outcome(0, "UNCLASSIFIED", f"{type(exc).__name__}: {exc}")
    return Outcome(status, "OK" if 200 <= status < 300 else "ERROR_STATUS_CODE", str(status))
