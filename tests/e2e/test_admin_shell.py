"""The admin shell in Chromium: Japanese first, English on demand, dev login, a usable phone layout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import AdminBackend, dev_login

pytestmark = pytest.mark.e2e


def test_login_screen_is_japanese_and_dev_login_reaches_the_dashboard(
    page: Any, admin_url: str, admin_backend: AdminBackend, browser_errors: list[str], snap: Any
) -> None:
    page.goto(admin_url)
    page.get_by_role("heading", name="ログイン", exact=True).wait_for()
    page.wait_for_function("location.hash === '#/login'")
    assert page.locator("input[name=workspace_id]").input_value() == "ws_demo"
    snap("login")

    dev_login(page, admin_url, email="hanako@example.jp", workspace_id="ws_demo", role="admin")

    assert page.evaluate("location.hash") == "#/dashboard"
    assert page.get_by_test_id("workspace-name").inner_text().endswith("ws_demo")
    # The dashboard is a lazily loaded chunk: wait for its heading (is_visible() alone would not wait and raced it)
    page.get_by_role("heading", name="ダッシュボード", exact=True).wait_for(state="visible")
    assert page.get_by_role("navigation", name="メインメニュー").first.is_visible()
    session = json.loads(page.evaluate("sessionStorage.getItem('haishin.session')"))
    assert session["token"] and session["workspaceId"] == "ws_demo" and session["role"] == "admin"
    if admin_backend.stub:
        assert admin_backend.login_requests == [
            {"email": "hanako@example.jp", "workspace_id": "ws_demo", "role": "admin"}
        ]
    assert browser_errors == []


def test_empty_email_is_reported_in_place_and_input_is_kept(page: Any, admin_url: str) -> None:
    page.goto(admin_url)
    page.locator("input[name=workspace_id]").fill("ws_other")
    page.get_by_test_id("login-submit").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "メールアドレスを入力してください" in alert.inner_text()
    assert page.locator("input[name=workspace_id]").input_value() == "ws_other"
    assert page.locator("input[name=email]").get_attribute("aria-invalid") == "true"


def test_switching_to_english_persists_across_screens(
    page: Any, admin_url: str, browser_errors: list[str], snap: Any
) -> None:
    dev_login(page, admin_url)
    page.locator("[data-lang=en]").first.click()
    page.get_by_role("heading", name="Dashboard", exact=True).wait_for()
    assert page.evaluate("localStorage.getItem('haishin.lang')") == "en"
    snap("dashboard-en")
    assert page.evaluate("document.documentElement.lang") == "en"

    # Survives a reload (and the session survives too: sessionStorage)
    page.reload()
    page.get_by_role("heading", name="Dashboard", exact=True).wait_for()

    # Another screen is in English too
    page.locator(".sidebar [data-nav='/friends']").click()
    page.get_by_role("heading", name="Friends", exact=True).wait_for()

    # Settings -> LINE channel setup
    page.locator(".sidebar [data-nav='/settings']").click()
    page.get_by_role("heading", name="Settings", exact=True).wait_for()
    snap("settings-en")
    page.get_by_test_id("settings-link-/settings/channels").click()
    page.get_by_role("heading", name="LINE channel setup", exact=True).wait_for()
    assert page.evaluate("location.hash") == "#/settings/channels"
    assert page.locator(".sidebar [data-nav='/settings']").get_attribute("aria-current") == "page"

    page.locator("[data-lang=ja]").first.click()
    page.get_by_role("heading", name="LINE チャネル接続", exact=True).wait_for()
    assert browser_errors == []


@pytest.mark.viewport(390, 844)
def test_phone_layout_has_a_bottom_tab_bar_and_menu_sheet(page: Any, admin_url: str, snap: Any) -> None:
    dev_login(page, admin_url)
    tabbar = page.get_by_test_id("mobile-nav")
    assert tabbar.is_visible()
    assert not page.locator(".sidebar").is_visible()
    box = tabbar.bounding_box()
    assert box is not None and box["y"] + box["height"] >= 844 - 1  # pinned to the bottom
    # Nothing overflows sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for label in ("ホーム", "友だち", "シナリオ", "一斉配信", "メニュー"):
        assert tabbar.get_by_text(label, exact=True).is_visible()
    snap("dashboard")

    page.get_by_test_id("mobile-menu-button").click()
    sheet = page.get_by_role("dialog", name="メニュー")
    sheet.wait_for()
    for label in ("自動応答", "フォーム", "商品・注文", "設定"):
        assert sheet.get_by_text(label, exact=True).is_visible()
    snap("menu")
    sheet.get_by_text("設定", exact=True).click()
    page.get_by_role("heading", name="設定", exact=True).wait_for()
    assert not sheet.is_visible()


def test_viewer_cannot_open_channel_setup(page: Any, admin_url: str) -> None:
    dev_login(page, admin_url, email="viewer@example.jp", role="viewer")
    page.goto(admin_url + "#/settings")
    page.get_by_role("heading", name="設定", exact=True).wait_for()
    assert page.get_by_test_id("settings-link-/settings/channels").count() == 0
    page.goto(admin_url + "#/settings/channels")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "権限がありません" in alert.inner_text()


def test_unknown_route_shows_not_found_and_logout_returns_to_login(page: Any, admin_url: str) -> None:
    dev_login(page, admin_url)
    page.goto(admin_url + "#/no-such-screen")
    page.get_by_role("heading", name="ページが見つかりません", exact=True).wait_for()
    page.get_by_test_id("logout").click()
    page.get_by_role("heading", name="ログイン", exact=True).wait_for()
    assert page.evaluate("sessionStorage.getItem('haishin.session')") is None


def test_api_error_is_shown_in_place_and_the_form_keeps_its_input(page: Any, admin_url: str, snap: Any) -> None:
    body = {"code": "forbidden", "message": "workspace ws_x is suspended", "where": "workspace_id"}
    page.route(
        "**/_dev/login",
        lambda route: route.fulfill(status=403, content_type="application/json", body=json.dumps(body)),
    )
    page.goto(admin_url)
    page.locator("input[name=email]").fill("ops@example.jp")
    page.locator("input[name=workspace_id]").fill("ws_x")
    page.get_by_test_id("login-submit").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "権限がありません" in text  # what went wrong
    assert "workspace ws_x is suspended" in text  # the API's own message
    assert "workspace_id" in text  # where
    assert "オーナーに依頼" in text  # what to do
    assert page.locator("input[name=email]").input_value() == "ops@example.jp"
    assert page.locator("input[name=workspace_id]").input_value() == "ws_x"
    assert page.locator("input[name=workspace_id]").get_attribute("aria-invalid") == "true"
    snap("error")


def test_missing_config_json_explains_what_to_check(page: Any, admin_url: str) -> None:
    page.route("**/config.json", lambda route: route.fulfill(status=404, body="not here"))
    page.goto(admin_url)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "設定ファイルを読み込めません" in alert.inner_text()
    assert "HTTP 404" in alert.inner_text()
