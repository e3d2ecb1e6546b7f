"""One JSON-over-HTTP call for tests against a running local system: (status, parsed body), errors included."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def json_request(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
                 raw: bytes | None = None) -> tuple[int, Any]:
    """``body`` is sent as JSON (or ``raw`` bytes as they are); the answer is parsed when it is JSON."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, json.loads(text) if text.startswith("{") else text
