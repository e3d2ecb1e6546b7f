"""A local receiver for Haishin's outgoing webhooks: records what arrives, checks the signature, answers as told.

``make dev`` and the integration ``LocalSystem`` start it; the system's ``WEBHOOK_HTTP_ALLOW`` lets the sender use
plain http to it (and only to it). The demo seed registers one endpoint pointing at ``/hooks/demo``.

HTTP (for tests, the demo and curl):
- ``POST /hooks/<name>``: a delivery. Recorded with its headers, JSON body and whether ``Haishin-Signature``
  verifies against the secret set for ``<name>`` (None when no secret is set); answered 200 unless told otherwise.
- ``GET /deliveries[?name=<name>]``: the last ``KEEP`` deliveries, oldest first.
- ``DELETE /deliveries``: forget them.
- ``POST /_control/secret`` ``{"name", "secret"}``: the signing secret to verify ``<name>``'s deliveries with.
- ``POST /_control/respond`` ``{"name", "status", "times"}``: answer ``status`` to the next ``times`` deliveries
  (``times`` omitted: until told otherwise; ``status`` 200 resets).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from haishin import clock as haishin_clock
from haishin.webhooks.signer import SIGNATURE_HEADER, SignatureError, verify

from .http_thread import ServedOnThread

KEEP = 500
HOOKS = "/hooks/"


class WebhookReceiver(ServedOnThread):
    thread_name = "webhook-receiver"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._deliveries: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._secrets: dict[str, str] = {}
        self._responses: dict[str, tuple[int, int | None]] = {}  # name -> (status, remaining times or None)

    @property
    def base_url(self) -> str:
        server = self._server
        port = server.server_address[1] if server is not None else self.port
        return f"http://{self.host}:{port}"

    @property
    def host_port(self) -> str:
        return self.base_url.removeprefix("http://")

    def url(self, name: str) -> str:
        return f"{self.base_url}{HOOKS}{name}"

    # ------------------------------------------------------------------ control (Python and HTTP)
    def set_secret(self, name: str, secret: str) -> None:
        with self._lock:
            self._secrets[name] = secret

    def respond(self, name: str, status: int, times: int | None = None) -> None:
        with self._lock:
            if status == 200 and times is None:
                self._responses.pop(name, None)
            else:
                self._responses[name] = (status, times)

    def deliveries(self, name: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(d) for d in self._deliveries if name is None or d["name"] == name]

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()

    # ------------------------------------------------------------------ receiving
    def receive(self, name: str, headers: dict[str, str], raw: bytes) -> int:
        with self._lock:
            secret = self._secrets.get(name)
            status, times = self._responses.get(name, (200, None))
            if times is not None:
                if times <= 1:
                    self._responses.pop(name, None)
                else:
                    self._responses[name] = (status, times - 1)
        valid: bool | None = None
        if secret is not None:
            try:
                verify(secret, raw, headers.get(SIGNATURE_HEADER.lower()),
                       now=haishin_clock.now().timestamp())  # the system's clock: it may have been advanced
                valid = True
            except SignatureError:
                valid = False
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            self._deliveries.append({
                "name": name, "headers": {k: v for k, v in headers.items() if k.startswith("haishin-")
                                          or k in ("content-type", "idempotency-key", "user-agent")},
                "event_id": headers.get("haishin-event-id"), "type": (body or {}).get("type"),
                "body": body, "signature_valid": valid, "answered": status,
                "received_at": haishin_clock.now().isoformat()})
        return status

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _json(self, status: int, payload: Any) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _raw(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(min(length, 1 << 20)) if length else b""

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/deliveries":
                    names = parse_qs(parts.query).get("name") or []
                    self._json(200, {"items": receiver.deliveries(names[0] if names else None)})
                else:
                    self._json(404, {"error": "not found"})

            def do_DELETE(self) -> None:
                if urlsplit(self.path).path == "/deliveries":
                    receiver.clear()
                    self._json(200, {"cleared": True})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                raw = self._raw()
                if path.startswith(HOOKS) and len(path) > len(HOOKS):
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status = receiver.receive(path[len(HOOKS):], headers, raw)
                    self._json(status, {"received": status < 300})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._json(400, {"error": "JSON body expected"})
                    return
                if path == "/_control/secret":
                    receiver.set_secret(str(body["name"]), str(body["secret"]))
                elif path == "/_control/respond":
                    times = body.get("times")
                    receiver.respond(str(body["name"]), int(body["status"]), int(times) if times else None)
                else:
                    self._json(404, {"error": "not found"})
                    return
                self._json(200, {"ok": True})

        return Handler
