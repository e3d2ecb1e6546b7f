"""Putting delivery messages on DeliveryQueue (SendMessageBatch: at most 10 per call and ``MAX_MESSAGE_BYTES`` of
UTF-8 per call, ``haishin.sqs_limits``) and moving dead letters back."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from haishin.config import settings
from haishin.delivery.messages import DeliveryMessage
from haishin.sqs_limits import batches

log = logging.getLogger(__name__)
SQS_BATCH = 10


class DeliverySender(Protocol):
    def send(self, messages: Sequence[DeliveryMessage]) -> set[str]:
        """Enqueue; returns the delivery IDs that could NOT be enqueued (the caller retries them later)."""
        ...


class SqsDeliverySender:
    def __init__(self, client: Any = None, queue_url: str | None = None) -> None:
        self._client = client
        self._queue_url = queue_url
        self.calls = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("sqs")
        return self._client

    @property
    def queue_url(self) -> str:
        return self._queue_url or settings().delivery_queue_url

    def send(self, messages: Sequence[DeliveryMessage]) -> set[str]:
        failed: set[str] = set()
        bodies = [m.to_json() for m in messages]
        calls, too_large = batches(bodies)
        for index in too_large:  # the producers keep messages under the limit; this is the last guard, never a loss
            log.error("delivery %s is over the queue's message size; it stays due", messages[index].delivery_id)
            failed.add(messages[index].delivery_id)
        for call in calls:
            chunk = [messages[i] for i in call]
            entries = [{"Id": str(n), "MessageBody": bodies[i]} for n, i in enumerate(call)]
            self.calls += 1
            try:
                response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception:
                log.exception("SendMessageBatch failed; %d deliveries stay due", len(chunk))
                failed.update(m.delivery_id for m in chunk)
                continue
            for failure in response.get("Failed") or []:
                failed.add(chunk[int(failure["Id"])].delivery_id)
        return failed


class InMemoryDeliverySender:
    """For unit tests: records messages; ``fail_next`` makes the next N sends fail."""

    def __init__(self) -> None:
        self.sent: list[DeliveryMessage] = []
        self.fail_next = 0

    def send(self, messages: Sequence[DeliveryMessage]) -> set[str]:
        failed: set[str] = set()
        for message in messages:
            if self.fail_next > 0:
                self.fail_next -= 1
                failed.add(message.delivery_id)
            else:
                self.sent.append(message)
        return failed

    def take(self) -> list[DeliveryMessage]:
        out, self.sent = self.sent, []
        return out


@dataclass
class DeadLetter:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    delivery_id: str | None
    workspace_id: str | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "delivery_id": self.delivery_id, "workspace_id": self.workspace_id,
                "receive_count": self.receive_count, "error": self.error}


def parse_dead_letter(message: dict[str, Any]) -> DeadLetter:
    body = message.get("Body", "")
    delivery_id = workspace_id = None
    try:
        raw = json.loads(body)
        delivery_id, workspace_id = raw.get("delivery_id"), raw.get("workspace_id")
    except ValueError:
        pass
    return DeadLetter(message_id=message["MessageId"], receipt_handle=message["ReceiptHandle"], body=body,
                      receive_count=int((message.get("Attributes") or {}).get("ApproximateReceiveCount", 0)),
                      delivery_id=delivery_id, workspace_id=workspace_id)
