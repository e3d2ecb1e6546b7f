"""Journey: build a 3-step scenario (trigger: friend added) in the timeline editor, see the LINE preview, fix a
validation error the API names at the step's field, add a friend through the LINE emulator and watch step 1 arrive
(in the emulator, and in the admin's simulator and this friend's delivery history).

Runs against the real local system (``LocalSystem``: DynamoDB Local, moto server, LINE emulator), the one shared by
the journeys of this process (``test_journey_channel.local_system``), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000101"
SECRET = "0123456789abcdef0123456789abcd01"
TOKEN = "e2e-scenario-token-" + "b" * 40
WS = "ws_e2e_scenario"
USER = "U" + "5" * 32


def api(system: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    return api_request(system, token, method, path, body)


def unexpected(errors: list[str]) -> list[str]:
    """Browser errors other than the 422 this journey provokes on purpose (Chromium logs those)."""
    return [e for e in errors if "status of 422" not in e]


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)  # one LocalSystem per process, shared with the other journeys (own workspace here)
    s.create_owner(WS, "owner@scenario.example.jp")  # the workspace's first owner, as the create-owner command makes it
    s.line_emulator.register_channel(
        CH, SECRET, TOKEN, display_name="ハイシン美容室", webhook_url=f"{s.base_url}/line/webhook/{CH}"
    )
    token = s.login(email="owner@scenario.example.jp", workspace_id=WS, role="owner")
    api(s, token, "POST", "/api/channels", {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN})
    s.line_emulator.add_user(USER, "山田 花子")
    yield s


def _fill_step_text(page: Any, index: int, text: str) -> None:
    page.locator(f"textarea[name='steps[{index}].line[0].text']").fill(text)


def test_build_a_three_step_scenario_and_watch_step_1_arrive(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@scenario.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/scenarios")
    page.get_by_role("heading", name="シナリオ", exact=True).wait_for()
    page.get_by_test_id("scenario-new").first.click()
    page.get_by_test_id("scenario-editor").wait_for()

    page.locator("input[name=name]").fill("ご来店ありがとうシナリオ")
    assert page.locator("select[name='triggers[0].type']").input_value() == "friend_added"
    # step 1: immediately, text with a variable inserted by the button
    _fill_step_text(page, 0, "ようこそ ")
    page.locator("[data-testid=scenario-step][data-step-index='0'] [data-insert-var=name]").click()
    page.locator("textarea[name='steps[0].line[0].text']").press("End")
    page.locator("textarea[name='steps[0].line[0].text']").type(" さん、友だち追加ありがとうございます!")
    page.locator("[data-testid=scenario-step][data-step-index='0'] input[name='steps[0].line[0].quickReply']").fill(
        "予約する, メニューを見る"
    )
    page.locator("[data-testid=scenario-step][data-step-index='0'] input[name='steps[0].line[0].quickReply']").blur()
    preview = page.get_by_test_id("message-preview")
    assert "山田 花子" in preview.inner_text()  # sample value for {{ name }}
    assert preview.get_by_test_id("preview-quick-replies").inner_text().count("予約する") == 1

    # step 2: one day after step 1
    page.get_by_test_id("scenario-add-step").click()
    _fill_step_text(page, 1, "ご来店の感想をお聞かせください。")
    # step 3: day 3 at a wrong time -> the API names steps[2].timing.at
    page.get_by_test_id("scenario-add-step").click()
    page.locator("select[name='steps[2].timing.type']").select_option("day_at")
    page.locator("input[name='steps[2].timing.day']").fill("3")
    page.locator("input[name='steps[2].timing.at']").fill("25:00")
    _fill_step_text(page, 2, "3日目のお得なクーポンです")
    page.get_by_test_id("scenario-save").click()
    alert = page.locator(".notice--error")
    alert.wait_for()
    assert "steps[2].timing.at" in alert.inner_text()
    step3 = page.locator("[data-testid=scenario-step][data-step-index='2']")
    assert "timeline__step--invalid" in (step3.get_attribute("class") or "")
    assert page.locator("input[name='steps[2].timing.at']").get_attribute("aria-invalid") == "true"
    assert page.locator("input[name=name]").input_value() == "ご来店ありがとうシナリオ"  # nothing typed is lost
    snap("validation-error")

    page.locator("input[name='steps[2].timing.at']").fill("10:00")
    page.get_by_test_id("scenario-save").click()
    page.get_by_test_id("scenario-saved").wait_for()
    page.wait_for_function("/#\\/scenarios\\/scn_/.test(location.hash)")
    scenario_id = page.evaluate("location.hash").split("/")[2]
    page.locator("[data-testid=scenario-step][data-step-index='0']").click()
    assert page.locator("[data-testid=scenario-step]").count() == 3
    snap("editor")

    # A friend adds the account in the LINE emulator -> friend_added enrolls -> step 1 is sent at once
    assert system.line_emulator.follow(CH, USER) == 200
    system.drain()
    system.advance(timedelta(minutes=1))  # the step tick (EventBridge cron, every minute) sends what is due
    received = system.line_emulator.received(USER)
    assert received, "friend_added did not enroll the friend: step 1 never reached the emulator"
    # The simulator: choose the friend, see when each step goes out and what this friend has received
    page.get_by_test_id("scenario-simulate-link").click()
    page.get_by_test_id("simulator").wait_for()
    page.locator("select[name=subscriber_id] option", has_text="山田 花子").wait_for(state="attached")
    page.locator("select[name=subscriber_id]").select_option(label="山田 花子")
    texts = [str((r.get("message") or {}).get("text", "")) for r in received]
    assert any("ようこそ 山田 花子 さん" in t for t in texts), texts

    page.get_by_test_id("simulate-run").click()
    result = page.get_by_test_id("simulation-result")
    result.wait_for()
    outcomes = [s.get_attribute("data-outcome") for s in result.get_by_test_id("sim-step").all()]
    # step 1 went out already (at enrollment): the simulator says so; steps 2 and 3 are still ahead
    assert outcomes[0] in ("send", "send_late") and outcomes[1:] == ["send", "send"], outcomes
    assert "10:00" in result.get_by_test_id("sim-step").nth(2).inner_text()

    page.get_by_test_id("friend-history-reload").click()
    page.locator("[data-testid=history-entry][data-kind=step_sent]").first.wait_for()
    snap("step1-arrived")
    assert scenario_id.startswith("scn_")
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_scenario_editor_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@scenario.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/scenarios")
    page.get_by_test_id("scenario-list").wait_for()
    snap("list")
    page.get_by_test_id("scenario-list").locator("a.list-card__title").first.click()
    page.get_by_test_id("scenario-timeline").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the editor scrolls sideways on a phone ({width}px)"
    snap("editor")
    page.locator("textarea[name='steps[0].line[0].text']").scroll_into_view_if_needed()
    page.screenshot(path=str(snap("editor").with_name("test_scenario_editor_on_a_phone-step1-viewport.png")))
    assert unexpected(browser_errors) == []
