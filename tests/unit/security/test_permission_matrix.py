"""The permission matrix, swept over every route of the built admin API, for every role.

The expected allow/deny of each (route, role) pair comes from ``ROLE_PERMISSIONS`` (the one place) and the route's
own ``@requires`` declaration; this file holds no second table. That every route declares something is checked once,
in tests/unit/core/test_admin_api.py (``test_openapi_is_public_and_every_route_declares_a_permission``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.client
import pytest

from haishin.api.app import AdminApi
from haishin.api.security import declared_permission
from haishin.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.unit.core.test_admin_api import Context, claims, event

EXPORTS_BUCKET = "haishin-exports-security-test"
# Denied requests may read the caller's operator record (the front door refines the token with it) and nothing else.
FRONT_DOOR_CALLS = frozenset({("GetItem", "WorkspaceTable")})


def _routes(api: AdminApi) -> list[Any]:
    routes = [*api.app._static_routes, *api.app._dynamic_routes]
    return [r for r in routes if isinstance(declared_permission(r.func), Permission)]


def _concrete(openapi_path: str) -> str:
    return re.sub(r"\{[^}]+\}", "zz_missing", openapi_path)


@contextmanager
def aws_calls() -> Iterator[list[tuple[str, str]]]:
    """Records every AWS API call (boto3 and PynamoDB both go through botocore's ``_make_api_call``)."""
    seen: list[tuple[str, str]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        seen.append((operation_name, str(api_params.get("TableName", api_params.get("Bucket", "")))))
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


@pytest.fixture
def api(aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch) -> AdminApi:
    monkeypatch.setenv("EXPORTS_BUCKET", EXPORTS_BUCKET)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=EXPORTS_BUCKET)
    return AdminApi()


def test_the_sweep_sees_every_router(api: AdminApi) -> None:
    paths = {r.openapi_path for r in _routes(api)}
    assert len(paths) > 50
    for prefix in ("/api/subscribers", "/api/scenarios", "/api/broadcasts", "/api/channels", "/api/forms",
                   "/api/products", "/api/operators", "/api/payments/stripe/keys", "/api/exports"):
        assert any(p.startswith(prefix) for p in paths), prefix


@pytest.mark.parametrize("role", list(Role))
def test_every_route_allows_exactly_the_roles_the_matrix_grants(api: AdminApi, role: Role) -> None:
    """Denied: 403 naming the permission, before the body is validated and before any data is read or written.
    Allowed: never refused for that permission (the call may still be 404/422 on the made-up IDs and empty body)."""
    granted = ROLE_PERMISSIONS[role]
    problems: list[str] = []
    for route in _routes(api):
        permission = declared_permission(route.func)
        label = f"{route.method} {route.openapi_path} as {role.value} (needs {permission})"
        signed_in = claims(role.value)
        with aws_calls() as calls:
            response = api.handle(event(route.method, _concrete(route.openapi_path), signed_in), Context())
        status = response["statusCode"]
        body = json.loads(response["body"]) if response.get("body") else {}
        if permission in granted:
            if status == 403 and body.get("where") == permission:
                problems.append(f"{label}: refused although the role grants it")
            elif status >= 500:
                problems.append(f"{label}: {status} {body}")
            continue
        if (status, body.get("code"), body.get("where")) != (403, "forbidden", permission):
            problems.append(f"{label}: expected 403 forbidden, got {status} {body}")
        touched = sorted(set(calls) - FRONT_DOOR_CALLS)
        if touched:
            problems.append(f"{label}: denied but touched {touched}")
    assert problems == []


def test_per_operator_denial_beats_the_role_and_a_grant_adds_to_it(api: AdminApi) -> None:
    owner = claims("owner", workspace="ws_a")
    response = api.handle(event("POST", "/api/operators", owner, {
        "email": "staff@example.com", "role": "operator", "denied": ["chat"], "granted": ["export_csv"]}), Context())
    assert response["statusCode"] == 201, response["body"]
    staff = claims("operator", workspace="ws_a", email="staff@example.com")
    response = api.handle(event("GET", "/api/subscribers/zz_missing/chat", staff), Context())
    assert response["statusCode"] == 403
    assert json.loads(response["body"])["where"] == "chat"
    response = api.handle(event("POST", "/api/exports", staff, {}), Context())
    assert response["statusCode"] != 403, response["body"]


def test_a_removed_operator_is_refused_everywhere(api: AdminApi) -> None:
    owner = claims("owner", workspace="ws_a")
    api.handle(event("POST", "/api/operators", owner, {"email": "gone@example.com", "role": "admin"}), Context())
    api.handle(event("DELETE", "/api/operators/gone@example.com", owner), Context())
    gone = claims("admin", workspace="ws_a", email="gone@example.com")
    statuses = {
        api.handle(event(r.method, _concrete(r.openapi_path), gone), Context())["statusCode"] for r in _routes(api)
    }
    assert statuses == {403}
