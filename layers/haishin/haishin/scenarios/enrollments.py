"""Enrollments in EnrollmentsTable, and the due index the step tick reads.

- enrollment: pk ``enr#<workspace_id>#<subscriber_id>`` sk ``<scenario_id>``; one per subscriber and scenario. A
  restart increments ``cycle`` (delivery IDs and retry keys include it, so a restarted scenario sends again).
- due index gsi1 (present only while a step is waiting): gsi1pk ``due#<YYYY-MM-DDTHH:MM>#<shard>`` (UTC minute
  bucket, shard 0..DUE_SHARDS-1 from the enrollment key so one hot minute spreads over partitions), gsi1sk
  ``<due iso>#<pk>#<sk>``. The bucket is ``max(due, now)`` floored to the minute: an item is never written into a
  bucket the tick has already passed. Completed and stopped enrollments carry no gsi1 attributes (sparse index).
- ``seq`` increases with every change; the tick advances an enrollment conditionally on the ``seq`` it read, so a
  concurrent or repeated tick cannot advance (and enqueue) the same step twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from haishin.scenarios.timing import floor_minute, minute_key
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, iso, model_meta

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


def minutes_between(first: datetime, last: datetime) -> Iterator[datetime]:
    current = floor_minute(first)
    end = floor_minute(last)
    while current <= end:
        yield current
        current += timedelta(minutes=1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
