"""API Gateway HTTP API behaviour: route selection, payload v2.0 events and response mapping.

Follows the documented HTTP API rules: the most specific route wins (literal segments beat path variables, a
greedy ``{proxy+}`` comes last, an exact method beats ``ANY``); headers arrive lower-cased with repeated values
joined by commas; cookies move out of the headers into ``cookies``; repeated query parameters are joined by commas;
non-text bodies arrive base64-encoded. A handler's return value is mapped back the way API Gateway does it: a dict
with ``statusCode`` is a structured response, anything else is a 200 JSON body.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .template import ACCOUNT_ID, HttpRoute

# Verified against AWS by others (ministackorg/ministack#766): only these arrive as text; everything else,
# including a missing content-type and application/x-www-form-urlencoded, arrives base64-encoded.
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


DEFAULT_STAGE = "$default"


def stage_prefix(stage: str) -> str:
    return "" if stage in ("", DEFAULT_STAGE) else f"/{stage}"


def strip_stage(raw_path: str, stage: str) -> str | None:
    """The path the routes are matched on: ``raw_path`` without its stage segment; None when a named stage's
    request does not start with it (API Gateway answers 404: no such stage)."""
    prefix = stage_prefix(stage)
    if not prefix:
        return raw_path
    if raw_path != prefix and not raw_path.startswith(prefix + "/"):
        return None
    return raw_path[len(prefix):] or "/"


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/")] if path.strip("/") else []


def _match_path(template_path: str, path: str) -> dict[str, str] | None:
    pattern = _segments(template_path)
    actual = _segments(path)
    params: dict[str, str] = {}
    for i, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = actual[i:]
            if not rest or not "".join(rest):
                return None
            params[part[1:-2]] = urllib.parse.unquote("/".join(rest))
            return params
        if i >= len(actual):
            return None
        if part.startswith("{") and part.endswith("}"):
            if actual[i] == "":
                return None
            params[part[1:-1]] = urllib.parse.unquote(actual[i])
        elif part != actual[i]:
            return None
    if len(actual) != len(pattern):
        return None
    return params


def _specificity(route: HttpRoute) -> tuple[int, int, int, int]:
    parts = _segments(route.path)
    greedy = any(p.endswith("+}") for p in parts)
    literals = sum(1 for p in parts if not p.startswith("{"))
    return (0 if greedy else 1, literals, len(parts), 0 if route.method == "ANY" else 1)


def match_route(routes: Iterable[HttpRoute], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway would pick for ``method path`` (``path`` without the query string), or None."""
    method = method.upper()
    candidates: list[tuple[tuple[int, int, int, int], RouteMatch]] = []
    for route in routes:
        if route.method not in ("ANY", method):
            continue
        params = _match_path(route.path, path)
        if params is not None:
            candidates.append((_specificity(route), RouteMatch(route, params)))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0], reverse=True)
    return candidates[0][1]


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype.startswith(TEXT_TYPES)


@dataclass
class HttpRequest:
    """What the HTTP server hands to the event builder."""

    method: str
    raw_path: str  # path without query, still percent-encoded
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    authorizer_claims: Mapping[str, Any] | None = None
    scopes: Sequence[str] | None = None
    stage: str = DEFAULT_STAGE  # a named stage is the first segment of raw_path, as API Gateway sends it
    scheme: str = "http"  # what the client spoke to the front door (API Gateway: always https)
    extra: dict[str, Any] = field(default_factory=dict)


def build_event(request: HttpRequest, match: RouteMatch, *, now: datetime | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API payload v2.0 event for ``request`` on ``match``."""
    now = now or datetime.now(UTC)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(request.raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    host = headers.get("host", "localhost")
    # API Gateway adds these; a client's own x-forwarded-for is kept in front of the address it saw
    headers["x-forwarded-for"] = ",".join(v for v in (headers.get("x-forwarded-for"), request.source_ip) if v)
    headers["x-forwarded-proto"] = request.scheme
    headers["x-forwarded-port"] = host.rsplit(":", 1)[1] if ":" in host else ("443" if request.scheme == "https"
                                                                              else "80")
    route = match.route
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": urllib.parse.unquote(request.raw_path),
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route.route_key,
        "stage": request.stage or DEFAULT_STAGE,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if request.authorizer_claims is not None:
        context["authorizer"] = {
            "jwt": {
                "claims": dict(request.authorizer_claims),
                "scopes": list(request.scopes) if request.scopes else None,
            }
        }
    event["requestContext"] = context
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    if request.body:
        if is_text(headers.get("content-type")):
            try:
                event["body"] = request.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=[("content-type", "application/json"), *headers],
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
    )


def map_response(result: Any) -> HttpResponse:
    """Map a handler's return value to HTTP the way an HTTP API with payload v2.0 does."""
    if isinstance(result, dict) and "statusCode" in result:
        try:
            status = int(result["statusCode"])
        except (TypeError, ValueError):
            return json_response(500, {"message": "Internal Server Error"})
        headers: list[tuple[str, str]] = []
        for name, value in (result.get("headers") or {}).items():
            headers.append((str(name), str(value)))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(v)) for v in values)
        for cookie in result.get("cookies") or []:
            headers.append(("set-cookie", str(cookie)))
        raw_body = result.get("body")
        if raw_body is None:
            body = b""
        elif result.get("isBase64Encoded"):
            body = base64.b64decode(raw_body)
        else:
            body = raw_body.encode("utf-8") if isinstance(raw_body, str) else json.dumps(raw_body).encode("utf-8")
        if not any(name.lower() == "content-type" for name, _ in headers) and body:
            headers.append(("content-type", "application/json"))
        return HttpResponse(status=status, headers=headers, body=body)
    return HttpResponse(
        status=200,
        headers=[("content-type", "application/json")],
        body=json.dumps(result, ensure_ascii=False).encode("utf-8"),
    )
