"""Funnels (ファネル): ordered pages of blocks, published at /f/<workspace>/<funnel>/<page>, and their stats."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.funnels.inputs import FunnelIn
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/funnels")
@requires(Permission.MANAGE_FORMS)
def list_funnels() -> dict[str, Any]:
    funnels = services().funnels
    return {"items": [funnels.view(f) for f in funnels.all(current_caller().workspace_id)]}


@router.post("/funnels")
@requires(Permission.MANAGE_FORMS)
def create_funnel(body: Annotated[FunnelIn, Body()]) -> Response:
    funnels = services().funnels
    item = funnels.create(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=funnels.view(item))


@router.get("/funnels/<funnel_id>")
@requires(Permission.MANAGE_FORMS)
def get_funnel(funnel_id: str) -> dict[str, Any]:
    funnels = services().funnels
    return funnels.view(funnels.get(current_caller().workspace_id, funnel_id))


@router.put("/funnels/<funnel_id>")
@requires(Permission.MANAGE_FORMS)
def update_funnel(funnel_id: str, body: Annotated[FunnelIn, Body()]) -> dict[str, Any]:
    funnels = services().funnels
    return funnels.view(funnels.update(current_caller().workspace_id, funnel_id, body))


@router.delete("/funnels/<funnel_id>")
@requires(Permission.MANAGE_FORMS)
def delete_funnel(funnel_id: str) -> Response:
    services().funnels.delete(current_caller().workspace_id, funnel_id)
    return Response(status_code=204, body="")


@router.get("/funnels/<funnel_id>/stats")
@requires(Permission.MANAGE_FORMS)
def funnel_stats(funnel_id: str) -> dict[str, Any]:
    return services().funnels.stats(current_caller().workspace_id, funnel_id)


@router.get("/funnels/<funnel_id>/pages/<page_id>/preview")
@requires(Permission.MANAGE_FORMS)
def preview_page(funnel_id: str, page_id: str) -> dict[str, Any]:
    """The page's HTML for the builder's preview (drafts too; nothing counted). The admin shows it in an iframe with
    an empty ``sandbox``: a unique origin where no script runs, whatever the page holds."""
    return {"html": services().funnel_preview.html(current_caller().workspace_id, funnel_id, page_id)}
