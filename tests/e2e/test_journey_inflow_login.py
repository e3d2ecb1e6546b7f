"""Journey (流入経路 + LINE ログイン) in the browser: someone scans a route's QR code (opens its URL), LINE's consent
screen (the emulator's) asks for permission, they tap 許可する, then 追加 on the add-friend screen, and land on the
thank-you page (a reload of it logs nobody in twice); the follow arrives and the friend carries the route and its tag.
A tampered callback shows the Japanese error page. No admin screen is involved (the route screens come later): the route is made through the API.

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, connect_line_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000231"
SECRET = "0123456789abcdef0123456789abcd31"
TOKEN = "e2e-inflow-token-" + "e" * 40
LOGIN_ID = "2000000232"
LOGIN_SECRET = "abcdef0123456789abcdef0123456732"
WS = "ws_e2e_inflow"
OWNER = "owner@inflow.example.jp"
USER = "U" + "6" * 32


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室")
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    connect_line_login(s, token, WS, channel_id=CH, channel_secret=SECRET, access_token=TOKEN, login_channel_id=LOGIN_ID,
                       login_channel_secret=LOGIN_SECRET)
    s.line_emulator.add_user(USER, "高橋 湊")
    yield s


def test_scan_a_route_log_in_with_line_add_the_friend_and_get_the_route_tag(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    route = api_request(system, token, "POST", "/api/inflow-routes", {
        "name": "店頭ポスター", "channel_id": CH, "actions": [{"type": "add_tag", "tag": "店頭"}]})

    # the browser's own favicon requests (neither the pages nor the emulator's screens serve one) are not under test
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    page.goto(route["url"])  # the QR code's URL: straight on to LINE's consent screen
    page.get_by_role("button", name="許可する").wait_for()
    snap("consent")
    page.locator("input[name=user_id]").fill(USER)
    page.get_by_role("button", name="許可する").click()
    page.get_by_role("button", name="追加", exact=True).wait_for()  # bot_prompt=aggressive: the add-friend screen
    assert "ハイシン美容室" in page.content()
    page.get_by_role("button", name="追加", exact=True).click()
    page.get_by_text("ありがとうございます").wait_for()
    assert page.url == f"{system.base_url}/login/callback?result=thanks"  # the code and state left the address bar

    system.drain()
    friends = api_request(system, token, "GET", "/api/subscribers")["items"]
    [friend] = [f for f in friends if f.get("display_name") == "高橋 湊"]
    detail = api_request(system, token, "GET", f"/api/subscribers/{friend['subscriber_id']}")
    assert detail["inflow_route"] == "店頭ポスター"
    assert [t["name"] for t in detail["tags"]] == ["店頭"]

    # a reload shows the thank-you page again and logs nobody in twice
    page.reload()
    page.get_by_text("ありがとうございます").wait_for()
    assert api_request(system, token, "GET", f"/api/inflow-routes/{route['route_id']}")["friends"] == 1

    # a tampered callback (state changed): the Japanese error page
    page.goto(f"{system.base_url}/login/callback?code=x&state=eyJ3IjoiIn0.AAAA")
    page.get_by_text("ログインできませんでした").wait_for()
    snap("refused")
    # the one failed load is the error page itself, answered 400 on purpose
    assert browser_errors == ["console: Failed to load resource: the server responded with a status of 400 (Bad Request)"]
