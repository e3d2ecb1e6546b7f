"""Journey (リッチメニュー, issue 20): a marketer builds a two-tab rich menu in the admin (tab A: area 1 switches to tab
B, area 2 is a postback that adds the tag 「予約希望」; tab B, made with "タブを追加": area 1 switches back to A, area 2
a tracked URL), each tab with its own PNG (2500x843, made here), publishes, and on the rules screen gives menu A to
friends tagged 「VIP」 (everyone else: tab B, the default), watching the re-link job finish (it links the friend
already tagged VIP). A 15-character chat-bar text and an image of the wrong size are refused in the browser with the
Japanese reason, and nothing is stored. Then the marketer tags a friend 「VIP」 on the friend page and the friend's
phone (the LINE emulator's phone page, live, no reload) shows menu A within seconds; the friend taps the tab area and
sees tab B, opens its tracked URL, taps back to A, taps the area that adds 「予約希望」 and the tag shows on the friend
page; both tabs' analytics count the taps per area. Finally VIP comes off while the friend is on tab B: their own
link goes and the default shows (nothing stuck).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000002020"
SECRET = "0123456789abcdef0123456789ab2020"
TOKEN = "e2e-rich-menu-token-" + "r" * 40
WS = "ws_e2e_richmenu"
OWNER = "owner@richmenu.example.jp"
USER = "U" + "2" * 31 + "0"
NAME = "森 結衣"
SHOP = "https://shop.example.jp/access"
REGULAR = "U" + "2" * 31 + "1"  # already tagged VIP when the rule is saved: the bulk re-link gives them menu A
REGULAR_NAME = "林 大和"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (rows compress to almost nothing)."""
    raw = zlib.compress((b"\x00" + bytes(rgb) * width) * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(
        s,
        WS,
        CH,
        SECRET,
        TOKEN,
        owner=OWNER,
        display_name="ハイシン整体院",
        friends={USER: NAME, REGULAR: REGULAR_NAME},
    )
    yield s


def api(system: Any, method: str, path: str, body: Any = None) -> Any:
    return api_request(system, system.login(email=OWNER, workspace_id=WS, role="owner"), method, path, body)


def menus(system: Any) -> list[dict[str, Any]]:
    return list(api(system, "GET", f"/api/rich-menus?channel_id={CH}")["items"])


def friend_id(system: Any, name: str = NAME) -> str:
    [friend] = [f for f in api(system, "GET", "/api/subscribers")["items"] if f.get("display_name") == name]
    return str(friend["subscriber_id"])


def area(page: Any, n: int) -> Any:
    return page.get_by_role("button", name=f"エリア {n}", exact=True)


def test_two_tab_menu_tag_rule_switch_on_the_phone_taps_and_analytics(
    system: Any, page: Any, browser_errors: list[str], snap: Any, tmp_path: Any
) -> None:
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))  # the phone page's
    page.context.route(SHOP, lambda route: route.fulfill(status=200, body="<p>アクセス</p>", content_type="text/html"))
    for tag in ("VIP", "予約希望"):
        api(system, "POST", "/api/tags", {"name": tag})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # リッチメニュー: none yet; a new menu, compact (2500x843)
    page.goto(admin + "#/rich-menus")
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("rm-new").click()
    page.get_by_test_id("rm-editor").wait_for()
    page.get_by_test_id("rm-size").select_option("compact")
    page.get_by_label("メニュー名(管理用)").fill("メインメニュー")

    # refusals in the browser, with the reason, and nothing stored: an image of the wrong size, a 15-character bar
    wrong = tmp_path / "wrong.png"
    wrong.write_bytes(png(2500, 1686, (200, 60, 60)))
    page.get_by_test_id("rm-image").set_input_files(str(wrong))
    problems = page.get_by_test_id("rm-image-problems")
    problems.wait_for()
    assert "画像の大きさ 2500×1686 px がメニューのサイズ 2500×843 px と違います" in problems.inner_text()
    tab_a_png = tmp_path / "tab-a.png"
    tab_a_png.write_bytes(png(2500, 843, (6, 199, 85)))
    page.get_by_test_id("rm-image").set_input_files(str(tab_a_png))
    page.get_by_test_id("rm-image-ok").wait_for()
    page.get_by_test_id("rm-layout-compact2").click()
    area(page, 1).click()
    page.get_by_label("タップしたときの動作").select_option("message")
    page.get_by_label("送信するテキスト").fill("メニューを見る")
    area(page, 2).click()
    page.get_by_label("タップしたときの動作").select_option("postback")
    page.get_by_test_id("action-add").click()
    page.locator("input[name='areas[1].action.actions[0].tag']").fill("予約希望")
    page.locator("input[name='areas[1].action.display_text']").fill("予約したい")
    page.get_by_label("エリア名(分析用)").fill("予約")
    page.get_by_test_id("rm-chatbar").fill("メニューはこちらからどうぞ!!")  # 15 characters
    page.get_by_test_id("rm-save").click()
    bar_error = page.locator("[data-field-error=chat_bar_text]")
    bar_error.wait_for()
    assert "14 文字以内" in bar_error.inner_text() and "15 文字" in bar_error.inner_text()
    snap("refused")
    assert menus(system) == []  # nothing stored
    page.get_by_test_id("rm-chatbar").fill("メニュー")

    # save tab A as a draft; then area 1 becomes a tab, and "タブを追加" makes tab B (which switches back to A)
    page.get_by_test_id("rm-save").click()
    page.wait_for_function("/#\\/rich-menus\\/rmn_/.test(location.hash)")
    page.get_by_test_id("rm-status").wait_for()
    [menu_a] = menus(system)
    assert menu_a["image"]["width"] == 2500 and menu_a["image"]["height"] == 843
    area(page, 1).click()
    page.get_by_label("タップしたときの動作").select_option("tab")
    page.get_by_test_id("rm-add-tab-here").click()
    page.get_by_test_id("rm-notice").wait_for()
    page.get_by_test_id("rm-save").click()
    page.get_by_test_id("rm-notice").filter(has_text="保存しました").wait_for()
    by_name = {m["name"]: m for m in menus(system)}
    assert set(by_name) == {"メインメニュー", "メインメニュー タブ 2"}, by_name
    menu_a, menu_b = by_name["メインメニュー"], by_name["メインメニュー タブ 2"]
    a_id, b_id = menu_a["id"], menu_b["id"]
    assert menu_a["areas"][0]["action"] == {"type": "tab", "menu_id": b_id}
    assert menu_b["areas"][0]["action"] == {"type": "tab", "menu_id": a_id}
    assert [a["action"]["type"] for a in menu_a["areas"]] == ["tab", "postback"]

    # tab B: its own image, its areas from a layout (area 1 keeps the switch back to A), publish (both tabs go live)
    page.get_by_test_id("rm-tabs").get_by_role("link", name="メインメニュー タブ 2").click()
    page.wait_for_function(f"location.hash.includes('{b_id}')")
    page.get_by_label("メニュー名(管理用)").wait_for()
    tab_b_png = tmp_path / "tab-b.png"
    tab_b_png.write_bytes(png(2500, 843, (40, 58, 85)))
    page.get_by_test_id("rm-image").set_input_files(str(tab_b_png))
    page.get_by_test_id("rm-image-ok").wait_for()
    page.get_by_test_id("rm-layout-compact2").click()
    area(page, 2).click()
    page.get_by_label("タップしたときの動作").select_option("uri")
    page.get_by_label("開く URL").fill(SHOP)
    snap("tab-b")
    page.get_by_test_id("rm-publish").click()
    page.get_by_text("公開中").first.wait_for()
    by_id = {m["id"]: m for m in menus(system)}
    assert by_id[a_id]["status"] == by_id[b_id]["status"] == "published"
    line_a, line_b = by_id[a_id]["line_rich_menu_id"], by_id[b_id]["line_rich_menu_id"]
    assert line_a and line_b and line_a != line_b

    # the rules: friends tagged VIP see menu A, everyone else tab B (the default); the re-link job runs to the end
    # and links the friend who was already a VIP (one LINE call)
    api(system, "PATCH", f"/api/subscribers/{friend_id(system, REGULAR_NAME)}", {"add_tags": ["VIP"]})
    assert system.line_emulator.rich_menu_of(CH, REGULAR) is None
    page.goto(admin + "#/rich-menus/rules")
    page.get_by_test_id("rm-default").select_option(b_id)
    page.get_by_test_id("rm-rule-add").click()
    page.locator("select[name='rules[0].condition.tag_id']").select_option(label="VIP")
    page.locator("select[name='rules[0].menu_id']").select_option(a_id)
    page.get_by_test_id("rm-rules-save").click()
    page.locator("[data-testid=rm-job][data-status=done]").wait_for(timeout=30_000)
    assert page.get_by_test_id("rm-job-text").inner_text().startswith("2 / 2 人 (100%)")
    assert page.get_by_test_id("rm-job-calls").inner_text() == "LINE API 呼び出し 1 回 / メニュー設定 1 人 / 解除 0 人"
    assert system.line_emulator.rich_menu_of(CH, REGULAR) == line_a
    snap("rules")

    # the friend's phone: the default (tab B)
    phone = page.context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={USER}")
    phone.locator(f"#richmenu[data-rich-menu-id='{line_b}'][data-via=default]").wait_for()

    # the marketer tags the friend VIP on the friend page
    friend = friend_id(system)
    page.goto(admin + f"#/friends/{friend}")
    page.get_by_role("heading", name=NAME).wait_for()
    page.get_by_test_id("friend-tag-input").fill("VIP")
    page.get_by_test_id("friend-tag-submit").click()
    page.get_by_test_id("friend-tag").filter(has_text="VIP").wait_for()
    tagged = time.monotonic()

    # ...and the phone (polling the emulator every second, no reload) shows menu A within seconds
    phone.locator(f"#richmenu[data-rich-menu-id='{line_a}'][data-via=user]").wait_for(timeout=10_000)
    print(f"menu A on the phone {time.monotonic() - tagged:.1f} s after the tag")
    phone.screenshot(path=str(snap("phone-menu-a")))
    page.reload()  # the friend page says which menu the friend has, and why
    page.get_by_test_id("friend-rich-menu-link").filter(has_text="メインメニュー").wait_for()

    # the friend taps the tab area: tab B; taps back: tab A
    if phone.locator("#richmenu-bar").get_attribute("aria-expanded") != "true":
        phone.locator("#richmenu-bar").click()
    phone.locator("[data-area='0'][data-action-type=richmenuswitch]").click()
    phone.locator(f"#richmenu[data-rich-menu-id='{line_b}']").wait_for()
    phone.screenshot(path=str(snap("phone-tab-b")))
    with page.context.expect_page() as opened:  # tab B's tracked URL: LINE opens it, Haishin counts and redirects
        phone.get_by_role("button", name="rich menu area 2").click()
    shop = opened.value
    shop.wait_for_url(SHOP)
    shop.close()
    if phone.locator("#richmenu-bar").get_attribute("aria-expanded") != "true":
        phone.locator("#richmenu-bar").click()
    phone.locator("[data-area='0'][data-action-type=richmenuswitch]").click()
    phone.locator(f"#richmenu[data-rich-menu-id='{line_a}']").wait_for()

    # the area that adds 予約希望: the postback, its display text in the chat, the tag on the friend page
    phone.get_by_role("button", name="rich menu area 2").click()
    phone.locator(".row.user .bubble", has_text="予約したい").wait_for()
    system.drain()
    page.reload()
    page.get_by_test_id("friend-tag").filter(has_text="予約希望").wait_for()
    snap("friend-tagged")

    # analytics: the taps on tab A per area (one tab switch, one postback)
    page.goto(admin + f"#/rich-menus/{a_id}/stats")
    page.get_by_test_id("rm-stats-total").wait_for()
    assert page.get_by_test_id("rm-stats-total").inner_text() == "2"
    rows = page.get_by_test_id("rm-stats-row")
    assert rows.count() == 2
    assert rows.nth(1).locator("td").nth(2).inner_text() == "1"  # 予約: one tap
    assert rows.nth(0).locator("td").nth(2).inner_text() == "1"  # the tab switch to B
    snap("stats")
    page.goto(admin + f"#/rich-menus/{b_id}/stats")  # tab B: the tab back to A, and the tracked URL (no friend)
    page.get_by_test_id("rm-stats-total").wait_for()
    assert page.get_by_test_id("rm-stats-total").inner_text() == "2"
    cells = [r.locator("td").all_inner_texts() for r in page.get_by_test_id("rm-stats-row").all()]
    assert [c[2:] for c in cells] == [["1", "1"], ["1", "—"]], cells
    snap("stats-tab-b")

    # nothing stuck: the friend is on tab B (their own link) when the marketer takes VIP off; the link goes, the
    # default shows (data-via=default)
    phone.locator("[data-area='0'][data-action-type=richmenuswitch]").click()
    phone.locator(f"#richmenu[data-rich-menu-id='{line_b}']").wait_for()
    page.goto(admin + f"#/friends/{friend}")
    page.get_by_role("button", name="削除 VIP").click()
    page.get_by_test_id("friend-tag").filter(has_text="VIP").wait_for(state="detached")
    untagged = time.monotonic()
    phone.locator(f"#richmenu[data-rich-menu-id='{line_b}'][data-via=default]").wait_for(timeout=10_000)
    print(f"the default on the phone {time.monotonic() - untagged:.1f} s after the tag came off")
    assert system.line_emulator.rich_menu_of(CH, USER) == line_b  # the default: no per-user link left
    assert [e for e in browser_errors if "status of 422" not in e] == []
