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
