"""One-off LINE notices (``kind: "notice"``): a feature tells one friend something once (a waitlisted seat freed, a
late payment refunded, a booking made, moved or canceled, a form's thank-you), through DeliveryQueue and the
delivery worker like steps and broadcasts, never by a push of its own.

``NoticeQueue`` is the features' ``Messenger`` (``haishin.forms.collab``): it writes the ledger row (``enqueued``) and
puts the message on DeliveryQueue. ``send_notice`` is the worker's sender for the kind: claim the row, find the
friend's LINE account, send with the feature's retry key, settle. So a notice is sent exactly once (ledger claim +
retry key), LINE 429/5xx and network failures are retried with backoff (in the invocation, then by SQS with the
handler's backoff), and a refusal is recorded ``failed`` in the error log (配信エラー) and ends in the DLQ, where the
admin shows it and an operator may replay it. The text is final when queued: it is sent as it is, never rendered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from haishin import clock
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import DeliveryMessage, notice_delivery_id
from haishin.delivery.queue import DeliverySender
from haishin.delivery.worker import DeliveryWorker, PermanentFailure, RetryLater
from haishin.errors import ExternalServiceError
from haishin.retry import BudgetSpent, with_backoff
from haishin.storage.base import iso
from haishin.subscribers.line_reach import choose_line_account

log = logging.getLogger(__name__)
MAX_TEXT = 5000  # LINE's limit for a text message object
ENQUEUE_BUDGET_S = 3.0  # the caller is often a request someone waits for (a page, the admin)


class NotQueued(Exception):
    retryable = True


class NoticeQueue:
    """Queues a one-off LINE notice to one friend (the ``Messenger`` of ``haishin.forms.collab``)."""

    def __init__(self, ledger: Ledger, sender: DeliverySender, *, budget_s: float = ENQUEUE_BUDGET_S,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic
                 ) -> None:
        self.ledger = ledger
        self.sender = sender
        self.budget_s = budget_s
        self.sleep = sleep
        self.monotonic = monotonic

    def queue_text(self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str,
                   channel_id: str | None = None) -> bool:
        """One LINE text; see ``queue``."""
        return self.queue(workspace_id, subscriber, [{"type": "text", "text": text[:MAX_TEXT]}],
                          retry_key=retry_key, channel_id=channel_id)

    def queue(self, workspace_id: str, subscriber: Any, messages: list[dict[str, Any]], *, retry_key: str,
              channel_id: str | None = None) -> bool:
        """Queue ``messages`` (1-5 LINE message objects, final) for the friend, on ``channel_id`` when they have it
        there, else their usual account. ``retry_key`` is stable for the feature's event (the same event queued
        twice is one delivery). False when the friend has no LINE account to reach (nothing queued); True when
        queued now or earlier. ``ExternalServiceError`` when SQS refused it for the whole budget: the ledger row is
        then ``failed`` with the reason, in the delivery error log (配信エラー)."""
        line = subscriber.line or {}
        reach = choose_line_account(line, channel_id if channel_id and channel_id in line else None)
        if reach is None or reach.user_id is None or reach.blocked:
            return False
        now = clock.now()
        delivery_id = notice_delivery_id(retry_key)
        message = DeliveryMessage(kind="notice", workspace_id=workspace_id, delivery_id=delivery_id,
                                  retry_key=retry_key, channel="line", recipients=[subscriber.subscriber_id],
                                  content={"line": messages}, line_channel_id=reach.channel_id,
                                  scheduled_at=iso(now), enqueued_at=iso(now))
        if not self.ledger.record_enqueued(delivery_id=delivery_id, workspace_id=workspace_id, kind="notice",
                                           channel="line", subscriber_id=subscriber.subscriber_id,
                                           scheduled_at=now):
            return True  # queued before, and a worker has it or settled it already

        def put() -> None:
            if self.sender.send([message]):
                raise NotQueued("DeliveryQueue refused the notice")

        try:
            with_backoff(put, deadline=self.monotonic() + self.budget_s, sleep=self.sleep, monotonic=self.monotonic)
        except BudgetSpent as spent:
            error = f"queue: the notice could not be queued ({spent}); not sent"
            self.ledger.settle(delivery_id, None, "failed", workspace_id=workspace_id, error=error)
            raise ExternalServiceError("LINE の通知を配信キューに入れられませんでした", where="notice") from spent
        return True


def send_notice(worker: DeliveryWorker, message: DeliveryMessage, deadline: float, stop_at: float | None = None
                ) -> str:
    """The ``notice`` kind of ``DeliveryWorker.kinds``: one friend, inline LINE messages, sent once."""
    ws = message.workspace_id
    if message.channel != "line" or len(message.recipients) != 1 or not (message.content or {}).get("line"):
        raise PermanentFailure("a notice is LINE messages to exactly one friend")
    subscriber_id = message.recipients[0]
    claim = worker.ledger.claim(message.delivery_id, lease=worker.lease, channel="line", defaults={
        "workspace_id": ws, "kind": "notice", "subscriber_id": subscriber_id})
    if claim.outcome == "final":
        assert claim.row is not None
        if claim.row.status == "failed":
            raise PermanentFailure(claim.row.error or "failed earlier")
        return str(claim.row.status)
    if claim.outcome != "claimed":
        raise RetryLater("another worker holds this notice")
    token = claim.token
    try:  # nothing sent yet: an error here gives the claim back
        subscriber = worker.subscribers.get(ws, subscriber_id)
        if subscriber is None or subscriber.merged_into:
            worker.ledger.settle(message.delivery_id, token, "skipped_no_address", workspace_id=ws,
                                 error="subscriber not found")
            worker.stats.skipped += 1
            return "skipped_no_address"
        address, status = worker.address(subscriber, "line", message.line_channel_id)
        if address is None:
            worker.ledger.settle(message.delivery_id, token, status, workspace_id=ws,
                                 error="blocked" if status == "skipped_blocked" else "no LINE address")
            worker.stats.skipped += 1
            return status
    except Exception as exc:
        raise worker.give_back(message.delivery_id, token, ws, f"notice checks: {type(exc).__name__}: {exc}"
                               ) from exc
    return worker.send_ready(message, subscriber, address, list((message.content or {})["line"]), message.retry_key,
                             token, deadline, {})


__all__ = ["NoticeQueue", "send_notice"]
