"""LINE channels: connect an Official Account, list, rotate the token, set the LINE Login channel (inflow routes), set
the greeting, disconnect.

Secrets are write-only: responses show ``mask()`` hints. Reads need VIEW_DASHBOARD (names and masked hints only;
every operator picks a channel in chat and sees whether the webhook works); every change needs MANAGE_CHANNELS.
"""


from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.channels.service import ChannelService
from haishin.errors import ValidationFailed
from haishin.public_url import public_base
from haishin.wiring import services

router = APIGatewayHttpRouter()
def _body() -> Any:
    try:
        return router.current_event.json_body
    except ValueError as exc:
        raise ValidationFailed("the body is not JSON", where="body") from exc


@router.get("/channels")
@requires(Permission.VIEW_DASHBOARD)
def list_channels() -> dict[str, Any]:
    caller = current_caller()
    base = public_base()
    channels = [c for c in services().channels.list_channels(caller.workspace_id)
                if caller.channel_id is None or c.channel_id == caller.channel_id]
    return {"channels": [ChannelService.view(c, base) for c in channels]}


@router.post("/channels")
@requires(Permission.MANAGE_CHANNELS)
def connect_channel() -> Response[dict[str, Any]]:
    caller = current_caller()
    channel = services().channels.connect(caller.workspace_id, _body())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON,
                    body=ChannelService.view(channel, public_base()))


@router.get("/channels/<channel_id>")
@requires(Permission.VIEW_DASHBOARD)
def get_channel(channel_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require_channel(channel_id)
    return ChannelService.view(services().channels.require(caller.workspace_id, channel_id), public_base())


@router.put("/channels/<channel_id>/token")
@requires(Permission.MANAGE_CHANNELS)
def rotate_token(channel_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require_channel(channel_id)
    return ChannelService.view(services().channels.rotate(caller.workspace_id, channel_id, _body()), public_base())


@router.put("/channels/<channel_id>/login")
@requires(Permission.MANAGE_CHANNELS)
def set_login_channel(channel_id: str) -> dict[str, Any]:
    """The LINE Login channel (ID + secret, or both empty to remove it) that inflow routes log friends in with."""
    caller = current_caller()
    caller.require_channel(channel_id)
    return ChannelService.view(services().channels.set_login(caller.workspace_id, channel_id, _body()),
                               public_base())


@router.put("/channels/<channel_id>/liff")
@requires(Permission.MANAGE_CHANNELS)
def set_liff(channel_id: str) -> dict[str, Any]:
    """The channel's LIFF app ID (``{"liff_id": "<loginChannelId>-<8 chars>"}``, empty to remove it): forms and
    the friend's page open in LINE as that LIFF app (the view shows the endpoint URL to register with LINE)."""
    caller = current_caller()
    caller.require_channel(channel_id)
    return ChannelService.view(services().channels.set_liff(caller.workspace_id, channel_id, _body()),
                               public_base())


@router.get("/channels/<channel_id>/greeting")
@requires(Permission.VIEW_DASHBOARD)
def get_greeting(channel_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require_channel(channel_id)
    return services().channels.get_greeting(caller.workspace_id, channel_id)


@router.put("/channels/<channel_id>/greeting")
@requires(Permission.MANAGE_CHANNELS)
def set_greeting(channel_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require_channel(channel_id)
    return services().channels.set_greeting(caller.workspace_id, channel_id, _body())


@router.delete("/channels/<channel_id>")
@requires(Permission.MANAGE_CHANNELS)
def disconnect_channel(channel_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require_channel(channel_id)
    return ChannelService.view(services().channels.disconnect(caller.workspace_id, channel_id), public_base())
