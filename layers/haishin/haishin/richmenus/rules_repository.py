"""Storage of menu rules, re-link jobs and each friend's linked menu (WorkspaceTable).

- rule set: pk ``ws#<ws>`` sk ``rmrules#<channel_id>``: default menu, ordered rules (JSON, each with a stable ``id``),
  ``version`` (bumped by every save) and the ID of the job that applies this version.
- job: pk ``ws#<ws>`` sk ``rmjob#<job_id>``: status queued | running | done | failed, total, done, linked, unlinked,
  calls (LINE requests made), started_at, finished_at, error, attempts. Counters move with ADD after each LINE
  call, so a progress read is one GetItem.
- linked menu: pk ``rmlink#<ws>#<channel_id>#<shard>`` sk ``<subscriber_id>``, ``m`` = the Haishin menu ID linked on
  LINE for that friend and ``l`` its LINE rich menu ID then (a re-published menu has a new one), or ``""`` for both
  when the per-user link was removed (the friend sees the default). No item: nothing was ever linked by us.
  Sharded like the subscriber table (``haishin.storage.shards``), so a bulk job reads one partition per subscriber
  shard and writes spread over 16 partitions.

The bulk paths use the low-level client (``haishin.storage.shard_scan``): a job reads and writes up to one item per
friend, and PynamoDB's model construction would be most of its time.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from haishin import clock
from haishin.config import table_name
from haishin.errors import Conflict, NotFound
from haishin.storage.base import (
    HaishinModel,
    JSONTextAttribute,
    UTCDateTimeAttribute,
    condition_failed,
    connection,
    iso,
    model_meta,
)
from haishin.storage.shard_scan import decode_row, dynamodb_client, projection, query_pages
from haishin.storage.shards import shard_of
from haishin.subscribers.models import subscriber_pk
from haishin.workspaces.models import workspace_pk

BATCH_WRITE = 25  # DynamoDB BatchWriteItem
WRITERS = 8  # concurrent BatchWriteItem calls of one put (below the shared client's 64 pooled connections)
NO_LINK = object()  # ``linked_menu``: nothing was ever linked for this friend on this channel
CONCURRENT_SAVE_JA = "ほかの人が同時にメニューのルールを保存しました。読み込み直してから、もう一度保存してください。"


def rules_sk(channel_id: str) -> str:
    return f"rmrules#{channel_id}"


def job_sk(job_id: str) -> str:
    return f"rmjob#{job_id}"


def link_pk(workspace_id: str, channel_id: str, shard: int) -> str:
    return f"rmlink#{workspace_id}#{channel_id}#{shard:02d}"


class RuleSetModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    default_menu_id = UnicodeAttribute(null=True)
    rules = JSONTextAttribute(default=list)  # [{"id", "menu_id", "condition"}], in order
    version = NumberAttribute(default=0)
    job_id = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class RelinkJobModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    rules_version = NumberAttribute(default=0)
    status = UnicodeAttribute(default="queued")
    total = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    linked = NumberAttribute(default=0)
    unlinked = NumberAttribute(default=0)
    calls = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)


def job_to_dict(job: RelinkJobModel) -> dict[str, Any]:
    return {"id": job.job_id, "channel_id": job.channel_id, "status": job.status, "total": int(job.total or 0),
            "done": int(job.done or 0), "linked": int(job.linked or 0), "unlinked": int(job.unlinked or 0),
            "calls": int(job.calls or 0), "started_at": iso(job.started_at) if job.started_at else None,
            "finished_at": iso(job.finished_at) if job.finished_at else None, "error": job.error}


class RuleRepository:
    # ------------------------------------------------------------------ rule sets
    def rule_set(self, workspace_id: str, channel_id: str) -> RuleSetModel | None:
        try:
            return RuleSetModel.get(workspace_pk(workspace_id), rules_sk(channel_id), consistent_read=True)
        except RuleSetModel.DoesNotExist:
            return None

    def rule_sets(self, workspace_id: str) -> list[RuleSetModel]:
        return list(RuleSetModel.query(workspace_pk(workspace_id), RuleSetModel.sk.startswith("rmrules#")))

    def save_rule_set(self, workspace_id: str, channel_id: str, default_menu_id: str | None,
                      rules: list[dict[str, Any]], job_id: str) -> RuleSetModel:
        """Replace the channel's rules (version + 1) together with its new job (queued), in one transaction."""
        current = self.rule_set(workspace_id, channel_id)
        now = clock.now()
        version = int(current.version or 0) + 1 if current else 1
        item = RuleSetModel(pk=workspace_pk(workspace_id), sk=rules_sk(channel_id), workspace_id=workspace_id,
                            channel_id=channel_id, default_menu_id=default_menu_id, rules=rules, version=version,
                            job_id=job_id, updated_at=now)
        job = RelinkJobModel(pk=workspace_pk(workspace_id), sk=job_sk(job_id), workspace_id=workspace_id,
                             job_id=job_id, channel_id=channel_id, rules_version=version, status="queued",
                             created_at=now)
        condition = (RuleSetModel.version == current.version) if current else RuleSetModel.pk.does_not_exist()
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(item, condition=condition)
                transaction.save(job, condition=RelinkJobModel.pk.does_not_exist())
        except TransactWriteError as exc:
            if condition_failed(exc):
                raise Conflict(CONCURRENT_SAVE_JA, where="rules") from exc
            raise
        return item

    def restart(self, workspace_id: str, channel_id: str, job_id: str) -> RuleSetModel | None:
        """The same rules again with a new job (a menu was re-published: its LINE ID changed); None: no rules."""
        current = self.rule_set(workspace_id, channel_id)
        if current is None:
            return None
        return self.save_rule_set(workspace_id, channel_id, current.default_menu_id, list(current.rules or []),
                                  job_id)

    # ------------------------------------------------------------------ jobs
    def job(self, workspace_id: str, job_id: str) -> RelinkJobModel:
        try:
            return RelinkJobModel.get(workspace_pk(workspace_id), job_sk(job_id), consistent_read=True)
        except RelinkJobModel.DoesNotExist:
            raise NotFound(f"メニュー再設定ジョブが見つかりません: {job_id}", where="job_id") from None

    def find_job(self, workspace_id: str, job_id: str) -> RelinkJobModel | None:
        try:
            return self.job(workspace_id, job_id)
        except NotFound:
            return None

    def start_job(self, job: RelinkJobModel) -> None:
        now = clock.now()
        actions: list[Action] = [RelinkJobModel.status.set("running"), RelinkJobModel.attempts.add(1),
                                 RelinkJobModel.error.remove()]
        if job.started_at is None:
            actions.append(RelinkJobModel.started_at.set(now))
        job.update(actions=actions)

    def set_scan(self, job: RelinkJobModel, total: int, done: int) -> None:
        """After the scan: how many friends the job covers, and how many already have their menu."""
        job.update(actions=[RelinkJobModel.total.set(total), RelinkJobModel.done.set(done)])

    def add_progress(self, job: RelinkJobModel, *, linked: int = 0, unlinked: int = 0, calls: int = 1) -> None:
        job.update(actions=[RelinkJobModel.linked.add(linked), RelinkJobModel.unlinked.add(unlinked),
                            RelinkJobModel.calls.add(calls), RelinkJobModel.done.add(linked + unlinked)])

    def note_error(self, job: RelinkJobModel, error: str) -> None:
        """A running job's last trouble (it goes on: SQS redelivers its message)."""
        job.update(actions=[RelinkJobModel.error.set(error)])

    def finish_job(self, job: RelinkJobModel, status: str, error: str | None = None) -> None:
        actions: list[Action] = [RelinkJobModel.status.set(status), RelinkJobModel.finished_at.set(clock.now())]
        actions.append(RelinkJobModel.error.set(error) if error else RelinkJobModel.error.remove())
        job.update(actions=actions)

    # ------------------------------------------------------------------ linked menus
    def linked_menu(self, workspace_id: str, channel_id: str, subscriber_id: str) -> Any:
        """(menu ID, LINE menu ID) linked for the friend, ``("", "")`` (unlinked: the default shows) or ``NO_LINK``."""
        response = dynamodb_client().get_item(
            TableName=table_name("WORKSPACE_TABLE"), ConsistentRead=True,
            Key={"pk": {"S": link_pk(workspace_id, channel_id, shard_of(subscriber_id))},
                 "sk": {"S": subscriber_id}})
        item = response.get("Item")
        return NO_LINK if item is None else (item.get("m", {}).get("S", ""), item.get("l", {}).get("S", ""))

    def shard_links(self, workspace_id: str, channel_id: str, shard: int) -> dict[str, tuple[str, str]]:
        """subscriber ID -> (menu ID, LINE menu ID) linked, or ``("", "")``, of one shard."""
        out: dict[str, tuple[str, str]] = {}
        kwargs = {"TableName": table_name("WORKSPACE_TABLE"), "KeyConditionExpression": "pk = :pk",
                  "ExpressionAttributeValues": {":pk": {"S": link_pk(workspace_id, channel_id, shard)}},
                  "ProjectionExpression": "sk, m, l", "ConsistentRead": True}
        for items in query_pages(kwargs):
            for item in items:
                out[item["sk"]["S"]] = (item.get("m", {}).get("S", ""), item.get("l", {}).get("S", ""))
        return out

    def put_links(self, workspace_id: str, channel_id: str, links: Iterable[tuple[str, str, str]],
                  at: datetime | None = None) -> None:
        """Record what is linked on LINE now: (subscriber ID, menu ID, LINE menu ID; ``""`` for the default), 25
        items per BatchWriteItem."""
        table = table_name("WORKSPACE_TABLE")
        stamp = iso(at or clock.now())
        requests = [{"PutRequest": {"Item": {
            "pk": {"S": link_pk(workspace_id, channel_id, shard_of(sid))}, "sk": {"S": sid}, "m": {"S": menu},
            "l": {"S": line_menu}, "at": {"S": stamp}}}} for sid, menu, line_menu in links]
        self._batch_write(table, requests)

    @staticmethod
    def _batch_write(table: str, requests: list[dict[str, Any]]) -> None:
        """25 requests per BatchWriteItem, up to WRITERS at once (a 500-friend chunk is 20 calls), unprocessed items
        sent again."""
        client = dynamodb_client()

        def write(start: int) -> None:
            pending: dict[str, Any] = {table: requests[start:start + BATCH_WRITE]}
            while pending:
                response = client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

        starts = range(0, len(requests), BATCH_WRITE)
        if len(starts) <= 1:
            for start in starts:
                write(start)
            return
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="rmlinks") as pool:
            list(pool.map(write, starts))

    def forget_links(self, workspace_id: str, channel_id: str, subscriber_ids: Iterable[str]) -> None:
        """After a channel's menus were unlinked wholesale (disconnect): the friends have nothing linked."""
        table = table_name("WORKSPACE_TABLE")
        requests = [{"DeleteRequest": {"Key": {"pk": {"S": link_pk(workspace_id, channel_id, shard_of(sid))},
                                               "sk": {"S": sid}}}} for sid in subscriber_ids]
        self._batch_write(table, requests)

    # ------------------------------------------------------------------ one friend's row
    def friend_row(self, workspace_id: str, subscriber_id: str, attributes: Iterable[str]) -> dict[str, Any] | None:
        """The friend's subscriber row (decoded like a shard scan's rows), with ``attributes`` projected."""
        expression, names = projection(set(attributes) | {"line"})
        response = dynamodb_client().get_item(
            TableName=table_name("SUBSCRIBERS_TABLE"), ConsistentRead=True,
            Key={"pk": {"S": subscriber_pk(workspace_id, subscriber_id)}, "sk": {"S": subscriber_id}},
            ProjectionExpression=expression, ExpressionAttributeNames=names)
        item = response.get("Item")
        return decode_row(item) if item else None
