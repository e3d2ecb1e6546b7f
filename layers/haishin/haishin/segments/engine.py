"""Evaluating segments: compile once to a Python predicate, scan the 16 shards in parallel, count or page.

``SegmentEngine.count`` and ``search`` read each shard with a projection of only the attributes the segment (and,
for search, the listing and the sort) needs, evaluate rows in Python and merge the shards' results: a count is a
sum, a page is the merge of each shard's top ``limit`` rows after the cursor. ``count() == search().total`` by
construction (same scan, same predicate).

Scenario conditions read EnrollmentsTable (pk ``enr#<ws>#<subscriber>`` sk ``<scenario_id>``, attribute ``status``
active | completed | stopped, as the scenario engine writes them) with BatchGetItem, 100 keys per call, for each
page of rows, only when the segment has a scenario condition.

The broadcast planner reuses ``compile`` and ``iter_shard_matches`` (one shard per slice).
"""

from __future__ import annotations

import base64
import heapq
import json
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.config import table_name
from haishin.coupons.repository import CouponRepository
from haishin.errors import ValidationFailed
from haishin.fields.models import FieldDefinition, FieldType
from haishin.fields.repository import FieldRepository
from haishin.fields.values import coerce
from haishin.jpdates import DEFAULT_TZ, DateParseError, parse_jp_datetime
from haishin.segments import model as m
from haishin.segments.lists import ListRepository
from haishin.storage.shard_scan import SHARDS, decode_row, dynamodb_client, iter_shard_pages, plain, projection
from haishin.subscribers.models import follow_status, subscriber_pk
from haishin.tags.repository import TagRepository

Row = dict[str, Any]
Predicate = Callable[[Row, "EvalContext"], bool]

LISTING_ATTRIBUTES = (
    "display_name", "picture_url", "tags", "line", "email", "phone", "created_at", "updated_at",
    "last_interaction_at", "inflow_route", "unsubscribed_all", "total_spent",
)
SORTS = {
    "created_at": "created_at", "updated_at": "updated_at", "last_interaction_at": "last_interaction_at",
    "display_name": "display_name", "total_spent": "total_spent",
}


@dataclass
class EvalContext:
    now: datetime
    lists: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    enrollments: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class CompiledSegment:
    workspace_id: str
    predicate: Predicate
    attributes: set[str]
    scenario_ids: set[str]
    context: EvalContext
    # A FilterExpression DynamoDB evaluates before answering (``Prefilter``): implied by the predicate, never
    # instead of it, so it only makes pages smaller.
    prefilter: Prefilter | None = None

    def matches(self, row: Row, context: EvalContext | None = None) -> bool:
        if row.get("merged_into"):
            return False
        return self.predicate(row, context or self.context)


@dataclass(frozen=True)
class Prefilter:
    expression: str
    names: dict[str, str]
    values: dict[str, Any]


MAX_PREFILTER_TAGS = 20


def tags_prefilter(conditions: list[tuple[str, frozenset[str]]]) -> Prefilter | None:
    """The root group's tag conditions (match, resolved tag IDs) as a FilterExpression on the ``tags`` string set.

    ``contains`` on a string set is exact membership and an absent set contains nothing, so each term is exactly
    its condition; AND-ed at the root they are implied by the segment."""
    if not conditions or sum(len(tags) for _, tags in conditions) > MAX_PREFILTER_TAGS:
        return None
    values: dict[str, Any] = {}
    terms: list[str] = []
    for match, tags in conditions:
        parts = []
        for tag in sorted(tags):
            placeholder = f":ft{len(values)}"
            values[placeholder] = {"S": tag}
            parts.append(f"contains(#ftags, {placeholder})")
        joined = " AND ".join(parts) if match == "all" else " OR ".join(parts)
        terms.append(f"NOT ({joined})" if match == "none" else f"({joined})")
    return Prefilter(" AND ".join(terms), {"#ftags": "tags"}, values)


_POOL_PREFIX = "segment-shard"
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _shard_pool() -> ThreadPoolExecutor:
    """One pool for every count and search in the process (starting 16 threads per call costs more than it should
    on a busy machine: each start waits for the GIL)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=SHARDS, thread_name_prefix=_POOL_PREFIX)
        return _pool


@dataclass
class SearchPage:
    items: list[Row]
    total: int
    next_cursor: str | None


def _nfkc(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text)).casefold()


def _to_utc(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class SegmentEngine:
    def __init__(
        self,
        *,
        fields: FieldRepository | None = None,
        tags: TagRepository | None = None,
        lists: ListRepository | None = None,
        coupons: CouponRepository | None = None,
        max_workers: int = SHARDS,
        tz: str = DEFAULT_TZ,
    ) -> None:
        self.fields = fields or FieldRepository()
        self.tags = tags or TagRepository()
        self.lists = lists or ListRepository()
        self.coupons = coupons or CouponRepository()
        self.max_workers = max_workers
        self.tz = tz

    # ------------------------------------------------------------------ compile
    def compile(self, workspace_id: str, segment: m.Group, *, now: datetime | None = None,
                definitions: Mapping[str, FieldDefinition] | None = None) -> CompiledSegment:
        now = now or clock.now()
        if definitions is None and any(isinstance(c, m.FieldCondition) and not c.field.startswith("$")
                                       for c in m.walk(segment)):
            definitions = self.fields.by_key(workspace_id)
        definitions = definitions or {}
        attributes: set[str] = set()
        scenario_ids: set[str] = set()
        context = EvalContext(now=now)
        needs_tags = any(isinstance(c, m.TagsCondition) for c in m.walk(segment))
        known_tags = self.tags.all(workspace_id) if needs_tags else []
        compiler = _Compiler(self, workspace_id, definitions, known_tags, attributes, scenario_ids, context)
        predicate = compiler.group(segment, "conditions")
        prefilter = None
        if segment.match == "all" or len(segment.conditions) == 1:
            prefilter = tags_prefilter([compiler.resolved_tags[id(c)] for c in segment.conditions
                                        if isinstance(c, m.TagsCondition)])
        return CompiledSegment(workspace_id, predicate, attributes, scenario_ids, context, prefilter)

    # ------------------------------------------------------------------ scan
    def _shard_rows(self, compiled: CompiledSegment, shard: int, extra: Iterable[str] = ()) -> Iterator[Row]:
        attributes = compiled.attributes | set(extra)
        prefilter = compiled.prefilter
        filter_ = (prefilter.expression, prefilter.names, prefilter.values) if prefilter else None
        for page in iter_shard_pages(compiled.workspace_id, shard, attributes, filter_expression=filter_):
            context = compiled.context
            if compiled.scenario_ids and page:
                context = EvalContext(now=context.now, lists=context.lists,
                                      enrollments=self._enrollments(compiled, page))
            for row in page:
                if compiled.matches(row, context):
                    yield row

    def iter_shard_matches(self, compiled: CompiledSegment, shard: int, extra: Iterable[str] = ()) -> Iterator[Row]:
        """Matching rows of one shard (the broadcast planner's slice), with ``extra`` attributes projected."""
        return self._shard_rows(compiled, shard, extra)

    def iter_matches(self, compiled: CompiledSegment, extra: Iterable[str] = ()) -> Iterator[Row]:
        """Every matching row, shard after shard (exports: memory stays flat)."""
        for shard in range(SHARDS):
            yield from self._shard_rows(compiled, shard, extra)

    def _enrollments(self, compiled: CompiledSegment, page: list[Row]) -> dict[tuple[str, str], str]:
        client = dynamodb_client()
        table = table_name("ENROLLMENTS_TABLE")
        keys = [
            {"pk": {"S": f"enr#{compiled.workspace_id}#{row['subscriber_id']}"}, "sk": {"S": scenario_id}}
            for row in page for scenario_id in compiled.scenario_ids
        ]
        out: dict[tuple[str, str], str] = {}
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {table: {"Keys": keys[start : start + 100],
                                               "ProjectionExpression": "pk, sk, #s",
                                               "ExpressionAttributeNames": {"#s": "status"}}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    subscriber_id = plain(item["pk"]).rsplit("#", 1)[1]
                    out[(subscriber_id, plain(item["sk"]))] = str(plain(item.get("status", {"S": ""})))
                request = response.get("UnprocessedKeys") or {}
        return out

    def _parallel(self, work: Callable[[int], Any]) -> list[Any]:
        if threading.current_thread().name.startswith(_POOL_PREFIX):
            return [work(shard) for shard in range(SHARDS)]  # called from a shard thread: never wait on the pool
        if self.max_workers != SHARDS:
            with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="segment") as pool:
                return list(pool.map(work, range(SHARDS)))
        return list(_shard_pool().map(work, range(SHARDS)))

    # ------------------------------------------------------------------ count / search
    def count(self, workspace_id: str, segment: m.Group) -> int:
        compiled = self.compile(workspace_id, segment)

        def shard_count(shard: int) -> int:
            total = 0
            for _ in self._shard_rows(compiled, shard):
                total += 1
            return total

        return sum(self._parallel(shard_count))

    def search(
        self, workspace_id: str, segment: m.Group, *, limit: int = 50, sort: str = "created_at",
        order: str = "desc", cursor: str | None = None, definitions: Mapping[str, FieldDefinition] | None = None,
    ) -> SearchPage:
        if not 1 <= limit <= 1000:
            raise ValidationFailed("limit must be between 1 and 1000", where="limit")
        if order not in ("asc", "desc"):
            raise ValidationFailed("order must be asc or desc", where="order")
        if definitions is None:
            definitions = self.fields.by_key(workspace_id)
        compiled = self.compile(workspace_id, segment, definitions=definitions)
        sort_key = self._sort_key(workspace_id, sort, definitions)
        after = _decode_cursor(cursor) if cursor else None
        descending = order == "desc"
        # Two phases: the scan projects only what the predicate and the sort read (so 100,000 rows stay small),
        # keeping each shard's best ``limit + 1`` sort keys; then the page's rows are read whole(ish) by key.
        scan_extra = {sort_key.attribute}
        listing = set(LISTING_ATTRIBUTES) | compiled.attributes | scan_extra

        def shard_work(shard: int) -> tuple[int, list[tuple[Any, str]]]:
            total = 0
            candidates: list[tuple[Any, str]] = []
            for row in self._shard_rows(compiled, shard, scan_extra):
                total += 1
                key = sort_key(row)
                if after is None or (key < after if descending else key > after):
                    candidates.append((key, row["subscriber_id"]))
            picker = heapq.nlargest if descending else heapq.nsmallest
            return total, picker(limit + 1, candidates, key=_first)

        total = 0
        merged: list[tuple[Any, str]] = []
        for shard_total, top in self._parallel(shard_work):
            total += shard_total
            merged.extend(top)
        merged.sort(key=_first, reverse=descending)
        page = merged[:limit]
        next_cursor = _encode_cursor(page[-1][0]) if len(merged) > limit else None
        rows = self._read_rows(workspace_id, [sid for _, sid in page], listing)
        return SearchPage(items=[rows[sid] for _, sid in page if sid in rows], total=total,
                          next_cursor=next_cursor)

    def _read_rows(self, workspace_id: str, subscriber_ids: list[str], attributes: Iterable[str]) -> dict[str, Row]:
        """The rows of a page by key (BatchGetItem, 100 keys a call), with ``attributes`` projected."""
        client = dynamodb_client()
        table = table_name("SUBSCRIBERS_TABLE")
        expression, names = projection(attributes)
        out: dict[str, Row] = {}
        for start in range(0, len(subscriber_ids), 100):
            keys = [{"pk": {"S": subscriber_pk(workspace_id, sid)}, "sk": {"S": sid}}
                    for sid in subscriber_ids[start : start + 100]]
            request: dict[str, Any] = {table: {"Keys": keys, "ProjectionExpression": expression,
                                               "ExpressionAttributeNames": names}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    row = decode_row(item)
                    out[row["subscriber_id"]] = row
                request = response.get("UnprocessedKeys") or {}
        return out

    def _sort_key(self, workspace_id: str, sort: str,
                  definitions: Mapping[str, FieldDefinition] | None) -> _SortKey:
        if sort in SORTS:
            numeric = sort == "total_spent"
            return _SortKey(SORTS[sort], None, numeric)
        if sort.startswith("field:"):
            key = sort.split(":", 1)[1]
            defs = definitions if definitions is not None else self.fields.by_key(workspace_id)
            if key not in defs:
                raise ValidationFailed(f"no field '{key}' to sort by", where="sort")
            return _SortKey("fields", key, defs[key].type is FieldType.NUMBER)
        raise ValidationFailed(
            f"cannot sort by '{sort}' (use {', '.join(SORTS)} or field:<key>)", where="sort"
        )


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


@dataclass(frozen=True)
class _SortKey:
    attribute: str
    field_key: str | None
    numeric: bool

    def __call__(self, row: Row) -> tuple[Any, ...]:
        value = row.get(self.attribute)
        if self.field_key is not None:
            value = (value or {}).get(self.field_key)
        if self.numeric:
            number = _num(value)
            return (0 if number is None else 1, number or 0.0, str(row["subscriber_id"]))
        present = value not in (None, "")
        return (1 if present else 0, str(value) if present else "", str(row["subscriber_id"]))


def _encode_cursor(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), ensure_ascii=False).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(value, list) or len(value) != 3:
            raise ValueError
        return tuple(value)
    except ValueError:
        raise ValidationFailed("the cursor is not one this API gave out", where="cursor") from None


# ---------------------------------------------------------------------------------------------------- compiler
class _Compiler:
    def __init__(self, engine: SegmentEngine, workspace_id: str, definitions: Mapping[str, FieldDefinition],
                 known_tags: list[Any], attributes: set[str], scenario_ids: set[str], context: EvalContext) -> None:
        self.engine = engine
        self.workspace_id = workspace_id
        self.definitions = definitions
        self.known_tags = known_tags
        self.attributes = attributes
        self.scenario_ids = scenario_ids
        self.context = context
        self.zone = ZoneInfo(engine.tz)
        self.resolved_tags: dict[int, tuple[str, frozenset[str]]] = {}  # id(TagsCondition) -> (match, tag IDs)

    def group(self, group: m.Group, where: str) -> Predicate:
        parts = [self.condition(c, f"{where}.{i}") for i, c in enumerate(group.conditions)]
        if not parts:
            return (lambda _r, _c: True) if group.match == "all" else (lambda _r, _c: False)
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            first, second = parts
            if group.match == "all":
                return lambda row, ctx: first(row, ctx) and second(row, ctx)
            return lambda row, ctx: first(row, ctx) or second(row, ctx)
        if group.match == "all":
            return lambda row, ctx: all(p(row, ctx) for p in parts)
        return lambda row, ctx: any(p(row, ctx) for p in parts)

    def condition(self, c: Any, where: str) -> Predicate:
        if isinstance(c, m.Group):
            return self.group(c, f"{where}.conditions")
        if isinstance(c, m.TagsCondition):
            self.attributes.add("tags")
            wanted = frozenset(self.engine.tags.resolve(self.workspace_id, c.tags, known=self.known_tags,
                                                        where=f"{where}.tags"))
            self.resolved_tags[id(c)] = (c.match, wanted)
            if c.match == "any":
                return lambda row, _c: not wanted.isdisjoint(row.get("tags") or ())
            if c.match == "all":
                return lambda row, _c: wanted <= set(row.get("tags") or ())
            return lambda row, _c: wanted.isdisjoint(row.get("tags") or ())
        if isinstance(c, m.FieldCondition):
            return self.field(c, where)
        if isinstance(c, m.FollowCondition):
            self.attributes.add("line")
            status, channel = c.status, c.channel_id
            return lambda row, _c: follow_status(row.get("line"), channel) == status
        if isinstance(c, m.ScenarioCondition):
            self.scenario_ids.add(c.scenario_id)
            scenario_id = c.scenario_id
            wanted_status = {"enrolled": "active", "completed": "completed", "stopped": "stopped"}.get(c.status)
            if wanted_status is None:
                return lambda row, ctx: (row["subscriber_id"], scenario_id) not in ctx.enrollments
            return lambda row, ctx: ctx.enrollments.get((row["subscriber_id"], scenario_id)) == wanted_status
        if isinstance(c, m.InflowRouteCondition):
            self.attributes.add("inflow_route")
            routes, negate = frozenset(c.routes), c.negate
            return lambda row, _c: (row.get("inflow_route") in routes) != negate
        if isinstance(c, m.FormAnsweredCondition):
            self.attributes.add("forms_answered")
            form_id, answered = c.form_id, c.answered
            return lambda row, _c: (form_id in (row.get("forms_answered") or ())) == answered
        if isinstance(c, m.PurchasedCondition):
            self.attributes.add("products")
            products = frozenset(c.products)
            if c.match == "any":
                return lambda row, _c: not products.isdisjoint(row.get("products") or ())
            if c.match == "all":
                return lambda row, _c: products <= set(row.get("products") or ())
            return lambda row, _c: products.isdisjoint(row.get("products") or ())
        if isinstance(c, m.TotalSpentCondition):
            self.attributes.add("total_spent")
            return _number_op(c.op, c.amount, lambda row: _num(row.get("total_spent")) or 0.0)
        if isinstance(c, m.LastInteractionCondition):
            return self.last_interaction(c)
        if isinstance(c, m.ListCondition):
            kind, values = self.engine.lists.load(self.workspace_id, c.list_id)
            self.context.lists[c.list_id] = (kind, values)
            include = c.mode == "include"
            if kind == "email":
                self.attributes.add("email")
                return lambda row, _c: (str(row.get("email") or "").strip().lower() in values) == include
            self.attributes.add("line")
            return lambda row, _c: any(
                (a or {}).get("user_id") in values for a in (row.get("line") or {}).values()
            ) == include
        if isinstance(c, m.CouponCondition):
            if c.coupon_id and self.engine.coupons.get(self.workspace_id, c.coupon_id) is None:
                raise ValidationFailed(f"クーポン {c.coupon_id} が見つかりません", where=f"{where}.coupon_id")
            negate = c.status == "not_received"
            holders = frozenset(self.engine.coupons.holders(
                self.workspace_id, c.coupon_id, "received" if negate else c.status, self.context.now))
            return lambda row, _c: (row["subscriber_id"] in holders) != negate
        if isinstance(c, m.UnsubscribedCondition):
            if c.channel == "all":
                self.attributes.add("unsubscribed_all")
                value = c.value
                return lambda row, _c: bool(row.get("unsubscribed_all")) == value
            self.attributes.add("unsubscribed")
            channel, value = c.channel, c.value
            return lambda row, _c: bool((row.get("unsubscribed") or {}).get(channel)) == value
        raise ValidationFailed("unknown condition", where=where)  # pragma: no cover

    def last_interaction(self, c: m.LastInteractionCondition) -> Predicate:
        self.attributes.add("last_interaction_at")
        now = self.context.now

        def when(row: Row) -> datetime | None:
            return _to_utc(row.get("last_interaction_at"))

        if c.op == "never":
            return lambda row, _c: when(row) is None
        if c.op in ("before", "after"):
            assert c.at is not None
            at = c.at.astimezone(UTC)
            if c.op == "before":
                return lambda row, _c: (w := when(row)) is not None and w < at
            return lambda row, _c: (w := when(row)) is not None and w > at
        since = now - timedelta(days=c.days or 0)
        if c.op == "within_days":
            return lambda row, _c: (w := when(row)) is not None and since <= w <= now
        return lambda row, _c: (w := when(row)) is None or w < since

    def field(self, c: m.FieldCondition, where: str) -> Predicate:
        if c.field.startswith("$"):
            if c.field not in m.BUILTIN_FIELDS:
                raise ValidationFailed(f"no built-in field '{c.field}'", where=f"{where}.field")
            attribute = c.field[1:]
            kind = FieldType(m.BUILTIN_FIELDS[c.field])
            definition = FieldDefinition(key="builtin", label=c.field, type=kind)
            self.attributes.add(attribute)

            def get(row: Row) -> Any:
                return row.get(attribute)
        else:
            found = self.definitions.get(c.field)
            if found is None:
                raise ValidationFailed(f"no field '{c.field}'", where=f"{where}.field")
            definition = found
            kind = definition.type
            self.attributes.add("fields")
            key = c.field

            def get(row: Row) -> Any:
                return (row.get("fields") or {}).get(key)

        op = c.op
        if op == "empty":
            return lambda row, _c: _empty(get(row))
        if op == "not_empty":
            return lambda row, _c: not _empty(get(row))
        allowed = _OPS[kind]
        if op not in allowed:
            raise ValidationFailed(
                f"「{definition.label}」 ({kind.value}) cannot use '{op}'; use one of {', '.join(sorted(allowed))}",
                where=f"{where}.op",
            )
        if op == "within_days":
            return self._within(kind, get, c.days or 0)
        value = self._operand(definition, c.value, f"{where}.value")
        if kind is FieldType.DATETIME:
            return self._datetime_op(op, value, get, date_only=isinstance(value, tuple))
        if kind is FieldType.NUMBER:
            return _number_op(op, float(value), lambda row: _num(get(row)))
        if kind is FieldType.MULTI_CHOICE:
            wanted = set(value)
            if op == "contains":
                return lambda row, _c: not wanted.isdisjoint(get(row) or ())
            if op == "not_contains":
                return lambda row, _c: wanted.isdisjoint(get(row) or ())
            if op == "eq":
                return lambda row, _c: set(get(row) or ()) == wanted
            return lambda row, _c: set(get(row) or ()) != wanted
        if kind is FieldType.TEXT and op in ("contains", "not_contains"):
            needle = _nfkc(value)
            positive = op == "contains"
            return lambda row, _c: (needle in _nfkc(get(row) or "")) == positive
        # text, choice, boolean, date (ISO date text sorts like the date)
        if op == "eq":
            return lambda row, _c: get(row) == value
        if op == "ne":
            return lambda row, _c: get(row) != value
        if op in ("lt", "before"):
            return lambda row, _c: (v := get(row)) not in (None, "") and str(v) < str(value)
        return lambda row, _c: (v := get(row)) not in (None, "") and str(v) > str(value)

    def _operand(self, definition: FieldDefinition, raw: Any, where: str) -> Any:
        if definition.type is FieldType.DATETIME:
            try:
                parsed = parse_jp_datetime(str(raw), tz=self.engine.tz, now=self.context.now)
            except DateParseError as exc:
                raise ValidationFailed(f"「{definition.label}」: {exc}", where=where) from None
            if not parsed.has_time:
                day = parsed.start
                return (day.astimezone(UTC), (day + timedelta(days=1)).astimezone(UTC))
            return parsed.start.astimezone(UTC)
        if definition.type is FieldType.MULTI_CHOICE and isinstance(raw, str):
            raw = [raw]
        try:
            value = coerce(definition, raw, tz=self.engine.tz, now=self.context.now).value
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, where=where) from None
        return value

    def _datetime_op(self, op: str, value: Any, get: Callable[[Row], Any], *, date_only: bool) -> Predicate:
        start, end = value if date_only else (value, value)

        def when(row: Row) -> datetime | None:
            return _to_utc(get(row))

        if op == "eq":
            if date_only:
                return lambda row, _c: (w := when(row)) is not None and start <= w < end
            return lambda row, _c: when(row) == start
        if op == "ne":
            if date_only:
                return lambda row, _c: (w := when(row)) is None or not start <= w < end
            return lambda row, _c: when(row) != start
        if op in ("lt", "before"):
            return lambda row, _c: (w := when(row)) is not None and w < start
        limit = end if date_only else start
        if date_only:
            return lambda row, _c: (w := when(row)) is not None and w >= limit
        return lambda row, _c: (w := when(row)) is not None and w > limit

    def _within(self, kind: FieldType, get: Callable[[Row], Any], days: int) -> Predicate:
        now = self.context.now
        if kind is FieldType.DATE:
            today = now.astimezone(self.zone).date()
            first = (today - timedelta(days=days)).isoformat()
            last = today.isoformat()
            return lambda row, _c: (v := get(row)) not in (None, "") and first <= str(v) <= last
        since = now - timedelta(days=days)
        return lambda row, _c: (w := _to_utc(get(row))) is not None and since <= w <= now


_ALL = {"eq", "ne"}
_ORDERED = _ALL | {"lt", "gt"}
_OPS: dict[FieldType, set[str]] = {
    FieldType.TEXT: _ORDERED | {"contains", "not_contains"},
    FieldType.NUMBER: _ORDERED,
    FieldType.DATE: _ORDERED | {"before", "after", "within_days"},
    FieldType.DATETIME: _ORDERED | {"before", "after", "within_days"},
    FieldType.CHOICE: set(_ALL),
    FieldType.MULTI_CHOICE: _ALL | {"contains", "not_contains"},
    FieldType.BOOLEAN: set(_ALL),
}


def _empty(value: Any) -> bool:
    return value is None or value in ("", []) or (isinstance(value, set) and not value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _number_op(op: str, amount: float, get: Callable[[Row], float | None]) -> Predicate:
    if op == "eq":
        return lambda row, _c: get(row) == amount
    if op == "ne":
        return lambda row, _c: get(row) != amount
    if op in ("gt",):
        return lambda row, _c: (v := get(row)) is not None and v > amount
    if op == "gte":
        return lambda row, _c: (v := get(row)) is not None and v >= amount
    if op == "lt":
        return lambda row, _c: (v := get(row)) is not None and v < amount
    return lambda row, _c: (v := get(row)) is not None and v <= amount
