"""The audit log: who changed what, and when, visible to owners.

The admin API records every successful change (any method but GET/HEAD/OPTIONS) automatically, so a new route is
audited without remembering to. Entries hold the route, the object's path and the outcome — never request bodies,
which may carry secrets. Stored in WorkspaceTable under pk ``audit#<workspace_id>`` sk ``<iso time>#<id>``.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin import clock, ids
from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, iso, model_meta


class AuditEntryModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    operator_id = UnicodeAttribute()
    operator_email = UnicodeAttribute()
    method = UnicodeAttribute()
    path = UnicodeAttribute()
    route = UnicodeAttribute()
    status = NumberAttribute()
    # What kind of thing changed, from the route: scenario, broadcast, operator, channel, secret...
    target_kind = UnicodeAttribute()


def audit_pk(workspace_id: str) -> str:
    return f"audit#{workspace_id}"


class AuditLog:
    def record(self, *, workspace_id: str, operator_id: str, operator_email: str, method: str, path: str,
               route: str, status: int, at: datetime | None = None) -> AuditEntryModel:
        at = at or clock.now()
        segments = [s for s in route.split("/") if s and s != "api" and not s.startswith("{")]
        entry = AuditEntryModel(
            pk=audit_pk(workspace_id), sk=f"{iso(at)}#{ids.new_id()}", workspace_id=workspace_id, at=at,
            operator_id=operator_id, operator_email=operator_email, method=method, path=path, route=route,
            status=status, target_kind=segments[0] if segments else "workspace",
        )
        entry.save()
        return entry

    def page(self, workspace_id: str, *, limit: int = 50, cursor: str | None = None,
             target_kind: str | None = None) -> tuple[list[AuditEntryModel], str | None]:
        condition = AuditEntryModel.sk < cursor if cursor else None
        filter_condition = AuditEntryModel.target_kind == target_kind if target_kind else None
        results = list(AuditEntryModel.query(audit_pk(workspace_id), condition, filter_condition,
                                             scan_index_forward=False, limit=limit))
        return results, (results[-1].sk if len(results) == limit else None)
