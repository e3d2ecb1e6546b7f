"""Journey: the crm tasks a marketer did through the API before (issue 18). Adds an e-mail-only contact by hand from
the friends list (a malformed address is refused AT the field, what was typed stays), looks through the CSV import
history and one import's row errors, issues a friend's form URL from the form's page (no friend picked is refused at
the picker), deletes the form behind the in-page confirm, and merges the same person's phone contact into the e-mail
one from the friend page; then the new screens on a phone (390 px).

Real local system (LocalSystem), shared with the other journeys (own workspace and owner).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

WS = "ws_e2e_crmtasks"
OWNER = "owner@crmtasks.example.jp"


def api(system: Any, method: str, path: str, body: Any = None) -> Any:
    return api_request(system, system.login(email=OWNER, workspace_id=WS, role="owner"), method, path, body)


def unexpected(errors: list[str]) -> list[str]:
    """Browser errors other than the 4xx answers this journey provokes on purpose (Chromium logs those)."""
    return [e for e in errors if not any(f"status of {s}" in e for s in (409, 422))]


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    s.create_owner(WS, OWNER)
    yield s


def run_import(system: Any, filename: str, csv: str) -> dict[str, Any]:
    job = api(system, "POST", "/api/imports", {"filename": filename, "csv": csv})
    for _ in range(20):
        job = api(system, "POST", f"/api/imports/{job['import_id']}/start")
        if job["status"] in ("completed", "failed"):
            break
    return dict(job)


def test_add_a_friend_see_imports_issue_a_form_link_delete_the_form(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # 友だちを追加: a malformed address is refused at the field, the typed values stay; then the friend's page
    page.locator("nav.sidebar [data-nav='/friends']").click()
    page.get_by_test_id("friend-add-new").click()
    editor = page.get_by_test_id("friend-add-editor")
    editor.locator("input[name=display_name]").fill("山本 メール会員")
    editor.locator("input[name=email]").fill("yamamoto-at-example.jp")
    page.get_by_test_id("friend-add-save").click()
    editor.locator("[data-field-error=email]").wait_for()
    assert "メールアドレスの形式ではありません" in editor.locator("[data-field-error=email]").inner_text()
    assert editor.locator("input[name=display_name]").input_value() == "山本 メール会員"
    snap("add-friend-error")
    editor.locator("input[name=email]").fill("yamamoto@example.jp")
    page.get_by_test_id("friend-add-save").click()
    page.wait_for_url(re.compile(r".*#/friends/[^/]+$"))
    page.get_by_role("heading", name="山本 メール会員").wait_for()
    friend_page = page.url
    # the same address again is refused at the field, in Japanese (one address, one friend)
    page.goto(admin + "#/friends/new")
    page.get_by_test_id("friend-add-editor").locator("input[name=email]").fill("Yamamoto@example.jp")
    page.get_by_test_id("friend-add-save").click()
    taken = page.get_by_test_id("friend-add-editor").locator("[data-field-error=email]")
    taken.wait_for()
    assert "すでに別の友だちに登録されています" in taken.inner_text()

    # インポート履歴: one import with a bad row; the history lists it, its page shows the row's error
    run_import(system, "会員リスト.csv", "メールアドレス,表示名\r\nkato@example.jp,加藤\r\nnot-an-address,壊れた行\r\n")
    page.goto(admin + "#/friends/import")
    page.get_by_test_id("go-import-history").click()
    row = page.locator("[data-testid=import-row]", has_text="会員リスト.csv")
    row.wait_for()
    assert row.get_attribute("data-status") == "completed"
    row.locator("a").click()
    page.get_by_test_id("import-detail").wait_for()
    errors = page.get_by_test_id("import-detail-errors")
    errors.wait_for()
    errors.locator("tr[data-line='3']").wait_for()  # the bad address on line 3 (the header is line 1)
    assert page.get_by_test_id("import-detail-counts").inner_text() == "1 / 0 / 0 / 1"
    snap("import-detail")

    # 友だち用URLを発行 on the form's page: no friend picked is refused at the picker; then a URL bound to the friend
    form = api(system, "POST", "/api/forms", {"name": "来店アンケート", "title": "ご感想",
                                             "fields": [{"key": "q1", "label": "ご感想"}]})
    page.goto(admin + f"#/forms/{form['form_id']}")
    panel = page.get_by_test_id("form-link")
    panel.wait_for()
    page.get_by_test_id("form-link-issue").click()
    panel.locator("[data-field-error=subscriber_id]").wait_for()
    page.get_by_test_id("form-link-search").fill("山本")
    page.get_by_test_id("form-link-friend").select_option(label="山本 メール会員 / yamamoto@example.jp")
    page.get_by_test_id("form-link-issue").click()
    url = page.get_by_test_id("form-link-url")
    url.wait_for()
    assert f"/f/{form['form_id']}" in url.inner_text() and "?" in url.inner_text()
    snap("form-link")

    # フォームを削除: nothing happens before the confirm; then the list no longer has it
    page.get_by_test_id("form-delete").click()
    assert any(f["form_id"] == form["form_id"] for f in api(system, "GET", "/api/forms")["items"])
    page.get_by_test_id("form-delete-confirm").click()
    page.wait_for_url(re.compile(r".*#/forms$"))
    page.get_by_test_id("list-empty").wait_for()
    assert api(system, "GET", "/api/forms")["items"] == []

    # 友だちを統合: the same person also came in by phone; folded into the e-mail contact from its page
    api(system, "POST", "/api/subscribers", {"display_name": "山本 (電話)", "phone": "090-5555-1234"})
    page.goto(friend_page)
    page.get_by_test_id("friend-merge-link").click()
    page.get_by_test_id("friend-merge").wait_for()
    page.get_by_test_id("friend-merge-search").fill("電話")
    page.get_by_test_id("friend-merge-friend").select_option(label="山本 (電話) / +819055551234")
    page.get_by_test_id("friend-merge-run").click()
    page.get_by_test_id("friend-merge-run-confirm").click()
    page.wait_for_url(friend_page)
    page.get_by_test_id("profile").get_by_text("+819055551234").wait_for()  # the phone came with the merge
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_add_friend_and_import_history_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    run_import(system, "スマホ確認用.csv", "メールアドレス\r\nphone-check@example.jp\r\n")
    page.goto(admin + "#/friends/imports")
    page.locator("[data-testid=import-row]", has_text="スマホ確認用.csv").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("import-history")
    page.goto(admin + "#/friends/new")
    page.get_by_test_id("friend-add-editor").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("add-friend")
    assert unexpected(browser_errors) == []
