"""Keyword auto-replies (自動応答): CRUD, permission MANAGE_AUTO_REPLIES. Validation errors name the field."""


from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.autoreplies.rules import AutoReplyStore
from haishin.errors import ValidationFailed

router = APIGatewayHttpRouter()
store = AutoReplyStore(cache_ttl_s=0)


def _body() -> Any:
    try:
        return router.current_event.json_body
    except ValueError as exc:
        raise ValidationFailed("the body is not JSON", where="body") from exc


@router.get("/auto-replies")
@requires(Permission.MANAGE_AUTO_REPLIES)
def list_auto_replies() -> dict[str, Any]:
    return {"auto_replies": [r.to_dict() for r in store.list_rules(current_caller().workspace_id)]}


@router.post("/auto-replies")
@requires(Permission.MANAGE_AUTO_REPLIES)
def create_auto_reply() -> Response[dict[str, Any]]:
    rule = store.create(current_caller().workspace_id, _body())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=rule.to_dict())


@router.get("/auto-replies/<auto_reply_id>")
@requires(Permission.MANAGE_AUTO_REPLIES)
def get_auto_reply(auto_reply_id: str) -> dict[str, Any]:
    return store.get(current_caller().workspace_id, auto_reply_id).to_dict()


@router.put("/auto-replies/<auto_reply_id>")
@requires(Permission.MANAGE_AUTO_REPLIES)
def update_auto_reply(auto_reply_id: str) -> dict[str, Any]:
    return store.update(current_caller().workspace_id, auto_reply_id, _body()).to_dict()


@router.delete("/auto-replies/<auto_reply_id>")
@requires(Permission.MANAGE_AUTO_REPLIES)
def delete_auto_reply(auto_reply_id: str) -> dict[str, Any]:
    store.delete(current_caller().workspace_id, auto_reply_id)
    return {"deleted": auto_reply_id}
