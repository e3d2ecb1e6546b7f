"""The dashboard (ダッシュボード): friends and deliveries per day, LINE quota, the newest delivery errors.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.dashboard import MAX_DAYS
from haishin.wiring import services

router = APIGatewayHttpRouter()
@router.get("/dashboard")
@requires(Permission.VIEW_DASHBOARD)
def get_dashboard(days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 30) -> dict[str, Any]:
    return services().dashboard.build(current_caller().workspace_id, days)
