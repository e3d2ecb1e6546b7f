"""Tracked links (流入経路 / クリック測定): create, list and get with click counts, per-friend URLs, delete.

Permission: MANAGE_FORMS (the hosted-pages permission; links, like forms, carry actions run for friends).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.links.service import LinkDefinition, link_view
from haishin.wiring import services

router = APIGatewayHttpRouter()
class FriendLinkBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use (cold start)

    subscriber_id: str = Field(min_length=1)
    valid_days: int = Field(default=365, ge=1, le=3650)


@router.get("/links")
@requires(Permission.MANAGE_FORMS)
def list_links() -> dict[str, Any]:
    return {"items": services().links.views(current_caller().workspace_id)}


@router.post("/links")
@requires(Permission.MANAGE_FORMS)
def create_link(body: Annotated[LinkDefinition, Body()]) -> Response:
    link = services().links.create(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=link_view(link))


@router.get("/links/<link_id>")
@requires(Permission.MANAGE_FORMS)
def get_link(link_id: str) -> dict[str, Any]:
    return services().links.view(current_caller().workspace_id, link_id)


@router.delete("/links/<link_id>")
@requires(Permission.MANAGE_FORMS)
def delete_link(link_id: str) -> Response:
    services().links.delete(current_caller().workspace_id, link_id)
    return Response(status_code=204, body="")


@router.post("/links/<link_id>/friend-url")
@requires(Permission.MANAGE_FORMS)
def friend_url(link_id: str, body: Annotated[FriendLinkBody, Body()]) -> dict[str, Any]:
    return services().links.mint(current_caller().workspace_id, link_id, body.subscriber_id,
                          validity=timedelta(days=body.valid_days))
