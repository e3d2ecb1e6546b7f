"""The dashboard (ダッシュボード): friends added/blocked per day, deliveries and failures per day, LINE quota per
channel, and the newest delivery errors (配信エラーログ). Every read is bounded:

- friends: the subscriber rows' ``line`` map (``followed_at`` / ``blocked_at`` per channel), read with a projection of
  only those attributes, the 16 shards in parallel, at most ``MAX_FRIEND_ROWS`` rows (``friends.truncated`` says so).
- deliveries: one daily counter item per workspace and local day in LedgerTable (pk ``dstat#<ws>#<YYYY-MM-DD>``,
  sk ``stats``; attributes ``sent``, ``failed``, ``skipped``, ``replied``), written by ``count_delivery`` when a
  delivery settles, read with one BatchGetItem per 100 days; ``replied_this_month``: the steps sent on a LINE reply
  token (free) since the 1st of the local month, next to the quota's ``used`` (counted). Failures are also counted
  from the error log index (gsi1
  ``dlverr#<ws>``, at most ``MAX_ERROR_ROWS`` rows since the first day), so failures show even for days whose
  counter is missing; the larger of the two counts wins.
- opt-outs (配信停止): one counter item per local day (``haishin.optout.counters``, pk ``ostat#<ws>#<day>``), counted
  where an opt-out is recorded, read with one BatchGetItem: stopped per channel / all, and resumed.
- quota: ``LineClient.quota()`` of each connected channel (a channel whose call fails reports its error instead).
- error log: the newest ``ERROR_LOG_SIZE`` rows of gsi1.
Days are local days in the workspace's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.delivery.counters import DailyDeliveryStats, stats_pk, workspace_zone
from haishin.delivery.ledger import LedgerModel, error_log_pk
from haishin.errors import ValidationFailed
from haishin.optout import counters as optout_counters
from haishin.storage.base import iso
from haishin.storage.shard_scan import all_shards, iter_shard_pages
from haishin.workspaces.models import ChannelModel, workspace_pk

MAX_DAYS = 90
MAX_FRIEND_ROWS = 50_000
MAX_ERROR_ROWS = 2_000
ERROR_LOG_SIZE = 20

QuotaFetcher = Callable[[str, str], dict[str, Any]]  # (workspace_id, channel_id) -> LineClient.quota()


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class Dashboard:
    def __init__(self, *, quota: QuotaFetcher) -> None:
        self.quota = quota  # LINE's monthly quota of one channel (the composition root reads it through LineClients)

    def build(self, workspace_id: str, days: int = 30) -> dict[str, Any]:
        if not 1 <= days <= MAX_DAYS:
            raise ValidationFailed(f"days is 1 to {MAX_DAYS}", where="days")
        zone = workspace_zone(workspace_id)
        today = clock.now().astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        day_list = [first + timedelta(days=i) for i in range(days)]
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
        friends = self._friends(workspace_id, day_list, zone)
        deliveries = self._deliveries(workspace_id, day_list, zone, start)
        deliveries["replied_this_month"] = self._replied_this_month(workspace_id, today)
        return {
            "days": days,
            "time_zone": zone.key,
            "from": first.isoformat(),
            "to": today.isoformat(),
            "friends": friends,
            "deliveries": deliveries,
            "opt_outs": self._opt_outs(workspace_id, day_list),
            "quota": self._quotas(workspace_id),
            "errors": self._error_log(workspace_id),
        }

    # ------------------------------------------------------------------ friends
    def _friends(self, workspace_id: str, day_list: list[date], zone: ZoneInfo) -> dict[str, Any]:
        index = {d: i for i, d in enumerate(day_list)}
        added = [0] * len(day_list)
        blocked = [0] * len(day_list)
        totals = {"following": 0, "blocked": 0, "total": 0}
        rows_read = 0
        truncated = False
        per_shard = max(1, MAX_FRIEND_ROWS // len(all_shards()))

        def read(shard: int) -> tuple[list[dict[str, Any]], bool]:
            rows: list[dict[str, Any]] = []
            for page in iter_shard_pages(workspace_id, shard, ["line", "merged_into"]):
                rows.extend(page)
                if len(rows) >= per_shard:
                    return rows[:per_shard], True
            return rows, False

        with ThreadPoolExecutor(max_workers=8) as pool:
            for rows, cut in pool.map(read, all_shards()):
                truncated = truncated or cut
                for row in rows:
                    rows_read += 1
                    if row.get("merged_into"):
                        continue
                    line = row.get("line") or {}
                    totals["total"] += 1
                    statuses = [(acct or {}).get("status") for acct in line.values()]
                    if "following" in statuses:
                        totals["following"] += 1
                    elif "blocked" in statuses:
                        totals["blocked"] += 1
                    for raw in line.values():
                        acct = raw or {}
                        followed = _parse(acct.get("followed_at"))
                        if followed and (i := index.get(followed.astimezone(zone).date())) is not None:
                            added[i] += 1
                        blocked_at = _parse(acct.get("blocked_at"))
                        if blocked_at and (i := index.get(blocked_at.astimezone(zone).date())) is not None:
                            blocked[i] += 1
        return {
            "series": [{"date": d.isoformat(), "added": added[i], "blocked": blocked[i]}
                       for i, d in enumerate(day_list)],
            **totals,
            "rows_read": rows_read,
            "truncated": truncated,
        }

    # ------------------------------------------------------------------ deliveries
    def _deliveries(self, workspace_id: str, day_list: list[date], zone: ZoneInfo, start: datetime) -> dict[str, Any]:
        counters: dict[str, DailyDeliveryStats] = {}
        keys = [(stats_pk(workspace_id, d), "stats") for d in day_list]
        for stat in DailyDeliveryStats.batch_get(keys):
            counters[stat.pk] = stat
        failed_from_log: dict[date, int] = {}
        condition = LedgerModel.gsi1sk >= iso(start)
        for row in LedgerModel.errors.query(error_log_pk(workspace_id), condition, limit=MAX_ERROR_ROWS):
            at = _parse((row.gsi1sk or "").split("#", 1)[0])
            if at and row.status == "failed":
                day = at.astimezone(zone).date()
                failed_from_log[day] = failed_from_log.get(day, 0) + 1
        series = []
        for d in day_list:
            item = counters.get(stats_pk(workspace_id, d))
            sent = int(item.sent or 0) if item else 0
            failed = max(int(item.failed or 0) if item else 0, failed_from_log.get(d, 0))
            skipped = int(item.skipped or 0) if item else 0
            replied = int(item.replied or 0) if item else 0
            series.append({"date": d.isoformat(), "sent": sent, "failed": failed, "skipped": skipped,
                           "replied": replied})
        return {
            "series": series,
            "sent": sum(s["sent"] for s in series),
            "failed": sum(s["failed"] for s in series),
        }

    @staticmethod
    def _replied_this_month(workspace_id: str, today: date) -> int:
        """LINE messages sent on a reply token since the 1st of this local month: free, never in the quota's
        ``used`` (the quota entries show what was counted)."""
        first = today.replace(day=1)
        keys = [(stats_pk(workspace_id, first + timedelta(days=i)), "stats") for i in range((today - first).days + 1)]
        return sum(int(stat.replied or 0) for stat in DailyDeliveryStats.batch_get(keys))

    # ------------------------------------------------------------------ opt-outs
    def _opt_outs(self, workspace_id: str, day_list: list[date]) -> dict[str, Any]:
        series = optout_counters.series(workspace_id, day_list)
        return {"series": series, "stopped": sum(int(s["stopped"]) for s in series),
                "resumed": sum(int(s["resumed"]) for s in series)}

    # ------------------------------------------------------------------ quota and errors
    def _quotas(self, workspace_id: str) -> list[dict[str, Any]]:
        out = []
        for channel in ChannelModel.by_workspace.query(workspace_pk(workspace_id)):
            if channel.status != "connected":
                continue
            entry: dict[str, Any] = {"channel_id": channel.channel_id, "name": channel.name}
            try:
                q = self.quota(workspace_id, channel.channel_id)
                limit = q.get("value") if q.get("type") == "limited" else None
                used = int(q.get("totalUsage") or 0)
                entry.update({"type": q.get("type"), "limit": limit, "used": used,
                              "left": (max(0, int(limit) - used) if limit is not None else None)})
            except Exception as exc:  # one channel's failure must not hide the others
                entry["error"] = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            out.append(entry)
        return out

    def _error_log(self, workspace_id: str) -> list[dict[str, Any]]:
        rows = LedgerModel.errors.query(error_log_pk(workspace_id), scan_index_forward=False, limit=ERROR_LOG_SIZE)
        out = []
        for row in rows:
            out.append({
                "delivery_id": row.delivery_id, "at": (row.gsi1sk or "").split("#", 1)[0], "kind": row.kind,
                "channel": row.channel, "status": row.status, "error": row.error, "attempts": int(row.attempts or 0),
                "subscriber_id": row.subscriber_id, "scenario_id": row.scenario_id, "broadcast_id": row.broadcast_id,
            })
            if len(out) >= ERROR_LOG_SIZE:
                break
        return out
