"""Signed, expiring links that bind a hosted page to one friend.

token = ``<subscriber_id>.<expiry unix seconds>.<base64url HMAC-SHA256>`` where the HMAC covers
``purpose | workspace | subscriber | target | expiry`` (target: the form, product or tracked link ID). The key is
the workspace's signing secret in the SecretStore (``secret_name(ws, "forms", "signing")``), created on first use.
A tampered token, one minted for another form or workspace, or an expired one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as pysecrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from haishin import clock
from haishin.errors import NotFound
from haishin.secrets import secret_name

DEFAULT_VALIDITY = timedelta(days=30)
FORM = "form"
PURCHASE = "purchase"
LINK = "link"  # tracked links (haishin.links): the target is the link ID


class TokenInvalid(Exception):
    def __init__(self, reason: str) -> None:  # reason: malformed | signature | expired
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkBinding:
    workspace_id: str
    subscriber_id: str
    target_id: str
    expires_at: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class LinkSigner:
    def __init__(self, secret_store: Any) -> None:
        self.secrets = secret_store

    def _key(self, workspace_id: str, *, create: bool) -> bytes:
        name = secret_name(workspace_id, "forms", "signing")
        try:
            return str(self.secrets.get(name)["key"]).encode()
        except NotFound:
            if not create:
                raise
        # never create from a cached miss: another container may have created the key meanwhile
        invalidate = getattr(self.secrets, "invalidate", None)
        if invalidate is not None:
            invalidate(name)
            try:
                return str(self.secrets.get(name)["key"]).encode()
            except NotFound:
                pass
        # created only if absent: the first sends of a new workspace run concurrently (several containers), and
        # each one must sign with the one key that is stored (a put would overwrite a key already used to sign)
        stored = self.secrets.create(name, {"key": pysecrets.token_urlsafe(32)})
        return str(stored["key"]).encode()

    def key(self, workspace_id: str, *, create: bool) -> bytes:
        """The workspace's signing key (``haishin.track`` signs its click tokens with it too)."""
        return self._key(workspace_id, create=create)

    @staticmethod
    def _mac(key: bytes, purpose: str, workspace_id: str, subscriber_id: str, target_id: str, expiry: int) -> str:
        message = "|".join([purpose, workspace_id, subscriber_id, target_id, str(expiry)]).encode()
        return _b64(hmac.new(key, message, hashlib.sha256).digest())

    def mint(self, purpose: str, workspace_id: str, subscriber_id: str, target_id: str,
             validity: timedelta = DEFAULT_VALIDITY) -> str:
        expiry = int(clock.epoch_seconds() + validity.total_seconds())
        key = self._key(workspace_id, create=True)
        return f"{subscriber_id}.{expiry}.{self._mac(key, purpose, workspace_id, subscriber_id, target_id, expiry)}"

    def verify(self, purpose: str, workspace_id: str, target_id: str, token: str) -> LinkBinding:
        # ASCII only: hmac.compare_digest raises TypeError on non-ASCII text, and str.isdigit() accepts digits
        # int() cannot read ("²"); a URL can carry either, and neither may become a 500
        if not token.isascii():
            raise TokenInvalid("malformed")
        parts = token.split(".")
        if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or len(parts[1]) > 12:
            raise TokenInvalid("malformed")
        subscriber_id, expiry_text, mac = parts
        expiry = int(expiry_text)
        try:
            key = self._key(workspace_id, create=False)
        except NotFound as exc:
            raise TokenInvalid("signature") from exc
        expected = self._mac(key, purpose, workspace_id, subscriber_id, target_id, expiry)
        if not hmac.compare_digest(expected, mac):
            raise TokenInvalid("signature")
        if clock.epoch_seconds() > expiry:
            raise TokenInvalid("expired")
        return LinkBinding(workspace_id, subscriber_id, target_id, expiry)
