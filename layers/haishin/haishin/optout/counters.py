"""Opt-outs per local day, for the dashboard (配信停止の推移).

One counter item per workspace and local day in LedgerTable: pk ``ostat#<workspace_id>#<YYYY-MM-DD>`` sk ``stats``,
ADDs ``line`` / ``email`` / ``sms`` / ``all`` (a channel or everything stopped) and ``resumed``. Written by the
one place an opt-out is recorded (``OptOutService.set``), and only when the friend's state really changed, so a
second click on the same link counts nothing. Statistics only: a failed counter write is logged, never raised
(the friend's flags, not this counter, are the record). Read by ``haishin.dashboard`` with one BatchGetItem.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin import clock
from haishin.storage.base import HaishinModel, model_meta
from haishin.workspaces.models import DEFAULT_TIME_ZONE, WorkspaceModel

RETENTION = timedelta(days=400)
KINDS = ("line", "email", "sms", "all", "resumed")
log = logging.getLogger(__name__)


class DailyOptOutStats(HaishinModel):
    Meta = model_meta("LEDGER_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="stats")
    line = NumberAttribute(default=0)
    email = NumberAttribute(default=0)
    sms = NumberAttribute(default=0)
    all = NumberAttribute(default=0)
    resumed = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


def stats_pk(workspace_id: str, day: date) -> str:
    return f"ostat#{workspace_id}#{day.isoformat()}"


def _zone(workspace_id: str) -> ZoneInfo:
    try:
        name = WorkspaceModel.get(*WorkspaceModel.key(workspace_id)).time_zone or DEFAULT_TIME_ZONE
        return ZoneInfo(name)
    except Exception:  # no record, or a bad stored zone: the default zone
        return ZoneInfo(DEFAULT_TIME_ZONE)


def count(workspace_id: str, kind: str, *, at: datetime | None = None) -> None:
    """Add one opt-out (``kind`` a channel or "all") or one ``resumed`` to its local day."""
    if kind not in KINDS:
        raise ValueError(kind)
    when = at or clock.now()
    try:
        day = when.astimezone(_zone(workspace_id)).date()
        DailyOptOutStats(stats_pk(workspace_id, day), "stats").update(actions=[
            getattr(DailyOptOutStats, kind).add(1),
            DailyOptOutStats.expires_at.set(int((when + RETENTION).timestamp()))])
    except Exception:
        log.warning("opt-out counter not updated", exc_info=True)


def series(workspace_id: str, days: list[date]) -> list[dict[str, int | str]]:
    """``[{"date", "line", "email", "sms", "all", "stopped", "resumed"}]`` for ``days`` (missing days are zeros);
    ``stopped`` is the day's opt-outs of any kind."""
    found = {item.pk: item for item in DailyOptOutStats.batch_get([(stats_pk(workspace_id, d), "stats")
                                                                   for d in days])}
    out: list[dict[str, int | str]] = []
    for d in days:
        item = found.get(stats_pk(workspace_id, d))
        values = {kind: int(getattr(item, kind) or 0) if item else 0 for kind in KINDS}
        stopped = sum(values[k] for k in ("line", "email", "sms", "all"))
        out.append({"date": d.isoformat(), **values, "stopped": stopped})
    return out
