"""Admin backend (dashboard, workspace settings) unit fixtures: the template's tables in moto (``aws``), a manual
clock, and the AdminApi called with API Gateway v2 events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from haishin import clock
from haishin.api.app import AdminApi
from haishin.segments import scan

WS = "ws_dash"
OTHER_WS = "ws_dash_other"


class Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def call(api: AdminApi, method: str, path: str, role: str = "owner", body: Any = None, workspace: str = WS,
         query: str = "") -> tuple[int, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": query,
        "headers": {"content-type": "application/json"},
        "queryStringParameters": dict(p.split("=", 1) for p in query.split("&")) if query else None,
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": {"sub": f"sub-{role}", "email": f"{role}@example.jp",
                                                             "custom:workspace_id": workspace,
                                                             "cognito:groups": [role]}}}},
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
    response = api.handle(event, Context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


@pytest.fixture
def api(aws: Any, manual_clock: clock.ManualClock) -> Iterator[AdminApi]:
    scan.reset_clients()
    yield AdminApi()
    scan.reset_clients()
