"""Slot booking (予約): menus, staff, open slots, the booking calendar, staff booking/cancelling for a friend,
attendance, and a friend's signed booking link.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""

from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.bookings.models import MenuModel, StaffModel
from haishin.errors import ValidationFailed
from haishin.storage.base import iso
from haishin.wiring import services

router = APIGatewayHttpRouter()


def _body() -> Any:
    try:
        return router.current_event.json_body
    except ValueError as exc:
        raise ValidationFailed("本文が JSON ではありません", where="body") from exc


def _params() -> dict[str, str]:
    return router.current_event.query_string_parameters or {}


def _date(text: str | None, where: str) -> date:
    if not text:
        raise ValidationFailed("日付を 2026-01-06 の形で指定してください", where=where)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(f"日付 '{text}' は 2026-01-06 の形で指定してください", where=where) from exc


def _days(text: str | None) -> int:
    try:
        return max(1, min(int(text or 7), 31))
    except ValueError as exc:
        raise ValidationFailed("日数は 1〜31 の数字です", where="days") from exc


def _menu(menu: MenuModel) -> dict[str, Any]:
    return {"menu_id": menu.menu_id, **menu.definition, "updated_at": iso(menu.updated_at)}


def _staff(staff: StaffModel) -> dict[str, Any]:
    return {"staff_id": staff.staff_id, **staff.definition, "updated_at": iso(staff.updated_at)}


def _created(view: dict[str, Any]) -> Response:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)


@router.get("/booking-menus")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_booking_menus() -> dict[str, Any]:
    return {"items": [_menu(m) for m in services().bookings.list_menus(current_caller().workspace_id)]}


@router.post("/booking-menus")
@requires(Permission.MANAGE_FORMS)
def create_booking_menu() -> Response:
    return _created(_menu(services().bookings.save_menu(current_caller().workspace_id, _body())))


@router.put("/booking-menus/<booking_menu_id>")
@requires(Permission.MANAGE_FORMS)
def update_booking_menu(booking_menu_id: str) -> dict[str, Any]:
    return _menu(services().bookings.save_menu(current_caller().workspace_id, _body(), booking_menu_id))


@router.delete("/booking-menus/<booking_menu_id>")
@requires(Permission.MANAGE_FORMS)
def delete_booking_menu(booking_menu_id: str) -> Response:
    services().bookings.delete_menu(current_caller().workspace_id, booking_menu_id)
    return Response(status_code=204, body="")


@router.get("/booking-staff")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_booking_staff() -> dict[str, Any]:
    return {"items": [_staff(s) for s in services().bookings.list_staff(current_caller().workspace_id)]}


@router.post("/booking-staff")
@requires(Permission.MANAGE_FORMS)
def create_booking_staff() -> Response:
    return _created(_staff(services().bookings.save_staff(current_caller().workspace_id, _body())))


@router.put("/booking-staff/<staff_id>")
@requires(Permission.MANAGE_FORMS)
def update_booking_staff(staff_id: str) -> dict[str, Any]:
    return _staff(services().bookings.save_staff(current_caller().workspace_id, _body(), staff_id))


@router.delete("/booking-staff/<staff_id>")
@requires(Permission.MANAGE_FORMS)
def delete_booking_staff(staff_id: str) -> Response:
    services().bookings.delete_staff(current_caller().workspace_id, staff_id)
    return Response(status_code=204, body="")


@router.get("/booking-slots")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_booking_slots() -> dict[str, Any]:
    params, workspace_id = _params(), current_caller().workspace_id
    bookings = services().bookings
    menu_id = params.get("menu_id") or ""
    if not menu_id:
        raise ValidationFailed("メニューを選んでください", where="menu_id")
    zone = bookings.zone(workspace_id)
    slots = bookings.slots(
        workspace_id,
        menu_id,
        staff_id=params.get("staff_id") or "",
        start_date=_date(params.get("date"), "date"),
        days=_days(params.get("days")),
    )
    return {"items": [s.view(zone) for s in slots], "time_zone": str(zone)}


@router.get("/bookings")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_bookings() -> Any:
    """The calendar's bookings with names; ``format=csv`` (export permission) downloads them for Excel:
    ``encoding=shift_jis`` (default, as the seminar roster) or ``utf-8`` (with a BOM)."""
    params, workspace_id = _params(), current_caller().workspace_id
    bookings = services().bookings
    start, days = _date(params.get("date"), "date"), _days(params.get("days"))
    if params.get("format") == "csv":
        current_caller().require(Permission.EXPORT_CSV)
        encoding = params.get("encoding") or "shift_jis"
        if encoding not in ("shift_jis", "utf-8"):
            raise ValidationFailed("文字コードは shift_jis か utf-8 を指定してください", where="encoding")
        return Response(
            status_code=200,
            content_type=f"text/csv; charset={encoding}",
            headers={"content-disposition": f'attachment; filename="bookings-{start.isoformat()}.csv"'},
            body=bookings.calendar_csv(workspace_id, start, days, "cp932" if encoding == "shift_jis" else "utf-8-sig"),
        )
    zone = bookings.zone(workspace_id)
    return {"items": bookings.calendar_views(workspace_id, start, days), "time_zone": str(zone)}


@router.post("/bookings")
@requires(Permission.EDIT_SUBSCRIBERS)
def create_booking() -> Response:
    workspace_id = current_caller().workspace_id
    bookings = services().bookings
    booking = bookings.book(workspace_id, _body(), booked_by="staff")
    return _created(bookings.view(booking, bookings.zone(workspace_id)))


@router.post("/bookings/<booking_id>/cancel")
@requires(Permission.EDIT_SUBSCRIBERS)
def cancel_booking(booking_id: str) -> dict[str, Any]:
    workspace_id = current_caller().workspace_id
    bookings = services().bookings
    return bookings.view(bookings.cancel(workspace_id, booking_id, by_staff=True), bookings.zone(workspace_id))


@router.post("/bookings/<booking_id>/attendance")
@requires(Permission.EDIT_SUBSCRIBERS)
def mark_booking_attendance(booking_id: str) -> dict[str, Any]:
    workspace_id = current_caller().workspace_id
    bookings = services().bookings
    body = _body()
    status = body.get("status") if isinstance(body, dict) else None
    return bookings.view(bookings.mark(workspace_id, booking_id, str(status or "")), bookings.zone(workspace_id))


@router.post("/bookings/link")
@requires(Permission.EDIT_SUBSCRIBERS)
def mint_booking_link() -> dict[str, Any]:
    body = _body()
    subscriber_id = str(body.get("subscriber_id") or "") if isinstance(body, dict) else ""
    if not subscriber_id:
        raise ValidationFailed("友だちを選んでください", where="subscriber_id")
    workspace_id = current_caller().workspace_id
    if services().subscribers.get(workspace_id, subscriber_id) is None:
        raise ValidationFailed("友だちが見つかりません", where="subscriber_id")
    return {"url": services().bookings.mint_link(workspace_id, subscriber_id, validity=timedelta(days=30))}


@router.post("/bookings/<booking_id>/reschedule")
@requires(Permission.EDIT_SUBSCRIBERS)
def reschedule_booking(booking_id: str) -> dict[str, Any]:
    workspace_id = current_caller().workspace_id
    bookings = services().bookings
    return bookings.view(bookings.reschedule(workspace_id, booking_id, _body()), bookings.zone(workspace_id))


@router.get("/booking-waitlist")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_booking_waitlist() -> dict[str, Any]:
    """The friends waiting (キャンセル待ち) for the full slots of the days."""
    params, workspace_id = _params(), current_caller().workspace_id
    start, days = _date(params.get("date"), "date"), _days(params.get("days"))
    return {"items": services().bookings.waitlist(workspace_id, start, days)}
