"""Rendering of hosted pages. Autoescape is on for every template: answers and form texts are data, never HTML."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import jinja2

_TEMPLATES = Path(__file__).parent / "templates"
_env: jinja2.Environment | None = None
_lock = threading.Lock()

HTML = "text/html; charset=utf-8"


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        with _lock:
            if _env is None:
                _env = jinja2.Environment(
                    loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                    autoescape=True,
                    undefined=jinja2.StrictUndefined,
                    trim_blocks=True,
                    lstrip_blocks=True,
                )
    return _env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def page(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) response carrying an HTML page."""
    return {
        "statusCode": status,
        "headers": {"content-type": HTML, "cache-control": "no-store", "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer", **(headers or {})},
        "body": body,
    }


def message_page(status: int, title: str, message: str, *, detail: str | None = None) -> dict[str, Any]:
    return page(status, render("message.html.j2", title=title, message=message, detail=detail))


def redirect(location: str, status: int = 303) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"location": location, "cache-control": "no-store"}, "body": ""}
