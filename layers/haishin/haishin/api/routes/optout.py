"""配信停止 of one friend, as an operator sees and changes it: per channel (line, email, sms) and "all".

No `from __future__ import annotations` in route modules (Powertools reads the annotations at runtime).
"""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.optout.service import SCOPES
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/subscribers/<subscriber_id>/opt-out")
@requires(Permission.VIEW_SUBSCRIBERS)
def get_opt_out(subscriber_id: str) -> dict[str, Any]:
    """Per channel and "all": stopped or not, plus ``changes`` (when and how each last changed)."""
    return services().optout.detail(current_caller().workspace_id, subscriber_id)


@router.put("/subscribers/<subscriber_id>/opt-out")
@requires(Permission.EDIT_SUBSCRIBERS)
def set_opt_out(subscriber_id: str) -> dict[str, Any]:
    """Body ``{"channel": "line" | "email" | "sms" | "all", "stopped": true | false}``."""
    body = router.current_event.json_body
    if not isinstance(body, dict):
        raise ValidationFailed("JSONオブジェクトを送ってください", where="body")
    channel, stopped = body.get("channel"), body.get("stopped")
    if channel not in SCOPES or not isinstance(stopped, bool):
        raise ValidationFailed("channel は line / email / sms / all、stopped は true / false で指定してください",
                               where="body")
    ws = current_caller().workspace_id
    service = services().optout
    service.state(ws, subscriber_id)  # another workspace's friend is 404
    service.set(ws, subscriber_id, str(channel), stopped, reason="admin")
    return service.detail(ws, subscriber_id)


@router.get("/workspace/optout-keywords")
@requires(Permission.VIEW_DASHBOARD)
def get_optout_keywords() -> dict[str, Any]:
    """The LINE keywords that stop (配信停止) and resume (配信再開) a friend's LINE messages."""
    return services().optout_keywords.get(current_caller().workspace_id).view()


@router.put("/workspace/optout-keywords")
@requires(Permission.MANAGE_SETTINGS)
def put_optout_keywords() -> dict[str, Any]:
    """Body ``{"stop": ["配信停止", ...], "resume": ["配信再開", ...]}``; a clash with an auto-reply is refused."""
    try:
        body = router.current_event.json_body
    except ValueError as exc:
        raise ValidationFailed("JSONとして読めません", where="body") from exc
    return services().optout_keywords.put(current_caller().workspace_id, body,
                                          auto_replies=services().auto_replies).view()
