"""Stripe webhook Lambda (POST /stripe/webhook/{workspace_id}): verify, apply once, answer.

Thin: the signature check (stdlib) and the event's domain live in ``haishin.payments``; ``stripe`` is not imported
here (only the API calls an event may need, such as attaching an installments schedule, import it lazily).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.config import settings
from haishin.errors import HaishinError
from haishin.pages.http import header, path_param, raw_body
from haishin.wiring import services

logger = Logger()
metrics = Metrics()


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    workspace_id = path_param(event, "workspace_id")
    try:
        body = raw_body(event, limit=settings().max_webhook_body_bytes)
    except HaishinError as error:  # too large (413) or broken base64 (400), named
        return _answer(error.http_status, {"error": error.code, "detail": error.message})
    if not workspace_id:
        return _answer(400, {"error": "bad request", "detail": "no workspace in the path"})
    try:
        status, answer = services().payments.handle_webhook(workspace_id, body, header(event, "stripe-signature"))
    except Exception:
        logger.exception("stripe event failed", extra={"workspace_id": workspace_id})
        return _answer(500, {"error": "try again"})  # Stripe retries; nothing half-done is marked as processed
    if status == 400:
        logger.warning("stripe webhook refused", extra={"workspace_id": workspace_id, "reason": answer.get("detail")})
    metrics.add_metric(name=f"StripeWebhook_{status}", unit=MetricUnit.Count, value=1)
    return _answer(status, answer)
