"""WebhookSender Lambda (WebhookQueue): one signed attempt per record; a retry is queued with a delay; partial batch
failures for records that could not be processed at all (SQS retries them, then the dead-letter queue)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.webhooks.consumer import handle_body
from haishin.wiring import services

logger = Logger()
metrics = Metrics()


def record_handler(record: SQSRecord) -> str:
    webhooks = services().webhooks
    return handle_body(webhooks, webhooks.queue, record.body)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # One processor per batch: it holds the batch's records and failures, and the local runtime runs batches of
    # one module on several threads (tests/unit/webhooks/test_webhook_sender_handler.py).
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
