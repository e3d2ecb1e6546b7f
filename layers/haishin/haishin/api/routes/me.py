"""Who am I: the signed-in operator, their workspace and permissions (the admin shows and hides by these)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, public, requires
from haishin.auth.permissions import Permission

router = APIGatewayHttpRouter()


@router.get("/me")
@requires(Permission.VIEW_DASHBOARD)
def me() -> dict[str, Any]:
    caller = current_caller()
    return {
        "operator_id": caller.operator_id,
        "email": caller.email,
        "workspace_id": caller.workspace_id,
        "role": caller.role.value,
        "permissions": sorted(p.value for p in caller.permissions),
        "channel_id": caller.channel_id,
    }


@router.get("/health")
@public
def health() -> dict[str, str]:
    return {"status": "ok"}
