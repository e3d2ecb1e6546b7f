"""Calling the admin API in-process, as API Gateway would after its JWT authorizer (unit tests)."""

from __future__ import annotations

import json
from typing import Any

from haishin.api.app import AdminApi


class LambdaContext:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def call_admin_api(api: AdminApi, method: str, path: str, *, workspace: str, role: str = "owner",
                   body: Any = None, query: str = "") -> tuple[int, Any]:
    """One request as ``role`` of ``workspace``; returns (status, parsed JSON body or None)."""
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
    response = api.handle(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
