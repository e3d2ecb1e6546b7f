"""Journey: a marketer filters the friends list, saves the filter as a named segment (a missing name is refused at
the field), finds it in the segments list with its live count, renames it, reuses it as a broadcast's audience (a draft,
then deleted behind a confirm), and deletes the segment behind a confirm; the segments list on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000219"
SECRET = "0123456789abcdef0123456789abcd19"
TOKEN = "e2e-segments-token-" + "e" * 40
WS = "ws_e2e_segments"
OWNER = "owner@segments.example.jp"
USERS = {"U" + "6" * 31 + str(i): name for i, name in enumerate(["小林 凛", "加藤 芽衣", "吉田 陽葵"])}


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    auth, _ = connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室", friends=USERS)
    token = auth["authorization"].removeprefix("Bearer ")
    api_request(s, token, "POST", "/api/subscribers", {"display_name": "メールだけの人", "email": "mail@example.jp"})
    yield s


def test_save_the_friends_filter_as_a_segment_and_reuse_it_in_a_broadcast(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/friends")
    page.get_by_test_id("friends-total").get_by_text("4").wait_for()
    page.get_by_test_id("toggle-filter").click()
    page.get_by_test_id("seg-add-type").select_option("follow")
    page.get_by_test_id("seg-add").click()
    page.get_by_test_id("friends-total").get_by_text("3").wait_for()

    # saved without a name: refused at the field, the filter stays
    page.get_by_test_id("save-segment-open").click()
    page.get_by_test_id("save-segment-save").click()
    page.locator("[data-testid=save-segment] input[name=name][aria-invalid=true]").wait_for()
    assert page.locator("[data-testid=save-segment] [data-field-error=name]").inner_text() == "セグメント名を入力してください"
    page.locator("[data-testid=save-segment] input[name=name]").fill("LINE の友だち")
    page.get_by_test_id("save-segment-save").click()
    page.get_by_test_id("save-segment-done").wait_for()
    snap("saved-from-filter")

    # the segments list: its live count
    page.goto(admin + "#/segments")
    card = page.get_by_test_id("segment-list").locator("li", has_text="LINE の友だち")
    card.wait_for()
    card.locator("[data-testid=segment-live-count][data-count='3']").wait_for()

    # rename it
    card.locator("a.list-card__title").click()
    page.get_by_test_id("segment-editor").wait_for()
    page.locator("input[name=name]").fill("LINE でつながっている友だち")
    page.wait_for_function("document.querySelector('[data-testid=segment-count-value]')?.textContent === '3'")
    page.get_by_test_id("segment-save").click()
    page.get_by_test_id("segment-list").locator("li", has_text="LINE でつながっている友だち").wait_for()

    # reuse it in the broadcast composer
    page.get_by_test_id("segment-send").first.click()
    page.get_by_test_id("broadcast-composer").wait_for()
    assert page.locator("input[name=audience][value=saved]").is_checked()
    page.get_by_test_id("saved-segment-count").locator("strong", has_text="3").wait_for()
    page.locator("select[name=segment_id] option", has_text="LINE でつながっている友だち").wait_for(state="attached")
    assert page.locator("select[name=segment_id] option:checked").inner_text() == "LINE でつながっている友だち"

    # saved as a draft, then thrown away behind the confirm
    page.locator("input[name=name]").fill("下書き: LINE の友だちへ")
    page.locator("textarea[name='content.line[0].text']").fill("まだ送らないお知らせ")
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.get_by_test_id("broadcast-delete").click()
    page.get_by_text("この下書きを削除しますか?").wait_for()
    page.get_by_test_id("broadcast-delete-confirm").click()
    page.get_by_test_id("list-empty").wait_for()  # the broadcasts list, empty again
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    assert api_request(system, token, "GET", "/api/broadcasts")["items"] == []

    # delete it behind the confirm
    page.goto(admin + "#/segments")
    page.get_by_test_id("segment-list").locator("a.list-card__title").first.click()
    page.get_by_test_id("segment-delete").click()
    page.get_by_text("このセグメントを削除しますか?").wait_for()
    page.get_by_test_id("segment-delete-confirm").click()
    page.get_by_test_id("list-empty").wait_for()
    assert api_request(system, token, "GET", "/api/segments")["segments"] == []
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_segments_list_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    api_request(system, token, "POST", "/api/segments", {
        "name": "LINE でつながっている友だち",
        "definition": {"match": "all", "conditions": [{"type": "follow", "status": "following"}]}})
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/segments")
    page.locator("[data-testid=segment-live-count][data-count='3']").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the segments list scrolls sideways on a phone ({width}px)"
    snap("phone-list")
    assert browser_errors == []
