"""One SQS record through the worker (used by functions/delivery_worker and the local tools).

A failed record is raised back to BatchProcessor (partial batch failure). Before that, its visibility is shortened to
a backoff by receive count (10 s, 20 s, 40 s ... up to 5 min) so a retry does not wait the queue's 12-minute
visibility timeout; a permanent failure becomes visible at once so the redrive moves it to the DLQ quickly.
"""

from __future__ import annotations

import logging
from typing import Any

from haishin.config import settings
from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.worker import DeliveryWorker, HandBack, PermanentFailure, RetryLater

log = logging.getLogger(__name__)
_sqs: Any = None


def _set_visibility(receipt_handle: str | None, seconds: int) -> None:
    global _sqs
    if not receipt_handle or not settings().delivery_queue_url:
        return
    try:
        if _sqs is None:
            import boto3  # noqa: PLC0415

            _sqs = boto3.client("sqs")
        _sqs.change_message_visibility(QueueUrl=settings().delivery_queue_url, ReceiptHandle=receipt_handle,
                                       VisibilityTimeout=seconds)
    except Exception:  # best effort: the queue's own visibility timeout applies otherwise
        log.warning("could not change the visibility of a failed delivery", exc_info=True)


def backoff_seconds(receive_count: int) -> int:
    return min(300, 10 * 2 ** max(0, receive_count - 1))


def handle_record(worker: DeliveryWorker, record: dict[str, Any], *, logger: Any = None,
                  remaining_ms: int | None = None) -> str:
    """``remaining_ms``: the invocation's remaining time (Lambda's ``context.get_remaining_time_in_millis()``); the
    worker stops sending before it runs out and hands the unsent rest back (visible again at once)."""
    logger = logger or log
    message = DeliveryMessage.from_json(record.get("body", ""))
    receive_count = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
    stop_at = worker.stop_at(remaining_ms) if remaining_ms is not None else None
    try:
        status = worker.process(message, stop_at=stop_at)
    except HandBack as exc:
        logger.info("delivery handed back before the timeout", extra={"delivery_id": message.delivery_id,
                                                                      "reason": str(exc)})
        _set_visibility(record.get("receiptHandle"), 0)
        raise
    except RetryLater as exc:
        logger.info("delivery will be retried", extra={"delivery_id": message.delivery_id, "reason": str(exc)})
        _set_visibility(record.get("receiptHandle"), backoff_seconds(receive_count))
        raise
    except PermanentFailure as exc:
        logger.warning("delivery failed permanently", extra={"delivery_id": message.delivery_id, "reason": str(exc)})
        _set_visibility(record.get("receiptHandle"), 0)
        raise
    except Exception:
        # anything else is a bug or an outage (a DynamoDB/LINE error the worker did not classify): logged here with
        # its traceback, as Powertools' batch processor logs a failed record only at DEBUG; SQS retries it
        logger.exception("delivery raised", extra={"delivery_id": message.delivery_id})
        raise
    return status
