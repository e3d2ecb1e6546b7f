"""One WebhookQueue record: make the attempt that is due, and queue the next one after a backoff.

A retry is a new message with ``DelaySeconds`` (at most 15 minutes; a longer wait is re-delayed when it arrives), and
the record succeeds: the queue's own redrive (maxReceiveCount, then the dead-letter queue) is left for records that
cannot be processed at all (a bug, DynamoDB or SQS down), whose exception fails the record so SQS tries again.
"""

from __future__ import annotations

import json
from typing import Any

from haishin.errors import BadRequest
from haishin.webhooks.queue import DeliveryQueue
from haishin.webhooks.service import WebhookService


def handle_body(service: WebhookService, queue: DeliveryQueue, body: str) -> str:
    try:
        message: dict[str, Any] = json.loads(body)
        workspace_id, delivery_id = str(message["workspace_id"]), str(message["delivery_id"])
    except (ValueError, KeyError, TypeError):
        raise BadRequest("not a webhook delivery message", where="body") from None
    delay = service.deliver(workspace_id, delivery_id)
    if delay is None:
        return "settled"
    queue.send(workspace_id, delivery_id, delay_seconds=delay)
    return "requeued"
