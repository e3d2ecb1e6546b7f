"""Fires the template's Schedule events and the app's one-time EventBridge Scheduler schedules.

moto stores Scheduler schedules but never fires them; this module does. Rate/cron rules fire once per real
minute (their period) and right after each clock advance. One-time ``at(...)`` schedules are compared with the
injectable clock (``haishin.clock.now()``) every few seconds; a due one invokes its Lambda target with its Input
and is deleted when ``ActionAfterCompletion`` is ``DELETE``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock

from .errors import TemplateRefused
from .template import ACCOUNT_ID, REGION, ScheduleSource

log = logging.getLogger("haishin_local.schedules")

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}


def rate_seconds(expression: str) -> int | None:
    match = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


def _field_matches(spec: str, value: int, names: dict[str, int] | None = None) -> bool:
    if spec in ("*", "?"):
        return True
    for item in spec.split(","):
        part, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if part in ("*", "?"):
            low, high = 0, 10_000
        elif "-" in part:
            a, b = part.split("-", 1)
            low, high = _num(a, names), _num(b, names)
        else:
            low = _num(part, names)
            high = low if step == 1 else 10_000
        if low <= value <= high and (value - low) % step == 0:
            return True
    return False


def _num(text: str, names: dict[str, int] | None) -> int:
    upper = text.strip().upper()
    if names and upper in names:
        return names[upper]
    return int(upper)


def validate_cron(expression: str, resource: str = "schedule") -> list[str]:
    match = re.fullmatch(r"cron\((.+)\)", expression.strip())
    fields = match.group(1).split() if match else []
    if len(fields) != 6 or any(ch in expression for ch in "LW#"):
        raise TemplateRefused(resource, f"{expression} is not a cron(...) expression the local runtime understands")
    return fields


def cron_matches(expression: str, when: datetime) -> bool:
    """Whether an EventBridge cron(min hour day-of-month month day-of-week year) fires at ``when`` (UTC minute)."""
    minute, hour, dom, month, dow, year = validate_cron(expression)
    when = when.astimezone(UTC)
    aws_dow = (when.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
    return (
        _field_matches(minute, when.minute)
        and _field_matches(hour, when.hour)
        and _field_matches(dom, when.day)
        and _field_matches(month, when.month, _MONTHS)
        and _field_matches(dow, aws_dow, _DOW)
        and _field_matches(year, when.year)
    )


def scheduled_event(source: ScheduleSource, when: datetime) -> dict[str, Any]:
    if source.input:
        parsed: dict[str, Any] = json.loads(source.input)
        return parsed
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{source.rule_name}"],
        "detail": {},
    }


def parse_at(expression: str, timezone: str | None) -> datetime | None:
    match = re.fullmatch(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)", expression.strip())
    if not match:
        return None
    naive = datetime.fromisoformat(match.group(1))
    return naive.replace(tzinfo=ZoneInfo(timezone or "UTC")).astimezone(UTC)


Invoker = Callable[[str, Any], Any]
FunctionForArn = Callable[[str], str | None]


class Scheduler:
    def __init__(
        self,
        sources: list[ScheduleSource],
        invoke: Invoker,
        function_for_arn: FunctionForArn,
        scheduler_client: Any,
        *,
        one_time_interval: float = 2.0,
        tick_seconds: float = 1.0,
    ) -> None:
        self.sources = [s for s in sources if s.enabled]
        for source in self.sources:
            if rate_seconds(source.expression) is None:
                validate_cron(source.expression, source.function_id)
        self.invoke = invoke
        self.function_for_arn = function_for_arn
        self.client = scheduler_client
        self.one_time_interval = one_time_interval
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._one_time_lock = threading.Lock()
        self._rate_lock = threading.Lock()
        self._rule_lock = threading.Lock()  # one run of a rule at a time (the tick's reserved concurrency is 1)
        self._next_rate: dict[ScheduleSource, float] = {}
        self._last_cron_minute: dict[ScheduleSource, datetime] = {}
        self._done: set[str] = set()
        self._failures: dict[str, int] = {}
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.fired: list[tuple[str, str]] = []  # (kind, name) for tests and the dev API

    @property
    def busy(self) -> bool:
        with self._busy_lock:
            return self._busy > 0

    def start(self) -> None:
        now = time.monotonic()
        for source in self.sources:
            period = rate_seconds(source.expression)
            if period:
                self._next_rate[source] = now + period
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        next_one_time = time.monotonic() + self.one_time_interval
        while not self._stop.wait(self.tick_seconds):
            try:
                self._fire_periodic_due()
                if time.monotonic() >= next_one_time:
                    self.check_one_time()
                    next_one_time = time.monotonic() + self.one_time_interval
            except Exception:
                log.exception("schedule loop error")

    def _fire_periodic_due(self) -> None:
        now = time.monotonic()
        for source in self.sources:
            period = rate_seconds(source.expression)
            if period:
                if now >= self._next_rate.get(source, now):
                    self._next_rate[source] = now + period
                    self._fire(source)
            elif self._claim_cron_minute(source):
                self._fire(source)

    def _claim_cron_minute(self, source: ScheduleSource) -> bool:
        """True once per clock minute the cron rule matches (the loop and an advance's ``fire_all`` share it)."""
        minute = clock.now().replace(second=0, microsecond=0)
        with self._rate_lock:
            if self._last_cron_minute.get(source) == minute or not cron_matches(source.expression, minute):
                return False
            self._last_cron_minute[source] = minute
            return True

    def fire_all(self) -> None:
        """Fire every rate/cron rule once now (after a clock advance), and restart their periods."""
        now = time.monotonic()
        for source in self.sources:
            period = rate_seconds(source.expression)
            if period:
                self._next_rate[source] = now + period
            else:
                self._claim_cron_minute(source)  # this is the minute's run: the loop does not fire it again
            self._fire(source)

    def _fire(self, source: ScheduleSource) -> None:
        with self._busy_lock:
            self._busy += 1
        try:
            with self._rule_lock:
                self.fired.append(("rule", f"{source.function_id}.{source.event_name}"))
                self.invoke(source.function_id, scheduled_event(source, clock.now()))
        except Exception as exc:
            log.warning(
                "schedule %s.%s: %s raised %s: %s",
                source.function_id,
                source.event_name,
                source.function_id,
                type(exc).__name__,
                exc,
            )
        finally:
            with self._busy_lock:
                self._busy -= 1

    # ------------------------------------------------------------------ one-time schedules in moto
    def check_one_time(self) -> int:
        """Invoke every due one-time schedule; returns how many fired."""
        with self._one_time_lock, self._mark_busy():
            fired = 0
            now = clock.now()
            for group in self._groups():
                for summary in self._schedules(group):
                    key = f"{group}/{summary['Name']}"
                    if key in self._done:
                        continue
                    if summary.get("State", "ENABLED") != "ENABLED":
                        continue
                    if self._maybe_fire(group, summary["Name"], key, now):
                        fired += 1
            return fired

    def _mark_busy(self) -> _Busy:
        return _Busy(self)

    def _groups(self) -> list[str]:
        groups: list[str] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.client.list_schedule_groups(**kwargs)
            groups.extend(g["Name"] for g in page.get("ScheduleGroups", []))
            if not page.get("NextToken"):
                return groups
            kwargs["NextToken"] = page["NextToken"]

    def _schedules(self, group: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"GroupName": group}
        while True:
            page = self.client.list_schedules(**kwargs)
            items.extend(page.get("Schedules", []))
            if not page.get("NextToken"):
                return items
            kwargs["NextToken"] = page["NextToken"]

    def _maybe_fire(self, group: str, name: str, key: str, now: datetime) -> bool:
        try:
            schedule = self.client.get_schedule(Name=name, GroupName=group)
        except Exception:  # deleted meanwhile
            return False
        due = parse_at(schedule.get("ScheduleExpression", ""), schedule.get("ScheduleExpressionTimezone"))
        if due is None:
            log.info(
                "schedule %s: %s is not a one-time at(...) schedule; not fired locally",
                key,
                schedule.get("ScheduleExpression"),
            )
            self._done.add(key)
            return False
        if due > now:
            return False
        start = schedule.get("StartDate")
        if isinstance(start, datetime) and start.astimezone(UTC) > now + timedelta(seconds=1):
            return False
        target = schedule.get("Target") or {}
        function_id = self.function_for_arn(str(target.get("Arn", "")))
        if function_id is None:
            log.warning(
                "schedule %s targets %s, which is not a function of the template; skipped", key, target.get("Arn")
            )
            self._done.add(key)
            return False
        event = json.loads(target["Input"]) if target.get("Input") else {}
        try:
            self.fired.append(("one-time", key))
            self.invoke(function_id, event)
        except Exception as exc:
            count = self._failures.get(key, 0) + 1
            self._failures[key] = count
            log.warning("schedule %s: %s raised %s: %s (attempt %d)", key, function_id, type(exc).__name__, exc, count)
            if count < 3:
                return True
        self._done.add(key)
        if schedule.get("ActionAfterCompletion") == "DELETE":
            try:
                self.client.delete_schedule(Name=name, GroupName=group)
                self._done.discard(key)  # a later schedule may reuse the name
            except Exception as exc:
                log.warning("schedule %s could not be deleted: %s", key, exc)
        return True


class _Busy:
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    def __enter__(self) -> None:
        with self.scheduler._busy_lock:
            self.scheduler._busy += 1

    def __exit__(self, *exc: object) -> None:
        with self.scheduler._busy_lock:
            self.scheduler._busy -= 1
