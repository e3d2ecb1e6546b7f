"""Dead letters of DeliveryQueue: peek (what failed, why, since when; never message bodies) and replay (back to
DeliveryQueue after ``Ledger.reset_for_replay``; a delivery that was sent meanwhile is dropped, not resent).

Queue URLs: ``DELIVERY_DLQ_URL`` (template: ``DELIVERY_DLQ_URL: !Ref DeliveryDeadLetterQueue``) and
``settings().delivery_queue_url``. Without ``DELIVERY_DLQ_URL`` the DLQ is looked up by its name next to the delivery
queue (the local system and unit tests name queues by their logical IDs).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from haishin.config import settings
from haishin.delivery.ledger import Ledger

DLQ_ENV = "DELIVERY_DLQ_URL"
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


def replay(*, workspace_id: str | None, ledger: Ledger | None = None, sqs: Any = None, url: str | None = None,
           target_url: str | None = None, limit: int = 1000) -> dict[str, int]:
    """Move dead letters back to DeliveryQueue. Each row is reset first; one sent meanwhile is dropped."""
    sqs = sqs or _sqs()
    url = url or dead_letter_queue_url()
    target_url = target_url or settings().delivery_queue_url
    ledger = ledger or Ledger()
    counts = {"replayed": 0, "already_sent": 0, "unreadable": 0, "other_workspace": 0}
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
        if ledger.get(meta["delivery_id"]) is not None and not ledger.reset_for_replay(meta["delivery_id"]):
            counts["already_sent"] += 1
        else:
            sqs.send_message(QueueUrl=target_url, MessageBody=message["Body"])
            counts["replayed"] += 1
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    _release(sqs, url, leave)
    return counts
