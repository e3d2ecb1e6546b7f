"""Rich menus through the running local system and the LINE emulator: a menu with a postback area (add_tag) and a
tracked URL area is created, a PNG built here is uploaded, the menu is published (the emulator holds the menu, its
image and its alias), a friend's postback tap from the emulator runs add_tag and shows in the stats, the URL area's
tracked redirect is counted, LINE's rich menu insight (20 friends shown the menu and tapping, read the next day)
fills the stats' ``line_insight``, and deleting the menu leaves nothing on LINE's side.

Needs the emulator's rich menu image and alias endpoints (helper EMU, issue 20): ``POST /v2/bot/richmenu/{id}/
content`` on the api-data host, ``/v2/bot/richmenu/alias`` create/get/update/delete."""

from __future__ import annotations

import base64
import struct
import urllib.request
import zlib
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500261"
SECRET = "5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"
TOKEN = "rich-menus-token-00000000000000000000001"
WS = "w_rich_menus"
USER = "U" + "r" * 30 + "01"
TARGET = "https://salon.example.jp/menu"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = (b"\x00" + b"\xc0" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def line_get(system: Any, path: str) -> tuple[int, Any]:
    return json_request("GET", f"{system.line_emulator.base_url}{path}", headers={"authorization": f"Bearer {TOKEN}"})


@pytest.fixture(scope="module")
def auth(local_system: Any) -> dict[str, str]:
    """The workspace's owner, with the channel connected and one friend following."""
    headers, _ = connect_workspace(local_system, WS, CH, SECRET, TOKEN, friends={USER: "リッチ太郎"})
    return headers


def test_publish_tap_and_stats_through_the_emulator(local_system: Any, auth: dict[str, str]) -> None:
    system = local_system
    api = system.base_url
    menu_body = {
        "name": "メインメニュー",
        "channel_id": CH,
        "size": {"width": 2500, "height": 843},
        "chat_bar_text": "メニュー",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                "label": "予約",
                "action": {"type": "postback", "actions": [{"type": "add_tag", "tag": "リッチ予約"}]},
            },
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                "label": "サイト",
                "action": {"type": "uri", "uri": TARGET},
            },
        ],
    }
    status, menu = json_request("POST", f"{api}/api/rich-menus", menu_body, auth)
    assert status == 201, menu
    menu_id = menu["id"]

    # refused: too many areas, a chat-bar text too long, an image of the wrong size; nothing stored
    status, error = json_request(
        "POST", f"{api}/api/rich-menus", {**menu_body, "areas": menu_body["areas"][:1] * 21}, auth
    )
    assert status == 422 and "20 個まで" in error["message"], error
    status, error = json_request(
        "PUT",
        f"{api}/api/rich-menus/{menu_id}/image",
        {"content_type": "image/png", "data": base64.b64encode(png(1000, 800)).decode()},
        auth,
    )
    assert status == 422 and "幅÷高さは 1.45 以上" in error["message"], error

    image = png(2500, 843)
    status, meta = json_request(
        "PUT",
        f"{api}/api/rich-menus/{menu_id}/image",
        {"content_type": "image/png", "data": base64.b64encode(image).decode()},
        auth,
    )
    assert status == 200 and meta == {"content_type": "image/png", "width": 2500, "height": 843, "bytes": len(image)}, (
        meta
    )
    with urllib.request.urlopen(
        urllib.request.Request(f"{api}/api/rich-menus/{menu_id}/image", headers=auth), timeout=30
    ) as response:
        assert response.headers["content-type"] == "image/png" and response.read() == image  # the preview

    status, published = json_request("POST", f"{api}/api/rich-menus/{menu_id}/publish", None, auth)
    assert status == 200 and published["status"] == "published", published
    line_id, alias = published["line_rich_menu_id"], published["alias_id"]
    status, on_line = line_get(system, f"/v2/bot/richmenu/{line_id}")
    assert status == 200 and on_line["chatBarText"] == "メニュー", on_line
    postback_data = on_line["areas"][0]["action"]["data"]
    assert postback_data == f"haishin:rm:{menu_id}:0"
    tracked = on_line["areas"][1]["action"]["uri"]
    assert "/c/" in tracked and TARGET not in tracked
    status, on_alias = line_get(system, f"/v2/bot/richmenu/alias/{alias}")
    assert status == 200 and on_alias["richMenuId"] == line_id, on_alias

    # the friend taps: the postback area adds the tag; the URL area redirects through click tracking
    assert system.line_emulator.postback(CH, USER, postback_data) == 200
    system.drain()
    status, friends = json_request("GET", f"{api}/api/subscribers", headers=auth)
    assert status == 200
    friend = next(f for f in friends["items"] if f.get("display_name") == "リッチ太郎")
    status, detail = json_request("GET", f"{api}/api/subscribers/{friend['subscriber_id']}", headers=auth)
    assert status == 200 and "リッチ予約" in str(detail), detail
    status, headers, _ = raw_request("GET", tracked)
    assert status == 302 and headers["location"] == TARGET, (status, headers)

    status, stats = json_request("GET", f"{api}/api/rich-menus/{menu_id}/stats", headers=auth)
    assert status == 200, stats
    assert (stats["areas"][0]["taps"], stats["areas"][0]["unique"], stats["areas"][1]["taps"]) == (1, 1, 1), stats
    assert stats["total"] == 2 and stats["line_insight_note"]

    # LINE's rich menu insight: 20 friends see the menu (the default) on the phone and tap the URL area; LINE
    # aggregates by the next day (the emulator's control API ages the events), then the stats carry LINE's figures
    status, saved = json_request("PUT", f"{api}/api/rich-menu-rules",
                                 {"channel_id": CH, "default_menu_id": menu_id, "rules": []}, auth)
    assert status == 200, saved
    system.drain()
    emulator = system.line_emulator
    viewers = ["U" + "v" * 30 + f"{n:02d}" for n in range(20)]
    for user in viewers:
        emulator.add_user(user, f"見る人{user[-2:]}")
        assert emulator.follow(CH, user) == 200
    system.drain()
    for user in viewers:
        emulator.rich_menu_seen(CH, user, line_id)
        assert emulator.rich_menu_tap(CH, user, line_id, 1)["open"] == tracked
    status, stats = json_request("GET", f"{api}/api/rich-menus/{menu_id}/stats", headers=auth)
    assert stats["line_insight"] is None and "翌日" in stats["line_insight_note"], stats  # today's: not yet
    status, aged = json_request("POST", f"{emulator.base_url}/_emulator/richmenu_insight/age", {"days": 1})
    assert status == 200 and aged["events"] == 40, aged
    status, stats = json_request("GET", f"{api}/api/rich-menus/{menu_id}/stats", headers=auth)
    assert status == 200 and stats["line_insight_note"] is None, stats
    insight = stats["line_insight"]
    assert (insight["line_rich_menu_id"], insight["impressions"], insight["impression_users"]) == (line_id, 20, 20)
    assert [(a["index"], a["clicks"], a["unique_users"]) for a in insight["areas"]] == [(0, 0, 0), (1, 20, 20)]

    # deleting leaves nothing on LINE's side
    status, _, _ = raw_request("DELETE", f"{api}/api/rich-menus/{menu_id}", headers=auth)
    assert status == 204
    assert line_get(system, f"/v2/bot/richmenu/{line_id}")[0] == 404
    assert line_get(system, f"/v2/bot/richmenu/alias/{alias}")[0] in (400, 404)


def test_a_two_tab_set_is_published_together_and_a_target_cannot_be_deleted(
    local_system: Any, auth: dict[str, str]
) -> None:
    system = local_system
    api = system.base_url
    image = base64.b64encode(png(2500, 843)).decode()

    def tab_menu(name: str, target: str | None) -> dict[str, Any]:
        action = {"type": "tab", "menu_id": target} if target else {"type": "message", "text": name}
        return {
            "name": name,
            "channel_id": CH,
            "size": {"width": 2500, "height": 843},
            "chat_bar_text": name,
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843}, "label": "tab", "action": action}],
        }

    ids = {}
    for name in ("タブA", "タブB"):
        status, made = json_request("POST", f"{api}/api/rich-menus", tab_menu(name, None), auth)
        assert status == 201, made
        ids[name] = made["id"]
        assert (
            json_request(
                "PUT", f"{api}/api/rich-menus/{made['id']}/image", {"content_type": "image/png", "data": image}, auth
            )[0]
            == 200
        )
    for name, other in (("タブA", "タブB"), ("タブB", "タブA")):
        status, saved = json_request("PUT", f"{api}/api/rich-menus/{ids[name]}", tab_menu(name, ids[other]), auth)
        assert status == 200, saved

    status, a = json_request("POST", f"{api}/api/rich-menus/{ids['タブA']}/publish", None, auth)
    assert status == 200, a
    status, b = json_request("GET", f"{api}/api/rich-menus/{ids['タブB']}", headers=auth)
    assert b["status"] == "published", b
    for menu, target in ((a, b), (b, a)):
        status, on_line = line_get(system, f"/v2/bot/richmenu/{menu['line_rich_menu_id']}")
        assert status == 200, on_line
        assert on_line["areas"][0]["action"]["type"] == "richmenuswitch"
        assert on_line["areas"][0]["action"]["richMenuAliasId"] == target["alias_id"]
        assert (
            line_get(system, f"/v2/bot/richmenu/alias/{target['alias_id']}")[1]["richMenuId"]
            == target["line_rich_menu_id"]
        )

    status, error = json_request("DELETE", f"{api}/api/rich-menus/{ids['タブB']}", None, auth)
    assert status == 409 and "「タブA」のタブ" in error["message"], error


def test_disconnecting_the_channel_leaves_no_menu_or_alias_on_line(local_system: Any, auth: dict[str, str]) -> None:
    """Runs last in this file: the channel is disconnected. The tab set of the test above is still published."""
    api = local_system.base_url
    status, listed = json_request("GET", f"{api}/api/rich-menus?channel_id={CH}", headers=auth)
    published = [m for m in listed["items"] if m["status"] == "published"]
    assert status == 200 and published, listed
    assert line_get(local_system, "/v2/bot/richmenu/list")[1]["richmenus"]
    status, channel = json_request("DELETE", f"{api}/api/channels/{CH}", None, auth)
    assert status == 200 and channel["status"] == "disconnected", channel
    assert line_get(local_system, "/v2/bot/richmenu/list")[1]["richmenus"] == []
    assert line_get(local_system, "/v2/bot/richmenu/alias/list")[1]["aliases"] == []
    status, listed = json_request("GET", f"{api}/api/rich-menus?channel_id={CH}", headers=auth)
    assert {m["status"] for m in listed["items"]} == {"draft"} and all(m["image"] for m in listed["items"])
