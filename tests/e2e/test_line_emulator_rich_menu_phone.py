"""The LINE emulator's phone page shows the friend's rich menu (default, then a per-user menu after a tab switch) and
its taps send what LINE sends: a postback event, the friend's message, a richmenuswitch (menu switched + postback
with params), a URL opened in a new window. The chat-bar text opens and closes the menu. Each opening counts an
impression and each tap a click of its area (LINE's rich menu insight).

Only the emulator (no local system): a bot set up with the real line-bot-sdk, a friend on a 390 px phone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    CreateRichMenuAliasRequest,
    MessageAction,
    MessagingApi,
    MessagingApiBlob,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    RichMenuSwitchAction,
    URIAction,
)

from haishin_local.line_emulator import LineEmulator
from haishin_local.line_emulator.richmenu import png_bytes

pytestmark = pytest.mark.e2e

CH = "2000000920"
TOKEN = "e2e-richmenu-phone-token"
FRIEND = "U" + "9" * 32
SHOP = "https://shop.example.jp/menu"


def _area(x: int, width: int, action: Any) -> RichMenuArea:
    return RichMenuArea(bounds=RichMenuBounds(x=x, y=0, width=width, height=843), action=action)


@pytest.fixture
def emulator() -> Iterator[LineEmulator]:
    emu = LineEmulator().start()
    emu.register_channel(CH, "e2e-richmenu-secret", TOKEN, display_name="ハイシン雑貨店")
    emu.add_user(FRIEND, "中村 湊")
    emu.follow(CH, FRIEND)
    with ApiClient(Configuration(host=emu.base_url, access_token=TOKEN)) as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        tab_a = api.create_rich_menu(
            RichMenuRequest(
                size=RichMenuSize(width=2500, height=843),
                selected=True,
                name="A",
                chat_bar_text="メニュー",
                areas=[
                    _area(0, 800, PostbackAction(data="tag=vip", display_text="VIP 登録")),
                    _area(800, 800, MessageAction(text="予約したい")),
                    _area(1600, 900, RichMenuSwitchAction(rich_menu_alias_id="tab-b", data="to-b")),
                ],
            )
        ).rich_menu_id
        tab_b = api.create_rich_menu(
            RichMenuRequest(
                size=RichMenuSize(width=2500, height=843),
                selected=False,
                name="B",
                chat_bar_text="ショップ",
                areas=[
                    _area(0, 1250, RichMenuSwitchAction(rich_menu_alias_id="tab-a", data="to-a")),
                    _area(1250, 1250, URIAction(uri=SHOP)),
                ],
            )
        ).rich_menu_id
        blob.set_rich_menu_image(tab_a, png_bytes(2500, 843, (6, 199, 85)), _headers={"Content-Type": "image/png"})
        blob.set_rich_menu_image(tab_b, png_bytes(2500, 843, (40, 58, 85)), _headers={"Content-Type": "image/png"})
        api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=tab_a))
        api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-b", rich_menu_id=tab_b))
        api.set_default_rich_menu(tab_a)
    emu.tabs = (tab_a, tab_b)  # type: ignore[attr-defined]
    try:
        yield emu
    finally:
        emu.stop()


def _last_event(emu: LineEmulator, kind: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        event = emu.last_event(CH, FRIEND)
        if event and event["type"] == kind:
            return event
        time.sleep(0.1)
    raise AssertionError(f"no {kind} event; last: {emu.last_event(CH, FRIEND)}")


@pytest.mark.viewport(390, 844)
def test_the_friend_sees_the_menu_and_taps_it(
    emulator: LineEmulator, page: Any, browser_errors: list[str], snap: Any
) -> None:
    tab_a, tab_b = emulator.tabs  # type: ignore[attr-defined]
    context = page.context
    context.route(
        "https://shop.example.jp/**",
        lambda route: route.fulfill(status=200, body="<p>shop</p>", content_type="text/html"),
    )
    page.goto(f"{emulator.base_url}/_emulator/phone?channel={CH}&user={FRIEND}")
    menu = page.locator(f"#richmenu[data-rich-menu-id='{tab_a}'][data-via=default]")
    menu.wait_for()
    bar = page.locator("#richmenu-bar")
    assert bar.inner_text().startswith("メニュー") and bar.get_attribute("aria-expanded") == "true"  # selected: open
    areas = page.get_by_role("button", name="rich menu area 1")
    areas.wait_for()
    box = areas.bounding_box()
    assert box is not None and 100 < box["width"] < 130  # 800 of 2500 px at the phone's width (about 360 px)
    snap("default-menu")

    bar.click()  # the chat-bar text closes and opens the menu
    page.locator("#richmenu-panel[hidden]").wait_for(state="attached")
    assert bar.get_attribute("aria-expanded") == "false"
    bar.click()
    page.get_by_role("button", name="rich menu area 1").wait_for()

    page.get_by_role("button", name="rich menu area 1").click()  # postback: the event, displayText in the chat
    assert _last_event(emulator, "postback")["postback"] == {"data": "tag=vip"}
    page.locator(".row.user .bubble", has_text="VIP 登録").wait_for()

    page.get_by_role("button", name="rich menu area 2").click()  # message: the friend says it
    assert _last_event(emulator, "message")["message"]["text"] == "予約したい"
    page.locator(".row.user .bubble", has_text="予約したい").wait_for()

    page.locator("[data-area='2'][data-action-type=richmenuswitch]").click()  # tab switch
    page.locator(f"#richmenu[data-rich-menu-id='{tab_b}'][data-via=user]").wait_for()
    assert _last_event(emulator, "postback")["postback"] == {
        "data": "to-b",
        "params": {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"},
    }
    assert emulator.rich_menu_of(CH, FRIEND) == tab_b  # persisted: the friend's per-user menu
    assert page.locator("#richmenu-bar").inner_text().startswith("ショップ")
    assert page.locator("#richmenu-bar").get_attribute("aria-expanded") == "true"  # still open after the switch
    snap("switched")

    with context.expect_page() as opened:
        page.get_by_role("button", name="rich menu area 2").click()  # uri: opens the URL
    shop = opened.value
    shop.wait_for_url(SHOP)
    shop.close()

    page.reload()  # the switch survives a reload (emulator state, not the page's)
    page.locator(f"#richmenu[data-rich-menu-id='{tab_b}']").wait_for()
    assert page.locator("#richmenu-bar").get_attribute("aria-expanded") == "false"  # B is not "selected": closed
    page.locator("#richmenu-bar").click()
    page.get_by_role("button", name="rich menu area 1").click()  # back to tab A
    page.locator(f"#richmenu[data-rich-menu-id='{tab_a}'][data-via=user]").wait_for()

    # LINE's rich menu insight: each opening of the panel on a menu is an impression, each tap a click of its area
    expected = [tab_a, tab_a, tab_b, tab_b, tab_a]  # open (selected), reopened, switched, reopened after reload, back
    deadline = time.monotonic() + 5
    while [e.menu_id for e in emulator.menu_insight.events if e.kind == "impression"] != expected:
        assert time.monotonic() < deadline, emulator.menu_insight.events
        time.sleep(0.05)
    clicks = [(e.menu_id, e.area) for e in emulator.menu_insight.events if e.kind == "click"]
    assert clicks == [(tab_a, 0), (tab_a, 1), (tab_a, 2), (tab_b, 1), (tab_b, 0)]
    assert browser_errors == []


def test_the_menu_leaves_the_phone_when_it_is_unlinked(
    emulator: LineEmulator, page: Any, browser_errors: list[str]
) -> None:
    """The open page follows the emulator (no reload): the friend's own link removed, the same menu shows as the
    default (data-via=default); once the friend has no menu, the section is hidden and no longer names the menu it
    showed (journeys wait for ``#richmenu[data-rich-menu-id=...][data-via=...]``)."""
    tab_a, tab_b = emulator.tabs  # type: ignore[attr-defined]
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page.goto(f"{emulator.base_url}/_emulator/phone?channel={CH}&user={FRIEND}")
    page.locator(f"#richmenu[data-rich-menu-id='{tab_a}'][data-via=default]").wait_for()
    page.locator("[data-area='2'][data-action-type=richmenuswitch]").click()
    page.locator(f"#richmenu[data-rich-menu-id='{tab_b}'][data-via=user]").wait_for()
    page.locator("[data-area='0'][data-action-type=richmenuswitch]").click()  # back to A: A is now their own link
    page.locator(f"#richmenu[data-rich-menu-id='{tab_a}'][data-via=user]").wait_for()
    with ApiClient(Configuration(host=emulator.base_url, access_token=TOKEN)) as client:
        api = MessagingApi(client)
        api.unlink_rich_menu_id_from_user(FRIEND)
        # the same menu, now as the default: the page says so (it used to keep "user" for the same menu ID)
        page.locator(f"#richmenu[data-rich-menu-id='{tab_a}'][data-via=default]").wait_for(timeout=5_000)
        api.cancel_default_rich_menu()
    page.locator("#richmenu[hidden]").wait_for(state="attached")
    assert page.locator("#richmenu").get_attribute("data-rich-menu-id") is None
    assert page.locator("#richmenu").get_attribute("data-via") is None
    assert browser_errors == []
