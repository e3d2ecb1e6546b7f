"""Journey (配信の成果): a marketer sends a broadcast with a URL to three friends; one friend opens the message in the
LINE emulator's phone page and taps the URL; the broadcast's page shows delivered, clicks, friends who clicked and
the click rate ("URL クリックで測る開封率"), and LINE's own statistics for the broadcast's aggregation unit with the
plain note that LINE returns nothing below 20 friends. A refused save (no name) shows its error at the field. The
results on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000291"
SECRET = "0123456789abcdef0123456789abcd61"
TOKEN = "e2e-msgstats-token-" + "d" * 40
WS = "ws_e2e_msgstats"
OWNER = "owner@msgstats.example.jp"
USERS = {"U" + "6" * 31 + str(i): name for i, name in enumerate(["中村 湊", "小林 結菜", "加藤 陽翔"])}
SHOP = "https://shop.example.jp/winter"
NAME = "冬のセールのお知らせ"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン雑貨店", friends=USERS)
    yield s


def test_send_a_broadcast_tap_its_url_in_line_and_read_the_results(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/broadcasts/new")
    page.get_by_test_id("broadcast-composer").wait_for()
    page.locator("textarea[name='content.line[0].text']").fill(f"冬のセール開催中です。詳しくはこちら {SHOP}")
    # no name: refused at the field, what was typed stays
    page.get_by_test_id("broadcast-save").click()
    page.locator("input[name=name][aria-invalid=true]").wait_for()
    assert page.locator("textarea[name='content.line[0].text']").input_value().endswith(SHOP)
    page.locator("input[name=name]").fill(NAME)
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.wait_for_function("/#\\/broadcasts\\/bc_/.test(location.hash)")
    page.locator("input[name=when][value=now]").check()
    page.get_by_test_id("broadcast-go").click()
    page.get_by_test_id("broadcast-progress").wait_for()
    system.drain()

    # one friend opens the message on their phone and taps the URL (LINE's in-app browser; the shop is stubbed)
    friend = next(iter(USERS))
    context = page.context
    context.route("https://shop.example.jp/**", lambda route: route.fulfill(status=200, body="<p>shop</p>",
                                                                          content_type="text/html"))
    phone = context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={friend}")
    link = phone.locator("a.link").first
    link.wait_for()
    assert link.inner_text().startswith(f"{system.base_url}/c/")  # the URL was rewritten to a tracked one
    with context.expect_page() as opened:
        link.click()
    shop = opened.value
    shop.wait_for_url(SHOP)
    shop.close()
    phone.close()
    system.drain()

    page.reload()
    page.locator("[data-testid=broadcast-status][data-status=done]").wait_for(timeout=30_000)
    stats = page.get_by_test_id("broadcast-stats")
    stats.wait_for()
    assert "3" in stats.get_by_test_id("stats-delivered").inner_text()
    assert stats.get_by_test_id("stats-clicks").locator(".stat__value").inner_text() == "1"
    assert stats.get_by_test_id("stats-unique").locator(".stat__value").inner_text() == "1"
    rate = stats.get_by_test_id("stats-rate")
    assert "URL クリックで測る開封率" in rate.inner_text() and rate.locator(".stat__value").inner_text() == "33.3%"
    # LINE counted the open and the tap for the broadcast's unit, and hides them: fewer than 20 friends
    note = stats.get_by_test_id("line-stats-note")
    note.wait_for()
    assert note.inner_text().startswith("LINE は 20 人未満の数値を返しません")
    assert stats.get_by_test_id("line-hidden").count() == 2
    assert stats.get_by_test_id("line-stats-usage").inner_text() == "今月使用した集計単位: 1 / 1000"
    [delivery] = system.line_emulator.received(friend, CH)
    assert delivery.get("unit", "").startswith("b_")  # the broadcast went out with its aggregation unit
    snap("results")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_the_results_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    [broadcast] = [b for b in api_request(system, token, "GET", "/api/broadcasts")["items"] if b["name"] == NAME]
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/broadcasts/{broadcast['broadcast_id']}")
    page.get_by_test_id("line-stats-note").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the results scroll sideways on a phone ({width}px)"
    snap("phone-results")
    assert browser_errors == []
