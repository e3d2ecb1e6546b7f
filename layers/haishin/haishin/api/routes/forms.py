"""Forms (回答フォーム): CRUD, answers (JSON and CSV with a BOM), and LINE-bound links for one friend."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.forms.inputs import FormDefinition
from haishin.forms.models import FormModel
from haishin.forms.service import form_url
from haishin.storage.base import iso
from haishin.wiring import services

router = APIGatewayHttpRouter()
class LinkBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use (cold start)

    subscriber_id: str = Field(min_length=1)
    valid_days: int = Field(default=30, ge=1, le=365)


def _view(form: FormModel) -> dict[str, Any]:
    return {"form_id": form.form_id, "url": form_url(form.form_id), "definition": form.definition,
            "created_at": iso(form.created_at), "updated_at": iso(form.updated_at)}


@router.get("/forms")
@requires(Permission.MANAGE_FORMS)
def list_forms() -> dict[str, Any]:
    return {"items": [_view(f) for f in services().forms.list_forms(current_caller().workspace_id)]}


@router.post("/forms")
@requires(Permission.MANAGE_FORMS)
def create_form(body: Annotated[FormDefinition, Body()]) -> Response:
    form = services().forms.create(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_view(form))


@router.get("/forms/<form_id>")
@requires(Permission.MANAGE_FORMS)
def get_form(form_id: str) -> dict[str, Any]:
    return _view(services().forms.get(current_caller().workspace_id, form_id))


@router.put("/forms/<form_id>")
@requires(Permission.MANAGE_FORMS)
def update_form(form_id: str, body: Annotated[FormDefinition, Body()]) -> dict[str, Any]:
    return _view(services().forms.update(current_caller().workspace_id, form_id, body))


@router.delete("/forms/<form_id>")
@requires(Permission.MANAGE_FORMS)
def delete_form(form_id: str) -> Response:
    services().forms.delete(current_caller().workspace_id, form_id)
    return Response(status_code=204, body="")


@router.get("/forms/<form_id>/answers")
@requires(Permission.MANAGE_FORMS)
def form_answers(form_id: str) -> Any:
    workspace_id = current_caller().workspace_id
    params = router.current_event.query_string_parameters or {}
    if params.get("format") == "csv":
        current_caller().require(Permission.EXPORT_CSV)
        return Response(status_code=200, content_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="form-{form_id}.csv"'},
                        body=services().forms.answers_csv(workspace_id, form_id))
    items, cursor = services().forms.answers(workspace_id, form_id, limit=min(int(params.get("limit") or 100), 500),
                                      cursor=params.get("cursor"))
    return {"items": [{"submission_id": a.submission_id, "subscriber_id": a.subscriber_id, "answers": a.answers,
                       "line_bound": a.line_bound, "at": iso(a.at)} for a in items], "cursor": cursor}


@router.post("/forms/<form_id>/link")
@requires(Permission.MANAGE_FORMS)
def mint_link(form_id: str, body: Annotated[LinkBody, Body()]) -> dict[str, Any]:
    from datetime import timedelta  # noqa: PLC0415

    return services().forms.mint_link(current_caller().workspace_id, form_id, body.subscriber_id,
                               validity=timedelta(days=body.valid_days))
