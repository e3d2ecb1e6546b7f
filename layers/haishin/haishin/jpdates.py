"""Japanese dates and times as marketers type them, parsed to aware datetimes in the workspace's time zone.

Accepted (half- or full-width digits, any of 〜 ～ ~ - – — between times, weekday in (半角) or （全角） brackets):
``2021年1月1日(金) 11:00〜12:00``, ``1月1日 11:00``, ``2021/01/01 11:00-12:00``, ``01/01(金) 11:00``,
``2021-01-01``, ``2021.1.1``, ``11時30分``, ``2021/01/01 23:00〜2021/01/02 01:00``, ISO 8601 with an offset.

- No year: the next occurrence of that month/day on or after today (the clock, in the time zone).
- No time: midnight, ``has_time`` False (a date field keeps only the date).
- A range gives ``start`` and ``end``; an end time earlier than the start means the next day.
- An impossible date (2月30日) raises ``DateParseError`` saying which part is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from haishin import clock

DEFAULT_TZ = "Asia/Tokyo"

_DASHES = str.maketrans({c: "-" for c in "〜～~‐‑‒–—―−ー－"})
_DATE = r"(?:(?P<{p}y>\d{{4}})\s*[年/.\-]\s*)?(?P<{p}m>\d{{1,2}})\s*[月/.\-]\s*(?P<{p}d>\d{{1,2}})\s*日?"
_WEEKDAY = r"(?:\s*\(\s*[^()\d]{{1,4}}\s*\))?"
_TIME = r"(?P<{p}H>\d{{1,2}})\s*(?::|時)\s*(?P<{p}M>\d{{1,2}})?\s*分?(?:\s*:\s*(?P<{p}S>\d{{1,2}})\s*秒?)?"
_PATTERN = re.compile(
    r"^\s*"
    + _DATE.format(p="s")
    + _WEEKDAY.format()
    + r"(?:\s*T?\s*" + _TIME.format(p="s") + r")?"
    + r"(?:\s*-\s*(?:" + _DATE.format(p="e") + _WEEKDAY.format() + r"\s*)?" + _TIME.format(p="e") + r")?"
    + r"\s*$"
)


class DateParseError(ValueError):
    """The text is not a date we understand, or names a date that does not exist."""


@dataclass(frozen=True)
class ParsedDateTime:
    start: datetime  # aware, in the requested time zone
    end: datetime | None = None
    has_time: bool = False
    has_year: bool = True

    @property
    def date(self) -> date:
        return self.start.date()


def normalise(text: str) -> str:
    """NFKC (full-width digits, letters, colons, slashes and brackets to half-width) and one kind of dash."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES).strip()


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(f"{month}月{day}日 does not exist ({year}): '{original}'") from None


def _next_occurrence(month: int, day: int, today: date, original: str) -> tuple[int, date]:
    if not 1 <= month <= 12:
        raise DateParseError(f"{month} 月はありません: '{original}'")
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # 2月29日 in a common year: look further
        if candidate >= today:
            return year, candidate
    raise DateParseError(f"{month}月{day}日 does not exist: '{original}'")


def _make_time(hour: str | None, minute: str | None, second: str | None, original: str) -> tuple[time, int]:
    """A time of day and a day carry (``24:00`` is the next day's midnight)."""
    h = int(hour or 0)
    m = int(minute or 0)
    s = int(second or 0)
    if h == 24 and m == 0 and s == 0:
        return time(0, 0), 1
    if not (0 <= h <= 23 and 0 <= m <= 59 and 0 <= s <= 59):
        raise DateParseError(f"{h}:{m:02d} is not a time of day: '{original}'")
    return time(h, m, s), 0


def parse_jp_datetime(text: str, *, tz: str = DEFAULT_TZ, now: datetime | None = None) -> ParsedDateTime:
    """Parse one cell. Raises ``DateParseError`` with a reason a marketer can act on."""
    original = text
    zone = ZoneInfo(tz)
    cleaned = normalise(text)
    if not cleaned:
        raise DateParseError("日付が空です")
    iso = _try_iso(cleaned, zone)
    if iso is not None:
        return iso
    match = _PATTERN.match(cleaned)
    if match is None:
        raise DateParseError(f"日付として読めません: '{original}' (例: 2021年1月1日 11:00、2021/01/01 11:00)")
    g = match.groupdict()
    today = (now or clock.now()).astimezone(zone).date()
    month, day = int(g["sm"]), int(g["sd"])
    if g["sy"]:
        start_date = _make_date(int(g["sy"]), month, day, original)
        has_year = True
    else:
        _, start_date = _next_occurrence(month, day, today, original)
        has_year = False
    has_time = g["sH"] is not None
    start_time, carry = _make_time(g["sH"], g["sM"], g["sS"], original) if has_time else (time(0, 0), 0)
    start = datetime.combine(start_date + timedelta(days=carry), start_time, zone)
    end: datetime | None = None
    if g["eH"] is not None:
        if not has_time:
            raise DateParseError(f"時間帯には開始時刻が必要です: '{original}'")
        if g["em"]:
            end_year = int(g["ey"]) if g["ey"] else start_date.year
            end_date = _make_date(end_year, int(g["em"]), int(g["ed"]), original)
            if not g["ey"] and end_date < start_date:
                end_date = _make_date(end_year + 1, int(g["em"]), int(g["ed"]), original)
        else:
            end_date = start_date
        end_time, end_carry = _make_time(g["eH"], g["eM"], g["eS"], original)
        end = datetime.combine(end_date + timedelta(days=end_carry), end_time, zone)
        if end < start and not g["em"]:
            end += timedelta(days=1)  # 23:00〜01:00 ends the next day
        if end < start:
            raise DateParseError(f"終了が開始より前です: '{original}'")
    return ParsedDateTime(start=start, end=end, has_time=has_time, has_year=has_year)


def _try_iso(cleaned: str, zone: ZoneInfo) -> ParsedDateTime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", cleaned):
        return None
    try:
        value = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return ParsedDateTime(start=value.astimezone(zone), has_time=True)


def format_jp(value: datetime, *, tz: str = DEFAULT_TZ, end: datetime | None = None) -> str:
    """The export form, which ``parse_jp_datetime`` reads back: ``2021/01/01 11:00`` (seconds when not zero),
    with ``〜12:00`` (same day) or ``〜2021/01/02 01:00`` for a range."""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    text = local.strftime("%Y/%m/%d %H:%M:%S" if local.second else "%Y/%m/%d %H:%M")
    if end is not None:
        local_end = end.astimezone(zone)
        fmt = "%H:%M:%S" if local_end.second else "%H:%M"
        if local_end.date() != local.date():
            fmt = "%Y/%m/%d " + fmt
        text += "〜" + local_end.strftime(fmt)
    return text
