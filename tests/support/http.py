"""HTTP calls for tests against a running local system: JSON (status, parsed body), or raw (status, headers, text)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
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


def raw_request(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, dict[str, str], str]:
    """One request, redirects not followed (tests assert where they point); header names in lower case."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def open_without_redirect(url: str) -> tuple[int, str | None]:
    """Open a URL as a friend's browser would (a tracked link), without following its redirect off this machine:
    (status, Location)."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=30) as response:
            return int(response.status), response.headers.get("location")
    except urllib.error.HTTPError as error:
        return int(error.code), error.headers.get("location")
