"""Tags (タグ) and tag folders, with friends per tag (computed from the rows: right after imports and merges).

Rename or move a tag (PATCH, partial), rename or reorder a folder, count the friends a delete or merge would change
(``GET /tags/{id}/usage``, the dry run), and merge one tag into another (``POST /tags/{id}/merge``, ``dry_run``).
"""


from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.subscribers.http import body, query, validate
from haishin.tags.counts import tag_counts
from haishin.tags.repository import FolderIn, FolderPatch, TagIn, TagPatch, tag_to_dict
from haishin.wiring import services

router = APIGatewayHttpRouter()


class MergeIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    into_tag_id: str = Field(min_length=1, max_length=200)
    dry_run: bool = False


def _created(payload: dict[str, Any]) -> Response:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=payload)


@router.get("/tags")
@requires(Permission.VIEW_SUBSCRIBERS)
def list_tags() -> dict[str, Any]:
    ws = current_caller().workspace_id
    repo = services().tags
    counts = tag_counts(ws) if query(router, "counts", "1") != "0" else {}
    return {
        "folders": [{"folder_id": f.folder_id, "name": f.name, "position": int(f.position or 0)}
                    for f in repo.folders(ws)],
        "tags": [{**tag_to_dict(t), "count": counts.get(t.tag_id, 0)}
                 for t in sorted(repo.all(ws), key=lambda t: t.name)],
    }


@router.post("/tags")
@requires(Permission.EDIT_SUBSCRIBERS)
def create_tag() -> Any:
    return _created(tag_to_dict(services().tags.create(current_caller().workspace_id, validate(TagIn, body(router)))))


@router.patch("/tags/<tag_id>")
@requires(Permission.EDIT_SUBSCRIBERS)
def update_tag(tag_id: str) -> dict[str, Any]:
    return tag_to_dict(services().tags.update(current_caller().workspace_id, tag_id, validate(TagPatch, body(router))))


@router.get("/tags/<tag_id>/usage")
@requires(Permission.VIEW_SUBSCRIBERS)
def tag_usage(tag_id: str) -> dict[str, Any]:
    return services().crm.tag_usage(current_caller().workspace_id, tag_id)


@router.post("/tags/<tag_id>/merge")
@requires(Permission.EDIT_SUBSCRIBERS)
def merge_tag(tag_id: str) -> dict[str, Any]:
    caller = current_caller()
    request = validate(MergeIn, body(router))
    return services().crm.merge_tag(caller.workspace_id, tag_id, request.into_tag_id, dry_run=request.dry_run,
                                    actor=f"operator:{caller.operator_id}")


@router.delete("/tags/<tag_id>")
@requires(Permission.EDIT_SUBSCRIBERS)
def delete_tag(tag_id: str) -> Any:
    services().tags.delete(current_caller().workspace_id, tag_id)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@router.post("/tag-folders")
@requires(Permission.EDIT_SUBSCRIBERS)
def create_folder() -> Any:
    folder = services().tags.create_folder(current_caller().workspace_id, validate(FolderIn, body(router)))
    return _created({"folder_id": folder.folder_id, "name": folder.name, "position": int(folder.position or 0)})


@router.patch("/tag-folders/<folder_id>")
@requires(Permission.EDIT_SUBSCRIBERS)
def update_folder(folder_id: str) -> dict[str, Any]:
    folder = services().tags.update_folder(current_caller().workspace_id, folder_id,
                                           validate(FolderPatch, body(router)))
    return {"folder_id": folder.folder_id, "name": folder.name, "position": int(folder.position or 0)}


@router.delete("/tag-folders/<folder_id>")
@requires(Permission.EDIT_SUBSCRIBERS)
def delete_folder(folder_id: str) -> Any:
    services().tags.delete_folder(current_caller().workspace_id, folder_id)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")
