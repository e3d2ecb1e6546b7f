"""クロス分析: ``POST /analysis/cross`` answers the table (a read: not audited), ``POST /analysis/cross/csv`` the
same table as a CSV file (an export: EXPORT_CSV, audited). The body names two dimensions and an optional saved
segment; IDs in it (``segment_id``, ``rows.scenario_id``, ``rows.folder_id``...) pass the admin API's ownership
check before the route runs (another workspace's ID is refused with 404 naming the field)."""

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ConfigDict

from haishin.analysis.cross import CrossQuery
from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.subscribers.http import body, validate
from haishin.wiring import services

router = APIGatewayHttpRouter()


class CrossCsvQuery(CrossQuery):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    encoding: Literal["utf-8-sig", "cp932"] = "utf-8-sig"


@router.post("/analysis/cross")
@requires(Permission.VIEW_SUBSCRIBERS)
def cross_table() -> dict[str, Any]:
    query = validate(CrossQuery, body(router))
    return services().cross_analysis.run(current_caller().workspace_id, query).to_dict()


@router.post("/analysis/cross/csv")
@requires(Permission.EXPORT_CSV)
def cross_csv() -> Response:
    request = validate(CrossCsvQuery, body(router))
    query = CrossQuery.model_validate(request.model_dump(exclude={"encoding"}))
    table = services().cross_analysis.run(current_caller().workspace_id, query)
    charset = "Shift_JIS" if request.encoding == "cp932" else "UTF-8"
    return Response(status_code=200, content_type=f"text/csv; charset={charset}",
                    headers={"content-disposition": 'attachment; filename="cross-analysis.csv"'},
                    body=table.to_csv(request.encoding))
