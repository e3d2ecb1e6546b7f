"""A scenario's "immediately" first step, sent at once on the reply token of the LINE event that started it.

The step tick would send it at the next minute (up to a minute later, and by push, which counts against the shop's
monthly LINE quota); the event's reply token is free but single use and valid for about a minute. So the events
consumer, right after the trigger enrolled the friend, hands the enrollment here:

- only an active enrollment of that trigger whose next step is its first (index 0), due now (not moved by quiet
  hours), LINE only, in a workspace without a daily frequency cap (the tick keeps the cap's bookkeeping);
- the step's delivery is exactly the one the tick would make: the same deterministic delivery ID and retry key, the
  same ledger row (``record_enqueued``), sent by the worker's step sender (the same claim, checks, render, settle and
  actions); the message only carries the reply token in-process. A refused token (used/expired) -> the same messages
  by push with the same retry key, once. The ledger row records ``via``;
- retryable trouble (LINE 5xx beyond the budget, another holder) -> the message goes on the delivery queue as the tick
  would have put it, and the worker finishes it by push;
- then the enrollment advances exactly as the tick's does (``StepTick.advance``: next step planned from this one,
  conditional on ``seq``), so the tick neither resends step 1 nor skips step 2. A tick that got there first wins the
  conditional write and this advance is a no-op; the ledger row makes the send itself happen once either way.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from haishin import clock
from haishin.delivery.messages import DeliveryMessage, ReplyLead, StepRef, step_delivery_id, step_retry_key
from haishin.delivery.queue import DeliverySender
from haishin.delivery.worker import DeliveryWorker, PermanentFailure, RetryLater
from haishin.errors import NotFound
from haishin.scenarios.enrollments import EnrollmentModel, EnrollmentRepository
from haishin.scenarios.models import Scenario
from haishin.scenarios.repository import ScenarioRepository
from haishin.scenarios.schedule import WorkspaceRulesCache
from haishin.scenarios.tick import StepTick
from haishin.storage.base import iso

log = logging.getLogger(__name__)


class FirstStepsNow:
    """The "immediately" first steps an event just started, handed at once to the tick's own per-enrollment work
    (queued now, sent by the delivery worker within seconds, by push) instead of waiting for the next minute: for
    events with no reply token (a form answer, a payment) and for steps a reply cannot carry (e-mail, SMS, a daily
    cap to count, quiet hours to respect)."""

    def __init__(self, enrollments: EnrollmentRepository, tick: StepTick) -> None:
        self.enrollments = enrollments
        self.tick = tick

    def started(self, workspace_id: str, subscriber_id: str, trigger: str | tuple[str, ...], now: datetime
                ) -> list[EnrollmentModel]:
        """Active enrollments of ``trigger`` (or of any of several) waiting for their first step, due now."""
        triggers = (trigger,) if isinstance(trigger, str) else trigger
        return [item for item in self.enrollments.for_subscriber(workspace_id, subscriber_id)
                if item.status == "active" and item.trigger in triggers and item.next_step is not None
                and int(item.next_step) == 0 and item.next_due_at is not None and item.next_due_at <= now]

    def queue(self, workspace_id: str, subscriber_id: str, *, trigger: str | tuple[str, ...]) -> int:
        """Queue now every first step ``trigger`` started that is due; returns how many messages were queued."""
        items = self.started(workspace_id, subscriber_id, trigger, clock.now())
        return self.tick.send_due_now(items).enqueued if items else 0


class InstantFirstSteps:
    def __init__(self, scenarios: ScenarioRepository, enrollments: EnrollmentRepository, worker: DeliveryWorker,
                 sender: DeliverySender, tick: StepTick, rules: WorkspaceRulesCache, now: FirstStepsNow) -> None:
        self.scenarios = scenarios
        self.enrollments = enrollments
        self.worker = worker
        self.sender = sender
        self.tick = tick
        self.rules = rules
        self.now = now

    def answer(self, workspace_id: str, subscriber_id: str, *, trigger: str | tuple[str, ...], line_channel_id: str,
               reply_token: str | None, lead: ReplyLead | None = None) -> list[str]:
        """Send every "immediately" first step this trigger's enrollments wait for. Returns the ledger statuses
        (``sent``, ``skipped_*``, ``queued`` when handed to the worker). ``lead`` (the greeting) rides ahead of the
        first step actually sent, in the same reply; ``lead.via`` says whether it went out (else it is the
        caller's to send)."""
        now = clock.now()
        outcomes: list[str] = []
        by_tick: list[EnrollmentModel] = []
        for item in self.now.started(workspace_id, subscriber_id, trigger, now):
            scenario = self._eligible(item, line_channel_id, now)
            if scenario is None:
                by_tick.append(item)  # no reply can carry it: queued now by the tick's own work, by push
                continue
            outcomes.append(self._send(item, scenario, reply_token, now,
                                       lead if lead is not None and lead.via is None else None))
        if by_tick:
            self.tick.send_due_now(by_tick)
            outcomes.extend("queued" for _ in by_tick)
        return outcomes

    def _eligible(self, item: EnrollmentModel, line_channel_id: str, now: datetime) -> Scenario | None:
        """Whether this first step can ride the event's reply: LINE only, on the event's channel, with no daily
        cap to count and outside quiet hours (the tick's work handles those)."""
        try:
            scenario = self.scenarios.version(item.workspace_id, item.scenario_id, int(item.scenario_version))
        except NotFound:
            return None
        if not scenario.steps or scenario.steps[0].channels != ["line"]:
            return None
        if scenario.line_channel_id and scenario.line_channel_id != line_channel_id:
            return None  # the reply token belongs to another official account
        rules = self.rules.get(item.workspace_id)
        if rules.frequency_cap_per_day or rules.quiet.adjust(now, rules.tz)[1]:
            return None
        return scenario

    def _send(self, item: EnrollmentModel, scenario: Scenario, reply_token: str | None, now: datetime,
              lead: ReplyLead | None) -> str:
        step = scenario.steps[0]
        cycle = int(item.cycle)
        delivery_id = step_delivery_id(item.pk, item.scenario_id, cycle, step.id, "line")
        due = item.next_due_at
        self.worker.ledger.record_enqueued(
            delivery_id=delivery_id, workspace_id=item.workspace_id, kind="step", channel="line",
            subscriber_id=item.subscriber_id, scheduled_at=due, scenario_id=item.scenario_id, step_id=step.id)
        message = DeliveryMessage(
            kind="step", workspace_id=item.workspace_id, delivery_id=delivery_id,
            retry_key=step_retry_key(item.pk, item.scenario_id, cycle, step.id, "line"),
            channel="line", recipients=[item.subscriber_id],
            content_ref={"type": "scenario_step", "scenario_id": item.scenario_id,
                         "version": int(item.scenario_version), "step_id": step.id},
            line_channel_id=scenario.line_channel_id, scheduled_at=iso(due) if due else None,
            enqueued_at=iso(now),
            step=StepRef(scenario_id=item.scenario_id, scenario_version=int(item.scenario_version), step_id=step.id,
                         step_index=0, enrollment_pk=item.pk, enrollment_sk=item.sk, cycle=cycle,
                         after=list(item.last_delivery_ids or []), run_actions=True),
        )
        # Always through the claim, even when the row existed (a redelivered event, a tick that got there first):
        # a final row is not sent again, a held one is "busy" and goes to the queue, where it settles once.
        try:
            outcome = self.worker.process(replace(message, reply_token=reply_token, reply_lead=lead))
        except PermanentFailure as exc:  # settled failed (error log); the tick's path would do the same
            log.warning("the first step of %s failed for good: %s", item.key, exc)
            outcome = "failed"
        except RetryLater as exc:  # the worker finishes it by push, from the queue, as for the tick
            log.info("the first step of %s goes to the delivery queue: %s", item.key, exc)
            if self.sender.send([message]):
                raise  # not even queued: the event is retried (its steps done so far are not repeated)
            outcome = "queued"
        self.tick.advance(item, scenario, [delivery_id], now)
        return outcome
