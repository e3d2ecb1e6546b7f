"""Journey (A/B テスト配信): a marketer composes a broadcast with two variants (A: the composer's own content, B: its
own content and weight; a weight of 0 is refused at the variant's field), sends it now to a few friends, one friend opens the tracked link in it, and sees
the A/B results on the broadcast's page: per variant recipients, clicks, click rate, the probability-of-best bars and
the verdict sentence (too few friends: "まだ判定できません…"). The results on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.http import open_without_redirect
from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000251"
SECRET = "0123456789abcdef0123456789abcd51"
TOKEN = "e2e-abtest-token-" + "a" * 40
WS = "ws_e2e_abtest"
OWNER = "owner@abtest.example.jp"
USERS = {"U" + "8" * 31 + str(i): name for i, name in enumerate(["青木 蓮", "石井 凛", "上田 湊", "遠藤 葵"])}


def _open(url: str) -> None:
    """Open a tracked URL as the friend's phone would, without following the redirect off this machine."""
    status, _location = open_without_redirect(url)
    assert status == 302, status


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室", friends=USERS)
    yield s


def test_compose_and_send_a_two_variant_broadcast_then_read_the_results(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    link = api_request(system, token, "POST", "/api/links", {"name": "春のメニュー", "target_url": "https://shop.example.jp/spring"})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/broadcasts/new")
    page.get_by_test_id("broadcast-composer").wait_for()
    page.locator("input[name=name]").fill("春の告知 A/B")
    page.get_by_test_id("ab-on").locator("input[type=checkbox]").check()
    page.locator("textarea[name='variants.0.content.line[0].text']").fill(f"A: 春のカラー 20% オフ {link['url']}")
    variant_b = page.get_by_test_id("ab-variant")
    page.locator("textarea[name='variants.1.content.line[0].text']").fill(f"B: 春だけのカラー特別価格 {link['url']}")
    page.locator("input[name='variants.1.weight']").fill("0")

    # a weight of 0 is refused at the variant's field; what was typed stays
    page.get_by_test_id("broadcast-save").click()
    page.locator("input[name='variants.1.weight'][aria-invalid=true]").wait_for()
    assert variant_b.locator("[data-field-error='variants.1.weight']").inner_text() == "配分（weight）は1〜1000の整数です"
    assert page.locator("textarea[name='variants.1.content.line[0].text']").input_value() .startswith("B: 春だけのカラー特別価格")
    page.locator("input[name='variants.1.weight']").fill("1")
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.wait_for_function("/#\\/broadcasts\\/bc_/.test(location.hash)")

    page.locator("input[name=when][value=now]").check()
    page.get_by_test_id("broadcast-go").click()
    page.get_by_test_id("broadcast-progress").wait_for()
    system.drain()
    # one friend opens the link from their message (their own tracked URL, as a rewritten link would be)
    friend = api_request(system, token, "GET", "/api/subscribers")["items"][0]
    url = api_request(system, token, "POST", f"/api/links/{link['link_id']}/friend-url",
                      {"subscriber_id": friend["subscriber_id"]})["url"]
    _open(url)
    system.drain()
    page.reload()
    page.locator("[data-testid=broadcast-status][data-status=done]").wait_for(timeout=30_000)

    results = page.get_by_test_id("ab-results")
    results.wait_for()
    assert results.get_by_test_id("ab-verdict").inner_text().startswith("まだ判定できません")
    rows = results.get_by_test_id("ab-row")
    assert [rows.nth(i).get_attribute("data-label") for i in range(rows.count())] == ["A", "B"]
    recipients = [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(2)]
    assert sum(recipients) == len(USERS)
    assert sum(int(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(2)) == 1  # the one click
    assert results.get_by_test_id("ab-bar").count() == 2
    received = {u: [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(u)]
                for u in USERS}
    assert all(len([t for t in texts if t[:2] in ("A:", "B:")]) == 1 for texts in received.values()), received
    snap("results")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_ab_results_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    [broadcast] = [b for b in api_request(system, token, "GET", "/api/broadcasts")["items"] if b["name"] == "春の告知 A/B"]
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/broadcasts/{broadcast['broadcast_id']}")
    page.get_by_test_id("ab-verdict").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the A/B results scroll sideways on a phone ({width}px)"
    snap("phone-results")
    assert browser_errors == []
