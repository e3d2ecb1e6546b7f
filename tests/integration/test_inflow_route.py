"""Inflow routes (流入経路) through the running local system: a route made in the admin API, its URL opened, LINE Login
on the emulator's screens (consent, add friend), the callback, the follow webhook, and the friend attributed with the
route's tag; a friend who already follows is attributed too; a tampered state gets the Japanese error page and
nothing is stored."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500179"
SECRET = "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"
TOKEN = "inflow-route-token-000000000000000000001"
LOGIN_ID = "2234500179"
LOGIN_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WS = "w_inflow_route"
NEW = "U" + "9" * 31 + "1"
OLD = "U" + "9" * 31 + "2"
JAR: dict[str, str] = {}  # the browser's cookies


def session_of(page: str) -> str:
    match = re.search(r"name=session value='([^']+)'", page)
    assert match, page
    return match.group(1)


def form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    return raw_request("POST", url, urllib.parse.urlencode(fields).encode(),
                       {"content-type": "application/x-www-form-urlencoded"})


def line_login(system: Any, route_url: str, user: str, jar: dict[str, str] | None = None, *,
               login_id: str = LOGIN_ID) -> str:
    """Opens the route URL and goes through LINE's screens as ``user``; returns the callback URL LINE redirects to.
    The browser-binding cookie the route URL sets is kept in ``jar`` (the browser's; default: this module's)."""
    status, headers, _ = raw_request("GET", route_url)
    assert status == 302, headers
    name, _, rest = headers["set-cookie"].partition("=")
    assert "HttpOnly" in rest and "SameSite=Lax" in rest
    (JAR if jar is None else jar)[name] = rest.split(";")[0]
    authorize = headers["location"]
    assert authorize.startswith(system.line_emulator.base_url + "/oauth2/v2.1/authorize?")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
    assert query["bot_prompt"] == "aggressive" and query["client_id"] == login_id and "openid" in query["scope"]
    status, _, page = raw_request("GET", authorize)
    assert status == 200 and "許可する" in page
    base = system.line_emulator.base_url
    status, headers, page = form(f"{base}/oauth2/v2.1/authorize/consent",
                                 {"session": session_of(page), "user_id": user, "action": "allow"})
    if status == 200:  # not a friend yet: the add-friend screen
        assert "友だち追加" in page
        status, headers, _ = form(f"{base}/oauth2/v2.1/authorize/friend", {"session": session_of(page), "add": "1"})
    assert status == 302, page
    return headers["location"]


def browser(jar: dict[str, str] | None = None) -> dict[str, str]:
    """The cookie header the browser sends (``jar``: its cookies; default: this module's)."""
    cookies = JAR if jar is None else jar
    return {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def friend(system: Any, auth: dict[str, str], user: str) -> dict[str, Any]:
    status, listed = json_request("GET", f"{system.base_url}/api/subscribers?limit=500", headers=auth)
    assert status == 200, listed
    for item in listed["items"]:
        status, detail = json_request("GET", f"{system.base_url}/api/subscribers/{item['subscriber_id']}",
                                      headers=auth)
        if any(a.get("line_user_id") == user for a in detail.get("line_accounts") or []) or user in str(detail):
            return dict(detail)
    raise AssertionError(f"no friend for {user}")


def test_a_route_attributes_new_and_existing_friends_through_line_login(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends={OLD: "古い友だち"})
    status, channel = json_request("POST", f"{api}/api/channels", {
        "channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN,
        "login_channel_id": LOGIN_ID, "login_channel_secret": LOGIN_SECRET}, auth)
    assert status == 201, channel
    system.line_emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [f"{api}/login/callback"],
                                                      bot_channel_id=CH)
    system.line_emulator.add_user(NEW, "新しい友だち")

    status, route = json_request("POST", f"{api}/api/inflow-routes", {
        "name": "店頭ポスター", "folder": "店舗", "channel_id": CH, "run": "every",
        "actions": [{"type": "add_tag", "tag": "ポスター"}]}, auth)
    assert status == 201, route
    status, headers, _ = raw_request("GET", f"{api}/api/inflow-routes/{route['route_id']}/qr?format=svg",
                                     headers=auth)
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")

    # a new friend: consent + add friend; the follow webhook arrives; the callback left the attribution pending
    callback = line_login(system, route["url"], NEW)
    assert callback.startswith(f"{api}/login/callback?") and "friendship_status_changed=true" in callback
    status, headers, _ = raw_request("GET", callback, headers=browser())
    assert status == 303 and headers["location"] == f"{api}/login/callback?result=thanks"
    status, _, page = raw_request("GET", headers["location"])
    assert status == 200 and "ありがとうございます" in page
    system.drain()
    new = friend(system, auth, NEW)
    assert new["inflow_route"] == "店頭ポスター"
    assert [t["name"] for t in new["tags"]] == ["ポスター"]
    assert any(e["kind"] == "route" for e in new["timeline"]["items"])

    # a friend already following: attributed by the callback itself
    callback = line_login(system, route["url"], OLD)
    assert "friendship_status_changed=false" in callback
    status, _, page = raw_request("GET", callback, headers=browser({}))  # another browser: refused, nothing stored
    assert status == 400 and "ブラウザ" in page
    system.drain()
    assert not friend(system, auth, OLD).get("inflow_route")
    status, _, page = raw_request("GET", callback, headers=browser())
    assert status == 303
    system.drain()
    old = friend(system, auth, OLD)
    assert old["inflow_route"] == "店頭ポスター" and [t["name"] for t in old["tags"]] == ["ポスター"]

    status, view = json_request("GET", f"{api}/api/inflow-routes/{route['route_id']}", headers=auth)
    assert status == 200 and view["friends"] == 2

    # a tampered state: the Japanese error page, nothing stored
    callback = line_login(system, route["url"], OLD)
    parts = urllib.parse.urlsplit(callback)
    query = dict(urllib.parse.parse_qsl(parts.query))
    payload, _signature = query["state"].split(".")
    query["state"] = payload + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    status, _, page = raw_request("GET", urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))),
                                  headers=browser())
    assert status == 400 and "ログインできませんでした" in page
    system.drain()
    old_after = friend(system, auth, OLD)
    routes_seen = [e for e in old_after["timeline"]["items"] if e["kind"] == "route"]
    assert len(routes_seen) == 1  # the refused callback attributed nothing
