"""Journey (クロス分析): friends with tags and inflow routes exist (LINE friends of the emulator and friends added by
hand, one of whom has blocked the account); the marketer opens クロス分析 from the navigation, first picks 流入経路 for
both axes (refused at the column's field), then タグ x 流入経路, sees the right counts and totals, switches to row
shares, counts the blocked friend too when asked, and downloads the CSV (UTF-8 with BOM, then Shift_JIS) and checks
its content. The screen on a phone (390 px): the table scrolls inside its card, the page does not.

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000261"
SECRET = "0123456789abcdef0123456789abcd61"
TOKEN = "e2e-cross-token-" + "x" * 40
WS = "ws_e2e_cross"
OWNER = "owner@cross.example.jp"
USERS = {"U" + "d1" * 16: "ライン一郎", "U" + "d2" * 16: "ライン二郎"}


def api(system: Any, method: str, path: str, body: Any = None) -> Any:
    return api_request(system, system.login(email=OWNER, workspace_id=WS, role="owner"), method, path, body)


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, friends=USERS)
    for name in ("VIP", "常連"):
        api(s, "POST", "/api/tags", {"name": name})
    for i, (tags, route) in enumerate([(["VIP"], "店頭ポスター"), (["VIP", "常連"], "店頭ポスター"),
                                       (["常連"], "Instagram広告"), ([], "Instagram広告")]):
        api(s, "POST", "/api/subscribers", {"display_name": f"手入力{i}", "email": f"cross-e2e{i}@example.com",
                                            "tags": tags, "inflow_route": route})
    listing = api(s, "GET", "/api/subscribers?limit=50")
    for friend in listing["items"]:
        if friend.get("display_name") in USERS.values():
            api(s, "PATCH", f"/api/subscribers/{friend['subscriber_id']}",
                {"add_tags": ["VIP"], "inflow_route": "店頭ポスター"})
    s.line_emulator.unfollow(CH, next(iter(USERS)))
    s.drain()
    yield s


def unexpected(errors: list[str]) -> list[str]:
    return [e for e in errors if "status of 422" not in e]


def count_at(page: Any, row: str, column: str) -> int:
    cell = page.locator(f"[data-testid=cx-table] tr[data-row='{row}'] td[data-column='{column}']")
    return int(cell.get_attribute("data-count"))


def download(page: Any) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id("cx-csv").click()
    return Path(info.value.path()).read_bytes()


def test_tag_by_route_counts_shares_and_csv(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.locator("nav.sidebar [data-nav='/analysis/cross']").click()
    page.get_by_test_id("cx-empty").wait_for()

    # 流入経路 on both axes: refused AT the column's field
    page.get_by_test_id("cx-rows-kind").select_option("route")
    page.get_by_test_id("cx-columns-kind").select_option("route")
    page.get_by_test_id("cx-run").click()
    error = page.locator("[data-field-error='columns.kind']")
    error.wait_for()
    assert "同じ項目" in error.inner_text()
    snap("same-dimension")

    # タグ x 流入経路
    page.get_by_test_id("cx-rows-kind").select_option("tag")
    page.get_by_test_id("cx-run").click()
    page.get_by_test_id("cx-table").wait_for()
    assert page.locator("[data-field-error='columns.kind']").count() == 0
    assert count_at(page, "VIP", "店頭ポスター") == 3  # two by hand, the LINE friend still following
    assert count_at(page, "VIP", "Instagram広告") == 0
    assert count_at(page, "常連", "Instagram広告") == 1
    assert count_at(page, "タグなし", "Instagram広告") == 1
    assert count_at(page, "total", "total") == 5
    assert count_at(page, "VIP", "total") == 3
    page.get_by_test_id("cx-show").select_option("row")
    cell = page.locator("[data-testid=cx-table] tr[data-row='常連'] td[data-column='Instagram広告']")
    assert cell.inner_text() == "50.0%"
    snap("tag-by-route")

    # the CSV, as Excel opens it (UTF-8 with BOM), then in Shift_JIS
    data = download(page)
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "タグ＼流入経路" and rows[0][-1] == "合計"
    vip = next(r for r in rows if r[0] == "VIP")
    assert vip[rows[0].index("店頭ポスター")] == "3" and vip[-1] == "3"
    assert rows[-1] == ["合計", *rows[-1][1:-1], "5"]
    page.get_by_test_id("cx-encoding").select_option("cp932")
    sjis = list(csv.reader(io.StringIO(download(page).decode("cp932"))))
    assert sjis == rows

    # the friend who blocked the account, when asked
    page.get_by_test_id("cx-blocked").check()
    page.get_by_test_id("cx-run").click()
    page.locator("[data-testid=cx-table] tr[data-row='total'] td[data-column='total'][data-count='6']").wait_for()
    assert count_at(page, "VIP", "店頭ポスター") == 4
    assert unexpected(browser_errors) == []


@pytest.mark.viewport(390, 844)
def test_cross_analysis_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/analysis/cross")
    page.get_by_test_id("cx-run").click()
    page.get_by_test_id("cx-table").wait_for()
    assert count_at(page, "VIP", "店頭ポスター") == 3
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on a phone: {width}px"
    snap("phone")
    assert unexpected(browser_errors) == []
