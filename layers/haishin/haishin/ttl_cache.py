"""A bounded per-container cache with expiry (stdlib only: the LINE webhook's cold path imports it).

Public endpoints look things up by IDs an attacker chooses (``/line/webhook/{channel_id}``,
``/stripe/webhook/{workspace_id}``). Every answer, a miss included, is kept here for a short time, so a repeated
unknown ID costs no second DynamoDB or Secrets Manager call, and the cache holds at most ``max_items`` entries:
the least recently used goes first, so a flood of random IDs costs neither memory nor calls beyond that bound.
Expiry uses monotonic time (business time, ``haishin.clock``, never decides cache expiry).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

DEFAULT_MAX_ITEMS = 1024


class TtlLru:
    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS, monotonic: Callable[[], float] = time.monotonic) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.max_items = max_items
        self._monotonic = monotonic
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a live entry (``value`` may be ``None``: a cached miss), else ``(False, None)``."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return False, None
            if hit[0] <= self._monotonic():
                del self._items[key]
                return False, None
            self._items.move_to_end(key)
            return True, hit[1]

    def put(self, key: str, value: Any, ttl_s: float) -> None:
        with self._lock:
            self._items[key] = (self._monotonic() + ttl_s, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
