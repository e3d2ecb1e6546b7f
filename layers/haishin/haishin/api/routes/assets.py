"""Assets (画像・添付ファイル): upload (base64 in JSON, like a rich menu image), list and delete the workspace's files.

The images are used by funnel image blocks (public at /a/<workspace>/<asset>), the attachments by lessons (only
for members with access). Permission: MANAGE_FORMS (the funnel builder's; the course editor's uploads use it too).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.assets.inputs import AssetUpload
from haishin.auth.permissions import Permission
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/assets")
@requires(Permission.MANAGE_FORMS)
def list_assets(kind: Annotated[Literal["image", "attachment"] | None, Query()] = None) -> dict[str, Any]:
    assets = services().assets
    return {"items": [assets.view(a) for a in assets.all(current_caller().workspace_id, kind)]}


@router.post("/assets")
@requires(Permission.MANAGE_FORMS)
def upload_asset(body: Annotated[AssetUpload, Body()]) -> Response:
    assets = services().assets
    item = assets.upload(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=assets.view(item))


@router.delete("/assets/<asset_id>")
@requires(Permission.MANAGE_FORMS)
def delete_asset(asset_id: str) -> Response:
    services().assets.delete(current_caller().workspace_id, asset_id)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")
