"""The one full-jitter retry loop (foundation; stdlib only).

``with_backoff(call, deadline=...)`` calls ``call()``; an error that ``retryable(error)`` accepts is retried after a
random delay in ``[0, min(max_delay, base_delay * 2**attempt)]`` (AWS's "full jitter"), until the next delay would
pass ``deadline`` (a ``time.monotonic()`` value): then ``BudgetSpent`` carries the last error. Errors that are not
retryable propagate at once. Used by the delivery worker's sends (``DeliveryWorker.with_backoff``), the broadcast
settle transaction, and the admin's LINE reads (a request's small budget inside API Gateway's 30 s).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any


class BudgetSpent(Exception):
    """Retryable failures outlasted the caller's budget; ``error`` is the last one."""

    def __init__(self, error: Exception, attempts: int) -> None:
        where = getattr(error, "where", None) or type(error).__name__
        message = getattr(error, "message", None) or str(error)
        super().__init__(f"{where}: {message} (after {attempts} attempts)")
        self.error = error
        self.attempts = attempts


def is_retryable(error: Exception) -> bool:
    """The default test: the error's own ``retryable`` attribute (``LineApiError``, ``ChannelError`` ...)."""
    return bool(getattr(error, "retryable", False))


def with_backoff(call: Callable[[], Any], *, deadline: float, retryable: Callable[[Exception], bool] = is_retryable,
                 base_delay: float = 0.2, max_delay: float = 5.0, sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[Exception, int], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> Any:
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if not retryable(exc):
                raise
            attempt += 1
            delay = random.uniform(0, min(max_delay, base_delay * 2 ** attempt))  # full jitter
            if monotonic() + delay > deadline:
                raise BudgetSpent(exc, attempt) from exc
            if on_retry is not None:
                on_retry(exc, attempt)
            sleep(delay)
