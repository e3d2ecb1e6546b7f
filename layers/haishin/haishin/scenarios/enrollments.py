"""Enrollments in EnrollmentsTable, and the due pointers the step tick reads.

- enrollment: pk ``enr#<workspace_id>#<subscriber_id>`` sk ``<scenario_id>``; one per subscriber and scenario. A
  restart increments ``cycle`` (delivery IDs and retry keys include it, so a restarted scenario sends again).
- due pointer (a base-table item, so the tick reads it strongly consistently; there is no due GSI): pk
  ``due#<YYYY-MM-DDTHH:MM>#<shard>`` (UTC minute bucket, shard 0..DUE_SHARDS-1 from the enrollment key so one hot
  minute spreads over partitions), sk ``<due iso>#<enrollment pk>#<enrollment sk>``. The bucket is ``max(due, now)``
  floored to the minute: a pointer is never written into a bucket the tick has already passed. The enrollment names
  its live pointer (``due_pk``/``due_sk``, stored as ``gsi1pk``/``gsi1sk`` so enrollments written before the change
  keep their location) and is written in ONE transaction with it (the enrollment keeps its condition). A pointer is
  never deleted: one the enrollment no longer names (it advanced, was moved, stopped or completed) is stale, the tick
  skips it after a consistent get of the enrollment, and it expires (TTL ``expires_at``) ``POINTER_TTL`` after its
  minute.
- ``seq`` increases with every change; the tick advances an enrollment conditionally on the ``seq`` it read, so a
  concurrent or repeated tick cannot advance (and enqueue) the same step twice.
- idempotent enrollment: an ``IdempotencyTable`` marker ``enroll#<workspace_id>#<subscriber_id>#<key>`` written in the
  same transaction as the enrollment (one trigger enrolls at most once per scenario).
- the step tick's watermark: WorkspaceTable pk ``system`` sk ``step_tick_watermark``, the last minute of the due
  pointers fully processed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from haishin import clock
from haishin.config import table_name
from haishin.scenarios.timing import floor_minute, minute_key, parse_minute_key
from haishin.storage.base import (
    HaishinModel,
    JSONTextAttribute,
    UTCDateTimeAttribute,
    condition_failed,
    connection,
    iso,
    model_meta,
)
from haishin.storage.shard_scan import dynamodb_client, plain

IDEMPOTENCY_TTL = timedelta(days=7)
POINTER_TTL = timedelta(days=14)  # far beyond any catch-up (the tick reads at most 8 h of minutes per run)
# Changing this strands items in shards the tick no longer reads: raise only together with a tick reading max(old,new).
DUE_SHARDS = 4
BATCH_GET_KEYS = 100  # DynamoDB's BatchGetItem limit


def enrollment_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"enr#{workspace_id}#{subscriber_id}"


def due_shard(pk: str, sk: str) -> int:
    return zlib.crc32(f"{pk}|{sk}".encode()) % DUE_SHARDS


def due_bucket(minute: datetime, shard: int) -> str:
    return f"due#{minute_key(minute)}#{shard}"


class EnrollmentModel(HaishinModel):
    Meta = model_meta("ENROLLMENTS_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # the live due pointer's key (None when nothing waits); the attribute names are those of the former due GSI
    due_pk = UnicodeAttribute(null=True, attr_name="gsi1pk")
    due_sk = UnicodeAttribute(null=True, attr_name="gsi1sk")

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


class DuePointerModel(HaishinModel):
    """``due#<minute>#<shard>`` / ``<due iso>#<enrollment pk>#<enrollment sk>`` in EnrollmentsTable."""

    Meta = model_meta("ENROLLMENTS_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    enrollment_pk = UnicodeAttribute()
    enrollment_sk = UnicodeAttribute()
    expires_at = NumberAttribute()


def due_pointer(item: EnrollmentModel) -> DuePointerModel | None:
    """The pointer ``item`` names (None when nothing waits)."""
    if not item.due_pk or not item.due_sk:
        return None
    minute = parse_minute_key(item.due_pk.split("#")[1])
    return DuePointerModel(item.due_pk, item.due_sk, enrollment_pk=item.pk, enrollment_sk=item.sk,
                           expires_at=int((minute + POINTER_TTL).timestamp()))


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
    """Make the enrollment wait for ``due_at``: it names a due pointer in bucket ``bucket_at`` (default ``due_at``),
    never earlier than the current minute. The repository writes the pointer with the enrollment."""
    bucket_time = max(floor_minute(bucket_at or due_at), floor_minute(now))
    item.next_due_at = due_at
    item.due_pk = due_bucket(bucket_time, due_shard(item.pk, item.sk))
    item.due_sk = f"{iso(due_at)}#{item.pk}#{item.sk}"


def clear_due(item: EnrollmentModel) -> None:
    item.due_pk = None
    item.due_sk = None
    item.next_due_at = None


class EnrollmentRepository:
    def get(self, workspace_id: str, subscriber_id: str, scenario_id: str) -> EnrollmentModel | None:
        try:
            return EnrollmentModel.get(enrollment_pk(workspace_id, subscriber_id), scenario_id, consistent_read=True)
        except EnrollmentModel.DoesNotExist:
            return None

    def for_subscriber(self, workspace_id: str, subscriber_id: str) -> list[EnrollmentModel]:
        return list(EnrollmentModel.query(enrollment_pk(workspace_id, subscriber_id), consistent_read=True))

    def of_scenario(self, workspace_id: str, scenario_id: str, subscriber_ids: Iterable[str]
                    ) -> list[EnrollmentModel]:
        """The enrollments of these friends in one scenario (status and next step only): BatchGetItem of 100 keys,
        8 requests at a time. Enrollments are keyed by friend, so a scenario's are found through its friends."""
        keys = [(enrollment_pk(workspace_id, sid), scenario_id) for sid in subscriber_ids]
        chunks = [keys[i:i + BATCH_GET_KEYS] for i in range(0, len(keys), BATCH_GET_KEYS)]

        def fetch(chunk: list[tuple[str, str]]) -> list[EnrollmentModel]:
            return list(EnrollmentModel.batch_get(chunk, attributes_to_get=["pk", "sk", "status", "next_step"]))

        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="enrcount") as pool:
            return [item for items in pool.map(fetch, chunks) for item in items]

    def positions(self, workspace_id: str, scenario_id: str, subscriber_ids: Iterable[str]
                  ) -> dict[str, tuple[str, int]]:
        """subscriber ID -> (status, next step) of these friends' enrollments in one scenario (friends without one
        are absent). BatchGetItem of 100 keys, one request after another, decoded from the low-level client's
        answer (no model per item): for a caller that already reads in parallel slices (クロス分析 per shard)."""
        client = dynamodb_client()
        table = table_name("ENROLLMENTS_TABLE")
        wanted = list(subscriber_ids)
        out: dict[str, tuple[str, int]] = {}
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            keys = [{"pk": {"S": enrollment_pk(workspace_id, sid)}, "sk": {"S": scenario_id}}
                    for sid in wanted[start:start + BATCH_GET_KEYS]]
            request: dict[str, Any] = {table: {"Keys": keys, "ProjectionExpression": "pk, #s, next_step",
                                               "ExpressionAttributeNames": {"#s": "status"}}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    subscriber_id = str(plain(item["pk"])).rsplit("#", 1)[1]
                    out[subscriber_id] = (str(plain(item.get("status", {"S": ""}))),
                                          int(plain(item.get("next_step", {"N": "0"})) or 0))
                request = response.get("UnprocessedKeys") or {}
        return out

    def due_in_bucket(self, minute: datetime, shard: int, until: datetime, page_size: int = 100
                      ) -> Iterator[EnrollmentModel]:
        """The enrollments waiting in one minute bucket and shard, due at or before ``until``: the pointers are read
        strongly consistently (every committed write is seen), then their enrollments by a consistent BatchGetItem;
        a pointer whose enrollment no longer names it (advanced, moved, stopped, completed, gone) is skipped."""
        upper = f"{iso(until)}~"
        pointers = DuePointerModel.query(due_bucket(minute, shard), DuePointerModel.sk < upper,
                                         consistent_read=True, page_size=page_size)
        page: list[DuePointerModel] = []
        for pointer in pointers:
            page.append(pointer)
            if len(page) == page_size:
                yield from self._live(page)
                page = []
        yield from self._live(page)

    @staticmethod
    def _live(pointers: list[DuePointerModel]) -> Iterator[EnrollmentModel]:
        if not pointers:
            return
        keys = list(dict.fromkeys((p.enrollment_pk, p.enrollment_sk) for p in pointers))
        found = {(e.pk, e.sk): e for e in EnrollmentModel.batch_get(keys, consistent_read=True)}
        for pointer in pointers:
            item = found.pop((pointer.enrollment_pk, pointer.enrollment_sk), None)
            if item is not None and item.due_pk == pointer.pk and item.due_sk == pointer.sk:
                yield item

    # ------------------------------------------------------------------ writes
    def enroll(self, item: EnrollmentModel, *, previous_seq: int | None, idempotency_key: str | None,
               now: datetime) -> bool:
        """Write a new enrollment (``previous_seq`` None: the friend has none in this scenario) or a new cycle over
        the one read at ``previous_seq``. With ``idempotency_key``, one transaction also writes its marker, so the
        same key enrolls at most once. False when the marker or the enrollment condition refused the write (the same
        trigger already enrolled, or a concurrent enrollment won); any other failure raises."""
        condition = (EnrollmentModel.pk.does_not_exist() if previous_seq is None
                     else EnrollmentModel.seq == previous_seq)
        pointer = due_pointer(item)
        try:
            if idempotency_key or pointer is not None:
                with TransactWrite(connection=connection()) as transaction:
                    if idempotency_key:
                        marker = IdempotencyMarker(
                            f"enroll#{item.workspace_id}#{item.subscriber_id}#{idempotency_key}",
                            expiration=int((now + IDEMPOTENCY_TTL).timestamp()))
                        transaction.save(marker, condition=IdempotencyMarker.id.does_not_exist())
                    transaction.save(item, condition=condition)
                    if pointer is not None:
                        transaction.save(pointer)
            else:
                item.save(condition=condition)
        except (TransactWriteError, PutError) as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def save_if_unchanged(self, item: EnrollmentModel, *, read_seq: int) -> bool:
        """Write the changed enrollment as ``seq`` ``read_seq + 1``, only if it is still active at ``read_seq`` (the
        ``seq`` it was read at). False when another writer (a tick, a stop, a restart) changed it first. When the
        enrollment waits for a step, its due pointer is written in the same transaction (both or neither)."""
        item.seq = read_seq + 1
        condition = (EnrollmentModel.seq == read_seq) & (EnrollmentModel.status == "active")
        pointer = due_pointer(item)
        try:
            if pointer is None:
                item.save(condition=condition)
            else:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.save(item, condition=condition)
                    transaction.save(pointer)
        except (TransactWriteError, PutError) as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def restore_due_pointers(self) -> dict[str, int]:
        """Once, after upgrading from the due GSI: give every waiting enrollment written before the change (it names
        a bucket but has no pointer item) its pointer. A bucket from the current minute on gets its pointer as named
        (an idempotent put: a pointer the enrollment has since left is stale and harmless); an older bucket, which
        the tick may already have passed, is moved to the next minute with the same due time (a conditional,
        transactional save like the tick's, so a concurrent tick or stop wins). Safe to repeat."""
        counts = {"waiting": 0, "pointers": 0, "moved": 0, "raced": 0}
        for item in EnrollmentModel.scan(EnrollmentModel.due_pk.exists() & (EnrollmentModel.status == "active")):
            if item.next_due_at is None or not item.due_pk:
                continue
            counts["waiting"] += 1
            now = clock.now()
            if parse_minute_key(item.due_pk.split("#")[1]) >= floor_minute(now):
                pointer = due_pointer(item)
                if pointer is not None:
                    pointer.save()
                    counts["pointers"] += 1
                continue
            set_due(item, item.next_due_at, now, bucket_at=floor_minute(now) + timedelta(minutes=1))
            item.updated_at = now
            moved = self.save_if_unchanged(item, read_seq=int(item.seq))
            counts["moved" if moved else "raced"] += 1
        return counts

    # ------------------------------------------------------------------ the step tick's watermark
    def tick_watermark(self) -> datetime | None:
        """The last minute of the due pointers the step tick fully processed (a consistent read); None before the
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
