"""Step delivery (ステップ配信): the delivery worker's path for ``kind: step`` messages (one friend, one step).

Checks in order: the previous step settled (order per friend), the ledger claim, the step and the enrollment still
current, the friend reachable and not opted out, the step's conditions; then the generic send core
(``DeliveryWorker.send_rendered``: render, send with retries, settle) and the step's actions, once.
An A/B test step sends the friend's variant (``scenarios.abtest.variant_of``, a pure function of the friend: a retry
sends the same one) and counts the friend once as its recipient after the send is recorded.
"""

from __future__ import annotations

from typing import Any

from haishin.delivery.ledger import FINAL
from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.worker import DeliveryWorker, PermanentFailure, RetryLater
from haishin.scenarios.abtest import StepAbTests, variant_of
from haishin.scenarios.conditions import evaluate
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.scenarios.models import StepContent
from haishin.scenarios.repository import ScenarioRepository
from haishin.subscribers.models import SubscriberModel
from haishin.tags.repository import TagRepository


class StepSender:
    """The ``step`` kind of ``DeliveryWorker.kinds``."""

    def __init__(self, scenarios: ScenarioRepository, enrollments: EnrollmentRepository, *, actions: Any,
                 scenario_control: Any, tags: TagRepository | None = None,
                 abtests: StepAbTests | None = None, menus: Any = None) -> None:
        self.scenarios = scenarios
        self.enrollments = enrollments
        self.actions = actions  # haishin.actions.ActionRunner: the step's actions
        self.scenario_control = scenario_control  # ScenarioService: on_fail "end_enrollment" stops the enrollment
        self.tags = tags or TagRepository()
        self.abtests = abtests  # recipients per A/B step variant (None: not counted)
        # haishin.richmenus.relink.FriendMenus: a step sent may move the friend to a scenario-step rule's menu
        # (None: no rich menu rules, unit tests of other areas; the wiring always passes it)
        self.menus = menus

    def __call__(self, worker: DeliveryWorker, message: DeliveryMessage, deadline: float,
                 stop_at: float | None = None) -> str:
        step_ref = message.step
        if step_ref is None:
            raise PermanentFailure("a step delivery without its step reference")
        ws = message.workspace_id
        subscriber_id = message.recipients[0] if message.recipients else ""
        if step_ref.after:  # per-subscriber order: the previous step must be settled first
            statuses = worker.ledger.statuses(step_ref.after)
            waiting = [d for d in step_ref.after if statuses.get(d) not in FINAL]
            if waiting:
                raise RetryLater(f"waiting for the previous step ({len(waiting)} delivery not final)")
        claim = worker.ledger.claim(message.delivery_id, lease=worker.lease, channel=message.channel, defaults={
            "workspace_id": ws, "kind": "step", "subscriber_id": subscriber_id,
            "scenario_id": step_ref.scenario_id, "step_id": step_ref.step_id})
        if claim.outcome == "final":
            assert claim.row is not None
            if claim.row.status == "failed":
                raise PermanentFailure(claim.row.error or "failed earlier")
            if claim.row.status == "sent":  # a crash after the settle: the count was perhaps not made yet
                self._count_variant(message)
            self._after_send(worker, message, claim.row.status)
            return str(claim.row.status)
        if claim.outcome == "busy":
            raise RetryLater("another worker holds this delivery")
        if claim.outcome == "unknown_outcome":
            error = "an earlier attempt stopped mid-send; not resent (email/SMS have no retry key)"
            worker.ledger.settle(message.delivery_id, None, "failed", workspace_id=ws, error=error)
            raise PermanentFailure(error)
        token = claim.token

        def skip(status: str, why: str) -> str:
            worker.ledger.settle(message.delivery_id, token, status, workspace_id=ws, error=why)
            worker.stats.skipped += 1
            return status

        try:  # the checks: any error here sent nothing, so the claim is given back (see ``give_back``)
            scenario = self.scenarios.version(ws, step_ref.scenario_id, step_ref.scenario_version)
            step = next((s for s in scenario.steps if s.id == step_ref.step_id), None)
            if step is None:
                return skip("skipped_stopped", "the step no longer exists")
            enrollment = self.enrollments.get(ws, subscriber_id, step_ref.scenario_id)
            if enrollment is None or int(enrollment.cycle) != step_ref.cycle or (
                    enrollment.status == "stopped" and enrollment.ended_at is not None
                    and (enrollment.next_step is None or int(enrollment.next_step) <= step_ref.step_index + 1)):
                return skip("skipped_stopped", f"enrollment {enrollment.status if enrollment else 'gone'}"
                            f"{': ' + enrollment.stop_reason if enrollment and enrollment.stop_reason else ''}")
            subscriber = worker.subscribers.get(ws, subscriber_id)
            if subscriber is None or subscriber.merged_into:
                return skip("skipped_no_address", "subscriber not found")
            if subscriber.unsubscribed_all or (message.channel != "none"
                                               and (subscriber.unsubscribed or {}).get(message.channel)):
                return skip("skipped_unsubscribed", "unsubscribed")
            tags = self.tags.labels(subscriber.workspace_id, subscriber.tags or set())
            if not evaluate(step.conditions, tags, dict(subscriber.fields or {})):
                if step.conditions and step.conditions.on_fail == "end_enrollment" and step_ref.run_actions:
                    self.scenario_control.stop(ws, subscriber_id, step_ref.scenario_id, reason=f"condition:{step.id}")
                return skip("skipped_condition", f"conditions of {step.id} not met")
            if message.channel == "none":
                worker.ledger.settle(message.delivery_id, token, "sent", workspace_id=ws)
                self._after_send(worker, message, "sent", subscriber=subscriber)
                return "sent"
            reachable = [c for c in step.channels if worker.address(subscriber, c, message.line_channel_id)[0]]
            if scenario.channel_mode == "first_available" and reachable and reachable[0] != message.channel:
                return skip("skipped_no_address", f"sent on {reachable[0]} instead (first_available)")
            address, status = worker.address(subscriber, message.channel, message.line_channel_id)
            if address is None:
                return skip(status, f"no {message.channel} address" if status == "skipped_no_address" else "blocked")
            variant = variant_of(step_ref.scenario_id, step, subscriber_id)
            content = self._step_content(step.id, step.content_of(variant), message.channel)
            if message.channel == "email" and scenario.email_from:
                content["email"]["from"] = scenario.email_from
            where = f"scenario {step_ref.scenario_id} v{step_ref.scenario_version} step {step.id}"
            extra: dict[str, Any] = {"scenario_id": step_ref.scenario_id, "step_id": step.id}
            if variant is not None:
                extra["variant"] = variant
        except RetryLater:
            raise
        except PermanentFailure as exc:  # e.g. a step with no content for this channel: failed for good, visibly
            worker.ledger.settle(message.delivery_id, token, "failed", workspace_id=ws, error=str(exc))
            raise
        except Exception as exc:
            raise worker.give_back(message.delivery_id, token, ws, f"step checks: {type(exc).__name__}: {exc}"
                                   ) from exc
        result = worker.send_rendered(message, subscriber, address, content, message.retry_key, token, deadline,
                                     where, extra=extra)
        if variant is not None and self.abtests is not None:
            try:
                self.abtests.count(ws, step_ref.scenario_id, step.id, variant, subscriber_id)
            except Exception as exc:  # sent and settled: the retry finds the row final and counts then (once)
                raise RetryLater(f"sent; counting the A/B recipient failed ({exc}), counted on the retry") from exc
        self._after_send(worker, message, "sent", subscriber=subscriber)
        return result

    def _count_variant(self, message: DeliveryMessage) -> None:
        """Count the recipient of an A/B step whose send was settled by an earlier attempt (idempotent)."""
        step_ref = message.step
        if step_ref is None or self.abtests is None or message.channel == "none" or not message.recipients:
            return
        scenario = self.scenarios.version(message.workspace_id, step_ref.scenario_id, step_ref.scenario_version)
        step = next((s for s in scenario.steps if s.id == step_ref.step_id), None)
        variant = None if step is None else variant_of(step_ref.scenario_id, step, message.recipients[0])
        if variant is not None:
            self.abtests.count(message.workspace_id, step_ref.scenario_id, step_ref.step_id, variant,
                               message.recipients[0])

    def _after_send(self, worker: DeliveryWorker, message: DeliveryMessage, status: str,
                    subscriber: SubscriberModel | None = None) -> None:
        """Run the step's actions once (idempotency key = delivery ID) after it was sent, then re-link the friend's
        rich menu (after the actions: a tag they add is part of what the rules read; idempotent, never raises)."""
        self._run_actions(worker, message, status)
        step_ref = message.step
        if self.menus is not None and step_ref is not None and status == "sent" and message.recipients:
            self.menus.after_step(message.workspace_id, message.recipients[0], step_ref.scenario_id)

    def _run_actions(self, worker: DeliveryWorker, message: DeliveryMessage, status: str) -> None:
        step_ref = message.step
        if step_ref is None or status != "sent" or not step_ref.run_actions:
            return
        scenario = self.scenarios.version(message.workspace_id, step_ref.scenario_id, step_ref.scenario_version)
        step = next((s for s in scenario.steps if s.id == step_ref.step_id), None)
        if step is None or not step.actions:
            return
        row = worker.ledger.get(message.delivery_id)
        if row is not None and row.actions_done:
            return
        self.actions.run(message.workspace_id, message.recipients[0], step.actions,
                         actor=f"scenario:{step_ref.scenario_id}", idempotency_key=message.delivery_id)
        worker.ledger.mark_actions_done(message.delivery_id)

    @staticmethod
    def _step_content(step_id: str, content: StepContent, channel: str) -> dict[str, Any]:
        if channel == "line":
            return {"line": content.line}
        if channel == "email" and content.email:
            return {"email": content.email.model_dump()}
        if channel == "sms" and content.sms:
            return {"sms": content.sms.model_dump()}
        raise PermanentFailure(f"step {step_id} has no {channel} content")
