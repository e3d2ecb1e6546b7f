"""Shared constants and raw-HTTP helpers for the LINE emulator tests (imported by name: no package here)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from haishin_local.line_emulator import LineEmulator

CHANNEL_ID = "1650000001"
SECRET = "s3cr3t-channel-secret"
TOKEN = "token-channel-1"
ALICE = "U" + "a" * 32
BOB = "U" + "b" * 32


def call(
    emu: LineEmulator,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A raw HTTP call (for what the SDK refuses to send, such as 6 messages). Returns (status, json, headers)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(emu.base_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}
