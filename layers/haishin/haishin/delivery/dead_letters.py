"""Dead letters of DeliveryQueue: peek (what failed, why, since when; never message bodies) and replay (back to
DeliveryQueue after ``Ledger.reset_for_replay``; a delivery that was sent meanwhile is dropped, not resent).

LINE remembers a retry key (``X-Line-Retry-Key``) for 24 hours only. A LINE delivery whose first attempt is older
than ``LINE_REPLAY_WINDOW`` (23 h, an hour of margin) is not replayed unless the operator forces it after reading
``LINE_REPLAY_RISK_JA``: past the window LINE would accept the repeat as new, and a friend who got the message
before the failure would get it twice. The first attempt is the earliest of the ledger row's ``enqueued_at``, the
message's own ``enqueued_at`` and SQS's ``SentTimestamp`` (each is at or before the first send: the check errs on
the side of refusing).

Queue URLs: ``DELIVERY_DLQ_URL`` (template: ``DELIVERY_DLQ_URL: !Ref DeliveryDeadLetterQueue``) and
``settings().delivery_queue_url``. Without ``DELIVERY_DLQ_URL`` the DLQ is looked up by its name next to the delivery
queue (the local system and unit tests name queues by their logical IDs).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from haishin import clock
from haishin.config import settings
from haishin.delivery.ledger import Ledger

DLQ_ENV = "DELIVERY_DLQ_URL"
LINE_REPLAY_WINDOW = timedelta(hours=23)
LINE_REPLAY_RISK_JA = (
    "LINE は再送キー(X-Line-Retry-Key)を 24 時間しか覚えていません。最初の送信から 23 時間以上たった LINE 配信を"
    "再送すると、障害の前にすでに届いていた友だちに同じメッセージが二重に届くおそれがあります。"
    "届いていないことを確認したうえで、それでも再送する場合だけ「強制して再送」を選んでください。"
)
_PEEK_VISIBILITY_S = 20


def dead_letter_queue_url() -> str:
    url = os.environ.get(DLQ_ENV, "")
    if url:
        return url
    base = settings().delivery_queue_url
    return base.rsplit("/", 1)[0] + "/DeliveryDeadLetterQueue" if base else ""


def _sqs() -> Any:
    import boto3  # noqa: PLC0415

    return boto3.client("sqs")


def _meta(message: dict[str, Any]) -> dict[str, Any]:
    try:
        raw = json.loads(message.get("Body", ""))
    except ValueError:
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    attributes = message.get("Attributes") or {}
    first = attributes.get("ApproximateFirstReceiveTimestamp") or attributes.get("SentTimestamp")
    return {"delivery_id": raw.get("delivery_id"), "workspace_id": raw.get("workspace_id"), "kind": raw.get("kind"),
            "channel": raw.get("channel"),
            "first_failed_at": datetime.fromtimestamp(int(first) / 1000, UTC).isoformat() if first else None,
            "receive_count": int(attributes.get("ApproximateReceiveCount", 0))}


def _receive_all(sqs: Any, url: str, limit: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < limit:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, limit - len(out)),
                                  VisibilityTimeout=_PEEK_VISIBILITY_S, AttributeNames=["All"],
                                  WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        out.extend(got)
    return out


def _release(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        chunk = messages[start:start + 10]
        if chunk:
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(chunk)])


def peek(*, workspace_id: str | None, ledger: Ledger | None = None, sqs: Any = None, url: str | None = None,
         limit: int = 100) -> list[dict[str, Any]]:
    """The dead letters (of one workspace, or all for ops): delivery ID, reason (the ledger's error), first failure."""
    sqs = sqs or _sqs()
    url = url or dead_letter_queue_url()
    ledger = ledger or Ledger()
    messages = _receive_all(sqs, url, limit)
    try:
        items = []
        for message in messages:
            meta = _meta(message)
            if workspace_id is not None and meta["workspace_id"] != workspace_id:
                continue
            row = ledger.get(meta["delivery_id"]) if meta["delivery_id"] else None
            items.append({**meta, "message_id": message["MessageId"],
                          "reason": (row.error if row is not None else None) or "no ledger reason (not JSON?)",
                          "ledger_status": row.status if row is not None else None})
        return items
    finally:
        _release(sqs, url, messages)


def _first_attempt(message: dict[str, Any], row: Any) -> datetime | None:
    """The earliest known moment of the delivery's first attempt (each source is at or before it)."""
    times: list[datetime] = []
    if row is not None and getattr(row, "enqueued_at", None) is not None:
        times.append(row.enqueued_at)
    try:
        enqueued = json.loads(message.get("Body", "")).get("enqueued_at")
        if enqueued:
            parsed = datetime.fromisoformat(str(enqueued))
            times.append(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    except (ValueError, AttributeError, TypeError):
        pass
    sent = (message.get("Attributes") or {}).get("SentTimestamp")
    if sent:
        times.append(datetime.fromtimestamp(int(sent) / 1000, UTC))
    return min(times) if times else None


def replay(*, workspace_id: str | None, ledger: Ledger | None = None, sqs: Any = None, url: str | None = None,
           target_url: str | None = None, limit: int = 1000, force_old_line: bool = False) -> dict[str, Any]:
    """Move dead letters back to DeliveryQueue. Each row is reset first; one sent meanwhile is dropped. A LINE delivery
    first attempted more than 23 h ago stays in the DLQ (``too_old_for_line``, with ``warning``) unless
    ``force_old_line``: LINE no longer knows its retry key, so a replay could send it twice."""
    sqs = sqs or _sqs()
    url = url or dead_letter_queue_url()
    target_url = target_url or settings().delivery_queue_url
    ledger = ledger or Ledger()
    counts: dict[str, Any] = {"replayed": 0, "already_sent": 0, "unreadable": 0, "other_workspace": 0,
                              "too_old_for_line": 0}
    too_old: list[str] = []
    messages = _receive_all(sqs, url, limit)
    leave: list[dict[str, Any]] = []
    for message in messages:
        meta = _meta(message)
        if workspace_id is not None and meta["workspace_id"] != workspace_id:
            counts["other_workspace"] += 1
            leave.append(message)
            continue
        if not meta["delivery_id"]:
            counts["unreadable"] += 1
            leave.append(message)
            continue
        row = ledger.get(meta["delivery_id"])
        first = _first_attempt(message, row)
        if meta["channel"] == "line" and not force_old_line and (
                first is None or clock.now() - first > LINE_REPLAY_WINDOW):
            counts["too_old_for_line"] += 1
            too_old.append(str(meta["delivery_id"]))
            leave.append(message)
            continue
        if row is not None and not ledger.reset_for_replay(meta["delivery_id"]):
            counts["already_sent"] += 1
        else:
            sqs.send_message(QueueUrl=target_url, MessageBody=message["Body"])
            counts["replayed"] += 1
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    _release(sqs, url, leave)
    if too_old:
        counts["too_old_delivery_ids"] = too_old
        counts["warning"] = LINE_REPLAY_RISK_JA
    return counts
