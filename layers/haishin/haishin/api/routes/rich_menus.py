"""Rich menus (リッチメニュー): list, create, read, replace (re-publishes a published menu), delete (removes it on
LINE), the image (upload with LINE's checks, read for the preview), publish, and tap statistics.

Permission: MANAGE_FORMS (like forms and routes, a menu carries actions run for friends); statistics:
VIEW_DASHBOARD. An operator limited to one channel sees and changes only that channel's menus (another channel's
menu is "not found").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import NotFound, ValidationFailed
from haishin.richmenus.models import ImageUpload, RichMenuInput
from haishin.richmenus.service import menu_to_dict
from haishin.wiring import services

router = APIGatewayHttpRouter()


def _day(value: str | None, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("日付（YYYY-MM-DD）で指定してください", where=where) from None


def _workspace(menu_id: str | None = None, channel_id: str | None = None) -> str:
    """The caller's workspace, after checking a channel-limited operator may use this menu (or channel)."""
    caller = current_caller()
    if caller.channel_id is not None:
        if menu_id is not None:
            channel_id = services().rich_menus.require(caller.workspace_id, menu_id).channel_id
        if channel_id is not None and channel_id != caller.channel_id:
            raise NotFound(f"リッチメニューが見つかりません: {menu_id or channel_id}", where="menu_id")
    return caller.workspace_id


@router.get("/rich-menus")
@requires(Permission.MANAGE_FORMS)
def list_menus(channel_id: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    caller = current_caller()
    channel_id = caller.channel_id or channel_id or None
    menus = services().rich_menus.menus(_workspace(channel_id=channel_id), channel_id)
    return {"items": [menu_to_dict(m) for m in menus]}


@router.post("/rich-menus")
@requires(Permission.MANAGE_FORMS)
def create_menu(body: Annotated[RichMenuInput, Body()]) -> Response:
    menu = services().rich_menus.create(_workspace(channel_id=body.channel_id), body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=menu_to_dict(menu))


@router.get("/rich-menus/<menu_id>")
@requires(Permission.MANAGE_FORMS)
def get_menu(menu_id: str) -> dict[str, Any]:
    return menu_to_dict(services().rich_menus.require(_workspace(menu_id), menu_id))


@router.put("/rich-menus/<menu_id>")
@requires(Permission.MANAGE_FORMS)
def replace_menu(menu_id: str, body: Annotated[RichMenuInput, Body()]) -> dict[str, Any]:
    _workspace(channel_id=body.channel_id)
    return menu_to_dict(services().rich_menus.update(_workspace(menu_id), menu_id, body))


@router.delete("/rich-menus/<menu_id>")
@requires(Permission.MANAGE_FORMS)
def delete_menu(menu_id: str) -> Response:
    services().rich_menus.delete(_workspace(menu_id), menu_id)
    return Response(status_code=204, body="")


@router.put("/rich-menus/<menu_id>/image")
@requires(Permission.MANAGE_FORMS)
def upload_image(menu_id: str, body: Annotated[ImageUpload, Body()]) -> dict[str, Any]:
    return services().rich_menus.upload_image(_workspace(menu_id), menu_id, body)


@router.get("/rich-menus/<menu_id>/image")
@requires(Permission.MANAGE_FORMS)
def get_image(menu_id: str) -> Response:
    content_type, data = services().rich_menus.image(_workspace(menu_id), menu_id)
    return Response(
        status_code=200, content_type=content_type, body=data, headers={"cache-control": "private, no-store"}
    )


@router.post("/rich-menus/<menu_id>/publish")
@requires(Permission.MANAGE_FORMS)
def publish_menu(menu_id: str) -> dict[str, Any]:
    return menu_to_dict(services().rich_menus.publish(_workspace(menu_id), menu_id))


@router.get("/rich-menus/<menu_id>/stats")
@requires(Permission.VIEW_DASHBOARD)
def menu_stats(
    menu_id: str, since: Annotated[str | None, Query()] = None, until: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    return services().rich_menus.stats(_workspace(menu_id), menu_id, _day(since, "since"), _day(until, "until"))
