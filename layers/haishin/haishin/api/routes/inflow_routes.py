"""Inflow routes (流入経路): list, create, get (with the number of friends who came by it), replace, delete, and the
route's QR code as PNG or SVG.

A scenario's own friend-add link (``/scenarios/{id}/friend-link``: read it, make it) is such a route; its QR code
and deletion are the route's.

Permission: MANAGE_FORMS (the hosted-pages permission: routes, like links and forms, carry actions run for friends);
reading a scenario's link: VIEW_SCENARIOS.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.routes.scenario_link import ScenarioLinkRequest
from haishin.routes.service import RouteDefinition, route_view
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/inflow-routes")
@requires(Permission.MANAGE_FORMS)
def list_routes() -> dict[str, Any]:
    return {"items": services().routes.views(current_caller().workspace_id)}


@router.post("/inflow-routes")
@requires(Permission.MANAGE_FORMS)
def create_route(body: Annotated[RouteDefinition, Body()]) -> Response:
    route = services().routes.create(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=route_view(route))


@router.get("/inflow-routes/<route_id>")
@requires(Permission.MANAGE_FORMS)
def get_route(route_id: str) -> dict[str, Any]:
    return services().routes.view(current_caller().workspace_id, route_id)


@router.put("/inflow-routes/<route_id>")
@requires(Permission.MANAGE_FORMS)
def replace_route(route_id: str, body: Annotated[RouteDefinition, Body()]) -> dict[str, Any]:
    return route_view(services().routes.replace(current_caller().workspace_id, route_id, body))


@router.delete("/inflow-routes/<route_id>")
@requires(Permission.MANAGE_FORMS)
def delete_route(route_id: str) -> Response:
    services().routes.delete(current_caller().workspace_id, route_id)
    return Response(status_code=204, body="")


@router.get("/inflow-routes/<route_id>/qr")
@requires(Permission.MANAGE_FORMS)
def route_qr(route_id: str, format: Annotated[str, Query()] = "png") -> Response:
    data, media_type = services().routes.qr(current_caller().workspace_id, route_id, format)
    extension = "svg" if media_type.startswith("image/svg") else "png"
    return Response(status_code=200, content_type=media_type, body=data,
                    headers={"content-disposition": f'attachment; filename="route-{route_id}.{extension}"'})


@router.get("/scenarios/<scenario_id>/friend-link")
@requires(Permission.VIEW_SCENARIOS)
def scenario_link(scenario_id: str) -> dict[str, Any]:
    return services().scenario_links.view(current_caller().workspace_id, scenario_id)


@router.post("/scenarios/<scenario_id>/friend-link")
@requires(Permission.MANAGE_FORMS)
def create_scenario_link(scenario_id: str, body: Annotated[ScenarioLinkRequest, Body()]) -> dict[str, Any]:
    return services().scenario_links.create(current_caller().workspace_id, scenario_id, body)
