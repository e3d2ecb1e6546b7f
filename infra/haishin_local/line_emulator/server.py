"""``LineEmulator``: the emulator behind a stdlib ThreadingHTTPServer (API ``/v2``, control ``/_emulator``)."""

from __future__ import annotations

import json
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any

from ..http_thread import ServedOnThread
from .emulator import MAX_BODY_BYTES, Emulator
from .login import Page

Json = dict[str, Any]
_DRAIN_LIMIT = 64 * 1024 * 1024  # read and discard oversize bodies up to this, so the client sees the 413


class LineEmulator(Emulator, ServedOnThread):
    """The LINE Messaging API emulator. ``start()`` serves it on ``base_url`` from a background thread."""

    thread_name = "line-emulator"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: dict[str, tuple[float, float]] | None = None,
        webhook_timeout_s: float = 10.0,
        allow_http_urls: bool = False,
    ) -> None:
        Emulator.__init__(self, rate_limits=rate_limits, webhook_timeout_s=webhook_timeout_s,
                          allow_http_urls=allow_http_urls)
        ServedOnThread.__init__(self, host, port)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    # ------------------------------------------------------------------ control HTTP API
    def handle_control(self, method: str, path: str, query: dict[str, str], body: Json) -> tuple[int, Any]:
        parts = [urllib.parse.unquote(p) for p in path.split("/")[2:] if p]
        key = (method, *parts)
        try:
            match key:
                case ("GET", "channels"):
                    return 200, self.channels()
                case ("POST", "channels"):
                    return 200, self.register_channel(
                        **_pick(
                            body,
                            (
                                "channel_id",
                                "channel_secret",
                                "access_token",
                                "bot_user_id",
                                "basic_id",
                                "display_name",
                                "webhook_url",
                                "picture_url",
                                "monthly_quota",
                            ),
                        )
                    )
                case ("GET", "channels", channel_id):
                    return 200, self.channel_info(channel_id)
                case ("POST", "channels", channel_id, "rotate_token"):
                    return 200, {"access_token": self.rotate_token(channel_id, body.get("access_token"))}
                case ("GET", "channels", channel_id, "richmenus"):
                    return 200, self.rich_menu_state(channel_id)
                case ("POST", "channels", channel_id, "webhook"):
                    self.set_webhook_url(channel_id, body.get("webhook_url"))
                    return 200, self.channel_info(channel_id)
                case ("POST", "login_channels"):
                    return 200, self.login.register_login_channel(
                        **_pick(body, ("channel_id", "channel_secret", "redirect_uris", "bot_channel_id"))
                    )
                case ("POST", "liff_apps"):
                    return 200, self.liff.add(
                        **_pick(body, ("login_channel_id", "endpoint_url", "liff_id", "view_type")))
                case ("GET", "liff_apps"):
                    return 200, self.liff.list(query.get("login_channel_id"))
                case ("DELETE", "liff_apps", liff_id):
                    self.liff.delete(liff_id)
                    return 200, {}
                case ("POST", "users"):
                    return 200, self.add_user(
                        **_pick(body, ("user_id", "display_name", "picture_url", "language", "status_message"))
                    )
                case ("GET", "users", user_id, "messages"):
                    blocked = query.get("include_blocked") in ("1", "true")
                    return 200, self.received(user_id, query.get("channel"), blocked)
                case ("GET", "users", user_id, "chat_marks"):
                    return 200, self.chat_marks(user_id, query.get("channel"), query.get("kind"))
                case ("GET", "users", user_id, "unread"):
                    return 200, self.unread(query["channel"], user_id)
                case ("POST", "follow" | "unfollow" | "send_text" | "postback" | "verify" as action):
                    return 200, {"status": self._control_action(action, body)}
                case ("POST", "redeliver"):
                    return 200, {"status": self.redeliver(str(body["webhook_event_id"]))}
                case ("POST", "reply_tokens"):
                    return 200, {"replyToken": self.issue_reply_token(body["channel_id"], body["user_id"])}
                case ("GET", "webhooks"):
                    return 200, self.webhook_log(query.get("channel"))
                case ("GET", "deliveries"):
                    return 200, self.deliveries(query.get("channel"))
                case ("GET", "stats"):
                    return 200, self.stats()
                case ("POST", "reset"):
                    self.reset(full=bool(body.get("full", False)))
                    return 200, {}
                case ("GET", "faults"):
                    return 200, self.faults()
                case ("POST", "faults"):
                    return 200, self.set_faults(
                        **_pick(
                            body,
                            (
                                "error_rate",
                                "timeout_rate",
                                "latency_ms",
                                "throttle_burst",
                                "error_burst",
                                "status",
                                "timeout_s",
                                "timeout_after_delivery",
                                "endpoints",
                                "seed",
                            ),
                        )
                    )
                case ("DELETE", "faults") | ("POST", "faults", "clear"):
                    self.clear_faults()
                    return 200, {}
                case ("GET", "rate_limits"):
                    return 200, self.rate_limits()
                case ("POST", "rate_limits"):
                    return 200, self.set_rate_limits({k: (float(v[0]), float(v[1])) for k, v in body.items()})
                case ("GET", "phone", "state"):
                    return 200, self.phone_state(query["channel"], query["user"], int(query.get("after", "0")))
                case ("POST", "phone", "seen"):
                    seen = self.phone_seen(str(body["channel_id"]), str(body["user_id"]), list(body.get("seqs") or []))
                    return 200, {"counted": seen}
                case ("POST", "phone", "open"):
                    url = self.phone_open(str(body["channel_id"]), str(body["user_id"]), int(body["seq"]),
                                          str(body["url"]))
                    return 200, {"url": url}
                case ("POST", "phone", "richmenu_tap"):
                    return 200, self.rich_menu_tap(str(body["channel_id"]), str(body["user_id"]),
                                                   str(body["menu_id"]), int(body["area"]))
                case ("POST", "phone", "richmenu_seen"):
                    self.rich_menu_seen(str(body["channel_id"]), str(body["user_id"]), str(body["menu_id"]))
                    return 200, {}
                case ("POST", "richmenu_insight", "age"):
                    return 200, {"events": self.age_rich_menu_insight(int(body.get("days", 1)))}
                case ("POST", "phone", "action"):
                    return 200, {"status": self._control_action(str(body.get("action")), body)}
        except KeyError as exc:
            return 404, {"message": f"not found: {exc}"}
        except (TypeError, ValueError) as exc:
            return 400, {"message": str(exc)}
        return 404, {"message": "Not found"}

    def _control_action(self, action: str, body: Json) -> int:
        channel_id, user_id = str(body.get("channel_id", "")), str(body.get("user_id", ""))
        if action == "follow":
            return self.follow(channel_id, user_id)
        if action == "unfollow":
            return self.unfollow(channel_id, user_id)
        if action in ("send_text", "text"):
            return self.send_text(channel_id, user_id, str(body["text"]))
        if action == "postback":
            return self.postback(channel_id, user_id, str(body["data"]), body.get("params"), body.get("display_text"))
        if action == "verify":
            return self.verify_webhook(channel_id)
        raise ValueError(f"unknown action {action}")


def _pick(body: Json, names: tuple[str, ...]) -> Json:
    unknown = set(body) - set(names)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return {k: v for k, v in body.items() if k in names}


def _phone_html() -> bytes:
    return resources.files(__package__).joinpath("phone.html").read_bytes()


def _make_handler(emulator: LineEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "LineEmulator/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _dispatch(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw: bytes | None
            if length > MAX_BODY_BYTES:
                self._drain(length)
                raw = None
            else:
                raw = self.rfile.read(length) if length else b""
            if url.path.startswith("/_emulator"):
                self._control(url.path, query, raw)
                return
            if url.path.startswith("/oauth2/"):
                form = dict(urllib.parse.parse_qsl((raw or b"").decode("utf-8", "replace")))
                page = emulator.login.handle(self.command, url.path, query, form)
                self._send(page.status, page.body, page.content_type, page.headers)
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = emulator.handle_api(self.command, url.path, query, headers, raw)
            if response.hang_s > 0:
                time.sleep(response.hang_s)
                self.close_connection = True
                return
            if response.raw is not None:  # a binary answer (rich menu image download)
                self._send(response.status, response.raw, response.content_type, response.headers)
                return
            self._send(response.status, response.json_bytes(), "application/json", response.headers)

        def _drain(self, length: int) -> None:
            remaining = min(length, _DRAIN_LIMIT)
            while remaining > 0:
                chunk = self.rfile.read(min(65536, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
            if length > _DRAIN_LIMIT:
                self.close_connection = True

        def _control(self, path: str, query: dict[str, str], raw: bytes | None) -> None:
            if self.command == "GET" and path.rstrip("/") == "/_emulator/phone":
                self._send(200, _phone_html(), "text/html; charset=utf-8", {})
                return
            if self.command == "GET" and path == "/_emulator/phone/richmenu_image":
                try:
                    kind, data = emulator.rich_menu_image(query.get("channel", ""), query.get("menu", ""))
                except KeyError:
                    self._send(404, b'{"message":"Not found"}', "application/json", {})
                    return
                self._send(200, data, kind, {"Cache-Control": "no-store"})
                return
            if path.startswith("/_emulator/liff/"):  # LIFF: the opener and liff.sendMessages (liff.py)
                self._liff(path, query, raw)
                return
            if raw is None:
                self._send(413, b'{"message":"Request Entity Too Large"}', "application/json", {})
                return
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                self._send(400, b'{"message":"malformed JSON"}', "application/json", {})
                return
            if not isinstance(body, dict):
                body = {}
            status, out = emulator.handle_control(self.command, path, query, body)
            self._send(status, json.dumps(out, ensure_ascii=False).encode("utf-8"), "application/json", {})

        def _liff(self, path: str, query: dict[str, str], raw: bytes | None) -> None:
            route = path.rstrip("/")
            if route == "/_emulator/liff/open" and self.command == "GET":
                page = emulator.liff.open(query.get("user", ""), query.get("url", ""))
            elif route == "/_emulator/liff/send" and self.command == "OPTIONS":
                page = Page(204, "text/plain", b"", {"Access-Control-Allow-Origin": "*",
                                                     "Access-Control-Allow-Methods": "POST",
                                                     "Access-Control-Allow-Headers": "Content-Type"})
            elif route == "/_emulator/liff/send" and self.command == "POST":
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = None
                page = emulator.liff.send(body) if isinstance(body, dict) else \
                    Page(400, "application/json", b'{"message":"malformed JSON"}', {"Access-Control-Allow-Origin": "*"})
            else:
                page = Page.json(404, {"message": "Not found"})
            self._send(page.status, page.body, page.content_type, page.headers)

        def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":  # HEAD: the same status and headers, never a body
                self.wfile.write(payload)

        def __getattr__(self, name: str) -> Any:
            # ``BaseHTTPRequestHandler`` looks up ``do_<METHOD>`` and answers a 501 HTML page when it is missing.
            # Every method (PATCH, OPTIONS, TRACE, HEAD, made-up ones) goes through the API instead, so a method LINE
            # has no route for gets LINE's JSON answer, as an unknown path does.
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return Handler
