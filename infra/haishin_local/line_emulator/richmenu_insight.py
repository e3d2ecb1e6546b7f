"""LINE's rich menu insight in the emulator: impressions of a menu and clicks per area, and the summary endpoint.

- The phone page reports what the friend does: the menu panel shown open is an impression of that menu
  (``/_emulator/phone/richmenu_seen``), a tap on an area is a click of that area (``/_emulator/phone/richmenu_tap``,
  whatever the action). Only menus made with the Messaging API exist here, as LINE's insight covers only those.
- ``GET /v2/bot/insight/richmenu/{richMenuId}/summary?from=&to=`` (line-bot-sdk
  ``Insight.get_rich_menu_insight_summary``;
  https://developers.line.biz/en/reference/messaging-api/#get-rich-menu-insight-summary), LINE's rules as the
  SDK's reference text states them:
  - ``from`` / ``to``: ``yyyyMMdd``, Japan time, both inclusive; ``from`` within the most recent 3 years, ``to`` at
    most 396 days after ``from`` (else 400);
  - an unknown rich menu: 404 ``richmenu not found``;
  - figures are aggregated by the next day: only days before today (JST) count; ``metricsFrom`` / ``metricsTo`` give
    the period the figures actually cover (``to`` clipped to yesterday);
  - privacy: "When the total number of unique clicks during the period is below the privacy threshold, only
    ``richMenuId`` is returned and the other fields are omitted". The threshold is the emulator's usual 20 users
    (``units.PRIVACY_FLOOR``: LINE does not publish the figure for rich menus);
  - otherwise ``impression.metrics`` ``{count, uniqueUsers}`` and ``clicks``: one entry per area of the menu, in the
    menu's order, ``{bounds, metrics: {count, uniqueUsers}}`` (areas nobody tapped count 0).
- Testing "the next day" without waiting: the control API's ``POST /_emulator/richmenu_insight/age {"days": n}``
  moves every recorded event ``n`` days into the past (or move ``haishin.clock`` with ``ManualClock``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from .units import _DATE, JST, PRIVACY_FLOOR

MAX_SPAN_DAYS = 396  # "The end date can be specified for up to 396 days after the start date"
MAX_AGE_YEARS = 3  # "Must be within the most recent 3 years"

Json = dict[str, Any]


@dataclass(frozen=True)
class MenuEvent:
    channel_id: str
    menu_id: str
    user_id: str
    kind: str  # impression | click
    area: int | None  # the tapped area's index (clicks)
    at: datetime


class RichMenuInsight:
    """Per channel and menu: the friends' impressions and clicks, and the summary LINE answers from them."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.events: list[MenuEvent] = []

    def impression(self, channel_id: str, menu_id: str, user_id: str, now: datetime) -> None:
        self.events.append(MenuEvent(channel_id, menu_id, user_id, "impression", None, now))

    def click(self, channel_id: str, menu_id: str, user_id: str, area: int, now: datetime) -> None:
        self.events.append(MenuEvent(channel_id, menu_id, user_id, "click", area, now))

    def age(self, days: int) -> int:
        """Every recorded event ``days`` earlier (tests read "yesterday's" figures at once); returns how many."""
        self.events = [replace(e, at=e.at - timedelta(days=days)) for e in self.events]
        return len(self.events)

    def summary(self, channel_id: str, menu_id: str, menu: Json | None, query: dict[str, str],
                now: datetime) -> tuple[int, Json]:
        """LINE's answer for ``menu`` (None: no such menu on the channel)."""
        period = _period(query.get("from"), query.get("to"), now)
        if isinstance(period, str):
            return 400, {"message": period}
        if menu is None:
            return 404, {"message": "richmenu not found", "details": []}
        first, last = period
        yesterday = now.astimezone(JST).date() - timedelta(days=1)
        last = min(last, yesterday)
        body: Json = {"richMenuId": menu_id}
        if last < first:
            return 200, body
        mine = [e for e in self.events if e.channel_id == channel_id and e.menu_id == menu_id
                and first <= e.at.astimezone(JST).date() <= last]
        clicks = [e for e in mine if e.kind == "click"]
        if len({e.user_id for e in clicks}) < PRIVACY_FLOOR:
            return 200, body
        impressions = [e for e in mine if e.kind == "impression"]
        by_area: dict[int, list[MenuEvent]] = defaultdict(list)
        for e in clicks:
            by_area[int(e.area or 0)].append(e)
        body.update({
            "metricsFrom": first.strftime("%Y%m%d"),
            "metricsTo": last.strftime("%Y%m%d"),
            "impression": {"metrics": _metrics(impressions)},
            "clicks": [{"bounds": dict(area["bounds"]), "metrics": _metrics(by_area.get(index, []))}
                       for index, area in enumerate(menu.get("areas", []))],
        })
        return 200, body


def _metrics(events: list[MenuEvent]) -> Json:
    return {"count": len(events), "uniqueUsers": len({e.user_id for e in events})}


def _period(raw_from: str | None, raw_to: str | None, now: datetime) -> tuple[date, date] | str:
    parsed: list[date] = []
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if not raw:
            return f"{name} is required"
        if not _DATE.fullmatch(raw):
            return f"{name} must be in yyyyMMdd format"
        try:
            parsed.append(datetime.strptime(raw, "%Y%m%d").date())
        except ValueError:
            return f"{name} must be a valid date in yyyyMMdd format"
    first, last = parsed
    today = now.astimezone(JST).date()
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if first < oldest:
        return f"from must be within the most recent {MAX_AGE_YEARS} years"
    if last < first:
        return "to must be the same as or later than from"
    if last - first > timedelta(days=MAX_SPAN_DAYS):
        return f"to must be within {MAX_SPAN_DAYS} days after from"
    return first, last
