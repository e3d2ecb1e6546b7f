"""クロス分析 through the local system: LINE friends (the emulator's follows) and friends added by hand, with tags and
inflow routes; tag x route counts active friends (a friend who blocked the account only when asked), a saved segment
narrows them, the CSV downloads in Shift_JIS, and another workspace's tag folder is refused at the field."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500198"
WS = "w_cross"
OTHER_WS = "w_cross_other"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d7e9"
TOKEN = "cross-analysis-token-00000000000000000001"
USERS = {"U" + "c1" * 16: "ライン太郎", "U" + "c2" * 16: "ライン花子"}


def cell(table: dict[str, Any], row: str, column: str) -> int:
    rows = [v["label"] for v in table["rows"]["values"]]
    columns = [v["label"] for v in table["columns"]["values"]]
    return int(table["cells"][rows.index(row)][columns.index(column)])


def test_tag_by_route_blocked_friends_segment_csv_and_refusals(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends=USERS)
    for name in ("VIP", "常連"):
        assert json_request("POST", f"{api}/api/tags", {"name": name}, auth)[0] == 201
    for i, (tags, route) in enumerate([(["VIP"], "ポスター"), (["VIP", "常連"], "ポスター"), (["常連"], "Instagram"),
                                       ([], "Instagram")]):
        status, body = json_request("POST", f"{api}/api/subscribers", {
            "display_name": f"手入力{i}", "email": f"cross{i}@example.com", "tags": tags, "inflow_route": route}, auth)
        assert status == 201, body
    # the two LINE friends: both VIP by the ポスター route, then one blocks the account
    status, listing = json_request("GET", f"{api}/api/subscribers?limit=50", headers=auth)
    assert status == 200, listing
    line_friends = [f for f in listing["items"] if f.get("display_name") in USERS.values()]
    assert len(line_friends) == 2
    for friend in line_friends:
        status, body = json_request("PATCH", f"{api}/api/subscribers/{friend['subscriber_id']}",
                                    {"add_tags": ["VIP"], "inflow_route": "ポスター"}, auth)
        assert status == 200, body
    assert system.line_emulator.unfollow(CH, next(iter(USERS))) == 200
    system.drain()

    query = {"rows": {"kind": "tag"}, "columns": {"kind": "route"}}
    status, table = json_request("POST", f"{api}/api/analysis/cross", query, auth)
    assert status == 200, table
    assert cell(table, "VIP", "ポスター") == 3  # two by hand, one LINE friend still following
    assert cell(table, "常連", "Instagram") == 1
    assert cell(table, "タグなし", "Instagram") == 1
    assert table["total"] == 5

    status, table = json_request("POST", f"{api}/api/analysis/cross", {**query, "include_blocked": True}, auth)
    assert status == 200 and cell(table, "VIP", "ポスター") == 4 and table["total"] == 6

    status, segment = json_request("POST", f"{api}/api/segments", {"name": "常連", "definition": {
        "conditions": [{"type": "tags", "match": "any", "tags": ["常連"]}]}}, auth)
    assert status == 201, segment
    status, table = json_request("POST", f"{api}/api/analysis/cross",
                                 {**query, "segment_id": segment["segment_id"]}, auth)
    assert status == 200 and table["total"] == 2 and cell(table, "VIP", "ポスター") == 1

    request = urllib.request.Request(f"{api}/api/analysis/cross/csv", method="POST",
                                     data=json.dumps({**query, "encoding": "cp932"}).encode(),
                                     headers={"content-type": "application/json", **auth})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert "Shift_JIS" in response.headers["content-type"]
        rows = list(csv.reader(io.StringIO(response.read().decode("cp932"))))
    assert rows[0][0] == "タグ＼流入経路" and rows[0][-1] == "合計"
    vip = next(r for r in rows if r[0] == "VIP")
    assert vip[rows[0].index("ポスター")] == "3"
    assert rows[-1][0] == "合計" and rows[-1][-1] == "5"

    # another workspace's tag folder: refused, naming the field; the same dimension twice: refused
    system.create_owner(OTHER_WS, "owner@w-cross-other.example.com")
    other = {"authorization": f"Bearer {system.login(email='owner@w-cross-other.example.com', workspace_id=OTHER_WS)}"}
    status, folder = json_request("POST", f"{api}/api/tag-folders", {"name": "他社"}, other)
    assert status == 201, folder
    status, body = json_request("POST", f"{api}/api/analysis/cross",
                                {"rows": {"kind": "tag", "folder_id": folder["folder_id"]}, "columns": {"kind": "route"}},
                                auth)
    assert status == 404 and body["where"] == "rows.folder_id", body
    status, body = json_request("POST", f"{api}/api/analysis/cross",
                                {"rows": {"kind": "route"}, "columns": {"kind": "route"}}, auth)
    assert status == 422 and body["where"] == "columns.kind" and "同じ項目" in body["message"], body
