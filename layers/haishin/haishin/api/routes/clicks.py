"""Click tracking results (haishin.track): clicks on the URLs rewritten into broadcasts, scenario steps,
auto-replies, and by inflow route. Read only.

- ``GET /api/broadcasts/{id}/clicks``: total, unique friends, delivered, click rate (unique / delivered), per variant
- ``GET /api/scenarios/{id}/clicks``: total and unique friends per step
- ``GET /api/auto-replies/{id}/clicks`` and ``GET /api/clicks/by-route?route=<friend's inflow route>``: total and unique
- ``GET /api/broadcasts/{id}/line-stats`` and ``GET /api/scenarios/{id}/line-stats[?from=YYYY-MM-DD&to=YYYY-MM-DD]``:
  LINE's own statistics per aggregation unit (opens and URL taps; null below 20 friends, with a note in Japanese)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin import clock
from haishin.abtests.assign import variant_label
from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.line.units import STATS_MAX_DAYS, broadcast_unit, line_date, step_unit
from haishin.wiring import services
from haishin.workspaces.models import default_line_channel

router = APIGatewayHttpRouter()


@router.get("/broadcasts/<broadcast_id>/clicks")
@requires(Permission.VIEW_BROADCASTS)
def broadcast_clicks(broadcast_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    repository = services().broadcasts.repository
    broadcast = repository.require(ws, broadcast_id)  # another workspace's broadcast is 404
    variant_delivered: dict[int, int] = {}
    for index in range(len(broadcast.variants or [])):
        variant_delivered[index] = sum(int((item.counts or {}).get(f"variant_{index}", 0))
                                       for item in repository.slices(ws, broadcast_id))
    return services().track.broadcast_view(ws, broadcast_id, delivered=int(broadcast.sent or 0),
                                           variant_delivered=variant_delivered)


@router.get("/scenarios/<scenario_id>/clicks")
@requires(Permission.VIEW_SCENARIOS)
def scenario_clicks(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    scenario = services().scenarios.require(ws, scenario_id)
    return services().track.scenario_view(ws, scenario_id, [step.id for step in scenario.steps])


@router.get("/auto-replies/<auto_reply_id>/clicks")
@requires(Permission.MANAGE_AUTO_REPLIES)
def auto_reply_clicks(auto_reply_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    services().auto_replies.get(ws, auto_reply_id)  # another workspace's auto-reply is 404
    return {"auto_reply_id": auto_reply_id, **services().track.single_view(ws, f"autoreply#{auto_reply_id}")}


@router.get("/clicks/by-route")
@requires(Permission.VIEW_SUBSCRIBERS)
def route_clicks() -> dict[str, Any]:
    route = (router.current_event.get_query_string_value("route") or "").strip()
    if not route:
        raise ValidationFailed("route を指定してください", where="route")
    return {"route": route, **services().track.single_view(current_caller().workspace_id, f"route#{route}")}


@router.get("/broadcasts/<broadcast_id>/line-stats")
@requires(Permission.VIEW_BROADCASTS)
def broadcast_line_stats(broadcast_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    broadcast = services().broadcasts.repository.require(ws, broadcast_id)  # another workspace's is 404
    answer: dict[str, Any] = {"broadcast_id": broadcast_id}
    if broadcast.channel != "line":
        return {**answer, "units": [], "note": "LINE 以外の配信には LINE の統計はありません。"}
    sent_at = broadcast.started_at or broadcast.planned_at
    if sent_at is None:
        return {**answer, "units": [], "note": "配信後に LINE の統計が表示されます。"}
    variants = len(broadcast.variants or [])
    units = [(variant_label(i), broadcast_unit(broadcast_id, variant_label(i))) for i in range(variants)] \
        if variants else [("", broadcast_unit(broadcast_id))]
    channel_id = broadcast.line_channel_id or default_line_channel(ws)
    return {**answer, **services().line_stats.read(ws, channel_id, units, since=line_date(sent_at))}


@router.get("/scenarios/<scenario_id>/line-stats")
@requires(Permission.VIEW_SCENARIOS)
def scenario_line_stats(scenario_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    scenario = services().scenarios.require(ws, scenario_id)
    until = _date_query("to")
    since = _date_query("from") or (until or line_date(clock.now())) - timedelta(days=STATS_MAX_DAYS)
    units = [(step.id, step_unit(scenario_id, step.id)) for step in scenario.steps if "line" in step.channels]
    channel_id = scenario.line_channel_id or default_line_channel(ws)
    return {"scenario_id": scenario_id, **services().line_stats.read(ws, channel_id, units, since=since, until=until)}


def _date_query(name: str) -> date | None:
    raw = (router.current_event.get_query_string_value(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("日付は YYYY-MM-DD の形式で指定してください", where=name) from exc
