"""Mark-as-read and the loading animation in the product: the consumer keeps the newest ``markAsReadToken`` of a
friend's message (in the write it already makes), opening the 1:1 chat marks the chat read once with it, and an
auto-reply with actions shows LINE's loading animation before it answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from haishin import wiring
from haishin.autoreplies.rules import AutoReplyStore
from haishin.line.client import LineApiError
from haishin.subscribers.repository import SubscriberRepository
from haishin.wiring import Services

from .conftest import CH, WS, Api, FakeLine, FakeLineClients, Ingest, caller, envelope, line_event

U1 = "U00000000000000000000000000000001"


def said(text: str, token: str | None, ts: int = 1767571200000, **kwargs: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"id": f"m-{ts}", "type": "text", "text": text}
    if token is not None:
        message["markAsReadToken"] = token
    return line_event("message", ts=ts, message=message, **kwargs)


def account(user: str = U1) -> dict[str, Any]:
    sub = SubscriberRepository().find_by_line_user(WS, CH, user)
    assert sub is not None
    return dict(sub.line[CH])


# ---------------------------------------------------------------------------------------------- the consumer
def test_a_message_keeps_its_mark_as_read_token_on_the_friends_line_account(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([said("hi", "read-1")]))
    assert account()["read_token"] == "read-1"


def test_the_newest_message_token_wins_even_when_events_arrive_out_of_order(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([said("second", "read-2", ts=1767571300000)]))
    ingest.processor.process_record(envelope([said("first", "read-1", ts=1767571200000)]))
    assert account()["read_token"] == "read-2"
    ingest.processor.process_record(envelope([said("third", "read-3", ts=1767571400000)]))
    assert account()["read_token"] == "read-3"


def test_a_message_without_a_token_keeps_the_earlier_one(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([said("hi", "read-1", ts=1767571200000)]))
    ingest.processor.process_record(envelope([said("sticker", None, ts=1767571300000)]))
    assert account()["read_token"] == "read-1"


def test_an_auto_reply_with_actions_shows_the_loading_animation_first(ingest: Ingest) -> None:
    AutoReplyStore().create(WS, {"name": "vip", "match_type": "exact", "keywords": ["vip"], "priority": 1,
                                 "messages": [{"type": "text", "text": "ok"}],
                                 "actions": [{"type": "add_tag", "tag": "asked-vip"}]})
    AutoReplyStore().create(WS, {"name": "plain", "match_type": "exact", "keywords": ["hi"], "priority": 2,
                                 "messages": [{"type": "text", "text": "hello"}]})
    event = said("vip", "read-1")
    ingest.processor.process_record(envelope([event]))
    assert ingest.line.loading == [(U1, 5)] and len(ingest.line.replies) == 1
    ingest.processor.process_record(envelope([{**event, "deliveryContext": {"isRedelivery": True}}]))
    assert ingest.line.loading == [(U1, 5)]  # the event was applied once: nothing again
    ingest.processor.process_record(envelope([said("hi", "read-2", ts=1767571300000)]))
    assert ingest.line.loading == [(U1, 5)]  # a plain reply needs no animation
    assert len(ingest.line.replies) == 2


def test_a_failed_loading_animation_never_stops_the_reply(ingest: Ingest, caplog: pytest.LogCaptureFixture) -> None:
    AutoReplyStore().create(WS, {"name": "vip", "match_type": "exact", "keywords": ["vip"], "priority": 1,
                                 "messages": [{"type": "text", "text": "ok"}],
                                 "actions": [{"type": "add_tag", "tag": "asked-vip"}]})
    ingest.line.loading_error = LineApiError(500, "boom")
    with caplog.at_level(logging.WARNING, logger="haishin.ingest"):
        ingest.processor.process_record(envelope([said("vip", "read-1")]))
    assert [r[1][0]["text"] for r in ingest.line.replies] == ["ok"]
    assert "loading animation was not shown" in caplog.text


# ---------------------------------------------------------------------------------------------- the chat
@pytest.fixture
def chat(api: Api, fake_line: FakeLine) -> Any:
    previous = wiring.install(Services(line_clients=FakeLineClients(fake_line)))
    yield api, fake_line
    wiring.install(previous)


def friend_with_token(token: str | None, channel: str = CH) -> str:
    repo = SubscriberRepository()
    sub, _ = repo.get_or_create_for_line_user(WS, channel, U1)

    def change(s: Any) -> None:
        s.line[channel].update(status="following")
        if token:
            s.line[channel].update(read_token=token, read_token_at="2026-01-05T00:00:00.000000+00:00")

    repo.mutate(WS, sub.subscriber_id, change)
    return sub.subscriber_id


def test_opening_the_chat_marks_it_read_once(chat: Any) -> None:
    api, line = chat
    subscriber_id = friend_with_token("read-1")
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat")[0] == 200
    assert line.marked_read == ["read-1"]
    assert "read_token" not in account()
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat")[0] == 200
    assert line.marked_read == ["read-1"]  # nothing new to read: LINE is not called again


def test_an_older_page_does_not_mark_read(chat: Any) -> None:
    api, line = chat
    subscriber_id = friend_with_token("read-1")
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat", query={"cursor": "9999"})[0] == 200
    assert line.marked_read == [] and account()["read_token"] == "read-1"


def test_a_failure_to_mark_read_never_fails_the_page_and_a_retryable_one_is_tried_again(
    chat: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api, line = chat
    subscriber_id = friend_with_token("read-1")
    line.mark_read_error = LineApiError(503, "busy")
    with caplog.at_level(logging.WARNING, logger="haishin.chat"):
        status, page = api("GET", f"/api/subscribers/{subscriber_id}/chat")
    assert status == 200 and "messages" in page
    assert "marking the chat read failed" in caplog.text
    assert account()["read_token"] == "read-1"  # kept for the next open
    line.mark_read_error = None
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat")[0] == 200
    assert line.marked_read == ["read-1"] and "read_token" not in account()


def test_a_token_line_refuses_is_forgotten(chat: Any) -> None:
    api, line = chat
    subscriber_id = friend_with_token("read-bad")
    line.mark_read_error = LineApiError(400, "Invalid markAsReadToken")
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat")[0] == 200
    assert "read_token" not in account()


def test_an_operator_of_one_channel_marks_only_that_channel(chat: Any) -> None:
    api, line = chat
    subscriber_id = friend_with_token("read-1")
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat", as_=caller(channel_id="9999999999"))[0] == 200
    assert line.marked_read == []
    assert api("GET", f"/api/subscribers/{subscriber_id}/chat", as_=caller(channel_id=CH))[0] == 200
    assert line.marked_read == ["read-1"]
