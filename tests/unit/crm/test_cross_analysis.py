"""クロス分析 (haishin.analysis.cross): friends counted by two dimensions, through the service and the admin API."""

from __future__ import annotations

import base64
import codecs
import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from haishin.analysis.cross import MAX_TEXT_VALUES, CrossQuery, Dimension
from haishin.api.app import AdminApi
from haishin.errors import NotFound, ValidationFailed
from haishin.payments.repository import PaymentRepository
from haishin.scenarios.models import parse_scenario
from haishin.segments.model import parse_segment
from haishin.subscribers.models import line_account
from haishin.subscribers.repository import SubscriberRepository
from haishin.tags.repository import FolderIn, TagIn, TagRepository
from haishin.wiring import services
from tests.support.admin_api import call_admin_api, ensure_operator
from tests.unit.crm.conftest import CHANNEL, OTHER_WS, WS, Crm, setup_workspace


def uid(n: int) -> str:
    return f"U{n:032x}"


def friend(n: int, *, tags: set[str] = frozenset(), route: str | None = None, status: str = "following",
           created: datetime | None = None, fields: dict[str, Any] | None = None, products: set[str] = frozenset(),
           spent: int | None = None, workspace: str = WS) -> str:
    repo = SubscriberRepository()
    subscriber = repo.new(workspace, source="line")
    subscriber.line = {CHANNEL: line_account(uid(n), status)}
    subscriber.tags = set(tags)
    subscriber.inflow_route = route
    subscriber.fields = fields or {}
    subscriber.products = set(products)
    subscriber.total_spent = spent
    if created is not None:
        subscriber.created_at = created
    repo.create(subscriber, [(f"line:{CHANNEL}", uid(n))])
    return subscriber.subscriber_id


def run(**body: Any) -> dict[str, Any]:
    return services().cross_analysis.run(WS, CrossQuery.model_validate(body)).to_dict()


def table(result: dict[str, Any]) -> dict[tuple[str, str], int]:
    rows = [v["label"] for v in result["rows"]["values"]]
    columns = [v["label"] for v in result["columns"]["values"]]
    return {(r, c): result["cells"][i][j] for i, r in enumerate(rows) for j, c in enumerate(columns)}


def totals(result: dict[str, Any], side: str) -> dict[str, int]:
    key = "row_totals" if side == "rows" else "column_totals"
    return {v["label"]: n for v, n in zip(result[side]["values"], result[key], strict=True)}


@pytest.fixture
def people(crm: Crm) -> Crm:
    t = crm.tags
    friend(1, tags={t["VIP"], t["常連"]}, route="ポスター", created=datetime(2026, 1, 3, tzinfo=UTC))
    friend(2, tags={t["VIP"]}, route="ポスター", created=datetime(2025, 11, 30, 16, tzinfo=UTC))  # JST 12/1
    friend(3, tags={t["常連"]}, route="Instagram広告", created=datetime(2025, 11, 2, tzinfo=UTC))
    friend(4, route="Instagram広告", created=datetime(2026, 1, 9, tzinfo=UTC))
    friend(5, tags={t["VIP"]}, created=datetime(2026, 1, 10, tzinfo=UTC))
    friend(6, tags={t["VIP"]}, route="ポスター", status="blocked", created=datetime(2026, 1, 10, tzinfo=UTC))
    friend(7, tags={t["VIP"]}, route="ポスター", workspace=OTHER_WS)  # another workspace: never counted
    return crm


def test_tag_by_route_counts_active_friends_with_totals_that_count_each_friend_once(people: Crm) -> None:
    result = run(rows={"kind": "tag"}, columns={"kind": "route"})
    cells = table(result)
    assert cells[("VIP", "ポスター")] == 2
    assert cells[("VIP", "Instagram広告")] == 0
    assert cells[("VIP", "流入経路なし")] == 1
    assert cells[("常連", "ポスター")] == 1
    assert cells[("常連", "Instagram広告")] == 1
    assert cells[("タグなし", "Instagram広告")] == 1
    assert totals(result, "rows") == {"VIP": 3, "常連": 2, "休眠": 0, "タグなし": 1}
    # friend 1 has two tags: twice in the ポスター column's cells, once in its total
    assert totals(result, "columns") == {"Instagram広告": 2, "ポスター": 2, "流入経路なし": 1}
    assert result["total"] == 5
    assert result["friends_read"] == 5


def test_blocked_friends_are_counted_only_when_asked(people: Crm) -> None:
    result = run(rows={"kind": "tag"}, columns={"kind": "route"}, include_blocked=True)
    assert table(result)[("VIP", "ポスター")] == 3
    assert result["total"] == 6


def test_month_added_is_the_japan_month_with_empty_months_listed(people: Crm) -> None:
    result = run(rows={"kind": "month"}, columns={"kind": "route"})
    assert [v["label"] for v in result["rows"]["values"]] == ["2025年11月", "2025年12月", "2026年1月", "不明"]
    assert totals(result, "rows") == {"2025年11月": 1, "2025年12月": 1, "2026年1月": 3, "不明": 0}


def test_a_saved_segment_narrows_the_friends_counted(people: Crm) -> None:
    segment = services().saved_segments.create(
        WS, "常連", parse_segment({"conditions": [{"type": "tags", "match": "any", "tags": ["常連"]}]}))
    result = run(rows={"kind": "tag"}, columns={"kind": "route"}, segment_id=segment.segment_id)
    assert result["total"] == 2
    assert totals(result, "rows")["VIP"] == 1


def test_a_tag_folder_lists_only_its_tags(crm: Crm) -> None:
    tags = TagRepository()
    folder = tags.create_folder(WS, FolderIn(name="性別"))
    male = tags.create(WS, TagIn(name="男性", folder_id=folder.folder_id)).tag_id
    female = tags.create(WS, TagIn(name="女性", folder_id=folder.folder_id)).tag_id
    friend(1, tags={male, crm.tags["VIP"]}, route="ポスター")
    friend(2, tags={female}, route="ポスター")
    friend(3, tags={crm.tags["VIP"]}, route="ポスター")
    result = run(rows={"kind": "tag", "folder_id": folder.folder_id}, columns={"kind": "tag"})
    assert result["rows"]["title"] == "タグ（性別）"
    assert [v["label"] for v in result["rows"]["values"]] == ["女性", "男性", "該当タグなし"]
    assert table(result)[("該当タグなし", "VIP")] == 1
    assert table(result)[("男性", "VIP")] == 1


def test_fields_choices_numbers_dates_and_booleans(crm: Crm) -> None:
    friend(1, fields={"plan": "松", "score": 3, "birthday": "1990-01-15", "member": True,
                      "interests": ["美容", "旅行"]})
    friend(2, fields={"plan": "竹", "score": 47, "birthday": "1990-03-01", "member": False, "interests": ["美容"]})
    friend(3, fields={"score": 100})
    result = run(rows={"kind": "field", "field_key": "plan"}, columns={"kind": "field", "field_key": "member"})
    assert [v["label"] for v in result["rows"]["values"]] == ["松", "竹", "梅", "未入力"]
    assert [v["label"] for v in result["columns"]["values"]] == ["はい", "いいえ", "未入力"]
    assert table(result)[("松", "はい")] == 1 and table(result)[("未入力", "未入力")] == 1
    numbers = run(rows={"kind": "field", "field_key": "score"}, columns={"kind": "field", "field_key": "interests"})
    labels = [v["label"] for v in numbers["rows"]["values"]]
    assert labels[0] == "0〜9" and labels[-2] == "100〜109" and labels[-1] == "未入力"
    assert totals(numbers, "rows")["0〜9"] == 1 and totals(numbers, "rows")["40〜49"] == 1
    assert totals(numbers, "columns") == {"美容": 2, "健康": 0, "旅行": 1, "未入力": 1}
    dates = run(rows={"kind": "field", "field_key": "birthday"}, columns={"kind": "route"})
    assert [v["label"] for v in dates["rows"]["values"]] == ["1990年1月", "1990年2月", "1990年3月", "未入力"]


def test_free_text_keeps_the_most_frequent_values_and_groups_the_rest(crm: Crm) -> None:
    for n in range(MAX_TEXT_VALUES + 5):
        friend(n, fields={"name": f"名前{n:02d}" if n else "山田"})
    friend(100, fields={"name": "山田"})
    result = run(rows={"kind": "field", "field_key": "name"}, columns={"kind": "route"})
    labels = [v["label"] for v in result["rows"]["values"]]
    assert labels[0] == "山田" and labels[-2:] == ["その他", "未入力"]
    assert len(labels) == MAX_TEXT_VALUES + 2
    assert totals(result, "rows")["その他"] == 5
    assert result["notes"]


def test_scenario_step_with_not_enrolled_and_completed(crm: Crm) -> None:
    scenario = services().scenarios.save(WS, parse_scenario({
        "name": "ようこそ", "steps": [{"name": "初日", "line": [{"type": "text", "text": "a"}]},
                                       {"name": "3日目", "line": [{"type": "text", "text": "b"}]}]}))
    ids = [friend(n, route="ポスター") for n in range(4)]
    table_ = boto3.client("dynamodb", region_name="us-east-1")
    for sid, status, step in ((ids[0], "active", 1), (ids[1], "active", 1), (ids[2], "completed", 2)):
        table_.put_item(TableName="EnrollmentsTable", Item={
            "pk": {"S": f"enr#{WS}#{sid}"}, "sk": {"S": scenario.id}, "status": {"S": status},
            "next_step": {"N": str(step)}})
    result = run(rows={"kind": "scenario", "scenario_id": scenario.id}, columns={"kind": "route"})
    assert totals(result, "rows") == {"1. 初日": 0, "2. 3日目": 2, "完了": 1, "停止": 0, "未登録": 1}


def test_purchase_yes_no_and_by_product(crm: Crm) -> None:
    PaymentRepository().create_product(WS, "p_a", {"name": "講座A"}, now=crm.clock.now())
    PaymentRepository().create_product(WS, "p_b", {"name": "講座B"}, now=crm.clock.now())
    friend(1, products={"p_a", "p_b"}, spent=20000, route="ポスター")
    friend(2, products={"p_a"}, spent=10000)
    friend(3)
    result = run(rows={"kind": "purchase"}, columns={"kind": "route"})
    assert totals(result, "rows") == {"購入あり": 2, "購入なし": 1}
    by_product = run(rows={"kind": "purchase", "by_product": True}, columns={"kind": "route"})
    assert totals(by_product, "rows") == {"講座A": 2, "講座B": 1, "購入なし": 1}


def test_the_same_dimension_twice_and_unknown_references_are_refused_with_where(crm: Crm) -> None:
    with pytest.raises(ValidationFailed) as same:
        run(rows={"kind": "route"}, columns={"kind": "route"})
    assert same.value.where == "columns.kind"
    with pytest.raises(NotFound) as field:
        run(rows={"kind": "field", "field_key": "nope"}, columns={"kind": "route"})
    assert field.value.where == "rows.field_key"
    with pytest.raises(NotFound) as scenario:
        run(rows={"kind": "route"}, columns={"kind": "scenario", "scenario_id": "sc_nope"})
    assert scenario.value.where == "columns.scenario_id"
    with pytest.raises(NotFound) as folder:
        run(rows={"kind": "tag", "folder_id": "tf_nope"}, columns={"kind": "route"})
    assert folder.value.where == "rows.folder_id"
    with pytest.raises(ValidationFailed) as missing:
        run(rows={"kind": "field"}, columns={"kind": "route"})
    assert missing.value.where == "rows.field_key"


def test_csv_in_utf8_with_bom_and_shift_jis(people: Crm) -> None:
    result = services().cross_analysis.run(WS, CrossQuery(rows=Dimension(kind="tag"), columns=Dimension(kind="route")))
    data = result.to_csv("utf-8-sig")
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["タグ＼流入経路", "Instagram広告", "ポスター", "流入経路なし", "合計"]
    assert rows[1] == ["VIP", "0", "2", "1", "3"]
    assert rows[-1] == ["合計", "2", "2", "1", "5"]
    assert list(csv.reader(io.StringIO(result.to_csv("cp932").decode("cp932")))) == rows


# ---------------------------------------------------------------------- admin API
@pytest.fixture
def api(crm: Crm) -> AdminApi:
    return AdminApi()


def test_admin_api_answers_the_table_and_the_csv(api: AdminApi, people: Crm) -> None:
    status, body = call_admin_api(api, "POST", "/api/analysis/cross", workspace=WS,
                                  body={"rows": {"kind": "tag"}, "columns": {"kind": "route"}})
    assert status == 200, body
    assert body["total"] == 5
    event_body = {"rows": {"kind": "tag"}, "columns": {"kind": "route"}, "encoding": "cp932"}
    event = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": "/api/analysis/cross/csv", "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/api/analysis/cross/csv", "sourceIp": "127.0.0.1"},
                           "stage": "$default", "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(WS, "owner@example.jp")}}},
        "isBase64Encoded": False, "body": json.dumps(event_body),
    }
    response = api.handle(event, None)
    assert response["statusCode"] == 200
    assert "Shift_JIS" in response["headers"]["Content-Type"]
    assert response["isBase64Encoded"]
    raw = base64.b64decode(response["body"])
    assert raw.decode("cp932").startswith("タグ＼流入経路")


def test_admin_api_refuses_another_workspaces_scenario_and_a_repeated_dimension(api: AdminApi, people: Crm) -> None:
    setup_workspace("ws_third")
    other = services().scenarios.save(OTHER_WS, parse_scenario({
        "name": "他社", "steps": [{"name": "a", "line": [{"type": "text", "text": "a"}]}]}))
    status, body = call_admin_api(api, "POST", "/api/analysis/cross", workspace=WS, body={
        "rows": {"kind": "scenario", "scenario_id": other.id}, "columns": {"kind": "route"}})
    assert status == 404, body
    assert body["where"] == "rows.scenario_id"
    status, body = call_admin_api(api, "POST", "/api/analysis/cross", workspace=WS, body={
        "rows": {"kind": "month"}, "columns": {"kind": "month"}})
    assert status == 422 and body["where"] == "columns.kind"
    assert "同じ項目" in body["message"]
    status, body = call_admin_api(api, "POST", "/api/analysis/cross", workspace=WS, body={
        "rows": {"kind": "colour"}, "columns": {"kind": "month"}})
    assert status == 422 and body["where"].startswith("rows.kind")


def test_csv_cells_are_neutralised_against_formula_injection(crm: Crm) -> None:
    friend(1, route="=HYPERLINK(\"https://evil.example\")")
    data = services().cross_analysis.run(
        WS, CrossQuery(rows=Dimension(kind="route"), columns=Dimension(kind="purchase"))).to_csv()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(\"https://evil.example\")"
