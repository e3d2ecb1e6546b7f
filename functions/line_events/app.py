"""LINE events consumer Lambda: applies each queued webhook body's events exactly once (partial batch failures).

Thin: the logic is ``haishin.ingest.processor``; batching and ``last_event_at`` in ``haishin.ingest.consumer``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.ingest.consumer import LineEventsConsumer, default_processor

logger = Logger()
_consumer: LineEventsConsumer | None = None


def set_consumer(consumer: LineEventsConsumer | None) -> None:
    """Tests inject a consumer built on fakes."""
    global _consumer
    _consumer = consumer


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _consumer
    if _consumer is None:
        _consumer = LineEventsConsumer(default_processor())
    return _consumer.handle(event, context)
