"""Journey: the marketer sets the greeting (あいさつメッセージ) of their LINE channel from the settings, is refused
at the message's text for an empty text, fixes it, watches the preview, saves; a new friend who adds the account in
the LINE emulator receives it. Then the same screen on a phone (390 px).

Real local system (LocalSystem + LINE emulator), shared by the journeys of this process, in its own workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000181"
SECRET = "0123456789abcdef0123456789ab0181"
TOKEN = "e2e-greeting-token-" + "g" * 40
WS = "ws_e2e_greeting"
OWNER = "owner@ws-e2e-greeting.example.com"  # what connect_workspace derives from WS
USER = "U" + "8" * 32


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN)
    s.line_emulator.add_user(USER, "佐藤 次郎")
    yield s


def test_set_the_greeting_fix_an_empty_text_and_a_new_friend_receives_it(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings")
    page.get_by_test_id("settings-link-/settings/greeting").click()
    page.get_by_test_id("greeting-editor").wait_for()
    assert not page.locator("[data-testid=greeting-enabled] input").is_checked()  # never set: off, no messages

    page.get_by_test_id("greeting-enabled").click()
    page.locator("[data-testid=greeting-messages] [data-add-message=text]").click()
    text = page.locator("textarea[name='messages[0].text']")
    text.fill("   ")
    page.get_by_test_id("greeting-save").click()
    page.locator(".notice--error").wait_for()
    assert text.get_attribute("aria-invalid") == "true"
    assert "テキストを入力してください" in page.locator("[data-testid=editor-message]").first.inner_text()
    snap("empty-text-refused")

    text.fill("{{ name }} さん、友だち追加ありがとうございます!")
    preview = page.get_by_test_id("message-preview")
    assert "山田 花子 さん、友だち追加ありがとうございます!" in preview.inner_text()  # the sample name
    page.get_by_test_id("greeting-save").click()
    page.get_by_test_id("greeting-saved").wait_for()
    assert text.get_attribute("aria-invalid") != "true"
    snap("saved")

    page.reload()
    page.get_by_test_id("greeting-editor").wait_for()
    assert page.locator("textarea[name='messages[0].text']").input_value() == "{{ name }} さん、友だち追加ありがとうございます!"
    assert page.locator("[data-testid=greeting-enabled] input").is_checked()

    assert system.line_emulator.follow(CH, USER) == 200
    system.drain()
    texts = [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(USER)]
    assert "佐藤 次郎 さん、友だち追加ありがとうございます!" in texts, texts
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_the_greeting_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/greeting")
    page.get_by_test_id("greeting-editor").wait_for()
    page.get_by_test_id("greeting-save").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the greeting editor scrolls sideways on a phone ({width} px)"
    page.screenshot(path=str(snap("phone").with_name("test_the_greeting_on_a_phone-viewport.png")))
    assert browser_errors == []
