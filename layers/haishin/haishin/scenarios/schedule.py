"""Planning an enrollment's next step (shared by enrollment, the tick and the simulator) and workspace settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin.config import settings
from haishin.scenarios.enrollments import EnrollmentModel, clear_due, set_due
from haishin.scenarios.models import RelativeToDate, Scenario
from haishin.scenarios.timing import QuietHours, floor_minute, step_due
from haishin.workspaces.models import WorkspaceModel

_TTL_S = 60.0


@dataclass(frozen=True)
class WorkspaceRules:
    time_zone: str
    quiet: QuietHours
    frequency_cap_per_day: int = 0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class WorkspaceRulesCache:
    """Time zone, quiet hours and cap per workspace, cached for a minute per container."""

    def __init__(self, loader: Callable[[str], WorkspaceRules] | None = None) -> None:
        self._loader = loader or load_workspace_rules
        self._cache: dict[str, tuple[float, WorkspaceRules]] = {}
        self._lock = threading.Lock()

    def get(self, workspace_id: str) -> WorkspaceRules:
        with self._lock:
            hit = self._cache.get(workspace_id)
        if hit and time.monotonic() - hit[0] < _TTL_S:
            return hit[1]
        rules = self._loader(workspace_id)
        with self._lock:
            self._cache[workspace_id] = (time.monotonic(), rules)
        return rules


def load_workspace_rules(workspace_id: str) -> WorkspaceRules:
    try:
        ws = WorkspaceModel.get(*WorkspaceModel.key(workspace_id))
    except WorkspaceModel.DoesNotExist:
        return WorkspaceRules(settings().default_time_zone, QuietHours())
    return WorkspaceRules(ws.time_zone or settings().default_time_zone,
                          QuietHours.parse(ws.quiet_hours_start, ws.quiet_hours_end),
                          int(ws.frequency_cap_per_day or 0))


def plan_from(item: EnrollmentModel, scenario: Scenario, start_index: int, *, previous_due: datetime | None,
              fields: Callable[[], dict[str, Any]], rules: WorkspaceRules, now: datetime,
              min_bucket: datetime | None = None) -> list[str]:
    """Set ``item`` to wait for the first step from ``start_index`` that applies (skipping those whose timing says
    skip), or complete/end it. Returns notes explaining skips and moves."""
    notes: list[str] = []
    cached: dict[str, Any] | None = None
    index = start_index
    while index < len(scenario.steps):
        step = scenario.steps[index]
        step_fields: dict[str, Any] = {}
        if isinstance(step.timing, RelativeToDate):
            if cached is None:
                cached = fields()
            step_fields = cached
        due = step_due(step, enrolled_at=item.enrolled_at, previous_due=previous_due, fields=step_fields,
                       tz=rules.tz, quiet=rules.quiet, planned_at=now)
        if due.note:
            notes.append(f"{step.id}: {due.note}")
        if due.end:
            item.status = "stopped"
            item.stop_reason = f"{step.id}: {due.note}"
            item.ended_at = now
            clear_due(item)
            return notes
        if due.skip or due.at is None:
            index += 1
            continue
        item.next_step = index
        bucket = due.at
        if min_bucket is not None and floor_minute(bucket) < min_bucket:
            bucket = min_bucket
        set_due(item, due.at, now, bucket_at=bucket)
        return notes
    item.status = "completed"
    item.ended_at = now
    item.next_step = len(scenario.steps)
    clear_due(item)
    return notes


def next_tick_minute(now: datetime) -> datetime:
    return floor_minute(now) + timedelta(minutes=1)
