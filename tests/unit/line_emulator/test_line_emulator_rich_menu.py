"""Rich menus end to end with the real line-bot-sdk: images (api-data host), aliases, no-image refusals, the
richmenuswitch action, LINE's display priority, the phone's taps and their webhook events, rate limits."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, TOKEN, call
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    CreateRichMenuAliasRequest,
    MessageAction,
    MessagingApi,
    MessagingApiBlob,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuBulkLinkRequest,
    RichMenuRequest,
    RichMenuSize,
    RichMenuSwitchAction,
    UpdateRichMenuAliasRequest,
    URIAction,
)

from haishin_local.line_emulator import LineEmulator
from haishin_local.line_emulator.richmenu import jpeg_header, png_bytes, sniff

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

CAROL = "U" + "c" * 32  # not a friend of the channel


@pytest.fixture
def client(emulator: LineEmulator) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=emulator.base_url, access_token=TOKEN)) as api_client:
        yield api_client


@pytest.fixture
def api(client: ApiClient) -> MessagingApi:
    return MessagingApi(client)


@pytest.fixture
def blob(client: ApiClient) -> MessagingApiBlob:
    return MessagingApiBlob(client)


def _menu(
    name: str = "menu",
    width: int = 2500,
    height: int = 843,
    areas: list[RichMenuArea] | None = None,
    selected: bool = False,
) -> RichMenuRequest:
    return RichMenuRequest(
        size=RichMenuSize(width=width, height=height),
        selected=selected,
        name=name,
        chat_bar_text="メニュー",
        areas=areas or [],
    )


def _area(x: int, width: int, action: Any, height: int = 843) -> RichMenuArea:
    return RichMenuArea(bounds=RichMenuBounds(x=x, y=0, width=width, height=height), action=action)


def _upload(blob: MessagingApiBlob, menu_id: str, data: bytes, content_type: str = "image/png") -> None:
    blob.set_rich_menu_image(menu_id, data, _headers={"Content-Type": content_type})


def _refusal(info: pytest.ExceptionInfo[ApiException]) -> tuple[int, dict[str, Any]]:
    return info.value.status, json.loads(info.value.body)


# ------------------------------------------------------------------------------------------------ images
def test_sniff_reads_png_and_jpeg_sizes_from_the_bytes() -> None:
    assert sniff(png_bytes(2500, 843)) == ("image/png", 2500, 843)
    assert sniff(jpeg_header(1200, 405)) == ("image/jpeg", 1200, 405)
    assert sniff(b"GIF89a" + b"\x00" * 20) is None
    assert sniff(b"\xff\xd8\xff\xda\x00\x02") is None  # scan data before any frame header


def test_image_upload_download_and_once_only(api: MessagingApi, blob: MessagingApiBlob) -> None:
    menu_id = api.create_rich_menu(_menu()).rich_menu_id
    with pytest.raises(ApiException) as info:
        blob.get_rich_menu_image(menu_id)
    assert _refusal(info) == (404, {"message": "Not found"})  # no image yet
    image = png_bytes(2500, 843)
    _upload(blob, menu_id, image)
    assert bytes(blob.get_rich_menu_image(menu_id)) == image
    downloaded = blob.get_rich_menu_image_with_http_info(menu_id)
    assert downloaded.headers["Content-Type"] == "image/png"
    with pytest.raises(ApiException) as info:
        _upload(blob, menu_id, png_bytes(2500, 843, rgb=(0, 0, 0)))
    assert _refusal(info) == (400, {"message": "An image has already been uploaded to the richmenu"})
    assert bytes(blob.get_rich_menu_image(menu_id)) == image  # the first image stays
    jpeg_menu = api.create_rich_menu(_menu(width=1200, height=405)).rich_menu_id
    _upload(blob, jpeg_menu, jpeg_header(1200, 405), "image/jpeg")
    assert bytes(blob.get_rich_menu_image(jpeg_menu))[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    ("menu_size", "data", "content_type", "prop"),
    [
        ((2500, 843), png_bytes(2500, 843, pad_to=1024 * 1024 + 1), "image/png", "image.bytes"),
        ((2500, 843), b"GIF89a" + b"\x00" * 100, "image/png", "image.type"),
        ((2500, 843), jpeg_header(2500, 843), "image/png", "image.type"),  # declared png, bytes are jpeg
        ((2500, 843), png_bytes(2600, 843), "image/png", "image.width"),
        ((2500, 843), png_bytes(799, 300), "image/png", "image.width"),
        ((2500, 843), png_bytes(2500, 249), "image/png", "image.height"),
        ((2500, 843), png_bytes(1000, 800), "image/png", "image.ratio"),  # 1.25 < 1.45
        ((2500, 843), png_bytes(2500, 1686), "image/png", "image.size"),  # valid image, not the menu's size
        ((1200, 405), jpeg_header(2500, 843), "image/jpeg", "image.size"),
    ],
)
def test_images_outside_lines_requirements_are_refused_with_the_reason(
    api: MessagingApi, blob: MessagingApiBlob, menu_size: tuple[int, int], data: bytes, content_type: str, prop: str
) -> None:
    menu_id = api.create_rich_menu(_menu(width=menu_size[0], height=menu_size[1])).rich_menu_id
    with pytest.raises(ApiException) as info:
        _upload(blob, menu_id, data, content_type)
    status, body = _refusal(info)
    assert (status, body["message"]) == (400, "The image size is not allowed for richmenu")
    assert [d["property"] for d in body["details"]] == [prop]
    with pytest.raises(ApiException):
        blob.get_rich_menu_image(menu_id)  # nothing stored
    _upload(blob, menu_id, png_bytes(*menu_size))  # a good image is still accepted afterwards


def test_upload_needs_a_known_menu_and_an_image_content_type(emulator: LineEmulator, blob: MessagingApiBlob) -> None:
    with pytest.raises(ApiException) as info:
        _upload(blob, "richmenu-" + "0" * 32, png_bytes(2500, 843))
    assert _refusal(info) == (404, {"message": "Not found"})
    menu_id = emulator.create_rich_menu(CHANNEL_ID, image=False)
    with pytest.raises(ApiException) as info:
        _upload(blob, menu_id, png_bytes(2500, 843), "image/gif")
    assert info.value.status == 415


# ------------------------------------------------------------------------------------------------ no image, no use
def test_a_menu_without_an_image_cannot_be_applied(
    emulator: LineEmulator, api: MessagingApi, blob: MessagingApiBlob
) -> None:
    menu_id = api.create_rich_menu(_menu()).rich_menu_id
    must_upload = {"message": "must upload richmenu image before applying it to user", "details": []}
    with pytest.raises(ApiException) as info:
        api.set_default_rich_menu(menu_id)
    assert _refusal(info) == (400, must_upload)
    with pytest.raises(ApiException) as info:
        api.link_rich_menu_id_to_user(ALICE, menu_id)
    assert _refusal(info) == (400, must_upload)
    with pytest.raises(ApiException) as info:
        api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=[ALICE, BOB]))
    assert _refusal(info) == (400, must_upload)
    with pytest.raises(ApiException) as info:
        api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=menu_id))
    assert _refusal(info) == (400, {"message": "richmenu not found", "details": []})
    assert emulator.rich_menu_of(CHANNEL_ID, ALICE) is None
    assert api.get_rich_menu_alias_list().aliases == []
    _upload(blob, menu_id, png_bytes(2500, 843))
    api.set_default_rich_menu(menu_id)
    api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=[ALICE]))
    assert emulator.rich_menu_of(CHANNEL_ID, BOB) == menu_id
    assert api.get_rich_menu_id_of_user(ALICE).rich_menu_id == menu_id


def test_unknown_menus_answer_not_found(api: MessagingApi) -> None:
    unknown = "richmenu-" + "0" * 32
    with pytest.raises(ApiException) as info:
        api.set_default_rich_menu(unknown)
    assert _refusal(info) == (404, {"message": "Not found"})
    with pytest.raises(ApiException) as info:
        api.link_rich_menu_id_to_user(ALICE, unknown)
    assert _refusal(info) == (404, {"message": "Not found"})


def test_default_menu_get_cancel_and_display_priority(emulator: LineEmulator, api: MessagingApi) -> None:
    with pytest.raises(ApiException) as info:
        api.get_default_rich_menu_id()
    assert _refusal(info) == (404, {"message": "no default richmenu", "details": []})
    default, personal = emulator.create_rich_menu(CHANNEL_ID), emulator.create_rich_menu(CHANNEL_ID)
    api.set_default_rich_menu(default)
    assert api.get_default_rich_menu_id().rich_menu_id == default
    api.link_rich_menu_id_to_user(ALICE, personal)
    assert (emulator.rich_menu_of(CHANNEL_ID, ALICE), emulator.rich_menu_of(CHANNEL_ID, BOB)) == (personal, default)
    api.cancel_default_rich_menu()
    assert (emulator.rich_menu_of(CHANNEL_ID, ALICE), emulator.rich_menu_of(CHANNEL_ID, BOB)) == (personal, None)
    with pytest.raises(ApiException):
        api.get_default_rich_menu_id()


def test_only_friends_get_a_linked_menu(emulator: LineEmulator, api: MessagingApi) -> None:
    menu_id = emulator.create_rich_menu(CHANNEL_ID)
    api.link_rich_menu_id_to_user(CAROL, menu_id)  # 200, as LINE, but nothing linked
    api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=[CAROL, BOB]))
    assert emulator.rich_menu_state(CHANNEL_ID)["users"] == {BOB: menu_id}
    with pytest.raises(ApiException) as info:
        api.get_rich_menu_id_of_user(CAROL)
    assert _refusal(info) == (404, {"message": "the user has no richmenu", "details": []})


# ------------------------------------------------------------------------------------------------ aliases
def test_alias_crud_with_the_sdk(emulator: LineEmulator, api: MessagingApi) -> None:
    a, b = emulator.create_rich_menu(CHANNEL_ID), emulator.create_rich_menu(CHANNEL_ID)
    api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=a))
    api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab_b-2", rich_menu_id=b))
    got = api.get_rich_menu_alias("tab-a")
    assert (got.rich_menu_alias_id, got.rich_menu_id) == ("tab-a", a)
    assert [(x.rich_menu_alias_id, x.rich_menu_id) for x in api.get_rich_menu_alias_list().aliases] == [
        ("tab-a", a),
        ("tab_b-2", b),
    ]
    with pytest.raises(ApiException) as info:
        api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=b))
    assert _refusal(info) == (400, {"message": "conflict richmenu alias id", "details": []})
    api.update_rich_menu_alias("tab-a", UpdateRichMenuAliasRequest(rich_menu_id=b))
    assert api.get_rich_menu_alias("tab-a").rich_menu_id == b
    with pytest.raises(ApiException) as info:
        api.update_rich_menu_alias("nope", UpdateRichMenuAliasRequest(rich_menu_id=b))
    assert _refusal(info) == (404, {"message": "richmenu alias not found", "details": []})
    api.delete_rich_menu_alias("tab-a")
    for do in (lambda: api.get_rich_menu_alias("tab-a"), lambda: api.delete_rich_menu_alias("tab-a")):
        with pytest.raises(ApiException) as info:
            do()
        assert _refusal(info) == (404, {"message": "richmenu alias not found", "details": []})


@pytest.mark.parametrize("alias_id", ["", "Tab-A", "tab a", "tab.a", "t" * 33, "タブ"])
def test_alias_ids_are_1_to_32_of_lowercase_digits_underscore_hyphen(emulator: LineEmulator, alias_id: str) -> None:
    menu_id = emulator.create_rich_menu(CHANNEL_ID)
    status, body, _ = call(
        emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": alias_id, "richMenuId": menu_id}
    )
    assert status == 400
    assert [d["property"] for d in body["details"]] == ["richMenuAliasId"]
    assert call(emulator, "GET", "/v2/bot/richmenu/alias/list")[1] == {"aliases": []}


def test_alias_targets_must_be_well_formed_and_exist(emulator: LineEmulator) -> None:
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "a", "richMenuId": "x"})
    assert (status, body["details"]) == (400, [{"message": "invalid richMenuId", "property": "richMenuId"}])
    unknown = "richmenu-" + "1" * 32
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "a", "richMenuId": unknown})
    assert (status, body) == (400, {"message": "richmenu not found", "details": []})


def test_at_most_1000_aliases(emulator: LineEmulator) -> None:
    menu_id = emulator.create_rich_menu(CHANNEL_ID)
    for i in range(1000):
        status, _, _ = call(
            emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": f"a{i}", "richMenuId": menu_id}
        )
        assert status == 200
    status, _, _ = call(
        emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "one-more", "richMenuId": menu_id}
    )
    assert status == 400
    assert call(emulator, "DELETE", "/v2/bot/richmenu/alias/a0")[0] == 200
    status, _, _ = call(
        emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "one-more", "richMenuId": menu_id}
    )
    assert status == 200


def test_deleting_a_menu_keeps_its_aliases_and_unlinks_it(emulator: LineEmulator, api: MessagingApi) -> None:
    menu_id = emulator.create_rich_menu(CHANNEL_ID)
    api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=menu_id))
    api.set_default_rich_menu(menu_id)
    api.link_rich_menu_id_to_user(ALICE, menu_id)
    api.delete_rich_menu(menu_id)
    assert api.get_rich_menu_alias("tab-a").rich_menu_id == menu_id  # LINE: delete aliases yourself
    assert emulator.rich_menu_of(CHANNEL_ID, ALICE) is None
    assert emulator.switch_rich_menu(CHANNEL_ID, ALICE, "tab-a") == {"status": "RICHMENU_NOTFOUND"}


# ------------------------------------------------------------------------------------------------ richmenuswitch
def test_richmenuswitch_needs_an_alias_id_and_data(emulator: LineEmulator, api: MessagingApi) -> None:
    base = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "m"}
    bounds = {"x": 0, "y": 0, "width": 100, "height": 100}
    cases = {
        "richMenuAliasId": {"type": "richmenuswitch", "data": "d"},
        "data": {"type": "richmenuswitch", "richMenuAliasId": "tab-b"},
    }
    for missing, action in cases.items():
        status, body, _ = call(
            emulator, "POST", "/v2/bot/richmenu", {**base, "areas": [{"bounds": bounds, "action": action}]}
        )
        assert (status, [d["property"] for d in body["details"]]) == (400, [f"areas[0].action.{missing}"])
    too_long = {"type": "richmenuswitch", "richMenuAliasId": "t" * 33, "data": "d" * 301}
    status, body, _ = call(
        emulator, "POST", "/v2/bot/richmenu/validate", {**base, "areas": [{"bounds": bounds, "action": too_long}]}
    )
    assert sorted(d["property"] for d in body["details"]) == ["areas[0].action.data", "areas[0].action.richMenuAliasId"]
    # the alias need not exist yet when the menu is created (LINE's tab guide creates the aliases afterwards)
    switch = RichMenuSwitchAction(rich_menu_alias_id="tab-b", data="to-b")
    assert api.create_rich_menu(_menu(areas=[_area(0, 1250, switch)])).rich_menu_id


def test_rich_menu_object_limits(emulator: LineEmulator) -> None:
    bounds = {"x": 0, "y": 0, "width": 100, "height": 100}
    action = {"type": "postback", "data": "x"}
    good = {
        "size": {"width": 2500, "height": 843},
        "selected": True,
        "name": "n" * 300,
        "chatBarText": "c" * 14,
        "areas": [{"bounds": bounds, "action": action}] * 20,
    }
    assert call(emulator, "POST", "/v2/bot/richmenu/validate", good)[0] == 200
    bad = {**good, "name": "n" * 301, "chatBarText": "c" * 15, "areas": [{"bounds": bounds, "action": action}] * 21}
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/validate", bad)
    assert (status, sorted(d["property"] for d in body["details"])) == (400, ["areas", "chatBarText", "name"])
    outside = {**good, "areas": [{"bounds": {"x": 2400, "y": 800, "width": 101, "height": 43}, "action": action}]}
    status, body, _ = call(emulator, "POST", "/v2/bot/richmenu/validate", outside)
    assert [d["property"] for d in body["details"]] == ["areas[0].bounds"]


# ------------------------------------------------------------------------------------------------ the phone's taps
class _Bot:
    """A webhook receiver that records every event."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                bot.events.extend(body["events"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"


@pytest.fixture
def bot(emulator: LineEmulator) -> Iterator[_Bot]:
    receiver = _Bot()
    emulator.set_webhook_url(CHANNEL_ID, receiver.url)
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def _two_tabs(api: MessagingApi, blob: MessagingApiBlob) -> tuple[str, str]:
    a = api.create_rich_menu(
        _menu(
            "A",
            selected=True,
            areas=[
                _area(0, 800, PostbackAction(data="tag=vip", display_text="VIP")),
                _area(800, 800, MessageAction(text="予約")),
                _area(1600, 900, RichMenuSwitchAction(rich_menu_alias_id="tab-b", data="to-b")),
            ],
        )
    ).rich_menu_id
    b = api.create_rich_menu(
        _menu(
            "B",
            areas=[
                _area(0, 1250, RichMenuSwitchAction(rich_menu_alias_id="tab-a", data="to-a")),
                _area(1250, 1250, URIAction(uri="https://example.com/shop")),
            ],
        )
    ).rich_menu_id
    for menu_id in (a, b):
        _upload(blob, menu_id, png_bytes(2500, 843))
    api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=a))
    api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-b", rich_menu_id=b))
    api.set_default_rich_menu(a)
    return a, b


def _tap(emulator: LineEmulator, menu_id: str, area: int, user: str = ALICE) -> tuple[int, dict[str, Any]]:
    body = {"channel_id": CHANNEL_ID, "user_id": user, "menu_id": menu_id, "area": area}
    status, out, _ = call(emulator, "POST", "/_emulator/phone/richmenu_tap", body, token=None)
    return status, out


def test_phone_taps_send_what_line_sends(
    emulator: LineEmulator, api: MessagingApi, blob: MessagingApiBlob, bot: _Bot
) -> None:
    a, b = _two_tabs(api, blob)
    shown = emulator.phone_state(CHANNEL_ID, ALICE)["richMenu"]
    assert (shown["richMenuId"], shown["via"], shown["selected"], shown["chatBarText"]) == (
        a,
        "default",
        True,
        "メニュー",
    )
    assert [x["action"]["type"] for x in shown["areas"]] == ["postback", "message", "richmenuswitch"]
    with urllib.request.urlopen(emulator.base_url + shown["image"], timeout=10) as response:
        assert (response.headers["Content-Type"], response.read()) == ("image/png", png_bytes(2500, 843))

    assert _tap(emulator, a, 0) == (200, {"type": "postback", "status": 200})
    event = bot.events[-1]
    assert (event["type"], event["postback"], bool(event["replyToken"])) == ("postback", {"data": "tag=vip"}, True)
    assert _tap(emulator, a, 1)[1]["status"] == 200
    assert (bot.events[-1]["type"], bot.events[-1]["message"]["text"]) == ("message", "予約")
    texts = [i.get("text") for i in emulator.phone_state(CHANNEL_ID, ALICE)["items"] if i["from"] == "user"]
    assert texts[-2:] == ["VIP", "予約"]  # displayText and the message show in the chat

    status, out = _tap(emulator, a, 2)
    assert status == 200
    assert out["params"] == {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"}
    assert bot.events[-1]["postback"] == {
        "data": "to-b",
        "params": {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"},
    }
    assert api.get_rich_menu_id_of_user(ALICE).rich_menu_id == b  # the switch is a per-user link
    assert emulator.phone_state(CHANNEL_ID, ALICE)["richMenu"]["via"] == "user"
    assert emulator.rich_menu_of(CHANNEL_ID, BOB) == a  # only the friend who tapped
    assert _tap(emulator, b, 1)[1] == {"type": "uri", "open": "https://example.com/shop"}
    assert _tap(emulator, a, 0)[0] == 400  # a menu the friend no longer sees

    api.delete_rich_menu_alias("tab-a")
    status, out = _tap(emulator, b, 0)
    assert status == 200
    assert out["params"] == {"status": "RICHMENU_ALIAS_ID_NOTFOUND"}
    assert bot.events[-1]["postback"]["params"] == {"status": "RICHMENU_ALIAS_ID_NOTFOUND"}
    assert emulator.rich_menu_of(CHANNEL_ID, ALICE) == b


def test_the_phone_shows_no_menu_to_a_friend_who_blocked(emulator: LineEmulator) -> None:
    menu_id = emulator.create_rich_menu(CHANNEL_ID)
    assert call(emulator, "POST", f"/v2/bot/user/all/richmenu/{menu_id}")[0] == 200
    assert emulator.phone_state(CHANNEL_ID, BOB)["richMenu"]["richMenuId"] == menu_id
    emulator.unfollow(CHANNEL_ID, BOB)
    assert emulator.phone_state(CHANNEL_ID, BOB)["richMenu"] is None


# ------------------------------------------------------------------------------------------------ rate limits
def test_alias_delete_is_limited_to_100_per_hour(emulator: LineEmulator) -> None:
    menu_id = emulator.create_rich_menu(CHANNEL_ID)
    statuses = []
    for i in range(101):
        call(emulator, "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": f"a{i}", "richMenuId": menu_id})
        statuses.append(call(emulator, "DELETE", f"/v2/bot/richmenu/alias/a{i}")[0])
    assert statuses == [200] * 100 + [429]
    assert call(emulator, "GET", "/v2/bot/richmenu/alias/list")[0] == 200  # other endpoints: their own buckets


def test_rich_menu_create_is_limited_to_100_per_hour(emulator: LineEmulator) -> None:
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "m", "areas": []}
    statuses = [call(emulator, "POST", "/v2/bot/richmenu", menu)[0] for _ in range(101)]
    assert statuses == [200] * 100 + [429]
