"""The simulator: what a friend (real or hypothetical) would receive from a scenario, and when, without sending.

It runs the same timing code as enrollment and the tick (``timing.step_due``), the same conditions as the worker
(``conditions.evaluate``), the workspace's zone and quiet hours, and applies earlier steps' tag/field actions as the
engine would. Every rule applied is stated: late enrollment on day 0, quiet-hours moves, skipped steps, conditions,
and lateness (a step already due at ``now``, e.g. for an enrollment in the past: sent late at the next tick, after
quiet hours, or skipped under ``skip_if_late``).

Row ``outcome``: ``send`` | ``send_late`` | ``skipped`` (timing) | ``skipped_late`` | ``condition_skip`` |
``condition_end`` | ``end`` (timing ended the enrollment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from haishin.scenarios.conditions import evaluate
from haishin.scenarios.models import Scenario
from haishin.scenarios.schedule import WorkspaceRules
from haishin.scenarios.timing import QuietHours, step_due


@dataclass
class Friend:
    tags: set[str]
    fields: dict[str, Any]
    enrolled_at: datetime


def _apply_actions(actions: list[Any], friend: Friend) -> None:
    for action in actions:
        kind = getattr(action, "type", "")
        if kind == "add_tag":
            friend.tags.add(action.tag)
        elif kind == "remove_tag":
            friend.tags.discard(action.tag)
        elif kind == "set_field":
            friend.fields[action.field] = action.value


def simulate(scenario: Scenario, friend: Friend, rules: WorkspaceRules, *, now: datetime, days: int | None = None
             ) -> list[dict[str, Any]]:
    """Rows in step order until the scenario ends, or until ``days`` after enrollment."""
    horizon = friend.enrolled_at + timedelta(days=days) if days is not None else None
    tz = rules.tz
    rows: list[dict[str, Any]] = []
    previous: datetime | None = None
    for index, step in enumerate(scenario.steps):
        due = step_due(step, enrolled_at=friend.enrolled_at, previous_due=previous, fields=friend.fields, tz=tz,
                       quiet=rules.quiet)
        notes = [due.note] if due.note else []
        row: dict[str, Any] = {"index": index, "step_id": step.id, "name": step.name, "channels": step.channels,
                               "note": due.note, "notes": notes, "due": None, "due_local": None,
                               "quiet_hours_moved": False, "late_minutes": 0}
        if due.end:
            rows.append({**row, "outcome": "end"})
            break
        if due.skip or due.at is None:
            rows.append({**row, "outcome": "skipped"})
            continue
        at = due.at
        if horizon is not None and at > horizon:
            break
        before_quiet = step_due(step, enrolled_at=friend.enrolled_at, previous_due=previous, fields=friend.fields,
                                tz=tz, quiet=QuietHours()).at
        previous = at
        row.update(due=at.astimezone(UTC).isoformat(), due_local=at.astimezone(tz).isoformat(timespec="minutes"),
                   quiet_hours_moved=before_quiet is not None and before_quiet != at)
        if row["quiet_hours_moved"] and before_quiet is not None:
            row["due_before_quiet_hours_local"] = before_quiet.astimezone(tz).isoformat(timespec="minutes")
        outcome = "send"
        late = now - at
        if late >= timedelta(minutes=1):
            minutes = int(late.total_seconds() // 60)
            row["late_minutes"] = minutes
            limit = scenario.lateness.max_late_minutes
            if scenario.lateness.policy == "skip_if_late" and late > timedelta(minutes=limit):
                rows.append({**row, "outcome": "skipped_late",
                             "notes": [*notes, f"{minutes} min late > {limit}: skipped (lateness: skip_if_late)"]})
                continue
            sent_at, moved = rules.quiet.adjust(now, tz)
            outcome = "send_late"
            row["sent_at"] = sent_at.astimezone(UTC).isoformat()
            row["sent_at_local"] = sent_at.astimezone(tz).isoformat(timespec="minutes")
            notes.append(f"already due: sent at the next tick, {minutes} min late"
                         + (", after quiet hours" if moved else "") + " (lateness: send_late)")
        if not evaluate(step.conditions, friend.tags, friend.fields):
            if step.conditions and step.conditions.on_fail == "end_enrollment":
                rows.append({**row, "outcome": "condition_end", "notes": [*notes, "conditions not met: ends"]})
                break
            rows.append({**row, "outcome": "condition_skip", "notes": [*notes, "conditions not met: skipped"]})
            continue
        rows.append({**row, "outcome": outcome, "line": step.line,
                     "email": step.email.model_dump() if step.email else None,
                     "sms": step.sms.model_dump() if step.sms else None})
        _apply_actions(step.actions, friend)
    return rows
