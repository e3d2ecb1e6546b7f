"""Admin API Lambda: thin. Authentication, routing and auditing live in haishin.api.app.AdminApi.

No Powertools Tracer here: X-Ray active tracing (template.yaml Globals) traces every invocation without the SDK, and
the SDK with its patches cost about 50 ms of every cold start (docs/production/cold.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin import observability
from haishin.api.app import AdminApi

logger = observability.logger()
metrics = Metrics()
api = AdminApi()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.handle(event, context)
