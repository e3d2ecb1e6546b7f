"""The per-friend, per-source click token: ``<link>.<friend>.<source>.<mac>`` (after ``/c/``).

- ``link``: ``m`` + 16 base32 characters, a hash of (workspace, target URL): the one record a click reads gives the
  workspace (for the key) and the target URL (the only place a click may redirect to);
- ``friend``: the subscriber ID;
- ``source``: where the URL was sent, read without any DB access: ``b~<broadcast>~<variant or ->`` (broadcast and
  A/B variant), ``s~<scenario>~<step>`` (scenario step) or ``s~<scenario>~<step>~<variant>`` (an A/B step's
  variant), ``a~<auto-reply>``;
- ``mac``: keyed BLAKE2b-128 (personalised ``haishin-track``) over ``workspace|friend|source|link`` with the workspace's
  signing key (the one of ``haishin.forms.tokens.LinkSigner``), 22 base64url characters.
No expiry: the token grants nothing but a count and the redirect to the stored URL, and a step message may be
tapped a year later. Deterministic: the same delivery renders the same URLs (idempotent re-renders, retries).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

_PART = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
MAC_CHARS = 22
KINDS = {"b": "broadcast", "s": "scenario", "a": "autoreply", "r": "richmenu"}
ANONYMOUS = "-"  # the friend part of a URL every friend shares (a rich menu area): counted, never attributed


class TrackTokenInvalid(Exception):
    def __init__(self, reason: str) -> None:  # malformed | signature
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Source:
    kind: str  # b | s | a
    id: str  # broadcast, scenario or auto-reply ID
    sub: str | None = None  # the variant index (broadcast) or the step ID (scenario)
    variant: str | None = None  # the variant index of an A/B test step (scenario only)

    def encode(self) -> str:
        return _encoded(self.kind, self.id, self.sub, self.variant)

    @classmethod
    def decode(cls, text: str) -> Source:
        parts = text.split("~")
        if (len(parts) not in (2, 3, 4) or parts[0] not in KINDS or (len(parts) == 4 and parts[0] != "s")
                or not all(_PART.match(p) for p in parts[1:])):
            raise TrackTokenInvalid("malformed")
        return cls(parts[0], _unpart(parts[1]), _unpart(parts[2]) if len(parts) >= 3 else None,
                   _unpart(parts[3]) if len(parts) == 4 else None)


@functools.lru_cache(maxsize=1024)
def _encoded(kind: str, source_id: str, sub: str | None, variant: str | None) -> str:
    """Cached: planning encodes the same broadcast's source once per friend."""
    parts = [kind, _part(source_id)] + ([_part(sub)] if sub is not None else [])
    if variant is not None and sub is not None:
        parts.append(_part(variant))
    return "~".join(parts)


def _part(value: str) -> str:
    if _PART.match(value) and not value.startswith("x-"):
        return value
    return "x-" + base64.urlsafe_b64encode(value.encode()).rstrip(b"=").decode()  # any other ID, kept readable back


def _unpart(value: str) -> str:
    if value.startswith("x-"):
        raw = value[2:]
        try:
            return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrackTokenInvalid("malformed") from exc
    return value


def link_id_for(workspace_id: str, url: str) -> str:
    digest = hashlib.sha256(f"{workspace_id}\n{url}".encode()).digest()
    return "m" + base64.b32encode(digest).decode()[:16].lower()


def _keyed(key: bytes, workspace_id: str, subscriber_id: str, source: str) -> Any:
    """Keyed BLAKE2b (a MAC by design: RFC 7693 keyed mode, no HMAC construction needed) with everything but the link
    absorbed: planning mints one token per friend and URL, so the per-URL work is one copy, one block, one digest."""
    mac = hashlib.blake2b(key=key[:64], digest_size=16, person=b"haishin-track")
    mac.update(f"{workspace_id}|{subscriber_id}|{source}|".encode())
    return mac


def _finish(prefix: Any, link_id: str) -> str:
    mac = prefix.copy()
    mac.update(link_id.encode())
    return base64.urlsafe_b64encode(mac.digest()).decode()[:MAC_CHARS]


def _mac(key: bytes, workspace_id: str, link_id: str, subscriber_id: str, source: str) -> str:
    return _finish(_keyed(key, workspace_id, subscriber_id, source), link_id)


class Minter:
    """One friend's tokens for one source (``source``: its ``encode()``), the MAC prefix computed once."""

    def __init__(self, key: bytes, workspace_id: str, subscriber_id: str, source: str) -> None:
        self._prefix = _keyed(key, workspace_id, subscriber_id, source)
        self._middle = f".{subscriber_id}.{source}."

    def token(self, link_id: str) -> str:
        return link_id + self._middle + _finish(self._prefix, link_id)


def mint(key: bytes, workspace_id: str, link_id: str, subscriber_id: str, source: Source | str) -> str:
    """``source``: a Source, or its ``encode()`` done once by the caller."""
    encoded = source if isinstance(source, str) else source.encode()
    return Minter(key, workspace_id, subscriber_id, encoded).token(link_id)


@dataclass(frozen=True)
class Parsed:
    link_id: str
    subscriber_id: str
    source_text: str
    mac: str


def looks_like(token: str) -> bool:
    """A message-tracking token (``m...`` link, four parts), as opposed to a ``haishin.links`` token."""
    return token.startswith("m") and token.count(".") == 3


def parse(token: str) -> Parsed:
    if not token.isascii():
        raise TrackTokenInvalid("malformed")
    parts = token.split(".")
    if len(parts) != 4 or not all(parts) or len(parts[3]) != MAC_CHARS or not _PART.match(parts[1]):
        raise TrackTokenInvalid("malformed")
    return Parsed(*parts)


def verify(key: bytes, workspace_id: str, parsed: Parsed) -> Source:
    expected = _mac(key, workspace_id, parsed.link_id, parsed.subscriber_id, parsed.source_text)
    if not hmac.compare_digest(expected, parsed.mac):
        raise TrackTokenInvalid("signature")
    return Source.decode(parsed.source_text)


# ---------------------------------------------------------------- the friend token of conversion URLs
# ``<friend>.<expiry day>.<mac>``: a tracked redirect whose target URL carries an empty ``hs_cv=`` parameter fills it
# with this token, so the marketer's thank-you page can name the friend to ``/cv/<code>?f=<token>``. The MAC (same
# workspace key, another purpose prefix) covers workspace, friend and expiry: a token cannot be forged, moved to
# another friend or workspace, or used after FRIEND_TOKEN_DAYS.
FRIEND_TOKEN_DAYS = 90


def friend_token(key: bytes, workspace_id: str, subscriber_id: str, today: int) -> str:
    """``today``: days since the epoch (the token is valid until today + FRIEND_TOKEN_DAYS)."""
    expires = today + FRIEND_TOKEN_DAYS
    return f"{subscriber_id}.{expires}.{_friend_mac(key, workspace_id, subscriber_id, expires)}"


def _friend_mac(key: bytes, workspace_id: str, subscriber_id: str, expires: int) -> str:
    mac = hashlib.blake2b(key=key[:64], digest_size=16, person=b"haishin-cvfriend")  # keyed: a MAC, its own purpose
    mac.update(f"{workspace_id}|{subscriber_id}|{expires}".encode())
    return base64.urlsafe_b64encode(mac.digest()).decode()[:MAC_CHARS]


def verify_friend_token(key: bytes, workspace_id: str, token: str, today: int) -> str:
    """The subscriber ID of a valid friend token; TrackTokenInvalid otherwise (malformed, signature, expired)."""
    parts = token.split(".") if token.isascii() else []
    if len(parts) != 3 or not _PART.match(parts[0]) or not parts[1].isdigit() or len(parts[2]) != MAC_CHARS:
        raise TrackTokenInvalid("malformed")
    expires = int(parts[1])
    if not hmac.compare_digest(_friend_mac(key, workspace_id, parts[0], expires), parts[2]):
        raise TrackTokenInvalid("signature")
    if expires < today:
        raise TrackTokenInvalid("expired")
    return parts[0]


__all__ = ["ANONYMOUS", "FRIEND_TOKEN_DAYS", "Minter", "Source", "TrackTokenInvalid", "friend_token",
           "link_id_for", "looks_like", "mint", "parse", "verify", "verify_friend_token"]
