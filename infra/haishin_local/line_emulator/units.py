"""LINE's aggregation units in the emulator: the monthly limit on unit names, the friend's opens and URL taps, and the
three endpoints that report them.

- ``POST /v2/bot/message/push`` and ``/multicast`` may name one unit (``customAggregationUnits``; the name rules are
  in ``validation.py``). A channel may use at most ``MONTHLY_LIMIT`` (1,000) distinct names in a month (Japan time);
  a request naming a new unit past that is refused with 400 and nothing is sent (the property is
  ``customAggregationUnits``; LINE does not publish the exact wording, ours is below).
- The phone page reports what the friend does: a bot message shown on screen is an impression of that bubble, a URL
  opened from it is a click (``/_emulator/phone/seen``, ``/_emulator/phone/open``). Only messages sent with a unit
  count, as on LINE.
- ``GET /v2/bot/insight/message/event/aggregation?customAggregationUnit=&from=&to=`` (dates ``yyyyMMdd``, Japan time,
  ``to`` at most 30 days after ``from``): ``overview`` / ``messages`` / ``clicks``. LINE's privacy rule: a figure
  below 20 is null, and every figure is null while fewer than 20 users received the unit's messages.
- ``GET /v2/bot/message/aggregation/info``: ``{"numOfCustomAggregationUnits": n}`` used this month.
- ``GET /v2/bot/message/aggregation/list?limit=&start=``: this month's names, ``limit`` per page (default and max
  100), ``next`` while more remain.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

JST = timezone(timedelta(hours=9))
MONTHLY_LIMIT = 1000
PRIVACY_FLOOR = 20
MAX_PERIOD_DAYS = 30
LIST_MAX = 100
UNIT_LIMIT_REACHED = {
    "message": "The request body has 1 error(s)",
    "details": [{"message": f"The number of aggregation units used this month has reached the limit ({MONTHLY_LIMIT})",
                 "property": "customAggregationUnits"}],
}
_DATE = re.compile(r"\d{8}")
_URL = re.compile(r"https?://[^\s\"'<>]+")

Json = dict[str, Any]


@dataclass(frozen=True)
class UnitEvent:
    channel_id: str
    unit: str
    user_id: str
    bubble: int  # 1-based position of the message in its request (LINE's ``seq``)
    kind: str  # impression | click
    url: str | None
    at: datetime


def month_of(when: datetime) -> str:
    return when.astimezone(JST).strftime("%Y%m")


def urls_in(message: Any) -> list[str]:
    """Every http(s) URL a message carries (text, actions, image map links ...), in order."""
    found: list[str] = []
    for raw in _URL.findall(json.dumps(message, ensure_ascii=False)):
        url = raw.rstrip(".,)")
        if url not in found:
            found.append(url)
    return found


class UnitBook:
    """Per channel: unit names used per month, recipients per unit, and the friends' events."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forgets names, events and a changed limit (tests lower it), as ``Emulator.reset`` forgets the rest."""
        self.monthly_limit = MONTHLY_LIMIT
        self.used: dict[tuple[str, str], list[str]] = defaultdict(list)  # (channel, yyyyMM) -> names, first use order
        self.events: list[UnitEvent] = []
        self.seen: set[tuple[int, str]] = set()  # (delivery seq, "impression") once per delivery shown

    # ------------------------------------------------------------------ sending
    @staticmethod
    def unit_of(body: Json) -> str | None:
        units = body.get("customAggregationUnits")
        return str(units[0]) if isinstance(units, list) and units else None

    def admit(self, channel_id: str, unit: str | None, now: datetime) -> Json | None:
        """LINE's refusal (a body) when ``unit`` would be a new name past the month's limit; else None."""
        if unit is None:
            return None
        names = self.used[(channel_id, month_of(now))]
        if unit not in names and len(names) >= self.monthly_limit:
            return json.loads(json.dumps(UNIT_LIMIT_REACHED))
        return None

    def record_use(self, channel_id: str, unit: str | None, now: datetime) -> None:
        if unit is None:
            return
        names = self.used[(channel_id, month_of(now))]
        if unit not in names:
            names.append(unit)

    # ------------------------------------------------------------------ the friend's side
    def impression(self, channel_id: str, user_id: str, seq: int, unit: str | None, bubble: int, now: datetime) -> bool:
        if unit is None or (seq, "impression") in self.seen:
            return False
        self.seen.add((seq, "impression"))
        self.events.append(UnitEvent(channel_id, unit, user_id, bubble, "impression", None, now))
        return True

    def click(self, channel_id: str, user_id: str, unit: str | None, bubble: int, url: str, now: datetime) -> None:
        if unit is not None:
            self.events.append(UnitEvent(channel_id, unit, user_id, bubble, "click", url, now))

    # ------------------------------------------------------------------ the three reads
    def usage(self, channel_id: str, now: datetime) -> Json:
        return {"numOfCustomAggregationUnits": len(self.used.get((channel_id, month_of(now)), []))}

    def names(self, channel_id: str, now: datetime, limit: str | None, start: str | None) -> tuple[int, Json]:
        names = self.used.get((channel_id, month_of(now)), [])
        try:
            size = LIST_MAX if limit in (None, "") else int(str(limit))
            offset = 0 if start in (None, "") else int(str(start))
        except ValueError:
            return 400, {"message": "Invalid parameter"}
        if size < 1 or offset < 0:
            return 400, {"message": "Invalid parameter"}
        size = min(size, LIST_MAX)
        body: Json = {"customAggregationUnits": names[offset : offset + size]}
        if offset + size < len(names):
            body["next"] = str(offset + size)
        return 200, body

    def statistics(self, channel_id: str, query: dict[str, str], deliveries: list[Any]) -> tuple[int, Json]:
        """``deliveries``: the channel's delivery records (``unit``, ``user_id``, ``bubble``, ``message``, ``at``)."""
        unit = query.get("customAggregationUnit") or ""
        if not unit:
            return 400, {"message": "customAggregationUnit is required"}
        period = _period(query.get("from"), query.get("to"))
        if isinstance(period, str):
            return 400, {"message": period}
        first, last = period
        sent = [d for d in deliveries if d.unit == unit and d.status == "delivered"
                and d.at.astimezone(JST).date() <= last]
        events = [e for e in self.events if e.channel_id == channel_id and e.unit == unit
                  and first <= e.at.astimezone(JST).date() <= last]
        private = len({d.user_id for d in sent}) < PRIVACY_FLOOR

        def shown(value: int) -> int | None:
            return None if private or value < PRIVACY_FLOOR else value

        impressions = [e for e in events if e.kind == "impression"]
        clicks = [e for e in events if e.kind == "click"]
        overview = {"uniqueImpression": shown(len({e.user_id for e in impressions})),
                    "uniqueClick": shown(len({e.user_id for e in clicks})),
                    "uniqueMediaPlayed": shown(0), "uniqueMediaPlayed100Percent": shown(0)}
        bubbles = sorted({d.bubble for d in sent})
        messages = []
        for bubble in bubbles:
            mine = [e for e in impressions if e.bubble == bubble]
            row: Json = {"seq": bubble, "impression": shown(len(mine)),
                         "uniqueImpression": shown(len({e.user_id for e in mine}))}
            for name in ("mediaPlayed", "mediaPlayed25Percent", "mediaPlayed50Percent", "mediaPlayed75Percent",
                         "mediaPlayed100Percent", "uniqueMediaPlayed", "uniqueMediaPlayed25Percent",
                         "uniqueMediaPlayed50Percent", "uniqueMediaPlayed75Percent", "uniqueMediaPlayed100Percent"):
                row[name] = shown(0)
            messages.append(row)
        urls: dict[tuple[int, str], None] = {}
        for d in sent:
            for url in urls_in(d.message):
                urls[(d.bubble, url)] = None
        click_rows = []
        for bubble, url in urls:
            mine = [e for e in clicks if e.bubble == bubble and e.url == url]
            of_request = {e.user_id for e in clicks if e.url == url}
            click_rows.append({"seq": bubble, "url": url, "click": shown(len(mine)),
                               "uniqueClick": shown(len({e.user_id for e in mine})),
                               "uniqueClickOfRequest": shown(len(of_request))})
        return 200, {"overview": overview, "messages": messages, "clicks": click_rows}


def _period(raw_from: str | None, raw_to: str | None) -> tuple[date, date] | str:
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
    if last < first:
        return "to must be the same as or later than from"
    if last - first > timedelta(days=MAX_PERIOD_DAYS):
        return f"to must be within {MAX_PERIOD_DAYS} days after from"
    return first, last
