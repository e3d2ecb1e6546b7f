"""Calling the admin API in-process, as API Gateway would after its JWT authorizer (unit tests)."""

from __future__ import annotations

import json
from typing import Any

from haishin.api.app import AdminApi
from haishin.auth.permissions import Role
from haishin.operators.models import OperatorModel, operator_sk
from haishin.operators.repository import OperatorRepository
from haishin.operators.service import local_subject
from haishin.workspaces.models import workspace_pk


class LambdaContext:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def token_claims(workspace: str, email: str, role: str = "owner") -> dict[str, Any]:
    """The claims of a verified ID token, as the authorizer hands them on; they grant nothing by themselves."""
    return {"sub": local_subject(email), "email": email, "email_verified": "true", "custom:workspace_id": workspace,
            "cognito:groups": [role]}


def ensure_operator(workspace: str, email: str, role: str = "owner") -> dict[str, Any]:
    """An operator record for ``email`` in ``workspace`` (created with ``role`` if there is none yet; an existing
    record is left as it is), and that operator's token claims."""
    claims = token_claims(workspace, email, role)
    if OperatorRepository().get(workspace, claims["sub"]) is None:
        from haishin import clock  # noqa: PLC0415

        OperatorModel(pk=workspace_pk(workspace), sk=operator_sk(claims["sub"]), workspace_id=workspace,
                      operator_id=claims["sub"], email=email.lower(), role=Role(role).value, status="active",
                      invited_at=clock.now()).save()
    return claims


def call_admin_api(api: AdminApi, method: str, path: str, *, workspace: str, role: str = "owner",
                   body: Any = None, query: str = "", headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One request as ``role`` of ``workspace`` (an operator ``<role>@example.jp`` with that role), with any extra
    ``headers``; returns (status, parsed JSON body or None)."""
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": query,
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": dict(p.split("=", 1) for p in query.split("&")) if query else None,
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(workspace, f"{role}@example.jp", role)}}},
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
    response = api.handle(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
