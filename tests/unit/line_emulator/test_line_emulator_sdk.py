"""The real line-bot-sdk v3 against the emulator: sends, retry keys, auth, profile, info, quota, rich menus."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, TOKEN, call, text
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    TextMessage,
)

from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@pytest.fixture
def api(emulator: LineEmulator) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=emulator.base_url, access_token=TOKEN)) as client:
        yield MessagingApi(client)


def test_push_with_the_sdk_is_recorded(emulator: LineEmulator, api: MessagingApi) -> None:
    response = api.push_message(PushMessageRequest(to=ALICE, messages=[TextMessage(text="こんにちは")]))
    assert len(response.sent_messages) == 1
    received = emulator.received(ALICE)
    assert [r["message"] for r in received] == [{"type": "text", "text": "こんにちは"}]
    assert received[0]["endpoint"] == "push"
    assert received[0]["channelId"] == CHANNEL_ID
    assert received[0]["messageId"] == response.sent_messages[0].id
    assert emulator.received(BOB) == []
    assert emulator.stats()["calls"]["push"] == {"200": 1}


def test_multicast_counts_quota_per_recipient_and_message(emulator: LineEmulator, api: MessagingApi) -> None:
    messages = [TextMessage(text=f"m{i}") for i in range(3)]
    api.multicast(MulticastRequest(to=[ALICE, BOB], messages=messages))
    assert [r["message"]["text"] for r in emulator.received(BOB)] == ["m0", "m1", "m2"]
    assert api.get_message_quota_consumption().total_usage == 6
    assert api.get_message_quota().type == "none"


def test_repeated_retry_key_answers_409_and_delivers_once(emulator: LineEmulator, api: MessagingApi) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=ALICE, messages=[TextMessage(text="once")])
    first = api.push_message_with_http_info(request, x_line_retry_key=key)
    with pytest.raises(ApiException) as info:
        api.push_message(request, x_line_retry_key=key)
    assert info.value.status == 409
    assert info.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert "The retry key is already accepted" in str(info.value.body)
    assert [r["message"]["text"] for r in emulator.received(ALICE)] == ["once"]
    assert emulator.received(ALICE)[0]["retryKey"] == key


def test_multicast_retry_key_is_per_channel_and_a_failed_request_does_not_consume_it(
    emulator: LineEmulator, api: MessagingApi
) -> None:
    key = str(uuid.uuid4())
    status, _, _ = call(
        emulator,
        "POST",
        "/v2/bot/message/multicast",
        {"to": [], "messages": [text("x")]},
        headers={"X-Line-Retry-Key": key},
    )
    assert status == 400
    api.multicast(MulticastRequest(to=[ALICE], messages=[TextMessage(text="ok")]), x_line_retry_key=key)
    with pytest.raises(ApiException) as info:
        api.multicast(MulticastRequest(to=[ALICE], messages=[TextMessage(text="ok")]), x_line_retry_key=key)
    assert info.value.status == 409
    emulator.register_channel("1650000002", "other-secret", "token-2")
    emulator.follow("1650000002", ALICE)
    status, _, _ = call(
        emulator,
        "POST",
        "/v2/bot/message/multicast",
        {"to": [ALICE], "messages": [text("ok")]},
        token="token-2",
        headers={"X-Line-Retry-Key": key},
    )
    assert status == 200
    assert len(emulator.received(ALICE)) == 2


def test_retry_key_must_be_a_uuid_and_only_on_send_endpoints(emulator: LineEmulator) -> None:
    body = {"to": ALICE, "messages": [text("x")]}
    status, out, _ = call(emulator, "POST", "/v2/bot/message/push", body, headers={"X-Line-Retry-Key": "nope"})
    assert status == 400
    assert "message" in out
    token = emulator.issue_reply_token(CHANNEL_ID, ALICE)
    status, _, _ = call(
        emulator,
        "POST",
        "/v2/bot/message/reply",
        {"replyToken": token, "messages": [text("x")]},
        headers={"X-Line-Retry-Key": str(uuid.uuid4())},
    )
    assert status == 400
    assert emulator.received(ALICE) == []


def test_bad_token_is_401_and_rotation_revokes_the_old_token(emulator: LineEmulator) -> None:
    with (
        ApiClient(Configuration(host=emulator.base_url, access_token="wrong")) as client,
        pytest.raises(ApiException) as info,
    ):
        MessagingApi(client).get_bot_info()
    assert info.value.status == 401
    assert "Authentication failed" in str(info.value.body)
    new = emulator.rotate_token(CHANNEL_ID)
    assert call(emulator, "GET", "/v2/bot/info")[0] == 401
    assert call(emulator, "GET", "/v2/bot/info", token=new)[0] == 200


def test_every_response_has_a_request_id(emulator: LineEmulator) -> None:
    for token in (TOKEN, "bad"):
        _, _, headers = call(emulator, "GET", "/v2/bot/info", token=token)
        assert uuid.UUID(headers["x-line-request-id"])


def test_profile_and_bot_info(emulator: LineEmulator, api: MessagingApi) -> None:
    profile = api.get_profile(ALICE)
    assert (profile.display_name, profile.user_id, profile.language) == ("アリス", ALICE, "ja")
    emulator.unfollow(CHANNEL_ID, ALICE)
    with pytest.raises(ApiException) as info:
        api.get_profile(ALICE)
    assert info.value.status == 404
    with pytest.raises(ApiException):
        api.get_profile("U" + "0" * 32)
    bot = api.get_bot_info()
    assert bot.display_name == "サロン テスト"
    assert bot.user_id == emulator.channel_info(CHANNEL_ID)["botUserId"]


def test_monthly_quota_is_enforced(emulator: LineEmulator, api: MessagingApi) -> None:
    emulator.register_channel(CHANNEL_ID, "s3cr3t-channel-secret", TOKEN, monthly_quota=2)
    assert api.get_message_quota().value == 2
    api.multicast(MulticastRequest(to=[ALICE, BOB], messages=[TextMessage(text="a")]))
    with pytest.raises(ApiException) as info:
        api.push_message(PushMessageRequest(to=ALICE, messages=[TextMessage(text="b")]))
    assert info.value.status == 429


def test_rich_menu_link_bulk_and_unlink(emulator: LineEmulator, api: MessagingApi) -> None:
    menu = emulator.create_rich_menu(CHANNEL_ID)
    api.link_rich_menu_id_to_user(ALICE, menu)
    assert api.get_rich_menu_id_of_user(ALICE).rich_menu_id == menu
    status, _, _ = call(
        emulator,
        "POST",
        "/v2/bot/richmenu/bulk/link",
        {"richMenuId": menu, "userIds": [f"U{i:032x}" for i in range(501)]},
    )
    assert status == 400
    status, _, _ = call(emulator, "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": menu, "userIds": [BOB]})
    assert status == 202
    assert emulator.rich_menu_of(CHANNEL_ID, BOB) == menu
    api.unlink_rich_menu_id_from_user(ALICE)
    with pytest.raises(ApiException) as info:
        api.get_rich_menu_id_of_user(ALICE)
    assert info.value.status == 404
    assert call(emulator, "POST", f"/v2/bot/user/{ALICE}/richmenu/richmenu-unknown")[0] == 400


def test_audience_upload_then_narrowcast_and_broadcast(emulator: LineEmulator) -> None:
    status, group, _ = call(
        emulator, "POST", "/v2/bot/audienceGroup/upload", {"description": "VIP", "audiences": [{"id": BOB}]}
    )
    assert status == 202
    status, got, _ = call(emulator, "GET", f"/v2/bot/audienceGroup/{group['audienceGroupId']}")
    assert (status, got["audienceGroup"]["audienceCount"]) == (200, 1)
    body = {"messages": [text("vip")], "recipient": {"type": "audience", "audienceGroupId": group["audienceGroupId"]}}
    status, _, headers = call(emulator, "POST", "/v2/bot/message/narrowcast", body)
    assert status == 202
    assert [r["message"]["text"] for r in emulator.received(BOB)] == ["vip"]
    assert emulator.received(ALICE) == []
    status, progress, _ = call(
        emulator, "GET", f"/v2/bot/message/progress/narrowcast?requestId={headers['x-line-request-id']}"
    )
    assert progress["successCount"] == 1
    emulator.unfollow(CHANNEL_ID, BOB)
    assert call(emulator, "POST", "/v2/bot/message/broadcast", {"messages": [text("all")]})[0] == 200
    assert [r["message"]["text"] for r in emulator.received(ALICE)] == ["all"]
    assert [r["message"]["text"] for r in emulator.received(BOB)] == ["vip"]
