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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from haishin import clock
from haishin.delivery.email_sms import ChannelError, EmailSender, SmsSender, unsubscribe_headers
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import DeliveryMessage, ReplyLead
from haishin.errors import ExternalServiceError, HaishinError
from haishin.line.client import MAX_MESSAGES_PER_SEND, LineApiError, is_reply_token_gone
from haishin.line.units import step_unit
from haishin.phone import to_e164
from haishin.render import Renderer, RenderError, variables_for
from haishin.retry import BudgetSpent, with_backoff
from haishin.senders.compose import compose_email, compose_sms
from haishin.senders.service import SenderService
from haishin.subscribers.line_reach import choose_line_account
from haishin.subscribers.models import SubscriberModel
from haishin.subscribers.repository import SubscriberRepository
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


KindSender = Callable[["DeliveryWorker", DeliveryMessage, float, "float | None"], str]
"""How one ``kind`` of delivery message is sent: ``(worker, message, deadline, stop_at) -> ledger status``. Step
delivery (``haishin.scenarios.step_send``), broadcast batches (``haishin.broadcasts.send``) and one-off notices
(``haishin.delivery.notices``) are the kinds; the composition root (``haishin.wiring``) hands them to the worker, which
knows neither scenarios nor broadcasts."""


@dataclass
class WorkerStats:
    sent: int = 0
    skipped: int = 0
    retries: int = 0
    already_accepted: int = 0


class DeliveryWorker:
    def __init__(self, *, ledger: Ledger, subscribers: SubscriberRepository, line_clients: Any, renderer: Renderer,
                 timeline: Timeline, kinds: Mapping[str, KindSender], email: EmailSender | None = None,
                 sms: SmsSender | None = None, retry_budget_s: float = 8.0,
                 lease: timedelta = timedelta(minutes=3), sleep: Callable[[float], None] = time.sleep,
                 senders: SenderService, optout: Any, track: Any = None, coupons: Any = None) -> None:
        # haishin.coupons.service.CouponService: ``{{ coupon("cpn_...") }}`` in a step assigns the friend's code
        self.coupons = coupons
        self.ledger = ledger
        self.track = track  # haishin.track.service.TrackService: URLs in step messages become tracked URLs
        self._optout = optout  # haishin.optout.service.OptOutService: signs the /u/ 配信停止 URL
        self.subscribers = subscribers
        self.kinds = dict(kinds)
        self.line_clients = line_clients
        self.renderer = renderer
        self.timeline = timeline
        self.email = email
        self.sms = sms
        self.retry_budget_s = retry_budget_s
        self.lease = lease
        self.sleep = sleep
        self.monotonic: Callable[[], float] = time.monotonic
        # the workspace's verified sender identities and its footer details: no e-mail leaves without them
        self.senders = senders
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
        send = self.kinds.get(message.kind)
        if send is None:
            raise PermanentFailure(f"no sender for delivery kind {message.kind!r}")
        return send(self, message, deadline, stop_at)

    @staticmethod
    def address(subscriber: SubscriberModel, channel: str, line_channel_id: str | None
                 ) -> tuple[str | None, str]:
        if channel == "line":
            reach = choose_line_account(subscriber.line, line_channel_id)
            if reach is None or reach.user_id is None:
                return None, "skipped_no_address"
            if reach.blocked:
                return None, "skipped_blocked"
            return reach.user_id, "ok"
        if channel == "email":
            return (subscriber.email, "ok") if subscriber.email else (None, "skipped_no_address")
        if channel == "sms":
            # E.164 for SNS even for a row stored before phones were normalised (issue 16)
            return (to_e164(subscriber.phone) or subscriber.phone, "ok") if subscriber.phone \
                else (None, "skipped_no_address")
        return None, "skipped_no_address"

    def line_channel(self, subscriber: SubscriberModel, line_channel_id: str | None) -> str:
        reach = choose_line_account(subscriber.line, line_channel_id)
        if reach is None:
            raise PermanentFailure("the friend has no LINE account")
        return reach.channel_id

    def _variables(self, message: DeliveryMessage, subscriber: SubscriberModel, extra: dict[str, Any]
                   ) -> dict[str, Any]:
        unsubscribe = self.optout.url(message.workspace_id, subscriber.subscriber_id, message.channel)
        variables = variables_for(subscriber, unsubscribe_url=unsubscribe, now=clock.now(), **extra)
        if self.coupons is not None:
            variables["coupon"] = self.coupons.template_function(message.workspace_id, subscriber.subscriber_id)
        return variables

    @property
    def optout(self) -> Any:
        return self._optout

    def give_back(self, ledger_id: str, token: str | None, workspace_id: str, error: str) -> RetryLater:
        """An attempt that failed before anything was sent (a store or secret read, the unsubscribe link's key):
        its claim is given back at once (``retrying``, conditional on the claim), so the retry takes the row again
        instead of meeting this attempt's lease ("another worker holds this delivery") until it runs out.
        Never after a send started: then the lease stands (the outcome is unknown)."""
        if token is not None:
            self.ledger.release(ledger_id, token, workspace_id=workspace_id, error=error)
        return RetryLater(error)

    # ------------------------------------------------------------------ send one recipient
    def send_rendered(self, message: DeliveryMessage, subscriber: SubscriberModel, address: str,
                       content: dict[str, Any], key: str, token: str | None, deadline: float, where: str,
                       extra: dict[str, Any], ledger_id: str | None = None) -> str:
        ledger_id = ledger_id or message.delivery_id
        ws = message.workspace_id
        try:
            variables = self._variables(message, subscriber, extra)
            if message.channel == "line":
                tracker = None
                if self.track is not None and message.kind == "step" and extra.get("scenario_id"):
                    variant = extra.get("variant")  # an A/B test step's variant index (the click records it)
                    tracker = self.track.tracker(ws, subscriber.subscriber_id, "s", str(extra["scenario_id"]),
                                                 str(extra.get("step_id") or ""),
                                                 None if variant is None else str(variant))
                rendered: Any = self.renderer.line_messages(content["line"], variables, where=f"{where} line",
                                                            track=tracker)
            elif message.channel == "email":
                email = content["email"]
                rendered = self.renderer.email(email["subject"], email.get("html"), email.get("text"), variables,
                                               where=f"{where} email")
                rendered["from"] = email.get("from")  # None: the workspace's default identity
            else:
                rendered = self.renderer.sms(content["sms"]["text"], variables, where=f"{where} sms")
        except RenderError as exc:
            error = f"{exc.where}: {exc.message}"
            self.ledger.settle(ledger_id, token, "failed", workspace_id=ws, error=error)
            raise PermanentFailure(error) from exc
        except Exception as exc:
            raise self.give_back(ledger_id, token, ws, f"{where}: {type(exc).__name__}: {exc}") from exc
        return self.send_ready(message, subscriber, address, rendered, key, token, deadline, extra,
                               ledger_id=ledger_id, unsubscribe_url=variables["unsubscribe_url"])

    def send_ready(self, message: DeliveryMessage, subscriber: SubscriberModel, address: str, rendered: Any,
                   key: str, token: str | None, deadline: float, extra: dict[str, Any], *,
                   ledger_id: str | None = None, unsubscribe_url: str | None = None) -> str:
        """Send content that needs no rendering (``rendered``: LINE message objects, a rendered e-mail or an SMS
        text), retrying retryable failures until ``deadline``, then settle the ledger row and note it on the
        friend's timeline. ``send_rendered`` ends here; one-off notices (``haishin.delivery.notices``), whose text
        is final when queued, start here."""
        ledger_id = ledger_id or message.delivery_id
        ws = message.workspace_id
        via: dict[str, Any] = {}
        reply_token = message.reply_token if message.channel == "line" and len(message.recipients) == 1 else None
        lead = message.reply_lead if reply_token else None

        # LINE's per-unit statistics (opens, URL taps): one aggregation unit per scenario step (pushes only)
        unit = step_unit(message.step.scenario_id, message.step.step_id) if message.step is not None else None

        def send() -> tuple[str | None, bool]:
            if message.channel == "line":
                client = self.line_clients.for_channel(ws, self.line_channel(subscriber, message.line_channel_id))
                return self._send_line(client, address, list(rendered), key, reply_token, lead, via, unit=unit)
            if message.channel == "email":
                return self.send_email(ws, address, rendered, unsubscribe_url or ""), False
            return self.send_sms(ws, address, rendered, unsubscribe_url or ""), False

        request_id, accepted = self._with_retries(send, ledger_id, token, ws, deadline)
        self.ledger.settle(ledger_id, token, "sent", workspace_id=ws, line_request_id=request_id,
                           already_accepted=accepted, via=via.get("via"))
        self.stats.sent += 1
        if accepted:
            self.stats.already_accepted += 1
        self.timeline.append(ws, subscriber.subscriber_id, "step_sent" if message.kind == "step" else "message_out",
                             {"delivery_id": ledger_id, "channel": message.channel, **extra},
                             actor=self._actor(message, extra), entry_id=ledger_id)
        return "sent"

    @staticmethod
    def _actor(message: DeliveryMessage, extra: dict[str, Any]) -> str:
        if message.kind == "step":
            return f"scenario:{extra.get('scenario_id')}"
        if message.kind == "notice":
            return "notice"
        return f"broadcast:{(message.broadcast or {}).get('broadcast_id', '')}"

    @staticmethod
    def _send_line(client: Any, address: str, rendered: list[dict[str, Any]], key: str, reply_token: str | None,
                   lead: ReplyLead | None, via: dict[str, Any], *, unit: str | None = None
                   ) -> tuple[str | None, bool]:
        """One LINE send, on the event's reply token when there is one (free; ``lead`` first, 5 objects per reply,
        the rest by push with ``key``), else, or when LINE refuses the token, by push: ``lead`` with its own retry
        key, then the step with ``key`` (and its aggregation ``unit``; a reply takes none). ``via`` keeps what happened
        across retries of this attempt, so a retry never replies twice nor pushes what the reply carried."""
        combined = (lead.messages if lead else []) + rendered
        if reply_token and "via" not in via:
            try:  # free; a token LINE refused is never tried again
                result = client.reply(reply_token, combined[:MAX_MESSAGES_PER_SEND])
            except LineApiError as error:
                if not is_reply_token_gone(error):
                    if error.status is None:  # no answer: LINE may have accepted it
                        via["unclear"] = True
                    raise
                if via.get("unclear"):
                    # the token is single use and ours alone: refused after an unanswered attempt of this send, it
                    # was that attempt that used it (a push now would deliver the messages twice)
                    log.info("reply token used by an earlier unanswered reply of this send; counted as sent")
                    via.update(via="reply", request_id=None)
                    if lead is not None:
                        lead.via = "reply"
                else:
                    log.info("reply token used or expired; the same messages go by push")
                    via["via"] = "push"
            else:
                via.update(via="reply", request_id=result.request_id)
                if lead is not None:
                    lead.via = "reply"
        if via.get("via") in ("reply", "reply+push"):
            rest = combined[MAX_MESSAGES_PER_SEND:]
            if not rest:
                return via.get("request_id"), False
            via["via"] = "reply+push"
            pushed = client.push(address, rest, retry_key=key, unit=unit)
            return via.get("request_id"), pushed.already_accepted
        via["via"] = "push"
        if lead is not None and lead.via is None:
            client.push(address, lead.messages, retry_key=lead.retry_key)
            lead.via = "push"
        result = client.push(address, rendered, retry_key=key, unit=unit)
        return result.request_id, result.already_accepted

    # ------------------------------------------------------------------ e-mail and SMS (steps and broadcasts)
    def send_email(self, workspace_id: str, to: str, email: dict[str, Any], unsubscribe_url: str) -> str:
        """One marketing e-mail: From a verified identity of the workspace (else refused, never sent as someone
        else), the 特定電子メール法 footer, a text part, List-Unsubscribe. A refusal is a permanent ChannelError."""
        if self.email is None or self.senders is None:
            raise ChannelError("no email sender configured", retryable=False, where="email")
        try:
            sender = self.senders.for_send(workspace_id, email.get("from"))
            composed = compose_email(self.renderer, sender=sender, workspace=self.senders.workspace(workspace_id),
                                     subject=str(email["subject"]), html=email.get("html"), text=email.get("text"),
                                     unsubscribe_url=unsubscribe_url, headers=unsubscribe_headers(unsubscribe_url))
        except ChannelError:
            raise
        except ExternalServiceError as exc:  # SES could not tell us the identity's state now: try again later
            raise ChannelError(exc.message, retryable=True, where=exc.where or "email") from exc
        except HaishinError as exc:  # refused sender, no postal address: failed for good, visibly
            raise ChannelError(exc.message, retryable=False, where=exc.where or "email") from exc
        return self.email.send(source=composed.source, to=to, subject=composed.subject, html=composed.html,
                               text=composed.text, headers=composed.headers)

    def send_sms(self, workspace_id: str, phone: str, text: str, unsubscribe_url: str) -> str:
        """One marketing SMS: the sender's name and the opt-out link appended, the workspace's sender ID."""
        if self.sms is None or self.senders is None:
            raise ChannelError("no SMS sender configured", retryable=False, where="sms")
        workspace = self.senders.workspace(workspace_id)
        return self.sms.send(phone=phone, text=compose_sms(text, workspace=workspace, unsubscribe_url=unsubscribe_url),
                             sender_id=workspace.sms_sender_id)

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


__all__ = ["DeliveryWorker", "HandBack", "KindSender", "PermanentFailure", "RetryLater"]
