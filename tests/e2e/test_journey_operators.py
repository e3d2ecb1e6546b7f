"""Journey: the owner invites a staff member as an operator (オペレーター) without "LINEユーザーIDの閲覧"; signed in as that
operator, the friends list and the friend's page show no LINE user ID (the owner's do); the owner finds the invitation
in the audit log (監査ログ). Plus: Stripe keys are write-only (masked hints, no drafts), and the screens on a phone.

Real local system (LocalSystem + LINE emulator), shared with the other journeys (each in its own workspace).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import ARTIFACTS
from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000077"
SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
TOKEN = "e2e-operators-token-" + "c" * 40
WS = "ws_e2e_operators"
USER = "U" + "7" * 32
OWNER = "owner@operators.example.jp"
STAFF = "staff@example.jp"


def unexpected(errors: list[str]) -> list[str]:
    """Browser errors other than the 4xx answers this journey provokes on purpose (Chromium logs those)."""
    return [e for e in errors if not any(f"status of {s}" in e for s in (409, 422))]


def api(system: Any, method: str, path: str, body: Any = None, *, email: str = OWNER, role: str = "owner") -> Any:
    return api_request(system, system.login(email=email, workspace_id=WS, role=role), method, path, body)


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    s.create_owner(WS, OWNER)  # the workspace's first owner, as the create-owner command makes it
    emu = s.line_emulator
    emu.register_channel(CH, SECRET, TOKEN, display_name="ハイシンネイル")
    channel = api(s, "POST", "/api/channels", {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN})
    emu.set_webhook_url(CH, channel["webhook_url"])
    emu.add_user(USER, "佐藤 美咲")
    emu.follow(CH, USER)
    s.drain()
    yield s


def open_friend(page: Any) -> str:
    """Friends list -> the one friend's page; returns the profile card's text."""
    page.get_by_test_id("friends-table").wait_for()
    page.get_by_test_id("friend-row").first.locator("a").click()
    page.get_by_role("heading", name="佐藤 美咲").wait_for()
    profile = page.get_by_test_id("profile")
    profile.wait_for()
    return str(profile.inner_text())


def test_owner_invites_an_operator_who_cannot_see_line_user_ids(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # Control: the owner may see LINE user IDs
    page.goto(admin + "#/friends")
    assert USER in open_friend(page)

    # 設定 → オペレーターと権限
    page.goto(admin + "#/settings")
    page.get_by_test_id("settings-link-/settings/operators").click()
    page.get_by_role("heading", name="オペレーターと権限", exact=True).wait_for()
    form = page.get_by_test_id("operator-invite")

    # The server's check, shown at the field it names (email); what was typed stays
    form.locator("input[name=email]").fill("not-an-address")
    page.get_by_test_id("operator-invite-submit").click()
    form.locator("[data-field-error=email]").wait_for()
    assert form.locator("input[name=email]").input_value() == "not-an-address"

    form.locator("input[name=email]").fill(STAFF)
    form.locator("input[name=display_name]").fill("受付スタッフ 田中")
    form.locator("select[name=role]").select_option("operator")
    form.locator("select[name=channel_id]").select_option(CH)
    boxes = page.get_by_test_id("invite-permissions")
    line_ids = boxes.locator("input[data-permission=view_line_user_ids]")
    assert boxes.get_by_text("LINEユーザーIDの閲覧").is_visible()
    assert not line_ids.is_checked()  # an operator's role leaves it out
    # Granting it then taking it back leaves no override; CSV export is granted on top of the role
    line_ids.check()
    assert boxes.locator(".perm--changed").count() == 1
    line_ids.uncheck()
    boxes.locator("input[data-permission=export_csv]").check()
    boxes.locator("input[data-permission=send_broadcasts]").uncheck()
    assert not line_ids.is_checked()
    snap("invite-form")
    page.get_by_test_id("operator-invite-submit").click()
    row = page.locator(f"[data-testid=operator-row][data-email='{STAFF}']")
    row.wait_for()
    assert "オペレーター" in row.inner_text() and "招待中" in row.inner_text()
    assert row.locator("[data-granted=export_csv]").is_visible() and row.locator("[data-denied=send_broadcasts]").is_visible()
    assert form.locator("input[name=email]").input_value() == ""

    stored = next(o for o in api(system, "GET", "/api/operators")["items"] if o["email"] == STAFF)
    assert stored["role"] == "operator" and stored["channel_id"] == CH
    assert stored["granted"] == ["export_csv"] and stored["denied"] == ["send_broadcasts"]

    # Inviting the same address again: 409 where=email, at the e-mail field
    form.locator("input[name=email]").fill(STAFF)
    page.get_by_test_id("operator-invite-submit").click()
    form.locator("[data-field-error=email]").wait_for()
    assert "すでに登録されています" in form.locator("[data-field-error=email]").inner_text()
    snap("operators")

    # The operator signs in (own tab: sessions are per tab) and opens the same friend: no LINE user ID anywhere
    staff = page.context.new_page()
    staff.on("pageerror", lambda exc: browser_errors.append(f"pageerror (staff): {exc}"))
    staff.on("console", lambda msg: msg.type == "error" and browser_errors.append(f"console (staff): {msg.text}"))
    dev_login(staff, admin, email=STAFF, workspace_id=WS, role="operator")
    staff.goto(admin + "#/friends")
    staff.get_by_test_id("friends-table").wait_for()
    assert USER not in staff.locator("main").inner_text()
    profile = open_friend(staff)
    assert "佐藤 美咲" in staff.locator("main").inner_text()
    assert USER not in profile and USER not in staff.content()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    staff.screenshot(path=str(ARTIFACTS / "test_owner_invites_an_operator_who_cannot_see_line_user_ids-staff-friend.png"),
                     full_page=True)
    # ... and the operator's settings hub has no operators / audit log / Stripe entries
    staff.goto(admin + "#/settings")
    staff.get_by_test_id("workspace-settings").wait_for()
    assert staff.get_by_test_id("settings-link-/settings/operators").count() == 0
    assert staff.get_by_test_id("settings-link-/settings/audit-log").count() == 0
    staff.close()

    # The owner sees the invitation in the audit log (newest first), also when filtering by kind
    page.goto(admin + "#/settings/audit-log")
    page.get_by_test_id("audit-table").wait_for()
    with page.expect_response(lambda r: "target_kind=operators" in r.url):
        page.get_by_test_id("audit-kind").select_option("operators")
    first = page.locator("[data-testid=audit-row][data-kind=operators]").first
    first.wait_for()
    # the response can arrive before the table re-renders: wait until the filtered rows replaced the others
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=audit-row]')]"
                           ".every(r => r.dataset.kind === 'operators')")
    rows = page.get_by_test_id("audit-row")
    assert rows.count() >= 1 and all(k == "operators" for k in rows.evaluate_all("rs => rs.map(r => r.dataset.kind)"))
    text = first.inner_text()
    assert "POST /api/operators" in text and OWNER in text and "201" in text
    snap("audit-log")
    assert unexpected(browser_errors) == []


def test_owner_changes_then_removes_an_operator(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    email = "parttime@example.jp"
    api(system, "POST", "/api/operators", {"email": email, "role": "viewer"})
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/operators")
    row = page.locator(f"[data-testid=operator-row][data-email='{email}']")
    row.get_by_test_id("operator-edit-toggle").click()
    edit = page.get_by_test_id("operator-edit")
    edit.locator("select[name=role]").select_option("operator")
    edit.locator("input[data-permission=view_line_user_ids]").check()
    page.get_by_test_id("operator-save").click()
    row.locator("[data-granted=view_line_user_ids]").wait_for()
    stored = next(o for o in api(system, "GET", "/api/operators")["items"] if o["email"] == email)
    assert stored["role"] == "operator" and stored["granted"] == ["view_line_user_ids"]
    row.get_by_test_id("operator-remove").click()
    snap("confirm-remove")
    row.get_by_test_id("operator-remove-confirm").click()
    row.wait_for(state="detached")
    assert all(o["email"] != email for o in api(system, "GET", "/api/operators")["items"])
    assert unexpected(browser_errors) == []


def test_stripe_keys_are_write_only(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    secret = "sk_test_e2eSecretValue0000a1b2"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/stripe")
    form = page.get_by_test_id("stripe-keys-form-test")
    form.wait_for()
    key = form.locator("input[name=secret_key]")
    assert key.get_attribute("type") == "password" and key.input_value() == ""
    # what to paste into Stripe's dashboard: this workspace's endpoint on this system, and the events to send
    assert page.get_by_test_id("stripe-webhook-url").inner_text() == f"{system.base_url}/stripe/webhook/{WS}"
    assert "invoice_payment.paid" in page.get_by_test_id("stripe-webhook-events").inner_text()

    # Live mode without live keys: refused, at the switch
    page.get_by_test_id("stripe-mode-live").click()
    page.locator("[data-field-error=stripe_mode]").wait_for()

    # A live key in the test slot: refused at the field
    key.fill("sk_live_wrongmode1234")
    page.get_by_test_id("stripe-save-test").click()
    form.locator("[data-field-error=secret_key]").wait_for()

    key.fill(secret)
    form.locator("input[name=webhook_secrets]").fill("whsec_e2eSigning9z8y")
    page.get_by_test_id("stripe-save-test").click()
    page.get_by_test_id("stripe-saved").wait_for()
    assert page.get_by_test_id("stripe-hint-test-secret_key").inner_text().endswith("a1b2")
    assert page.get_by_test_id("stripe-hint-test-webhook").first.inner_text().endswith("9z8y")
    assert key.input_value() == "" and form.locator("input[name=webhook_secrets]").input_value() == ""
    html = page.content()
    storage = page.evaluate("JSON.stringify({...sessionStorage}) + JSON.stringify({...localStorage})")
    assert secret not in html and "whsec_e2eSigning9z8y" not in html
    assert secret not in storage and "whsec_e2eSigning9z8y" not in storage
    page.reload()
    page.get_by_test_id("stripe-hint-test-secret_key").wait_for()
    assert page.get_by_test_id("stripe-keys-form-test").locator("input[name=secret_key]").input_value() == ""
    snap("saved")
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_operator_screens_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    for path, ready, name in (
        ("#/settings/operators", "operator-invite", "operators"),
        ("#/settings/audit-log", "audit-table", "audit-log"),
        ("#/settings/stripe", "stripe-mode", "stripe"),
    ):
        page.goto(admin + path)
        page.get_by_test_id(ready).wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, f"horizontal scroll on a phone ({name}): {width}px"
        snap(name)
    assert unexpected(browser_errors) == []
