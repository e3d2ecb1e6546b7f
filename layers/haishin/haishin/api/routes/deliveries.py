"""Deliveries: the delivery error log (配信エラーログ)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/deliveries/errors")
@requires(Permission.VIEW_DELIVERIES)
def delivery_errors() -> dict[str, Any]:
    event = router.current_event
    limit = min(200, int(event.get_query_string_value("limit") or 50))
    rows, cursor = services().ledger.errors_page(current_caller().workspace_id, limit=limit,
                                                 cursor=event.get_query_string_value("cursor"))
    return {"items": [{"delivery_id": r.delivery_id, "kind": r.kind, "channel": r.channel, "status": r.status,
                       "subscriber_id": r.subscriber_id, "scenario_id": r.scenario_id, "step_id": r.step_id,
                       "broadcast_id": r.broadcast_id, "error": r.error, "attempts": r.attempts,
                       "line_request_id": r.line_request_id,
                       "scheduled_at": r.scheduled_at.isoformat() if r.scheduled_at else None} for r in rows],
            "cursor": cursor}
