"""Journey (サロンズソリューション: LINE メッセージ ターゲティング配信): search customers by attributes, see who is linked to
LINE, download their LINE user IDs as a CSV (an owner may; an operator without the view-LINE-user-IDs permission sees no
button and the API refuses), upload an ID list with a malformed and an unknown row shown in the page by row number,
save the known ones as a list, and send a broadcast to that list; the upload on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000218"
SECRET = "0123456789abcdef0123456789abcd18"
TOKEN = "e2e-idlist-token-" + "d" * 40
WS = "ws_e2e_idlist"
OWNER = "owner@idlist.example.jp"
STAFF = "staff@idlist.example.jp"
USERS = {"U" + "8" * 31 + str(i): name for i, name in enumerate(["伊藤 美咲", "渡辺 彩", "山本 楓"])}
UNKNOWN = "U" + "9" * 32


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    auth, _ = connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン美容室", friends=USERS)
    token = auth["authorization"].removeprefix("Bearer ")
    # a customer who is not on LINE (未紐付け): found by the search, no 〇, not in the ID download
    api_request(s, token, "POST", "/api/subscribers", {"display_name": "中村 葵", "email": "aoi@example.jp"})
    # staff: may export CSV, may not view LINE user IDs (the salon system's permission split)
    api_request(s, token, "POST", "/api/operators", {"email": STAFF, "role": "operator", "granted": ["export_csv"]})
    yield s


def test_search_download_ids_upload_a_list_with_row_errors_and_send_to_it(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # 顧客検索: everyone, with the LINE link status
    page.goto(admin + "#/id-lists")
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("idlist-search").click()
    page.get_by_test_id("idlist-search-table").wait_for()
    page.get_by_test_id("idlist-search-total").get_by_text("4 人が該当").wait_for()
    linked = page.get_by_test_id("idlist-linked").all_inner_texts()
    assert sorted(linked) == ["", "〇", "〇", "〇"]

    # CSV 出力: only the LINE user IDs, one per line
    page.get_by_test_id("idlist-download").click()
    link = page.get_by_test_id("idlist-download-link")
    link.wait_for()
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        ids = response.read().decode("ascii").split()
    assert sorted(ids) == sorted(USERS)
    snap("search")

    # アップロード: two known IDs, a malformed row and an unknown ID
    page.goto(admin + "#/id-lists")
    page.get_by_test_id("idlist-new").first.click()
    page.get_by_test_id("idlist-upload").wait_for()
    known = list(USERS)[:2]
    page.locator("input[name=name]").fill("春の VIP")
    page.locator("textarea[name=text]").fill(f"{known[0]}\nU12345\n{UNKNOWN}\n{known[1]}\n")
    page.get_by_test_id("idlist-check").click()
    problems = page.get_by_test_id("idlist-problems")
    problems.wait_for()
    rows = problems.locator("li").all_inner_texts()
    assert rows[0].startswith("2 行目") and "LINE ユーザーID の形式ではありません" in rows[0]
    assert rows[1].startswith("3 行目") and "この LINE ユーザーID の友だちはいません" in rows[1]
    assert page.locator("textarea[name=text]").get_attribute("aria-invalid") == "true"
    assert "4 行中、友だちが見つかったのは 2 件です" in page.get_by_test_id("idlist-report").inner_text()
    snap("upload-errors")
    page.get_by_test_id("idlist-save").click()
    row = page.get_by_test_id("idlist-row").filter(has_text="春の VIP")
    row.wait_for()
    assert "2" in row.inner_text()

    # このリストに配信: the composer starts with the list as its audience
    row.get_by_test_id("idlist-send").click()
    page.get_by_test_id("broadcast-composer").wait_for()
    page.wait_for_function("document.querySelector('[data-testid=segment-count-value]')?.textContent === '2'")
    page.locator("input[name=name]").fill("春の VIP へのご案内")
    page.locator("textarea[name='content.line[0].text']").fill("VIP のお客様へ、春の特別メニューのご案内です。")
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.locator("input[name=when][value=now]").check()
    page.get_by_test_id("broadcast-go").click()
    page.get_by_test_id("broadcast-progress").wait_for()
    system.drain()
    for user_id in USERS:
        texts = [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(user_id)]
        sent = any("春の特別メニュー" in t for t in texts)
        assert sent == (user_id in known), (user_id, texts)
    assert [e for e in browser_errors if "status of 4" not in e] == []


@pytest.mark.viewport(390, 844)
def test_staff_without_the_line_id_permission_sees_no_download_and_uploads_on_a_phone(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=STAFF, workspace_id=WS, role="operator")
    page.goto(admin + "#/id-lists/search")
    page.get_by_test_id("idlist-no-permission").wait_for()
    assert page.get_by_test_id("idlist-download").count() == 0
    token = system.login(email=STAFF, workspace_id=WS, role="operator")
    with pytest.raises(urllib.error.HTTPError) as refused:
        api_request(system, token, "POST", "/api/exports", {"columns": ["line_user_id"]})
    assert refused.value.code == 403

    page.goto(admin + "#/id-lists/new")
    page.get_by_test_id("idlist-upload").wait_for()
    # the CSV file the salon system gave them (a header line left in: reported as row 1, the rest is fine)
    csv = f"LINEユーザーID\r\n{next(iter(USERS))}\r\nこれはIDではありません\r\n".encode("utf-8-sig")
    page.get_by_test_id("idlist-file").set_input_files({"name": "vip.csv", "mimeType": "text/csv", "buffer": csv})
    page.wait_for_function("document.querySelector('input[name=name]').value === 'vip'")  # named after the file
    page.get_by_test_id("idlist-check").click()
    page.get_by_test_id("idlist-problems").get_by_text("3 行目").wait_for()
    assert page.get_by_test_id("idlist-problems").locator("li").all_inner_texts()[0].startswith("1 行目 LINEユーザーID")
    assert page.locator("textarea[name=text]").get_attribute("aria-invalid") == "true"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the upload page scrolls sideways on a phone ({width}px)"
    snap("phone-upload")
    assert [e for e in browser_errors if "status of 4" not in e] == []
