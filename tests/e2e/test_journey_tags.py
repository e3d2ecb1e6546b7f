"""Journey: a marketer organises tags. Creates a folder and tags (a taken name is refused at the field), moves a tag
into the folder, merges "VIP" into "上得意" after seeing how many friends change, and finds the friend's tag changed
on the friend page (grouped by folder); adds a brand-new tag from the friend page; deletes it after seeing the count;
renames and reorders folders; then the tags screen and the friend page on a phone (390 px).

Real local system (LocalSystem), shared with the other journeys (own workspace and owner).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

WS = "ws_e2e_tags"
OWNER = "owner@tags.example.jp"


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


def tag_card(page: Any, name: str) -> Any:
    return page.get_by_test_id("tag-list").locator(".list-card", has=page.get_by_role("link", name=name, exact=True))


def create_tag(page: Any, admin: str, name: str, folder: str | None = None) -> None:
    page.goto(admin + "#/tags")
    page.get_by_test_id("tag-new").click()
    page.get_by_test_id("tag-editor").wait_for()
    page.get_by_test_id("tag-editor").locator("input[name=name]").fill(name)
    if folder:
        page.get_by_test_id("tag-editor").locator("select[name=folder_id]").select_option(label=folder)
    page.get_by_test_id("tag-save").click()


def test_folders_tags_merge_and_delete_with_the_counts(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # タグ (from the navigation): nothing yet; a folder first
    page.locator("nav.sidebar [data-nav='/tags']").click()
    page.get_by_test_id("list-empty").wait_for()
    folders = page.get_by_test_id("folders")
    folders.locator("input[name=name]").fill("顧客ランク")
    page.get_by_test_id("folder-add").click()
    folders.locator("[data-folder='顧客ランク']").wait_for()

    # Two tags, one in the folder; a third with a taken name is refused AT the name field, the text kept
    create_tag(page, admin, "VIP", folder="顧客ランク")
    page.get_by_test_id("tag-list").first.wait_for()
    create_tag(page, admin, "上得意")
    tag_card(page, "上得意").wait_for()
    create_tag(page, admin, "ｖｉｐ")
    editor = page.get_by_test_id("tag-editor")
    editor.locator("[data-field-error=name]").wait_for()
    assert "すでにあります" in editor.locator("[data-field-error=name]").inner_text()
    assert editor.locator("input[name=name]").input_value() == "ｖｉｐ"
    snap("taken-name")

    # Move 上得意 into the folder with its select; both now sit in 顧客ランク
    page.goto(admin + "#/tags")
    page.locator("[data-testid=tag-move][data-tag='上得意']").select_option(label="顧客ランク")
    group = page.locator("[data-testid=tag-group][data-folder='顧客ランク']")
    group.get_by_role("link", name="上得意", exact=True).wait_for()
    assert group.get_by_role("link", name="VIP", exact=True).is_visible()

    # Two friends carry VIP (they came in through an import, say)
    sato = api(system, "POST", "/api/subscribers", {"display_name": "佐藤 美咲", "email": "sato@example.jp", "tags": ["VIP"]})
    api(system, "POST", "/api/subscribers", {"display_name": "鈴木 一郎", "email": "suzuki@example.jp", "tags": ["VIP"]})

    # Merge VIP into 上得意: the dry run's count first, nothing changes until the confirm
    page.reload()
    group.get_by_role("link", name="VIP", exact=True).click()
    assert page.get_by_test_id("tag-usage").inner_text() == "このタグが付いた友だち: 2人"
    merge = page.get_by_test_id("tag-merge")
    merge.locator("select[name=into_tag_id]").select_option(label="上得意")
    page.get_by_test_id("tag-merge-check").click()
    assert page.get_by_test_id("tag-merge-count").inner_text() == "2人の友だちのタグが変わります"
    assert {t["name"] for t in api(system, "GET", f"/api/subscribers/{sato['subscriber_id']}")["tags"]} == {"VIP"}
    snap("merge-count")
    page.get_by_test_id("tag-merge-confirm").click()
    page.get_by_test_id("tag-list").first.wait_for()
    assert tag_card(page, "VIP").count() == 0
    assert "2人" in tag_card(page, "上得意").inner_text()

    # The friend page: 上得意 under its folder, VIP gone
    page.goto(admin + f"#/friends/{sato['subscriber_id']}")
    page.get_by_role("heading", name="佐藤 美咲").wait_for()
    ranked = page.locator("[data-testid=friend-tag-group][data-folder='顧客ランク']")
    ranked.wait_for()
    assert [t.strip("×").strip() for t in page.get_by_test_id("friend-tag").all_inner_texts()] == ["上得意"]

    # A brand-new tag from the friend page: created inline, then added (no folder yet)
    page.get_by_test_id("friend-tag-input").fill("春キャンペーン")
    assert "新しいタグとして作成" in page.get_by_test_id("friend-tag-create").inner_text()
    page.get_by_test_id("friend-tag-submit").click()
    page.locator("[data-testid=friend-tag-group][data-folder='']").get_by_text("春キャンペーン").wait_for()

    # Delete it from the tags screen: the question names the one friend it comes off
    page.goto(admin + "#/tags")
    tag_card(page, "春キャンペーン").get_by_role("link").click()
    assert page.get_by_test_id("tag-usage").inner_text() == "このタグが付いた友だち: 1人"
    page.get_by_test_id("tag-delete").click()
    page.get_by_text("このタグを削除しますか?1人の友だちからこのタグが外れます。").wait_for()
    snap("delete-count")
    page.get_by_test_id("tag-delete-confirm").click()
    page.get_by_test_id("tag-list").first.wait_for()
    assert tag_card(page, "春キャンペーン").count() == 0
    assert all(t["name"] != "春キャンペーン" for t in api(system, "GET", "/api/tags")["tags"])

    # Folders: add 流入元, move it above 顧客ランク, rename it
    folders.locator("input[name=name]").fill("流入元")
    page.get_by_test_id("folder-add").click()
    folders.locator("[data-folder='流入元']").wait_for()
    folders.locator("[data-folder='流入元'] [data-testid=folder-up]").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=folder-row]')].map(r => r.dataset.folder).join() === '流入元,顧客ランク'"
    )
    folders.locator("[data-folder='流入元'] [data-testid=folder-rename]").click()
    folders.locator("[data-folder='流入元'] input[name=name]").fill("広告経由")
    page.get_by_test_id("folder-rename-save").click()
    folders.locator("[data-folder='広告経由']").wait_for()
    assert [f["name"] for f in api(system, "GET", "/api/tags")["folders"]] == ["広告経由", "顧客ランク"]
    snap("folders")
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_tags_and_the_friends_tags_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    api(system, "POST", "/api/tag-folders", {"name": "スマホで確認"})
    page.goto(admin + "#/tags")
    page.get_by_test_id("folders").locator("[data-folder='スマホで確認']").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("tags")
    shelf = api(system, "POST", "/api/tag-folders", {"name": "来店状況"})
    api(system, "POST", "/api/tags", {"name": "初回来店済み", "folder_id": shelf["folder_id"]})
    api(system, "POST", "/api/tags", {"name": "LINE クーポン利用"})
    friend = api(system, "POST", "/api/subscribers", {"display_name": "高橋 さくら", "email": "takahashi@example.jp",
                                                      "tags": ["初回来店済み", "LINE クーポン利用"]})
    page.goto(admin + f"#/friends/{friend['subscriber_id']}")
    page.locator("[data-testid=friend-tag-group][data-folder='来店状況']").wait_for()
    page.get_by_test_id("tags").wait_for()
    page.get_by_test_id("tags").scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("friend-tags")
    assert unexpected(browser_errors) == []
