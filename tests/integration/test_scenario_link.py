"""A scenario's own friend-add link (UTAGE) through the running local system: the link made in the admin API, its
URL opened, LINE Login and the add-friend screen in the emulator, the callback with the browser's cookie, the follow.
The friend is in that scenario only (not the welcome scenario) and its first message is on the phone without the
local system's clock moving (no tick): on the follow's reply when the follow comes after the callback, queued at once
by the callback when LINE's follow was processed first, and for a friend who already followed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_inflow_route import browser, line_login
from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500591"
SECRET = "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1591"
TOKEN = "scenario-link-token-00000000000000000591"
LOGIN_ID = "2234500591"
LOGIN_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e591"
WS = "w_scenario_link"
LATE = "U" + "5" * 31 + "1"  # follows after the callback (the events consumer held)
EARLY = "U" + "5" * 31 + "2"  # LINE's follow processed before the callback
OLD = "U" + "5" * 31 + "3"  # already a friend


def texts(system: Any, user: str) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in system.line_emulator.received(user, CH)]


def scenarios_of(system: Any, auth: dict[str, str], user: str) -> dict[str, str]:
    """The friend's scenarios by name -> status."""
    status, listed = json_request("GET", f"{system.base_url}/api/subscribers?limit=500", headers=auth)
    assert status == 200, listed
    for item in listed["items"]:
        status, detail = json_request("GET", f"{system.base_url}/api/subscribers/{item['subscriber_id']}",
                                      headers=auth)
        if user in str(detail):
            status, body = json_request(
                "GET", f"{system.base_url}/api/subscribers/{item['subscriber_id']}/enrollments", headers=auth)
            assert status == 200, body
            return {e["scenario_name"]: e["status"] for e in body["items"]}
    raise AssertionError(f"no friend for {user}")


def callback(system: Any, url: str) -> None:
    status, headers, _ = raw_request("GET", url, headers=browser(JAR))
    assert status == 303 and headers["location"].endswith("/login/callback?result=thanks"), (status, headers)


JAR: dict[str, str] = {}


def test_friends_who_come_by_a_scenarios_link_enter_that_scenario_with_its_first_message_at_once(
        local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends={OLD: "古い友だち"})
    status, channel = json_request("POST", f"{api}/api/channels", {
        "channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN,
        "login_channel_id": LOGIN_ID, "login_channel_secret": LOGIN_SECRET}, auth)
    assert status == 201, channel
    system.line_emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [f"{api}/login/callback"],
                                                      bot_channel_id=CH)
    for user, name in ((LATE, "あとから"), (EARLY, "さきに")):
        system.line_emulator.add_user(user, name)
    status, welcome = json_request("POST", f"{api}/api/scenarios", {
        "name": "ウェルカム", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "hello", "timing": {"type": "after", "amount": 1, "unit": "hours"},
             "line": [{"type": "text", "text": "ようこそ"}]}]}, auth)
    assert status in (200, 201), welcome
    status, seminar = json_request("POST", f"{api}/api/scenarios", {
        "name": "セミナー", "steps": [
            {"id": "invite", "line": [{"type": "text", "text": "セミナーのご案内"}]},
            {"id": "remind", "timing": {"type": "after", "amount": 1, "unit": "days"},
             "line": [{"type": "text", "text": "明日です"}]}]}, auth)
    assert status in (200, 201), seminar
    status, made = json_request("POST", f"{api}/api/scenarios/{seminar['id']}/friend-link", {}, auth)
    assert status == 200, made
    link = made["link"]
    offset = system.clock_state()["offset_seconds"]

    # 1. the follow after the callback (the events consumer is late): the follow takes the pending route, skips the
    # welcome scenario, and the seminar's first message rides the follow's reply
    with system.pump("LineEventsFunction").held():
        callback(system, line_login(system, link["url"], LATE, JAR, login_id=LOGIN_ID))
    system.drain()
    assert scenarios_of(system, auth, LATE) == {"セミナー": "active"}
    assert [(d["endpoint"], d["message"]["text"]) for d in system.line_emulator.received(LATE, CH)] == [
        ("reply", "セミナーのご案内")]

    # 2. LINE's follow processed before the callback: the welcome it started gives way to the link's scenario
    url = line_login(system, link["url"], EARLY, JAR, login_id=LOGIN_ID)
    system.drain()
    assert scenarios_of(system, auth, EARLY) == {"ウェルカム": "active"}
    callback(system, url)
    system.drain()
    assert scenarios_of(system, auth, EARLY) == {"ウェルカム": "stopped", "セミナー": "active"}
    assert texts(system, EARLY) == ["セミナーのご案内"]

    # 3. a friend who already follows enters the scenario too, the first message at once
    callback(system, line_login(system, link["url"], OLD, JAR, login_id=LOGIN_ID))
    system.drain()
    assert scenarios_of(system, auth, OLD) == {"セミナー": "active"}  # the old welcome predates the scenario
    assert texts(system, OLD) == ["セミナーのご案内"]

    assert system.clock_state()["offset_seconds"] == offset  # the clock never moved: no step was due by a tick
    status, view = json_request("GET", f"{api}/api/scenarios/{seminar['id']}/friend-link", headers=auth)
    assert status == 200 and view["link"]["friends"] == 3
