"""What an API Gateway HTTP API (payload v2) event says about where it was served (stdlib only).

On a named stage API Gateway puts the stage in ``rawPath`` (``/prod/f/abc``) and ``requestContext.http.path``,
never in ``routeKey``; on ``$default`` there is none; through a custom domain's API mapping the stage is named in
``requestContext.stage`` but is not in the path. Routing uses the path without the stage; URLs we hand out keep it.
"""

from __future__ import annotations

from typing import Any

DEFAULT_STAGE = "$default"


def _context(event: dict[str, Any]) -> dict[str, Any]:
    return event.get("requestContext") or {}


def stage_prefix(event: dict[str, Any]) -> str:
    """``/prod`` when the request's path carries its named stage, else ``""``."""
    stage = str(_context(event).get("stage") or "")
    if not stage or stage == DEFAULT_STAGE:
        return ""
    raw = str(event.get("rawPath") or "")
    prefix = f"/{stage}"
    return prefix if raw == prefix or raw.startswith(prefix + "/") else ""


def route_path(event: dict[str, Any]) -> str:
    """The request's path as the routes are written (``/f/abc``): ``rawPath`` without its stage segment."""
    raw = str(event.get("rawPath") or "")
    return raw[len(stage_prefix(event)):] or "/"


def _scheme(event: dict[str, Any]) -> str:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    # API Gateway sets x-forwarded-proto (always https); a proxy appends, so the last value is the trusted one.
    last = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return last if last in ("http", "https") else "https"


def request_base(event: dict[str, Any]) -> str | None:
    """The API's own URL as this request reached it (``https://<domain>/<stage>``), or None without a domain."""
    domain = str(_context(event).get("domainName") or "").strip()
    if not domain:
        return None
    return f"{_scheme(event)}://{domain}{stage_prefix(event)}"
