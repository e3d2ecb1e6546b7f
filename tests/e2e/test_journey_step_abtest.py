"""Journey (ステップ配信の A/B テスト): a marketer builds a welcome scenario whose first step has two variants (A: the
step's own message, B: its own message and weight; a weight of 0 is refused at the variant's field), friends follow
the LINE account in the emulator and each receives one variant, one friend opens the tracked link in their message,
and the step shows its A/B results in the scenario editor: per variant recipients, clicks, click rate, the
probability-of-best chart and the verdict sentence. The results on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.http import open_without_redirect
from tests.support.local import connect_workspace

from .helpers import dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000719"
SECRET = "0123456789abcdef0123456789abc719"
TOKEN = "e2e-step-abtest-token-" + "c" * 40
WS = "ws_e2e_step_abtest"
OWNER = "owner@step-abtest.example.jp"
USERS = {"U" + "7" * 31 + str(i): name for i, name in enumerate(["青木 蓮", "石井 凛", "上田 湊", "遠藤 葵", "小川 陽"])}
TARGET = "https://shop.example.jp/welcome"


def _open(url: str) -> None:
    """Open a tracked URL as the friend's phone would, without following the redirect off this machine."""
    status, _location = open_without_redirect(url)
    assert status == 302, status


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室")
    yield s


def test_an_ab_first_step_each_friend_gets_one_variant_and_the_click_shows_in_the_results(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/scenarios/new")
    page.get_by_test_id("scenario-editor").wait_for()
    page.locator("input[name=name]").fill("ようこそ A/B")
    page.locator("textarea[name='steps[0].line[0].text']").fill(f"A: ご来店特典はこちら {TARGET}")
    step = page.locator("[data-testid=scenario-step][data-step-index='0']")
    step.get_by_test_id("step-ab-on").locator("input[type=checkbox]").check()
    variant_b = step.get_by_test_id("ab-variant")
    page.locator("textarea[name='steps[0].variants[1].content.line[0].text']").fill(f"B: 初回 20% オフ {TARGET}")
    page.locator("input[name='steps[0].variants[1].weight']").fill("0")

    # a weight of 0 is refused at the variant's field; what was typed stays
    page.get_by_test_id("scenario-save").click()
    page.locator("input[name='steps[0].variants[1].weight'][aria-invalid=true]").wait_for()
    assert variant_b.locator("[data-field-error='steps[0].variants[1].weight']").inner_text() == "配分（weight）は1〜1000の整数です"
    assert page.locator("textarea[name='steps[0].variants[1].content.line[0].text']").input_value().startswith("B: 初回")
    page.locator("input[name='steps[0].variants[1].weight']").fill("1")
    page.get_by_test_id("scenario-save").click()
    page.wait_for_function("/#\\/scenarios\\/scn_/.test(location.hash)")
    page.get_by_test_id("step-ab-results").wait_for()

    # friends follow the account in the LINE emulator, one after another: each gets exactly one variant
    emulator = system.line_emulator
    for user, name in USERS.items():
        emulator.add_user(user, name)
        assert emulator.follow(CH, user) == 200
        system.drain()
    received = {u: [str((d.get("message") or {}).get("text", "")) for d in emulator.received(u, CH)] for u in USERS}
    assert all(len(texts) == 1 and texts[0][:2] in ("A:", "B:") for texts in received.values()), received
    clicker = next(iter(USERS))
    label = received[clicker][0][0]
    (url,) = re.findall(r"https?://\S+/c/\S+", received[clicker][0])
    _open(url)  # the friend taps the link in their message

    page.reload()
    results = page.get_by_test_id("step-ab-results")
    results.wait_for()
    assert results.get_by_test_id("ab-verdict").inner_text().startswith("まだ判定できません")
    rows = results.get_by_test_id("ab-row")
    assert [rows.nth(i).get_attribute("data-label") for i in range(rows.count())] == ["A", "B"]
    recipients = {rows.nth(i).get_attribute("data-label"): int(rows.nth(i).locator("td").nth(1).inner_text())
                  for i in range(2)}
    assert recipients == {x: sum(1 for t in received.values() if t[0].startswith(f"{x}:")) for x in ("A", "B")}
    clicks = {rows.nth(i).get_attribute("data-label"): int(rows.nth(i).locator("td").nth(2).inner_text())
              for i in range(2)}
    assert clicks == {x: (1 if x == label else 0) for x in ("A", "B")}
    assert results.get_by_test_id("ab-bar").count() == 2
    snap("results")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_step_ab_results_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/scenarios")
    page.get_by_text("ようこそ A/B").first.click()
    page.get_by_test_id("step-ab-results").get_by_test_id("ab-verdict").wait_for()
    page.get_by_test_id("step-ab-results").scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the step's A/B results scroll sideways on a phone ({width}px)"
    snap("phone-results")
    assert browser_errors == []
