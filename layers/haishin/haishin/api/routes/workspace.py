"""Workspace settings (ワークスペース設定): name, time zone, quiet hours, frequency cap, quota policy.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/workspace")
@requires(Permission.VIEW_DASHBOARD)
def get_workspace() -> dict[str, Any]:
    return services().workspaces.get(current_caller().workspace_id)


@router.patch("/workspace")
@requires(Permission.MANAGE_SETTINGS)
def patch_workspace() -> dict[str, Any]:
    try:
        body = router.current_event.json_body
    except ValueError as exc:
        raise ValidationFailed("the body is not JSON", where="body") from exc
    return services().workspaces.patch(current_caller().workspace_id, body)
