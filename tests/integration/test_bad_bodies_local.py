"""Bad request bodies and mojibake CSVs through the running local system, as the admin, a friend's browser and
Stripe would send them: a 4xx that names the problem, never a 5xx (the unit sweep covers every route in-process)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from haishin_local.runtime import LocalSystem

pytestmark = pytest.mark.integration

WORKSPACE = "ws_bad_bodies"


@pytest.fixture(scope="module")
def admin(local_system: LocalSystem) -> dict[str, str]:
    local_system.create_owner(WORKSPACE, "owner@bodies.example.com")  # as the create-owner command does in AWS
    token = local_system.login(email="owner@bodies.example.com", workspace_id=WORKSPACE, role="owner")
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


def _post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    response = requests.post(url, data=data, headers=headers, timeout=60)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


@pytest.mark.parametrize("path", ["/api/tags", "/api/scenarios", "/api/auto-replies"])
def test_admin_routes_name_a_bad_body(local_system: LocalSystem, admin: dict[str, str], path: str) -> None:
    url = local_system.base_url + path
    status, body = _post(url, b'{"name": "x",', admin)
    assert (status, body["where"]) == (400, "body") and "JSON として読めません" in body["message"]
    status, body = _post(url, b'[{"name": "x"}]', admin)
    assert (status, body["where"]) == (422, "body") and "JSON オブジェクト" in body["message"]
    status, body = _post(url, json.dumps({"name": "x", "pad": "a" * (2 << 20)}).encode(), admin)
    assert (status, body["code"]) == (413, "payload_too_large") and "大きすぎます" in body["message"]


def test_a_mojibake_csv_is_refused_before_import(local_system: LocalSystem, admin: dict[str, str]) -> None:
    clean = "メールアドレス,名前\r\nhanako@example.jp,佐藤花子\r\n"
    broken = clean.encode("utf-8").decode("cp932", errors="replace").replace("\ufffd", "・")
    status, body = _post(local_system.base_url + "/api/imports",
                         json.dumps({"filename": "friends.csv", "csv": broken}).encode(), admin)
    assert status == 422, body
    assert body["where"] == "line 1" and "UTF-8 のファイルを Shift_JIS として開いて保存" in body["message"]
    listed = requests.get(local_system.base_url + "/api/imports", headers=admin, timeout=30).json()
    assert listed["imports"] == []


def test_a_form_post_that_is_not_a_form_or_too_large_is_named(local_system: LocalSystem) -> None:
    url = local_system.base_url + "/f/f_missing"
    status, page = _post(url, b'[{"name": "x"}]', {"content-type": "application/json"})
    assert status == 415 and "送信形式" in page
    status, page = _post(url, b"name=" + b"a" * (300 * 1024), {"content-type": "application/x-www-form-urlencoded"})
    assert status == 413 and "大きすぎます" in page


def test_an_oversized_stripe_event_is_413(local_system: LocalSystem) -> None:
    status, body = _post(local_system.base_url + f"/stripe/webhook/{WORKSPACE}",
                         json.dumps({"id": "evt_1", "pad": "a" * (2 << 20)}).encode(),
                         {"content-type": "application/json", "stripe-signature": "t=1,v1=00"})
    assert status == 413 and body["error"] == "payload_too_large"
