"""LINE's limits and the emulator's fault injection, over raw HTTP (the SDK refuses some of these bodies itself)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import uuid

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, TOKEN, call, text

from haishin_local.line_emulator import DEFAULT_RATE_LIMITS, LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."

PUSH = "/v2/bot/message/push"


def test_six_messages_are_400_with_details(emulator: LineEmulator) -> None:
    status, body, _ = call(emulator, "POST", PUSH, {"to": ALICE, "messages": [text("x")] * 6})
    assert status == 400
    assert body["message"] == "The request body has 1 error(s)"
    assert body["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    assert call(emulator, "POST", PUSH, {"to": ALICE, "messages": []})[0] == 400
    assert emulator.received(ALICE) == []


def test_message_fields_are_validated(emulator: LineEmulator) -> None:
    messages = [
        {"type": "text"},
        {"type": "text", "text": "あ" * 5001},
        {"type": "image", "originalContentUrl": "http://example.com/a.png", "previewImageUrl": "https://e.com/p.png"},
        {"type": "sticker", "packageId": "446"},
        {"type": "carousel"},
    ]
    status, body, _ = call(emulator, "POST", PUSH, {"to": ALICE, "messages": messages})
    assert status == 400
    props = [d["property"] for d in body["details"]]
    assert props == [
        "messages[0].text",
        "messages[1].text",
        "messages[2].originalContentUrl",
        "messages[3].stickerId",
        "messages[4].type",
    ]
    good = [
        text("a" * 5000),
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {
            "type": "template",
            "altText": "選んでください",
            "template": {
                "type": "buttons",
                "text": "予約しますか？",
                "actions": [{"type": "postback", "label": "はい", "data": "action=book"}],
            },
        },
        {"type": "flex", "altText": "flex", "contents": {"type": "bubble", "body": {"type": "box"}}},
        {
            "type": "text",
            "text": "quick",
            "quickReply": {"items": [{"type": "action", "action": {"type": "message", "label": "A", "text": "A"}}]},
        },
    ]
    assert call(emulator, "POST", PUSH, {"to": ALICE, "messages": good})[0] == 200


def test_501_multicast_recipients_are_400(emulator: LineEmulator) -> None:
    to = [f"U{i:032x}" for i in range(501)]
    status, body, _ = call(emulator, "POST", "/v2/bot/message/multicast", {"to": to, "messages": [text("x")]})
    assert status == 400
    assert body["details"] == [{"message": "Size must be between 1 and 500", "property": "to"}]
    assert call(emulator, "POST", "/v2/bot/message/multicast", {"to": to[:500], "messages": [text("x")]})[0] == 200


def test_body_over_2mb_is_413_and_malformed_json_is_400(emulator: LineEmulator) -> None:
    big = json.dumps({"to": ALICE, "messages": [text("x" * (2 * 1024 * 1024))]}).encode()
    assert call(emulator, "POST", PUSH, raw=big)[0] == 413
    status, body, _ = call(emulator, "POST", PUSH, raw=b"{not json")
    assert (status, body) == (400, {"message": "The request body could not be parsed as JSON (line: 1, column: 2)"})
    assert emulator.received(ALICE) == []
    assert emulator.stats()["calls"]["push"] == {"413": 1, "400": 1}


def test_rate_limit_answers_429_without_retry_after() -> None:
    emu = LineEmulator(rate_limits={"multicast": (3, 3600.0)}).start()
    try:
        emu.register_channel(CHANNEL_ID, "secret", TOKEN)
        emu.follow(CHANNEL_ID, ALICE)
        body = {"to": [ALICE], "messages": [text("x")]}
        results = [call(emu, "POST", "/v2/bot/message/multicast", body) for _ in range(5)]
        assert [status for status, _, _ in results] == [200, 200, 200, 429, 429]
        _, out, headers = results[-1]
        assert out == {"message": "The API rate limit has been exceeded. Try again later."}
        assert "Retry-After" not in headers
        assert call(emu, "POST", PUSH, {"to": ALICE, "messages": [text("push")]})[0] == 200  # another class
        assert len(emu.received(ALICE)) == 4
        emu.set_rate_limits({"default": (1, 3600.0)})
        assert [call(emu, "GET", "/v2/bot/info")[0] for _ in range(2)] == [200, 429]
    finally:
        emu.stop()


def test_default_rate_limits_are_lines() -> None:
    assert DEFAULT_RATE_LIMITS["default"] == (2000, 1.0)
    assert DEFAULT_RATE_LIMITS["multicast"] == (200, 1.0)
    assert DEFAULT_RATE_LIMITS["broadcast"] == (60, 3600.0)
    assert DEFAULT_RATE_LIMITS["narrowcast"] == (60, 3600.0)
    assert DEFAULT_RATE_LIMITS["audience"] == (60, 60.0)
    assert DEFAULT_RATE_LIMITS["richmenu_manage"] == (100, 3600.0)
    assert DEFAULT_RATE_LIMITS["richmenu_list"] == (10, 1.0)
    assert DEFAULT_RATE_LIMITS["webhook_settings"] == (1000, 60.0)
    assert DEFAULT_RATE_LIMITS["webhook_test"] == (60, 3600.0)


def test_rich_menu_and_webhook_test_limits_count_per_endpoint(emulator: LineEmulator) -> None:
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "m", "areas": []}
    created = [call(emulator, "POST", "/v2/bot/richmenu", menu) for _ in range(101)]
    assert [status for status, _, _ in created].count(200) == 100
    assert created[-1][:2] == (429, {"message": "The API rate limit has been exceeded. Try again later."})
    assert call(emulator, "DELETE", f"/v2/bot/richmenu/{created[0][1]['richMenuId']}")[0] == 200  # its own bucket
    assert call(emulator, "POST", "/v2/bot/richmenu/validate", menu)[0] == 200  # not limited per hour
    tests = [call(emulator, "POST", "/v2/bot/channel/webhook/test")[0] for _ in range(61)]
    assert tests == [404] * 60 + [429]  # no webhook URL: answered, and counted
    assert call(emulator, "GET", "/v2/bot/info")[0] == 200


def _error_run(emu: LineEmulator, n: int) -> list[int]:
    emu.set_faults(error_rate=0.2, seed=42)
    return [call(emu, "POST", PUSH, {"to": ALICE, "messages": [text(str(i))]})[0] for i in range(n)]


def test_seeded_error_faults_give_the_expected_share_without_delivery(emulator: LineEmulator) -> None:
    statuses = _error_run(emulator, 300)
    errors = [s for s in statuses if s >= 500]
    assert set(errors) <= {500, 502, 503}
    assert 0.12 <= len(errors) / len(statuses) <= 0.28
    assert len(emulator.received(ALICE)) == statuses.count(200) == 300 - len(errors)
    emulator.reset()
    assert _error_run(emulator, 300) == statuses  # reproducible
    emulator.clear_faults()
    assert call(emulator, "POST", PUSH, {"to": ALICE, "messages": [text("ok")]})[0] == 200


def test_throttle_burst_and_fixed_status(emulator: LineEmulator) -> None:
    emulator.set_faults(throttle_burst=2)
    got = [call(emulator, "GET", "/v2/bot/info")[0] for _ in range(3)]
    assert got == [429, 429, 200]
    emulator.set_faults(error_rate=1.0, status=503, endpoints=["push"])
    assert call(emulator, "POST", PUSH, {"to": ALICE, "messages": [text("x")]})[0] == 503
    assert call(emulator, "GET", "/v2/bot/info")[0] == 200


def _raw_push(emu: LineEmulator, key: str) -> int:
    """One push on a fresh connection; raises if the emulator drops the connection without answering."""
    url = urllib.parse.urlsplit(emu.base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=5)
    try:
        payload = json.dumps({"to": ALICE, "messages": [text("important")]})
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "X-Line-Retry-Key": key}
        conn.request("POST", PUSH, payload, headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_timeout_before_delivery_delivers_nothing(emulator: LineEmulator) -> None:
    emulator.set_faults(timeout_rate=1.0, timeout_s=0.05)
    key = str(uuid.uuid4())
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        _raw_push(emulator, key)
    assert emulator.received(ALICE) == []
    emulator.clear_faults()
    assert _raw_push(emulator, key) == 200  # the key was not consumed
    assert len(emulator.received(ALICE)) == 1
    assert emulator.stats()["calls"]["push"] == {"timeout": 1, "200": 1}


def test_timeout_after_delivery_is_made_harmless_by_the_retry_key(emulator: LineEmulator) -> None:
    emulator.set_faults(timeout_rate=1.0, timeout_s=0.05, timeout_after_delivery=True)
    key = str(uuid.uuid4())
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        _raw_push(emulator, key)
    assert len(emulator.received(ALICE)) == 1  # LINE accepted it; the client never heard
    emulator.clear_faults()
    assert _raw_push(emulator, key) == 409
    assert len(emulator.received(ALICE)) == 1


def test_blocked_users_are_recorded_but_not_received(emulator: LineEmulator) -> None:
    emulator.unfollow(CHANNEL_ID, BOB)
    assert call(emulator, "POST", PUSH, {"to": BOB, "messages": [text("hi")]})[0] == 200
    assert emulator.received(BOB) == []
    [blocked] = emulator.received(BOB, include_blocked=True)
    assert blocked["status"] == "blocked"
    assert emulator.quota_consumption(CHANNEL_ID) == 0
    assert emulator.stats()["blocked"] == {"push": 1}


def test_control_http_api(emulator: LineEmulator) -> None:
    status, _, _ = call(
        emulator,
        "POST",
        "/_emulator/channels",
        {"channel_id": "1650000009", "channel_secret": "sec", "access_token": "tok-9", "display_name": "HTTP"},
    )
    assert status == 200
    assert call(emulator, "POST", "/_emulator/users", {"user_id": "U" + "c" * 32, "display_name": "C"})[0] == 200
    assert (
        call(emulator, "POST", "/_emulator/follow", {"channel_id": "1650000009", "user_id": "U" + "c" * 32})[0] == 200
    )
    assert call(emulator, "POST", PUSH, {"to": "U" + "c" * 32, "messages": [text("via http")]}, token="tok-9")[0] == 200
    status, messages, _ = call(emulator, "GET", f"/_emulator/users/{'U' + 'c' * 32}/messages", token=None)
    assert [m["message"]["text"] for m in messages] == ["via http"]
    assert call(emulator, "POST", "/_emulator/faults", {"throttle_burst": 1, "seed": 7})[0] == 200
    assert call(emulator, "GET", "/v2/bot/info")[0] == 429
    status, stats, _ = call(emulator, "GET", "/_emulator/stats")
    assert stats["calls"]["push"] == {"200": 1}
    assert stats["calls"]["bot_info"] == {"429": 1}
    assert call(emulator, "POST", "/_emulator/reset", {})[0] == 200
    assert call(emulator, "GET", "/_emulator/stats")[1]["calls"] == {}
    assert call(emulator, "POST", "/_emulator/rate_limits", {"default": [1, 60]})[0] == 200
    assert call(emulator, "POST", "/_emulator/faults", {"bogus": 1})[0] == 400


def _raw(emu: LineEmulator, method: str, path: str, token: str | None = TOKEN) -> tuple[int, str, bytes]:
    """One request with any method on a fresh connection: (status, content type, body)."""
    url = urllib.parse.urlsplit(emu.base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=5)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "TRACE", "PROPFIND"])
def test_methods_without_a_route_get_lines_json_error(emulator: LineEmulator, method: str) -> None:
    for path in ("/v2/bot/info", "/v2/bot/message/push", "/v2/bot/nowhere"):
        status, content_type, body = _raw(emulator, method, path)
        assert (status, content_type, json.loads(body)) == (404, "application/json", {"message": "Not found"})
    status, content_type, body = _raw(emulator, method, "/v2/bot/info", token=None)
    assert (status, json.loads(body)["message"]) == (401, AUTH_FAILED)
    assert emulator.stats()["calls"]["unknown"] == {"404": 3, "401": 1}


def test_head_answers_the_status_without_a_body(emulator: LineEmulator) -> None:
    status, content_type, body = _raw(emulator, "HEAD", "/v2/bot/info")
    assert (status, content_type, body) == (404, "application/json", b"")
    assert _raw(emulator, "GET", "/v2/bot/info")[0] == 200  # the connection handling is still sound
