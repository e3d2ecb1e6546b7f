"""HTTP API behaviour: route selection, payload v2.0 events, response mapping."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from haishin_local.runtime.apigw import HttpRequest, build_event, map_response, match_route, strip_stage
from haishin_local.runtime.template import HttpRoute

ROUTES = [
    HttpRoute("POST", "/line/webhook/{channel_id}", "LineWebhookFunction", "Webhook"),
    HttpRoute("ANY", "/api/{proxy+}", "AdminApiFunction", "Api", authorizer="CognitoAuthorizer"),
    HttpRoute("GET", "/api/openapi.json", "AdminApiFunction", "OpenApi"),
    HttpRoute("GET", "/api/{proxy+}", "ReadFunction", "Read"),
    HttpRoute("GET", "/f/{form_id}", "PagesFunction", "Form"),
    HttpRoute("POST", "/f/{form_id}", "FormSubmitFunction", "Submit"),
    HttpRoute("GET", "/p/{proxy+}", "PagesFunction", "Checkout"),
]


def test_exact_path_beats_greedy_and_method_beats_any() -> None:
    assert match_route(ROUTES, "GET", "/api/openapi.json").route.event_name == "OpenApi"  # type: ignore[union-attr]
    assert match_route(ROUTES, "GET", "/api/workspaces/1").route.event_name == "Read"  # type: ignore[union-attr]
    assert match_route(ROUTES, "DELETE", "/api/workspaces/1").route.event_name == "Api"  # type: ignore[union-attr]


def test_path_variables_and_greedy_proxy() -> None:
    match = match_route(ROUTES, "POST", "/line/webhook/1657%2F0")
    assert match is not None
    assert match.path_parameters == {"channel_id": "1657/0"}
    greedy = match_route(ROUTES, "GET", "/p/checkout/abc/done")
    assert greedy is not None and greedy.path_parameters == {"proxy": "checkout/abc/done"}
    assert match_route(ROUTES, "POST", "/f/form_1").route.function_id == "FormSubmitFunction"  # type: ignore[union-attr]


def test_no_match() -> None:
    assert match_route(ROUTES, "GET", "/line/webhook/1") is None  # wrong method
    assert match_route(ROUTES, "POST", "/line/webhook") is None  # missing variable
    assert match_route(ROUTES, "POST", "/line/webhook/1/extra") is None
    assert match_route(ROUTES, "GET", "/api") is None  # a greedy variable needs at least one segment
    assert match_route(ROUTES, "GET", "/nope") is None


def _event(**overrides: object) -> dict:  # type: ignore[type-arg]
    request = HttpRequest(
        method="POST",
        raw_path="/line/webhook/ch1",
        raw_query="a=1&a=2&b=",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Line-Signature", "sig"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "LineBotWebhook/2.0"),
            ("X-Dup", "a"),
            ("X-Dup", "b"),
        ],
        body=b'{"events": []}',
        source_ip="10.0.0.1",
    )
    for key, value in overrides.items():
        setattr(request, key, value)
    match = match_route(ROUTES, request.method, request.raw_path)
    assert match is not None
    return build_event(request, match, now=datetime(2025, 3, 1, 9, 30, tzinfo=UTC))


def test_v2_event_shape() -> None:
    event = _event()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /line/webhook/{channel_id}"
    assert event["rawPath"] == "/line/webhook/ch1"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["headers"]["x-line-signature"] == "sig"
    assert event["headers"]["x-dup"] == "a,b"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"channel_id": "ch1"}
    assert event["body"] == '{"events": []}'
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["routeKey"] == event["routeKey"]
    assert ctx["stage"] == "$default"
    assert ctx["accountId"] == "123456789012"
    assert ctx["http"] == {
        "method": "POST",
        "path": "/line/webhook/ch1",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.1",
        "userAgent": "LineBotWebhook/2.0",
    }
    assert ctx["time"] == "01/Mar/2025:09:30:00 +0000"
    assert ctx["timeEpoch"] == int(datetime(2025, 3, 1, 9, 30, tzinfo=UTC).timestamp() * 1000)
    assert ctx["requestId"] and ctx["domainName"] == "127.0.0.1:3000"
    assert "authorizer" not in ctx


def test_a_named_stage_is_in_raw_path_and_http_path_but_not_in_the_route_key() -> None:
    assert strip_stage("/prod/f/form_1", "prod") == "/f/form_1"
    assert strip_stage("/prod", "prod") == "/"
    assert strip_stage("/f/form_1", "prod") is None  # API Gateway: no such stage, 404
    assert strip_stage("/production/f", "prod") is None
    assert strip_stage("/f/form_1", "$default") == "/f/form_1"
    request = HttpRequest(method="GET", raw_path="/prod/f/form_1", raw_query="", body=b"", stage="prod",
                          headers=[("Host", "127.0.0.1:3000")])
    match = match_route(ROUTES, "GET", "/f/form_1")
    assert match is not None
    event = build_event(request, match)
    assert (event["rawPath"], event["routeKey"]) == ("/prod/f/form_1", "GET /f/{form_id}")
    ctx = event["requestContext"]
    assert (ctx["stage"], ctx["http"]["path"], ctx["routeKey"]) == ("prod", "/prod/f/form_1", "GET /f/{form_id}")
    assert event["pathParameters"] == {"form_id": "form_1"}
    headers = event["headers"]  # API Gateway adds these; the local front door speaks plain HTTP
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"], headers["x-forwarded-for"]) == (
        "http", "3000", "127.0.0.1")


def test_non_text_bodies_are_base64() -> None:
    form = _event(headers=[("Content-Type", "application/x-www-form-urlencoded")], body=b"name=%E5%A4%AA%E9%83%8E")
    assert form["isBase64Encoded"] is True
    assert base64.b64decode(form["body"]) == b"name=%E5%A4%AA%E9%83%8E"
    binary = _event(headers=[("Content-Type", "image/png")], body=b"\x89PNG")
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\x89PNG"
    empty = _event(body=b"", raw_query="")
    assert "body" not in empty and "queryStringParameters" not in empty


def test_authorizer_claims_are_passed() -> None:
    event = _event(authorizer_claims={"sub": "u1", "cognito:groups": "[owner]"}, scopes=["openid"])
    assert event["requestContext"]["authorizer"]["jwt"] == {
        "claims": {"sub": "u1", "cognito:groups": "[owner]"},
        "scopes": ["openid"],
    }


def test_structured_response() -> None:
    response = map_response({"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["a=1; Path=/"], "body": "created"})
    assert response.status == 201
    assert ("X-A", "1") in response.headers
    assert ("set-cookie", "a=1; Path=/") in response.headers
    assert response.body == b"created"


def test_base64_response_and_empty_body() -> None:
    response = map_response(
        {
            "statusCode": 200,
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00\x01").decode(),
            "headers": {"content-type": "application/octet-stream"},
        }
    )
    assert response.body == b"\x00\x01"
    assert map_response({"statusCode": 204}).body == b""


def test_bare_values_are_200_json() -> None:
    bare = map_response({"ok": True})
    assert bare.status == 200 and json.loads(bare.body) == {"ok": True}
    assert ("content-type", "application/json") in bare.headers
    text = map_response("hello")
    assert text.status == 200 and json.loads(text.body) == "hello"
