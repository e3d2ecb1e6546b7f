"""Coupons (クーポン): list with stats, create/edit, code pool (import text/CSV, generate), codes and redemptions,
and redemption by code (the staff page ``#/coupons/redeem`` and the API; ``POST /coupons/{id}/redeem`` checks the code
belongs to that coupon)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.coupons.models import ArchiveCodesIn, CouponIn, CouponPatch, GenerateIn, ImportIn, RedeemIn
from haishin.csvio.cells import encode_rows
from haishin.errors import ValidationFailed
from haishin.subscribers.http import body, query, validate
from haishin.wiring import services

router = APIGatewayHttpRouter()


def _created(payload: dict[str, Any]) -> Response:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=payload)


@router.get("/coupons")
@requires(Permission.VIEW_BROADCASTS)
def list_coupons() -> dict[str, Any]:
    ws = current_caller().workspace_id
    svc = services().coupons
    return {"coupons": [svc.view(ws, c) for c in svc.all(ws)]}


@router.post("/coupons")
@requires(Permission.SEND_BROADCASTS)
def create_coupon() -> Any:
    ws = current_caller().workspace_id
    svc = services().coupons
    return _created(svc.view(ws, svc.create(ws, validate(CouponIn, body(router)))))


@router.get("/coupons/<coupon_id>")
@requires(Permission.VIEW_BROADCASTS)
def get_coupon(coupon_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    svc = services().coupons
    return svc.view(ws, svc.get(ws, coupon_id))


@router.patch("/coupons/<coupon_id>")
@requires(Permission.SEND_BROADCASTS)
def update_coupon(coupon_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    svc = services().coupons
    return svc.view(ws, svc.update(ws, coupon_id, validate(CouponPatch, body(router))))


@router.post("/coupons/<coupon_id>/codes/import")
@requires(Permission.SEND_BROADCASTS)
def import_codes(coupon_id: str) -> dict[str, Any]:
    request = validate(ImportIn, body(router))
    return services().coupons.import_codes(current_caller().workspace_id, coupon_id, request.text)


@router.post("/coupons/<coupon_id>/codes/generate")
@requires(Permission.SEND_BROADCASTS)
def generate_codes(coupon_id: str) -> dict[str, Any]:
    return services().coupons.generate_codes(current_caller().workspace_id, coupon_id,
                                             validate(GenerateIn, body(router)))


@router.get("/coupons/<coupon_id>/codes")
@requires(Permission.VIEW_BROADCASTS)
def list_codes(coupon_id: str) -> dict[str, Any]:
    return {"codes": services().coupons.codes(current_caller().workspace_id, coupon_id)}


@router.get("/coupons/<coupon_id>/codes/csv")
@requires(Permission.EXPORT_CSV)
def export_codes(coupon_id: str) -> Response:
    encoding = query(router, "encoding") or "utf-8-sig"
    if encoding not in ("utf-8-sig", "cp932"):
        raise ValidationFailed("文字コードは utf-8-sig か cp932 です", where="encoding")
    data = encode_rows(services().coupons.export_rows(current_caller().workspace_id, coupon_id), encoding)
    charset = "Shift_JIS" if encoding == "cp932" else "UTF-8"
    return Response(status_code=200, content_type=f"text/csv; charset={charset}",
                    headers={"content-disposition": f'attachment; filename="coupon-codes-{coupon_id}.csv"'},
                    body=data)


@router.post("/coupons/<coupon_id>/codes/archive")
@requires(Permission.SEND_BROADCASTS)
def archive_codes(coupon_id: str) -> dict[str, Any]:
    request = validate(ArchiveCodesIn, body(router))
    return services().coupons.archive_codes(current_caller().workspace_id, coupon_id, request.codes)


@router.post("/coupons/<coupon_id>/redemptions/<redemption_id>/undo")
@requires(Permission.EDIT_SUBSCRIBERS)
def undo_redemption(coupon_id: str, redemption_id: str) -> dict[str, Any]:
    caller = current_caller()
    return services().coupons.undo_redemption(caller.workspace_id, coupon_id, redemption_id,
                                              actor=f"operator:{caller.operator_id}")


@router.get("/coupons/<coupon_id>/redemptions")
@requires(Permission.VIEW_BROADCASTS)
def list_redemptions(coupon_id: str) -> dict[str, Any]:
    return {"redemptions": services().coupons.redemptions(current_caller().workspace_id, coupon_id)}


@router.get("/coupon-codes/check")
@requires(Permission.EDIT_SUBSCRIBERS)
def check_code() -> dict[str, Any]:
    return services().coupons.check(current_caller().workspace_id, query(router, "code") or "")


@router.post("/coupon-codes/redeem")
@requires(Permission.EDIT_SUBSCRIBERS)
def redeem_code() -> dict[str, Any]:
    caller = current_caller()
    request = validate(RedeemIn, body(router))
    return services().coupons.redeem(caller.workspace_id, request.code, subscriber_id=request.subscriber_id,
                                     source="staff", actor=f"operator:{caller.operator_id}")


@router.post("/coupons/<coupon_id>/redeem")
@requires(Permission.EDIT_SUBSCRIBERS)
def redeem_coupon(coupon_id: str) -> dict[str, Any]:
    caller = current_caller()
    request = validate(RedeemIn, body(router))
    return services().coupons.redeem(caller.workspace_id, request.code, subscriber_id=request.subscriber_id,
                                     source="api", actor=f"operator:{caller.operator_id}", coupon_id=coupon_id)
