"""THE run-once mechanism: claims in IdempotencyTable (key ``id``, TTL attribute ``expiration``), one model for
every caller (forms, payments, LINE events, chat sends).

``claim`` is a conditional put: the first caller wins, a concurrent or repeated caller sees the existing record.
A claim left ``in_progress`` by a crashed invocation can be taken over after its lease, so a retry completes the
work (every side effect behind it is keyed, so finishing twice cannot repeat one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, UpdateError

from haishin import clock
from haishin.storage.base import HaishinModel, JSONTextAttribute, condition_failed, model_meta

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
    steps = UnicodeSetAttribute(null=True)  # EventLedger: side effects already done inside one LINE event


@dataclass(frozen=True)
class Claim:
    acquired: bool
    status: str
    result: Any = None



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
            if not condition_failed(exc):
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


# ---------------------------------------------------------------- LINE events (ingest, 1:1 chat)
# Exactly-once application of LINE events: a conditional claim per ``webhookEventId`` in IdempotencyTable.
#
# Item: ``id = "line-event#<channel_id>#<webhookEventId>"``, ``status`` in_progress | done, ``lease_until`` (epoch s:
# an in-progress claim older than this belongs to a crashed attempt and may be taken over), ``steps`` (side effects
# already done inside the event, e.g. "reply"), ``expiration`` (TTL; DynamoDB deletes lazily, so expired items are
# treated as absent by the condition).
#
# - ``claim`` succeeds when there is no item, the item expired, or its in-progress lease ran out.
# - A ``done`` item means the event was applied: the caller skips it (redelivery, duplicate across records).
# - An in-progress item with a live lease means another worker is on it right now: ``EventInProgress`` fails the
#   SQS record, which comes back after the visibility timeout and then finds ``done``.

RETENTION_S = 7 * 24 * 3600  # longer than LINE's redelivery window and SQS retention of a retried message
LEASE_S = 120  # longer than one event takes; shorter than the queue's visibility timeout (360 s)


class EventInProgress(Exception):
    """Another worker holds a live claim on this event; retry the record later."""


def event_key(channel_id: str, webhook_event_id: str) -> str:
    return f"line-event#{channel_id}#{webhook_event_id}"


class EventLedger:
    def claim(self, key: str) -> Literal["claimed", "done"]:
        """Take the event for processing, or learn that it was already applied."""
        now = int(clock.epoch_seconds())
        record = OnceModel(id=key, status="in_progress", lease_until=now + LEASE_S,
                           expiration=now + RETENTION_S)
        condition = (
            OnceModel.id.does_not_exist()
            | (OnceModel.expiration < now)
            | ((OnceModel.status == "in_progress") & (OnceModel.lease_until < now))
        )
        try:
            record.save(condition=condition)
            return "claimed"
        except PutError as exc:
            if not condition_failed(exc):
                raise
        try:
            existing = OnceModel.get(key, consistent_read=True)
        except OnceModel.DoesNotExist:  # expired and deleted in between: try once more
            record.save(condition=OnceModel.id.does_not_exist())
            return "claimed"
        if existing.status == "done":
            return "done"
        raise EventInProgress(key)

    def steps(self, key: str) -> set[str]:
        try:
            return set(OnceModel.get(key, consistent_read=True).steps or set())
        except OnceModel.DoesNotExist:
            return set()

    def mark_step(self, key: str, step: str) -> None:
        """Remember a side effect inside the event (so a retry after a crash does not repeat it)."""
        try:
            OnceModel(id=key).update(actions=[OnceModel.steps.add({step})])
        except UpdateError:  # pragma: no cover - best effort: the event's own claim still protects most of it
            pass

    def done(self, key: str) -> None:
        now = int(clock.epoch_seconds())
        OnceModel(id=key).update(actions=[
            OnceModel.status.set("done"),
            OnceModel.lease_until.set(0),
            OnceModel.expiration.set(now + RETENTION_S),
        ])

    def release(self, key: str) -> None:
        """Give up a claim after a failure so the retry may start at once (else it waits for the lease)."""
        try:
            OnceModel(id=key).update(
                actions=[OnceModel.lease_until.set(0)],
                condition=OnceModel.status == "in_progress",
            )
        except UpdateError:
            pass


class InMemoryLedger:
    """Same contract without DynamoDB (benchmarks, fakes)."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.step_items: dict[str, set[str]] = {}

    def claim(self, key: str) -> Literal["claimed", "done"]:
        state = self.items.get(key)
        if state == "done":
            return "done"
        if state == "in_progress":
            raise EventInProgress(key)
        self.items[key] = "in_progress"
        return "claimed"

    def steps(self, key: str) -> set[str]:
        return set(self.step_items.get(key, set()))

    def mark_step(self, key: str, step: str) -> None:
        self.step_items.setdefault(key, set()).add(step)

    def done(self, key: str) -> None:
        self.items[key] = "done"

    def release(self, key: str) -> None:
        if self.items.get(key) == "in_progress":
            del self.items[key]
