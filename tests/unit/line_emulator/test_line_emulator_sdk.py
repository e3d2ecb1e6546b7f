"""The real line-bot-sdk v3 against the emulator: sends, retry keys, auth, profile, info, quota, rich menus."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, TOKEN, call, text
from linebot.v3.audience import ManageAudience
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    CouponMessage,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    TextMessage,
)
from linebot.v3.messaging import PostbackAction as SdkPostbackAction

from haishin import clock
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


def _details(exc: ApiException) -> list[tuple[str, str]]:
    return [(d.get("property", ""), d["message"]) for d in json.loads(exc.body).get("details", [])]


def _menu(width: int = 2500, height: int = 843, areas: list[RichMenuArea] | None = None) -> RichMenuRequest:
    return RichMenuRequest(
        size=RichMenuSize(width=width, height=height),
        selected=False,
        name="予約メニュー",
        chat_bar_text="メニュー",
        areas=areas if areas is not None else [],
    )


def test_rich_menu_size_is_checked_and_a_refused_menu_is_not_stored(api: MessagingApi) -> None:
    with pytest.raises(ApiException) as info:
        api.create_rich_menu(_menu(width=1, height=1))
    assert info.value.status == 400
    assert _details(info.value) == [
        ("size.width", "must be between 800 and 2500"),
        ("size.height", "must be greater than or equal to 250"),
    ]
    with pytest.raises(ApiException) as info:
        api.create_rich_menu(_menu(width=800, height=600))  # 1.33: narrower than 1.45
    assert _details(info.value) == [("size", "aspect ratio (width / height) must be at least 1.45")]
    with pytest.raises(ApiException):
        api.validate_rich_menu_object(_menu(width=2600, height=843))
    assert api.get_rich_menu_list().richmenus == []
    area = RichMenuArea(
        bounds=RichMenuBounds(x=1250, y=0, width=1250, height=843), action=SdkPostbackAction(data="menu=book")
    )
    api.validate_rich_menu_object(_menu(areas=[area]))
    created = api.create_rich_menu(_menu(areas=[area])).rich_menu_id
    got = api.get_rich_menu(created)
    assert (got.size.width, got.size.height, got.areas[0].bounds.x) == (2500, 843, 1250)
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [created]


def test_rich_menu_areas_need_bounds_inside_the_image_and_a_rich_menu_action(emulator: LineEmulator) -> None:
    good_action = {"type": "message", "text": "予約"}
    menu: dict[str, Any] = {
        "size": {"width": 2500, "height": 843},
        "selected": "yes",
        "name": "n" * 301,
        "chatBarText": "あ" * 15,
        "areas": [
            {"action": good_action},  # no bounds
            {"bounds": {"x": 0, "y": 0, "width": 100, "height": 100}, "action": {"type": "bogus"}},
            {"bounds": {"x": 0, "y": 0, "width": 100, "height": 100}, "action": {"type": "camera", "label": "c"}},
            {"bounds": {"x": 2000, "y": 0, "width": 1000, "height": 843}, "action": good_action},  # past the edge
            {"bounds": {"x": -1, "y": 0, "width": 0, "height": 843}, "action": good_action},
            {"bounds": {"x": 0, "y": 0, "width": 10, "height": 10}, "action": {"type": "uri", "uri": "ftp://x"}},
        ],
    }
    for path in ("/v2/bot/richmenu", "/v2/bot/richmenu/validate"):
        status, body, _ = call(emulator, "POST", path, menu)
        assert status == 400
        assert [d["property"] for d in body["details"]] == [
            "selected",
            "name",
            "chatBarText",
            "areas[0].bounds",
            "areas[1].action.type",
            "areas[2].action.type",
            "areas[3].bounds",
            "areas[4].bounds.x",
            "areas[4].bounds.width",
            "areas[5].action.uri",
        ]
    area = {"bounds": {"x": 0, "y": 0, "width": 100, "height": 100}, "action": good_action}
    too_many = {**menu, "selected": False, "name": "m", "chatBarText": "m", "areas": [area] * 21}
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu", too_many)
    assert (status, body["details"]) == (400, [{"message": "Size must be between 0 and 20", "property": "areas"}])
    assert call(emulator, "GET", "/v2/bot/richmenu/list")[1] == {"richmenus": []}
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/validate", {**too_many, "areas": [area] * 20})
    assert (status, body) == (200, {})
    with pytest.raises(ValueError):
        emulator.create_rich_menu(CHANNEL_ID, {**too_many, "areas": [{"action": good_action}]})


def test_followers_are_paged_with_an_opaque_next_token(emulator: LineEmulator, api: MessagingApi) -> None:
    extra = [f"U{i:032x}" for i in range(5)]
    for user_id in extra:
        emulator.add_follower(CHANNEL_ID, user_id)
    everyone = sorted([ALICE, BOB, *extra])
    pages: list[list[str]] = []
    start = None
    while True:
        page = api.get_followers(start=start, limit=3)
        pages.append(page.user_ids)
        if page.next is None:
            break
        assert page.next not in everyone  # a token, not a user ID
        start = page.next
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [u for p in pages for u in p] == everyone
    assert api.get_followers().user_ids == everyone  # default limit 300: one page, no next
    assert api.get_followers().next is None
    with pytest.raises(ApiException) as info:
        api.get_followers(start="not-a-token")
    assert (info.value.status, json.loads(info.value.body)) == (400, {"message": "Invalid start param"})
    for limit in ("0", "1001", "-3", "many"):
        status, body, _ = call(emulator, "GET", f"/v2/bot/followers/ids?limit={limit}")
        assert (status, body["details"][0]["property"]) == (400, "limit")
    with pytest.raises(ApiException) as info:
        api.get_followers(limit=0)  # the SDK lets 0 through; LINE does not
    assert info.value.status == 400


def test_followers_default_page_is_300_and_tokens_expire_after_24_hours(
    emulator: LineEmulator, api: MessagingApi
) -> None:
    for i in range(299):  # 301 followers with Alice and Bob
        emulator.add_follower(CHANNEL_ID, f"U{i:032x}")
    manual = clock.ManualClock(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    previous = clock.install(manual)
    try:
        first = api.get_followers()
        assert len(first.user_ids) == 300
        assert first.next
        assert len(api.get_followers(limit=1000).user_ids) == 301
        manual.advance(timedelta(hours=23))
        assert len(api.get_followers(start=first.next).user_ids) == 1
        manual.advance(timedelta(hours=2))
        with pytest.raises(ApiException) as info:
            api.get_followers(start=first.next)
        assert info.value.status == 400
    finally:
        clock.install(previous)
    emulator.register_channel("1650000002", "other-secret", "token-2")
    token = api.get_followers(limit=1).next
    status, body, _ = call(emulator, "GET", f"/v2/bot/followers/ids?start={token}", token="token-2")
    assert (status, body) == (400, {"message": "Invalid start param"})  # a token is the channel's own


def test_bulk_rich_menu_user_ids_must_be_strings(emulator: LineEmulator) -> None:
    menu = emulator.create_rich_menu(CHANNEL_ID)
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": menu, "userIds": [ALICE, 7]})
    assert (status, body) == (
        400,
        {"message": "The property, 'userIds[1]', in the request body is invalid (line: -, column: -)"},
    )
    assert emulator.rich_menu_of(CHANNEL_ID, ALICE) is None  # nothing linked when the request is refused
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": "nope", "userIds": [ALICE]})
    assert (status, body["details"]) == (400, [{"message": "invalid richMenuId", "property": "richMenuId"}])
    unknown = "richmenu-" + "0" * 32
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": unknown, "userIds": [ALICE]})
    assert (status, body) == (404, {"message": "richmenu not found", "details": []})
    status, _, _ = call(emulator, "POST", "/v2/bot/richmenu/bulk/unlink", {"userIds": [None]})
    assert status == 400
    status, _, _ = call(emulator, "POST", "/v2/bot/richmenu/bulk/unlink", {"userIds": [{"id": ALICE}]})
    assert status == 400


def test_coupon_messages_are_accepted(emulator: LineEmulator, api: MessagingApi) -> None:
    api.push_message(PushMessageRequest(to=ALICE, messages=[CouponMessage(coupon_id="01JYNW8JMQVFBNBKJ6ZXV5D4B1")]))
    assert [r["message"] for r in emulator.received(ALICE)] == [
        {"type": "coupon", "couponId": "01JYNW8JMQVFBNBKJ6ZXV5D4B1"}
    ]
    status, body, _ = call(emulator, "POST", "/v2/bot/message/push", {"to": ALICE, "messages": [{"type": "coupon"}]})
    assert (status, body["details"]) == (400, [{"message": "must be specified", "property": "messages[0].couponId"}])


def test_one_custom_aggregation_unit_of_safe_characters(emulator: LineEmulator, api: MessagingApi) -> None:
    api.push_message(
        PushMessageRequest(to=ALICE, messages=[TextMessage(text="a")], custom_aggregation_units=["spring_sale_2025"])
    )
    with pytest.raises(ApiException) as info:  # the SDK's push model lets two units through
        api.push_message(
            PushMessageRequest(to=ALICE, messages=[TextMessage(text="b")], custom_aggregation_units=["a", "b"])
        )
    assert _details(info.value) == [("customAggregationUnits", "Size must be between 0 and 1")]
    for units in (["spring-sale"], ["x" * 31], [""], [3]):
        for path, to in (("/v2/bot/message/push", ALICE), ("/v2/bot/message/multicast", [ALICE])):
            body = {"to": to, "messages": [text("c")], "customAggregationUnits": units}
            status, out, _ = call(emulator, "POST", path, body)
            assert (status, out["details"][0]["property"]) == (400, "customAggregationUnits[0]"), (path, units)
    assert [r["message"]["text"] for r in emulator.received(ALICE)] == ["a"]


def test_unknown_audience_group_is_400_audience_group_not_found(emulator: LineEmulator) -> None:
    expected = {"message": "audience group not found", "details": [{"message": "AUDIENCE_GROUP_NOT_FOUND"}]}
    with (
        ApiClient(Configuration(host=emulator.base_url, access_token=TOKEN)) as client,
        pytest.raises(ApiException) as info,
    ):
        ManageAudience(client).get_audience_data(9_999_999)
    assert (info.value.status, json.loads(info.value.body)) == (400, expected)
    status, body, _ = call(emulator, "PUT", "/v2/bot/audienceGroup/upload", {"audienceGroupId": 5, "audiences": []})
    assert (status, body) == (400, expected)
