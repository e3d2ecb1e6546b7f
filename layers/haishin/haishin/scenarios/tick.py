"""The step tick: every minute, enqueue what is due, from time-bucketed due pointers, with a catch-up watermark.

- Reads only the due pointer buckets from ``watermark + 1 minute`` up to the current minute (at most
  ``max_minutes`` per run, e.g. 8 h after an outage; the rest continues next tick), every shard, items due at or before
  now: cost grows with what is due, never with everything enrolled. The pointers are base-table items read with
  ConsistentRead and each enrollment is re-read consistently, so a step due at 09:00 is seen by the 09:00 tick.
- The watermark (WorkspaceTable pk ``system`` sk ``step_tick_watermark``) is the last minute fully processed: the
  minute before the current one (the current minute can still receive pointers, e.g. an "immediately" step enrolled
  later in it; the next tick reads it again) and never past a minute where an enqueue failed.
- Per due enrollment: lateness policy (``skip_if_late`` measured at the moment the tick sees the step), then quiet
  hours at send time (a step found inside quiet hours moves to the window's end), then the per-friend frequency cap,
  then the ledger ``enqueued`` row(s), the SQS messages (10 per SendMessageBatch), and finally the conditional advance
  (``seq``) to the next step. The next step is never bucketed before the next minute, so one enrollment moves at most
  one step per tick and per-subscriber order holds; the worker also waits for the previous step's deliveries.
- Each enrollment is isolated: one whose handling raises is counted (``errors``), logged, and moved to a later minute
  (same due time, growing backoff) where it is retried; the others and the watermark go on without it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from haishin import clock
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import DeliveryMessage, StepRef, step_delivery_id, step_retry_key
from haishin.delivery.queue import DeliverySender
from haishin.errors import NotFound
from haishin.scenarios.enrollments import DUE_SHARDS, EnrollmentModel, EnrollmentRepository, minutes_between, set_due
from haishin.scenarios.models import Scenario
from haishin.scenarios.repository import ScenarioRepository
from haishin.scenarios.schedule import WorkspaceRulesCache, next_tick_minute, plan_from
from haishin.scenarios.timing import floor_minute, minute_key
from haishin.storage.base import iso
from haishin.subscribers.repository import SubscriberRepository

log = logging.getLogger(__name__)
PAUSED_RECHECK = timedelta(minutes=60)
TICK_ERROR_NOTE = "tick error"


@dataclass
class TickReport:
    minutes: int = 0
    items_read: int = 0
    enqueued: int = 0
    skipped_late: int = 0
    moved_quiet: int = 0
    capped: int = 0
    raced: int = 0
    failed: int = 0
    errors: int = 0  # enrollments whose handling raised: logged, moved to a later minute and retried there
    watermark: str | None = None
    caught_up: bool = True
    queries: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    item: EnrollmentModel
    scenario: Scenario
    messages: list[DeliveryMessage]
    delivery_ids: list[str]


class StepTick:
    def __init__(self, scenarios: ScenarioRepository, enrollments: EnrollmentRepository, ledger: Ledger,
                 sender: DeliverySender, subscribers: SubscriberRepository,
                 rules: WorkspaceRulesCache | None = None, *, max_minutes: int = 480,
                 initial_lookback: timedelta = timedelta(hours=1),
                 batch: int = 10) -> None:
        self.scenarios = scenarios
        self.enrollments = enrollments
        self.ledger = ledger
        self.sender = sender
        self.subscribers = subscribers
        self.rules = rules or WorkspaceRulesCache()
        self.max_minutes = max_minutes
        self.initial_lookback = initial_lookback
        self.batch = batch

    # ------------------------------------------------------------------ watermark
    def watermark(self) -> datetime | None:
        return self.enrollments.tick_watermark()

    def _save_watermark(self, minute: datetime) -> None:
        self.enrollments.save_tick_watermark(minute)

    # ------------------------------------------------------------------ run
    def run(self, *, deadline: float | None = None) -> TickReport:
        """One tick. ``deadline``: a ``time.monotonic()`` value to stop before (the Lambda's remaining time)."""
        report = TickReport()
        now = clock.now()
        current = floor_minute(now)
        watermark = self.watermark() or (current - self.initial_lookback)
        first = watermark + timedelta(minutes=1)
        last = min(current, first + timedelta(minutes=self.max_minutes - 1))
        done_limit = current - timedelta(minutes=1)  # the current minute stays open: pointers can still land in it
        new_watermark = watermark
        seen: set[str] = set()
        for minute in minutes_between(first, last) if first <= last else []:
            report.minutes += 1
            failures_before = report.failed
            pending: list[_Pending] = []
            for shard in range(DUE_SHARDS):
                report.queries += 1
                for item in self.enrollments.due_in_bucket(minute, shard, until=now):
                    report.items_read += 1
                    if item.key in seen:
                        continue
                    seen.add(item.key)
                    seq = int(item.seq)
                    try:
                        self._handle(item, now, pending, report)
                    except Exception:
                        self._isolate(item, seq, now, report)
                    if len(pending) >= self.batch:
                        self._flush(pending, now, report)
            self._flush(pending, now, report)
            if report.failed == failures_before and minute <= done_limit and new_watermark == minute - timedelta(
                    minutes=1):
                new_watermark = minute
            if deadline is not None and time.monotonic() > deadline:
                report.caught_up = False
                break
        if last < current:
            report.caught_up = False
        if new_watermark != watermark:
            self._save_watermark(new_watermark)
        report.watermark = minute_key(new_watermark)
        return report

    def send_due_now(self, items: list[EnrollmentModel]) -> TickReport:
        """The tick's own work for enrollments already due, done now rather than at the next minute: an event that
        started a scenario whose first step is "immediately" (a form answer, a payment, a keyword whose reply token
        another answer used). Same lateness, quiet hours, daily cap, ledger rows, queue and advance, conditional on
        ``seq``, so the tick that later reads their pointers finds them moved on; the ledger guards a race."""
        report = TickReport()
        now = clock.now()
        pending: list[_Pending] = []
        for item in items:
            if item.status != "active" or item.next_due_at is None or item.next_due_at > now:
                continue
            seq = int(item.seq)
            try:
                self._handle(item, now, pending, report)
            except Exception:
                self._isolate(item, seq, now, report)
        self._flush(pending, now, report)
        return report

    # ------------------------------------------------------------------ one enrollment
    def _handle(self, item: EnrollmentModel, now: datetime, pending: list[_Pending], report: TickReport) -> None:
        if item.status != "active" or item.next_due_at is None:
            return  # defensive: the repository yields only enrollments that name the pointer read
        try:
            scenario = self.scenarios.version(item.workspace_id, item.scenario_id, int(item.scenario_version))
        except NotFound:
            log.warning("enrollment %s points at a missing scenario version", item.key)
            return
        rules = self.rules.get(item.workspace_id)
        index = int(item.next_step)
        if index >= len(scenario.steps):
            self._advance(item, scenario, [], now, report)
            return
        head = next((s for s in self.scenarios.list(item.workspace_id, cached=True) if s.id == item.scenario_id),
                    None)
        if head is None or head.status != "active":
            self._reschedule(item, item.next_due_at, now + PAUSED_RECHECK, now, report, "scenario paused")
            return
        step = scenario.steps[index]
        due = item.next_due_at
        channels = step.channels or ["none"]
        # 1. lateness, as seen now (before quiet hours move anything)
        late = now - due
        if scenario.lateness.policy == "skip_if_late" and late > timedelta(minutes=scenario.lateness.max_late_minutes):
            ids_ = []
            for channel in channels:
                delivery_id = step_delivery_id(item.pk, item.scenario_id, int(item.cycle), step.id, channel)
                self.ledger.record_enqueued(
                    delivery_id=delivery_id, workspace_id=item.workspace_id, kind="step", channel=channel,
                    subscriber_id=item.subscriber_id, scheduled_at=due, scenario_id=item.scenario_id,
                    step_id=step.id, status="skipped_late",
                    error=f"{int(late.total_seconds() // 60)} min late > {scenario.lateness.max_late_minutes}")
                ids_.append(delivery_id)
            report.skipped_late += 1
            self._advance(item, scenario, ids_, now, report)
            return
        # 2. quiet hours at send time
        moved, was_moved = rules.quiet.adjust(now, rules.tz)
        if was_moved:
            report.moved_quiet += 1
            self._reschedule(item, moved, moved, now, report, f"{step.id}: found in quiet hours, moved to {iso(moved)}")
            return
        # 3. frequency cap per friend per local day
        if rules.frequency_cap_per_day and step.channels:
            local_day = now.astimezone(rules.tz).date()
            if not self.ledger.take_cap(item.workspace_id, item.subscriber_id, local_day.isoformat(),
                                        rules.frequency_cap_per_day):
                report.capped += 1
                tomorrow = datetime.combine(local_day + timedelta(days=1), datetime.min.time(), tzinfo=rules.tz)
                at, _ = rules.quiet.adjust(tomorrow, rules.tz)
                self._reschedule(item, at, at, now, report, f"{step.id}: daily cap reached, moved to {iso(at)}")
                return
        # 4. ledger rows + messages
        messages: list[DeliveryMessage] = []
        delivery_ids: list[str] = []
        for position, channel in enumerate(channels):
            delivery_id = step_delivery_id(item.pk, item.scenario_id, int(item.cycle), step.id, channel)
            delivery_ids.append(delivery_id)
            needed = self.ledger.record_enqueued(
                delivery_id=delivery_id, workspace_id=item.workspace_id, kind="step", channel=channel,
                subscriber_id=item.subscriber_id, scheduled_at=due, scenario_id=item.scenario_id, step_id=step.id)
            if not needed:
                continue
            messages.append(DeliveryMessage(
                kind="step", workspace_id=item.workspace_id, delivery_id=delivery_id,
                retry_key=step_retry_key(item.pk, item.scenario_id, int(item.cycle), step.id, channel),
                channel=channel, recipients=[item.subscriber_id],
                content_ref={"type": "scenario_step", "scenario_id": item.scenario_id,
                             "version": int(item.scenario_version), "step_id": step.id},
                line_channel_id=scenario.line_channel_id if channel == "line" else None,
                scheduled_at=iso(due), enqueued_at=iso(now),
                step=StepRef(scenario_id=item.scenario_id, scenario_version=int(item.scenario_version),
                             step_id=step.id, step_index=index, enrollment_pk=item.pk, enrollment_sk=item.sk,
                             cycle=int(item.cycle), after=list(item.last_delivery_ids or []),
                             run_actions=position == 0),
            ))
        pending.append(_Pending(item, scenario, messages, delivery_ids))

    def _flush(self, pending: list[_Pending], now: datetime, report: TickReport) -> None:
        if not pending:
            return
        messages = [m for p in pending for m in p.messages]
        try:
            failed = self.sender.send(messages) if messages else set()
        except Exception:
            log.exception("enqueue failed; %d enrollments stay due", len(pending))
            failed = {m.delivery_id for m in messages}
        for entry in pending:
            if any(m.delivery_id in failed for m in entry.messages):
                report.failed += 1  # stays due; the watermark stops here and the next tick retries
                continue
            report.enqueued += len(entry.messages)
            seq = int(entry.item.seq)
            try:
                self._advance(entry.item, entry.scenario, entry.delivery_ids, now, report)
            except Exception:  # the messages are queued (the ledger guards a repeat); only the advance is retried
                self._isolate(entry.item, seq, now, report)
        pending.clear()

    def _isolate(self, item: EnrollmentModel, seq: int, now: datetime, report: TickReport) -> None:
        """One enrollment failed: count and log it, and move it (re-read, unchanged due time) to a later minute with
        a growing backoff, so it is retried there and neither the other enrollments nor the watermark wait for it.
        Only if even that fails does the minute count as failed (the watermark then stays and the next tick
        re-reads the minute)."""
        report.errors += 1
        log.exception("step tick: enrollment %s failed; retried later", item.key)
        try:
            fresh = self.enrollments.get(item.workspace_id, item.subscriber_id, item.scenario_id)
            if fresh is None or int(fresh.seq) != seq or fresh.status != "active" or fresh.next_due_at is None:
                return  # changed meanwhile (stopped, advanced by another run): nothing to retry
            streak = 0
            for note in reversed(list(fresh.notes or [])):
                if not str(note).startswith(TICK_ERROR_NOTE):
                    break
                streak += 1
            backoff = timedelta(minutes=min(60, 2 ** streak))
            retry_at = next_tick_minute(now) + backoff
            self._reschedule(fresh, fresh.next_due_at, retry_at, now, report,
                             f"{TICK_ERROR_NOTE} at {iso(now)}, retried from {iso(retry_at)}")
        except Exception:
            log.exception("step tick: could not move enrollment %s; the minute is retried", item.key)
            report.failed += 1

    def advance(self, item: EnrollmentModel, scenario: Scenario, delivery_ids: list[str], now: datetime) -> bool:
        """Move an enrollment past the step just sent (``delivery_ids``) as a tick does: the next step planned from
        this one, bucketed no earlier than the next minute, conditional on ``seq`` (False: something else moved it
        first). Used by the events consumer after sending an "immediately" first step on a reply token."""
        report = TickReport()
        self._advance(item, scenario, delivery_ids, now, report)
        return report.raced == 0

    def _advance(self, item: EnrollmentModel, scenario: Scenario, delivery_ids: list[str], now: datetime,
                 report: TickReport) -> None:
        previous_seq = int(item.seq)
        previous_due = item.next_due_at
        item.prev_due_at = previous_due
        item.last_delivery_ids = delivery_ids or list(item.last_delivery_ids or [])
        rules = self.rules.get(item.workspace_id)
        notes = plan_from(item, scenario, int(item.next_step) + 1, previous_due=previous_due, rules=rules, now=now,
                          min_bucket=next_tick_minute(now),
                          fields=lambda: dict(self.subscribers.require(item.workspace_id, item.subscriber_id).fields
                                              or {}))
        if notes:
            item.notes = (list(item.notes or []) + notes)[-20:]
        self._save(item, previous_seq, now, report)

    def _reschedule(self, item: EnrollmentModel, due: datetime, bucket: datetime, now: datetime,
                    report: TickReport, note: str) -> None:
        previous_seq = int(item.seq)
        set_due(item, due, now, bucket_at=max(bucket, next_tick_minute(now)))
        item.notes = ([*list(item.notes or []), note])[-20:]
        self._save(item, previous_seq, now, report)

    def _save(self, item: EnrollmentModel, previous_seq: int, now: datetime, report: TickReport) -> None:
        item.updated_at = now
        if not self.enrollments.save_if_unchanged(item, read_seq=previous_seq):
            report.raced += 1  # another tick, a stop or a restart changed it first; the ledger guards any duplicate


def describe(report: TickReport) -> dict[str, Any]:
    return dict(report.__dict__)
