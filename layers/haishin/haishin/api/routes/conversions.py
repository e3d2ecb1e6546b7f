"""Conversion points (CV ポイント) and conversions (haishin.conversions).

- ``GET/POST /api/conversion-points``, ``GET/PUT/DELETE /api/conversion-points/{code}`` (the detail has the point's
  totals, its breakdown by last click, last message and route, and its recent conversions)
- ``POST /api/conversions``: a server-side conversion of one friend at a ``url`` point
- ``GET /api/broadcasts/{id}/conversions``, ``/scenarios/{id}/conversions``, ``/auto-replies/{id}/conversions``,
  ``/conversions/by-route?route=``: conversions and revenue per source
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.conversions.service import ConversionCall, PointDefinition
from haishin.errors import ValidationFailed
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/conversion-points")
@requires(Permission.VIEW_BROADCASTS)
def list_points() -> dict[str, Any]:
    return {"items": services().conversions.views(current_caller().workspace_id)}


@router.post("/conversion-points")
@requires(Permission.MANAGE_FORMS)
def create_point(body: Annotated[PointDefinition, Body()]) -> Response:
    conversions = services().conversions
    point = conversions.create(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=conversions.view(point))


@router.get("/conversion-points/<code>")
@requires(Permission.VIEW_BROADCASTS)
def get_point(code: str) -> dict[str, Any]:
    return services().conversions.detail(current_caller().workspace_id, code)


@router.put("/conversion-points/<code>")
@requires(Permission.MANAGE_FORMS)
def replace_point(code: str, body: Annotated[PointDefinition, Body()]) -> dict[str, Any]:
    conversions = services().conversions
    return conversions.view(conversions.replace(current_caller().workspace_id, code, body))


@router.delete("/conversion-points/<code>")
@requires(Permission.MANAGE_FORMS)
def delete_point(code: str) -> Response:
    services().conversions.delete(current_caller().workspace_id, code)
    return Response(status_code=204, body="")


@router.post("/conversions")
@requires(Permission.MANAGE_FORMS)
def record_conversion(body: Annotated[ConversionCall, Body()]) -> dict[str, Any]:
    return services().conversions.call(current_caller().workspace_id, body)


@router.get("/broadcasts/<broadcast_id>/conversions")
@requires(Permission.VIEW_BROADCASTS)
def broadcast_conversions(broadcast_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    broadcast = services().broadcasts.repository.require(ws, broadcast_id)  # another workspace's is 404
    return services().conversions.broadcast_view(ws, broadcast_id, delivered=int(broadcast.sent or 0))


@router.get("/scenarios/<scenario_id>/conversions")
@requires(Permission.VIEW_SCENARIOS)
def scenario_conversions(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    scenario = services().scenarios.require(ws, scenario_id)
    return services().conversions.scenario_view(ws, scenario_id, [step.id for step in scenario.steps])


@router.get("/auto-replies/<auto_reply_id>/conversions")
@requires(Permission.MANAGE_AUTO_REPLIES)
def auto_reply_conversions(auto_reply_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    services().auto_replies.get(ws, auto_reply_id)  # another workspace's auto-reply is 404
    return {"auto_reply_id": auto_reply_id,
            "by_click": services().conversions.single_view(ws, f"autoreply#{auto_reply_id}", "click")}


@router.get("/conversions/by-route")
@requires(Permission.VIEW_SUBSCRIBERS)
def route_conversions() -> dict[str, Any]:
    route = (router.current_event.get_query_string_value("route") or "").strip()
    if not route:
        raise ValidationFailed("route を指定してください", where="route")
    return {"route": route, **services().conversions.single_view(current_caller().workspace_id, f"route#{route}",
                                                                 "all")}
