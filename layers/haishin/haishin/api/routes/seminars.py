"""Seminars and events (セミナー・イベント): events, sessions (日程), registrations, check-in, roster (JSON, CSV)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.seminars.inputs import AttendanceIn, CheckInIn, MoveIn, RegisterIn, SeminarIn, SessionIn
from haishin.wiring import services

router = APIGatewayHttpRouter()


class LinkBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use (cold start)

    subscriber_id: str = Field(min_length=1)
    valid_days: int = Field(default=60, ge=1, le=365)


def _event(workspace_id: str, seminar_id: str) -> dict[str, Any]:
    seminars = services().seminars
    zone = seminars.zone(workspace_id)
    return {
        **seminars.event_view(seminars.get(workspace_id, seminar_id)),
        "sessions": [seminars.session_view(s, zone) for s in seminars.sessions(workspace_id, seminar_id)],
    }


@router.get("/seminars")
@requires(Permission.MANAGE_FORMS)
def list_seminars() -> dict[str, Any]:
    seminars = services().seminars
    return {"items": [seminars.event_view(e) for e in seminars.all(current_caller().workspace_id)]}


@router.post("/seminars")
@requires(Permission.MANAGE_FORMS)
def create_seminar(body: Annotated[SeminarIn, Body()]) -> Response:
    workspace_id = current_caller().workspace_id
    item = services().seminars.create(workspace_id, body)
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=_event(workspace_id, item.event_id)
    )


@router.get("/seminars/<seminar_id>")
@requires(Permission.MANAGE_FORMS)
def get_seminar(seminar_id: str) -> dict[str, Any]:
    return _event(current_caller().workspace_id, seminar_id)


@router.put("/seminars/<seminar_id>")
@requires(Permission.MANAGE_FORMS)
def update_seminar(seminar_id: str, body: Annotated[SeminarIn, Body()]) -> dict[str, Any]:
    workspace_id = current_caller().workspace_id
    services().seminars.update(workspace_id, seminar_id, body)
    return _event(workspace_id, seminar_id)


@router.delete("/seminars/<seminar_id>")
@requires(Permission.MANAGE_FORMS)
def delete_seminar(seminar_id: str) -> Response:
    services().seminars.delete(current_caller().workspace_id, seminar_id)
    return Response(status_code=204, body="")


@router.post("/seminars/<seminar_id>/sessions")
@requires(Permission.MANAGE_FORMS)
def add_session(seminar_id: str, body: Annotated[SessionIn, Body()]) -> Response:
    workspace_id = current_caller().workspace_id
    seminars = services().seminars
    session = seminars.add_session(workspace_id, seminar_id, body)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=seminars.session_view(session, seminars.zone(workspace_id)),
    )


@router.put("/seminars/<seminar_id>/sessions/<session_id>")
@requires(Permission.MANAGE_FORMS)
def update_session(seminar_id: str, session_id: str, body: Annotated[SessionIn, Body()]) -> dict[str, Any]:
    workspace_id = current_caller().workspace_id
    seminars = services().seminars
    return seminars.session_view(
        seminars.update_session(workspace_id, seminar_id, session_id, body), seminars.zone(workspace_id)
    )


@router.delete("/seminars/<seminar_id>/sessions/<session_id>")
@requires(Permission.MANAGE_FORMS)
def delete_session(seminar_id: str, session_id: str) -> Response:
    services().seminars.delete_session(current_caller().workspace_id, seminar_id, session_id)
    return Response(status_code=204, body="")


@router.get("/seminars/<seminar_id>/registrations")
@requires(Permission.MANAGE_FORMS)
def roster(seminar_id: str) -> dict[str, Any]:
    params = router.current_event.query_string_parameters or {}
    return {
        "items": services().seminars.roster(current_caller().workspace_id, seminar_id, params.get("session_id") or None)
    }


@router.get("/seminars/<seminar_id>/roster.csv")
@requires(Permission.EXPORT_CSV)
def roster_csv(seminar_id: str) -> Response:
    """The roster for Excel: ``encoding=shift_jis`` (default) or ``utf-8`` (with a BOM); ``session_id`` narrows."""
    current_caller().require(Permission.MANAGE_FORMS)
    params = router.current_event.query_string_parameters or {}
    encoding = "utf-8" if params.get("encoding") == "utf-8" else "shift_jis"
    data = services().seminars.roster_csv(
        current_caller().workspace_id, seminar_id, params.get("session_id") or None, encoding=encoding
    )
    return Response(
        status_code=200,
        content_type=f"text/csv; charset={encoding}",
        body=data,
        headers={"content-disposition": f'attachment; filename="roster-{seminar_id}.csv"'},
    )


@router.post("/seminars/<seminar_id>/registrations")
@requires(Permission.MANAGE_FORMS)
def register(seminar_id: str, body: Annotated[RegisterIn, Body()]) -> Response:
    seminars = services().seminars
    reg = seminars.register(
        current_caller().workspace_id, seminar_id, body.session_id, body.subscriber_id, source="staff"
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=seminars.registration_view(reg))


@router.post("/seminars/<seminar_id>/registrations/<registration_id>/cancel")
@requires(Permission.MANAGE_FORMS)
def cancel(seminar_id: str, registration_id: str) -> dict[str, Any]:
    seminars = services().seminars
    workspace_id = current_caller().workspace_id
    changed = seminars.cancel(workspace_id, seminar_id, registration_id)
    return {
        "cancelled": changed,
        "registration": seminars.registration_view(
            seminars.repo.registration(workspace_id, seminar_id, registration_id)
        ),
    }


@router.put("/seminars/<seminar_id>/registrations/<registration_id>/session")
@requires(Permission.MANAGE_FORMS)
def move(seminar_id: str, registration_id: str, body: Annotated[MoveIn, Body()]) -> dict[str, Any]:
    seminars = services().seminars
    return seminars.registration_view(
        seminars.move(current_caller().workspace_id, seminar_id, registration_id, body.session_id)
    )


@router.put("/seminars/<seminar_id>/registrations/<registration_id>/attendance")
@requires(Permission.MANAGE_FORMS)
def attendance(seminar_id: str, registration_id: str, body: Annotated[AttendanceIn, Body()]) -> dict[str, Any]:
    seminars = services().seminars
    return seminars.registration_view(
        seminars.set_attendance(current_caller().workspace_id, seminar_id, registration_id, body.attendance)
    )


@router.post("/seminars/<seminar_id>/sessions/<session_id>/no-shows")
@requires(Permission.MANAGE_FORMS)
def no_shows(seminar_id: str, session_id: str) -> dict[str, Any]:
    return {"marked": services().seminars.mark_no_shows(current_caller().workspace_id, seminar_id, session_id)}


@router.post("/seminars/check-in")
@requires(Permission.MANAGE_FORMS)
def check_in(body: Annotated[CheckInIn, Body()]) -> dict[str, Any]:
    seminars = services().seminars
    workspace_id = current_caller().workspace_id
    reg = seminars.check_in(workspace_id, body.code)
    friend = services().subscribers.get(workspace_id, reg.subscriber_id)
    return {**seminars.registration_view(reg), "display_name": (friend.display_name or "") if friend else ""}


@router.post("/seminars/<seminar_id>/link")
@requires(Permission.MANAGE_FORMS)
def mint_link(seminar_id: str, body: Annotated[LinkBody, Body()]) -> dict[str, Any]:
    url = services().seminars.friend_link(
        current_caller().workspace_id, seminar_id, body.subscriber_id, validity=timedelta(days=body.valid_days)
    )
    return {"url": url}
