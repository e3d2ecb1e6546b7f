"""Field definitions (友だち情報 / 読者項目): list, create, change label/choices/order, delete."""


from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.fields.models import FieldDefinition, definition_to_dict
from haishin.subscribers.http import body, validate
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/fields")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_fields() -> dict[str, Any]:
    return {"fields": [definition_to_dict(d) for d in services().fields.all(current_caller().workspace_id)]}


@router.post("/fields")
@requires(Permission.EDIT_SUBSCRIBERS)
def create_field() -> Any:
    definition = services().fields.create(current_caller().workspace_id, validate(FieldDefinition, body(router)))
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=definition_to_dict(definition))


@router.get("/fields/<key>")
@requires(Permission.VIEW_SUBSCRIBERS)
def get_field(key: str) -> dict[str, Any]:
    return definition_to_dict(services().fields.require(current_caller().workspace_id, key))


@router.patch("/fields/<key>")
@requires(Permission.EDIT_SUBSCRIBERS)
def update_field(key: str) -> dict[str, Any]:
    return definition_to_dict(services().fields.update(current_caller().workspace_id, key, body(router)))


@router.delete("/fields/<key>")
@requires(Permission.EDIT_SUBSCRIBERS)
def delete_field(key: str) -> Any:
    services().fields.delete(current_caller().workspace_id, key)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")
