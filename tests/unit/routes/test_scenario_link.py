"""A scenario's own friend-add link (UTAGE): an inflow route that starts the scenario and replaces the friend-added
(welcome) scenarios. Friends who follow by it enter that scenario only, its "immediately" first step goes at once
(on the follow's reply token, or queued now when the login callback attributes an existing friend), a running
enrollment is never restarted by the link, and the admin API makes and shows the link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from haishin import clock
from haishin.api.app import AdminApi
from haishin.secrets import secret_name
from haishin.workspaces.models import ChannelModel
from tests.support.admin_api import call_admin_api
from tests.unit.line.test_instant_first_step import USER, WELCOME, ReplyLine, follow, record
from tests.unit.scenarios.step_harness import CHANNEL, StepWorld

SALE = {
    "name": "春のセミナー", "triggers": [],
    "steps": [
        {"id": "invite", "timing": {"type": "immediately"}, "line": [{"type": "text", "text": "セミナーのご案内"}]},
        {"id": "remind", "timing": {"type": "after", "amount": 1, "unit": "days"},
         "line": [{"type": "text", "text": "明日です"}]},
    ],
}


def setup(manual_clock: Any) -> tuple[StepWorld, ReplyLine, str, Any]:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))  # 12:00 JST, outside quiet hours
    line = ReplyLine()
    world = StepWorld(line)
    ws = world.workspace()
    ChannelModel.for_channel(ws, CHANNEL, name="サロン", basic_id="@salon", secret_name=secret_name(ws, "line", CHANNEL),
                             status="connected", connected_at=clock.now()).save()
    world.scenario(ws, WELCOME)
    sale = world.scenario(ws, SALE)
    return world, line, ws, sale


def link_of(world: StepWorld, ws: str, scenario_id: str) -> Any:
    view = world.services.scenario_links.create(ws, scenario_id, _request())
    return world.services.routes.get(ws, view["link"]["route_id"])


def _request() -> Any:
    from haishin.routes.scenario_link import ScenarioLinkRequest  # noqa: PLC0415

    return ScenarioLinkRequest()


def active(world: StepWorld, ws: str, subscriber_id: str) -> dict[str, str]:
    return {e["scenario_name"]: e["trigger"] for e in world.services.scenario_service.enrollments_of(ws, subscriber_id)
            if e["status"] == "active"}


def friend_of(world: StepWorld, ws: str) -> str:
    subscriber = world.services.subscribers.find_by_line_user(ws, CHANNEL, USER)
    assert subscriber is not None
    return str(subscriber.subscriber_id)


def test_a_follow_by_a_scenarios_link_enters_that_scenario_only_with_its_first_step_on_the_reply(
        aws: Any, manual_clock: Any) -> None:
    world, line, ws, sale = setup(manual_clock)
    route = link_of(world, ws, sale.id)
    world.services.routes.remember_login(ws, CHANNEL, USER, route)  # the LINE Login came before the follow
    world.services.line_events.process_record(record([follow()], ws))
    sub = friend_of(world, ws)
    assert active(world, ws, sub) == {"春のセミナー": "route"}  # not the welcome scenario
    # the first step left at once, on the follow's own reply token (free), the clock not moved
    assert [(token, [m["text"] for m in messages]) for token, messages in line.replies] == [
        ("rt-01FOLLOW0000000000000000001", ["セミナーのご案内"])]
    assert line.pushes == []
    assert world.services.routes.view(ws, route.route_id)["friends"] == 1


def test_a_follow_by_an_ordinary_route_still_enters_the_welcome_scenarios(aws: Any, manual_clock: Any) -> None:
    from haishin.routes.service import RouteDefinition  # noqa: PLC0415

    world, line, ws, sale = setup(manual_clock)
    route = world.services.routes.create(ws, RouteDefinition.model_validate({
        "name": "ポスター", "channel_id": CHANNEL, "actions": [{"type": "start_scenario", "scenario_id": sale.id}]}))
    world.services.routes.remember_login(ws, CHANNEL, USER, route)
    world.services.line_events.process_record(record([follow()], ws))
    assert active(world, ws, friend_of(world, ws)) == {"welcome": "friend_added", "春のセミナー": "route"}
    # both first steps at once (the route's no longer waits for the tick): the reply, and the other by push
    sent = [m["text"] for _, messages in line.replies for m in messages] + [r.text for r in line.of(USER)]
    assert sorted(sent) == ["ようこそ", "セミナーのご案内"]


def test_an_existing_friend_who_logs_in_by_the_link_enters_now_and_gets_the_first_step_without_the_tick(
        aws: Any, manual_clock: Any) -> None:
    world, line, ws, sale = setup(manual_clock)
    sub = world.friend(ws, USER)
    world.services.line_events.process_record(record([follow()], ws))  # followed long ago
    line.replies.clear()
    manual_clock.advance(timedelta(days=3))
    route = link_of(world, ws, sale.id)
    started = clock.now()
    result = world.services.inflow_login.link_user(route, USER, cause="login:j1", started=started)
    assert result.outcome == "attributed"
    # the welcome enrollment of the old follow is left alone; the link's scenario is entered
    assert active(world, ws, sub) == {"welcome": "friend_added", "春のセミナー": "route"}
    world.waiting.extend(world.queue.take())  # queued now by the callback (no tick ran), sent by the worker
    world.drain()
    assert [r.text for r in line.of(USER)][-1] == "セミナーのご案内"

    # the same link again while the friend is in the scenario: nothing restarts, nothing is sent again
    sent = len(line.of(USER))
    world.services.inflow_login.link_user(route, USER, cause="login:j2", started=clock.now())
    world.waiting.extend(world.queue.take())
    world.drain()
    assert len(line.of(USER)) == sent
    [entry] = [e for e in world.services.scenario_service.enrollments_of(ws, sub) if e["scenario_id"] == sale.id]
    assert entry["cycle"] == 1 and entry["next_step"] == 1


def test_a_follow_processed_before_the_callback_gives_way_to_the_links_scenario(aws: Any, manual_clock: Any) -> None:
    """LINE sends the follow before redirecting to the callback: the follow, not knowing the route yet, started the
    welcome scenario; the callback of the same login stops it (its later steps are not sent)."""
    world, line, ws, sale = setup(manual_clock)
    route = link_of(world, ws, sale.id)
    started = clock.now()
    manual_clock.advance(timedelta(seconds=5))
    event = follow()
    event["timestamp"] = int(clock.epoch_seconds() * 1000)  # LINE's follow, during this login
    world.services.line_events.process_record(record([event], ws))
    sub = friend_of(world, ws)
    assert active(world, ws, sub) == {"welcome": "friend_added"}
    world.services.inflow_login.link_user(route, USER, cause="login:j1", started=started)
    assert active(world, ws, sub) == {"春のセミナー": "route"}
    world.waiting.extend(world.queue.take())
    world.drain()
    assert "セミナーのご案内" in [r.text for r in line.of(USER)]
    world.run_for(timedelta(minutes=30))
    assert "二通目" not in [r.text for r in line.of(USER)]  # the welcome's second step was not sent


def test_a_route_never_restarts_a_running_scenario_even_when_its_rule_is_restart(aws: Any, manual_clock: Any) -> None:
    world, _line, ws, _sale = setup(manual_clock)
    restart = world.scenario(ws, {**SALE, "name": "再登録あり", "restart": "restart"})
    sub = world.friend(ws, USER)
    service = world.services.scenario_service
    service.start(ws, sub, restart.id, trigger="route")
    service.start(ws, sub, restart.id, trigger="route")
    [entry] = [e for e in service.enrollments_of(ws, sub) if e["scenario_id"] == restart.id]
    assert entry["cycle"] == 1
    service.start(ws, sub, restart.id, trigger="admin")  # an operator may still restart it on purpose
    [entry] = [e for e in service.enrollments_of(ws, sub) if e["scenario_id"] == restart.id]
    assert entry["cycle"] == 2


def test_the_admin_api_makes_the_link_once_shows_it_and_names_the_channel_problem(
        aws: Any, manual_clock: Any) -> None:
    world, _line, ws, sale = setup(manual_clock)
    api = AdminApi()
    from haishin import wiring  # noqa: PLC0415

    previous = wiring.install(world.services)
    try:
        status, body = call_admin_api(api, "GET", f"/api/scenarios/{sale.id}/friend-link", workspace=ws)
        assert status == 200 and body == {"scenario_id": sale.id, "link": None}
        status, made = call_admin_api(api, "POST", f"/api/scenarios/{sale.id}/friend-link", workspace=ws, body={})
        assert status == 200, made
        link = made["link"]
        assert link["scenario_id"] == sale.id and link["replace_friend_added"] is True and link["friends"] == 0
        assert link["url"].endswith(f"/r/{link['code']}") and link["channel_id"] == CHANNEL
        assert link["actions"] == [{"type": "start_scenario", "scenario_id": sale.id}]
        status, again = call_admin_api(api, "POST", f"/api/scenarios/{sale.id}/friend-link", workspace=ws, body={})
        assert again["link"]["route_id"] == link["route_id"]  # the same link: printed QR codes keep working
        status, listed = call_admin_api(api, "GET", "/api/inflow-routes", workspace=ws)
        assert [(r["folder"], r["scenario_id"]) for r in listed["items"]] == [("シナリオ", sale.id)]
        # edited on the routes screen (which does not send the flag), it still replaces the welcome
        status, edited = call_admin_api(api, "PUT", f"/api/inflow-routes/{link['route_id']}", workspace=ws, body={
            "name": "セミナー LP", "channel_id": CHANNEL, "actions": link["actions"]})
        assert status == 200 and edited["replace_friend_added"] is True and edited["scenario_id"] == sale.id
        # a second LINE channel: the scenario names none, so the operator must choose
        other = world.scenario(ws, {**SALE, "name": "別のシナリオ"})
        ChannelModel.for_channel(ws, "1000000002", name="二号店", secret_name=secret_name(ws, "line", "1000000002"),
                                 status="connected", connected_at=clock.now()).save()
        status, refused = call_admin_api(api, "POST", f"/api/scenarios/{other.id}/friend-link", workspace=ws,
                                         body={})
        assert status == 422 and refused["where"] == "channel_id" and "複数" in refused["message"]
        status, made = call_admin_api(api, "POST", f"/api/scenarios/{other.id}/friend-link", workspace=ws,
                                      body={"channel_id": "1000000002"})
        assert status == 200 and made["link"]["channel_id"] == "1000000002"
        status, _ = call_admin_api(api, "GET", "/api/scenarios/nosuch/friend-link", workspace=ws)
        assert status == 404
    finally:
        wiring.install(previous)


def test_a_queue_outage_after_the_login_leaves_the_first_step_to_the_tick(aws: Any, manual_clock: Any) -> None:
    world, line, ws, sale = setup(manual_clock)
    world.friend(ws, USER)
    route = link_of(world, ws, sale.id)

    def down(*args: Any, **kwargs: Any) -> int:
        raise ConnectionError("SQS did not answer")

    world.services.first_steps_now.queue = down  # type: ignore[method-assign]
    result = world.services.inflow_login.link_user(route, USER, cause="login:j1", started=clock.now())
    assert result.outcome == "attributed"  # the login succeeded all the same
    world.run_for(timedelta(minutes=2))  # the step tick sends the due first step
    assert [r.text for r in line.of(USER)] == ["セミナーのご案内"]


def test_the_links_greeting_replaces_the_channels_and_leads_the_first_step_in_one_reply(
        aws: Any, manual_clock: Any) -> None:
    world, line, ws, sale = setup(manual_clock)
    route = link_of(world, ws, sale.id)
    route.greeting = [{"type": "text", "text": "セミナーページから来てくれてありがとう"}]
    world.services.routes.repository.save(route)
    world.services.routes.remember_login(ws, CHANNEL, USER, route)
    world.services.line_events.process_record(record([follow()], ws))
    assert [[m["text"] for m in messages] for _, messages in line.replies] == [
        ["セミナーページから来てくれてありがとう", "セミナーのご案内"]]
