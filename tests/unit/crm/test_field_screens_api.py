"""What the friend-field screens need from the admin API: a friend's fields carry their choices and whether they are
required (the friend page builds a select and marks the field), and a wrong definition names the field it is about
(`choices`, `scenario_id`), in Japanese, so the editor shows it there. Through the admin API."""

from __future__ import annotations

from typing import Any

import pytest

from haishin.api.app import AdminApi
from tests.support.admin_api import call_admin_api
from tests.unit.crm.conftest import WS, Crm


def call(api: AdminApi, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=WS, role="owner", body=body)


@pytest.fixture
def api(crm: Crm) -> AdminApi:
    return AdminApi()


def test_a_friends_fields_carry_choices_and_required_in_definition_order(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "POST", "/api/fields", {"key": "shop", "label": "担当店舗", "type": "choice",
                                                     "choices": ["渋谷", "新宿"], "required": True, "position": -1})
    assert status == 201, body
    status, who = call(api, "POST", "/api/subscribers", {"display_name": "a", "email": "a@example.jp"})
    assert status == 201, who
    fields = call(api, "GET", f"/api/subscribers/{who['subscriber_id']}")[1]["fields"]
    assert fields[0]["key"] == "shop"  # position -1 comes first
    assert fields[0]["choices"] == ["渋谷", "新宿"] and fields[0]["required"] is True
    assert all(f["required"] is False for f in fields[1:])


def test_a_choice_field_without_choices_is_refused_at_choices(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "POST", "/api/fields", {"key": "size", "label": "サイズ", "type": "choice"})
    assert status == 422 and body["where"] == "choices", body
    assert "選択肢" in body["message"]
    status, body = call(api, "POST", "/api/fields", {"key": "size", "label": "サイズ", "type": "text",
                                                     "choices": ["S"]})
    assert status == 422 and body["where"] == "choices", body


def test_a_change_that_empties_the_choices_is_refused_at_choices(api: AdminApi, crm: Crm) -> None:
    assert call(api, "POST", "/api/fields", {"key": "size", "label": "サイズ", "type": "choice",
                                             "choices": ["S", "M"]})[0] == 201
    status, body = call(api, "PATCH", "/api/fields/size", {"choices": []})
    assert status == 422 and body["where"] == "choices" and "選択肢" in body["message"], body
    status, body = call(api, "PATCH", "/api/fields/size", {"choices": ["S", "S"]})
    assert status == 422 and body["where"] == "choices" and "2 回" in body["message"], body


def test_a_scenario_field_without_its_scenario_is_refused_at_scenario_id(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "POST", "/api/fields", {"key": "step", "label": "進み具合", "type": "text",
                                                     "scope": "scenario"})
    assert status == 422 and body["where"] == "scenario_id" and "シナリオ" in body["message"], body


def test_taken_names_are_refused_in_japanese_at_the_field(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "POST", "/api/tags", {"name": "vip"})  # VIP exists (case and width folded)
    assert status == 409 and body["where"] == "name" and "すでにあります" in body["message"], body
    shop = {"key": "shop", "label": "担当店舗", "type": "text"}
    assert call(api, "POST", "/api/fields", shop)[0] == 201
    status, body = call(api, "POST", "/api/fields", {**shop, "key": "shop2"})
    assert status == 409 and body["where"] == "label" and "すでにあります" in body["message"], body
    status, body = call(api, "POST", "/api/fields", {**shop, "label": "店舗"})
    assert status == 409 and body["where"] == "key" and "すでにあります" in body["message"], body
