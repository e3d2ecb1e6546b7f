"""Partners and affiliates (パートナー・アフィリエイト): CRUD, the partner's report and its signed link (rotatable),
and the monthly payout CSV.

Permission: MANAGE_FORMS for partners (their referral link is an inflow route, like tracked links); EXPORT_CSV for
the payout CSV; VIEW_PAYMENTS to list commissions awaiting approval, MANAGE_PAYMENTS to approve (確定) or reject
(否認) them (money owed: the payments permission). Every change is in the audit log (the admin API records it).
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.subscribers.http import body
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/partners")
@requires(Permission.MANAGE_FORMS)
def list_partners() -> dict[str, Any]:
    return {"items": services().partners.views(current_caller().workspace_id)}


@router.post("/partners")
@requires(Permission.MANAGE_FORMS)
def create_partner() -> Response:
    ws = current_caller().workspace_id
    partner = services().partners.create(ws, body(router))
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON,
                    body=services().partners.view(ws, partner, with_link=True))


@router.get("/partners/<partner_id>")
@requires(Permission.MANAGE_FORMS)
def get_partner(partner_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    return services().partners.view(ws, services().partners.get(ws, partner_id), with_link=True)


@router.put("/partners/<partner_id>")
@requires(Permission.MANAGE_FORMS)
def replace_partner(partner_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    partner = services().partners.replace(ws, partner_id, body(router))
    return services().partners.view(ws, partner, with_link=True)


@router.delete("/partners/<partner_id>")
@requires(Permission.MANAGE_FORMS)
def delete_partner(partner_id: str) -> Response:
    services().partners.delete(current_caller().workspace_id, partner_id)
    return Response(status_code=204, body="")


@router.post("/partners/<partner_id>/rotate-link")
@requires(Permission.MANAGE_FORMS)
def rotate_link(partner_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    partner = services().partners.rotate_link(ws, partner_id)
    return services().partners.view(ws, partner, with_link=True)


@router.get("/partners/<partner_id>/report")
@requires(Permission.MANAGE_FORMS)
def partner_report(partner_id: str) -> dict[str, Any]:
    return services().partners.report(current_caller().workspace_id, partner_id)


@router.get("/partner-payouts")
@requires(Permission.EXPORT_CSV)
def payout_csv() -> Response:
    month = router.current_event.get_query_string_value("month") or ""
    encoding = router.current_event.get_query_string_value("encoding") or "utf-8-sig"
    if encoding not in ("utf-8-sig", "cp932"):
        raise ValidationFailed("文字コードは utf-8-sig か cp932 です", where="encoding")
    chosen: Literal["utf-8-sig", "cp932"] = "cp932" if encoding == "cp932" else "utf-8-sig"
    data = services().partners.payout_csv(current_caller().workspace_id, month, chosen)
    charset = "Shift_JIS" if chosen == "cp932" else "UTF-8"
    return Response(status_code=200, content_type=f"text/csv; charset={charset}",
                    headers={"content-disposition": f'attachment; filename="partner-payout-{month}.csv"'},
                    body=data)


@router.post("/partners/<partner_id>/email-report-link")
@requires(Permission.MANAGE_FORMS)
def email_report_link(partner_id: str) -> dict[str, Any]:
    return services().partners.email_report_link(current_caller().workspace_id, partner_id)


@router.get("/partner-commissions")
@requires(Permission.VIEW_PAYMENTS)
def list_commissions() -> dict[str, Any]:
    status = router.current_event.get_query_string_value("status") or "pending"
    month = router.current_event.get_query_string_value("month") or None
    return {"items": services().partners.commissions(current_caller().workspace_id,
                                                     status=None if status == "all" else status, month=month)}


@router.post("/partner-commissions/decide")
@requires(Permission.MANAGE_PAYMENTS)
def decide_commissions() -> dict[str, Any]:
    caller = current_caller()
    return services().partners.decide(caller.workspace_id, body(router), by=caller.email)
