"""Journey (会員サイト + LINE ログイン) in a phone-sized browser: a LINE friend granted a course opens the member
site, taps 「LINEでログイン」, allows on LINE's consent screen (the emulator's) and lands on the course, then their home
(マイコース) lists it; staff log the
member out everywhere from the admin API and the next page asks for a login again. Someone whose LINE account has no
access is told so in Japanese.

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000002241"
SECRET = "0123456789abcdef0123456789ab2241"
TOKEN = "e2e-member-line-token-" + "l" * 36
LOGIN_ID = "2000002242"
LOGIN_SECRET = "abcdef0123456789abcdef0123452242"
WS = "ws_e2e_member_line"
OWNER = "owner@member-line.example.jp"
MEMBER = "U" + "7" * 32
STRANGER = "U" + "8" * 32
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン講座",
                      friends={MEMBER: "佐藤 葵", STRANGER: "田中 蓮"})
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    api_request(s, token, "PUT", f"/api/channels/{CH}/login", {"login_channel_id": LOGIN_ID,
                                                                "login_channel_secret": LOGIN_SECRET})
    channel = api_request(s, token, "GET", f"/api/channels/{CH}")
    s.line_emulator.login.register_login_channel(
        LOGIN_ID, LOGIN_SECRET, [channel["login_callback_url"], channel["member_login_callback_url"]],
        bot_channel_id=CH)
    yield s


def test_a_friend_logs_in_with_line_and_staff_log_them_out(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")

    def api(method: str, path: str, body: Any = None) -> Any:
        return api_request(system, token, method, path, body)

    course = api("POST", "/api/courses", {"title": "LINE集客講座", "chapters": [
        {"title": "第1章", "lessons": [{"title": "ようこそ", "body": "はじめましょう"}]}]})
    friends = api("GET", "/api/subscribers")["items"]
    [member] = [f for f in friends if f.get("display_name") == "佐藤 葵"]
    api("POST", f"/api/courses/{course['course_id']}/grants", {"subscriber_id": member["subscriber_id"]})
    member_url = f"{system.base_url}/m/{WS}/{course['course_id']}/"

    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page.set_viewport_size(PHONE)
    page.goto(member_url)
    page.get_by_role("link", name="LINEでログイン").click()
    page.get_by_role("button", name="許可する").wait_for()  # LINE's consent screen
    page.locator("input[name=user_id]").fill(MEMBER)
    page.get_by_role("button", name="許可する").click()
    page.get_by_role("heading", name="LINE集客講座").wait_for()
    assert page.url == member_url  # the code and state left the address bar
    page.get_by_role("link", name="ようこそ").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    snap("member-line-course")
    page.get_by_role("link", name="マイコース").click()  # the member's home lists the courses they may read
    page.get_by_role("link", name="LINE集客講座").wait_for()
    assert page.url == f"{system.base_url}/m/{WS}/"

    # staff log the member out of every device: the next page asks for a login
    api("POST", f"/api/members/{member['subscriber_id']}/sessions/revoke", {})
    page.reload()  # the home, without a session, sends them to a course's login page
    page.get_by_text("受講中のコースのページからログインしてください").wait_for()
    page.goto(member_url)
    page.get_by_role("link", name="LINEでログイン").wait_for()

    # a LINE account without access is told so, and is not logged in
    page.get_by_role("link", name="LINEでログイン").click()
    page.locator("input[name=user_id]").fill(STRANGER)
    page.get_by_role("button", name="許可する").click()
    page.get_by_text("このコースを受講できません").wait_for()
    snap("member-line-refused")
    page.goto(member_url)
    page.get_by_role("link", name="LINEでログイン").wait_for()
    assert browser_errors == ["console: Failed to load resource: the server responded with a status of 403 (Forbidden)"]
