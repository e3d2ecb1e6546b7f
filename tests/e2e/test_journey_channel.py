"""Journey: connect an emulated LINE channel through the setup wizard (設定 → LINE チャネル接続) and see it verified.

Runs against the real local system (``LocalSystem``: DynamoDB Local, moto server, LINE emulator) started by a module
fixture, whatever ``HAISHIN_E2E_BACKEND`` says: the journey needs the emulator to press "verify".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import shared_local_system
from .helpers import dev_login

pytestmark = pytest.mark.e2e

CH = "2000000001"
SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "e2e-wizard-token-" + "a" * 40
WS = "ws_e2e_channel"


def unexpected(errors: list[str]) -> list[str]:
    """Browser errors other than the 4xx answers this journey provokes on purpose (Chromium logs those)."""
    return [e for e in errors if "status of 422" not in e]


def local_system(request: pytest.FixtureRequest) -> Any:
    """The one LocalSystem of this test process (tests/e2e/conftest.py), shared by the journeys."""
    return shared_local_system()


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    s.create_owner(WS, "owner@channel.example.jp")  # the workspace's first owner, as the create-owner command makes it
    s.line_emulator.register_channel(CH, SECRET, TOKEN, display_name="ハイシン美容室")
    yield s


def test_connect_channel_through_the_wizard_and_see_it_verified(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@channel.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/channels")
    page.get_by_role("heading", name="LINE チャネル接続", exact=True).wait_for()
    page.get_by_test_id("channel-wizard").wait_for()

    # Client-side format checks, next to the field
    page.locator("input[name=channel_id]").fill("12345")
    page.locator("input[name=channel_secret]").fill("not-hex")
    page.locator("textarea[name=access_token]").click()
    assert "10 桁" in page.locator("[data-field-error=channel_id]").inner_text()
    assert "32 文字" in page.locator("[data-field-error=channel_secret]").inner_text()
    snap("format-errors")

    # The server's own check: LINE rejects this token -> 422 where=access_token, shown by the field; input kept
    page.locator("input[name=channel_id]").fill(CH)
    page.locator("input[name=channel_secret]").fill(SECRET)
    page.locator("textarea[name=access_token]").fill("wrong-token-" + "z" * 30)
    page.get_by_test_id("channel-connect").click()
    page.locator("[data-field-error=access_token]").wait_for()
    assert page.locator("input[name=channel_id]").input_value() == CH
    assert page.locator("[role=alert][data-error-code]").first.is_visible()
    snap("server-error")

    page.locator("textarea[name=access_token]").fill(TOKEN)
    page.get_by_test_id("channel-connect").click()
    page.get_by_test_id("webhook-step").wait_for()
    url = page.get_by_test_id("webhook-url").inner_text().strip()
    assert url.endswith(f"/line/webhook/{CH}")
    card = page.get_by_test_id(f"channel-{CH}")
    card.wait_for()
    assert SECRET not in card.inner_text() and TOKEN not in card.inner_text()  # masked only
    assert "ハイシン美容室" in card.inner_text()

    # The marketer pastes the URL in the console and presses "verify"
    system.line_emulator.set_webhook_url(CH, url)
    assert system.line_emulator.verify_webhook(CH) == 200
    page.locator("[data-testid=webhook-step] [data-testid=status-verified][data-ok='1']").wait_for(timeout=30_000)
    assert "検証を受信しました" in page.get_by_test_id("webhook-step").inner_text()

    # ... and a first friend follows: "first event received"
    system.line_emulator.add_user("U" + "1" * 32, "最初の友だち")
    system.line_emulator.follow(CH, "U" + "1" * 32)
    system.drain()
    page.get_by_test_id("channel-ready").wait_for(timeout=30_000)
    snap("verified")
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_channel_screen_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@channel.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/channels")
    page.get_by_test_id(f"channel-{CH}").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("phone")
    # Rotate with a token LINE rejects: the error is shown in place
    page.get_by_test_id(f"channel-{CH}").get_by_test_id("rotate-toggle").click()
    page.locator("[data-testid=rotate-form] textarea[name=access_token]").fill("bad-" + "q" * 30)
    page.locator("[data-testid=rotate-form] button[type=submit]").click()
    page.locator("[data-testid=rotate-form] [data-field-error=access_token]").wait_for()
    snap("phone-rotate-error")
    assert unexpected(browser_errors) == []


def test_workspace_settings_error_in_place_then_saved(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@channel.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/settings")
    form = page.get_by_test_id("workspace-form")
    form.wait_for()
    form.locator("input[name=name]").fill("ハイシン美容室 渋谷店")
    form.locator("input[name=quiet_hours_start]").fill("21:00")
    page.get_by_test_id("workspace-save").click()
    # the server names quiet_hours_end: shown by that field; what was typed stays
    form.locator("[data-field-error=quiet_hours_end]").wait_for()
    assert form.locator("input[name=name]").input_value() == "ハイシン美容室 渋谷店"
    snap("error")
    form.locator("input[name=quiet_hours_end]").fill("08:00")
    page.get_by_test_id("workspace-save").click()
    page.get_by_test_id("workspace-saved").wait_for()
    page.reload()
    page.get_by_test_id("workspace-form").locator("input[name=name]").wait_for()
    assert page.get_by_test_id("workspace-form").locator("input[name=quiet_hours_end]").input_value() == "08:00"
    assert unexpected(browser_errors) == []
