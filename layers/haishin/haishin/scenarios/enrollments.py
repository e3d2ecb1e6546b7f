"""Enrollments in EnrollmentsTable, and the due index the step tick reads.

- enrollment: pk ``enr#<workspace_id>#<subscriber_id>`` sk ``<scenario_id>``; one per subscriber and scenario. A
  restart increments ``cycle`` (delivery IDs and retry keys include it, so a restarted scenario sends again).
- due index gsi1 (present only while a step is waiting): gsi1pk ``due#<YYYY-MM-DDTHH:MM>#<shard>`` (UTC minute
  bucket, shard 0..DUE_SHARDS-1 from the enrollment key so one hot minute spreads over partitions), gsi1sk
  ``<due iso>#<pk>#<sk>``. The bucket is ``max(due, now)`` floored to the minute: an item is never written into a
  bucket the tick has already passed. Completed and stopped enrollments carry no gsi1 attributes (sparse index).
- ``seq`` increases with every change; the tick advances an enrollment conditionally on the ``seq`` it read, so a
  concurrent or repeated tick cannot advance (and enqueue) the same step twice.
- idempotent enrollment: an ``IdempotencyTable`` marker ``enroll#<workspace_id>#<subscriber_id>#<key>`` written in the
  same transaction as the enrollment (one trigger enrolls at most once per scenario).
- the step tick's watermark: WorkspaceTable pk ``system`` sk ``step_tick_watermark``, the last minute of the due index
  fully processed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from haishin import clock
from haishin.scenarios.timing import floor_minute, minute_key, parse_minute_key
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, connection, iso, model_meta

IDEMPOTENCY_TTL = timedelta(days=7)
# Changing this strands items in shards the tick no longer reads: raise only together with a tick reading max(old,new).
DUE_SHARDS = 4


def enrollment_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"enr#{workspace_id}#{subscriber_id}"


def due_shard(pk: str, sk: str) -> int:
    return zlib.crc32(f"{pk}|{sk}".encode()) % DUE_SHARDS


def due_bucket(minute: datetime, shard: int) -> str:
    return f"due#{minute_key(minute)}#{shard}"


class DueIndex(GlobalSecondaryIndex["EnrollmentModel"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class EnrollmentModel(HaishinModel):
    Meta = model_meta("ENROLLMENTS_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    due = DueIndex()

    workspace_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    scenario_id = UnicodeAttribute()
    scenario_version = NumberAttribute()
    status = UnicodeAttribute()  # active | completed | stopped
    cycle = NumberAttribute(default=1)
    seq = NumberAttribute(default=0)
    enrolled_at = UTCDateTimeAttribute()
    trigger = UnicodeAttribute(null=True)
    next_step = NumberAttribute(default=0)
    next_due_at = UTCDateTimeAttribute(null=True)
    prev_due_at = UTCDateTimeAttribute(null=True)
    # delivery IDs of the previous step's messages: the worker sends a step only after these are final (order)
    last_delivery_ids = JSONTextAttribute(default=list)
    notes = JSONTextAttribute(default=list)  # why steps were skipped or moved (shown in the admin)
    stop_reason = UnicodeAttribute(null=True)
    ended_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()

    @property
    def key(self) -> str:
        return f"{self.pk}#{self.sk}"


class IdempotencyMarker(HaishinModel):
    Meta = model_meta("IDEMPOTENCY_TABLE")

    id = UnicodeAttribute(hash_key=True)
    expiration = NumberAttribute()


class WatermarkModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True, default="system")
    sk = UnicodeAttribute(range_key=True, default="step_tick_watermark")
    minute = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


def set_due(item: EnrollmentModel, due_at: datetime, now: datetime, *, bucket_at: datetime | None = None) -> None:
    """Put the enrollment into the due index at ``due_at``; its bucket is ``bucket_at`` (default ``due_at``), never
    earlier than the current minute."""
    bucket_time = max(floor_minute(bucket_at or due_at), floor_minute(now))
    item.next_due_at = due_at
    item.gsi1pk = due_bucket(bucket_time, due_shard(item.pk, item.sk))
    item.gsi1sk = f"{iso(due_at)}#{item.pk}#{item.sk}"


def clear_due(item: EnrollmentModel) -> None:
    item.gsi1pk = None
    item.gsi1sk = None
    item.next_due_at = None


class EnrollmentRepository:
    def get(self, workspace_id: str, subscriber_id: str, scenario_id: str) -> EnrollmentModel | None:
        try:
            return EnrollmentModel.get(enrollment_pk(workspace_id, subscriber_id), scenario_id, consistent_read=True)
        except EnrollmentModel.DoesNotExist:
            return None

    def for_subscriber(self, workspace_id: str, subscriber_id: str) -> list[EnrollmentModel]:
        return list(EnrollmentModel.query(enrollment_pk(workspace_id, subscriber_id), consistent_read=True))

    def due_in_bucket(self, minute: datetime, shard: int, until: datetime, page_size: int = 200
                      ) -> Iterator[EnrollmentModel]:
        """Items of one minute bucket and shard due at or before ``until`` (GSI: eventually consistent)."""
        upper = f"{iso(until)}~"
        yield from EnrollmentModel.due.query(
            due_bucket(minute, shard), EnrollmentModel.gsi1sk < upper, page_size=page_size
        )

    # ------------------------------------------------------------------ writes
    def enroll(self, item: EnrollmentModel, *, previous_seq: int | None, idempotency_key: str | None,
               now: datetime) -> bool:
        """Write a new enrollment (``previous_seq`` None: the friend has none in this scenario) or a new cycle over
        the one read at ``previous_seq``. With ``idempotency_key``, one transaction also writes its marker, so the
        same key enrolls at most once. False when the marker or the enrollment condition refused the write (the same
        trigger already enrolled, or a concurrent enrollment won); any other failure raises."""
        condition = (EnrollmentModel.pk.does_not_exist() if previous_seq is None
                     else EnrollmentModel.seq == previous_seq)
        try:
            if idempotency_key:
                marker = IdempotencyMarker(f"enroll#{item.workspace_id}#{item.subscriber_id}#{idempotency_key}",
                                           expiration=int((now + IDEMPOTENCY_TTL).timestamp()))
                with TransactWrite(connection=connection()) as transaction:
                    transaction.save(marker, condition=IdempotencyMarker.id.does_not_exist())
                    transaction.save(item, condition=condition)
            else:
                item.save(condition=condition)
        except (TransactWriteError, PutError) as exc:
            if "ConditionalCheckFailed" in str(exc) or "TransactionCanceled" in str(exc) or isinstance(
                    exc, TransactWriteError):
                return False
            raise
        return True

    def save_if_unchanged(self, item: EnrollmentModel, *, read_seq: int) -> bool:
        """Write the changed enrollment as ``seq`` ``read_seq + 1``, only if it is still active at ``read_seq`` (the
        ``seq`` it was read at). False when another writer (a tick, a stop, a restart) changed it first."""
        item.seq = read_seq + 1
        try:
            item.save(condition=(EnrollmentModel.seq == read_seq) & (EnrollmentModel.status == "active"))
        except PutError as exc:
            if "ConditionalCheckFailed" not in str(exc):
                raise
            return False
        return True

    # ------------------------------------------------------------------ the step tick's watermark
    def tick_watermark(self) -> datetime | None:
        """The last minute of the due index the step tick fully processed (a consistent read); None before the
        first tick."""
        try:
            return parse_minute_key(WatermarkModel.get("system", "step_tick_watermark", consistent_read=True).minute)
        except WatermarkModel.DoesNotExist:
            return None

    def save_tick_watermark(self, minute: datetime) -> None:
        WatermarkModel(minute=minute_key(minute), updated_at=clock.now()).save()


def minutes_between(first: datetime, last: datetime) -> Iterator[datetime]:
    current = floor_minute(first)
    end = floor_minute(last)
    while current <= end:
        yield current
        current += timedelta(minutes=1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
