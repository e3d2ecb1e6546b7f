"""CSV import: upload -> preview (dry run) -> start / resume -> status and error report.

The file is read with ``csv.reader`` over a text stream (memory stays flat whatever the size) in chunks of rows:

1. every row of the chunk is validated as a whole (identities, every mapped field, tags) before anything is written;
   a row with any error is reported (line, column, reason) and skipped - it is never half-written;
2. the identities of the chunk are looked up at once (BatchGetItem of alias items) to decide create / update / skip;
   a row whose other identity belongs to a different friend is an error naming that column;
3. new friends (no alias exists, and none is claimed twice in the chunk) go out with BatchWriteItem, 25 items a call,
   from parallel writers; a row's subscriber item and alias items are in the same call (the friend item records
   the import and line, which the timeline shows as its ``imported`` entry). The new
   friend's ID is derived from the import and the line, so replaying a chunk after a crash rewrites the same items;
4. updates are one TransactWriteItems per row (row version-checked, aliases conditioned), from the same writers;
5. the ``csv`` scenario trigger fires for each friend the chunk created (``ImportService(triggers=...)``; updated
   friends are not "imported" again), ``tag_added`` / ``tag_removed`` for every row's real tag change (keyed by job
   and line; an update records its changes on the row so a replayed chunk still fires them: ``Importer._fire``),
   then progress (counters and the last committed line) is committed on the job item after the chunk, with the
   channels whose followers' rows changed what rich menu rules read (``menu_marks``);
6. when the whole file is in, one bulk rich menu re-link job starts per such channel that has rules of the kinds
   changed (``ImportService(menus=...)``: tags -> tag and segment rules, the inflow route -> route rules, other
   values -> segment rules), not one LINE call per friend; their IDs are on the job (``rich_menu_jobs``).

Within a chunk, a second row claiming an identity an earlier row claims starts the next chunk, so it sees the first.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import random
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from haishin import clock, ids
from haishin.config import table_name
from haishin.csvio.cells import unneutralise_row
from haishin.csvio.encoding import (
    BytesSource,
    ImportSource,
    S3Source,
    detect_encoding,
    exports_bucket,
    open_text,
    refuse_mojibake,
    s3_client,
    source_from,
)
from haishin.csvio.jobs import (
    MAX_STORED_ERRORS,
    ImportErrorModel,
    ImportJobModel,
    ImportOptions,
    job_sk,
    job_to_dict,
    load_job,
)
from haishin.errors import Conflict, HaishinError, ValidationFailed
from haishin.fields.models import FieldDefinition
from haishin.fields.repository import FieldChanges, FieldRepository, plan_field_changes
from haishin.fields.values import is_empty
from haishin.phone import INVALID_PHONE_MESSAGE, to_e164
from haishin.storage.base import iso
from haishin.storage.shard_scan import dynamodb_client
from haishin.subscribers.models import SubscriberModel, alias_pk, line_account, subscriber_pk
from haishin.subscribers.repository import (
    SubscriberRepository,
    VersionConflict,
    aliases_of,
    line_alias_kind,
    normalise_email,
)
from haishin.tags.repository import TagModel, TagRepository, _key
from haishin.tags.triggers import (
    TAG_ADDED,
    TAG_REMOVED,
    TriggerSink,
    fire_tag_changes,
    recorded_tag_changes,
    remember_tag_changes,
)
from haishin.timeline.models import TimelineEntryModel, timeline_pk
from haishin.workspaces.models import workspace_pk

HEADER_ALIASES: dict[str, str] = {
    "友だちid": "subscriber_id", "subscriber_id": "subscriber_id",
    "表示名": "display_name", "line表示名": "display_name", "display_name": "display_name",
    "lineユーザーid": "line_user_id", "line_user_id": "line_user_id", "ユーザーid": "line_user_id",
    "メールアドレス": "email", "email": "email", "メール": "email",
    "電話番号": "phone", "phone": "phone",
    "タグ": "tags", "tags": "tags",
    "流入経路": "inflow_route", "inflow_route": "inflow_route",
    # columns the export writes that an import does not set
    "状態": "ignore", "登録日時": "ignore", "最終反応日時": "ignore", "購入総額": "ignore",
}
BUILTIN_TARGETS = frozenset({"subscriber_id", "display_name", "email", "phone", "line_user_id", "inflow_route",
                             "tags", "ignore"})
_TAG_SPLIT = re.compile(r"\s*[,、]\s*")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LINE_USER = re.compile(r"^U[0-9a-f]{32}$")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
IDENTITY_ORDER = ("line_user_id", "email", "phone")
CSV_IMPORTED = "csv"  # the scenario trigger fired for each friend an import creates
log = logging.getLogger(__name__)


class MenuRelinker(Protocol):
    """``haishin.richmenus.relink.RichMenuRules``: starts the bulk re-link job of each channel whose rules have a
    rule of one of the kinds given (one job per channel, whatever the number of friends)."""

    def relink_channels(self, workspace_id: str, kinds: dict[str, set[str]]) -> dict[str, str]: ...


def menu_kinds(changes: list[dict[str, Any]], route_changed: bool) -> set[str]:
    """The kinds of rich menu rules a row's changes can move: tags -> tag and segment rules; the inflow route ->
    route and segment rules; any other change (fields, name, email, phone) -> segment rules."""
    kinds: set[str] = set()
    for change in changes:
        kinds |= {"tag", "segment"} if ("tags_added" in change or "tags_removed" in change) else {"segment"}
    if route_changed:
        kinds |= {"route", "segment"}
    return kinds


@dataclass
class CellError:
    line: int
    column: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class RowPlan:
    line: int
    subscriber_id: str | None = None
    identities: dict[str, tuple[str, str]] = field(default_factory=dict)  # line_user_id|email|phone -> alias key
    display_name: str | None = None
    clear_display_name: bool = False
    inflow_route: str | None = None
    changes: FieldChanges = field(default_factory=FieldChanges)
    tags: list[str] | None = None
    new_tags: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # target -> CSV column (for errors)


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[CellError] = field(default_factory=list)
    actions: dict[int, str] = field(default_factory=dict)  # line -> create | update | skip (preview)
    # friends this import created (a chunk replayed after a crash finds its own friends again as updates)
    new_friends: list[str] = field(default_factory=list)


def _crockford(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def row_subscriber_id(job_id: str, created_ms: int, line: int) -> str:
    """The ID a new friend from ``line`` of import ``job_id`` gets: sortable like ``ids.new_id`` and deterministic."""
    digest = hashlib.sha256(f"{job_id}|{line}".encode()).digest()[:10]
    return "s_" + _crockford((created_ms << 80) | int.from_bytes(digest, "big"))


def _header_key(text: str) -> str:
    return _key(text).replace(" ", "").replace("　", "")


class Importer:
    """Validates and writes rows for one workspace with one set of options (used by jobs, previews and the CLI)."""

    def __init__(
        self,
        workspace_id: str,
        options: ImportOptions,
        *,
        job_id: str = "adhoc",
        created_ms: int | None = None,
        actor: str = "system",
        writers: int = 8,
        tz: str = "Asia/Tokyo",
        now: datetime | None = None,
        triggers: TriggerSink | None = None,
    ) -> None:
        self.workspace_id = workspace_id
        self.triggers = triggers  # tag_added / tag_removed; None only for dry runs (preview, options), which write
        # nothing: ``submit`` refuses a real run without it
        self.options = options
        self.job_id = job_id
        self.created_ms = created_ms if created_ms is not None else int(clock.now().timestamp() * 1000)
        self.actor = actor
        self.writers = writers
        self.tz = tz
        self.now = now
        self.subscribers = SubscriberRepository()
        self.tag_repo = TagRepository()
        self.definitions: dict[str, FieldDefinition] = FieldRepository().by_key(workspace_id)
        self.known_tags: list[TagModel] = self.tag_repo.all(workspace_id)
        self._tags_by_key = {_key(t.name): t.tag_id for t in self.known_tags}
        self._tag_ids = {t.tag_id for t in self.known_tags}
        self.targets: list[str] = []
        self.header: list[str] = []
        self._pool: ThreadPoolExecutor | None = None
        self._menu_marks: set[str] = set()  # "<channel>|<rule kind>" of the rows written since the last take
        self._marks_lock = threading.Lock()

    def _mark_menus(self, subscriber: SubscriberModel, kinds: set[str]) -> None:
        """The friend's changed row may give them another rich menu on every channel they follow."""
        channels = [channel for channel, account in (subscriber.line or {}).items()
                    if (account or {}).get("status") == "following"]
        if kinds and channels:
            with self._marks_lock:
                self._menu_marks |= {f"{channel}|{kind}" for channel in channels for kind in kinds}

    def take_menu_marks(self) -> set[str]:
        with self._marks_lock:
            marks, self._menu_marks = self._menu_marks, set()
        return marks

    # ------------------------------------------------------------------ mapping
    def map_header(self, header: list[str]) -> list[str]:
        """The target of every column (validating the explicit mapping); raises naming the column."""
        by_label = {_header_key(d.label): d.key for d in self.definitions.values()}
        by_key = {_header_key(k): k for k in self.definitions}
        targets: list[str] = []
        seen: dict[str, str] = {}
        for column in header:
            target = self.options.mapping.get(column)
            if target is None:
                hk = _header_key(column)
                if hk in by_label:
                    target = f"field:{by_label[hk]}"
                elif hk in by_key:
                    target = f"field:{by_key[hk]}"
                else:
                    target = HEADER_ALIASES.get(hk, "ignore")
            if target.startswith("field:"):
                if target[6:] not in self.definitions:
                    raise ValidationFailed(f"column 「{column}」 maps to an unknown field '{target[6:]}'",
                                           where=f"mapping.{column}")
            elif target not in BUILTIN_TARGETS:
                raise ValidationFailed(f"column 「{column}」 maps to an unknown target '{target}'",
                                       where=f"mapping.{column}")
            if target != "ignore":
                if target in seen:
                    raise ValidationFailed(f"columns 「{seen[target]}」 and 「{column}」 both map to {target}",
                                           where=f"mapping.{column}")
                seen[target] = column
            targets.append(target)
        if "line_user_id" in seen and not self.options.channel_id:
            raise ValidationFailed("a LINE user ID column needs the channel it belongs to", where="channel_id")
        if self.options.dedupe_by != "auto" and self.options.dedupe_by not in seen:
            raise ValidationFailed(f"no column maps to {self.options.dedupe_by}, the de-duplication key",
                                   where="dedupe_by")
        self.header = header
        self.targets = targets
        return targets

    # ------------------------------------------------------------------ validate one row
    def plan_row(self, record: list[str], line: int, *, create_tags: bool) -> RowPlan | list[CellError]:
        errors: list[CellError] = []
        plan = RowPlan(line=line)
        raw_fields: dict[str, Any] = {}
        field_columns: dict[str, str] = {}
        if len(record) > len(self.header) and any(cell.strip() for cell in record[len(self.header):]):
            errors.append(CellError(line, None, f"{len(record)} cells, but the header has {len(self.header)}"))
        for index, target in enumerate(self.targets):
            if target == "ignore":
                continue
            column = self.header[index]
            cell = record[index] if index < len(record) else ""
            plan.columns[target] = column
            empty = is_empty(cell)
            if target.startswith("field:"):
                raw_fields[target[6:]] = cell
                field_columns[target[6:]] = column
            elif empty:
                if target == "display_name" and self.options.empty_values == "clear":
                    plan.clear_display_name = True
            elif target == "subscriber_id":
                plan.subscriber_id = cell.strip()
            elif target == "display_name":
                plan.display_name = cell
            elif target == "inflow_route":
                plan.inflow_route = cell.strip()
            elif target == "email":
                email = normalise_email(cell)
                if not _EMAIL.match(email):
                    errors.append(CellError(line, column, f"not an email address: '{cell}'"))
                else:
                    plan.identities["email"] = ("email", email)
            elif target == "phone":
                phone = to_e164(cell)
                if phone is None:
                    errors.append(CellError(line, column, f"{INVALID_PHONE_MESSAGE}: '{cell}'"))
                else:
                    plan.identities["phone"] = ("phone", phone)
            elif target == "line_user_id":
                user_id = cell.strip()
                if not _LINE_USER.match(user_id):
                    errors.append(CellError(line, column, f"not a LINE user ID (U + 32 hex digits): '{cell}'"))
                else:
                    plan.identities["line_user_id"] = (line_alias_kind(str(self.options.channel_id)), user_id)
            elif target == "tags":
                plan.tags = self._tags(cell, create_tags, plan)
        if "tags" in plan.columns and plan.tags is None and self.options.tags_mode == "replace" \
                and self.options.empty_values == "clear":
            plan.tags = []
        for key, raw in raw_fields.items():
            try:
                partial = plan_field_changes(self.definitions, {key: raw}, empty_values=self.options.empty_values,
                                             tz=self.tz, now=self.now)
            except ValidationFailed as exc:
                errors.append(CellError(line, field_columns[key], exc.message))
                continue
            plan.changes.values.update(partial.values)
        return errors or plan

    def _tags(self, cell: str, create: bool, plan: RowPlan) -> list[str]:
        out: list[str] = []
        for name in _TAG_SPLIT.split(cell.strip()):
            if not name:
                continue
            if name in self._tag_ids:
                out.append(name)
                continue
            tag_id = self._tags_by_key.get(_key(name))
            if tag_id is None:
                if not create or not self.options.create_missing_tags:
                    plan.new_tags.append(name)
                    continue
                try:
                    tag_id = self.tag_repo.resolve(self.workspace_id, [name], create_missing=True,
                                                   known=self.known_tags)[0]
                except (Conflict, ValidationFailed):  # created meanwhile by someone else
                    self.known_tags = self.tag_repo.all(self.workspace_id)
                    tag_id = self.tag_repo.resolve(self.workspace_id, [name], known=self.known_tags)[0]
                self._tags_by_key[_key(name)] = tag_id
                self._tag_ids.add(tag_id)
            out.append(tag_id)
        return out

    # ------------------------------------------------------------------ chunks
    def chunks(self, records: Iterator[tuple[int, list[str]]], size: int, *, create_tags: bool = True,
               ) -> Iterator[tuple[list[RowPlan], list[CellError], int, int]]:
        """(plans, errors, rows, last line) per chunk; a row claiming an identity already claimed in the chunk
        starts the next chunk."""
        plans: list[RowPlan] = []
        errors: list[CellError] = []
        claimed: set[tuple[str, str]] = set()
        rows = 0
        last = 0
        for line, record in records:
            result = self.plan_row(record, line, create_tags=create_tags)
            if isinstance(result, RowPlan):
                keys = set(result.identities.values())
                if result.subscriber_id:
                    keys.add(("id", result.subscriber_id))
                if keys & claimed:
                    yield plans, errors, rows, last
                    plans, errors, claimed, rows = [], [], set(), 0
                claimed |= keys
                plans.append(result)
            else:
                errors.extend(result)
            rows += 1
            last = line
            if rows >= size:
                yield plans, errors, rows, last
                plans, errors, claimed, rows = [], [], set(), 0
        if rows:
            yield plans, errors, rows, last

    def process(self, plans: list[RowPlan], *, dry_run: bool = False) -> ChunkResult:
        return self.submit(plans, dry_run=dry_run).result()

    def submit(self, plans: list[RowPlan], *, dry_run: bool = False) -> PendingChunk:
        """Look the chunk's identities up and start its writes on the writer pool; ``result()`` waits for them.

        The caller may plan the next chunk meanwhile, but must wait for this one before submitting the next (the
        next chunk's lookups must see this chunk's new friends)."""
        result = ChunkResult()
        if not plans:
            return PendingChunk(result)
        alias_owner = self._lookup_aliases(plans)
        wanted_ids = {sid for sid in alias_owner.values()} | {p.subscriber_id for p in plans if p.subscriber_id}
        existing = self._load_subscribers(wanted_ids)
        new_friends: list[NewFriend] = []
        updates: list[tuple[RowPlan, str]] = []
        for plan in plans:
            target: str | None = None
            if plan.subscriber_id and plan.subscriber_id in existing:
                target = plan.subscriber_id
            order = IDENTITY_ORDER if self.options.dedupe_by == "auto" else (self.options.dedupe_by,)
            if target is None:
                for name in order:
                    owner = alias_owner.get(plan.identities.get(name, ("", "")))
                    if owner and owner in existing:
                        target = owner
                        break
            conflict = None
            for name, alias in plan.identities.items():
                owner = alias_owner.get(alias)
                if owner and owner in existing and owner != target:
                    conflict = CellError(plan.line, plan.columns.get(name),
                                         f"{alias[1]} already belongs to another friend ({owner})")
                    break
            if conflict:
                result.errors.append(conflict)
                continue
            if target is None:
                result.actions[plan.line] = "create"
                if not dry_run:
                    new_friends.append(self._new_subscriber(plan))
                    result.new_friends.append(new_friends[-1].subscriber_id)
                continue
            if not dry_run and target == row_subscriber_id(self.job_id, self.created_ms, plan.line):
                result.new_friends.append(target)  # this import created it before an interruption
            if self.options.on_duplicate == "skip":
                result.actions[plan.line] = "skip"
                result.skipped += 1
            else:
                result.actions[plan.line] = "update"
                updates.append((plan, target))
        if dry_run:
            result.created = sum(1 for a in result.actions.values() if a == "create")
            result.updated = len(updates)
            return PendingChunk(result)
        if self.triggers is None:
            raise TypeError("an import that writes needs the scenario engine for tag triggers (triggers=...)")
        pool = self._writers()
        futures = [pool.submit(self._write_batch, batch, friends) for batch, friends in self._batches(new_friends)]
        update_futures = [pool.submit(self._update_one, plan, target, existing.get(target)) for plan, target in updates]
        return PendingChunk(result, futures, update_futures)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _writers(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.writers, thread_name_prefix="import")
        return self._pool

    # ------------------------------------------------------------------ reads
    def _batch_get_all(self, keys: list[dict[str, Any]], extra: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item for ``keys`` (BatchGetItem, 100 keys a call, the calls in parallel on the writer pool)."""
        table = table_name("SUBSCRIBERS_TABLE")
        requests = [{table: {"Keys": keys[start : start + 100], "ConsistentRead": True, **extra}}
                    for start in range(0, len(keys), 100)]
        if len(requests) <= 1:
            return [item for request in requests for item in _batch_get(request, table)]
        pool = self._writers()
        futures = [pool.submit(lambda request: list(_batch_get(request, table)), request) for request in requests]
        return [item for future in futures for item in future.result()]

    def _lookup_aliases(self, plans: list[RowPlan]) -> dict[tuple[str, str], str]:
        keys = sorted({alias for plan in plans for alias in plan.identities.values()})
        by_pk = {alias_pk(self.workspace_id, kind, value): (kind, value) for kind, value in keys}
        items = self._batch_get_all([{"pk": {"S": pk}, "sk": {"S": "alias"}} for pk in by_pk],
                                    {"ProjectionExpression": "pk, subscriber_id"})
        return {by_pk[item["pk"]["S"]]: item["subscriber_id"]["S"] for item in items}

    def _load_subscribers(self, subscriber_ids: set[str]) -> dict[str, dict[str, Any]]:
        keys = [{"pk": {"S": subscriber_pk(self.workspace_id, sid)}, "sk": {"S": sid}}
                for sid in sorted(subscriber_ids)]
        return {item["sk"]["S"]: item for item in self._batch_get_all(keys, {}) if "merged_into" not in item}

    # ------------------------------------------------------------------ writes
    def _apply(self, plan: RowPlan, subscriber: SubscriberModel | NewFriend) -> list[dict[str, Any]]:
        fields = dict(subscriber.fields or {})
        ends = dict(subscriber.field_ends or {})
        changes = plan.changes.apply(fields, ends, self.definitions)
        subscriber.fields = fields
        subscriber.field_ends = ends
        if plan.tags is not None:
            before = set(subscriber.tags or set())
            after = set(plan.tags) if self.options.tags_mode == "replace" else before | set(plan.tags)
            if after != before:
                changes.append({"tags_added": sorted(after - before), "tags_removed": sorted(before - after)})
            subscriber.tags = after
        if plan.display_name is not None and plan.display_name != subscriber.display_name:
            changes.append({"field": "display_name", "old": subscriber.display_name, "new": plan.display_name})
            subscriber.display_name = plan.display_name
        elif plan.clear_display_name and subscriber.display_name:
            changes.append({"field": "display_name", "old": subscriber.display_name, "new": None})
            subscriber.display_name = None
        if plan.inflow_route and plan.inflow_route != subscriber.inflow_route:
            subscriber.inflow_route = plan.inflow_route
            subscriber.inflow_route_id = None  # a name from a file is no route's attribution
        for name, (kind, value) in plan.identities.items():
            if name == "email" and subscriber.email != value:
                changes.append({"field": "email", "old": subscriber.email, "new": value})
                subscriber.email = value
            elif name == "phone" and subscriber.phone != value:
                changes.append({"field": "phone", "old": subscriber.phone, "new": value})
                subscriber.phone = value
            elif name == "line_user_id":
                channel_id = kind.split(":", 1)[1]
                line = dict(subscriber.line or {})
                if (line.get(channel_id) or {}).get("user_id") != value:
                    line[channel_id] = line_account(value)
                    subscriber.line = line
                    changes.append({"field": "line_user_id", "channel_id": channel_id})
        return changes

    def _timeline_item(self, plan: RowPlan, subscriber_id: str, created: bool, changes: list[dict[str, Any]],
                       now: datetime) -> TimelineEntryModel:
        entry_id = f"import_{self.job_id}_{plan.line}"
        return TimelineEntryModel(
            pk=timeline_pk(self.workspace_id, subscriber_id), sk=f"{iso(now)}#{entry_id}",
            workspace_id=self.workspace_id, subscriber_id=subscriber_id, entry_id=entry_id,
            kind="imported", at=now, actor=self.actor,
            data={"import_id": self.job_id, "line": plan.line, "created": created, "changes": changes[:50]},
        )

    def _new_subscriber(self, plan: RowPlan) -> NewFriend:
        friend = NewFriend(row_subscriber_id(self.job_id, self.created_ms, plan.line),
                           imported_from={"import_id": self.job_id, "line": plan.line, "actor": self.actor})
        self._apply(plan, friend)
        return friend

    def _batches(self, friends: list[NewFriend]) -> Iterator[tuple[list[dict[str, Any]], list[NewFriend]]]:
        """Write requests of at most 25 items, a friend's items never split across two calls.

        A row is its subscriber item (which records the import and line: the timeline shows that as the friend's
        ``imported`` entry, with no timeline write) and its alias items, built as DynamoDB JSON directly
        (``new_subscriber_item``, the same item PynamoDB would write: a test compares them); building PynamoDB
        models for 100,000 new friends cost more than validating the rows."""
        batch: list[dict[str, Any]] = []
        members: list[NewFriend] = []
        now = iso(clock.now())
        for friend in friends:
            items = [new_subscriber_item(self.workspace_id, friend, now)]
            for kind, value in aliases_of(cast(Any, friend)):  # reads only line, email and phone
                items.append({"pk": {"S": alias_pk(self.workspace_id, kind, value)}, "sk": {"S": "alias"},
                              "subscriber_id": {"S": friend.subscriber_id}})
            if len(batch) + len(items) > 25:
                yield batch, members
                batch, members = [], []
            batch.extend(items)
            members.append(friend)
        if batch:
            yield batch, members

    def _write_batch(self, batch: list[dict[str, Any]], friends: list[NewFriend] | None = None) -> int:
        """Put one batch of SubscribersTable items (friends and their aliases), then fire ``tag_added`` for the new
        friends' tags; returns the friends written."""
        request: dict[str, list[dict[str, Any]]] = {
            table_name("SUBSCRIBERS_TABLE"): [{"PutRequest": {"Item": item}} for item in batch]}
        client = dynamodb_client()
        delay = 0.05
        while request:
            response = client.batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            if request:
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 2, 2.0)
        for friend in friends or []:
            line = (friend.imported_from or {}).get("line")
            self._fire(friend.subscriber_id, line, [{"tags_added": sorted(friend.tags)}])
        return sum(1 for item in batch if item["sk"]["S"] != "alias")

    def _tag_name(self, tag_id: str) -> str:
        for tag in self.known_tags:
            if tag.tag_id == tag_id:
                return str(tag.name)
        return tag_id

    def _tag_pairs(self, changes: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """The row's real tag changes (from ``_apply``) as (kind, {"tag_id", "tag"})."""
        pairs: list[tuple[str, dict[str, Any]]] = []
        for change in changes:
            for kind, key in ((TAG_ADDED, "tags_added"), (TAG_REMOVED, "tags_removed")):
                pairs += [(kind, {"tag_id": tag_id, "tag": self._tag_name(tag_id)}) for tag_id in change.get(key) or []]
        return pairs

    def _fire(self, subscriber_id: str, line: Any, changes: list[dict[str, Any]]) -> None:
        """``tag_added`` / ``tag_removed`` for the row's real tag changes, once per row: the key is the job and line,
        so a chunk replayed after a crash (creates are rewritten; an update finds its changes recorded on the row,
        ``haishin.tags.triggers.recorded_tag_changes``) enrolls nobody twice and loses no trigger."""
        pairs = self._tag_pairs(changes)
        if pairs:
            fire_tag_changes(self.triggers, self.workspace_id, subscriber_id, pairs,
                             idempotency_key=f"import:{self.job_id}:{line}")

    def _update_one(self, plan: RowPlan, subscriber_id: str, raw: dict[str, Any] | None) -> CellError | None:
        subscriber = SubscriberModel.from_raw_data(raw) if raw else self.subscribers.require(self.workspace_id,
                                                                                            subscriber_id)
        cause = f"import:{self.job_id}:{plan.line}"
        for _ in range(8):
            now = clock.now()
            recorded = recorded_tag_changes(subscriber, cause, now)
            if recorded is not None:  # this row was written before a crash: its tag triggers still fire, once
                fire_tag_changes(self.triggers, self.workspace_id, subscriber_id, recorded[0], idempotency_key=cause)
                self._mark_menus(subscriber, {"tag", "route", "segment"})  # what changed then is not known now
                return None
            before = set(aliases_of(subscriber))
            route_before = subscriber.inflow_route
            changes = self._apply(plan, subscriber)
            remember_tag_changes(subscriber, cause, self._tag_pairs(changes), now)
            after = set(aliases_of(subscriber))
            subscriber.updated_at = now
            try:
                self.subscribers.save_with_aliases(subscriber, add=sorted(after - before),
                                                   remove=sorted(before - after))
            except VersionConflict:
                subscriber = self.subscribers.require(self.workspace_id, subscriber_id)
                continue
            except Conflict as exc:
                where = exc.where or ""
                column = plan.columns.get("line_user_id" if where == "line" else where)
                return CellError(plan.line, column, exc.message)
            entry = self._timeline_item(plan, subscriber_id, False, changes, clock.now())
            entry.save()
            self._fire(subscriber_id, plan.line, changes)
            self._mark_menus(subscriber, menu_kinds(changes, subscriber.inflow_route != route_before))
            return None
        return CellError(plan.line, None, "the friend kept changing during the import; import the row again")


@dataclass
class NewFriend:
    """The attributes an import sets on a new friend (``Importer._apply`` writes them as on a SubscriberModel)."""

    subscriber_id: str
    display_name: str | None = None
    inflow_route: str | None = None
    inflow_route_id: str | None = None  # never set by an import (``_apply`` clears it with a new name)
    email: str | None = None
    phone: str | None = None
    tags: set[str] = field(default_factory=set)
    fields: dict[str, Any] = field(default_factory=dict)
    field_ends: dict[str, Any] = field(default_factory=dict)
    line: dict[str, Any] = field(default_factory=dict)
    imported_from: dict[str, Any] | None = None


def _json(value: Any) -> dict[str, str]:
    # as JSONTextAttribute serializes
    return {"S": json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)}


def new_subscriber_item(workspace_id: str, friend: NewFriend, now: str) -> dict[str, Any]:
    """The SubscriberModel item of a new friend from an import (``source`` csv, version 1), as DynamoDB JSON."""
    sid = friend.subscriber_id
    item: dict[str, Any] = {
        "pk": {"S": subscriber_pk(workspace_id, sid)}, "sk": {"S": sid},
        "workspace_id": {"S": workspace_id}, "subscriber_id": {"S": sid}, "source": {"S": "csv"},
        "line": _json(friend.line), "fields": _json(friend.fields), "field_ends": _json(friend.field_ends),
        "consent": {"S": "{}"}, "unsubscribed": {"S": "{}"}, "unsubscribed_all": {"BOOL": False},
        "created_at": {"S": now}, "updated_at": {"S": now}, "version": {"N": "1"},
    }
    for name in ("display_name", "inflow_route", "email", "phone"):
        value = getattr(friend, name)
        if value is not None:
            item[name] = {"S": value}
    if friend.tags:
        item["tags"] = {"SS": sorted(friend.tags)}
    if friend.imported_from:
        item["imported_from"] = _json(friend.imported_from)
    return item


class PendingChunk:
    """A chunk whose writes are in flight on the writer pool."""

    def __init__(self, result: ChunkResult, creates: list[Future[int]] | None = None,
                 updates: list[Future[CellError | None]] | None = None) -> None:
        self._result = result
        self._creates = creates or []
        self._updates = updates or []

    def result(self) -> ChunkResult:
        """Wait for every write of the chunk (all of them, even when one fails) and count the outcomes."""
        result = self._result
        in_flight: list[Future[Any]] = [*self._creates, *self._updates]
        wait(in_flight)
        for future in self._creates:
            result.created += future.result()
        for update in self._updates:
            outcome = update.result()
            if isinstance(outcome, CellError):
                result.errors.append(outcome)
            else:
                result.updated += 1
        self._creates, self._updates = [], []
        return result


def _batch_get(request: dict[str, Any], table: str) -> Iterator[dict[str, Any]]:
    client = dynamodb_client()
    while request:
        response = client.batch_get_item(RequestItems=request)
        yield from response.get("Responses", {}).get(table, [])
        request = response.get("UnprocessedKeys") or {}


def iter_records(text: Any, *, skip_until: int = 1) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for each record after the header, skipping records up to ``skip_until``;
    blank lines are skipped. Cells our exports neutralised against CSV injection (``'=...``) are read back as the
    values they stood for (``csvio.cells``)."""
    reader = csv.reader(text)
    start = reader.line_num + 1
    for record in reader:
        line = start
        start = reader.line_num + 1
        if line <= skip_until or not record or all(not c.strip() for c in record):
            continue
        yield line, unneutralise_row(record)


# ---------------------------------------------------------------------------------------------------- jobs
class ImportService:
    """The job lifecycle behind ``/api/imports`` (and the CLI / benchmarks with a local file)."""

    def __init__(self, *, triggers: TriggerSink, chunk_size: int = 500, writers: int = 8,
                 menus: MenuRelinker | None = None) -> None:
        self.chunk_size = chunk_size
        self.writers = writers
        # rich menu rules: an import that changed followers' tags (fields, route) re-links their channels in bulk
        self.menus = menus
        # the scenario engine: the ``csv`` trigger, and tag_added / tag_removed for rows that change tags
        self.triggers = triggers

    def upload(self, workspace_id: str, filename: str, data: bytes, *, actor: str,
               options: ImportOptions | None = None) -> ImportJobModel:
        """Store the bytes in the exports bucket (S3) and create the job."""
        job_id = ids.new_id("imp_")
        key = f"imports/{workspace_id}/{job_id}.csv"
        detect_encoding(BytesSource(data))  # refuse a bad file before storing it
        s3_client().put_object(Bucket=exports_bucket(), Key=key, Body=data)
        return self.create_job(workspace_id, S3Source(exports_bucket(), key), filename=filename, actor=actor,
                               options=options, job_id=job_id)

    def create_job(self, workspace_id: str, source: ImportSource, *, filename: str, actor: str,
                   options: ImportOptions | None = None, job_id: str | None = None) -> ImportJobModel:
        encoding = detect_encoding(source)
        with open_text(source, encoding) as text:
            reader = csv.reader(text)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise ValidationFailed("the file has no header line", where="line 1")
            for index, cell in enumerate(header):
                refuse_mojibake(1, f"{index + 1}", cell)
            total, start = 0, reader.line_num + 1
            for record in reader:  # every cell is looked at before the job exists: mojibake is never imported
                line, start = start, reader.line_num + 1
                if not record or all(not c.strip() for c in record):
                    continue
                total += 1
                for index, cell in enumerate(record):
                    refuse_mojibake(line, header[index] if index < len(header) else f"{index + 1}", cell)
        now = clock.now()
        job = ImportJobModel(
            pk=workspace_pk(workspace_id), sk=job_sk(job_id or ids.new_id("imp_")), workspace_id=workspace_id,
            status="uploaded", filename=filename, source=source.describe(), encoding=encoding,
            header=[h.strip() for h in unneutralise_row(header)], options=(options or ImportOptions()).model_dump(),
            total=total, actor=actor, created_at=now, updated_at=now,
        )
        job.job_id = job.sk.split("#", 1)[1]
        if options is not None:
            Importer(workspace_id, options).map_header(job.header)  # a bad mapping fails now
        job.save()
        return job

    def set_options(self, workspace_id: str, job_id: str, options: ImportOptions) -> ImportJobModel:
        job = load_job(workspace_id, job_id)
        if job.status not in ("uploaded", "paused"):
            raise Conflict(f"取り込みは {job.status} 状態です。設定は開始前にだけ変更できます", where="status")
        Importer(workspace_id, options).map_header(list(job.header))
        job.options = options.model_dump()
        job.updated_at = clock.now()
        job.save()
        return job

    def preview(self, workspace_id: str, job_id: str, *, rows: int = 20) -> dict[str, Any]:
        """A dry run of the first ``rows`` rows: parsed values, errors and the action each row would take."""
        job = load_job(workspace_id, job_id)
        options = ImportOptions.model_validate(job.options)
        importer = Importer(workspace_id, options, job_id=job.job_id)
        targets = importer.map_header(list(job.header))
        out_rows: list[dict[str, Any]] = []
        errors: list[CellError] = []
        with open_text(source_from(job.source), str(job.encoding)) as text:
            records = []
            for line, record in iter_records(text):
                records.append((line, record))
                if len(records) >= rows:
                    break
        plans: list[RowPlan] = []
        for line, record in records:
            plan = importer.plan_row(record, line, create_tags=False)
            entry: dict[str, Any] = {"line": line, "cells": dict(zip(job.header, record, strict=False))}
            if isinstance(plan, RowPlan):
                plans.append(plan)
                entry["values"] = {k: c.value for k, c in plan.changes.values.items()}
                entry["ends"] = {k: c.end for k, c in plan.changes.values.items() if c.end}
                entry["new_tags"] = plan.new_tags
            else:
                errors.extend(plan)
            out_rows.append(entry)
        result = importer.process(plans, dry_run=True)
        errors.extend(result.errors)
        for entry in out_rows:
            entry["action"] = result.actions.get(entry["line"], "error")
            entry["errors"] = [e.to_dict() for e in errors if e.line == entry["line"]]
        return {"import_id": job.job_id, "encoding": job.encoding, "total": int(job.total),
                "mapping": dict(zip(job.header, targets, strict=True)), "rows": out_rows}

    def run(self, workspace_id: str, job_id: str, *, seconds: float | None = None) -> ImportJobModel:
        """Start or resume: process chunks until the file ends or ``seconds`` pass (then the job is ``paused``
        and the next call resumes from the last committed line)."""
        job = load_job(workspace_id, job_id)
        if job.status == "completed":
            return job
        if job.status == "running" and (clock.now() - job.updated_at).total_seconds() < 120:
            raise Conflict("取り込みはすでに実行中です", where="status")
        options = ImportOptions.model_validate(job.options)
        importer = Importer(workspace_id, options, job_id=job.job_id, actor=job.actor,
                            created_ms=int(job.created_at.timestamp() * 1000), writers=self.writers,
                            triggers=self.triggers)
        importer.map_header(list(job.header))
        started = time.monotonic()
        job.update(actions=[ImportJobModel.status.set("running"), ImportJobModel.updated_at.set(clock.now())])
        try:
            with open_text(source_from(job.source), str(job.encoding)) as text:
                records = iter_records(text, skip_until=int(job.last_line))
                # One chunk in flight: the next chunk is read and validated (the generator) while this one's
                # writes run on the writer pool; it is submitted only after this one is written and committed.
                pending: tuple[PendingChunk, list[CellError], int, int] | None = None
                for plans, errors, rows, last in importer.chunks(records, self.chunk_size):
                    if pending is not None:
                        self._finish(job, importer, *pending)
                        pending = None
                        if seconds is not None and time.monotonic() - started > seconds:
                            job.update(actions=[ImportJobModel.status.set("paused"),
                                                ImportJobModel.updated_at.set(clock.now())])
                            return job
                    pending = (importer.submit(plans), errors, rows, last)
                if pending is not None:
                    self._finish(job, importer, *pending)
        except HaishinError as exc:
            job.update(actions=[ImportJobModel.status.set("failed"), ImportJobModel.message.set(exc.message)])
            raise
        finally:
            importer.close()
        menu_jobs = self._relink_menus(job)
        now = clock.now()
        actions: list[Any] = [ImportJobModel.status.set("completed"), ImportJobModel.updated_at.set(now),
                              ImportJobModel.finished_at.set(now)]
        if menu_jobs:
            actions.append(ImportJobModel.rich_menu_jobs.set(menu_jobs))
        job.update(actions=actions)
        return job

    def _relink_menus(self, job: ImportJobModel) -> dict[str, str]:
        """After the whole file: one bulk re-link job per channel whose followers' rows changed what its rules read
        (not one LINE call per friend: the job links in 500s). Never fails the import (logged; saving the rules
        again re-links)."""
        if self.menus is None or not job.menu_marks:
            return {}
        kinds: dict[str, set[str]] = {}
        for mark in sorted(job.menu_marks):
            channel, _, kind = mark.partition("|")
            kinds.setdefault(channel, set()).add(kind)
        try:
            return self.menus.relink_channels(job.workspace_id, kinds)
        except Exception:
            log.exception("rich menu re-link after import %s not started", job.job_id)
            return {}

    def _finish(self, job: ImportJobModel, importer: Importer, pending: PendingChunk, errors: list[CellError],
                rows: int, last: int) -> None:
        outcome = pending.result()
        self._fire(job, outcome.new_friends)
        self._commit(job, outcome, errors + outcome.errors, rows, last, importer.take_menu_marks())

    def _fire(self, job: ImportJobModel, new_friends: list[str]) -> None:
        """The ``csv`` trigger for every friend the chunk created, before its progress is committed: a chunk
        replayed after an interruption fires again, and the engine enrolls once per import and friend."""
        for subscriber_id in new_friends:
            self.triggers.on_trigger(job.workspace_id, subscriber_id, CSV_IMPORTED, {"import_id": job.job_id},
                                     idempotency_key=f"import:{job.job_id}:{subscriber_id}")

    def _commit(self, job: ImportJobModel, outcome: ChunkResult, errors: list[CellError], rows: int,
                last: int, menu_marks: set[str] | None = None) -> None:
        error_lines = {e.line for e in errors}
        stored = int(job.errors)
        if errors and stored < MAX_STORED_ERRORS:
            pk = job.pk
            counts: dict[int, int] = {}
            with ImportErrorModel.batch_write() as batch:
                for error in errors[: MAX_STORED_ERRORS - stored]:
                    n = counts[error.line] = counts.get(error.line, 0) + 1
                    batch.save(ImportErrorModel(pk=pk, sk=f"{job.sk}#err#{error.line:09d}#{n:03d}",
                                                line=error.line, column=error.column, reason=error.reason))
        actions: list[Any] = [
            ImportJobModel.processed.add(rows), ImportJobModel.created.add(outcome.created),
            ImportJobModel.updated.add(outcome.updated), ImportJobModel.skipped.add(outcome.skipped),
            ImportJobModel.errors.add(len(error_lines)), ImportJobModel.last_line.set(last),
            ImportJobModel.updated_at.set(clock.now()),
        ]
        if menu_marks:  # with the chunk's progress: a resumed import still knows which channels to re-link
            actions.append(ImportJobModel.menu_marks.add(menu_marks))
        job.update(actions=actions)


def import_rows(service: ImportService, workspace_id: str, data: bytes, options: ImportOptions, *,
                actor: str = "system", filename: str = "upload.csv") -> dict[str, Any]:
    """Upload bytes and run the whole import at once (tests, CLI); returns the job as a dict."""
    job = service.upload(workspace_id, filename, data, actor=actor, options=options)
    return job_to_dict(service.run(workspace_id, job.job_id))

