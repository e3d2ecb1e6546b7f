"""Logging that never carries a secret.

Every handler builds its logger with ``logger()``. The formatter removes (1) values under keys that name secrets
(channel_secret, access_token, api keys, signatures, authorization...) and (2) any occurrence of a secret value
this process has read from the secret store, wherever it appears (a message, an exception, a nested field).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

_SECRET_KEY = re.compile(
    r'("(?:[A-Za-z0-9_\-]*?)(?:secret|token|password|api[_-]?key|authorization|signature|sk_live|sk_test)'
    r'(?:[A-Za-z0-9_\-]*?)"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
_STRIPE_KEY = re.compile(r"\b(?:sk|rk|whsec)_(?:live|test)?_?[A-Za-z0-9]{8,}\b")
REDACTED = "***"
_known_values: set[str] = set()
_lock = threading.Lock()
_MIN_SECRET_LENGTH = 8  # shorter values would redact ordinary words


def register_secret_values(*values: Any) -> None:
    """Called by the secret store for every value it reads or writes."""
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
                _known_values.add(value)


def redact(text: str) -> str:
    text = _SECRET_KEY.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _STRIPE_KEY.sub(REDACTED, text)
    with _lock:
        values = sorted(_known_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def logger(service: str | None = None) -> Any:
    """A Powertools Logger whose output passes through ``redact``."""
    from aws_lambda_powertools import Logger  # noqa: PLC0415
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter  # noqa: PLC0415

    class RedactingFormatter(LambdaPowertoolsFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    return Logger(service=service, logger_formatter=RedactingFormatter())
