"""Scenarios (シナリオ): CRUD, scenarios as code (YAML/JSON export and import), enrollment and unsubscribe."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.scenarios.models import parse_scenario
from haishin.wiring import services

router = APIGatewayHttpRouter()


def _body() -> dict[str, Any]:
    body = router.current_event.json_body
    if not isinstance(body, dict):
        raise ValidationFailed("a JSON object is expected", where="body")
    return body


@router.get("/scenarios")
@requires(Permission.VIEW_SCENARIOS)
def list_scenarios() -> dict[str, Any]:
    ws = current_caller().workspace_id
    return {"items": [s.model_dump(mode="json", by_alias=True) for s in services().scenarios.list(ws)]}


@router.post("/scenarios")
@requires(Permission.EDIT_SCENARIOS)
def create_scenario() -> dict[str, Any]:
    caller = current_caller()
    body = _body()
    body.pop("id", None)
    saved = services().scenarios.save(caller.workspace_id, parse_scenario(body), actor=caller.operator_id)
    return saved.model_dump(mode="json", by_alias=True)


@router.get("/scenarios/<scenario_id>")
@requires(Permission.VIEW_SCENARIOS)
def get_scenario(scenario_id: str) -> dict[str, Any]:
    return services().scenarios.require(current_caller().workspace_id, scenario_id).model_dump(mode="json",
                                                                                                  by_alias=True)


@router.put("/scenarios/<scenario_id>")
@requires(Permission.EDIT_SCENARIOS)
def update_scenario(scenario_id: str) -> dict[str, Any]:
    caller = current_caller()
    body = _body()
    expected = body.pop("version", None)
    body["id"] = scenario_id
    saved = services().scenarios.save(caller.workspace_id, parse_scenario(body), actor=caller.operator_id,
                                      expected_version=int(expected) if expected is not None else None)
    return saved.model_dump(mode="json", by_alias=True)


@router.delete("/scenarios/<scenario_id>")
@requires(Permission.EDIT_SCENARIOS)
def delete_scenario(scenario_id: str) -> dict[str, Any]:
    services().scenarios.delete(current_caller().workspace_id, scenario_id)
    return {"deleted": scenario_id}


@router.get("/scenarios/<scenario_id>/export")
@requires(Permission.VIEW_SCENARIOS)
def export_scenario(scenario_id: str) -> Response:
    scenario = services().scenarios.require(current_caller().workspace_id, scenario_id)
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"version"})
    if (router.current_event.get_query_string_value("format") or "yaml") == "json":
        return Response(200, "application/json", json.dumps(data, ensure_ascii=False, indent=2))
    import yaml  # noqa: PLC0415

    return Response(200, "application/yaml", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@router.post("/scenarios/import")
@requires(Permission.EDIT_SCENARIOS)
def import_scenario() -> dict[str, Any]:
    caller = current_caller()
    text = router.current_event.decoded_body or ""
    try:
        import yaml  # noqa: PLC0415

        raw = yaml.safe_load(text)  # JSON is YAML too
    except Exception as exc:
        raise ValidationFailed(f"not valid YAML/JSON: {exc}", where="body") from exc
    if not isinstance(raw, dict):
        raise ValidationFailed("a scenario object is expected", where="body")
    saved = services().scenarios.save(caller.workspace_id, parse_scenario(raw), actor=caller.operator_id)
    return saved.model_dump(mode="json", by_alias=True)


@router.post("/scenarios/<scenario_id>/enrollments")
@requires(Permission.EDIT_SUBSCRIBERS)
def enroll(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    subscriber_id = str(_body().get("subscriber_id") or "")
    if not subscriber_id:
        raise ValidationFailed("subscriber_id is required", where="subscriber_id")
    svc = services()
    svc.subscribers.require(ws, subscriber_id)
    item = svc.scenario_service.enroll(ws, subscriber_id, svc.scenarios.require(ws, scenario_id), trigger="admin",
                                       idempotency_key=router.current_event.get_header_value("idempotency-key"))
    return {"enrolled": item is not None, "notes": list(item.notes or []) if item else []}


@router.post("/scenarios/<scenario_id>/unsubscribe")
@requires(Permission.EDIT_SUBSCRIBERS)
def unsubscribe_one(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    subscriber_id = str(_body().get("subscriber_id") or "")
    return {"stopped": services().scenario_service.unsubscribe(ws, subscriber_id, scenario_id, reason="admin")}


@router.post("/subscribers/<subscriber_id>/unsubscribe-scenarios")
@requires(Permission.EDIT_SUBSCRIBERS)
def unsubscribe_all(subscriber_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    return {"stopped": services().scenario_service.unsubscribe(ws, subscriber_id, None, reason="admin")}
