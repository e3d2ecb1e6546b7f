"""The local HTTP front door: the template's HttpApi routes, the static admin and the /_dev endpoints."""

from __future__ import annotations

import json
import logging
import mimetypes
import urllib.parse
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from haishin import clock

from .apigw import (
    HttpRequest,
    HttpResponse,
    build_event,
    json_response,
    map_response,
    match_route,
    stage_prefix,
    strip_stage,
)
from .devauth import NotAnOperator, Unauthorized, flatten_claims
from .errors import LocalSystemError, TemplateRefused

if TYPE_CHECKING:
    from .system import LocalSystem

log = logging.getLogger("haishin_local.http")

NOT_BUILT_PAGE = """<!doctype html><html lang="ja"><meta charset="utf-8"><title>Haishin admin</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>管理画面はまだビルドされていません / The admin is not built yet</h1>
<p><code>make admin</code> を実行してください。Run <code>make admin</code>, then reload this page.</p>
<p>API: <code>{api}</code></p></body></html>"""


class LocalHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], system: LocalSystem) -> None:
        self.system = system
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: LocalHttpServer
    protocol_version = "HTTP/1.1"
    server_version = "HaishinLocal/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    # ------------------------------------------------------------------
    def _dispatch(self) -> None:
        try:
            response = self._respond()
        except Exception:
            log.exception("unhandled error for %s %s", self.command, self.path)
            response = json_response(500, {"message": "Internal Server Error"})
        self._send(response)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _respond(self) -> HttpResponse:
        raw_path, _, raw_query = self.path.partition("?")
        path = urllib.parse.unquote(raw_path)
        body = self._read_body()
        system = self.server.system
        if path == "/" and self.command in ("GET", "HEAD"):
            return HttpResponse(302, [("location", "/admin/")], b"")
        prefix = stage_prefix(system.stage)
        if prefix and path.startswith(prefix + "/_dev/"):
            path = path[len(prefix):]  # the admin calls {apiBase}/_dev/login, and apiBase carries the stage
        if path.startswith("/_dev/"):
            return self._dev(path, body)
        if (path == "/admin" or path.startswith("/admin/")) and self.command in ("GET", "HEAD"):
            return self._admin(path)
        route_path = strip_stage(raw_path, system.stage)
        match = match_route(system.routes, self.command, route_path) if route_path is not None else None
        if match is None:
            if self.command == "OPTIONS" and self.headers.get("origin"):
                return self._preflight()
            return json_response(404, {"message": "Not Found"})
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            stage=system.stage,
        )
        route = match.route
        if route.authorizer:
            try:
                verified = system.auth.verify(self.headers.get("authorization"), required_scopes=route.scopes)
            except Unauthorized:
                return json_response(401, {"message": "Unauthorized"}, [("www-authenticate", "Bearer")])
            request.authorizer_claims = flatten_claims(verified.claims)
            request.scopes = verified.scopes
        event = build_event(request, match, now=clock.now())
        try:
            result = system.invoke(route.function_id, event)
        except TemplateRefused as exc:
            log.error("%s %s: %s", self.command, raw_path, exc)
            return json_response(502, {"message": "Bad Gateway", "local": str(exc)})
        except Exception as exc:
            log.exception("%s raised for %s %s", route.function_id, self.command, raw_path)
            return json_response(500, {"message": "Internal Server Error", "local": f"{type(exc).__name__}: {exc}"})
        response = map_response(result)
        origin = self.headers.get("origin")
        if origin:
            response.headers.append(("access-control-allow-origin", origin))
        return response

    def _preflight(self) -> HttpResponse:
        return HttpResponse(
            204,
            [
                ("access-control-allow-origin", self.headers.get("origin", "*")),
                ("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"),
                ("access-control-allow-headers", "authorization, content-type, idempotency-key"),
                ("access-control-max-age", "600"),
            ],
            b"",
        )

    # ------------------------------------------------------------------ /_dev
    def _dev(self, path: str, body: bytes) -> HttpResponse:
        system = self.server.system
        method = self.command
        if path == "/_dev/health" and method == "GET":
            return json_response(200, system.health())
        if path == "/_dev/clock" and method == "GET":
            return json_response(200, system.clock_state())
        if path == "/_dev/clock/advance" and method == "POST":
            try:
                payload = json.loads(body or b"{}")
                delta = timedelta(
                    minutes=float(payload.get("minutes", 0)),
                    hours=float(payload.get("hours", 0)),
                    days=float(payload.get("days", 0)),
                )
            except (ValueError, TypeError, AttributeError):
                return json_response(400, {"message": 'send {"minutes": N} (or "hours" / "days")'})
            if delta <= timedelta(0):
                return json_response(400, {"message": "advance by a positive amount of time"})
            return json_response(200, system.advance(delta))
        if path == "/_dev/ses/verify" and method == "POST":  # what the DNS records / the mailbox click do on AWS
            try:
                name = str(json.loads(body or b"{}")["identity"])
                return json_response(200, system.verify_ses_identity(name))
            except (ValueError, KeyError, TypeError, AttributeError):
                return json_response(400, {"message": 'send {"identity": "shop.example.jp"}'})
            except LocalSystemError as exc:
                return json_response(404, {"message": str(exc)})
        if path == "/_dev/login" and method == "POST":
            try:
                payload = json.loads(body or b"{}")
                token = system.login(
                    email=str(payload.get("email", "")),
                    workspace_id=str(payload.get("workspace_id", "")),
                    role=str(payload["role"]) if payload.get("role") else None,
                )
            except NotAnOperator as exc:
                return json_response(403, {"code": "forbidden", "message": str(exc), "where": "email"})
            except (ValueError, TypeError, AttributeError) as exc:
                return json_response(400, {"message": str(exc)})
            return json_response(200, {"token": token, "token_type": "Bearer"})
        return json_response(404, {"message": "Not Found"})

    # ------------------------------------------------------------------ /admin
    def _admin(self, path: str) -> HttpResponse:
        system = self.server.system
        if path == "/admin":
            return HttpResponse(302, [("location", "/admin/")], b"")
        if path == "/admin/config.json":
            return json_response(200, system.admin_config(), [("cache-control", "no-store")])
        dist: Path = system.admin_dist
        index = dist / "index.html"
        if not index.is_file():
            page = NOT_BUILT_PAGE.format(api=system.api_url)
            return HttpResponse(200, [("content-type", "text/html; charset=utf-8")], page.encode())
        relative = path[len("/admin/") :]
        candidate = (dist / relative).resolve() if relative else index
        try:
            candidate.relative_to(dist.resolve())
        except ValueError:
            return json_response(404, {"message": "Not Found"})
        if not candidate.is_file():
            candidate = index  # single-page app: unknown paths load index.html
        ctype = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        return HttpResponse(200, [("content-type", ctype), ("cache-control", "no-cache")], candidate.read_bytes())

    def _send(self, response: HttpResponse) -> None:
        try:
            self.send_response(
                response.status,
                HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else None,
            )
            for name, value in response.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD" and response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass
