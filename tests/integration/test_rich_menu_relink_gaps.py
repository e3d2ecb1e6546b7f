"""Issue 20's re-link gaps on the local system, with real published menus on the LINE emulator:

- a friend who already follows logs in by an inflow route: the callback re-links their rich menu at once (the
  route rule applies, no bulk job);
- the route is renamed: saving the rules again keeps that friend's menu (route rules match the route's ID);
- a CSV import that tags followers starts one bulk re-link job for the channel when it completes; after the
  planner drains, the tagged friends see the tag rule's menu on the emulator.
"""

from __future__ import annotations

import base64
import re
import struct
import urllib.parse
import zlib
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500203"
SECRET = "3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f80"
TOKEN = "rich-menu-gaps-token-000000000000000203"
LOGIN_ID = "2234500203"
LOGIN_SECRET = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"
WS = "w_rich_menu_gaps"
OLD = "U" + "d3" * 16  # follows before logging in by the route
CSV_FRIENDS = ["U" + f"{n:02x}" * 16 for n in range(0xe1, 0xe4)]
JAR: dict[str, str] = {}


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = (b"\x00" + b"\x90" * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def published_menu(api: str, auth: dict[str, str], name: str) -> tuple[str, str]:
    """A one-area menu made, given its image and published through the admin API: (menu ID, LINE rich menu ID)."""
    status, menu = json_request("POST", f"{api}/api/rich-menus", {
        "name": name, "channel_id": CH, "size": {"width": 2500, "height": 843}, "chat_bar_text": name[:14],
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843}, "label": name,
                   "action": {"type": "message", "text": name}}]}, auth)
    assert status == 201, menu
    status, meta = json_request("PUT", f"{api}/api/rich-menus/{menu['id']}/image",
                                {"content_type": "image/png", "data": base64.b64encode(png(2500, 843)).decode()}, auth)
    assert status == 200, meta
    status, published = json_request("POST", f"{api}/api/rich-menus/{menu['id']}/publish", None, auth)
    assert status == 200 and published["line_rich_menu_id"], published
    return str(menu["id"]), str(published["line_rich_menu_id"])


def line_login(system: Any, route_url: str, user: str) -> str:
    """The route URL opened and LINE Login passed as ``user`` (already a friend): the callback URL."""
    status, headers, _ = raw_request("GET", route_url)
    assert status == 302, headers
    name, _, rest = headers["set-cookie"].partition("=")
    JAR[name] = rest.split(";")[0]
    status, _, page = raw_request("GET", headers["location"])
    assert status == 200, page
    session = re.search(r"name=session value='([^']+)'", page)
    assert session, page
    status, headers, page = raw_request(
        "POST", f"{system.line_emulator.base_url}/oauth2/v2.1/authorize/consent",
        urllib.parse.urlencode({"session": session.group(1), "user_id": user, "action": "allow"}).encode(),
        {"content-type": "application/x-www-form-urlencoded"})
    assert status == 302, page
    return str(headers["location"])


def test_route_login_route_rename_and_csv_import_relink_menus(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN,
                                friends={OLD: "常連さん", **{u: f"CSV{i}" for i, u in enumerate(CSV_FRIENDS)}})
    status, channel = json_request("POST", f"{api}/api/channels", {
        "channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN,
        "login_channel_id": LOGIN_ID, "login_channel_secret": LOGIN_SECRET}, auth)
    assert status == 201, channel
    emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [f"{api}/login/callback"], bot_channel_id=CH)

    route_menu, route_line = published_menu(api, auth, "ポスター特典")
    vip_menu, vip_line = published_menu(api, auth, "VIP メニュー")
    status, tag = json_request("POST", f"{api}/api/tags", {"name": "VIP"}, auth)
    assert status in (200, 201), tag
    route_body = {"name": "店頭ポスター", "channel_id": CH, "run": "once", "actions": []}
    status, route = json_request("POST", f"{api}/api/inflow-routes", route_body, auth)
    assert status == 201, route
    rules = {"channel_id": CH, "rules": [
        {"menu_id": route_menu, "condition": {"type": "route", "route_id": route["route_id"]}},
        {"menu_id": vip_menu, "condition": {"type": "tag", "tag_id": tag["tag_id"]}}]}
    status, saved = json_request("PUT", f"{api}/api/rich-menu-rules", rules, auth)
    assert status == 200, saved
    system.drain()
    assert emulator.rich_menu_of(CH, OLD) is None

    # (b) an existing friend logs in by the route: the callback itself re-links their menu
    callback = line_login(system, route["url"], OLD)
    assert "friendship_status_changed=false" in callback
    cookie = {"cookie": "; ".join(f"{k}={v}" for k, v in JAR.items())}
    status, _, _ = raw_request("GET", callback, headers=cookie)
    assert status == 303
    assert emulator.rich_menu_of(CH, OLD) == route_line  # no drain: inside the callback

    # (c) the route is renamed and the rules saved again: the friend keeps the route's menu (matched by ID)
    status, renamed = json_request("PUT", f"{api}/api/inflow-routes/{route['route_id']}",
                                   {**route_body, "name": "駅前ポスター"}, auth)
    assert status == 200, renamed
    status, saved = json_request("PUT", f"{api}/api/rich-menu-rules", rules, auth)
    assert status == 200, saved
    system.drain()
    status, job = json_request("GET", f"{api}/api/rich-menu-rules/jobs/{saved['job']['id']}", None, auth)
    assert job["status"] == "done" and job["unlinked"] == 0, job
    assert emulator.rich_menu_of(CH, OLD) == route_line

    # (a) a CSV import tags three followers: one bulk job for the channel, one LINE call for the three
    status, friends = json_request("POST", f"{api}/api/subscribers/search", {"limit": 500}, auth)
    assert status == 200, friends
    by_user = {a.get("line_user_id"): f["subscriber_id"] for f in friends["items"] for a in f["line"]}
    rows = "".join(f"{by_user[u]},VIP\r\n" for u in CSV_FRIENDS)
    status, job = json_request("POST", f"{api}/api/imports", {"filename": "vip.csv", "csv": "友だちID,タグ\r\n" + rows},
                               auth)
    assert status == 201, job
    status, done = json_request("POST", f"{api}/api/imports/{job['import_id']}/start", None, auth)
    assert status == 200 and done["status"] == "completed" and done["updated"] == 3, done
    assert list(done["rich_menu_jobs"]) == [CH], done
    assert all(emulator.rich_menu_of(CH, u) is None for u in CSV_FRIENDS)  # not one call per friend meanwhile
    system.drain()
    assert [emulator.rich_menu_of(CH, u) for u in CSV_FRIENDS] == [vip_line] * 3
    status, relinked = json_request("GET", f"{api}/api/rich-menu-rules/jobs/{done['rich_menu_jobs'][CH]}", None,
                                    auth)
    assert (relinked["status"], relinked["linked"], relinked["calls"]) == ("done", 3, 1), relinked
    assert emulator.rich_menu_of(CH, OLD) == route_line  # untouched
