"""Adding a friend by hand from the friends list (POST /api/subscribers): the refusals a marketer meets are in
Japanese and name the field, so the admin shows them at the input."""

from __future__ import annotations

from haishin.api.app import AdminApi
from tests.support.admin_api import call_admin_api
from tests.unit.crm.conftest import WS


def test_an_email_only_contact_is_added_and_bad_or_taken_addresses_are_named_in_japanese(crm) -> None:
    api = AdminApi()
    status, body = call_admin_api(api, "POST", "/api/subscribers", workspace=WS,
                                  body={"display_name": "メールだけの人", "email": "only@example.jp"})
    assert status == 201, body
    assert body["email"] == "only@example.jp" and body["line"] == []

    status, body = call_admin_api(api, "POST", "/api/subscribers", workspace=WS, body={"email": "only-at-example"})
    assert status == 422 and body["where"] == "email"
    assert body["message"] == "「only-at-example」はメールアドレスの形式ではありません。"

    status, body = call_admin_api(api, "POST", "/api/subscribers", workspace=WS, body={"email": "Only@example.jp"})
    assert status == 409 and body["where"] == "email"
    assert body["message"].startswith("メールアドレス「only@example.jp」はすでに別の友だちに登録されています。")


def test_merging_the_same_contact_added_twice_and_the_refusals_in_japanese(crm) -> None:
    api = AdminApi()
    _, a = call_admin_api(api, "POST", "/api/subscribers", workspace=WS, body={"display_name": "佐藤", "email": "a@example.jp"})
    _, b = call_admin_api(api, "POST", "/api/subscribers", workspace=WS, body={"display_name": "佐藤 (電話)",
                                                                               "phone": "090-1234-5678"})
    status, body = call_admin_api(api, "POST", f"/api/subscribers/{a['subscriber_id']}/merge", workspace=WS,
                                  body={"loser_id": a["subscriber_id"]})
    assert status == 409 and body["where"] == "loser_id"
    assert body["message"] == "同じ友だちどうしは統合できません。別の友だちを選んでください。"

    status, body = call_admin_api(api, "POST", f"/api/subscribers/{a['subscriber_id']}/merge", workspace=WS,
                                  body={"loser_id": b["subscriber_id"]})
    assert status == 200 and body["email"] == "a@example.jp" and body["phone"] == "+819012345678"
    status, body = call_admin_api(api, "POST", f"/api/subscribers/{a['subscriber_id']}/merge", workspace=WS,
                                  body={"loser_id": b["subscriber_id"]})
    assert status == 409 and body["where"] == "loser_id" and "すでに" in body["message"]
