"""Journeys: on a phone (390 px), the operator opens a friend and manages their scenarios next to the opt-out state:
sees where the welcome scenario stands, is refused (at the scenario select) when starting a draft scenario, starts
the sale scenario, stops one behind a confirm, restarts it, then stops all behind a confirm. On the desktop, the
marketer sees how many friends are in each scenario and wait at each step, and deletes a scenario behind a confirm.

Real local system (LocalSystem + LINE emulator), shared by the journeys of this process, in its own workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

from .helpers import dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000183"
SECRET = "0123456789abcdef0123456789ab0183"
TOKEN = "e2e-enrollments-token-" + "e" * 40
WS = "ws_e2e_enrollments"
OWNER = "owner@ws-e2e-enrollments.example.com"  # what connect_workspace derives from WS
USERS = {"U" + "a" * 32: "田中 一郎", "U" + "b" * 32: "高橋 二郎"}


def steps(prefix: str) -> list[dict[str, Any]]:
    return [{"id": "first", "name": f"{prefix} 1通目", "line": [{"type": "text", "text": f"{prefix}へようこそ"}]},
            {"id": "second", "name": f"{prefix} 2通目", "timing": {"type": "after", "amount": 1, "unit": "days"},
             "line": [{"type": "text", "text": f"{prefix}の2通目"}]}]


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    s = local_system(request)
    auth, _ = connect_workspace(s, WS, CH, SECRET, TOKEN)

    def create(body: dict[str, Any]) -> str:
        status, made = json_request("POST", f"{s.base_url}/api/scenarios", body, auth)
        assert status in (200, 201), made
        return str(made["id"])

    ids = {"welcome": create({"name": "ようこそシナリオ", "triggers": [{"type": "friend_added"}], "steps": steps("ようこそ")}),
           "sale": create({"name": "セールシナリオ", "triggers": [{"type": "admin"}], "steps": steps("セール")}),
           "draft": create({"name": "準備中シナリオ", "status": "draft", "triggers": [{"type": "admin"}],
                            "steps": steps("準備中")})}
    for user, name in USERS.items():
        s.line_emulator.add_user(user, name)
        assert s.line_emulator.follow(CH, user) == 200
    s.drain()
    status, friends = json_request("GET", f"{s.base_url}/api/subscribers", None, auth)
    assert status == 200, friends
    yield {"system": s, "auth": auth, "ids": ids,
           "friend": next(f["subscriber_id"] for f in friends["items"] if f.get("display_name") == "田中 一郎")}


def test_the_welcome_scenario_counts_its_friends_per_step_and_a_scenario_is_deleted_behind_a_confirm(
    world: dict[str, Any], page: Any, browser_errors: list[str], snap: Any
) -> None:
    system, ids = world["system"], world["ids"]
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/scenarios")
    card = page.get_by_test_id("scenario-list").locator("li", has_text="ようこそシナリオ")
    card.get_by_test_id("scenario-active-count").wait_for()
    assert card.get_by_test_id("scenario-active-count").inner_text() == "配信中 2人"  # both friends who added us
    snap("list")

    card.locator("a", has_text="ようこそシナリオ").first.click()
    page.get_by_test_id("enrollment-summary").wait_for()
    assert "配信中 2人 · 完了 0人 · 停止 0人" in page.get_by_test_id("enrollment-summary").inner_text()
    waiting = page.get_by_test_id("step-waiting").all_inner_texts()
    assert waiting == ["この手前で待機中 0人", "この手前で待機中 2人"], waiting  # step 1 sent, both wait for 2
    snap("editor")

    page.goto(admin + f"#/scenarios/{ids['draft']}")
    page.get_by_test_id("scenario-delete").click()
    page.get_by_test_id("scenario-delete-confirm").click()
    page.wait_for_function("location.hash === '#/scenarios'")
    page.get_by_test_id("scenario-list").wait_for()
    assert "準備中シナリオ" not in page.get_by_test_id("scenario-list").inner_text()
    assert browser_errors == []


@pytest.mark.viewport(390, 844)
def test_manage_a_friends_scenarios_on_a_phone(world: dict[str, Any], page: Any, browser_errors: list[str],
                                               snap: Any) -> None:
    system, ids, friend = world["system"], world["ids"], world["friend"]
    # the draft scenario again (the desktop journey deleted the first one)
    status, made = json_request("POST", f"{system.base_url}/api/scenarios",
                                {"name": "下書きシナリオ", "status": "draft", "triggers": [{"type": "admin"}],
                                 "steps": steps("下書き")}, world["auth"])
    assert status in (200, 201), made
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/friends/{friend}")
    panel = page.get_by_test_id("enrollments")
    welcome = panel.locator(f"[data-scenario='{ids['welcome']}']")
    welcome.wait_for()
    assert welcome.get_attribute("data-status") == "active"
    assert "次: ようこそ 2通目" in welcome.inner_text()
    page.get_by_test_id("opt-out").wait_for()  # the opt-out state stays on the same page

    # a draft scenario is refused, at the scenario select
    pick = page.get_by_test_id("enrollment-start-pick")
    pick.select_option(label="下書きシナリオ")
    page.get_by_test_id("enrollment-start").click()
    page.locator("[data-field-error=scenario_id]").wait_for()
    assert "配信中ではありません" in page.locator("[data-field-error=scenario_id]").inner_text()
    assert pick.get_attribute("aria-invalid") == "true"
    snap("draft-refused")

    pick.select_option(label="セールシナリオ")
    page.get_by_test_id("enrollment-start").click()
    sale = panel.locator(f"[data-scenario='{ids['sale']}']")
    sale.wait_for()
    assert sale.get_attribute("data-status") == "active"

    page.get_by_test_id(f"enrollment-stop-{ids['welcome']}").click()
    page.get_by_test_id(f"enrollment-stop-{ids['welcome']}-confirm").click()
    panel.locator(f"[data-scenario='{ids['welcome']}'][data-status=stopped]").wait_for()
    page.get_by_test_id(f"enrollment-restart-{ids['welcome']}").click()
    panel.locator(f"[data-scenario='{ids['welcome']}'][data-status=active]").wait_for()

    page.get_by_test_id("enrollments-stop-all").click()
    assert panel.locator("[data-status=active]").count() == 2  # nothing stopped before the confirm
    page.get_by_test_id("enrollments-stop-all-confirm").click()
    page.get_by_test_id("enrollments-notice").filter(has_text="2 件のシナリオを止めました。").wait_for()
    panel.locator("[data-status=active]").first.wait_for(state="detached")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the friend page scrolls sideways on a phone ({width} px)"
    page.get_by_test_id("chat").wait_for()  # the page is fully laid out before scrolling to the panel
    full = snap("phone")  # the whole page (it scrolls), then the panel as a phone shows it
    panel.evaluate("el => el.scrollIntoView({block: \"start\"})")
    page.screenshot(path=str(full.with_name("test_manage_a_friends_scenarios_on_a_phone-viewport.png")))

    status, body = json_request("GET", f"{system.base_url}/api/subscribers/{friend}/enrollments", None, world["auth"])
    assert status == 200 and {e["status"] for e in body["items"]} == {"stopped"}, body
    assert [e for e in browser_errors if "status of 422" not in e] == []
