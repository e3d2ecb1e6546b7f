"""ScenarioService: enrollment by triggers, restarts, stops and unsubscribes (implements actions.ScenarioControl).

Restart rules when the friend is already (or was) enrolled:
- ``ignore``: a friend goes through the scenario once; later triggers do nothing (an admin enrollment still restarts
  a finished one).
- ``restart``: start again from the first step (a new ``cycle``: new delivery IDs and retry keys).
- ``after_completion``: ignored while running; starts again once the previous run completed or was stopped.
Stop conditions: a trigger listed in a scenario's ``stop_on`` stops that scenario for the friend (e.g. a purchase).
Idempotent: ``on_trigger`` with the same ``idempotency_key`` enrolls at most once per scenario (a marker item in
IdempotencyTable written in the same transaction as the enrollment).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from haishin import clock
from haishin.errors import ValidationFailed
from haishin.scenarios.enrollments import EnrollmentModel, EnrollmentRepository, clear_due, enrollment_pk
from haishin.scenarios.models import Scenario, parse_scenario
from haishin.scenarios.repository import ScenarioRepository
from haishin.scenarios.schedule import WorkspaceRulesCache, plan_from
from haishin.scenarios.triggers import ROUTE_STARTED
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline

log = logging.getLogger(__name__)
# "seminar": a seat taken or moved (haishin.seminars) always (re)starts the event's reminder scenario
FORCE_TRIGGERS = frozenset({"admin", "api", "csv", "seminar"})


class ScenarioService:
    def __init__(self, scenarios: ScenarioRepository, enrollments: EnrollmentRepository,
                 subscribers: SubscriberRepository, timeline: Timeline,
                 rules: WorkspaceRulesCache | None = None) -> None:
        self.scenarios = scenarios
        self.enrollments = enrollments
        self.subscribers = subscribers
        self.timeline = timeline
        self.rules = rules or WorkspaceRulesCache()

    # ------------------------------------------------------------------ scenarios other features keep
    def save_owned(self, workspace_id: str, raw: dict[str, Any], *, actor: str) -> None:
        """Save a scenario another feature builds from its own settings (a seminar's reminders, ``id`` fixed by
        it); validated like any scenario (ValidationFailed names the step)."""
        self.scenarios.save(workspace_id, parse_scenario(raw), actor=actor)

    def delete_owned(self, workspace_id: str, scenario_id: str) -> None:
        """Remove such a scenario when its owner no longer wants it (absent already: nothing to do)."""
        if self.scenarios.get_head(workspace_id, scenario_id) is not None:
            self.scenarios.delete(workspace_id, scenario_id)

    # ------------------------------------------------------------------ triggers
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any] | None,
                   idempotency_key: str, *, enroll: bool = True) -> list[str]:
        """Apply a trigger: stop the scenarios it stops, then enroll in those it starts (unless ``enroll`` is
        False: a follow by an inflow route that replaces the friend-added scenarios). Returns enrolled IDs."""
        detail = detail or {}
        scenarios = self.scenarios.list(workspace_id, cached=True)
        for scenario in scenarios:
            if any(t.matches(trigger, detail) for t in scenario.stop_on):
                self.stop(workspace_id, subscriber_id, scenario.id, reason=f"trigger:{trigger}")
        enrolled: list[str] = []
        if not enroll:
            return enrolled
        for scenario in scenarios:
            if scenario.status != "active" or not any(t.matches(trigger, detail) for t in scenario.triggers):
                continue
            if self.enroll(workspace_id, subscriber_id, scenario, trigger=trigger,
                           idempotency_key=f"{idempotency_key}#{scenario.id}") is not None:
                enrolled.append(scenario.id)
        return enrolled

    # ------------------------------------------------------------------ ScenarioControl
    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        scenario = self.scenarios.require(workspace_id, scenario_id)
        if trigger == ROUTE_STARTED:  # scanning a QR code again never sends a running scenario back to step 1
            existing = self.enrollments.get(workspace_id, subscriber_id, scenario_id)
            if existing is not None and existing.status == "active":
                return
        self.enroll(workspace_id, subscriber_id, scenario, trigger=trigger, idempotency_key=None)

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> bool:
        item = self.enrollments.get(workspace_id, subscriber_id, scenario_id)
        if item is None or item.status != "active":
            return False
        return self._end(item, reason)

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> int:
        stopped = 0
        for item in self.enrollments.for_subscriber(workspace_id, subscriber_id):
            if item.status == "active" and self._end(item, reason):
                stopped += 1
        return stopped

    # ------------------------------------------------------------------ reading (admin)
    def enrollments_of(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        """A friend's enrollments, one per scenario, with where each stands (for stop / restart in the admin)."""
        self.subscribers.require(workspace_id, subscriber_id)
        scenarios = {s.id: s for s in self.scenarios.list(workspace_id)}
        out = []
        for item in self.enrollments.for_subscriber(workspace_id, subscriber_id):
            scenario = scenarios.get(item.scenario_id)
            steps = scenario.steps if scenario is not None else []
            index = int(item.next_step or 0)
            out.append({
                "scenario_id": item.scenario_id, "scenario_name": scenario.name if scenario else None,
                "scenario_exists": scenario is not None, "status": item.status, "cycle": int(item.cycle or 1),
                "trigger": item.trigger, "enrolled_at": item.enrolled_at.isoformat(),
                "next_step": index if item.status == "active" else None,
                "next_step_name": (steps[index].name or steps[index].id or None)
                if item.status == "active" and index < len(steps) else None,
                "steps": len(steps),
                "next_due_at": item.next_due_at.isoformat() if item.next_due_at else None,
                "stop_reason": item.stop_reason,
                "ended_at": item.ended_at.isoformat() if item.ended_at else None,
                "notes": list(item.notes or []),
            })
        return sorted(out, key=lambda e: e["enrolled_at"], reverse=True)

    def enrollment_counts(self, workspace_id: str, scenario_id: str) -> dict[str, Any]:
        """Friends per status, and how many active ones wait at each step (their next step). Read, not counted
        as they go: the workspace's friends (the shard scan of a segment count) and their enrollment in this
        scenario (BatchGetItem); docs/production/api-coverage.md says why."""
        scenario = self.scenarios.require(workspace_id, scenario_id)
        friends = self.subscribers.ids_where(workspace_id, [], lambda row: True)
        by_status = {"active": 0, "completed": 0, "stopped": 0}
        waiting: dict[int, int] = {}
        for item in self.enrollments.of_scenario(workspace_id, scenario_id, friends):
            by_status[item.status] = by_status.get(item.status, 0) + 1
            if item.status == "active":
                waiting[int(item.next_step or 0)] = waiting.get(int(item.next_step or 0), 0) + 1
        steps = [{"index": i, "step_id": step.id, "name": step.name, "waiting": waiting.pop(i, 0)}
                 for i, step in enumerate(scenario.steps)]
        # an enrollment on an older version may wait at an index the current version no longer has
        steps += [{"index": i, "step_id": None, "name": None, "waiting": n} for i, n in sorted(waiting.items())]
        return {"scenario_id": scenario.id, "name": scenario.name, "total": sum(by_status.values()),
                **by_status, "steps": steps}

    # ------------------------------------------------------------------ unsubscribe
    def unsubscribe(self, workspace_id: str, subscriber_id: str, scenario_id: str | None, *, reason: str
                    ) -> int:
        """配信停止 for one scenario (scenario_id) or 全シナリオ解除 (None: every scenario of this friend)."""
        if scenario_id is not None:
            return int(self.stop(workspace_id, subscriber_id, scenario_id, reason=f"unsubscribed:{reason}"))
        return self.stop_all(workspace_id, subscriber_id, reason=f"unsubscribed:{reason}")

    # ------------------------------------------------------------------ enrollment
    def enroll(self, workspace_id: str, subscriber_id: str, scenario: Scenario, *, trigger: str,
               idempotency_key: str | None, now: datetime | None = None) -> EnrollmentModel | None:
        now = now or clock.now()
        existing = self.enrollments.get(workspace_id, subscriber_id, scenario.id)
        if existing is not None and not self._may_enroll(scenario, existing, trigger):
            return None
        pk = enrollment_pk(workspace_id, subscriber_id)
        item = EnrollmentModel(
            pk, scenario.id, workspace_id=workspace_id, subscriber_id=subscriber_id, scenario_id=scenario.id,
            scenario_version=scenario.version, status="active",
            cycle=(existing.cycle + 1) if existing else 1, seq=(existing.seq + 1) if existing else 0,
            enrolled_at=now, trigger=trigger, next_step=0, last_delivery_ids=[], notes=[], updated_at=now,
        )
        rules = self.rules.get(workspace_id)
        notes = plan_from(item, scenario, 0, previous_due=None, rules=rules, now=now,
                          fields=lambda: dict(self.subscribers.require(workspace_id, subscriber_id).fields or {}))
        item.notes = notes
        if not self.enrollments.enroll(item, previous_seq=None if existing is None else int(existing.seq),
                                       idempotency_key=idempotency_key, now=now):
            return None  # the same trigger already enrolled, or a concurrent enrollment won
        self.timeline.append(workspace_id, subscriber_id, "enrolled",
                             {"scenario_id": scenario.id, "version": scenario.version, "cycle": item.cycle,
                              "trigger": trigger, "notes": notes},
                             actor=f"scenario:{scenario.id}", at=now, entry_id=f"enr#{scenario.id}#{item.cycle}")
        return item

    def enroll_by_operator(self, workspace_id: str, subscriber_id: str, scenario: Scenario, *,
                           idempotency_key: str | None) -> EnrollmentModel | None:
        """An operator starts (or restarts) this friend's scenario by hand. A draft or paused scenario sends
        nothing (the tick puts its steps off), so starting one would look done and deliver nothing until someone
        activates it, maybe days later: refused at the scenario."""
        if scenario.status != "active":
            raise ValidationFailed("このシナリオは配信中ではありません(下書き・停止中)。"
                                   "シナリオを「配信中」にしてから開始してください", where="scenario_id")
        return self.enroll(workspace_id, subscriber_id, scenario, trigger="admin", idempotency_key=idempotency_key)

    @staticmethod
    def _may_enroll(scenario: Scenario, existing: EnrollmentModel, trigger: str) -> bool:
        if scenario.restart == "restart":
            return True
        if existing.status == "active":
            return False
        if scenario.restart == "after_completion":
            return True
        return trigger in FORCE_TRIGGERS  # "ignore": once, unless an operator enrolls again on purpose

    def _end(self, item: EnrollmentModel, reason: str) -> bool:
        now = clock.now()
        read_seq = int(item.seq)
        item.status = "stopped"
        item.stop_reason = reason
        item.ended_at = now
        item.updated_at = now
        clear_due(item)
        if not self.enrollments.save_if_unchanged(item, read_seq=read_seq):
            fresh = self.enrollments.get(item.workspace_id, item.subscriber_id, item.scenario_id)
            if fresh is None or fresh.status != "active":
                return False
            return self._end(fresh, reason)
        self.timeline.append(item.workspace_id, item.subscriber_id, "scenario_stopped",
                             {"scenario_id": item.scenario_id, "reason": reason, "cycle": item.cycle},
                             actor="system", at=now, entry_id=f"stop#{item.scenario_id}#{item.cycle}")
        return True
