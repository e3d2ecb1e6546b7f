"""Deliveries: the delivery error log (配信エラーログ)."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.delivery.dead_letters import peek, replay
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


@router.get("/deliveries/dead-letters")
@requires(Permission.VIEW_DELIVERIES)
def dead_letters() -> dict[str, Any]:
    """Deliveries of this workspace that went to the DLQ: delivery ID, reason, first failure (never the bodies)."""

    limit = min(500, int(router.current_event.get_query_string_value("limit") or 100))
    return {"items": peek(workspace_id=current_caller().workspace_id, ledger=services().ledger, limit=limit)}


@router.post("/deliveries/dead-letters/replay")
@requires(Permission.MANAGE_DELIVERIES)
def replay_dead_letters() -> dict[str, Any]:
    """Move this workspace's dead letters back to DeliveryQueue (each ledger row reset first; sent ones dropped).
    LINE deliveries first tried over 23 h ago stay unless ``?force_old_line=true`` (the answer's ``warning`` says
    why, in Japanese: LINE forgets retry keys after 24 h, so a replay could send twice)."""

    force = (router.current_event.get_query_string_value("force_old_line") or "").lower() in ("1", "true", "yes")
    return replay(workspace_id=current_caller().workspace_id, ledger=services().ledger, force_old_line=force)
