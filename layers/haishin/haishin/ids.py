"""Identifiers. New objects get sortable random IDs; retry keys are derived, never random."""

from __future__ import annotations

import os
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NAMESPACE = uuid.UUID("6f1c1a52-5b7e-4d1e-9a55-686169736869")  # fixed: retry keys must not change between releases


def new_id(prefix: str = "") -> str:
    """A ULID-like ID: 48-bit millisecond time then 80 random bits, Crockford base32, so IDs sort by creation."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))


def retry_key(*parts: str) -> str:
    """A deterministic UUID for X-Line-Retry-Key: the same logical send always gets the same key."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))
