"""Exactly-once application of LINE events: a conditional claim per ``webhookEventId`` in IdempotencyTable.

Item: ``id = "line-event#<channel_id>#<webhookEventId>"``, ``status`` in_progress | done, ``lease_until`` (epoch s:
an in-progress claim older than this belongs to a crashed attempt and may be taken over), ``steps`` (side effects
already done inside the event, e.g. "reply"), ``expiration`` (TTL; DynamoDB deletes lazily, so expired items are
treated as absent by the condition).

- ``claim`` succeeds when there is no item, the item expired, or its in-progress lease ran out.
- A ``done`` item means the event was applied: the caller skips it (redelivery, duplicate across records).
- An in-progress item with a live lease means another worker is on it right now: ``EventInProgress`` fails the
  SQS record, which comes back after the visibility timeout and then finds ``done``.
"""

from __future__ import annotations

from typing import Literal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, UpdateError

from haishin import clock
from haishin.storage.base import HaishinModel, model_meta

RETENTION_S = 7 * 24 * 3600  # longer than LINE's redelivery window and SQS retention of a retried message
LEASE_S = 120  # longer than one event takes; shorter than the queue's visibility timeout (360 s)


class EventInProgress(Exception):
    """Another worker holds a live claim on this event; retry the record later."""


class IdempotencyRecord(HaishinModel):
    Meta = model_meta("IDEMPOTENCY_TABLE")

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    lease_until = NumberAttribute(default=0)
    expiration = NumberAttribute()
    steps = UnicodeSetAttribute(null=True)


def event_key(channel_id: str, webhook_event_id: str) -> str:
    return f"line-event#{channel_id}#{webhook_event_id}"


class EventLedger:
    def claim(self, key: str) -> Literal["claimed", "done"]:
        """Take the event for processing, or learn that it was already applied."""
        now = int(clock.epoch_seconds())
        record = IdempotencyRecord(id=key, status="in_progress", lease_until=now + LEASE_S,
                                   expiration=now + RETENTION_S)
        condition = (
            IdempotencyRecord.id.does_not_exist()
            | (IdempotencyRecord.expiration < now)
            | ((IdempotencyRecord.status == "in_progress") & (IdempotencyRecord.lease_until < now))
        )
        try:
            record.save(condition=condition)
            return "claimed"
        except PutError as exc:
            if "ConditionalCheckFailed" not in str(exc):
                raise
        try:
            existing = IdempotencyRecord.get(key, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:  # expired and deleted in between: try once more
            record.save(condition=IdempotencyRecord.id.does_not_exist())
            return "claimed"
        if existing.status == "done":
            return "done"
        raise EventInProgress(key)

    def steps(self, key: str) -> set[str]:
        try:
            return set(IdempotencyRecord.get(key, consistent_read=True).steps or set())
        except IdempotencyRecord.DoesNotExist:
            return set()

    def mark_step(self, key: str, step: str) -> None:
        """Remember a side effect inside the event (so a retry after a crash does not repeat it)."""
        try:
            IdempotencyRecord(id=key).update(actions=[IdempotencyRecord.steps.add({step})])
        except UpdateError:  # pragma: no cover - best effort: the event's own claim still protects most of it
            pass

    def done(self, key: str) -> None:
        now = int(clock.epoch_seconds())
        IdempotencyRecord(id=key).update(actions=[
            IdempotencyRecord.status.set("done"),
            IdempotencyRecord.lease_until.set(0),
            IdempotencyRecord.expiration.set(now + RETENTION_S),
        ])

    def release(self, key: str) -> None:
        """Give up a claim after a failure so the retry may start at once (else it waits for the lease)."""
        try:
            IdempotencyRecord(id=key).update(
                actions=[IdempotencyRecord.lease_until.set(0)],
                condition=IdempotencyRecord.status == "in_progress",
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
