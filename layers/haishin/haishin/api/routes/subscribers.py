"""Friends (友だち): list/search with the segment filter, detail, timeline, create, edit fields and tags, merge.

LINE user IDs appear only for callers with VIEW_LINE_USER_IDS. Every ID is looked up inside the caller's workspace,
so another workspace's friend is a 404.
"""


import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.segments.engine import SegmentEngine
from haishin.segments.model import Group
from haishin.subscribers.http import body, int_query, query, validate
from haishin.subscribers.service import SubscriberCreate, SubscriberPatch, present
from haishin.timeline.models import Timeline
from haishin.wiring import services

router = APIGatewayHttpRouter()


class SearchIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    segment: Group | None = None
    segment_id: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    sort: str = "created_at"
    order: str = "desc"
    cursor: str | None = None


class MergeIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    loser_id: str = Field(min_length=1)


def _search(request: SearchIn) -> dict[str, Any]:
    caller = current_caller()
    ws = caller.workspace_id
    segment = request.segment
    if request.segment_id:
        segment = services().saved_segments.get(ws, request.segment_id).segment
    definitions = services().fields.by_key(ws)
    page = SegmentEngine().search(ws, segment or Group(), limit=request.limit, sort=request.sort,
                                  order=request.order, cursor=request.cursor, definitions=definitions)
    tag_names = {t.tag_id: t.name for t in services().tags.all(ws)}
    return {"items": [present(row, caller, definitions, tag_names) for row in page.items], "total": page.total,
            "next_cursor": page.next_cursor}


@router.get("/subscribers")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_subscribers() -> dict[str, Any]:
    raw_segment = query(router, "segment")
    try:
        segment = json.loads(raw_segment) if raw_segment else None
    except ValueError:
        raise ValidationFailed("segment must be JSON", where="segment") from None
    request = validate(SearchIn, {
        "segment": segment, "segment_id": query(router, "segment_id"),
        "limit": int_query(router, "limit", 50, 1, 500), "sort": query(router, "sort", "created_at"),
        "order": query(router, "order", "desc"), "cursor": query(router, "cursor"),
    })
    return _search(request)


@router.post("/subscribers/search")
@requires(Permission.VIEW_SUBSCRIBERS)
def search_subscribers() -> dict[str, Any]:
    return _search(validate(SearchIn, body(router)))


@router.post("/subscribers")
@requires(Permission.EDIT_SUBSCRIBERS)
def create_subscriber() -> Any:
    caller = current_caller()
    subscriber = services().crm.create(caller.workspace_id, validate(SubscriberCreate, body(router)),
                                     actor=f"operator:{caller.operator_id}")
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_detail(subscriber))


def _detail(subscriber: Any) -> dict[str, Any]:
    caller = current_caller()
    ws = caller.workspace_id
    tag_names = {t.tag_id: t.name for t in services().tags.all(ws)}
    return present(subscriber, caller, services().fields.by_key(ws), tag_names, detail=True)


@router.get("/subscribers/<subscriber_id>")
@requires(Permission.VIEW_SUBSCRIBERS)
def get_subscriber(subscriber_id: str) -> dict[str, Any]:
    caller = current_caller()
    subscriber = services().subscribers.require(caller.workspace_id, subscriber_id)
    detail = _detail(subscriber)
    entries, cursor = Timeline().page(caller.workspace_id, subscriber_id, limit=20, subscriber=subscriber)
    detail["timeline"] = {"items": [_entry(e) for e in entries], "next_cursor": cursor}
    return detail


def _entry(entry: Any) -> dict[str, Any]:
    return {"entry_id": entry.entry_id, "kind": entry.kind, "at": entry.at.isoformat(), "actor": entry.actor,
            "data": entry.data, "cursor": entry.sk}


@router.get("/subscribers/<subscriber_id>/timeline")
@requires(Permission.VIEW_SUBSCRIBERS)
def get_timeline(subscriber_id: str) -> dict[str, Any]:
    caller = current_caller()
    subscriber = services().subscribers.require(caller.workspace_id, subscriber_id)
    entries, cursor = Timeline().page(caller.workspace_id, subscriber_id, limit=int_query(router, "limit", 50, 1, 200),
                                      cursor=query(router, "cursor"), subscriber=subscriber)
    return {"items": [_entry(e) for e in entries], "next_cursor": cursor}


@router.patch("/subscribers/<subscriber_id>")
@requires(Permission.EDIT_SUBSCRIBERS)
def patch_subscriber(subscriber_id: str) -> dict[str, Any]:
    caller = current_caller()
    crm = services().crm
    subscriber = crm.patch(caller.workspace_id, subscriber_id, validate(SubscriberPatch, body(router)),
                           actor=f"operator:{caller.operator_id}")
    return _detail(subscriber)


@router.post("/subscribers/<subscriber_id>/merge")
@requires(Permission.EDIT_SUBSCRIBERS)
def merge_subscribers(subscriber_id: str) -> dict[str, Any]:
    caller = current_caller()
    request = validate(MergeIn, body(router))
    winner = services().crm.merge(caller.workspace_id, subscriber_id, request.loser_id,
                                actor=f"operator:{caller.operator_id}")
    return _detail(winner)

