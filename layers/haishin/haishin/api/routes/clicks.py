"""Click tracking results (haishin.track): clicks on the URLs rewritten into broadcasts, scenario steps,
auto-replies, and by inflow route. Read only.

- ``GET /api/broadcasts/{id}/clicks``: total, unique friends, delivered, click rate (unique / delivered), per variant
- ``GET /api/scenarios/{id}/clicks``: total and unique friends per step
- ``GET /api/auto-replies/{id}/clicks`` and ``GET /api/clicks/by-route?route=<friend's inflow route>``: total and unique
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/broadcasts/<broadcast_id>/clicks")
@requires(Permission.VIEW_BROADCASTS)
def broadcast_clicks(broadcast_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    repository = services().broadcasts.repository
    broadcast = repository.require(ws, broadcast_id)  # another workspace's broadcast is 404
    variant_delivered: dict[int, int] = {}
    for index in range(len(broadcast.variants or [])):
        variant_delivered[index] = sum(int((item.counts or {}).get(f"variant_{index}", 0))
                                       for item in repository.slices(ws, broadcast_id))
    return services().track.broadcast_view(ws, broadcast_id, delivered=int(broadcast.sent or 0),
                                           variant_delivered=variant_delivered)


@router.get("/scenarios/<scenario_id>/clicks")
@requires(Permission.VIEW_SCENARIOS)
def scenario_clicks(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    scenario = services().scenarios.require(ws, scenario_id)
    return services().track.scenario_view(ws, scenario_id, [step.id for step in scenario.steps])


@router.get("/auto-replies/<auto_reply_id>/clicks")
@requires(Permission.MANAGE_AUTO_REPLIES)
def auto_reply_clicks(auto_reply_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    services().auto_replies.get(ws, auto_reply_id)  # another workspace's auto-reply is 404
    return {"auto_reply_id": auto_reply_id, **services().track.single_view(ws, f"autoreply#{auto_reply_id}")}


@router.get("/clicks/by-route")
@requires(Permission.VIEW_SUBSCRIBERS)
def route_clicks() -> dict[str, Any]:
    route = (router.current_event.get_query_string_value("route") or "").strip()
    if not route:
        raise ValidationFailed("route を指定してください", where="route")
    return {"route": route, **services().track.single_view(current_caller().workspace_id, f"route#{route}")}
