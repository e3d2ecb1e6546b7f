"""Each subscribed event is published where it happens, once per real occurrence, keyed by its cause: a LINE
follow/unfollow (webhookEventId), a tag change (the action's cause), an opt-out (the write that made it)."""

from __future__ import annotations

from typing import Any

from haishin.actions import AddTag, RemoveTag
from haishin.autoreplies.rules import AutoReplyStore
from haishin.channels.activity import ChannelActivity
from haishin.webhooks.schemas import EndpointDefinition
from haishin.wiring import Services
from tests.unit.line.conftest import WS as LINE_WS
from tests.unit.line.conftest import FakeLine, FakeLineClients, RecordingTriggers, envelope, line_event
from tests.unit.webhooks.conftest import Env

EVENTS = ["friend_added", "blocked", "tag_added", "tag_removed", "unsubscribed"]


def root(env: Env) -> Services:
    """The composition root with fakes for LINE and the scenario engine, and the test's webhook service."""
    return Services(line_clients=FakeLineClients(FakeLine()), scenario_service=RecordingTriggers(),
                    auto_replies=AutoReplyStore(cache_ttl_s=0), channel_activity=ChannelActivity(cache_ttl_s=0),
                    secrets=env.secrets, webhooks=env.service)


def deliveries(env: Env, workspace_id: str) -> list[tuple[str, dict[str, Any]]]:
    return sorted(((d["event_type"], d["event"]["data"]) for d in env.service.deliveries(workspace_id)),
                  key=lambda pair: pair[0])


def test_follow_and_unfollow_publish_friend_added_and_blocked_once(env: Env) -> None:
    env.service.create_endpoint(LINE_WS, _definition())
    processor = root(env).line_events
    follow = line_event("follow", ts=1767571200000)
    unfollow = line_event("unfollow", ts=1767571300000)
    processor.process_record(envelope([follow]))
    processor.process_record(envelope([follow, unfollow]))  # LINE redelivers the follow
    found = deliveries(env, LINE_WS)
    assert [t for t, _ in found] == ["blocked", "friend_added"]
    friend_added = dict(found)["friend_added"]
    assert friend_added["line_user_id"] == follow["source"]["userId"] and friend_added["subscriber_id"]
    assert friend_added["display_name"] == "name-0001"


def test_tag_changes_publish_tag_added_and_tag_removed(env: Env) -> None:
    ws = "ws_tags_hooks"
    env.service.create_endpoint(ws, _definition())
    services = root(env)
    friend = services.subscribers.new(ws, source="line")
    services.subscribers.create(friend, [])
    runner = services.actions
    # domain events go to the webhooks first, then to the conversions (haishin.webhook_events.EventFanout)
    assert runner.webhooks is env.service and runner.events.webhooks is env.service
    for _ in range(2):  # the same postback twice: the tag is already there, nothing is published again
        runner.run(ws, friend.subscriber_id, [AddTag(tag="VIP")], actor="postback", idempotency_key="pb:1")
    runner.run(ws, friend.subscriber_id, [RemoveTag(tag="VIP")], actor="postback", idempotency_key="pb:2")
    found = deliveries(env, ws)
    assert [t for t, _ in found] == ["tag_added", "tag_removed"]
    assert found[0][1]["tag"] == "VIP" and found[0][1]["subscriber_id"] == friend.subscriber_id


def test_an_opt_out_publishes_unsubscribed_once(env: Env) -> None:
    ws = "ws_optout_hooks"
    env.service.create_endpoint(ws, _definition())
    services = root(env)
    friend = services.subscribers.new(ws, source="form")
    services.subscribers.create(friend, [])
    optout = services.optout
    optout.set(ws, friend.subscriber_id, "email", True, reason="link")
    optout.set(ws, friend.subscriber_id, "email", True, reason="link")  # already stopped: no second event
    found = deliveries(env, ws)
    assert [(t, d["scope"]) for t, d in found] == [("unsubscribed", "email")]
    optout.set(ws, friend.subscriber_id, "email", False, reason="admin")
    optout.set(ws, friend.subscriber_id, "email", True, reason="keyword")  # stopped again: a new occurrence
    assert len(deliveries(env, ws)) == 2


def _definition() -> EndpointDefinition:
    return EndpointDefinition.model_validate({"url": "https://hooks.example.com/x", "events": EVENTS})
