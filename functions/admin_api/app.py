"""Admin API Lambda: authenticate from the JWT claims, then let the routers do the rest."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from haishin.api.app import build_app
from haishin.api.security import set_caller
from haishin.auth.caller import caller_from_claims
from haishin.errors import HaishinError

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = build_app()

_PUBLIC_PATHS = frozenset({"/api/openapi.json", "/api/health"})


def _claims(event: dict[str, Any]) -> dict[str, Any] | None:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return (authorizer.get("jwt") or {}).get("claims")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    path = event.get("rawPath", "")
    if path not in _PUBLIC_PATHS:
        try:
            set_caller(caller_from_claims(_claims(event)))
        except HaishinError as error:
            return {
                "statusCode": error.http_status,
                "headers": {"content-type": "application/json"},
                "body": json.dumps(error.to_dict(), ensure_ascii=False),
            }
    else:
        set_caller(None)
    try:
        return app.resolve(event, context)
    finally:
        set_caller(None)
