"""The consumer: every event takes effect once; follow/unfollow/message/postback; standby; reply fallback."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from haishin.autoreplies.rules import AutoReplyStore
from haishin.ids import retry_key
from haishin.ingest import postback
from haishin.ingest.consumer import LineEventsConsumer
from haishin.line.client import LineApiError
from haishin.tags.repository import TagRepository
from haishin.timeline.models import TimelineEntryModel
from haishin.workspaces.models import ChannelModel

from .conftest import CH, WS, Ingest, envelope, line_event, text_event

U1 = "U00000000000000000000000000000001"


def timeline_of(ingest: Ingest, subscriber_id: str) -> list[TimelineEntryModel]:
    entries, _ = ingest.timeline.page(WS, subscriber_id, limit=1000)
    return entries


def sub_of(ingest: Ingest, user: str = U1) -> Any:
    return ingest.subscribers.find_by_line_user(WS, CH, user)


def save_channel() -> None:
    ChannelModel.for_channel(WS, CH, secret_name="s", connected_at=datetime(2026, 1, 1, tzinfo=UTC)).save()


def auto_reply(match_type: str, keywords: list[str], text: str, priority: int = 100, **extra: Any) -> Any:
    return AutoReplyStore().create(WS, {"name": f"{match_type}-{text}", "match_type": match_type, "keywords": keywords,
                                        "priority": priority, "messages": [{"type": "text", "text": text}], **extra})


def test_follow_creates_friend_with_profile_timeline_and_trigger(ingest: Ingest) -> None:
    event = line_event("follow", follow={"isUnblocked": False})
    ingest.processor.process_record(envelope([event]))
    sub = sub_of(ingest)
    assert sub.display_name == "name-0001" and sub.picture_url
    account = sub.line[CH]
    assert account["status"] == "following" and account["followed_at"] and account["is_unblocked"] is False
    assert sub.last_interaction_at is not None
    assert [e.kind for e in timeline_of(ingest, sub.subscriber_id)] == ["follow"]
    assert ingest.triggers.calls == [("trigger", WS, sub.subscriber_id, "friend_added",
                                      f"follow:{event['webhookEventId']}")]


def test_failed_profile_does_not_fail_the_follow(ingest: Ingest) -> None:
    ingest.line.profile_error = LineApiError(500, "boom")
    ingest.processor.process_record(envelope([line_event("follow")]))
    sub = sub_of(ingest)
    assert sub.line[CH]["status"] == "following" and sub.display_name is None


def test_unfollow_blocks_stops_scenarios_keeps_history(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([line_event("follow", ts=1767571200000),
                                              line_event("unfollow", ts=1767571300000)]))
    sub = sub_of(ingest)
    assert sub.line[CH]["status"] == "blocked" and sub.line[CH]["blocked_at"]
    assert [e.kind for e in timeline_of(ingest, sub.subscriber_id)] == ["unfollow", "follow"]
    assert ("stop_all", WS, sub.subscriber_id, "blocked") in ingest.triggers.calls


def test_out_of_order_follow_after_block_does_not_unblock(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([line_event("unfollow", ts=1767571300000)]))
    ingest.processor.process_record(envelope([line_event("follow", ts=1767571200000)]))
    sub = sub_of(ingest)
    assert sub.line[CH]["status"] == "blocked"
    assert not [c for c in ingest.triggers.calls if c[0] == "trigger"]  # a stale follow enrolls nobody


def test_refollow_records_is_unblocked(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([line_event("follow", ts=1767571200000),
                                              line_event("unfollow", ts=1767571300000),
                                              line_event("follow", ts=1767571400000, follow={"isUnblocked": True})]))
    account = sub_of(ingest).line[CH]
    assert account["status"] == "following" and account["is_unblocked"] is True


def test_message_from_never_seen_friend_creates_reachable_subscriber(ingest: Ingest) -> None:
    event = text_event("hello", user="U0000000000000000000000000000new")
    ingest.processor.process_record(envelope([event]))
    sub = sub_of(ingest, "U0000000000000000000000000000new")
    assert sub.line[CH]["status"] == "unknown" and sub.line[CH]["user_id"].endswith("new")
    entries, _ = ingest.timeline.page(WS, sub.subscriber_id, chat_only=True)
    assert len(entries) == 1 and entries[0].entry_id == event["webhookEventId"]
    assert entries[0].data["text"] == "hello" and entries[0].kind == "message_in"


def test_sticker_and_image_metadata_recorded(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([
        line_event("message", message={"id": "9", "type": "sticker", "packageId": "446", "stickerId": "1988"}),
        line_event("message", message={"id": "10", "type": "image", "contentProvider": {"type": "line"}}),
    ]))
    data = {e.data["type"]: e.data for e in timeline_of(ingest, sub_of(ingest).subscriber_id)}
    assert data["sticker"]["sticker"] == {"packageId": "446", "stickerId": "1988"}
    assert data["image"]["content"] == {"contentProvider": {"type": "line"}}


def test_auto_reply_answers_by_reply_and_records_message_out(ingest: Ingest) -> None:
    rule = auto_reply("contains", ["予約"], "{{ name }}様、ご予約はこちら")
    ingest.processor.process_record(envelope([line_event("follow"), text_event("予約したいです")]))
    assert len(ingest.line.replies) == 1 and ingest.line.pushes == []
    assert ingest.line.replies[0][1][0]["text"] == "name-0001様、ご予約はこちら"
    outs = [e for e in timeline_of(ingest, sub_of(ingest).subscriber_id) if e.kind == "message_out"]
    assert len(outs) == 1 and outs[0].actor == f"auto_reply:{rule.auto_reply_id}" and outs[0].data["via"] == "reply"


def test_expired_reply_token_falls_back_to_push_with_retry_key(ingest: Ingest) -> None:
    auto_reply("exact", ["hello"], "hi!")
    ingest.line.reply_error = LineApiError(400, "Invalid reply token")
    event = text_event("Ｈｅｌｌｏ ")  # full-width and trailing space still match "exact"
    ingest.processor.process_record(envelope([event]))
    assert ingest.line.replies == []
    assert ingest.line.pushes == [(U1, [{"type": "text", "text": "hi!"}],
                                   retry_key("autoreply", event["webhookEventId"]))]


def test_other_reply_errors_are_not_turned_into_push(ingest: Ingest) -> None:
    auto_reply("exact", ["hello"], "hi!")
    ingest.line.reply_error = LineApiError(503, "unavailable")
    event = text_event("hello")
    with pytest.raises(LineApiError):
        ingest.processor.process_record(envelope([event]))
    ingest.line.reply_error = None
    ingest.processor.process_record(envelope([{**event, "deliveryContext": {"isRedelivery": True}}]))
    assert len(ingest.line.replies) == 1 and ingest.line.pushes == []


def test_auto_reply_match_types_and_priority(ingest: Ingest) -> None:
    auto_reply("contains", ["price"], "contains-low", priority=50)
    auto_reply("regex", [r"^price\s+\d+$"], "regex-high", priority=10)
    auto_reply("exact", ["price"], "exact-disabled", priority=1, enabled=False)
    auto_reply("exact", ["price"], "exact-other-channel", priority=2, channel_id="9999999999")
    for text in ("price 100", "the price?", "nothing"):
        ingest.processor.process_record(envelope([text_event(text)]))
    assert [r[1][0]["text"] for r in ingest.line.replies] == ["regex-high", "contains-low"]


def test_auto_reply_actions_run_once(ingest: Ingest) -> None:
    auto_reply("exact", ["vip"], "ok", actions=[{"type": "add_tag", "tag": "asked-vip"}])
    event = text_event("vip")
    ingest.processor.process_record(envelope([event]))
    ingest.processor.process_record(envelope([{**event, "deliveryContext": {"isRedelivery": True}}]))
    assert TagRepository().names(WS, sub_of(ingest).tags) == {"asked-vip"}
    assert len(ingest.line.replies) == 1


def test_standby_mode_sends_nothing(ingest: Ingest) -> None:
    auto_reply("contains", ["hi"], "hello")
    ingest.processor.process_record(envelope([
        line_event("follow", mode="standby"), text_event("hi", mode="standby"),
        line_event("postback", mode="standby", postback={"data": "action=add_tag&tag=x"}),
    ]))
    assert ingest.line.replies == [] and ingest.line.pushes == []
    assert not [c for c in ingest.triggers.calls if c[0] == "trigger"]
    sub = sub_of(ingest)
    assert sub.line[CH]["status"] == "following" and not sub.tags  # state recorded, no actions


def test_greeting_sent_on_follow(ingest: Ingest) -> None:
    from haishin.channels.service import ChannelService  # noqa: PLC0415
    from haishin.secrets import InMemorySecretStore  # noqa: PLC0415

    save_channel()
    ChannelService(InMemorySecretStore()).set_greeting(WS, CH, {"messages": [{"type": "text", "text": "ようこそ"}]})
    ingest.processor.process_record(envelope([line_event("follow")]))
    assert ingest.line.replies[0][1] == [{"type": "text", "text": "ようこそ"}]


@pytest.mark.parametrize("data", [
    postback.encode([{"type": "add_tag", "tag": "vip"}, {"type": "add_to_field", "field": "score", "amount": 5}]),
    "action=add_tag&tag=vip",
])
def test_postback_actions_applied_once(ingest: Ingest, data: str) -> None:
    event = line_event("postback", postback={"data": data})
    ingest.processor.process_record(envelope([event]))
    ingest.processor.process_record(envelope([{**event, "deliveryContext": {"isRedelivery": True}}]))
    sub = sub_of(ingest)
    assert TagRepository().names(WS, sub.tags) == {"vip"}
    if data.startswith("haishin:"):
        assert sub.fields["score"] == 5
    kinds = [e.kind for e in timeline_of(ingest, sub.subscriber_id)]
    assert kinds.count("tag_added") == 1 and kinds.count("event") == 1


@pytest.mark.parametrize("data", ["haishin:%%%notbase64", postback.encode([{"type": "explode"}]),
                                  "action=add_tag", "someone-elses=1"])
def test_bad_postback_is_skipped_never_fails(ingest: Ingest, data: str) -> None:
    outcome = ingest.processor.process_record(envelope([line_event("postback", postback={"data": data})]))
    assert outcome.applied == 1
    assert not sub_of(ingest).tags


def test_unknown_and_other_event_types(ingest: Ingest) -> None:
    outcome = ingest.processor.process_record(envelope([
        line_event("somethingNew"),
        line_event("unsend", unsend={"messageId": "1"}),
        line_event("videoPlayComplete", videoPlayComplete={"trackingId": "t"}),
        line_event("accountLink", link={"result": "ok", "nonce": "n"}),
        {"type": "join", "timestamp": 1767571200000, "webhookEventId": "01GROUPJOIN", "mode": "active",
         "source": {"type": "group", "groupId": "C1"}},
    ]))
    assert outcome.applied == 5
    entries = timeline_of(ingest, sub_of(ingest).subscriber_id)
    assert sorted(e.data["type"] for e in entries) == ["accountLink", "unsend", "videoPlayComplete"]


def test_verify_marker_records_webhook_verified_at(ingest: Ingest) -> None:
    save_channel()
    outcome = ingest.processor.process_record(envelope([]))
    assert outcome.verify
    assert ChannelModel.get(f"channel#{CH}", "channel").webhook_verified_at is not None


def _sqs(bodies: list[str]) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": "h", "body": body, "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:LineEventsQueue",
                         "awsRegion": "us-east-1"} for i, body in enumerate(bodies)]}


def test_consumer_reports_partial_failures_and_touches_channel_once(ingest: Ingest, monkeypatch: Any) -> None:
    save_channel()
    touches: list[Any] = []
    original = ingest.processor.channels.touch
    monkeypatch.setattr(ingest.processor.channels, "touch", lambda c, at: (touches.append(at), original(c, at)))
    consumer = LineEventsConsumer(ingest.processor)
    result = consumer.handle(_sqs([envelope([line_event("follow", ts=1767571200000)]), "not json",
                                   envelope([text_event("x", ts=1767571500000)])]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert len(touches) == 1
    assert ChannelModel.get(f"channel#{CH}", "channel").last_event_at == datetime.fromtimestamp(1767571500, UTC)


def test_crash_mid_event_is_retried_but_completed_events_are_not(ingest: Ingest, monkeypatch: Any) -> None:
    first, second = text_event("one"), line_event("postback", postback={"data": "action=add_tag&tag=t"})
    calls = {"n": 0}
    original = ingest.processor.actions.run

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("crash")
        return original(*args, **kwargs)

    monkeypatch.setattr(ingest.processor.actions, "run", flaky)
    with pytest.raises(ConnectionError):
        ingest.processor.process_record(envelope([first, second]))
    outcome = ingest.processor.process_record(envelope([first, second]))
    assert (outcome.applied, outcome.skipped) == (1, 1)
    sub = sub_of(ingest)
    assert TagRepository().names(WS, sub.tags) == {"t"}
    assert [e.kind for e in timeline_of(ingest, sub.subscriber_id)].count("message_in") == 1


def test_thousand_events_with_redeliveries_and_disorder_take_effect_once(ingest: Ingest) -> None:
    rng = random.Random(7)
    users = [f"U{n:032d}" for n in range(50)]
    originals = []
    for n in range(1000):
        user = users[n % 50]
        if n < 50:
            originals.append(line_event("follow", user=user, ts=1767571200000 + n))
        elif n % 2:
            originals.append(text_event(f"m{n}", user=user, ts=1767571200000 + n))
        else:
            originals.append(line_event("postback", user=user, ts=1767571200000 + n,
                                        postback={"data": "action=add_to_field&field=clicks&amount=1"}))
    duplicates = [{**e, "deliveryContext": {"isRedelivery": True}} for e in rng.sample(originals, 100)]
    stream = originals[50:] + duplicates
    rng.shuffle(stream)
    stream = originals[:50] + stream  # follows first, everything else in random order
    bodies = [envelope(stream[i:i + 10]) for i in range(0, len(stream), 10)]
    consumer = LineEventsConsumer(ingest.processor)
    for start in range(0, len(bodies), 10):
        assert consumer.handle(_sqs(bodies[start:start + 10])) == {"batchItemFailures": []}
    # The same bodies redelivered by SQS as well:
    assert consumer.handle(_sqs(bodies[:10])) == {"batchItemFailures": []}

    total_messages = total_clicks = 0
    for user in users:
        sub = sub_of(ingest, user)
        entries = timeline_of(ingest, sub.subscriber_id)
        total_messages += sum(1 for e in entries if e.kind == "message_in")
        total_clicks += sub.fields.get("clicks", 0)
        assert sum(1 for e in entries if e.kind == "follow") == 1
    assert total_messages == sum(1 for e in originals if e["type"] == "message")
    assert total_clicks == sum(1 for e in originals if e["type"] == "postback")
    rows = ingest.subscribers.iter_all(WS)
    assert len(list(rows)) == 50
    assert len([c for c in ingest.triggers.calls if c[0] == "trigger"]) == 50


def test_sample_sqs_event_processes(ingest: Ingest) -> None:
    from pathlib import Path  # noqa: PLC0415

    event = json.loads((Path(__file__).resolve().parents[3] / "events" / "line_events.json").read_text("utf-8"))
    result = LineEventsConsumer(ingest.processor).handle(event)
    assert result == {"batchItemFailures": []}
