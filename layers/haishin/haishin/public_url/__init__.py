"""THE resolver of the public base URL: every URL we hand out (forms, links, checkout, unsubscribe, webhooks) is
``public_base() + path`` and absolute, never relative.

In order:
1. ``PUBLIC_BASE_URL`` (the template's ``PublicBaseUrl``: a custom domain) when set;
2. else the current request's own URL, domain + stage as API Gateway served it (HTTP entry points wrap their work
   in ``serving(event)``);
3. else, on paths without a request (delivery worker, planner), the base the admin API recorded when it was last
   served (``serving(event, record=True)``), read once per container;
4. else ``ConfigurationError``: set PublicBaseUrl, or use the admin once so the API records its URL.

``route_path(event)`` is the path the HTTP handlers route on (``rawPath`` without the stage).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

from haishin.config import settings
from haishin.errors import ConfigurationError
from haishin.public_url.paths import request_base, route_path, stage_prefix
from haishin.public_url.repository import RecordedBase

log = logging.getLogger(__name__)

_request_base: contextvars.ContextVar[str | None] = contextvars.ContextVar("haishin_request_base", default=None)
_lock = threading.Lock()
_recorded: str | None = None  # per container: what this container last read or wrote


@contextlib.contextmanager
def serving(event: dict[str, Any], *, record: bool = False) -> Iterator[str | None]:
    """While handling ``event``, ``public_base()`` is the request's base (unless PUBLIC_BASE_URL is set).

    ``record=True`` (the admin API) also keeps that base for background paths when it differs from what this
    container last recorded; a failed write is logged, never fails the request."""
    base = request_base(event)
    if record and base and not settings().public_base_url:
        try:
            remember(base, store=True)
        except Exception:  # the request must not fail because the bookkeeping did
            log.exception("could not record the public base %s", base)
    token = _request_base.set(base)
    try:
        yield base
    finally:
        _request_base.reset(token)


def remember(base: str, *, store: bool = False) -> None:
    """Keep ``base`` as this container's recorded base (and write it when ``store`` and it changed)."""
    global _recorded
    base = base.rstrip("/")
    with _lock:
        if _recorded == base:
            return
        if store:

            RecordedBase().put(base)
        _recorded = base


def recorded_base() -> str | None:
    global _recorded
    with _lock:
        if _recorded is None:

            _recorded = RecordedBase().get()
        return _recorded


def forget() -> None:
    """Drop the container's recorded base (tests; the local runtime between systems)."""
    global _recorded
    with _lock:
        _recorded = None


def public_base() -> str:
    """The absolute base every public URL starts with (no trailing slash)."""
    configured = settings().public_base_url
    if configured:
        return configured.rstrip("/")
    current = _request_base.get()
    if current:
        return current
    recorded = recorded_base()
    if recorded:
        return recorded
    raise ConfigurationError(
        "the public URL of the API is not known yet: set the PublicBaseUrl parameter, or open the admin once so "
        "the API records the URL it is served under", where="PublicBaseUrl")


__all__ = ["forget", "public_base", "recorded_base", "remember", "request_base", "route_path", "serving",
           "stage_prefix"]
