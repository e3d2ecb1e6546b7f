"""WebhookQueue (SQS): one message per delivery attempt due, ``{"workspace_id", "delivery_id"}``."""

from __future__ import annotations

import json
from typing import Any, Protocol

from haishin.config import settings

MAX_SQS_DELAY_S = 900  # SQS's DelaySeconds limit; a later retry is re-delayed by the consumer


class DeliveryQueue(Protocol):
    def send(self, workspace_id: str, delivery_id: str, *, delay_seconds: int = 0) -> None: ...


class SqsWebhookQueue:
    def __init__(self, client: Any = None, queue_url: str | None = None) -> None:
        self._client = client
        self._queue_url = queue_url

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("sqs")
        return self._client

    def send(self, workspace_id: str, delivery_id: str, *, delay_seconds: int = 0) -> None:
        body = json.dumps({"workspace_id": workspace_id, "delivery_id": delivery_id})
        self.client.send_message(QueueUrl=self._queue_url or settings().webhook_queue_url, MessageBody=body,
                                 DelaySeconds=max(0, min(int(delay_seconds), MAX_SQS_DELAY_S)))


class InMemoryWebhookQueue:
    """For unit tests: records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, int]] = []

    def send(self, workspace_id: str, delivery_id: str, *, delay_seconds: int = 0) -> None:
        self.sent.append((workspace_id, delivery_id, delay_seconds))
