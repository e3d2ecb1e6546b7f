"""Run-once claims in IdempotencyTable (key ``id``, TTL attribute ``expiration``).

``claim`` is a conditional put: the first caller wins, a concurrent or repeated caller sees the existing record.
A claim left ``in_progress`` by a crashed invocation can be taken over after its lease, so a retry completes the
work (every side effect behind it is keyed, so finishing twice cannot repeat one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from haishin import clock
from haishin.storage.base import HaishinModel, JSONTextAttribute, model_meta

DEFAULT_TTL = timedelta(days=7)
DEFAULT_LEASE = timedelta(seconds=60)


class OnceModel(HaishinModel):
    Meta = model_meta("IDEMPOTENCY_TABLE")

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(default="in_progress")  # in_progress | done
    lease_until = NumberAttribute(default=0)
    expiration = NumberAttribute()
    result = JSONTextAttribute(null=True)
    hits = NumberAttribute(null=True)


@dataclass(frozen=True)
class Claim:
    acquired: bool
    status: str
    result: Any = None


def _conditional_failed(exc: Exception) -> bool:
    return "ConditionalCheckFailed" in str(exc) or "ConditionalCheckFailed" in repr(getattr(exc, "cause", ""))


class Once:
    def claim(self, key: str, *, ttl: timedelta = DEFAULT_TTL, lease: timedelta = DEFAULT_LEASE,
              result: Any = None) -> Claim:
        """Take ``key``. ``acquired`` is False when it is done, or in progress within its lease elsewhere."""
        now = clock.epoch_seconds()
        item = OnceModel(id=key, status="in_progress", lease_until=int(now + lease.total_seconds()),
                         expiration=int(now + ttl.total_seconds()), result=result)
        try:
            item.save(condition=OnceModel.id.does_not_exist()
                      | ((OnceModel.status == "in_progress") & (OnceModel.lease_until < int(now)))
                      | (OnceModel.expiration < int(now)))
            return Claim(True, "in_progress", result)
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
        existing = self.get(key)
        if existing is None:  # pragma: no cover - deleted between the two calls
            return self.claim(key, ttl=ttl, lease=lease, result=result)
        return Claim(False, existing.status, existing.result)

    def complete(self, key: str, result: Any = None, *, ttl: timedelta = DEFAULT_TTL) -> None:
        now = clock.epoch_seconds()
        OnceModel(id=key, status="done", lease_until=0, expiration=int(now + ttl.total_seconds()),
                  result=result).save()

    def release(self, key: str) -> None:
        """Give a claim back after a failure so a retry may run it again at once."""
        try:
            OnceModel(id=key, expiration=0).delete(condition=OnceModel.status == "in_progress")
        except Exception:  # noqa: S110 - best effort; the lease expires anyway
            pass

    def get(self, key: str) -> OnceModel | None:
        try:
            item = OnceModel.get(key, consistent_read=True)
        except OnceModel.DoesNotExist:
            return None
        if item.expiration and item.expiration < clock.epoch_seconds():  # TTL deletion is lazy
            return None
        return item

    def is_done(self, key: str) -> bool:
        item = self.get(key)
        return item is not None and item.status == "done"

    def run_once(self, key: str, func: Any, *, ttl: timedelta = DEFAULT_TTL) -> bool:
        """Call ``func()`` unless ``key`` already ran; True when it ran now."""
        claim = self.claim(key, ttl=ttl)
        if not claim.acquired:
            return False
        try:
            func()
        except BaseException:
            self.release(key)
            raise
        self.complete(key, ttl=ttl)
        return True

    def count(self, key: str, *, ttl: timedelta) -> int:
        """Increment a counter item (per-IP throttling) and return the new value."""
        now = clock.epoch_seconds()
        item = OnceModel(id=key)
        try:
            item.update(actions=[OnceModel.hits.add(1), OnceModel.expiration.set(int(now + ttl.total_seconds())),
                                 OnceModel.status.set("counter")])
        except UpdateError:  # pragma: no cover - surfaces as a server error
            raise
        return int(item.hits or 0)
