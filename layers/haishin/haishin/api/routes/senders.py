"""E-mail sender identities (設定 → メール送信者): list with SES verification state and DNS records, add (SES is
asked to verify), choose the default, remove.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.wiring import services

router = APIGatewayHttpRouter()


class SenderBody(BaseModel):
    """Shapes only; the sender service checks the values and names the field in Japanese."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    from_address: str = Field(min_length=1, max_length=254)
    from_name: str | None = Field(default=None, max_length=200)
    reply_to: str | None = Field(default=None, max_length=254)
    kind: str = Field(default="domain", max_length=20, description="domain (Easy DKIM) or address")
    default: bool = False


def _fresh() -> bool:
    return (router.current_event.get_query_string_value("refresh") or "") in ("1", "true")


@router.get("/senders")
@requires(Permission.VIEW_DASHBOARD)
def list_senders() -> dict[str, Any]:
    return services().senders.list(current_caller().workspace_id, fresh=_fresh())


@router.post("/senders")
@requires(Permission.MANAGE_SETTINGS)
def create_sender(body: Annotated[SenderBody, Body()]) -> tuple[dict[str, Any], int]:
    caller = current_caller()
    return services().senders.create(caller.workspace_id, body.model_dump(exclude_none=True),
                                     created_by=caller.email), 201


@router.get("/senders/<identity_id>")
@requires(Permission.VIEW_DASHBOARD)
def get_sender(identity_id: str) -> dict[str, Any]:
    return services().senders.get(current_caller().workspace_id, identity_id, fresh=_fresh())


@router.post("/senders/<identity_id>/default")
@requires(Permission.MANAGE_SETTINGS)
def default_sender(identity_id: str) -> dict[str, Any]:
    return services().senders.set_default(current_caller().workspace_id, identity_id)


@router.delete("/senders/<identity_id>")
@requires(Permission.MANAGE_SETTINGS)
def delete_sender(identity_id: str) -> dict[str, Any]:
    services().senders.delete(current_caller().workspace_id, identity_id)
    return {"deleted": identity_id}
