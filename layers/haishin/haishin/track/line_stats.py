"""LINE's own statistics of what Haishin sent: opens (impressions) and URL taps per aggregation unit.

Every broadcast (each A/B variant) and every scenario step goes out with its aggregation unit
(``haishin.line.units``); LINE then reports, per unit and period, how many friends opened the message and tapped a
URL in it. It complements Haishin's own click counts (``haishin.track.service``): LINE sees opens, which no URL can
measure, and taps on URLs that are not tracked; but LINE answers null for any figure below 20 friends (privacy), and
only for pushes and multicasts (replies carry no unit). Read on demand (an admin screen), never stored.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from haishin import clock
from haishin.line.client import LineApiError, LineUnavailable
from haishin.line.units import MONTHLY_UNIT_LIMIT, STATS_PRIVACY_FLOOR, line_date, stats_period

log = logging.getLogger(__name__)

BELOW_FLOOR_JA = (f"LINE は {STATS_PRIVACY_FLOOR} 人未満の数値を返しません（プライバシー保護のため）。"
                  f"開封・タップした友だちが {STATS_PRIVACY_FLOOR} 人以上になると表示されます。"
                  "それまではクリック数（URL クリックで測る開封率）をご覧ください。")
UNREADABLE_JA = "LINE から統計を取得できませんでした"


class LineUnitStats:
    def __init__(self, *, line_clients: Any) -> None:
        self.line_clients = line_clients  # haishin.line.client.LineClients

    def read(self, workspace_id: str, channel_id: str | None, units: list[tuple[str, str]], *,
             since: date | None, until: date | None = None) -> dict[str, Any]:
        """``units``: (label, unit name). The period runs from ``since`` (the send's date, Japan time) to today,
        at most LINE's 30 days; ``until`` shortens it."""
        today = line_date(clock.now())
        first, last = stats_period(since or today, min(until or today, today))
        answer: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat(), "units": [],
                                  "privacy_floor": STATS_PRIVACY_FLOOR, "monthly_unit_limit": MONTHLY_UNIT_LIMIT,
                                  "units_used_this_month": None, "note": None}
        if channel_id is None:
            answer["note"] = "LINE チャネルが未設定のため、LINE の統計はありません。"
            return answer
        client = self.line_clients.for_channel(workspace_id, channel_id)
        hidden = False
        for label, unit in units:
            row: dict[str, Any] = {"label": label, "unit": unit}
            try:
                raw = client.unit_statistics(unit, first.strftime("%Y%m%d"), last.strftime("%Y%m%d"))
            except LineUnavailable:
                raise
            except LineApiError as error:
                log.warning("LINE statistics of unit %s: %s", unit, error.message)
                row.update(error=f"{UNREADABLE_JA}（{error.message}）")
                answer["units"].append(row)
                continue
            row.update(_shape(raw))
            hidden = hidden or row["hidden"]
            answer["units"].append(row)
        if hidden:
            answer["note"] = BELOW_FLOOR_JA
        try:
            answer["units_used_this_month"] = client.units_used_this_month()
        except (LineApiError, LineUnavailable) as error:
            log.info("units used this month not read: %s", error)
        return answer


def _shape(raw: dict[str, Any]) -> dict[str, Any]:
    """LINE's camelCase answer as the admin shows it; ``hidden``: LINE returned nothing (fewer than 20 friends)."""
    overview = raw.get("overview") or {}
    impressions, clicks = overview.get("uniqueImpression"), overview.get("uniqueClick")
    messages = [{"seq": m.get("seq"), "impressions": m.get("impression"),
                 "unique_impressions": m.get("uniqueImpression")} for m in raw.get("messages") or []]
    urls = [{"seq": c.get("seq"), "url": c.get("url"), "clicks": c.get("click"), "unique_clicks": c.get("uniqueClick")}
            for c in raw.get("clicks") or []]
    return {"unique_impressions": impressions, "unique_clicks": clicks, "messages": messages, "urls": urls,
            "hidden": impressions is None or clicks is None}


__all__ = ["BELOW_FLOOR_JA", "LineUnitStats"]
