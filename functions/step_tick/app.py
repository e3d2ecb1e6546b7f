"""StepTick Lambda (cron(* * * * ? *), the start of every minute; reserved concurrency 1): enqueue every due step,
catch up missed minutes; then resume any broadcast stalled in planning (``BroadcastPlanner.resume_stalled``)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.wiring import services

logger = Logger()
metrics = Metrics()
_SAFETY_MS = 8000


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    remaining_ms = context.get_remaining_time_in_millis() if context else 50_000
    deadline = time.monotonic() + max(1.0, (remaining_ms - _SAFETY_MS) / 1000)
    report = services().tick.run(deadline=deadline)
    metrics.add_metric(name="StepsEnqueued", unit=MetricUnit.Count, value=report.enqueued)
    metrics.add_metric(name="StepsSkippedLate", unit=MetricUnit.Count, value=report.skipped_late)
    metrics.add_metric(name="TickMinutes", unit=MetricUnit.Count, value=report.minutes)
    logger.info("step tick", extra={"report": report.__dict__})
    try:  # a sweep failure must not fail the tick (it runs again next minute)
        sweep = services().planner.resume_stalled()
        metrics.add_metric(name="BroadcastsResumed", unit=MetricUnit.Count, value=sweep["resumed"])
    except Exception:
        logger.exception("stalled-broadcast sweep failed")
    return {"watermark": report.watermark, "enqueued": report.enqueued, "caught_up": report.caught_up,
            "minutes": report.minutes, "failed": report.failed}
