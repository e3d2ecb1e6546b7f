"""Operators (オペレーター) and the audit log.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""


from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.audit import AuditLog
from haishin.auth.permissions import Permission
from haishin.operators.models import OperatorModel
from haishin.wiring import services

router = APIGatewayHttpRouter()


class InviteOperator(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    role: str
    display_name: str | None = Field(default=None, max_length=100)
    granted: list[str] = Field(default_factory=list)
    denied: list[str] = Field(default_factory=list)
    channel_id: str | None = None


class UpdateOperator(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    role: str | None = None
    granted: list[str] | None = None
    denied: list[str] | None = None
    channel_id: str | None = None
    clear_channel: bool = False


def _operator(record: OperatorModel) -> dict[str, Any]:
    return {
        "email": record.email,
        "display_name": record.display_name,
        "role": record.role,
        "granted": sorted(record.granted or []),
        "denied": sorted(record.denied or []),
        "channel_id": record.channel_id,
        "status": record.status,
        "invited_at": record.invited_at.isoformat(),
        "invited_by": record.invited_by,
    }


@router.get("/operators")
@requires(Permission.MANAGE_OPERATORS)
def list_operators() -> dict[str, Any]:
    caller = current_caller()
    return {"items": [_operator(o) for o in services().operators.all(caller.workspace_id) if o.status != "removed"]}


@router.post("/operators")
@requires(Permission.MANAGE_OPERATORS)
def invite_operator(body: Annotated[InviteOperator, Body()]) -> tuple[dict[str, Any], int]:
    record = services().operators.invite(
        current_caller(), body.email, body.role, display_name=body.display_name, granted=body.granted,
        denied=body.denied, channel_id=body.channel_id,
    )
    return _operator(record), 201


@router.patch("/operators/<email>")
@requires(Permission.MANAGE_OPERATORS)
def update_operator(email: str, body: Annotated[UpdateOperator, Body()]) -> dict[str, Any]:
    record = services().operators.update(
        current_caller(), unquote(email), role=body.role, granted=body.granted, denied=body.denied,
        channel_id=body.channel_id, clear_channel=body.clear_channel,
    )
    return _operator(record)


@router.delete("/operators/<email>")
@requires(Permission.MANAGE_OPERATORS)
def remove_operator(email: str) -> dict[str, Any]:
    return _operator(services().operators.remove(current_caller(), unquote(email)))


@router.get("/audit-log")
@requires(Permission.VIEW_AUDIT_LOG)
def audit_log(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    target_kind: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    entries, next_cursor = AuditLog().page(current_caller().workspace_id, limit=limit, cursor=cursor,
                                           target_kind=target_kind)
    return {
        "items": [
            {"at": e.at.isoformat(), "operator_email": e.operator_email, "method": e.method, "path": e.path,
             "target_kind": e.target_kind, "status": e.status}
            for e in entries
        ],
        "cursor": next_cursor,
    }
