"""The welcome scenario's "immediately" first step leaves from the events consumer, on the follow's reply token
(free), through the step delivery's ledger row; the tick then neither resends it nor skips the next step."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from haishin.channels.service import ChannelService
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import step_delivery_id, step_retry_key
from haishin.ids import retry_key
from haishin.line.client import LineApiError, SendResult
from haishin.scenarios.enrollments import enrollment_pk
from haishin.secrets import InMemorySecretStore
from haishin.workspaces.models import ChannelModel
from tests.unit.scenarios.step_harness import CHANNEL, FakeLine, StepWorld

USER = "U0000000000000000000000000000abcd"
WELCOME = {
    "name": "welcome", "triggers": [{"type": "friend_added"}],
    "steps": [
        {"id": "hello", "timing": {"type": "immediately"}, "line": [{"type": "text", "text": "ようこそ"}]},
        {"id": "next", "timing": {"type": "after", "amount": 10, "unit": "minutes"},
         "line": [{"type": "text", "text": "二通目"}]},
    ],
}


class ReplyLine(FakeLine):
    """The harness's LINE plus replies as LINE answers them: single use, refused when told (expired)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[tuple[str, list[dict[str, Any]]]] = []
        self.pushes: list[tuple[str, str | None]] = []
        self.used: set[str] = set()
        self.refuse = False

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        if self.refuse or reply_token in self.used:
            raise LineApiError(400, "Invalid reply token")
        self.used.add(reply_token)
        self.replies.append((reply_token, messages))
        return SendResult(request_id="reply-1")

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
             unit: str | None = None) -> SendResult:
        self.pushes.append((to, retry_key))
        return super().push(to, messages, retry_key=retry_key, unit=unit)

    def profile(self, user_id: str) -> dict[str, Any]:
        return {"userId": user_id, "displayName": "Hanako"}


def follow(event_id: str = "01FOLLOW0000000000000000001") -> dict[str, Any]:
    return {"type": "follow", "mode": "active", "timestamp": 1767571200000, "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": False}, "replyToken": f"rt-{event_id}",
            "source": {"type": "user", "userId": USER}, "follow": {"isUnblocked": False}}


def record(events: list[dict[str, Any]], ws: str) -> str:
    body = json.dumps({"destination": "Ubot", "events": events})
    return json.dumps({"channel_id": CHANNEL, "workspace_id": ws, "received_at": "2026-01-05T00:00:00+00:00",
                       "body": body})


def setup(manual_clock: Any, first: list[str] | None = None) -> tuple[StepWorld, ReplyLine, str]:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))  # 12:00 JST, outside quiet hours
    line = ReplyLine()
    world = StepWorld(line)
    ws = world.workspace()
    raw = copy.deepcopy(WELCOME)
    if first:
        raw["steps"][0]["line"] = [{"type": "text", "text": t} for t in first]  # type: ignore[index]
    world.scenario(ws, raw)
    return world, line, ws


def the_enrollment(world: StepWorld, ws: str) -> Any:
    from haishin.scenarios.enrollments import EnrollmentModel  # noqa: PLC0415

    found = [e for e in EnrollmentModel.scan() if getattr(e, "workspace_id", None) == ws and e.scenario_id]
    assert len(found) == 1
    return found[0]


def delivery(item: Any, step: str) -> tuple[str, str]:
    pk = enrollment_pk(item.workspace_id, item.subscriber_id)
    return (step_delivery_id(pk, item.scenario_id, int(item.cycle), step, "line"),
            step_retry_key(pk, item.scenario_id, int(item.cycle), step, "line"))


def test_the_first_step_goes_on_the_reply_token_and_the_tick_sends_the_next_one(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    world.services.line_events.process_record(record([follow()], ws))
    assert [t for t, _ in line.replies] == ["rt-01FOLLOW0000000000000000001"]
    assert line.replies[0][1][0]["text"] == "ようこそ"
    assert line.pushes == []  # nothing counted against the monthly quota
    item = the_enrollment(world, ws)
    hello_id, _ = delivery(item, "hello")
    row = Ledger().get(hello_id)
    assert row is not None and row.status == "sent" and row.via == "reply"
    assert int(item.next_step) == 1 and list(item.last_delivery_ids) == [hello_id]
    # the tick afterwards: step 1 is not sent again, step 2 leaves 10 minutes later by push
    world.tick()
    world.drain()
    assert line.pushes == []
    world.run_for(timedelta(minutes=15))
    next_id, next_key = delivery(item, "next")
    assert line.pushes == [(USER, next_key)]
    assert len(line.replies) == 1
    assert Ledger().get(next_id).via == "push"  # type: ignore[union-attr]


def test_a_refused_reply_token_sends_the_same_messages_by_push_once_with_the_step_retry_key(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    line.refuse = True
    world.services.line_events.process_record(record([follow()], ws))
    item = the_enrollment(world, ws)
    hello_id, hello_key = delivery(item, "hello")
    assert line.replies == []
    assert line.pushes == [(USER, hello_key)]
    assert [r.text for r in line.of(USER)] == ["ようこそ"]
    assert Ledger().get(hello_id).via == "push"  # type: ignore[union-attr]
    world.tick()
    world.drain()
    assert line.pushes == [(USER, hello_key)]


def test_a_redelivered_follow_sends_nothing_again(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    event = follow()
    world.services.line_events.process_record(record([event], ws))
    # LINE redelivers the same event (the first answer was lost), and the consumer also sees a replay of it
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    world.services.line_events.process_record(record([redelivered], ws))
    world.services.line_events.first_steps.answer(ws, the_enrollment(world, ws).subscriber_id,
                                                  trigger="friend_added", line_channel_id=CHANNEL,
                                                  reply_token="rt-other")
    assert [t for t, _ in line.replies] == ["rt-01FOLLOW0000000000000000001"] and line.pushes == []
    world.tick()
    world.drain()
    assert len(line.replies) == 1 and line.pushes == []


def test_a_step_the_tick_already_sent_is_not_sent_again_by_the_consumer(aws, manual_clock):
    """The other order: the tick's worker sent step 1 by push first; the consumer's answer sends nothing."""
    world, line, ws = setup(manual_clock)
    sub = world.friend(ws, USER)
    scenario = world.services.scenarios.list(ws)[0]
    world.services.scenario_service.enroll(ws, sub, scenario, trigger="friend_added", idempotency_key=None)
    world.tick()  # enqueued (the row exists), not yet sent: the consumer's claim sends it, the queued one not
    outcomes = world.services.first_steps.answer(ws, sub, trigger="friend_added", line_channel_id=CHANNEL,
                                                 reply_token="rt-late")
    assert outcomes == []  # the tick advanced the enrollment already: not the consumer's to send
    world.drain()
    assert len(line.pushes) == 1 and line.replies == []


# ---------------------------------------------------------------- one reply for everything answering the follow
def greet(ws: str, texts: list[str]) -> None:
    ChannelModel.for_channel(ws, CHANNEL, secret_name="s", connected_at=datetime(2026, 1, 1, tzinfo=UTC)).save()
    ChannelService(InMemorySecretStore()).set_greeting(
        ws, CHANNEL, {"messages": [{"type": "text", "text": t} for t in texts]})


def test_the_greeting_and_the_welcome_step_share_one_reply(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    greet(ws, ["こんにちは", "Salonです"])
    world.services.line_events.process_record(record([follow()], ws))
    assert [[m["text"] for m in messages] for _, messages in line.replies] == [["こんにちは", "Salonです", "ようこそ"]]
    assert line.pushes == []
    item = the_enrollment(world, ws)
    assert Ledger().get(delivery(item, "hello")[0]).via == "reply"  # type: ignore[union-attr]
    # a redelivered follow sends neither again
    redelivered = {**follow(), "deliveryContext": {"isRedelivery": True}}
    world.services.line_events.process_record(record([redelivered], ws))
    world.tick()
    world.drain()
    assert len(line.replies) == 1 and line.pushes == []


def test_more_than_five_objects_reply_five_and_push_the_rest_with_the_step_retry_key(aws, manual_clock):
    world, line, ws = setup(manual_clock, ["w1", "w2"])
    greet(ws, ["g1", "g2", "g3", "g4"])
    world.services.line_events.process_record(record([follow()], ws))
    item = the_enrollment(world, ws)
    hello_id, hello_key = delivery(item, "hello")
    assert [[m["text"] for m in messages] for _, messages in line.replies] == [["g1", "g2", "g3", "g4", "w1"]]
    assert line.pushes == [(USER, hello_key)]
    assert [r.text for r in line.of(USER)] == ["w2"]
    assert Ledger().get(hello_id).via == "reply+push"  # type: ignore[union-attr]


def test_a_refused_token_pushes_the_greeting_then_the_step_each_once(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    greet(ws, ["こんにちは"])
    line.refuse = True
    event = follow()
    world.services.line_events.process_record(record([event], ws))
    item = the_enrollment(world, ws)
    _, hello_key = delivery(item, "hello")
    assert line.replies == []
    assert line.pushes == [(USER, retry_key("greeting", event["webhookEventId"])), (USER, hello_key)]
    assert [r.text for r in line.of(USER)] == ["こんにちは", "ようこそ"]
    world.services.line_events.process_record(record([{**event, "deliveryContext": {"isRedelivery": True}}], ws))
    world.tick()
    world.drain()
    assert [r.text for r in line.of(USER)] == ["こんにちは", "ようこそ"]


def test_a_reply_accepted_without_an_answer_is_not_pushed_again(aws, manual_clock):
    """LINE accepted the reply but the answer timed out; the retry finds the token used: counted as sent, no push."""
    world, line, ws = setup(manual_clock)
    original = line.reply
    calls = {"n": 0}

    def accepted_then_timeout(token: str, messages: list[dict[str, Any]]) -> SendResult:
        calls["n"] += 1
        result = original(token, messages)
        if calls["n"] == 1:
            raise LineApiError(None, "no answer from LINE: ReadTimeoutError")
        return result

    line.reply = accepted_then_timeout  # type: ignore[method-assign]
    world.services.line_events.process_record(record([follow()], ws))
    assert calls["n"] == 2 and len(line.replies) == 1 and line.pushes == []
    item = the_enrollment(world, ws)
    row = Ledger().get(delivery(item, "hello")[0])
    assert row is not None and row.status == "sent" and row.via == "reply"


def test_the_dashboard_counts_this_months_replies_apart_from_pushes(aws, manual_clock):
    from haishin.dashboard import Dashboard  # noqa: PLC0415

    world, line, ws = setup(manual_clock)
    world.services.line_events.process_record(record([follow("01FOLLOW0000000000000000001")], ws))
    line.refuse = True
    other = {**follow("01FOLLOW0000000000000000002"), "source": {"type": "user", "userId": USER[:-4] + "ffff"}}
    world.services.line_events.process_record(record([other], ws))
    assert len(line.replies) == 1 and len(line.pushes) == 1
    deliveries = Dashboard(quota=lambda _ws, _ch: {"type": "none"}).build(ws)["deliveries"]
    assert deliveries["replied_this_month"] == 1
    assert deliveries["sent"] == 2
    assert [d["replied"] for d in deliveries["series"] if d["sent"]] == [1]


def test_a_postback_that_starts_a_scenario_answers_with_its_first_step_on_the_reply_token(aws, manual_clock):
    from haishin.ingest import postback  # noqa: PLC0415

    world, line, ws = setup(manual_clock)
    raw = copy.deepcopy(WELCOME)
    raw["name"], raw["triggers"] = "menu", []
    raw["steps"][0]["line"] = [{"type": "text", "text": "メニューです"}]  # type: ignore[index]
    menu = world.scenario(ws, raw)
    event = {**follow("01POSTBACK000000000000000001"), "type": "postback",
             "postback": {"data": postback.encode([{"type": "start_scenario", "scenario_id": menu.id}])}}
    event.pop("follow")
    world.services.line_events.process_record(record([event], ws))
    assert [[m["text"] for m in messages] for _, messages in line.replies] == [["メニューです"]]
    assert line.pushes == []
    world.tick()
    world.drain()
    assert len(line.replies) == 1 and line.pushes == []


def said(text: str, event_id: str = "01MESSAGE0000000000000000001") -> dict[str, Any]:
    event = {**follow(event_id), "type": "message", "message": {"type": "text", "id": "m1", "text": text}}
    event.pop("follow")
    return event


def keyword_starts_menu(world: StepWorld, ws: str) -> str:
    from haishin.autoreplies.rules import AutoReplyStore  # noqa: PLC0415

    raw = copy.deepcopy(WELCOME)
    raw["name"], raw["triggers"] = "menu", []
    raw["steps"][0]["line"] = [{"type": "text", "text": "メニューです"}]  # type: ignore[index]
    menu = world.scenario(ws, raw)
    AutoReplyStore().create(ws, {"name": "menu", "match_type": "exact", "keywords": ["メニュー"], "priority": 1,
                                 "messages": [{"type": "text", "text": "承知しました"}],
                                 "actions": [{"type": "start_scenario", "scenario_id": menu.id}]})
    return str(menu.id)


def test_an_auto_reply_and_the_first_step_its_action_starts_share_one_reply(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    keyword_starts_menu(world, ws)
    event = said("メニュー")
    world.services.line_events.process_record(record([event], ws))
    assert [[m["text"] for m in messages] for _, messages in line.replies] == [["承知しました", "メニューです"]]
    assert line.pushes == []
    # a redelivered message sends neither again, and the tick does not resend the step
    world.services.line_events.process_record(record([{**event, "deliveryContext": {"isRedelivery": True}}], ws))
    world.tick()
    world.drain()
    assert len(line.replies) == 1 and line.pushes == []


def test_a_refused_token_pushes_the_auto_reply_then_the_step_each_once(aws, manual_clock):
    world, line, ws = setup(manual_clock)
    keyword_starts_menu(world, ws)
    line.refuse = True
    event = said("メニュー")
    world.services.line_events.process_record(record([event], ws))
    assert line.replies == []
    assert [r.text for r in line.of(USER)] == ["承知しました", "メニューです"]
    assert line.pushes[0] == (USER, retry_key("autoreply", event["webhookEventId"]))
    world.services.line_events.process_record(record([{**event, "deliveryContext": {"isRedelivery": True}}], ws))
    world.tick()
    world.drain()
    assert [r.text for r in line.of(USER)] == ["承知しました", "メニューです"]
