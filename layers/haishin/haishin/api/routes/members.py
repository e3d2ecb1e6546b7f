"""Member sites (会員サイト): courses (chapters -> lessons), members with progress and drop-off per lesson, manual
grants, and revoking a member's sessions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.members.inputs import CourseIn, GrantIn
from haishin.subscribers.http import body, validate
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/courses")
@requires(Permission.VIEW_PAYMENTS)
def list_courses() -> dict[str, Any]:
    members = services().members
    return {"courses": [members.view(c) for c in members.courses(current_caller().workspace_id)]}


@router.post("/courses")
@requires(Permission.MANAGE_PAYMENTS)
def create_course() -> Response:
    members = services().members
    course = members.create_course(current_caller().workspace_id, members.definition(validate(CourseIn, body(router))))
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=members.view(course))


@router.get("/courses/<course_id>")
@requires(Permission.VIEW_PAYMENTS)
def get_course(course_id: str) -> dict[str, Any]:
    members = services().members
    return members.view(members.course(current_caller().workspace_id, course_id))


@router.put("/courses/<course_id>")
@requires(Permission.MANAGE_PAYMENTS)
def update_course(course_id: str) -> dict[str, Any]:
    members = services().members
    definition = members.definition(validate(CourseIn, body(router)))
    return members.view(members.update_course(current_caller().workspace_id, course_id, definition))


@router.delete("/courses/<course_id>")
@requires(Permission.MANAGE_PAYMENTS)
def delete_course(course_id: str) -> Response:
    services().members.delete_course(current_caller().workspace_id, course_id)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@router.get("/courses/<course_id>/members")
@requires(Permission.VIEW_PAYMENTS)
def course_members(course_id: str) -> dict[str, Any]:
    return services().members.members(current_caller().workspace_id, course_id)


@router.post("/courses/<course_id>/grants")
@requires(Permission.MANAGE_PAYMENTS)
def grant(course_id: str) -> dict[str, Any]:
    request = validate(GrantIn, body(router))
    return services().members.grant_manually(current_caller().workspace_id, course_id, request.subscriber_id)


@router.post("/courses/<course_id>/grants/<subscriber_id>/revoke")
@requires(Permission.MANAGE_PAYMENTS)
def revoke(course_id: str, subscriber_id: str) -> dict[str, Any]:
    return services().members.revoke_manually(current_caller().workspace_id, course_id, subscriber_id)


@router.post("/members/<subscriber_id>/sessions/revoke")
@requires(Permission.MANAGE_PAYMENTS)
def revoke_sessions(subscriber_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    services().subscribers.require(ws, subscriber_id)  # another workspace's friend: not found
    return {"revoked": services().members.revoke_sessions(ws, subscriber_id)}
