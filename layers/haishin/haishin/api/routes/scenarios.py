"""Scenarios (シナリオ): CRUD, scenarios as code (YAML/JSON export and import), the simulator, enrollment and
unsubscribe.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime (with it, the
export route's `-> Response` became a forward reference and every export answered 500).
"""

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


@router.post("/scenarios/<scenario_id>/simulate")
@requires(Permission.VIEW_SCENARIOS)
def simulate(scenario_id: str) -> dict[str, Any]:
    """What one friend (``subscriber_id``) or a hypothetical one (``tags``, ``fields``) would receive and when, for an
    enrollment at ``enrolled_at`` (default now), using the engine's own timing (late enrollment, quiet hours) and
    conditions; tag/field actions of earlier steps are applied as the engine would."""
    from datetime import datetime  # noqa: PLC0415

    from haishin import clock  # noqa: PLC0415
    from haishin.scenarios.conditions import evaluate  # noqa: PLC0415
    from haishin.scenarios.schedule import load_workspace_rules  # noqa: PLC0415
    from haishin.scenarios.timing import step_due  # noqa: PLC0415

    ws = current_caller().workspace_id
    body = router.current_event.json_body or {}
    if not isinstance(body, dict):
        raise ValidationFailed("a JSON object is expected", where="body")
    svc = services()
    scenario = svc.scenarios.require(ws, scenario_id)
    tags: set[str] = {str(t) for t in body.get("tags") or []}
    fields: dict[str, Any] = dict(body.get("fields") or {})
    who = None
    if body.get("subscriber_id"):
        sub = svc.subscribers.require(ws, str(body["subscriber_id"]))
        tags, fields, who = set(sub.tags or set()), dict(sub.fields or {}), sub.display_name
    enrolled_at = clock.now()
    if body.get("enrolled_at"):
        try:
            enrolled_at = datetime.fromisoformat(str(body["enrolled_at"]))
        except ValueError as exc:
            raise ValidationFailed("a date and time like 2026-01-10T09:30", where="enrolled_at") from exc
    rules = load_workspace_rules(ws)
    if enrolled_at.tzinfo is None:
        enrolled_at = enrolled_at.replace(tzinfo=rules.tz)
    previous = None
    out: list[dict[str, Any]] = []
    for index, step in enumerate(scenario.steps):
        due = step_due(step, enrolled_at=enrolled_at, previous_due=previous, fields=fields, tz=rules.tz,
                       quiet=rules.quiet)
        row: dict[str, Any] = {"index": index, "step_id": step.id, "name": step.name, "channels": step.channels,
                               "note": due.note, "due": None, "due_local": None}
        if due.end:
            out.append({**row, "outcome": "end"})
            break
        if due.skip or due.at is None:
            out.append({**row, "outcome": "skipped"})
            continue
        previous = due.at
        row.update(due=due.at.isoformat(), due_local=due.at.astimezone(rules.tz).isoformat(timespec="minutes"))
        if not evaluate(step.conditions, tags, fields):
            if step.conditions and step.conditions.on_fail == "end_enrollment":
                out.append({**row, "outcome": "condition_end"})
                break
            out.append({**row, "outcome": "condition_skip"})
            continue
        out.append({**row, "outcome": "send", "line": step.line, "email": step.email.model_dump() if step.email
                    else None, "sms": step.sms.model_dump() if step.sms else None})
        for action in step.actions:
            kind = getattr(action, "type", "")
            if kind == "add_tag":
                tags.add(action.tag)
            elif kind == "remove_tag":
                tags.discard(action.tag)
            elif kind == "set_field":
                fields[action.field] = action.value
    quiet = rules.quiet
    return {"scenario_id": scenario.id, "subscriber": who, "enrolled_at": enrolled_at.isoformat(),
            "time_zone": rules.time_zone,
            "quiet_hours": {"start": quiet.start.isoformat(timespec="minutes") if quiet.start else None,
                            "end": quiet.end.isoformat(timespec="minutes") if quiet.end else None},
            "lateness": scenario.lateness.model_dump(), "steps": out}


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
