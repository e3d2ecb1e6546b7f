"""The dashboard's per-day delivery counters (配信数): one item per workspace and local day in LedgerTable
(pk ``dstat#<ws>#<YYYY-MM-DD>``, sk ``stats``; attributes ``sent``, ``failed``, ``skipped``, and ``replied``: the
part of ``sent`` that went on a LINE reply token, free of the monthly quota).

Written by the send path (``ledger.count_settled`` for steps, inside the settle transaction for broadcast batches)
and read by ``haishin.dashboard``; it lives here, below both, so the send path never imports the dashboard.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin import clock
from haishin.storage.base import HaishinModel, model_meta
from haishin.workspaces.models import DEFAULT_TIME_ZONE, WorkspaceModel

STATS_RETENTION = timedelta(days=400)


class DailyDeliveryStats(HaishinModel):
    """Per-workspace, per-local-day delivery counters (LedgerTable)."""

    Meta = model_meta("LEDGER_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="stats")
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    replied = NumberAttribute(default=0)  # of ``sent``: LINE messages that went on a reply token (free of quota)
    expires_at = NumberAttribute(null=True)


def stats_pk(workspace_id: str, day: date) -> str:
    return f"dstat#{workspace_id}#{day.isoformat()}"


_zones: dict[str, tuple[float, ZoneInfo]] = {}
ZONE_CACHE_SECONDS = 300.0


def _cached_zone(workspace_id: str) -> ZoneInfo:
    """The workspace's zone for the delivery counters, cached per container for 5 minutes: every settled delivery
    counts, and a read of the workspace per step or batch would cost more than the counter itself."""
    now = time.monotonic()
    cached = _zones.get(workspace_id)
    if cached is not None and now - cached[0] < ZONE_CACHE_SECONDS:
        return cached[1]
    zone = workspace_zone(workspace_id)
    _zones[workspace_id] = (now, zone)
    return zone


def forget_zones() -> None:
    """Tests and the local runtime: drop the cached zones (a new account or system)."""
    _zones.clear()


def workspace_zone(workspace_id: str) -> ZoneInfo:
    try:
        name = WorkspaceModel.get(*WorkspaceModel.key(workspace_id)).time_zone or DEFAULT_TIME_ZONE
    except WorkspaceModel.DoesNotExist:
        name = DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except Exception:  # a bad stored zone must not break the dashboard
        return ZoneInfo(DEFAULT_TIME_ZONE)


def delivery_counter_update(workspace_id: str, outcomes: dict[str, int], *, at: datetime | None = None,
                            zone: ZoneInfo | None = None) -> tuple[DailyDeliveryStats, list[Any]] | None:
    """The counter item of the local day and the ADDs for ``outcomes`` (``sent`` / ``failed`` / ``skipped_*`` ->
    recipients), to write alone or inside the transaction that settles the deliveries; None when nothing counts."""
    when = at or clock.now()
    adds: dict[str, int] = {}
    for status, recipients in outcomes.items():
        name = status if status in ("sent", "failed") else "skipped" if status.startswith("skipped") else None
        if name is not None and recipients > 0:
            adds[name] = adds.get(name, 0) + int(recipients)
    if not adds:
        return None
    day = when.astimezone(zone or _cached_zone(workspace_id)).date()
    expires = int((when + STATS_RETENTION).timestamp())
    actions: list[Any] = [getattr(DailyDeliveryStats, name).add(value) for name, value in sorted(adds.items())]
    actions.append(DailyDeliveryStats.expires_at.set(expires))
    return DailyDeliveryStats(stats_pk(workspace_id, day), "stats"), actions


def count_delivery(workspace_id: str, status: str, recipients: int = 1, *, at: datetime | None = None,
                   zone: ZoneInfo | None = None, via: str | None = None) -> None:
    """Add a settled delivery to its local day's counter (call once per settled ledger row: ``sent``, ``failed``
    or ``skipped_*``); ``via`` ``reply``/``reply+push``: a LINE send on a reply token, also counted as ``replied``."""
    update = delivery_counter_update(workspace_id, {status: recipients}, at=at, zone=zone)
    if update is not None:
        item, actions = update
        if status == "sent" and via in ("reply", "reply+push"):
            actions.append(DailyDeliveryStats.replied.add(int(recipients)))
        item.update(actions=actions)
