"""Broadcast sending: the delivery worker's path for planned broadcast batches (``kind: broadcast``, with
``broadcast.groups``).

The planner already resolved every recipient's address (``broadcast.to``, aligned with ``recipients``) and grouped
them by what they receive (``broadcast.groups``: ``{"content": rendered content | null, "span": [start, end]}``;
null content = the message's ``content`` as is). So a batch needs no subscriber reads:
- LINE: one multicast per group of 2+ recipients, one push for a group of one, each with a deterministic retry key
  (the message's key for a single group, else ``retry_key(<key>, "g<index>")``); 409 = accepted earlier. Each carries
  the broadcast's aggregation unit (its A/B variant's, for a variant group) for LINE's per-unit statistics.
- email / SMS: one send per recipient, each claimed on its own ledger row (``<delivery_id>#<subscriber_id>``) since
  SES/SNS have no retry key (at most once).
Before sending, the broadcast's status is read (one small consistent read per batch): a cancelled broadcast drops
the batch (ledger ``skipped_stopped``). The batch's ledger row is settled in the same DynamoDB transaction that ADDs
its numbers to the broadcast's counters, so counters are exact under retries; then ``sending -> done`` is tried.
429/5xx/timeouts back off with full jitter inside the invocation's budget, then the message is retried by SQS.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from haishin import clock
from haishin.broadcasts.repository import BroadcastRepository
from haishin.delivery.email_sms import ChannelError
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.worker import DeliveryWorker, HandBack, PermanentFailure, RetryLater
from haishin.ids import retry_key
from haishin.line.client import LineApiError
from haishin.line.units import broadcast_unit
from haishin.retry import BudgetSpent
from haishin.workspaces.models import default_line_channel

log = logging.getLogger(__name__)
_repository = BroadcastRepository()


def is_planned_batch(message: DeliveryMessage) -> bool:
    return message.kind == "broadcast" and isinstance((message.broadcast or {}).get("groups"), list)


def send_broadcast(worker: DeliveryWorker, message: DeliveryMessage, deadline: float,
                   stop_at: float | None = None) -> str:
    """The ``broadcast`` kind of ``DeliveryWorker.kinds``: every broadcast message is a planned batch."""
    if not is_planned_batch(message):
        raise PermanentFailure("a broadcast message without its planned groups (only the planner enqueues these)")
    return send_planned_batch(worker, message, deadline, stop_at=stop_at)


def send_planned_batch(worker: DeliveryWorker, message: DeliveryMessage, deadline: float, *,
                       stop_at: float | None = None) -> str:
    info = message.broadcast or {}
    ws, broadcast_id = message.workspace_id, str(info["broadcast_id"])
    # email/SMS batches guard each recipient on its own row, so an expired lease on the batch row is taken over
    claim = worker.ledger.claim(message.delivery_id, lease=worker.lease, channel=message.channel, defaults={
        "workspace_id": ws, "kind": "broadcast", "broadcast_id": broadcast_id}, takeover=True)
    if claim.outcome == "final":
        assert claim.row is not None
        # settled by an earlier attempt whose "sending -> done" step may have failed after the settle: try again
        _repository.maybe_finish(ws, broadcast_id)
        return str(claim.row.status)
    if claim.outcome == "busy":
        raise RetryLater("another worker holds this delivery")
    token = claim.token
    if _repository.status(ws, broadcast_id) == "cancelled":
        _settle(message, token, "skipped_stopped", cancelled=len(message.recipients), error="broadcast cancelled",
                sleep=worker.sleep)
        return "skipped_stopped"
    to: list[str] = list(info.get("to") or [])
    failures: dict[str, str] = {}
    sent = 0
    groups = info["groups"]
    def check_time() -> None:
        if worker.time_up(stop_at):
            raise _HandBack("handed back before the invocation timed out")

    try:
        for index, group in enumerate(groups):
            check_time()
            start, end = group["span"]
            content = group.get("content") or message.content or {}
            key = message.retry_key if len(groups) == 1 else retry_key(message.retry_key, f"g{index}")
            members = message.recipients[start:end]
            addresses = to[start:end]
            if message.channel == "line":
                unit = broadcast_unit(broadcast_id, group.get("variant"))  # LINE's per-unit statistics
                sent_now, error = _send_line(worker, message, addresses, content["line"], key, deadline, unit)
                if error:
                    failures.update(dict.fromkeys(members, error))
                else:
                    sent += sent_now
            else:
                for subscriber_id, address in zip(members, addresses, strict=True):
                    check_time()
                    outcome = _send_other(worker, message, subscriber_id, address, content, deadline)
                    if outcome == "sent":
                        sent += 1
                    elif outcome.startswith("failed"):
                        failures[subscriber_id] = outcome
    except _Retry as exc:
        worker.ledger.settle(message.delivery_id, token, "retrying", workspace_id=ws, error=str(exc))
        if isinstance(exc, _HandBack):  # sent recipients are final on their rows, sent LINE groups keyed: no repeat
            raise HandBack(str(exc)) from exc
        raise RetryLater(str(exc)) from exc
    status = "sent" if sent or not failures else "failed"
    error = next(iter(failures.values()), None)
    _settle(message, token, status, sent=sent, failed=len(failures), skipped=failures or None, error=error,
            sleep=worker.sleep)
    worker.stats.sent += sent
    if status == "failed":
        raise PermanentFailure(error or "every recipient failed")
    return status


class _Retry(Exception):
    pass


class _HandBack(_Retry):
    pass


def _with_backoff(worker: DeliveryWorker, send: Callable[[], Any], deadline: float) -> Any:
    """The worker's backoff (from 0.1 s here); a spent budget becomes ``_Retry`` (the batch goes back to SQS)."""
    try:
        return worker.with_backoff(send, deadline, base_delay=0.1)
    except BudgetSpent as spent:
        raise _Retry(str(spent)) from spent.error


def _send_line(worker: DeliveryWorker, message: DeliveryMessage, addresses: list[str],
               messages: list[dict[str, Any]], key: str, deadline: float, unit: str | None = None
               ) -> tuple[int, str | None]:
    channel_id = message.line_channel_id or _only_channel(worker, message.workspace_id)
    client = worker.line_clients.for_channel(message.workspace_id, channel_id)

    def send() -> Any:
        if len(addresses) == 1:
            return client.push(addresses[0], messages, retry_key=key, unit=unit)
        return client.multicast(addresses, messages, retry_key=key, unit=unit)

    try:
        result = _with_backoff(worker, send, deadline)
    except LineApiError as exc:  # not retryable (400: bad message, 403 ...): the group failed for good
        return 0, f"failed: {exc.where}: {exc.message}"[:300]
    if result.already_accepted:
        worker.stats.already_accepted += 1
    return len(addresses), None


def _send_other(worker: DeliveryWorker, message: DeliveryMessage, subscriber_id: str, address: str,
                content: dict[str, Any], deadline: float) -> str:
    sub_id = f"{message.delivery_id}#{subscriber_id}"
    claim = worker.ledger.claim(sub_id, lease=worker.lease, channel=message.channel, defaults={
        "workspace_id": message.workspace_id, "kind": "broadcast", "subscriber_id": subscriber_id,
        "broadcast_id": (message.broadcast or {}).get("broadcast_id")})
    if claim.outcome == "final":
        return str(claim.row.status) if claim.row is not None else "sent"
    if claim.outcome == "busy":
        raise _Retry("another worker holds a recipient of this batch")
    if claim.outcome == "unknown_outcome":
        error = "failed: an earlier attempt stopped mid-send; not resent (no retry key)"
        worker.ledger.settle(sub_id, None, "failed", workspace_id=message.workspace_id, error=error)
        return error

    try:  # nothing sent yet: an error here gives the recipient's claim back (else, after the lease, an e-mail or SMS
        # row left "sending" reads as "stopped mid-send" and is failed unsent; docs/production/race.md)
        unsubscribe_url = worker.optout.url(message.workspace_id, subscriber_id, message.channel)
    except Exception as exc:
        if claim.token:
            worker.ledger.release(sub_id, claim.token, workspace_id=message.workspace_id,
                                  error=f"unsubscribe link: {type(exc).__name__}: {exc}")
        raise _Retry(f"the unsubscribe link could not be made ({type(exc).__name__})") from exc

    def send() -> Any:
        if message.channel == "email":
            return worker.send_email(message.workspace_id, address, content["email"], unsubscribe_url)
        return worker.send_sms(message.workspace_id, address, content["sms"]["text"], unsubscribe_url)

    try:
        _with_backoff(worker, send, deadline)
    except ChannelError as exc:
        error = f"failed: {exc.where}: {exc.message}"[:300]
        worker.ledger.settle(sub_id, claim.token, "failed", workspace_id=message.workspace_id, error=error)
        return error
    except _Retry as exc:
        worker.ledger.settle(sub_id, claim.token, "retrying", workspace_id=message.workspace_id, error=str(exc))
        raise
    worker.ledger.settle(sub_id, claim.token, "sent", workspace_id=message.workspace_id)
    return "sent"


SETTLE_BUDGET_S = 10.0  # retries of one settle transaction; then the message goes back to SQS (RetryLater)


def _only_channel(worker: DeliveryWorker, workspace_id: str) -> str:
    """Batches planned before the planner resolved the channel (``line_channel_id`` None) resolve it here."""
    channel_id = default_line_channel(workspace_id)
    if channel_id is None:
        raise LineApiError(400, "the workspace has no LINE channel")
    return channel_id


def _settle(message: DeliveryMessage, token: str | None, status: str, *, sent: int = 0, failed: int = 0,
            cancelled: int = 0, skipped: dict[str, str] | None = None, error: str | None = None,
            sleep: Callable[[float], None] = time.sleep) -> None:
    """Ledger row final + broadcast counters, in one transaction (conditional on our claim): counted exactly once."""
    info = message.broadcast or {}
    now = clock.now()
    row = Ledger.final_write(message.delivery_id, token, status, workspace_id=message.workspace_id, now=now,
                             error=error, skipped=skipped)
    try:
        outcome = _repository.settle_batch(row, message.workspace_id, str(info["broadcast_id"]), sent=sent,
                                           failed=failed, cancelled=cancelled, error=error, now=now,
                                           deadline=time.monotonic() + SETTLE_BUDGET_S, sleep=sleep)
    except BudgetSpent as spent:
        log.warning("broadcast settle transaction kept failing; the batch goes back to the queue: %s", spent)
        raise RetryLater(str(spent)) from spent
    if outcome == "claim_lost":
        return  # another worker's lease replaced ours; its outcome (and count) stands
    if outcome == "broadcast_gone":  # deleted meanwhile: nothing to count on; the ledger row still settles
        Ledger().settle(message.delivery_id, token, status, workspace_id=message.workspace_id, error=error,
                        skipped=skipped, recipients=len(message.recipients))
        return
    _repository.maybe_finish(message.workspace_id, str(info["broadcast_id"]))
