"""Each subscribed event is published where it happens, once per real occurrence, keyed by its cause: a LINE
follow/unfollow (webhookEventId), a tag change (the action's cause), an opt-out (the write that made it)."""

from __future__ import annotations

from typing import Any

from haishin.actions import ActionRunner, AddTag, RemoveTag
from haishin.channels.activity import ChannelActivity
from haishin.forms.collab import Collaborators
from haishin.ingest.autoreplies import AutoReplyStore
from haishin.ingest.idempotency import EventLedger
from haishin.ingest.processor import LineEventProcessor
from haishin.ingest.triggers import NoopTriggers
from haishin.optout.service import OptOutService
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from haishin.webhooks.models import EndpointDefinition
from tests.unit.line.conftest import WS as LINE_WS
from tests.unit.line.conftest import FakeLine, FakeLineClients, envelope, line_event
from tests.unit.webhooks.conftest import Env

EVENTS = ["friend_added", "blocked", "tag_added", "tag_removed", "unsubscribed"]


def deliveries(env: Env, workspace_id: str) -> list[tuple[str, dict[str, Any]]]:
    return sorted(((d["event_type"], d["event"]["data"]) for d in env.service.deliveries(workspace_id)),
                  key=lambda pair: pair[0])


def test_follow_and_unfollow_publish_friend_added_and_blocked_once(env: Env) -> None:
    env.service.create_endpoint(LINE_WS, _definition())
    subscribers, timeline, triggers = SubscriberRepository(), Timeline(), NoopTriggers()
    processor = LineEventProcessor(
        subscribers=subscribers, timeline=timeline, ledger=EventLedger(), line=FakeLineClients(FakeLine()),
        triggers=triggers, auto_replies=AutoReplyStore(cache_ttl_s=0), channels=ChannelActivity(cache_ttl_s=0),
        actions=ActionRunner(subscribers, timeline, scenarios=triggers), events=env.service)
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
    subscribers = SubscriberRepository()
    friend = subscribers.new(ws, source="line")
    subscribers.create(friend, [])
    runner = ActionRunner(subscribers, Timeline(), webhooks=env.service)
    assert runner.events is env.service
    for _ in range(2):  # the same postback twice: the tag is already there, nothing is published again
        runner.run(ws, friend.subscriber_id, [AddTag(tag="VIP")], actor="postback", idempotency_key="pb:1")
    runner.run(ws, friend.subscriber_id, [RemoveTag(tag="VIP")], actor="postback", idempotency_key="pb:2")
    found = deliveries(env, ws)
    assert [t for t, _ in found] == ["tag_added", "tag_removed"]
    assert found[0][1]["tag"] == "VIP" and found[0][1]["subscriber_id"] == friend.subscriber_id


def test_an_opt_out_publishes_unsubscribed_once(env: Env) -> None:
    ws = "ws_optout_hooks"
    env.service.create_endpoint(ws, _definition())
    collab = Collaborators(secrets=InMemorySecretStore(), scenarios=NoopTriggers(), webhooks=env.service)
    friend = collab.subscribers.new(ws, source="form")
    collab.subscribers.create(friend, [])
    optout = OptOutService(collab)
    optout.set(ws, friend.subscriber_id, "email", True, reason="link")
    optout.set(ws, friend.subscriber_id, "email", True, reason="link")  # already stopped: no second event
    found = deliveries(env, ws)
    assert [(t, d["scope"]) for t, d in found] == [("unsubscribed", "email")]
    optout.set(ws, friend.subscriber_id, "email", False, reason="admin")
    optout.set(ws, friend.subscriber_id, "email", True, reason="keyword")  # stopped again: a new occurrence
    assert len(deliveries(env, ws)) == 2


def _definition() -> EndpointDefinition:
    return EndpointDefinition.model_validate({"url": "https://hooks.example.com/x", "events": EVENTS})
