"""LINE events consumer Lambda: applies each queued webhook body's events exactly once (partial batch failures).

Thin: the logic is ``haishin.ingest.processor``; batching and ``last_event_at`` in ``haishin.ingest.consumer``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.wiring import services

logger = Logger()
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return services().line_events_consumer.handle(event, context)
