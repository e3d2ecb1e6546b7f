"""The one clock. Domain code asks ``clock.now()``; tests and the local system move time.

Every timestamp in Haishin is an aware UTC datetime; conversion to a workspace's time zone
happens only where a rule is stated in local time (quiet hours, "day N at HH:MM").
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (unit tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


class OffsetClock:
    """Real time plus an offset that only grows (the local system's "move time forward")."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return datetime.now(UTC) + offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()


_current: Clock = SystemClock()


def current() -> Clock:
    return _current


def install(clock: Clock) -> Clock:
    """Replace the process-wide clock; returns the previous one so callers can restore it."""
    global _current
    previous, _current = _current, clock
    return previous


def now() -> datetime:
    return _current.now()


def epoch_seconds() -> float:
    return _current.now().timestamp()


def monotonic() -> float:
    """For measuring durations only; never for business time."""
    return time.monotonic()
