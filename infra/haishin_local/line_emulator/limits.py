"""Rate limits (token buckets per channel and endpoint class) and fault injection settings."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from haishin import clock

# (requests, per seconds): LINE's published limits per channel (https://developers.line.biz/en/reference/
# messaging-api/#rate-limits). LINE counts each endpoint (path and method) on its own: a class names a limit, and
# every endpoint of the class has its own bucket of that size.
DEFAULT_RATE_LIMITS: dict[str, tuple[float, float]] = {
    "default": (2000, 1.0),  # push, reply, profile and most endpoints
    "multicast": (200, 1.0),
    "narrowcast": (60, 3600.0),
    "broadcast": (60, 3600.0),
    "audience": (60, 60.0),  # creating, adding to and getting audiences
    "richmenu_manage": (100, 3600.0),  # creating and deleting rich menus
    "richmenu_list": (10, 1.0),
    "richmenu_alias_delete": (100, 3600.0),  # deleting a rich menu alias ("100 requests per hour")
    "webhook_settings": (1000, 60.0),  # setting and getting the webhook URL
    "webhook_test": (60, 3600.0),
}


class _Bucket:
    __slots__ = ("capacity", "refill_per_s", "tokens", "updated")

    def __init__(self, capacity: float, refill_per_s: float, now: float) -> None:
        self.capacity = capacity
        self.refill_per_s = refill_per_s
        self.tokens = capacity
        self.updated = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_s)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimiter:
    """Token buckets keyed by (channel, class). Capacity is one period's worth, so a burst of the full limit passes.

    Uses a monotonic clock (``monotonic`` is injectable for tests); business time never enters here.
    """

    def __init__(
        self, limits: dict[str, tuple[float, float]] | None = None, monotonic: Callable[[], float] = clock.monotonic
    ) -> None:
        self._limits = dict(DEFAULT_RATE_LIMITS)
        if limits:
            self._limits.update(limits)
        self._monotonic = monotonic
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        return dict(self._limits)

    def configure(self, limits: dict[str, tuple[float, float]]) -> None:
        with self._lock:
            for name, (count, per) in limits.items():
                if count <= 0 or per <= 0:
                    raise ValueError(f"rate limit for {name} must be positive")
                self._limits[name] = (float(count), float(per))
            self._buckets.clear()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def allow(self, channel_id: str, limit_class: str, endpoint: str | None = None) -> bool:
        """Takes one request from the (channel, endpoint) bucket sized by ``limit_class`` (endpoint None: the class)."""
        count, per = self._limits.get(limit_class, self._limits["default"])
        now = self._monotonic()
        key = (channel_id, endpoint or limit_class)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(count, count / per, now)
            return bucket.take(now)


@dataclass
class Faults:
    """What to break. ``error_rate`` and ``timeout_rate`` are shares of API requests (not control calls)."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    latency_ms: float = 0.0
    throttle_burst: int = 0
    error_burst: int = 0  # the next N matching requests answer 5xx (``status``), then the API works again
    status: int | None = None  # None: pick among 500/502/503
    timeout_s: float = 3.0  # how long a "timed out" request hangs before the connection is closed
    timeout_after_delivery: bool = False  # True: LINE accepted (delivered, key consumed) but the client saw a timeout
    endpoints: frozenset[str] | None = None  # None: every API endpoint
    seed: int | None = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.error_rate <= 1 or not 0 <= self.timeout_rate <= 1 or self.error_rate + self.timeout_rate > 1:
            raise ValueError("error_rate and timeout_rate are shares between 0 and 1 (together at most 1)")
        if self.status is not None and not 500 <= self.status <= 599:
            raise ValueError("status must be a 5xx code")
        self.rng = random.Random(self.seed)

    @classmethod
    def build(cls, endpoints: Iterable[str] | None = None, **kwargs: object) -> Faults:
        return cls(endpoints=frozenset(endpoints) if endpoints is not None else None, **kwargs)  # type: ignore[arg-type]

    def applies(self, endpoint: str) -> bool:
        return self.endpoints is None or endpoint in self.endpoints

    def as_dict(self) -> dict[str, object]:
        return {
            "error_rate": self.error_rate,
            "timeout_rate": self.timeout_rate,
            "latency_ms": self.latency_ms,
            "throttle_burst": self.throttle_burst,
            "error_burst": self.error_burst,
            "status": self.status,
            "timeout_s": self.timeout_s,
            "timeout_after_delivery": self.timeout_after_delivery,
            "endpoints": sorted(self.endpoints) if self.endpoints is not None else None,
            "seed": self.seed,
        }
