"""1:1 chat: a friend's messages both ways (newest first) and an operator's reply by push (permission CHAT)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.bodies import idempotency_key
from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.wiring import services

router = APIGatewayHttpRouter()
@router.get("/subscribers/<subscriber_id>/chat")
@requires(Permission.CHAT)
def chat_history(subscriber_id: str) -> dict[str, Any]:
    caller = current_caller()
    query = router.current_event.query_string_parameters or {}
    try:
        limit = int(query.get("limit") or 50)
    except ValueError as exc:
        raise ValidationFailed("limit must be a number", where="limit") from exc
    return services().chat.history(caller.workspace_id, subscriber_id, cursor=query.get("cursor"), limit=limit,
                                   allowed_channel=caller.channel_id)


@router.post("/subscribers/<subscriber_id>/chat")
@requires(Permission.CHAT)
def chat_send(subscriber_id: str) -> dict[str, Any]:
    caller = current_caller()
    try:
        body = router.current_event.json_body
    except ValueError as exc:
        raise ValidationFailed("the body is not JSON", where="body") from exc
    key = idempotency_key(router.current_event.headers)
    return services().chat.send(caller.workspace_id, subscriber_id, body, operator_id=caller.operator_id,
                          idempotency_key=key, allowed_channel=caller.channel_id)
