"""Journey: import the Shift_JIS sample CSV (samples/csv, with broken rows on purpose) through the admin: column
mapping, dry-run preview, the sliced run with progress, and the per-row error report (line, column, reason)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

WS = "ws_e2e_import"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "csv" / "subscribers_shift_jis.csv"
FIELDS = [
    {"key": "name", "label": "名前", "type": "text"},
    {"key": "score", "label": "得点", "type": "number"},
    {"key": "birthday", "label": "誕生日", "type": "date"},
    {"key": "visit", "label": "来店日時", "type": "datetime"},
    {"key": "plan", "label": "プラン", "type": "choice", "choices": ["松", "竹", "梅"]},
    {"key": "interests", "label": "興味", "type": "multi_choice", "choices": ["美容", "健康", "旅行"]},
    {"key": "member", "label": "会員", "type": "boolean"},
]


def api(system: Any, method: str, path: str, body: Any = None) -> Any:
    token = system.login(email="owner@csv.example.jp", workspace_id=WS, role="owner")
    return api_request(system, token, method, path, body)


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)  # one LocalSystem per process, shared with the other journeys
    s.create_owner(WS, "owner@csv.example.jp")  # the workspace's first owner, as the create-owner command makes it
    for field in FIELDS:
        api(s, "POST", "/api/fields", field)
    yield s


def test_import_shift_jis_csv_and_see_the_per_row_error_report(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@csv.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/friends")
    page.get_by_test_id("go-import").click()
    page.get_by_role("heading", name="CSV インポート", exact=True).wait_for()

    page.get_by_test_id("import-file").set_input_files(str(SAMPLE))
    page.get_by_test_id("import-mapping").wait_for()
    info = page.get_by_test_id("import-file-info").inner_text()
    assert "subscribers_shift_jis.csv" in info and "5" in info
    # The header was decoded from Shift_JIS: Japanese column names show
    assert "メールアドレス" in page.get_by_test_id("import-mapping").inner_text()

    page.get_by_test_id("import-preview").click()
    preview = page.get_by_test_id("import-preview-result")
    preview.wait_for()
    assert "エラー" in preview.inner_text() and "新規" in preview.inner_text()
    snap("preview")

    page.get_by_test_id("import-run").click()
    page.locator("[data-testid=import-status][data-status=completed]").wait_for(timeout=60_000)
    report = page.get_by_test_id("import-errors")
    report.wait_for()
    lines = {int(x) for x in report.locator("tr[data-line]").evaluate_all("rows => rows.map(r => r.dataset.line)")}
    assert lines == {4, 5, 6}, lines
    text = report.inner_text()
    assert "誕生日" in text and "メールアドレス" in text and "得点" in text and "来店日時" in text
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    snap("report")

    # The good rows are friends now
    page.goto(admin + "#/friends")
    page.get_by_test_id("friends-table").wait_for()
    assert "taro@example.jp" in page.get_by_test_id("friends-table").inner_text()
    assert browser_errors == []
