"""LINE webhook signatures (stdlib only: the webhook path imports this).

``x-line-signature`` = base64(HMAC-SHA256(channel secret, raw request body)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(channel_secret: str, body: bytes) -> str:
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Constant-time comparison of the expected and the received signature."""
    if not signature or not channel_secret:
        return False
    expected = sign(channel_secret, body).encode("ascii")
    try:
        received = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, received)
