"""Admin API Lambda: thin. Authentication, routing and auditing live in haishin.api.app.AdminApi."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin import observability
from haishin.api.app import AdminApi

logger = observability.logger()
metrics = Metrics()
tracer = Tracer()
api = AdminApi()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.handle(event, context)
