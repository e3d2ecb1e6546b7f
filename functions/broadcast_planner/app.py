"""BroadcastPlanner Lambda: invoked by EventBridge Scheduler ({"broadcast_id", "workspace_id"}) or by PlannerQueue
(a "send now" start message, or one slice message per subscriber shard). The domain is ``haishin.broadcasts``.
PlannerQueue also carries the rich menu re-link jobs (``{"kind": "rich_menu_relink"}``, ``haishin.richmenus``): the
same reads (subscribers, enrollments), LINE secrets and time budget; and a pool coupon's per-code Stripe promotion
codes (``{"kind": "coupon_stripe_codes"}``, ``haishin.coupons.stripe_codes``)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.wiring import services

logger = Logger()
metrics = Metrics()
# haishin.richmenus.relink.JOB_KIND, spelled out: importing that module here would load pydantic on every cold start
# (tests/unit/richmenus/test_rules.py checks the two agree)
RELINK_KIND = "rich_menu_relink"
COUPON_STRIPE_KIND = "coupon_stripe_codes"  # haishin.coupons.stripe_codes.JOB_KIND, spelled out for the same reason


def record_handler(record: SQSRecord) -> dict[str, Any]:
    body = json.loads(record.body)
    if body.get("kind") == RELINK_KIND:  # a rich menu re-link job shares this queue (haishin.richmenus.relink)
        outcome = services().relink_jobs.handle(body)
        logger.info("rich menu re-link handled", extra=outcome)
        return outcome
    if body.get("kind") == COUPON_STRIPE_KIND:
        outcome = services().coupon_stripe_jobs.handle(body)
        logger.info("coupon Stripe codes job handled", extra=outcome)
        return outcome
    outcome = services().planner.handle(body)
    logger.info("planner message handled", extra=outcome)
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" in event:
        # One processor per batch: it holds the batch's records and failures, and the local runtime runs batches of
        # one module on several threads (tests/unit/webhooks/test_webhook_sender_handler.py).
        processor = BatchProcessor(event_type=EventType.SQS)
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    outcome = services().planner.handle(event)  # EventBridge Scheduler: the schedule's Input as the event
    logger.info("scheduled broadcast started", extra=outcome)
    return outcome
