"""The delivery worker's domain: one delivery message in, at most one send per recipient out, the ledger settled.

Outcomes of ``process``: a ledger status string (the message is done: delete it), or an exception:
- ``RetryLater``: retryable trouble (LINE 5xx/timeout/429 beyond the in-invocation budget, the previous step not yet
  final, another worker holding the lease); the message stays failed in the batch response and SQS retries it.
- ``HandBack`` (a ``RetryLater``): the Lambda's time (``stop_at``, from the handler's context) ran short before
  every recipient was sent; the message is failed back to SQS and visible again at once.
- ``PermanentFailure``: recorded as ``failed`` in the ledger (with the reason, in the error log) and left failed so
  the redrive policy moves it to the DLQ, where the admin shows it and an operator can replay it.
Never reports success for a message it did not send: 409 on the retry key counts as sent (LINE accepted it earlier).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from haishin import clock
from haishin.delivery.channels import ChannelError, EmailSender, SmsSender, unsubscribe_headers
from haishin.delivery.ledger import FINAL, Ledger
from haishin.delivery.messages import DeliveryMessage, recipient_retry_key
from haishin.errors import HaishinError
from haishin.line.client import LineApiError
from haishin.phone import to_e164
from haishin.render import Renderer, RenderError, is_personalised, variables_for
from haishin.retry import BudgetSpent, with_backoff
from haishin.scenarios.conditions import evaluate
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.scenarios.models import Step
from haishin.scenarios.repository import ScenarioRepository
from haishin.subscribers.models import SubscriberModel
from haishin.subscribers.repository import SubscriberRepository
from haishin.tags.repository import TagRepository
from haishin.timeline.models import Timeline

log = logging.getLogger(__name__)
HAND_BACK_MARGIN_S = 15.0  # left of the invocation when the worker stops sending (settle, visibility, response)


class RetryLater(Exception):
    pass


class HandBack(RetryLater):
    """The invocation is about to time out: the unsent rest of this message goes back to SQS at once. Whatever was
    already sent is final in the ledger (per-recipient rows) or keyed (LINE retry keys), so the redelivery sends
    only the rest."""


class PermanentFailure(Exception):
    pass


def _retryable_send(error: Exception) -> bool:
    """LINE 429/5xx/timeouts (the retry key makes a repeat harmless) and SES/SNS errors that certainly sent nothing."""
    return isinstance(error, LineApiError | ChannelError) and error.retryable


ContentResolver = Callable[[DeliveryMessage], dict[str, Any]]
_resolvers: dict[str, ContentResolver] = {}


def register_resolver(ref_type: str, resolver: ContentResolver) -> None:
    """Broadcasts (or others) register how their ``content_ref`` type turns into content."""
    _resolvers[ref_type] = resolver


@dataclass
class WorkerStats:
    sent: int = 0
    skipped: int = 0
    retries: int = 0
    already_accepted: int = 0


class DeliveryWorker:
    def __init__(self, *, ledger: Ledger, subscribers: SubscriberRepository, enrollments: EnrollmentRepository,
                 scenarios: ScenarioRepository, line_clients: Any, renderer: Renderer, timeline: Timeline,
                 email: EmailSender | None = None, sms: SmsSender | None = None, actions: Any = None,
                 scenario_control: Any = None, retry_budget_s: float = 8.0,
                 lease: timedelta = timedelta(minutes=3), sleep: Callable[[float], None] = time.sleep,
                 email_from: str = "no-reply@example.com", optout: Any = None) -> None:
        self.ledger = ledger
        self._optout = optout  # haishin.optout.service.OptOutService: signs the /u/ 配信停止 URL
        self.subscribers = subscribers
        self.enrollments = enrollments
        self.scenarios = scenarios
        self.line_clients = line_clients
        self.renderer = renderer
        self.timeline = timeline
        self.email = email
        self.sms = sms
        self.actions = actions
        self.scenario_control = scenario_control
        self.retry_budget_s = retry_budget_s
        self.lease = lease
        self.sleep = sleep
        self.monotonic: Callable[[], float] = time.monotonic
        self.email_from = email_from
        self.stats = WorkerStats()

    # ------------------------------------------------------------------ entry
    def stop_at(self, remaining_ms: int, *, margin_s: float = HAND_BACK_MARGIN_S) -> float:
        """The moment (on ``self.monotonic``) to stop sending, from the invocation's remaining time (the handler
        passes Lambda's ``context.get_remaining_time_in_millis()``), leaving ``margin_s`` to settle and hand back."""
        return self.monotonic() + remaining_ms / 1000 - margin_s

    def time_up(self, stop_at: float | None) -> bool:
        return stop_at is not None and self.monotonic() >= stop_at

    def process(self, message: DeliveryMessage, *, budget_s: float | None = None, stop_at: float | None = None
                ) -> str:
        """``stop_at``: stop before starting another send after this moment (``stop_at()``) and hand the rest back."""
        if self.time_up(stop_at):
            raise HandBack("the invocation is about to time out; not started")
        deadline = self.monotonic() + min(self.retry_budget_s, budget_s if budget_s is not None else 1e9)
        if stop_at is not None:
            deadline = min(deadline, stop_at)
        if message.kind == "step":
            return self._step(message, deadline)
        from haishin.broadcasts.send import is_planned_batch, send_planned_batch  # noqa: PLC0415

        if is_planned_batch(message):  # batches from the broadcast planner (addresses and groups resolved)
            return send_planned_batch(self, message, deadline, stop_at=stop_at)
        return self._broadcast(message, deadline, stop_at=stop_at)

    # ------------------------------------------------------------------ steps
    def _step(self, message: DeliveryMessage, deadline: float) -> str:
        step_ref = message.step
        if step_ref is None:
            raise PermanentFailure("a step delivery without its step reference")
        ws = message.workspace_id
        subscriber_id = message.recipients[0] if message.recipients else ""
        if step_ref.after:  # per-subscriber order: the previous step must be settled first
            statuses = self.ledger.statuses(step_ref.after)
            waiting = [d for d in step_ref.after if statuses.get(d) not in FINAL]
            if waiting:
                raise RetryLater(f"waiting for the previous step ({len(waiting)} delivery not final)")
        claim = self.ledger.claim(message.delivery_id, lease=self.lease, channel=message.channel, defaults={
            "workspace_id": ws, "kind": "step", "subscriber_id": subscriber_id,
            "scenario_id": step_ref.scenario_id, "step_id": step_ref.step_id})
        if claim.outcome == "final":
            assert claim.row is not None
            if claim.row.status == "failed":
                raise PermanentFailure(claim.row.error or "failed earlier")
            self._after_send(message, claim.row.status)
            return str(claim.row.status)
        if claim.outcome == "busy":
            raise RetryLater("another worker holds this delivery")
        if claim.outcome == "unknown_outcome":
            error = "an earlier attempt stopped mid-send; not resent (email/SMS have no retry key)"
            self.ledger.settle(message.delivery_id, None, "failed", workspace_id=ws, error=error)
            raise PermanentFailure(error)
        token = claim.token

        def skip(status: str, why: str) -> str:
            self.ledger.settle(message.delivery_id, token, status, workspace_id=ws, error=why)
            self.stats.skipped += 1
            return status

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
        subscriber = self.subscribers.get(ws, subscriber_id)
        if subscriber is None or subscriber.merged_into:
            return skip("skipped_no_address", "subscriber not found")
        if subscriber.unsubscribed_all or (message.channel != "none"
                                           and (subscriber.unsubscribed or {}).get(message.channel)):
            return skip("skipped_unsubscribed", "unsubscribed")
        tags = TagRepository().labels(subscriber.workspace_id, subscriber.tags or set())
        if not evaluate(step.conditions, tags, dict(subscriber.fields or {})):
            if step.conditions and step.conditions.on_fail == "end_enrollment" and step_ref.run_actions \
                    and self.scenario_control is not None:
                self.scenario_control.stop(ws, subscriber_id, step_ref.scenario_id, reason=f"condition:{step.id}")
            return skip("skipped_condition", f"conditions of {step.id} not met")
        if message.channel == "none":
            self.ledger.settle(message.delivery_id, token, "sent", workspace_id=ws)
            self._after_send(message, "sent", subscriber=subscriber)
            return "sent"
        reachable = [c for c in step.channels if self._address(subscriber, c, message.line_channel_id)[0]]
        if scenario.channel_mode == "first_available" and reachable and reachable[0] != message.channel:
            return skip("skipped_no_address", f"sent on {reachable[0]} instead (first_available)")
        address, status = self._address(subscriber, message.channel, message.line_channel_id)
        if address is None:
            return skip(status, f"no {message.channel} address" if status == "skipped_no_address" else "blocked")
        content = self._step_content(step, message.channel)
        where = f"scenario {step_ref.scenario_id} v{step_ref.scenario_version} step {step.id}"
        result = self._send_rendered(message, subscriber, address, content, message.retry_key, token, deadline,
                                     where, extra={"scenario_id": step_ref.scenario_id, "step_id": step.id})
        self._after_send(message, "sent", subscriber=subscriber)
        return result

    def _after_send(self, message: DeliveryMessage, status: str, subscriber: SubscriberModel | None = None) -> None:
        """Run the step's actions once (idempotency key = delivery ID) after it was sent."""
        step_ref = message.step
        if step_ref is None or status != "sent" or not step_ref.run_actions:
            return
        scenario = self.scenarios.version(message.workspace_id, step_ref.scenario_id, step_ref.scenario_version)
        step = next((s for s in scenario.steps if s.id == step_ref.step_id), None)
        if step is None or not step.actions or self.actions is None:
            return
        row = self.ledger.get(message.delivery_id)
        if row is not None and row.actions_done:
            return
        self.actions.run(message.workspace_id, message.recipients[0], step.actions,
                         actor=f"scenario:{step_ref.scenario_id}", idempotency_key=message.delivery_id)
        self.ledger.mark_actions_done(message.delivery_id)

    @staticmethod
    def _step_content(step: Step, channel: str) -> dict[str, Any]:
        if channel == "line":
            return {"line": step.line}
        if channel == "email" and step.email:
            return {"email": step.email.model_dump()}
        if channel == "sms" and step.sms:
            return {"sms": step.sms.model_dump()}
        raise PermanentFailure(f"step {step.id} has no {channel} content")

    @staticmethod
    def _address(subscriber: SubscriberModel, channel: str, line_channel_id: str | None
                 ) -> tuple[str | None, str]:
        if channel == "line":
            accounts = subscriber.line or {}
            account = accounts.get(line_channel_id) if line_channel_id else next(iter(accounts.values()), None)
            if not account or not account.get("user_id"):
                return None, "skipped_no_address"
            if account.get("status") == "blocked":
                return None, "skipped_blocked"
            return str(account["user_id"]), "ok"
        if channel == "email":
            return (subscriber.email, "ok") if subscriber.email else (None, "skipped_no_address")
        if channel == "sms":
            # E.164 for SNS even for a row stored before phones were normalised (issue 16)
            return (to_e164(subscriber.phone) or subscriber.phone, "ok") if subscriber.phone \
                else (None, "skipped_no_address")
        return None, "skipped_no_address"

    def _line_channel(self, subscriber: SubscriberModel, line_channel_id: str | None) -> str:
        if line_channel_id:
            return line_channel_id
        accounts = subscriber.line or {}
        return next(iter(accounts))

    def _variables(self, message: DeliveryMessage, subscriber: SubscriberModel, extra: dict[str, Any]
                   ) -> dict[str, Any]:
        unsubscribe = self.optout.url(message.workspace_id, subscriber.subscriber_id, message.channel)
        return variables_for(subscriber, unsubscribe_url=unsubscribe, now=clock.now(), **extra)

    @property
    def optout(self) -> Any:
        if self._optout is None:
            from haishin.optout.service import OptOutService  # noqa: PLC0415

            self._optout = OptOutService()
        return self._optout

    # ------------------------------------------------------------------ send one recipient
    def _send_rendered(self, message: DeliveryMessage, subscriber: SubscriberModel, address: str,
                       content: dict[str, Any], key: str, token: str | None, deadline: float, where: str,
                       extra: dict[str, Any], ledger_id: str | None = None) -> str:
        ledger_id = ledger_id or message.delivery_id
        ws = message.workspace_id
        try:
            variables = self._variables(message, subscriber, extra)
            if message.channel == "line":
                rendered: Any = self.renderer.line_messages(content["line"], variables, where=f"{where} line")
            elif message.channel == "email":
                email = content["email"]
                rendered = self.renderer.email(email["subject"], email.get("html"), email.get("text"), variables,
                                               where=f"{where} email")
                rendered["from"] = email.get("from") or self.email_from
            else:
                rendered = self.renderer.sms(content["sms"]["text"], variables, where=f"{where} sms")
        except RenderError as exc:
            error = f"{exc.where}: {exc.message}"
            self.ledger.settle(ledger_id, token, "failed", workspace_id=ws, error=error)
            raise PermanentFailure(error) from exc

        def send() -> tuple[str | None, bool]:
            if message.channel == "line":
                client = self.line_clients.for_channel(ws, self._line_channel(subscriber, message.line_channel_id))
                result = client.push(address, rendered, retry_key=key)
                return result.request_id, result.already_accepted
            if message.channel == "email":
                if self.email is None:
                    raise PermanentFailure("no email sender configured")
                return self.email.send(source=rendered["from"], to=address, subject=rendered["subject"],
                                       html=rendered["html"], text=rendered["text"],
                                       headers=unsubscribe_headers(variables["unsubscribe_url"])), False
            if self.sms is None:
                raise PermanentFailure("no SMS sender configured")
            return self.sms.send(phone=address, text=rendered), False

        request_id, accepted = self._with_retries(send, ledger_id, token, ws, deadline)
        self.ledger.settle(ledger_id, token, "sent", workspace_id=ws, line_request_id=request_id,
                           already_accepted=accepted)
        self.stats.sent += 1
        if accepted:
            self.stats.already_accepted += 1
        self.timeline.append(ws, subscriber.subscriber_id, "step_sent" if message.kind == "step" else "message_out",
                             {"delivery_id": ledger_id, "channel": message.channel, **extra},
                             actor=f"scenario:{extra.get('scenario_id')}" if message.kind == "step"
                             else f"broadcast:{(message.broadcast or {}).get('broadcast_id', '')}",
                             entry_id=ledger_id)
        return "sent"

    def with_backoff(self, send: Callable[[], Any], deadline: float, *, base_delay: float = 0.2) -> Any:
        """``send()``, retrying retryable errors with full-jitter backoff until ``deadline`` (then ``BudgetSpent``);
        errors that are not retryable propagate."""
        def count(_error: Exception, _attempt: int) -> None:
            self.stats.retries += 1

        return with_backoff(send, deadline=deadline, retryable=_retryable_send, base_delay=base_delay,
                            sleep=self.sleep, on_retry=count, monotonic=self.monotonic)

    def _with_retries(self, send: Callable[[], Any], ledger_id: str, token: str | None, ws: str,
                      deadline: float) -> Any:
        try:
            return self.with_backoff(send, deadline)
        except (LineApiError, ChannelError) as exc:  # not retryable: failed for good
            error = f"{exc.where}: {exc.message}"
            self.ledger.settle(ledger_id, token, "failed", workspace_id=ws, error=error)
            raise PermanentFailure(error) from exc
        except BudgetSpent as spent:
            self.ledger.settle(ledger_id, token, "retrying", workspace_id=ws, error=str(spent))
            raise RetryLater(str(spent)) from spent.error

    # ------------------------------------------------------------------ broadcasts
    def _broadcast(self, message: DeliveryMessage, deadline: float, *, stop_at: float | None = None) -> str:
        ws = message.workspace_id
        content = message.content
        if content is None:
            ref = message.content_ref or {}
            resolver = _resolvers.get(str(ref.get("type")))
            if resolver is None:
                raise PermanentFailure(f"unknown content_ref type {ref.get('type')!r}")
            content = resolver(message)
        claim = self.ledger.claim(message.delivery_id, lease=self.lease, channel=message.channel, defaults={
            "workspace_id": ws, "kind": "broadcast",
            "broadcast_id": (message.broadcast or {}).get("broadcast_id")})
        if claim.outcome == "final":
            assert claim.row is not None
            if claim.row.status == "failed":
                raise PermanentFailure(claim.row.error or "failed earlier")
            return str(claim.row.status)
        if claim.outcome == "busy":
            raise RetryLater("another worker holds this delivery")
        token = claim.token
        skipped: dict[str, str] = {}
        targets: list[tuple[SubscriberModel, str]] = []
        for subscriber_id in message.recipients:
            subscriber = self.subscribers.get(ws, subscriber_id)
            if subscriber is None:
                skipped[subscriber_id] = "skipped_no_address"
                continue
            if subscriber.unsubscribed_all or (subscriber.unsubscribed or {}).get(message.channel):
                skipped[subscriber_id] = "skipped_unsubscribed"
                continue
            address, status = self._address(subscriber, message.channel, message.line_channel_id)
            if address is None:
                skipped[subscriber_id] = status
                continue
            targets.append((subscriber, address))
        where = f"broadcast {(message.broadcast or {}).get('broadcast_id', message.delivery_id)}"
        if not targets:
            self.ledger.settle(message.delivery_id, token, "skipped_no_address", workspace_id=ws, skipped=skipped)
            return "skipped_no_address"
        if message.channel == "line" and not is_personalised(content.get("line")):
            line_channel = self._line_channel(targets[0][0], message.line_channel_id)
            rendered = self.renderer.line_messages(content["line"], {}, where=f"{where} line")
            client = self.line_clients.for_channel(ws, line_channel)

            def multicast() -> tuple[str | None, bool]:
                result = client.multicast([a for _, a in targets], rendered, retry_key=message.retry_key)
                return result.request_id, result.already_accepted

            request_id, accepted = self._with_retries(multicast, message.delivery_id, token, ws, deadline)
            self.ledger.settle(message.delivery_id, token, "sent", workspace_id=ws, line_request_id=request_id,
                               already_accepted=accepted, skipped=skipped or None)
            self.stats.sent += len(targets)
            return "sent"
        # personalised content: one push / email / SMS per recipient, each with its own key and its own ledger row
        # (``<delivery_id>#<subscriber_id>``), so a retried message resends only to those not yet settled
        for subscriber, address in targets:
            if self.time_up(stop_at):  # the rest goes back to SQS; those sent have final rows of their own
                self.ledger.settle(message.delivery_id, token, "retrying", workspace_id=ws,
                                   error="handed back before the invocation timed out")
                raise HandBack("the invocation is about to time out; the unsent recipients go back to the queue")
            key = recipient_retry_key(message, subscriber.subscriber_id)
            sub_id = f"{message.delivery_id}#{subscriber.subscriber_id}"
            sub_claim = self.ledger.claim(sub_id, lease=self.lease, channel=message.channel, defaults={
                "workspace_id": ws, "kind": "broadcast", "subscriber_id": subscriber.subscriber_id})
            if sub_claim.outcome == "busy":
                raise RetryLater("another worker holds a recipient of this delivery")
            if sub_claim.outcome != "claimed":
                continue
            try:
                self._send_rendered(message, subscriber, address, content, key, sub_claim.token, deadline, where,
                                    extra={}, ledger_id=sub_id)
            except PermanentFailure as exc:
                skipped[subscriber.subscriber_id] = f"failed: {exc}"[:200]
        self.ledger.settle(message.delivery_id, token, "sent", workspace_id=ws, skipped=skipped or None)
        return "sent"


__all__ = ["DeliveryWorker", "HaishinError", "PermanentFailure", "RetryLater", "register_resolver"]
