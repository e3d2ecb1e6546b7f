"""Who a broadcast reaches, built on THE segment engine (``haishin.segments``): per-shard matches, the address each
matching friend is sent to, and uploaded ID lists with a per-line report.

Addresses (``address_for``) follow the broadcast's channel:
- ``line``: the friend's LINE account on the broadcast's channel (or their first account); blocked -> skipped_blocked.
- ``email`` / ``sms``: the email / phone on the row.
- ``line_email``: LINE when the friend has a LINE account that is not blocked, else email (friends without LINE).
Unsubscribed (全配信停止, or that channel) -> skipped_unsubscribed; nothing to send to -> skipped_no_address.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from haishin.errors import ValidationFailed
from haishin.segments import model as segment_model
from haishin.segments.engine import CompiledSegment, SegmentEngine
from haishin.segments.lists import ListRepository, normalise_value
from haishin.subscribers.models import AliasModel, alias_pk
from haishin.subscribers.repository import line_alias_kind
from haishin.workspaces.models import ChannelModel, workspace_pk

Row = dict[str, Any]

# What the planner projects besides what the segment needs: addresses, opt-outs, and template variables.
ADDRESS_ATTRIBUTES = ("line", "email", "phone", "unsubscribed", "unsubscribed_all")
VARIABLE_ATTRIBUTES = ("display_name", "fields", "tags")

LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def address_for(row: Row, channel: str, line_channel_id: str | None) -> tuple[str, str | None, str]:
    """(send channel, address, status): status ``ok`` or the skip reason."""
    if row.get("unsubscribed_all"):
        return channel, None, "skipped_unsubscribed"
    unsubscribed = row.get("unsubscribed") or {}
    if channel in ("line", "line_email"):
        accounts = row.get("line") or {}
        account = accounts.get(line_channel_id) if line_channel_id else next(iter(accounts.values()), None)
        if account and account.get("user_id"):
            if account.get("status") == "blocked":
                return "line", None, "skipped_blocked"
            if unsubscribed.get("line"):
                return "line", None, "skipped_unsubscribed"
            return "line", str(account["user_id"]), "ok"
        if channel == "line":
            return "line", None, "skipped_no_address"
        channel = "email"
    if channel == "email":
        if not row.get("email"):
            return "email", None, "skipped_no_address"
        if unsubscribed.get("email"):
            return "email", None, "skipped_unsubscribed"
        return "email", str(row["email"]), "ok"
    if channel == "sms":
        if not row.get("phone"):
            return "sms", None, "skipped_no_address"
        if unsubscribed.get("sms"):
            return "sms", None, "skipped_unsubscribed"
        return "sms", str(row["phone"]), "ok"
    return channel, None, "skipped_no_address"


class RowView:
    """A decoded subscriber row seen through the attributes ``render.variables_for`` reads."""

    __slots__ = ("_row",)

    def __init__(self, row: Row) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return self._row.get(name)


class Audience:
    def __init__(self, engine: SegmentEngine | None = None) -> None:
        self.engine = engine or SegmentEngine()

    def compile(self, workspace_id: str, segment: Any, *, now: Any = None) -> CompiledSegment:
        parsed = segment if isinstance(segment, segment_model.Group) else segment_model.parse_segment(segment)
        return self.engine.compile(workspace_id, parsed, now=now)

    def shard_rows(self, compiled: CompiledSegment, shard: int, *, personalised: bool) -> Iterator[Row]:
        extra = ADDRESS_ATTRIBUTES + (VARIABLE_ATTRIBUTES if personalised else ())
        return self.engine.iter_shard_matches(compiled, shard, extra)

    def count(self, workspace_id: str, segment: Any) -> int:
        parsed = segment if isinstance(segment, segment_model.Group) else segment_model.parse_segment(segment)
        return self.engine.count(workspace_id, parsed)

    def reachable(self, workspace_id: str, segment: Any, channel: str, line_channel_id: str | None, *,
                  capped: Callable[[list[str]], set[str]] | None = None) -> tuple[dict[str, int], int]:
        """(matches by outcome ({"matched": n, "ok": n, "skipped_blocked": n, ...}), how many of the ``ok`` ones go
        out on LINE) over all shards in parallel: the estimate, and what counts against the LINE quota (for
        ``line_email``, the friends reached by email do not). ``capped``: given friends with an address, those
        already at the daily frequency cap (counted ``skipped_daily_cap``, 100 friends per call)."""
        compiled = self.compile(workspace_id, segment)

        def shard_counts(shard: int) -> tuple[dict[str, int], int]:
            counts: dict[str, int] = {}
            on_line = 0
            waiting: list[tuple[str, str]] = []

            def settle(entries: list[tuple[str, str]]) -> None:
                nonlocal on_line
                full = capped([sid for sid, _ in entries]) if capped and entries else set()
                for sid, sent_on in entries:
                    status = "skipped_daily_cap" if sid in full else "ok"
                    counts[status] = counts.get(status, 0) + 1
                    if status == "ok" and sent_on == "line":
                        on_line += 1

            for row in self.shard_rows(compiled, shard, personalised=False):
                sent_on, _, status = address_for(row, channel, line_channel_id)
                if status != "ok":
                    counts[status] = counts.get(status, 0) + 1
                    continue
                waiting.append((str(row["subscriber_id"]), sent_on))
                if len(waiting) >= 100 or capped is None:
                    settle(waiting)
                    waiting = []
            settle(waiting)
            return counts, on_line

        total: dict[str, int] = {"matched": 0, "ok": 0}
        line_ok = 0
        for counts, on_line in self.engine._parallel(shard_counts):
            line_ok += on_line
            for key, value in counts.items():
                total[key] = total.get(key, 0) + value
                total["matched"] += value
        return total, line_ok


# ---------------------------------------------------------------------------------------------- uploaded ID lists
@dataclass
class ListReport:
    kind: str
    total_lines: int = 0
    known: list[str] = field(default_factory=list)  # normalised values that belong to a friend
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"line", "value", "problem"}
    list_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for problem in self.problems:
            counts[problem["problem"]] = counts.get(problem["problem"], 0) + 1
        return {"kind": self.kind, "list_id": self.list_id, "lines": self.total_lines, "known": len(self.known),
                "problems": self.problems, "problem_counts": counts}


def _values_from_text(text: str) -> Iterator[tuple[int, str]]:
    """(line number, first cell) for each non-empty line of pasted text or CSV (header lines are reported)."""
    text = text.lstrip("\ufeff")
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = next((c for c in cells if c.strip()), "")
        if value.strip():
            yield number, value


def check_list(workspace_id: str, kind: str, text: str, *, line_channel_id: str | None = None,
               known_alias: Any = None) -> ListReport:
    """Parse pasted text / CSV of LINE user IDs or emails, one per line; report bad lines, duplicates (naming the
    line they repeat in ``same_as``) and values no friend has, each with a Japanese ``message`` for the marketer.
    ``known`` keeps the first occurrence of each known value."""
    if kind not in ("line_user_id", "email"):
        raise ValueError("kind is line_user_id or email")
    report = ListReport(kind=kind)
    seen: dict[str, int] = {}
    candidates: list[tuple[int, str]] = []
    for number, raw in _values_from_text(text):
        report.total_lines = number
        value = normalise_value(kind, unicodedata.normalize("NFKC", raw))
        valid = LINE_USER_ID.match(value) if kind == "line_user_id" else EMAIL.match(value)
        if not valid:
            problem = ("LINEユーザーIDの形式ではありません(U + 英数字32桁)" if kind == "line_user_id"
                       else "メールアドレスの形式ではありません")
            report.problems.append({"line": number, "value": raw.strip()[:200], "problem": "bad_line",
                                    "message": problem})
            continue
        if value in seen:
            report.problems.append({"line": number, "value": value, "problem": "duplicate", "same_as": seen[value],
                                    "message": f"{seen[value]}行目と重複しています"})
            continue
        seen[value] = number
        candidates.append((number, value))
    lookup = known_alias or _known_aliases
    alias_kinds = [line_alias_kind(line_channel_id)] if kind == "line_user_id" and line_channel_id else None
    found = lookup(workspace_id, kind, [v for _, v in candidates], alias_kinds)
    for number, value in candidates:
        if value in found:
            report.known.append(value)
        else:
            report.problems.append({"line": number, "value": value, "problem": "unknown",
                                    "message": "このLINEユーザーIDの友だちはいません" if kind == "line_user_id"
                                    else "このメールアドレスの友だちはいません"})
    report.problems.sort(key=lambda p: p["line"])
    return report


def _known_aliases(workspace_id: str, kind: str, values: list[str], alias_kinds: list[str] | None) -> set[str]:
    """Values that an alias item maps to a friend (BatchGetItem, 100 keys per call)."""
    if kind == "email":
        kinds = ["email"]
    elif alias_kinds:
        kinds = alias_kinds
    else:

        channels = [c.channel_id for c in ChannelModel.by_workspace.query(workspace_pk(workspace_id))]
        kinds = [line_alias_kind(c) for c in channels]
    found: set[str] = set()
    value_of = {alias_pk(workspace_id, k, v): v for v in values for k in kinds}
    keys = [(pk, "alias") for pk in value_of]
    for start in range(0, len(keys), 100):
        for item in AliasModel.batch_get(keys[start : start + 100]):
            found.add(value_of[item.pk])
    return found


def save_list(workspace_id: str, name: str, report: ListReport, lists: ListRepository | None = None) -> str:
    """Store the known values as THE segment list (``haishin.segments.lists``) and return its ID."""
    if not report.known:

        raise ValidationFailed("リストに登録済みの友だちが1人もいません。IDを確認してください。", where="text")
    kind: Any = report.kind
    header = (lists or ListRepository()).create(workspace_id, name, kind, report.known)
    report.list_id = header.list_id
    return str(header.list_id)
