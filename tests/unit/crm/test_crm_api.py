"""The CRM admin routes: permissions, LINE user IDs hidden without VIEW_LINE_USER_IDS, workspace scoping, errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from haishin.api.app import AdminApi
from tests.support.admin_api import call_admin_api
from tests.unit.crm.conftest import CHANNEL, OTHER_WS, WS, setup_workspace

UID = "U" + "d" * 32


def call(api: AdminApi, method: str, path: str, role: str = "owner", body: Any = None, workspace: str = WS,
         query: str = "") -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=workspace, role=role, body=body, query=query)


@pytest.fixture
def api(crm) -> AdminApi:
    return AdminApi()


@pytest.fixture
def friend(api: AdminApi) -> str:
    status, body = call(api, "POST", "/api/subscribers", body={
        "display_name": "太郎", "email": "t@example.jp", "line_channel_id": CHANNEL, "line_user_id": UID,
        "fields": {"name": "山田", "score": "5"}, "tags": ["VIP"]})
    assert status == 201, body
    return str(body["subscriber_id"])


def test_owner_sees_line_ids_operator_does_not(api: AdminApi, friend: str) -> None:
    status, body = call(api, "GET", f"/api/subscribers/{friend}")
    assert status == 200 and body["line"][0]["line_user_id"] == UID
    assert {f["key"]: f["value"] for f in body["fields"]}["score"] == 5
    assert [e["kind"] for e in body["timeline"]["items"]] == ["created"]
    for path in (f"/api/subscribers/{friend}", "/api/subscribers"):
        status, body = call(api, "GET", path, role="operator")
        assert status == 200
        assert UID not in json.dumps(body)
    status, body = call(api, "POST", "/api/exports", role="operator", body={})
    assert status == 403 and body["where"] == "export_csv"


def test_another_workspace_gets_404(api: AdminApi, friend: str) -> None:
    setup_workspace(OTHER_WS)
    status, body = call(api, "GET", f"/api/subscribers/{friend}", workspace=OTHER_WS)
    assert status == 404 and body["code"] == "not_found"
    status, _ = call(api, "PATCH", f"/api/subscribers/{friend}", workspace=OTHER_WS, body={"fields": {"score": 1}})
    assert status == 404


def test_patch_validates_the_whole_change_and_names_the_field(api: AdminApi, friend: str) -> None:
    status, body = call(api, "PATCH", f"/api/subscribers/{friend}",
                        body={"fields": {"name": "新しい名前", "score": "たくさん"}})
    assert status == 422 and body["where"] == "fields.score" and "得点" in body["message"]
    status, body = call(api, "GET", f"/api/subscribers/{friend}")
    assert {f["key"]: f["value"] for f in body["fields"]}["name"] == "山田"  # nothing half-applied
    status, body = call(api, "PATCH", f"/api/subscribers/{friend}",
                        body={"fields": {"name": "新しい名前"}, "add_to_fields": {"score": -2}, "remove_tags": ["VIP"]})
    assert status == 200, body
    assert {f["key"]: f["value"] for f in body["fields"]}["score"] == 3 and body["tags"] == []
    status, body = call(api, "GET", f"/api/subscribers/{friend}/timeline")
    assert {e["kind"] for e in body["items"]} == {"created", "field_changed", "tag_removed"}


def test_search_count_and_saved_segments(api: AdminApi, friend: str) -> None:
    definition = {"match": "all", "conditions": [{"type": "field", "field": "score", "op": "gt", "value": 1}]}
    status, body = call(api, "POST", "/api/segments/count", body={"definition": definition})
    assert status == 200 and body["count"] == 1
    status, body = call(api, "POST", "/api/segments", body={"name": "高得点", "definition": definition})
    assert status == 201
    segment_id = body["segment_id"]
    status, body = call(api, "POST", "/api/subscribers/search", body={"segment_id": segment_id, "limit": 10})
    assert status == 200 and body["total"] == 1 and body["items"][0]["subscriber_id"] == friend
    status, body = call(api, "POST", "/api/segments/count",
                        body={"definition": {"conditions": [{"type": "field", "field": "score", "op": "zz"}]}})
    assert status == 422 and body["where"].startswith("definition.conditions.0")
    status, body = call(api, "GET", "/api/tags")
    assert {t["name"]: t["count"] for t in body["tags"]}["VIP"] == 1


def test_import_routes_upload_preview_start_errors(api: AdminApi) -> None:
    data = "メールアドレス,名前,誕生日\r\nx@example.jp,髙木,2月30日\r\ny@example.jp,ﾊﾝｶｸ,3月3日\r\n".encode("cp932")
    status, job = call(api, "POST", "/api/imports", role="operator",
                       body={"filename": "s.csv", "base64": base64.b64encode(data).decode()})
    assert status == 201 and job["encoding"] == "cp932" and job["total"] == 2
    status, preview = call(api, "GET", f"/api/imports/{job['import_id']}/preview", role="operator")
    assert [r["action"] for r in preview["rows"]] == ["error", "create"]
    status, done = call(api, "POST", f"/api/imports/{job['import_id']}/start", role="operator")
    assert status == 200 and done["status"] == "completed" and done["created"] == 1 and done["errors"] == 1
    status, report = call(api, "GET", f"/api/imports/{job['import_id']}/errors", role="operator")
    assert report["errors"][0]["line"] == 2 and report["errors"][0]["column"] == "誕生日"
    status, _ = call(api, "POST", "/api/imports", role="viewer", body={"csv": "a\r\n"})
    assert status == 403


def test_phones_are_stored_in_e164_and_bad_ones_named_at_the_field(api: AdminApi) -> None:
    status, body = call(api, "POST", "/api/subscribers", body={"display_name": "電話", "phone": "090-1234-5678"})
    assert status == 201, body
    friend = str(body["subscriber_id"])
    assert body["phone"] == "+819012345678"
    status, body = call(api, "POST", "/api/subscribers", body={"display_name": "同じ人", "phone": "+81 90 1234 5678"})
    assert status == 409, body  # the same number in the other form belongs to the first friend
    status, body = call(api, "PATCH", f"/api/subscribers/{friend}", body={"phone": "０３（１２３４）５６７８"})
    assert status == 200 and body["phone"] == "+81312345678", body
    status, body = call(api, "PATCH", f"/api/subscribers/{friend}", body={"phone": "12-34"})
    assert status == 422 and body["where"] == "phone" and "電話番号" in body["message"], body


def test_line_user_id_download_is_refused_without_the_permission_not_emptied(api: AdminApi, friend: str) -> None:
    # an operator who may export CSV but not view LINE user IDs (the サロンズソリューション permission split)
    status, body = call(api, "POST", "/api/operators", body={
        "email": "operator@example.jp", "role": "operator", "granted": ["export_csv"]})
    assert status == 201, body
    status, body = call(api, "POST", "/api/exports", role="operator", body={"columns": ["line_user_id"]})
    assert status == 403, body
    assert body["where"] == "columns.line_user_id" and "権限" in body["message"]
    status, body = call(api, "POST", "/api/exports", role="operator", body={"columns": ["email"]})
    assert status == 201, body
    status, body = call(api, "POST", "/api/exports", body={"columns": ["line_user_id"]})
    assert status == 201 and body["columns"] == ["line_user_id"] and body["rows"] == 1


def test_a_segment_without_a_name_is_refused_in_japanese_at_the_name(api: AdminApi) -> None:
    everyone = {"match": "all", "conditions": []}
    status, body = call(api, "POST", "/api/segments", body={"name": "  ", "definition": everyone})
    assert status == 422 and body["where"] == "name" and body["message"] == "name: セグメント名を入力してください"
    status, body = call(api, "POST", "/api/segments", body={"name": "x" * 101, "definition": everyone})
    assert status == 422 and body["where"] == "name" and "100 文字" in body["message"]
    status, body = call(api, "POST", "/api/segments", body={"name": " VIP ", "definition": everyone})
    assert status == 201 and body["name"] == "VIP"
