"""Outgoing webhooks (Webhook 送信): endpoints, their signing secrets (shown once), recent deliveries, test, replay.

Permissions: reading endpoints and deliveries is VIEW_DELIVERIES (the action editor lists endpoints); changing an
endpoint, rotating its secret, sending a test and replaying are MANAGE_WEBHOOKS (owner-only: an endpoint decides
where friends' data leaves the system).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.webhooks.models import EVENT_TYPES
from haishin.webhooks.schemas import EndpointDefinition, EndpointUpdate
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/webhooks")
@requires(Permission.VIEW_DELIVERIES)
def list_endpoints() -> dict[str, Any]:
    return {"items": services().webhooks.endpoints(current_caller().workspace_id), "event_types": list(EVENT_TYPES)}


@router.post("/webhooks")
@requires(Permission.MANAGE_WEBHOOKS)
def create_endpoint(body: Annotated[EndpointDefinition, Body()]) -> Response:
    """The answer carries ``secret`` (whsec_...) this once; afterwards only its last four characters."""
    created = services().webhooks.create_endpoint(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@router.patch("/webhooks/<endpoint_id>")
@requires(Permission.MANAGE_WEBHOOKS)
def update_endpoint(endpoint_id: str, body: Annotated[EndpointUpdate, Body()]) -> dict[str, Any]:
    return services().webhooks.update_endpoint(current_caller().workspace_id, endpoint_id, body)


@router.delete("/webhooks/<endpoint_id>")
@requires(Permission.MANAGE_WEBHOOKS)
def delete_endpoint(endpoint_id: str) -> Response:
    services().webhooks.delete_endpoint(current_caller().workspace_id, endpoint_id)
    return Response(status_code=204, body="")


@router.post("/webhooks/<endpoint_id>/rotate-secret")
@requires(Permission.MANAGE_WEBHOOKS)
def rotate_secret(endpoint_id: str) -> dict[str, Any]:
    return services().webhooks.rotate_secret(current_caller().workspace_id, endpoint_id)


@router.post("/webhooks/<endpoint_id>/test")
@requires(Permission.MANAGE_WEBHOOKS)
def send_test(endpoint_id: str) -> Response:
    delivery = services().webhooks.send_test(current_caller().workspace_id, endpoint_id)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=delivery)


@router.get("/webhooks/deliveries")
@requires(Permission.VIEW_DELIVERIES)
def list_deliveries(limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    endpoint: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    return {"items": services().webhooks.deliveries(current_caller().workspace_id, limit=limit, endpoint_id=endpoint)}


@router.get("/webhooks/deliveries/<delivery_id>")
@requires(Permission.VIEW_DELIVERIES)
def get_delivery(delivery_id: str) -> dict[str, Any]:
    return services().webhooks.delivery(current_caller().workspace_id, delivery_id)


@router.post("/webhooks/deliveries/<delivery_id>/replay")
@requires(Permission.MANAGE_WEBHOOKS)
def replay_delivery(delivery_id: str) -> Response:
    delivery = services().webhooks.replay(current_caller().workspace_id, delivery_id)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=delivery)
