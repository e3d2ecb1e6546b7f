"""クロス分析: the workspace's friends counted by two dimensions (rows x columns), as a table and as CSV.

Dimensions (``Dimension.kind``): ``tag`` (each tag a value, or the tags of one folder), ``field`` (a custom field's
value: choices in their order, numbers in even buckets, dates by JST month, yes/no, free text by value with the
most frequent ``MAX_TEXT_VALUES`` kept and the rest in その他), ``route`` (流入経路, the name the friend came by),
``month`` (month added, JST), ``scenario`` (the friend's place in one scenario: the step it waits for, 完了, 停止,
未登録) and ``purchase`` (購入あり / なし, or each product bought).

How it reads (docs/production/cross.md): one pass over the workspace's friends, the 16 shards of the subscriber
table in parallel with a projection of only what the two dimensions (and the segment) read, through the segment
engine (so the optional segment filter is exactly the segment's own evaluation). A scenario dimension adds one
BatchGetItem per 100 friends. Each friend is reduced to its two tuples of raw values and counted in a ``Counter``
of those pairs (many friends share a pair), so memory grows with the number of distinct pairs, not of friends.
Buckets that depend on the data (number ranges, the text values kept) are decided after the pass.

Totals count friends, not cells: a friend with two tags appears in two rows, once in its column's total and once
in the grand total. A friend with no value for a dimension is counted in that dimension's なし value (タグなし,
未入力, 流入経路なし, 購入なし, 未登録), so the grand total is every friend counted.

Blocked friends (ブロック / 友だち解除 on every LINE account they have) are left out unless ``include_blocked``.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from haishin import clock
from haishin.csvio.cells import encode_csv, neutralise_row
from haishin.errors import NotFound, ValidationFailed
from haishin.fields.models import FieldType
from haishin.fields.repository import FieldRepository
from haishin.jpdates import DEFAULT_TZ
from haishin.payments.repository import PaymentRepository
from haishin.routes.repository import RouteRepository
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.scenarios.repository import ScenarioRepository
from haishin.segments.engine import CompiledSegment, SegmentEngine
from haishin.segments.model import EVERYONE
from haishin.segments.saved import SavedSegmentRepository
from haishin.storage.shards import SHARDS
from haishin.subscribers.models import follow_status
from haishin.tags.repository import TagRepository

Row = dict[str, Any]
Kind = Literal["tag", "field", "route", "month", "scenario", "purchase"]

MAX_TEXT_VALUES = 20  # free text and routes: the most frequent values kept, the rest in その他
MAX_NUMBER_BUCKETS = 10
MAX_FILLED_MONTHS = 120  # months between the first and the last are listed (empty ones too) up to ten years
ENROLLMENT_BATCH = 100

NONE_KEY = "\u0000none"
OTHER_KEY = "\u0000other"


class Dimension(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Kind
    folder_id: str | None = Field(default=None, max_length=100)  # tag: only the tags of this folder
    field_key: str | None = Field(default=None, max_length=64)  # field: which field
    scenario_id: str | None = Field(default=None, max_length=100)  # scenario: which scenario
    by_product: bool = False  # purchase: each product instead of 購入あり / なし

    def identity(self) -> tuple[Any, ...]:
        return (self.kind, self.folder_id if self.kind == "tag" else None,
                self.field_key if self.kind == "field" else None,
                self.scenario_id if self.kind == "scenario" else None)


class CrossQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    rows: Dimension
    columns: Dimension
    segment_id: str | None = Field(default=None, max_length=100)
    include_blocked: bool = False


@dataclass
class Value:
    key: str
    label: str


@dataclass
class Axis:
    """One dimension, resolved for a workspace: what to project, how to read a row, and its values."""

    title: str
    attributes: set[str]
    read: Callable[[Row, Mapping[str, tuple[str, int]]], tuple[Any, ...]]
    scenario_id: str | None = None
    # the values known before reading (tags, choices, steps...), in their order; others found are appended
    known: list[Value] = field(default_factory=list)
    none_label: str = "なし"
    # "fixed": only known values (+ none); "open": values found, capped; "number"/"month": bucketed after the pass
    mode: Literal["fixed", "open", "number", "month"] = "fixed"
    order: Literal["known", "count"] = "known"
    notes: list[str] = field(default_factory=list)


@dataclass
class CrossTable:
    row_title: str
    column_title: str
    rows: list[Value]
    columns: list[Value]
    cells: list[list[int]]
    row_totals: list[int]
    column_totals: list[int]
    total: int
    friends_read: int
    elapsed_ms: int
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": {"title": self.row_title, "values": [{"key": v.key, "label": v.label} for v in self.rows]},
            "columns": {"title": self.column_title,
                        "values": [{"key": v.key, "label": v.label} for v in self.columns]},
            "cells": self.cells, "row_totals": self.row_totals, "column_totals": self.column_totals,
            "total": self.total, "friends_read": self.friends_read, "elapsed_ms": self.elapsed_ms,
            "notes": self.notes,
        }

    def to_csv(self, encoding: Literal["utf-8-sig", "cp932"] = "utf-8-sig") -> bytes:
        """The table as the spreadsheet a marketer opens in Excel: row values down, column values across, 合計 last
        in both directions. UTF-8 with BOM or Shift_JIS (CP932, look-alikes mapped and the rest as 〓, as the
        friend export does); cells neutralised against CSV injection."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(neutralise_row([f"{self.row_title}＼{self.column_title}",
                                        *[v.label for v in self.columns], "合計"]))
        for value, counts, total in zip(self.rows, self.cells, self.row_totals, strict=True):
            writer.writerow(neutralise_row([value.label, *map(str, counts), str(total)]))
        writer.writerow(["合計", *map(str, self.column_totals), str(self.total)])
        return encode_csv(buffer.getvalue(), encoding)


class CrossAnalysis:
    def __init__(self, *, engine: SegmentEngine, tags: TagRepository, fields: FieldRepository,
                 scenarios: ScenarioRepository, enrollments: EnrollmentRepository,
                 saved_segments: SavedSegmentRepository, payments: PaymentRepository, routes: RouteRepository,
                 tz: str = DEFAULT_TZ) -> None:
        self.engine = engine
        self.tags = tags
        self.fields = fields
        self.scenarios = scenarios
        self.enrollments = enrollments
        self.saved_segments = saved_segments
        self.payments = payments
        self.routes = routes
        self.zone = ZoneInfo(tz)

    # ------------------------------------------------------------------ run
    def run(self, workspace_id: str, query: CrossQuery) -> CrossTable:
        started = clock.monotonic()
        if query.rows.identity() == query.columns.identity():
            raise ValidationFailed("縦軸と横軸に同じ項目は選べません。別の項目を選んでください", where="columns.kind")
        row_axis = self.axis(workspace_id, query.rows, "rows")
        column_axis = self.axis(workspace_id, query.columns, "columns")
        segment = EVERYONE
        if query.segment_id:
            try:
                segment = self.saved_segments.get(workspace_id, query.segment_id).segment
            except NotFound:
                raise NotFound("セグメントが見つかりません", where="segment_id") from None
        compiled = self.engine.compile(workspace_id, segment)
        pairs, friends = self._count(compiled, row_axis, column_axis, query.include_blocked)
        rows, row_map = _finish(row_axis, pairs, 0)
        columns, column_map = _finish(column_axis, pairs, 1)
        row_index = {v.key: i for i, v in enumerate(rows)}
        column_index = {v.key: i for i, v in enumerate(columns)}
        cells = [[0] * len(columns) for _ in rows]
        row_totals = [0] * len(rows)
        column_totals = [0] * len(columns)
        total = 0
        for (raw_rows, raw_columns), n in pairs.items():
            r_keys = {row_map(k) for k in raw_rows} if raw_rows else {NONE_KEY}
            c_keys = {column_map(k) for k in raw_columns} if raw_columns else {NONE_KEY}
            r_ids = [row_index[k] for k in r_keys]
            c_ids = [column_index[k] for k in c_keys]
            for r in r_ids:
                row_totals[r] += n
                for c in c_ids:
                    cells[r][c] += n
            for c in c_ids:
                column_totals[c] += n
            total += n
        return CrossTable(row_axis.title, column_axis.title, rows, columns, cells, row_totals, column_totals,
                          total, friends, round((clock.monotonic() - started) * 1000),
                          row_axis.notes + column_axis.notes)

    def _count(self, compiled: CompiledSegment, rows: Axis, columns: Axis, include_blocked: bool
               ) -> tuple[Counter[tuple[tuple[Any, ...], tuple[Any, ...]]], int]:
        extra = rows.attributes | columns.attributes | ({"line"} if not include_blocked else set())
        scenario_ids = {a.scenario_id for a in (rows, columns) if a.scenario_id}
        workspace_id = compiled.workspace_id

        def shard(index: int) -> tuple[Counter[tuple[tuple[Any, ...], tuple[Any, ...]]], int]:
            counter: Counter[tuple[tuple[Any, ...], tuple[Any, ...]]] = Counter()
            read = 0
            batch: list[Row] = []

            def flush() -> None:
                positions: dict[str, dict[str, tuple[str, int]]] = {
                    sid: self.enrollments.positions(workspace_id, sid, [r["subscriber_id"] for r in batch])
                    for sid in scenario_ids
                }
                for row in batch:
                    r = rows.read(row, positions.get(rows.scenario_id or "", {}))
                    c = columns.read(row, positions.get(columns.scenario_id or "", {}))
                    counter[(r, c)] += 1
                batch.clear()

            for row in self.engine.iter_shard_matches(compiled, index, extra):
                if not include_blocked and follow_status(row.get("line")) == "blocked":
                    continue
                read += 1
                batch.append(row)
                if len(batch) >= ENROLLMENT_BATCH:
                    flush()
            if batch:
                flush()
            return counter, read

        merged: Counter[tuple[tuple[Any, ...], tuple[Any, ...]]] = Counter()
        friends = 0
        with ThreadPoolExecutor(max_workers=SHARDS, thread_name_prefix="cross") as pool:
            for counter, read in pool.map(shard, range(SHARDS)):
                merged.update(counter)
                friends += read
        return merged, friends

    # ------------------------------------------------------------------ dimensions
    def axis(self, workspace_id: str, dimension: Dimension, where: str) -> Axis:
        if dimension.kind == "tag":
            return self._tag_axis(workspace_id, dimension, where)
        if dimension.kind == "field":
            return self._field_axis(workspace_id, dimension, where)
        if dimension.kind == "route":
            known = sorted({r.name for r in self.routes.all(workspace_id)})
            return Axis("流入経路", {"inflow_route"}, _text_of("inflow_route"),
                        known=[Value(name, name) for name in known], none_label="流入経路なし", mode="open",
                        order="count")
        if dimension.kind == "month":
            zone = self.zone
            return Axis("登録月", {"created_at"}, lambda row, _p: _month_of(row.get("created_at"), zone),
                        none_label="不明", mode="month")
        if dimension.kind == "scenario":
            return self._scenario_axis(workspace_id, dimension, where)
        return self._purchase_axis(workspace_id, dimension)

    def _tag_axis(self, workspace_id: str, dimension: Dimension, where: str) -> Axis:
        tags = self.tags.all(workspace_id)
        title = "タグ"
        if dimension.folder_id:
            folder = next((f for f in self.tags.folders(workspace_id) if f.folder_id == dimension.folder_id), None)
            if folder is None:
                raise NotFound("タグフォルダが見つかりません", where=f"{where}.folder_id")
            tags = [t for t in tags if t.folder_id == dimension.folder_id]
            title = f"タグ（{folder.name}）"
        positions = {f.folder_id: i for i, f in enumerate(self.tags.folders(workspace_id))}
        tags = sorted(tags, key=lambda t: (positions.get(t.folder_id or "", -1), t.name))
        wanted = frozenset(t.tag_id for t in tags)

        def read(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
            return tuple(sorted(wanted.intersection(row.get("tags") or ())))

        return Axis(title, {"tags"}, read, known=[Value(t.tag_id, t.name) for t in tags],
                    none_label="該当タグなし" if dimension.folder_id else "タグなし")

    def _field_axis(self, workspace_id: str, dimension: Dimension, where: str) -> Axis:
        if not dimension.field_key:
            raise ValidationFailed("友だち情報の項目を選んでください", where=f"{where}.field_key")
        definition = self.fields.get(workspace_id, dimension.field_key)
        if definition is None:
            raise NotFound("友だち情報の項目が見つかりません", where=f"{where}.field_key")
        key = definition.key
        title = definition.label
        if definition.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            def choices(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
                value = (row.get("fields") or {}).get(key)
                items = value if isinstance(value, list) else [value]
                return tuple(sorted({str(v) for v in items if v not in (None, "")}))

            return Axis(title, {"fields"}, choices, known=[Value(c, c) for c in definition.choices],
                        none_label="未入力", mode="open", order="known")
        if definition.type is FieldType.BOOLEAN:
            def boolean(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
                value = (row.get("fields") or {}).get(key)
                return () if value is None or value == "" else ("yes" if _truthy(value) else "no",)

            return Axis(title, {"fields"}, boolean, known=[Value("yes", "はい"), Value("no", "いいえ")],
                        none_label="未入力")
        if definition.type is FieldType.NUMBER:
            def number(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
                value = _number((row.get("fields") or {}).get(key))
                return () if value is None else (value,)

            return Axis(title, {"fields"}, number, none_label="未入力", mode="number")
        if definition.type in (FieldType.DATE, FieldType.DATETIME):
            zone = self.zone
            date_only = definition.type is FieldType.DATE

            def month(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
                value = (row.get("fields") or {}).get(key)
                if date_only and isinstance(value, str) and len(value) >= 7 and value[4] == "-":
                    return (value[:7],)
                return _month_of(value, zone)

            return Axis(title, {"fields"}, month, none_label="未入力", mode="month")

        def text(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
            value = (row.get("fields") or {}).get(key)
            cleaned = unicodedata.normalize("NFKC", str(value)).strip() if value not in (None, "") else ""
            return (cleaned,) if cleaned else ()

        return Axis(title, {"fields"}, text, none_label="未入力", mode="open", order="count")

    def _scenario_axis(self, workspace_id: str, dimension: Dimension, where: str) -> Axis:
        if not dimension.scenario_id:
            raise ValidationFailed("シナリオを選んでください", where=f"{where}.scenario_id")
        scenario = self.scenarios.get_head(workspace_id, dimension.scenario_id)
        if scenario is None:
            raise NotFound("シナリオが見つかりません", where=f"{where}.scenario_id")
        known = [Value(f"step:{i}", f"{i + 1}. {step.name or step.id}") for i, step in enumerate(scenario.steps)]
        known += [Value("completed", "完了"), Value("stopped", "停止")]
        steps = len(scenario.steps)
        scenario_id = scenario.id

        def read(row: Row, positions: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
            found = positions.get(row["subscriber_id"])
            if found is None:
                return ()
            status, index = found
            if status == "active":
                # an enrollment on an older version may wait at a step the current version no longer has
                return (f"step:{min(index, steps - 1)}",)
            return ("completed",) if status == "completed" else ("stopped",)

        axis = Axis(f"シナリオ（{scenario.name}）", set(), read, scenario_id=scenario_id, known=known,
                    none_label="未登録")
        axis.notes.append(f"シナリオ「{scenario.name}」の番号は、友だちが次に受け取るステップです")
        return axis

    def _purchase_axis(self, workspace_id: str, dimension: Dimension) -> Axis:
        if dimension.by_product:
            products = [(p.product_id, str((p.definition or {}).get("name") or p.product_id))
                        for p in self.payments.products(workspace_id)]
            products.sort(key=lambda p: p[1])
            known_ids = frozenset(p for p, _ in products)

            def bought(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
                return tuple(sorted(set(row.get("products") or ()) & known_ids))

            return Axis("購入商品", {"products"}, bought, known=[Value(p, n) for p, n in products],
                        none_label="購入なし")

        def purchased(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
            spent = _number(row.get("total_spent")) or 0
            return ("yes",) if row.get("products") or spent > 0 else ()

        return Axis("購入", {"products", "total_spent"}, purchased, known=[Value("yes", "購入あり")],
                    none_label="購入なし")


# ---------------------------------------------------------------------- values and buckets
def _text_of(attribute: str) -> Callable[[Row, Mapping[str, tuple[str, int]]], tuple[Any, ...]]:
    def read(row: Row, _p: Mapping[str, tuple[str, int]]) -> tuple[Any, ...]:
        value = row.get(attribute)
        return (str(value),) if value not in (None, "") else ()
    return read


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "はい", "on")
    return bool(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _month_of(value: Any, zone: ZoneInfo) -> tuple[Any, ...]:
    if not value:
        return ()
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return ()
    if not when.tzinfo:
        when = when.replace(tzinfo=UTC)
    return (when.astimezone(zone).strftime("%Y-%m"),)


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{int(year)}年{int(month)}月"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _nice_width(span: float) -> float:
    if span <= 0:
        return 1.0
    raw = span / MAX_NUMBER_BUCKETS
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * power >= raw:
            return float(step * power)
    return float(10 * power)  # pragma: no cover


def _fmt(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else f"{number:,.10g}"


def _finish(axis: Axis, pairs: Counter[tuple[tuple[Any, ...], tuple[Any, ...]]],
            side: int) -> tuple[list[Value], Callable[[Any], str]]:
    """The axis's values in display order (the なし value last) and the map from a raw value to its value key."""
    seen: Counter[Any] = Counter()
    for pair, n in pairs.items():
        for raw in set(pair[side]):
            seen[raw] += n
    none = Value(NONE_KEY, axis.none_label)
    if axis.mode == "fixed":
        return [*axis.known, none], str
    if axis.mode == "month":
        keys = sorted(str(k) for k in seen)
        if keys and len(_months_between(keys[0], keys[-1])) <= MAX_FILLED_MONTHS:
            keys = _months_between(keys[0], keys[-1])
        return [*(Value(k, _month_label(k)) for k in keys), none], str
    if axis.mode == "number":
        return _number_buckets(axis, [float(k) for k in seen], none)
    # open: the known values first (in their order), then the values found, most frequent first, capped
    known_keys = [v.key for v in axis.known]
    extra = [k for k, _ in sorted(seen.items(), key=lambda kv: (-kv[1], str(kv[0]))) if k not in set(known_keys)]
    if axis.order == "count":
        ranked = sorted(set(known_keys) | set(extra), key=lambda k: (-seen.get(k, 0), str(k)))
        keep = ranked[:MAX_TEXT_VALUES]
        values = [Value(str(k), str(k)) for k in keep]
    else:
        keep = known_keys + extra[:max(0, MAX_TEXT_VALUES - len(known_keys))]
        values = [*axis.known, *(Value(str(k), str(k)) for k in keep[len(known_keys):])]
    kept = set(keep)
    others = len(set(seen) - kept)
    if others:
        values.append(Value(OTHER_KEY, "その他"))
        axis.notes.append(f"{axis.title}: 値が多いため、上位 {len(keep)} 件以外の {others} 件を"
                          "「その他」にまとめました")
    return [*values, none], (lambda k: str(k) if k in kept else OTHER_KEY)


def _number_buckets(axis: Axis, numbers: list[float], none: Value) -> tuple[list[Value], Callable[[Any], str]]:
    if not numbers:
        return [none], str
    low, high = min(numbers), max(numbers)
    integers = all(n.is_integer() for n in numbers)
    width = _nice_width(high - low)
    if integers:
        width = max(1.0, math.ceil(width))
    start = math.floor(low / width) * width
    count = int((high - start) // width) + 1
    values = []
    for i in range(count):
        lo, hi = start + i * width, start + (i + 1) * width
        if integers and width == 1:
            label = _fmt(lo)
        elif integers:
            label = f"{_fmt(lo)}〜{_fmt(hi - 1)}"
        else:
            label = f"{_fmt(lo)}以上{_fmt(hi)}未満"
        values.append(Value(f"n:{i}", label))

    def bucket(raw: Any) -> str:
        index = min(count - 1, int((float(raw) - start) // width))
        return f"n:{index}"

    return [*values, none], bucket
