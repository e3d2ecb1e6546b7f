"""Scenarios (シナリオ): CRUD, scenarios as code (YAML/JSON export and import), the simulator, enrollment and
unsubscribe.

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime (with it, the
export route's `-> Response` became a forward reference and every export answered 500).
"""

import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin import clock
from haishin.api.bodies import idempotency_key
from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.ownership import require_owned
from haishin.scenarios import simulator
from haishin.scenarios.models import Scenario, parse_scenario
from haishin.wiring import services

router = APIGatewayHttpRouter()


def _checked(workspace_id: str, scenario: Scenario) -> Scenario:
    """A scenario's From (``email_from``) must be a verified sender identity of this workspace."""
    if scenario.email_from:
        services().senders.require_verified(workspace_id, scenario.email_from, where="email_from")
    return scenario


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
    saved = services().scenarios.save(caller.workspace_id, _checked(caller.workspace_id, parse_scenario(body)),
                                      actor=caller.operator_id)
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
    saved = services().scenarios.save(caller.workspace_id, _checked(caller.workspace_id, parse_scenario(body)),
                                      actor=caller.operator_id,
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
    require_owned(caller.workspace_id, raw)  # a YAML body is not JSON: the admin API's front door did not read it
    saved = services().scenarios.save(caller.workspace_id, _checked(caller.workspace_id, parse_scenario(raw)),
                                      actor=caller.operator_id)
    return saved.model_dump(mode="json", by_alias=True)


@router.post("/scenarios/<scenario_id>/simulate")
@requires(Permission.VIEW_SCENARIOS)
def simulate(scenario_id: str) -> dict[str, Any]:
    """What one friend (``subscriber_id``: their tags, fields and enrollment time) or a hypothetical one
    (``hypothetical: {tags, fields, enrolled_at}``, or the same keys at the top level) would receive and when, over
    ``days`` (default: the whole scenario), in local time and UTC, with quiet-hours moves, conditions, lateness and
    the late-enrollment rule stated (haishin.scenarios.simulator)."""
    ws = current_caller().workspace_id
    raw_body = router.current_event.json_body or {}
    if not isinstance(raw_body, dict):
        raise ValidationFailed("a JSON object is expected", where="body")
    body: dict[str, Any] = raw_body
    svc = services()
    scenario = svc.scenarios.require(ws, scenario_id)
    rules = svc.rules.get(ws)
    now = clock.now()
    days = body.get("days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650):
        raise ValidationFailed("days: a whole number from 1 to 3650", where="days")
    hypothetical = body.get("hypothetical")
    given: dict[str, Any] = hypothetical if isinstance(hypothetical, dict) else body
    where = "hypothetical." if given is not body else ""
    tags, fields = given.get("tags") or [], given.get("fields") or {}
    if not isinstance(tags, list) or not isinstance(fields, dict):
        raise ValidationFailed("tags is a list, fields an object", where=f"{where}tags")
    friend = simulator.Friend({str(t) for t in tags}, dict(fields), now)
    who = None
    if given.get("enrolled_at"):
        try:
            friend.enrolled_at = datetime.fromisoformat(str(given["enrolled_at"]).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationFailed("a date and time like 2026-01-10T09:30", where=f"{where}enrolled_at") from exc
        if friend.enrolled_at.tzinfo is None:
            friend.enrolled_at = friend.enrolled_at.replace(tzinfo=rules.tz)
    if body.get("subscriber_id"):
        sub = svc.subscribers.require(ws, str(body["subscriber_id"]))
        # Friends carry tag IDs; conditions may name tags by ID or name.
        friend.tags = svc.tags.labels(ws, sub.tags or set())
        friend.fields, who = dict(sub.fields or {}), sub.display_name
        enrollment = svc.enrollments.get(ws, sub.subscriber_id, scenario_id)
        if enrollment is not None and not given.get("enrolled_at"):
            friend.enrolled_at = enrollment.enrolled_at
    steps = simulator.simulate(scenario, friend, rules, now=now, days=days)
    quiet = rules.quiet
    return {"scenario_id": scenario.id, "subscriber": who, "enrolled_at": friend.enrolled_at.isoformat(),
            "enrolled_at_local": friend.enrolled_at.astimezone(rules.tz).isoformat(timespec="minutes"),
            "now": now.isoformat(), "days": days, "time_zone": rules.time_zone,
            "quiet_hours": {"start": quiet.start.isoformat(timespec="minutes") if quiet.start else None,
                            "end": quiet.end.isoformat(timespec="minutes") if quiet.end else None},
            "lateness": scenario.lateness.model_dump(), "steps": steps}


@router.post("/scenarios/<scenario_id>/enrollments")
@requires(Permission.EDIT_SUBSCRIBERS)
def enroll(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    subscriber_id = str(_body().get("subscriber_id") or "")
    if not subscriber_id:
        raise ValidationFailed("subscriber_id is required", where="subscriber_id")
    svc = services()
    svc.subscribers.require(ws, subscriber_id)
    item = svc.scenario_service.enroll_by_operator(
        ws, subscriber_id, svc.scenarios.require(ws, scenario_id),
        idempotency_key=idempotency_key(router.current_event.headers))
    return {"enrolled": item is not None, "notes": list(item.notes or []) if item else []}


@router.get("/scenarios/<scenario_id>/enrollment-counts")
@requires(Permission.VIEW_SCENARIOS)
def enrollment_counts(scenario_id: str) -> dict[str, Any]:
    return services().scenario_service.enrollment_counts(current_caller().workspace_id, scenario_id)


@router.get("/subscribers/<subscriber_id>/enrollments")
@requires(Permission.VIEW_SUBSCRIBERS)
def subscriber_enrollments(subscriber_id: str) -> dict[str, Any]:
    """A friend's scenarios: stop one with POST /scenarios/{id}/unsubscribe, restart with POST
    /scenarios/{id}/enrollments; the opt-out state is GET /subscribers/{id}/opt-out."""
    return {"items": services().scenario_service.enrollments_of(current_caller().workspace_id, subscriber_id)}


@router.post("/scenarios/<scenario_id>/unsubscribe")
@requires(Permission.EDIT_SUBSCRIBERS)
def unsubscribe_one(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    subscriber_id = str(_body().get("subscriber_id") or "")
    services().scenarios.require(ws, scenario_id)  # another workspace's scenario is 404, not "stopped 0"
    return {"stopped": services().scenario_service.unsubscribe(ws, subscriber_id, scenario_id, reason="admin")}


@router.post("/subscribers/<subscriber_id>/unsubscribe-scenarios")
@requires(Permission.EDIT_SUBSCRIBERS)
def unsubscribe_all(subscriber_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    services().subscribers.require(ws, subscriber_id)  # another workspace's friend is 404, not "stopped 0"
    return {"stopped": services().scenario_service.unsubscribe(ws, subscriber_id, None, reason="admin")}
