"""Broadcasts (一斉配信 / セグメント配信): CRUD, send now, schedule, cancel, test send, quota check, ID-list upload.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.broadcasts.audience import check_list, save_list
from haishin.broadcasts.service import BroadcastInput
from haishin.wiring import services

router = APIGatewayHttpRouter()


class BroadcastBody(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    channel: str | None = None
    line_channel_id: str | None = None
    content: dict[str, Any] | None = None
    segment: dict[str, Any] | None = None
    segment_id: str | None = None
    everyone: bool | None = None
    respect_quiet_hours: bool | None = None
    respect_daily_cap: bool | None = None
    variants: list[dict[str, Any]] | None = Field(default=None, max_length=10,
                                                  description="A/B test: 2-4 of {content, weight}; [] ends the test")
    ab_test_share: int | None = Field(default=None, description="A/B: percent sent the test first (5-95)")
    ab_winner_after_minutes: int | None = Field(default=None, description="A/B: minutes until the winner goes to "
                                                "the rest (10-10080)")
    ab_metric: str | None = Field(default=None, description="A/B winner metric: click_rate (default), "
                                  "conversion_rate or revenue_per_recipient")


class ScheduleBody(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    at: str = Field(min_length=10, max_length=40, description="local date and time, e.g. 2026-01-10T09:30")


class TestSendBody(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    line_user_ids: list[str] = Field(default_factory=list, max_length=20)
    subscriber_ids: list[str] = Field(default_factory=list, max_length=20)


class IdListBody(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    kind: str = Field(pattern="^(line_user_id|email)$")
    text: str = Field(min_length=1, max_length=20_000_000)
    name: str | None = Field(default=None, max_length=200)
    line_channel_id: str | None = None
    save: bool = True


def _input(body: BroadcastBody) -> BroadcastInput:
    return BroadcastInput(**body.model_dump())


@router.get("/broadcasts")
@requires(Permission.VIEW_BROADCASTS)
def list_broadcasts() -> dict[str, Any]:
    service = services().broadcasts
    workspace_id = current_caller().workspace_id
    return {"items": [service.view(b) for b in service.repository.all(workspace_id)]}


@router.post("/broadcasts")
@requires(Permission.SEND_BROADCASTS)
def create_broadcast(body: Annotated[BroadcastBody, Body()]) -> tuple[dict[str, Any], int]:
    caller = current_caller()
    service = services().broadcasts
    broadcast = service.create(caller.workspace_id, _input(body), created_by=caller.email)
    return service.view(broadcast, with_content=True), 201


@router.get("/broadcasts/<broadcast_id>")
@requires(Permission.VIEW_BROADCASTS)
def get_broadcast(broadcast_id: str) -> dict[str, Any]:
    service = services().broadcasts
    return service.view(service.repository.require(current_caller().workspace_id, broadcast_id), with_content=True)


@router.patch("/broadcasts/<broadcast_id>")
@requires(Permission.SEND_BROADCASTS)
def update_broadcast(broadcast_id: str, body: Annotated[BroadcastBody, Body()]) -> dict[str, Any]:
    service = services().broadcasts
    broadcast = service.update(current_caller().workspace_id, broadcast_id, _input(body))
    return service.view(broadcast, with_content=True)


@router.delete("/broadcasts/<broadcast_id>")
@requires(Permission.SEND_BROADCASTS)
def delete_broadcast(broadcast_id: str) -> dict[str, Any]:
    services().broadcasts.delete(current_caller().workspace_id, broadcast_id)
    return {"deleted": broadcast_id}


@router.post("/broadcasts/<broadcast_id>/send")
@requires(Permission.SEND_BROADCASTS)
def send_broadcast(broadcast_id: str) -> tuple[dict[str, Any], int]:
    return services().broadcasts.send_now(current_caller().workspace_id, broadcast_id), 202


@router.post("/broadcasts/<broadcast_id>/schedule")
@requires(Permission.SEND_BROADCASTS)
def schedule_broadcast(broadcast_id: str, body: Annotated[ScheduleBody, Body()]) -> dict[str, Any]:
    return services().broadcasts.schedule(current_caller().workspace_id, broadcast_id, body.at)


@router.post("/broadcasts/<broadcast_id>/cancel")
@requires(Permission.SEND_BROADCASTS)
def cancel_broadcast(broadcast_id: str) -> dict[str, Any]:
    service = services().broadcasts
    return service.view(service.cancel(current_caller().workspace_id, broadcast_id))


@router.post("/broadcasts/<broadcast_id>/test-send")
@requires(Permission.SEND_BROADCASTS)
def test_send_broadcast(broadcast_id: str, body: Annotated[TestSendBody, Body()]) -> dict[str, Any]:
    return services().broadcasts.test_send(current_caller().workspace_id, broadcast_id,
                                           line_user_ids=body.line_user_ids, subscriber_ids=body.subscriber_ids)


@router.get("/broadcasts/<broadcast_id>/quota-check")
@requires(Permission.VIEW_BROADCASTS)
def quota_check(broadcast_id: str) -> dict[str, Any]:
    return services().broadcasts.quota_check(current_caller().workspace_id, broadcast_id)


@router.get("/broadcasts/<broadcast_id>/abtest")
@requires(Permission.VIEW_BROADCASTS)
def abtest_results(broadcast_id: str) -> dict[str, Any]:
    """An A/B test broadcast's results: recipients, clicks and click rate per variant, and the verdict."""
    return services().broadcast_abtests.results(current_caller().workspace_id, broadcast_id)


@router.post("/broadcasts/id-lists")
@requires(Permission.SEND_BROADCASTS)
def upload_id_list(body: Annotated[IdListBody, Body()]) -> tuple[dict[str, Any], int]:
    """Pasted text or CSV of LINE user IDs / emails: a per-line report; the known ones saved as a segment list."""
    workspace_id = current_caller().workspace_id
    report = check_list(workspace_id, body.kind, body.text, line_channel_id=body.line_channel_id)
    if body.save and report.known:
        save_list(workspace_id, body.name or "uploaded list", report)
    return report.as_dict(), 201 if report.list_id else 200
