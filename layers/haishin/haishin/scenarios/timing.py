"""When a step is due: the one implementation used by enrollment, the step tick and the simulator.

Everything is aware UTC in and out; local time (the workspace zone) is used only for ``day_at``, ``relative_to_date``
and quiet hours, as the rules say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin.scenarios.models import After, DayAt, Immediately, RelativeToDate, Step

_UNITS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1)}


@dataclass(frozen=True)
class Due:
    """The outcome of a step's timing: a time, or skip this step, or end the enrollment; ``note`` explains."""

    at: datetime | None
    skip: bool = False
    end: bool = False
    note: str | None = None


@dataclass(frozen=True)
class QuietHours:
    start: time | None = None
    end: time | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> QuietHours:
        if not start or not end or start == end:
            return cls()
        return cls(time.fromisoformat(start), time.fromisoformat(end))

    @property
    def enabled(self) -> bool:
        return self.start is not None and self.end is not None

    def contains(self, local: time) -> bool:
        assert self.start is not None and self.end is not None
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # wraps midnight, e.g. 22:00-08:00

    def adjust(self, at: datetime, tz: ZoneInfo) -> tuple[datetime, bool]:
        """Move ``at`` to the end of the quiet window it falls in (local zone); returns (time, moved)."""
        if not self.enabled:
            return at, False
        assert self.end is not None
        local = at.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return at, False
        end_day = local.date()
        if local.time().replace(tzinfo=None) >= self.end:  # before midnight in a window that wraps
            end_day += timedelta(days=1)
        moved = datetime.combine(end_day, self.end, tzinfo=tz)
        return moved.astimezone(UTC), True


def local_at(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=tz).astimezone(UTC)


def parse_date(value: Any, tz: ZoneInfo) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(tz).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(tz).date() if parsed.tzinfo else parsed.date()


def parse_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date and time (ISO 8601; without an offset read in ``tz``) as aware UTC; None for a bare date or no time."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    if value is None or isinstance(value, date):
        return None
    text = str(value).strip().replace("/", "-")
    if len(text) <= 10:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


def step_due(step: Step, *, enrolled_at: datetime, previous_due: datetime | None, fields: dict[str, Any],
             tz: ZoneInfo, quiet: QuietHours, planned_at: datetime | None = None) -> Due:
    """The due time of ``step`` for an enrollment at ``enrolled_at`` whose previous step was due ``previous_due``.

    Due times are whole minutes: a relative delay (``after``, one minute or more) is rounded to the nearest whole
    minute (09:03:29 -> 09:03, 09:03:30 -> 09:04), so the tick of that minute sends it, at most 30 s from the exact
    time; if that would be before ``planned_at`` (the moment it is planned), the next whole minute instead.
    ``immediately`` stays exact (sent at once); ``day_at``/``relative_to_date`` are whole minutes already.
    """
    base_prev = previous_due or enrolled_at
    timing = step.timing
    note: str | None = None
    if isinstance(timing, Immediately):
        at = base_prev
    elif isinstance(timing, After):
        base = enrolled_at if timing.from_ == "enrollment" else base_prev
        at = base + timing.amount * _UNITS[timing.unit]
        if timing.amount > 0:
            at = nearest_minute(at, not_before=planned_at)
    elif isinstance(timing, DayAt):
        day0 = enrolled_at.astimezone(tz).date()
        at = local_at(day0 + timedelta(days=timing.day), timing.at, tz)
        if at < enrolled_at:
            if timing.late_enrollment == "skip":
                return Due(None, skip=True,
                           note=f"enrolled after {timing.at} on day 0: step skipped (late_enrollment: skip)")
            if timing.late_enrollment == "next_day":
                at = local_at(day0 + timedelta(days=timing.day + 1), timing.at, tz)
                note = (f"enrolled after {timing.at} on day {timing.day}: moved to the next day"
                        " (late_enrollment: next_day)")
            else:
                at = enrolled_at
                note = f"enrolled after {timing.at} on day {timing.day}: sent at the next slot (same_day_next_slot)"
    elif isinstance(timing, RelativeToDate):
        value = fields.get(timing.field)
        moment = parse_datetime(value, tz) if timing.minutes is not None else None
        day = parse_date(value, tz) if timing.minutes is None else (moment.date() if moment else None)
        if day is None:
            reason = f"field '{timing.field}' has no date"
            if timing.if_missing == "end":
                return Due(None, end=True, note=f"{reason}: enrollment ends (if_missing: end)")
            return Due(None, skip=True, note=f"{reason}: step skipped (if_missing: skip_step)")
        if moment is not None and timing.minutes is not None:
            at = floor_minute(moment + timedelta(minutes=timing.minutes))
        else:
            at = local_at(day + timedelta(days=timing.days), timing.at, tz)
        if at < enrolled_at:
            if timing.if_past == "skip_step":
                return Due(None, skip=True, note=f"{at.isoformat()} was already past at enrollment: step skipped")
            at = enrolled_at
            note = "the date was already past at enrollment: sent now (if_past: send_now)"
    else:  # pragma: no cover - the union is closed
        raise TypeError(type(timing))
    if previous_due is not None and at < previous_due:
        at = previous_due
        note = (note + "; " if note else "") + "not before the previous step"
    at, moved = quiet.adjust(at, tz)
    if moved:
        note = (note + "; " if note else "") + "moved to the end of quiet hours"
    return Due(at, note=note)


def floor_minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def nearest_minute(at: datetime, *, not_before: datetime | None = None) -> datetime:
    """``at`` rounded to the nearest whole UTC minute (half a minute rounds up); the next whole minute instead if
    the nearest is before ``not_before`` while ``at`` is not (rounding never makes a step due before it was planned)."""
    floor = floor_minute(at)
    rounded = floor + timedelta(minutes=1) if at - floor >= timedelta(seconds=30) else floor
    if not_before is not None and rounded < not_before <= at:
        rounded = floor + timedelta(minutes=1)
    return rounded


def minute_key(at: datetime) -> str:
    return floor_minute(at).strftime("%Y-%m-%dT%H:%M")


def parse_minute_key(key: str) -> datetime:
    return datetime.strptime(key, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
