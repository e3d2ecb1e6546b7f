"""The admin API's front door: sign-in, operator records, permissions, audit, OpenAPI, error shapes."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from haishin import clock
from haishin.api.app import AdminApi
from haishin.api.security import PUBLIC, declared_permission
from haishin.audit import AuditLog
from haishin.auth.caller import caller_from_claims
from haishin.operators.service import OperatorService
from haishin.workspaces.models import ChannelModel
from tests.support.admin_api import ensure_operator


class Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def event(method: str, path: str, claims: dict[str, Any] | None = None, body: Any = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost"},
        "isBase64Encoded": False,
    }
    if body is not None:
        request["body"] = json.dumps(body)
    if claims is not None:
        request["requestContext"]["authorizer"] = {"jwt": {"claims": claims}}
    return request


def claims(role: str, workspace: str = "ws_a", email: str = "owner@example.com") -> dict[str, Any]:
    """A signed-in operator's claims; the operator record is made with ``role`` unless one exists already."""
    return ensure_operator(workspace, email, role)


@pytest.fixture
def api(aws: Any) -> AdminApi:
    return AdminApi()


def call(api: AdminApi, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    response = api.handle(event(*args, **kwargs), Context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def test_no_token_is_401_with_a_clear_body(api: AdminApi) -> None:
    status, body = call(api, "GET", "/api/me")
    assert status == 401
    assert body == {"code": "unauthenticated", "message": "sign in first"}


def test_me_reflects_role_permissions(api: AdminApi) -> None:
    status, body = call(api, "GET", "/api/me", claims("viewer"))
    assert status == 200
    assert body["role"] == "viewer"
    assert "export_csv" not in body["permissions"]
    assert "view_line_user_ids" not in body["permissions"]


def test_operator_record_refines_the_token_and_removal_locks_out(api: AdminApi) -> None:
    ChannelModel.for_channel("ws_a", "1650000001", secret_name="s", connected_at=clock.now()).save()
    owner = claims("owner")
    status, body = call(api, "POST", "/api/operators", owner,
                        {"email": "Staff@Example.com", "role": "operator", "denied": ["send_broadcasts"],
                         "granted": ["export_csv"], "channel_id": "1650000001"})
    assert status == 201, body
    assert body["email"] == "staff@example.com"
    staff = claims("admin", email="staff@example.com")  # the token claims more than the record allows
    status, me = call(api, "GET", "/api/me", staff)
    assert status == 200
    assert me["role"] == "operator"
    assert "send_broadcasts" not in me["permissions"]
    assert "export_csv" in me["permissions"]
    assert me["channel_id"] == "1650000001"
    assert call(api, "DELETE", "/api/operators/staff@example.com", owner)[0] == 200
    status, body = call(api, "GET", "/api/me", staff)
    assert status == 403
    assert body["code"] == "forbidden"


def test_unknown_permission_and_role_name_the_field(api: AdminApi) -> None:
    status, body = call(api, "POST", "/api/operators", claims("owner"),
                        {"email": "a@example.com", "role": "operator", "granted": ["fly"]})
    assert (status, body["where"]) == (422, "granted")
    status, body = call(api, "POST", "/api/operators", claims("owner"), {"email": "a@example.com", "role": "boss"})
    assert (status, body["where"]) == (422, "role")


def test_body_validation_errors_say_where(api: AdminApi) -> None:
    status, body = call(api, "POST", "/api/operators", claims("owner"), {"role": "operator"})
    assert status == 422
    assert body["code"] == "validation_failed"
    assert body["where"] == "email"


def test_a_body_that_is_not_json_is_415_not_500(api: AdminApi) -> None:
    request = event("POST", "/api/operators", claims("owner"))
    request["headers"]["content-type"] = "text/plain"
    request["body"] = "hello"
    response = api.handle(request, Context())
    assert response["statusCode"] == 415
    assert json.loads(response["body"])["where"] == "content-type"


def test_an_encoded_email_in_the_path_is_decoded(api: AdminApi) -> None:
    call(api, "POST", "/api/operators", claims("owner"), {"email": "d+1@example.com", "role": "viewer"})
    status, body = call(api, "DELETE", "/api/operators/d%2B1%40example.com", claims("owner"))
    assert (status, body["status"]) == (200, "removed")


def test_only_owners_manage_owners(api: AdminApi) -> None:
    status, body = call(api, "POST", "/api/operators", claims("admin"), {"email": "o2@example.com", "role": "owner"})
    assert status == 403
    assert body["where"] == "role"


def test_changes_are_audited_reads_are_not_and_only_owners_see_the_log(api: AdminApi) -> None:
    owner = claims("owner")
    call(api, "GET", "/api/operators", owner)
    call(api, "POST", "/api/operators", owner, {"email": "b@example.com", "role": "viewer"})
    entries, _ = AuditLog().page("ws_a")
    assert [(e.method, e.path, e.target_kind, e.operator_email) for e in entries] == [
        ("POST", "/api/operators", "operators", "owner@example.com")
    ]
    assert call(api, "GET", "/api/audit-log", claims("admin", email="adm@example.com"))[0] == 403
    status, body = call(api, "GET", "/api/audit-log", owner)
    assert status == 200
    assert body["items"][0]["path"] == "/api/operators"


def test_other_workspace_cannot_see_operators(api: AdminApi) -> None:
    call(api, "POST", "/api/operators", claims("owner"), {"email": "c@example.com", "role": "viewer"})
    status, body = call(api, "GET", "/api/operators", claims("owner", workspace="ws_b"))
    assert status == 200
    assert [o["email"] for o in body["items"]] == ["owner@example.com"]  # ws_b's own owner only
    status, _ = call(api, "DELETE", "/api/operators/c@example.com", claims("owner", workspace="ws_b"))
    assert status == 404


def test_openapi_is_public_and_every_route_declares_a_permission(api: AdminApi) -> None:
    status, body = call(api, "GET", "/api/openapi.json")
    assert status == 200
    assert "/api/operators" in body["paths"]
    routes = list(api.app._static_routes) + list(api.app._dynamic_routes)
    undeclared = [f"{r.method} {r.openapi_path}" for r in routes if declared_permission(r.func) is None]
    assert undeclared == []
    public = sorted(r.openapi_path for r in routes if declared_permission(r.func) == PUBLIC)
    assert public == ["/api/health", "/api/openapi.json"]


def test_the_token_alone_grants_nothing() -> None:
    caller = caller_from_claims({"sub": "s", "custom:workspace_id": "w", "email_verified": "true",
                                 "cognito:groups": "[owner]"})
    assert caller.permissions == frozenset()


def test_unexpected_errors_hide_the_stack(api: AdminApi, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: OperatorService, workspace_id: str) -> list[Any]:
        raise RuntimeError("database password=hunter2 exploded")

    monkeypatch.setattr(OperatorService, "all", explode)
    status, body = call(api, "GET", "/api/operators", claims("owner"))
    assert status == 500
    assert body == {"code": "internal_error", "message": "something went wrong on our side; try again"}


def test_the_sample_event_reaches_the_handler(aws: Any) -> None:
    import importlib.util  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    root = Path(__file__).resolve().parents[3]
    spec = importlib.util.spec_from_file_location("admin_api_app", root / "functions" / "admin_api" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sample = json.loads((root / "events" / "admin_api.json").read_text(encoding="utf-8"))
    token = sample["requestContext"]["authorizer"]["jwt"]["claims"]
    OperatorService().create_owner("ws_demo", token["sub"], token["email"])  # what the create-owner command does
    response = module.lambda_handler(sample, Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["workspace_id"] == "ws_demo"


def test_requests_on_threads_of_one_process_each_get_their_own_answer(api: AdminApi) -> None:
    """Powertools keeps the request being resolved on the class (``BaseRouter.current_event``) and its route in the
    resolver's context. Lambda resolves one request per environment; the local runtime and the tests call one
    process from many threads, where a second request once cleared the first's route mid-way (a 500 in the e2e
    run: ``KeyError: '_route'``) or could answer with its body."""
    owner, viewer = claims("owner", "ws_a", "a@example.com"), claims("viewer", "ws_b", "b@example.com")
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows within a few requests
    try:
        def ask(n: int) -> tuple[str, int, Any]:
            who, expected = (owner, "ws_a") if n % 2 else (viewer, "ws_b")
            status, body = call(api, "GET", "/api/me", who)
            return expected, status, body

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(ask, range(120)))
    finally:
        sys.setswitchinterval(previous)
    assert [(status, body["workspace_id"]) for _, status, body in answers] == [
        (200, expected) for expected, _, _ in answers]
