"""The seminars admin API: create an event and a session, register, roster, check in by QR, CSV in Shift_JIS."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from seminars_env import WS

from haishin.api.app import AdminApi
from tests.support.admin_api import call_admin_api, ensure_operator


def call(
    api: AdminApi, method: str, path: str, body: Any = None, role: str = "owner", query: str = ""
) -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=WS, role=role, body=body, query=query)


def test_admin_flow(env: Any, friends: Any) -> None:
    api = AdminApi()
    status, event = call(api, "POST", "/api/seminars", {"title": "営業セミナー"})
    assert status == 201, event
    event_id = event["event_id"]
    status, session = call(
        api,
        "POST",
        f"/api/seminars/{event_id}/sessions",
        {
            "starts_at": "2026-01-10T19:00",
            "ends_at": "2026-01-10T21:00",
            "online_url": "https://zoom.us/j/1",
            "capacity": 1,
        },
    )
    assert status == 201 and session["starts_at"] == "2026-01-10T19:00:00+09:00", session
    status, bad = call(
        api,
        "POST",
        f"/api/seminars/{event_id}/sessions",
        {"starts_at": "2026-01-10T19:00", "ends_at": "2026-01-10T21:00", "capacity": 1},
    )
    assert status == 422 and bad["where"] == "venue" and "会場" in bad["message"]
    a, b = friends(2)
    status, reg = call(
        api,
        "POST",
        f"/api/seminars/{event_id}/registrations",
        {"subscriber_id": a, "session_id": session["session_id"]},
    )
    assert status == 201 and reg["status"] == "confirmed"
    status, second = call(
        api,
        "POST",
        f"/api/seminars/{event_id}/registrations",
        {"subscriber_id": b, "session_id": session["session_id"]},
    )
    assert second["status"] == "waitlisted"
    status, got = call(api, "GET", f"/api/seminars/{event_id}")
    assert got["sessions"][0]["seats_left"] == 0 and got["sessions"][0]["waiting"] == 1
    code = env.service.qr_text(WS, env.service.repo.registration(WS, event_id, reg["registration_id"]))
    status, checked = call(api, "POST", "/api/seminars/check-in", {"code": code})
    assert status == 200 and checked["attendance"] == "attended" and checked["display_name"] == "友だち0"
    status, again = call(api, "POST", "/api/seminars/check-in", {"code": code})
    assert status == 409 and "すでに使用" in again["message"]
    status, roster = call(api, "GET", f"/api/seminars/{event_id}/registrations")
    assert [r["attendance"] for r in roster["items"]] == ["attended", ""]
    status, link = call(api, "POST", f"/api/seminars/{event_id}/link", {"subscriber_id": b})
    assert status == 200 and f"/sem/{WS}/{event_id}?t=" in link["url"]
    # viewers may not manage seminars
    status, _ = call(api, "GET", "/api/seminars", role="viewer")
    assert status == 403
    # the roster CSV in Shift_JIS for Excel
    path = f"/api/seminars/{event_id}/roster.csv"
    event_in = {
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": path,
        "rawQueryString": "encoding=shift_jis",
        "headers": {},
        "queryStringParameters": {"encoding": "shift_jis"},
        "requestContext": {
            "http": {"method": "GET", "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
            "requestId": "r1",
            "domainName": "localhost",
            "authorizer": {"jwt": {"claims": ensure_operator(WS, "owner@example.jp", "owner")}},
        },
        "isBase64Encoded": False,
    }
    response = api.handle(event_in, LambdaContext())
    assert response["statusCode"] == 200, response
    raw = base64.b64decode(response["body"]) if response.get("isBase64Encoded") else response["body"].encode()
    assert "出席".encode("cp932") in raw and "charset=shift_jis" in json.dumps(response["headers"])
