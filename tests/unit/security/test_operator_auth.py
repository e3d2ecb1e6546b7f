"""Admin authorisation trusts only the operator record of (token's workspace, token's sub), never what a user can
change: Cognito groups, the e-mail, an unverified e-mail; and admins cannot hand out owner-only permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from haishin import clock
from haishin.api.app import AdminApi
from haishin.auth.permissions import OWNER_ONLY, Permission
from haishin.operators.repository import OperatorRepository
from haishin.operators.service import local_subject
from haishin.workspaces.models import ChannelModel
from tests.support.admin_api import ensure_operator, token_claims
from tests.unit.core.test_admin_api import Context, event

WS = "ws_auth"


@pytest.fixture
def api(aws: Any) -> AdminApi:
    return AdminApi()


def call(api: AdminApi, method: str, path: str, claims: dict[str, Any], body: Any = None) -> tuple[int, Any]:
    response = api.handle(event(method, path, claims, body), Context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


@pytest.mark.parametrize("groups", [["owner"], "[owner]", ["admin", "owner"], []])
def test_a_token_without_an_operator_record_is_403_whatever_its_groups(api: AdminApi, groups: Any) -> None:
    claims = {**token_claims(WS, "stranger@example.com"), "cognito:groups": groups}
    for method, path in (("GET", "/api/me"), ("GET", "/api/operators"), ("POST", "/api/tags")):
        status, body = call(api, method, path, claims, {"name": "x"} if method == "POST" else None)
        assert (status, body["code"]) == (403, "forbidden"), (method, path, body)


def test_a_record_in_another_workspace_does_not_let_the_token_in(api: AdminApi) -> None:
    ensure_operator("ws_home", "owner@example.com", "owner")
    assert call(api, "GET", "/api/me", token_claims("ws_home", "owner@example.com"))[0] == 200
    status, _ = call(api, "GET", "/api/me", token_claims(WS, "owner@example.com"))  # same sub, other workspace
    assert status == 403


def test_the_record_is_keyed_on_the_sub_not_the_email(api: AdminApi) -> None:
    ensure_operator(WS, "owner@example.com", "owner")
    # Another account that claims the owner's e-mail (e.g. changed its own e-mail attribute) is not the owner.
    impostor = {**token_claims(WS, "owner@example.com"), "sub": "another-account-sub"}
    assert call(api, "GET", "/api/me", impostor)[0] == 403
    # The owner whose token shows another e-mail is still the owner, and is named by the record's e-mail.
    renamed = {**token_claims(WS, "owner@example.com"), "email": "new-address@example.com"}
    status, me = call(api, "GET", "/api/me", renamed)
    assert (status, me["role"], me["email"], me["operator_id"]) == (
        200, "owner", "owner@example.com", local_subject("owner@example.com"))


@pytest.mark.parametrize("verified", [None, False, "false", "False", ""])
def test_an_unverified_email_is_refused(api: AdminApi, verified: Any) -> None:
    claims = ensure_operator(WS, "owner@example.com", "owner")
    claims = {k: v for k, v in claims.items() if k != "email_verified"}
    if verified is not None:
        claims["email_verified"] = verified
    status, body = call(api, "GET", "/api/me", claims)
    assert (status, body["where"]) == (403, "email_verified")
    assert call(api, "GET", "/api/me", {**claims, "email_verified": True})[0] == 200


def test_invited_operators_sign_in_with_the_sub_the_directory_gave(api: AdminApi) -> None:
    owner = ensure_operator(WS, "owner@example.com", "owner")
    assert call(api, "POST", "/api/operators", owner, {"email": "Staff@Example.com", "role": "viewer"})[0] == 201
    record = OperatorRepository().by_email(WS, "staff@example.com")
    assert record is not None
    assert record.operator_id == local_subject("staff@example.com")
    assert record.sk == f"operator#{record.operator_id}"
    status, me = call(api, "GET", "/api/me", token_claims(WS, "staff@example.com", "owner"))
    assert (status, me["role"]) == (200, "viewer")  # the group claim "owner" counts for nothing


def test_the_owner_only_permissions_are_the_documented_ones() -> None:
    assert {Permission.VIEW_AUDIT_LOG, Permission.MANAGE_OPERATORS, Permission.MANAGE_WEBHOOKS} == OWNER_ONLY


@pytest.mark.parametrize("permission", sorted(p.value for p in OWNER_ONLY))
def test_an_admin_cannot_grant_an_owner_only_permission(api: AdminApi, permission: str) -> None:
    ensure_operator(WS, "owner@example.com", "owner")
    admin = ensure_operator(WS, "admin@example.com", "admin")
    status, body = call(api, "POST", "/api/operators", admin,
                        {"email": "staff@example.com", "role": "operator", "granted": [permission]})
    assert (status, body["where"]) == (403, "granted")
    assert OperatorRepository().by_email(WS, "staff@example.com") is None
    # ...not to an operator already there, and not to themselves
    assert call(api, "POST", "/api/operators", admin, {"email": "op@example.com", "role": "operator"})[0] == 201
    status, _ = call(api, "PATCH", "/api/operators/op@example.com", admin, {"granted": [permission]})
    assert status == 403
    status, _ = call(api, "PATCH", "/api/operators/admin@example.com", admin, {"granted": [permission]})
    assert status == 403
    for email in ("op@example.com", "admin@example.com"):
        record = OperatorRepository().by_email(WS, email)
        assert record is not None and set(record.granted or set()) == set(), email
    # The owner may.
    owner = token_claims(WS, "owner@example.com")
    assert call(api, "PATCH", "/api/operators/op@example.com", owner, {"granted": [permission]})[0] == 200


def test_an_admin_cannot_make_admins_or_lift_their_own_denials(api: AdminApi) -> None:
    owner = ensure_operator(WS, "owner@example.com", "owner")
    assert call(api, "POST", "/api/operators", owner,
                {"email": "admin@example.com", "role": "admin", "denied": ["export_csv"]})[0] == 201
    admin = token_claims(WS, "admin@example.com")
    status, body = call(api, "POST", "/api/operators", admin, {"email": "a2@example.com", "role": "admin"})
    assert (status, body["where"]) == (403, "role")
    status, _ = call(api, "PATCH", "/api/operators/admin@example.com", admin, {"denied": []})
    assert status == 403
    status, _ = call(api, "POST", "/api/operators", admin,
                     {"email": "op@example.com", "role": "operator", "granted": ["export_csv"]})
    assert status == 403  # not a permission the admin holds
    status, me = call(api, "GET", "/api/me", admin)
    assert "export_csv" not in me["permissions"]


def test_an_operator_cannot_be_limited_to_another_workspaces_channel(api: AdminApi) -> None:
    ChannelModel.for_channel("ws_other", "1650000099", secret_name="s", connected_at=clock.now()).save()
    owner = ensure_operator(WS, "owner@example.com", "owner")
    status, body = call(api, "POST", "/api/operators", owner,
                        {"email": "staff@example.com", "role": "viewer", "channel_id": "1650000099"})
    assert (status, body["where"]) == (404, "channel_id")
    assert OperatorRepository().by_email(WS, "staff@example.com") is None
