"""Journey: a marketer defines friend fields (友だち情報欄) and uses them on a friend. Defines "担当店舗", a required
choice field (a choice field without choices is refused at the choices), sees it on the friend page with its label
and choices in definition order, sets it, and cannot clear it (the API's refusal shown at the field); then the
fields list and the friend page on a phone (390 px).

Real local system (LocalSystem), shared with the other journeys (own workspace and owner).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

WS = "ws_e2e_fields"
OWNER = "owner@fields.example.jp"


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


def test_define_a_choice_field_set_it_on_a_friend_and_cannot_clear_it(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # 設定 → 友だち情報欄: a text field first (it will come second)
    page.goto(admin + "#/settings")
    page.get_by_test_id("settings-link-/settings/fields").click()
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("field-new").click()
    editor = page.get_by_test_id("field-editor")
    editor.locator("input[name=label]").fill("ご要望メモ")
    editor.locator("input[name=key]").fill("memo")
    editor.locator("input[name=position]").fill("2")
    page.get_by_test_id("field-save").click()
    page.locator("[data-testid=field-row][data-key=memo]").wait_for()

    # A choice field without choices: refused AT the choices, what was typed kept
    page.get_by_test_id("field-new").click()
    editor.locator("input[name=label]").fill("担当店舗")
    editor.locator("input[name=key]").fill("shop")
    editor.locator("select[name=type]").select_option("choice")
    editor.locator("input[name=required]").check()
    page.get_by_test_id("field-save").click()
    editor.locator("[data-field-error=choices]").wait_for()
    assert "選択肢" in editor.locator("[data-field-error=choices]").inner_text()
    assert editor.locator("input[name=label]").input_value() == "担当店舗"
    snap("choices-error")
    editor.locator("textarea[name=choices]").fill("渋谷店\n新宿店\n横浜店")
    page.get_by_test_id("field-save").click()
    row = page.locator("[data-testid=field-row][data-key=shop]")
    row.wait_for()
    assert "渋谷店 / 新宿店 / 横浜店" in row.inner_text() and "必須" in row.inner_text()
    assert [r.get_attribute("data-key") for r in page.get_by_test_id("field-row").all()] == ["shop", "memo"]
    snap("fields")

    # The friend page shows the fields in definition order, with their labels; the choices as a select
    friend = api(system, "POST", "/api/subscribers", {"display_name": "佐藤 美咲", "email": "sato@fields.example.jp"})
    page.goto(admin + f"#/friends/{friend['subscriber_id']}")
    fields = page.get_by_test_id("fields")
    fields.wait_for()
    assert fields.locator(".field__label").all_inner_texts() == ["担当店舗(必須)", "ご要望メモ"]
    shop = fields.locator("select[name='fields.shop']")
    assert shop.locator("option").all_inner_texts() == ["—", "渋谷店", "新宿店", "横浜店"]
    shop.select_option("新宿店")
    fields.locator("input[name='fields.memo']").fill("ジェルネイル希望")
    page.get_by_test_id("fields-save").click()
    fields.get_by_text("保存しました").wait_for()
    stored = {f["key"]: f["value"] for f in api(system, "GET", f"/api/subscribers/{friend['subscriber_id']}")["fields"]}
    assert stored == {"shop": "新宿店", "memo": "ジェルネイル希望"}

    # A required value cannot be cleared: the API's 422 is shown AT the field; the stored value stays
    page.reload()
    shop.wait_for()
    assert shop.input_value() == "新宿店"
    shop.select_option("")
    page.get_by_test_id("fields-save").click()
    error = fields.locator("[data-field-error='fields.shop']")
    error.wait_for()
    assert "必須項目" in error.inner_text()
    snap("required-error")
    stored = {f["key"]: f["value"] for f in api(system, "GET", f"/api/subscribers/{friend['subscriber_id']}")["fields"]}
    assert stored["shop"] == "新宿店"
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_fields_and_the_friends_fields_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    api(system, "POST", "/api/fields", {"key": "visits", "label": "来店回数", "type": "number", "position": 5})
    friend = api(system, "POST", "/api/subscribers", {"display_name": "高橋 さくら", "email": "takahashi@fields.example.jp",
                                                      "fields": {"visits": 3}})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/fields")
    page.locator("[data-testid=field-row][data-key=visits]").wait_for()
    snap("fields")
    page.goto(admin + f"#/friends/{friend['subscriber_id']}")
    fields = page.get_by_test_id("fields")
    fields.wait_for()
    assert fields.locator("input[name='fields.visits']").input_value() == "3"
    fields.scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("friend-fields")
    assert unexpected(browser_errors) == []
