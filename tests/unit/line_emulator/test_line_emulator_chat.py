"""Mark-as-read and the loading animation: our LINE client (line-bot-sdk) against the emulator, and every request
the emulator refuses as LINE does."""

from __future__ import annotations

from typing import Any

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, TOKEN, call

from haishin.line.client import LineApiError, LineClient
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

OTHER_CHANNEL, OTHER_TOKEN = "1650000002", "token-channel-2"


def read_token(emulator: LineEmulator, user: str = ALICE, channel: str = CHANNEL_ID) -> str:
    event = emulator.last_event(channel, user)
    assert event is not None and event["type"] == "message"
    return str(event["message"]["markAsReadToken"])


@pytest.fixture
def client(emulator: LineEmulator) -> Any:
    line = LineClient(TOKEN, base_url=emulator.base_url)
    yield line
    line.close()


# ---------------------------------------------------------------------------------------------- mark as read
def test_message_events_carry_a_mark_as_read_token(emulator: LineEmulator) -> None:
    emulator.send_text(CHANNEL_ID, ALICE, "こんにちは")
    first = read_token(emulator)
    emulator.send_text(CHANNEL_ID, ALICE, "もしもし")
    assert first and read_token(emulator) != first


def test_the_client_marks_the_message_and_every_earlier_one_read(emulator: LineEmulator, client: LineClient) -> None:
    emulator.send_text(CHANNEL_ID, ALICE, "one")
    emulator.send_text(CHANNEL_ID, ALICE, "two")
    token_two = read_token(emulator)
    emulator.send_text(CHANNEL_ID, ALICE, "three")
    assert [u["text"] for u in emulator.unread(CHANNEL_ID, ALICE)] == ["one", "two", "three"]
    client.mark_as_read(token_two)
    assert [u["text"] for u in emulator.unread(CHANNEL_ID, ALICE)] == ["three"]
    marks = emulator.chat_marks(ALICE, CHANNEL_ID, kind="read")
    assert len(marks) == 1 and marks[0]["channelId"] == CHANNEL_ID
    assert emulator.stats()["calls"]["mark_as_read"] == {"200": 1}


@pytest.mark.parametrize("body, prop", [
    ({}, "markAsReadToken"),
    ({"markAsReadToken": ""}, "markAsReadToken"),
    ({"markAsReadToken": 12}, "markAsReadToken"),
])
def test_a_bad_mark_as_read_body_is_a_400_in_lines_shape(emulator: LineEmulator, body: Any, prop: str) -> None:
    status, answer, _ = call(emulator, "POST", "/v2/bot/chat/markAsRead", body)
    assert status == 400
    assert answer["message"] == "The request body has 1 error(s)"
    assert [d["property"] for d in answer["details"]] == [prop]


def test_a_token_the_emulator_never_issued_is_refused(emulator: LineEmulator, client: LineClient) -> None:
    with pytest.raises(LineApiError) as info:
        client.mark_as_read("made-up-token")
    assert info.value.status == 400 and not info.value.retryable
    assert emulator.chat_marks(ALICE) == []


def test_another_channels_token_is_refused(emulator: LineEmulator) -> None:
    emulator.register_channel(OTHER_CHANNEL, "secret-2", OTHER_TOKEN)
    emulator.add_follower(OTHER_CHANNEL, ALICE)
    emulator.send_text(OTHER_CHANNEL, ALICE, "other channel")
    token = read_token(emulator, channel=OTHER_CHANNEL)
    status, _, _ = call(emulator, "POST", "/v2/bot/chat/markAsRead", {"markAsReadToken": token})
    assert status == 400
    status, _, _ = call(emulator, "POST", "/v2/bot/chat/markAsRead", {"markAsReadToken": token}, token=OTHER_TOKEN)
    assert status == 200
    assert emulator.unread(OTHER_CHANNEL, ALICE) == []


def test_mark_as_read_takes_no_retry_key(emulator: LineEmulator) -> None:
    emulator.send_text(CHANNEL_ID, ALICE, "hi")
    status, _, _ = call(emulator, "POST", "/v2/bot/chat/markAsRead", {"markAsReadToken": read_token(emulator)},
                        headers={"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"})
    assert status == 400


# ---------------------------------------------------------------------------------------------- loading animation
def test_the_client_shows_the_loading_animation(emulator: LineEmulator, client: LineClient) -> None:
    client.show_loading(ALICE, 10)
    client.show_loading(BOB)
    assert [m["loadingSeconds"] for m in emulator.chat_marks(ALICE, kind="loading")] == [10]
    assert [m["loadingSeconds"] for m in emulator.chat_marks(BOB, kind="loading")] == [5]
    assert emulator.stats()["calls"]["loading_start"] == {"202": 2}


def test_loading_seconds_may_be_left_out(emulator: LineEmulator) -> None:
    status, answer, _ = call(emulator, "POST", "/v2/bot/chat/loading/start", {"chatId": ALICE})
    assert status == 202 and answer == {}
    assert [m["loadingSeconds"] for m in emulator.chat_marks(ALICE, kind="loading")] == [20]


@pytest.mark.parametrize("body, prop", [
    ({"loadingSeconds": 5}, "chatId"),
    ({"chatId": "", "loadingSeconds": 5}, "chatId"),
    ({"chatId": "C" + "1" * 32, "loadingSeconds": 5}, "chatId"),
    ({"chatId": "R" + "1" * 32, "loadingSeconds": 5}, "chatId"),
    ({"chatId": ALICE, "loadingSeconds": 0}, "loadingSeconds"),
    ({"chatId": ALICE, "loadingSeconds": 7}, "loadingSeconds"),
    ({"chatId": ALICE, "loadingSeconds": 65}, "loadingSeconds"),
    ({"chatId": ALICE, "loadingSeconds": "10"}, "loadingSeconds"),
    ({"chatId": ALICE, "loadingSeconds": True}, "loadingSeconds"),
    ({"chatId": ALICE, "loadingSeconds": 10.5}, "loadingSeconds"),
])
def test_a_bad_loading_body_is_a_400_in_lines_shape(emulator: LineEmulator, body: Any, prop: str) -> None:
    status, answer, _ = call(emulator, "POST", "/v2/bot/chat/loading/start", body)
    assert status == 400
    assert answer["message"] == "The request body has 1 error(s)"
    assert [d["property"] for d in answer["details"]] == [prop]
    assert emulator.chat_marks(ALICE) == []


def test_loading_for_someone_who_does_not_follow_is_refused(emulator: LineEmulator, client: LineClient) -> None:
    emulator.unfollow(CHANNEL_ID, BOB)
    with pytest.raises(LineApiError) as info:
        client.show_loading(BOB, 5)
    assert info.value.status == 400 and "chatId" in info.value.message
    assert emulator.chat_marks(BOB) == []


def test_the_client_refuses_a_length_line_would_refuse_before_calling(emulator: LineEmulator,
                                                                      client: LineClient) -> None:
    for seconds in (0, 3, 61, 65):
        with pytest.raises(ValueError):
            client.show_loading(ALICE, seconds)
    assert "loading_start" not in emulator.stats()["calls"]


def test_the_control_api_reports_marks_and_unread(emulator: LineEmulator, client: LineClient) -> None:
    emulator.send_text(CHANNEL_ID, ALICE, "hi")
    status, unread = emulator.handle_control("GET", f"/_emulator/users/{ALICE}/unread", {"channel": CHANNEL_ID}, {})
    assert status == 200 and [u["text"] for u in unread] == ["hi"]
    client.mark_as_read(read_token(emulator))
    status, marks = emulator.handle_control("GET", f"/_emulator/users/{ALICE}/chat_marks", {"kind": "read"}, {})
    assert status == 200 and len(marks) == 1
    assert emulator.handle_control("GET", f"/_emulator/users/{ALICE}/unread", {"channel": CHANNEL_ID}, {})[1] == []
