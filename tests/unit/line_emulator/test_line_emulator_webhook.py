"""The friend's side: signed webhooks to a tiny receiving server, reply tokens, redelivery, verify, phone page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID, SECRET, TOKEN, call, text
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    SetWebhookEndpointRequest,
)
from linebot.v3.messaging import TestWebhookEndpointRequest as WebhookTestRequest  # not a pytest class

from haishin import clock
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

CAROL = "U" + "c" * 32


class Receiver:
    """A minimal webhook endpoint recording raw bodies and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, dict[str, str]]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((raw, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/line/webhook/{CHANNEL_ID}"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw, _ in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(emulator: LineEmulator) -> Iterator[Receiver]:
    rec = Receiver()
    emulator.set_webhook_url(CHANNEL_ID, rec.url)
    try:
        yield rec
    finally:
        rec.close()


@pytest.fixture
def api(emulator: LineEmulator) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=emulator.base_url, access_token=TOKEN)) as client:
        yield MessagingApi(client)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    previous = clock.install(manual)
    try:
        yield manual
    finally:
        clock.install(previous)


def test_follow_webhook_is_signed_and_line_shaped(emulator: LineEmulator, receiver: Receiver) -> None:
    assert emulator.follow(CHANNEL_ID, CAROL) == 200
    [(raw, headers)] = receiver.requests
    expected = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["x-line-signature"], expected)
    body = json.loads(raw)
    assert body["destination"] == emulator.channel_info(CHANNEL_ID)["botUserId"]
    [event] = body["events"]
    assert event["type"] == "follow"
    assert event["mode"] == "active"
    assert event["source"] == {"type": "user", "userId": CAROL}
    assert event["deliveryContext"] == {"isRedelivery": False}
    assert event["follow"] == {"isUnblocked": False}
    assert len(event["webhookEventId"]) == 26
    assert event["replyToken"]
    assert CAROL in emulator.followers(CHANNEL_ID)


def test_message_postback_unfollow_refollow_and_redeliver(emulator: LineEmulator, receiver: Receiver) -> None:
    assert emulator.send_text(CHANNEL_ID, ALICE, "予約したい") == 200
    assert emulator.postback(CHANNEL_ID, ALICE, "action=book&slot=1") == 200
    assert emulator.unfollow(CHANNEL_ID, ALICE) == 200
    assert emulator.follow(CHANNEL_ID, ALICE) == 200
    message, postback, unfollow, follow = (b["events"][0] for b in receiver.bodies())
    assert message["message"]["type"] == "text"
    assert message["message"]["text"] == "予約したい"
    assert message["message"]["id"] and message["message"]["quoteToken"]
    assert postback["postback"] == {"data": "action=book&slot=1"}
    assert "replyToken" not in unfollow
    assert follow["follow"] == {"isUnblocked": True}
    assert emulator.redeliver(message["webhookEventId"]) == 200
    again = receiver.bodies()[-1]["events"][0]
    assert again["webhookEventId"] == message["webhookEventId"]
    assert again["deliveryContext"] == {"isRedelivery": True}


def test_verify_request_and_webhook_status(emulator: LineEmulator, receiver: Receiver) -> None:
    assert emulator.verify_webhook(CHANNEL_ID) == 200
    assert receiver.bodies()[-1]["events"] == []
    receiver.status = 500
    assert emulator.send_text(CHANNEL_ID, ALICE, "x") == 500
    assert emulator.webhook_log(CHANNEL_ID)[-1]["status"] == 500
    status, result, _ = call(emulator, "POST", "/v2/bot/channel/webhook/test")
    assert (status, result["success"], result["statusCode"]) == (200, False, 500)


def test_no_webhook_url_returns_0(emulator: LineEmulator) -> None:
    assert emulator.send_text(CHANNEL_ID, ALICE, "x") == 0
    assert emulator.last_event(CHANNEL_ID, ALICE)["message"]["text"] == "x"  # type: ignore[index]


def test_reply_token_is_single_use(emulator: LineEmulator, receiver: Receiver) -> None:
    emulator.send_text(CHANNEL_ID, ALICE, "hello")
    token = receiver.bodies()[-1]["events"][0]["replyToken"]
    body = {"replyToken": token, "messages": [text("いらっしゃいませ")]}
    status, out, _ = call(emulator, "POST", "/v2/bot/message/reply", body)
    assert status == 200
    assert len(out["sentMessages"]) == 1
    status, out, _ = call(emulator, "POST", "/v2/bot/message/reply", body)
    assert (status, out) == (400, {"message": "Invalid reply token"})
    assert [r["endpoint"] for r in emulator.received(ALICE)] == ["reply"]
    assert emulator.quota_consumption(CHANNEL_ID) == 0  # replies are free


def test_reply_token_expires_after_60_seconds_of_emulator_time(
    emulator: LineEmulator, manual_clock: clock.ManualClock
) -> None:
    fresh = emulator.issue_reply_token(CHANNEL_ID, ALICE)
    stale = emulator.issue_reply_token(CHANNEL_ID, BOB)
    manual_clock.advance(timedelta(seconds=59))
    assert call(emulator, "POST", "/v2/bot/message/reply", {"replyToken": fresh, "messages": [text("ok")]})[0] == 200
    manual_clock.advance(timedelta(seconds=2))
    status, out, _ = call(emulator, "POST", "/v2/bot/message/reply", {"replyToken": stale, "messages": [text("no")]})
    assert (status, out) == (400, {"message": "Invalid reply token"})
    assert emulator.received(BOB) == []


def test_reply_token_window_is_settable_for_tests_and_reset_restores_it(
    emulator: LineEmulator, manual_clock: clock.ManualClock
) -> None:
    emulator.set_reply_token_ttl(timedelta(0))  # every reply refused, as a token used or expired
    refused = emulator.issue_reply_token(CHANNEL_ID, ALICE)
    status, out, _ = call(emulator, "POST", "/v2/bot/message/reply", {"replyToken": refused, "messages": [text("x")]})
    assert (status, out) == (400, {"message": "Invalid reply token"})
    emulator.set_reply_token_ttl(timedelta(seconds=5))
    short = emulator.issue_reply_token(CHANNEL_ID, ALICE)
    manual_clock.advance(timedelta(seconds=6))
    assert call(emulator, "POST", "/v2/bot/message/reply", {"replyToken": short, "messages": [text("x")]})[0] == 400
    emulator.reset()
    fresh = emulator.issue_reply_token(CHANNEL_ID, ALICE)
    manual_clock.advance(timedelta(seconds=59))
    assert call(emulator, "POST", "/v2/bot/message/reply", {"replyToken": fresh, "messages": [text("ok")]})[0] == 200


def test_retry_key_window_is_24_hours_of_emulator_time(emulator: LineEmulator, manual_clock: clock.ManualClock) -> None:
    key = "123e4567-e89b-12d3-a456-426614174000"
    body = {"to": ALICE, "messages": [text("x")]}
    headers = {"X-Line-Retry-Key": key}
    assert call(emulator, "POST", "/v2/bot/message/push", body, headers=headers)[0] == 200
    manual_clock.advance(timedelta(hours=23, minutes=59))
    assert call(emulator, "POST", "/v2/bot/message/push", body, headers=headers)[0] == 409
    manual_clock.advance(timedelta(minutes=2))
    assert call(emulator, "POST", "/v2/bot/message/push", body, headers=headers)[0] == 200


def test_phone_page_and_feed(emulator: LineEmulator, receiver: Receiver) -> None:
    with urllib.request.urlopen(f"{emulator.base_url}/_emulator/phone?channel={CHANNEL_ID}&user={ALICE}") as resp:
        html = resp.read().decode()
    assert "友だち追加" in html
    assert "ブロック" in html
    assert "メッセージを入力" in html
    call(emulator, "POST", "/v2/bot/message/push", {"to": ALICE, "messages": [text("ようこそ")]})
    status, out, _ = call(
        emulator,
        "POST",
        "/_emulator/phone/action",
        {"action": "text", "channel_id": CHANNEL_ID, "user_id": ALICE, "text": "こんにちは"},
    )
    assert (status, out) == (200, {"status": 200})
    status, state, _ = call(emulator, "GET", f"/_emulator/phone/state?channel={CHANNEL_ID}&user={ALICE}")
    assert state["following"] is True
    bubbles = [(i["from"], i.get("text") or i.get("message", {}).get("text")) for i in state["items"]]
    assert bubbles[-2:] == [("bot", "ようこそ"), ("user", "こんにちは")]
    assert receiver.bodies()[-1]["events"][0]["message"]["text"] == "こんにちは"


def _closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was just free)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/line/webhook"


def test_webhook_endpoint_must_be_an_https_url_of_at_most_500_characters(
    emulator: LineEmulator, api: MessagingApi
) -> None:
    good = "https://hooks.example.com/line/webhook/" + "a" * 461  # 500 characters
    assert len(good) == 500
    api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=good))
    with pytest.raises(ApiException) as info:
        api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint="http://hooks.example.com/line/webhook"))
    assert (info.value.status, json.loads(info.value.body)) == (400, {"message": "Invalid webhook endpoint URL"})
    refused = [
        good + "a",  # 501 characters (the SDK refuses it itself)
        "https://hooks.example.com/line webhook",
        "https://hooks.example.com/line\u0001webhook",
        "https://hooks.example.com/\twebhook",
        "https://[::1/webhook",
        "https://[fe80::zz]/webhook",
        "https://hooks.example.com:99999/webhook",
        "https:///webhook",
        "ftp://hooks.example.com/webhook",
        "hooks.example.com/webhook",
        "",
        None,
        42,
    ]
    for endpoint in refused:
        status, body, _ = call(emulator, "PUT", "/v2/bot/channel/webhook/endpoint", {"endpoint": endpoint})
        assert (status, body) == (400, {"message": "Invalid webhook endpoint URL"}), endpoint
    assert api.get_webhook_endpoint().endpoint == good
    api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint="https://[2001:db8::1]:8443/webhook"))
    assert api.get_webhook_endpoint().endpoint == "https://[2001:db8::1]:8443/webhook"


def test_webhook_endpoint_without_a_url_is_404(emulator: LineEmulator, api: MessagingApi) -> None:
    with pytest.raises(ApiException) as info:
        api.get_webhook_endpoint()
    assert (info.value.status, json.loads(info.value.body)) == (404, {"message": "Webhook endpoint not found"})
    with pytest.raises(ApiException) as info:
        api.test_webhook_endpoint()
    assert (info.value.status, json.loads(info.value.body)) == (404, {"message": "Webhook endpoint not found"})
    emulator.set_webhook_url(CHANNEL_ID, "https://hooks.example.com/line/webhook")
    got = api.get_webhook_endpoint()
    assert (got.endpoint, got.active) == ("https://hooks.example.com/line/webhook", True)


def test_webhook_test_sends_to_the_endpoint_in_the_body(
    emulator: LineEmulator, receiver: Receiver, api: MessagingApi
) -> None:
    other = Receiver()
    try:
        emulator.allow_http_urls = True  # the local receivers speak http
        result = api.test_webhook_endpoint(WebhookTestRequest(endpoint=other.url))
        assert (result.success, result.status_code, result.reason, result.detail) == (True, 200, "OK", "200")
        assert [b["events"] for b in other.bodies()] == [[]]
        assert receiver.requests == []  # the stored URL was not used
        other.status = 503
        result = api.test_webhook_endpoint(WebhookTestRequest(endpoint=other.url))
        assert (result.success, result.status_code, result.reason) == (False, 503, "ERROR_STATUS_CODE")
        result = api.test_webhook_endpoint(WebhookTestRequest(endpoint=_closed_port_url()))
        assert (result.success, result.status_code, result.reason) == (False, 0, "COULD_NOT_CONNECT")
        result = api.test_webhook_endpoint()  # no endpoint: the stored URL
        assert (result.success, result.status_code) == (True, 200)
        assert len(receiver.requests) == 1
        emulator.allow_http_urls = False
        with pytest.raises(ApiException) as info:  # LINE only posts to https URLs
            api.test_webhook_endpoint(WebhookTestRequest(endpoint=other.url))
        assert (info.value.status, json.loads(info.value.body)) == (400, {"message": "Invalid webhook endpoint URL"})
        assert len(other.requests) == 2
    finally:
        other.close()


@pytest.mark.parametrize("stored", ["http://[::1/line/webhook", "http://127.0.0.1:1/line webhook", "no-scheme"])
def test_a_malformed_stored_webhook_url_is_a_failed_test_not_a_dropped_connection(
    emulator: LineEmulator, api: MessagingApi, stored: str
) -> None:
    emulator.set_webhook_url(CHANNEL_ID, stored)
    result = api.test_webhook_endpoint()
    assert (result.success, result.status_code) == (False, 0)
    assert result.reason in ("UNCLASSIFIED", "COULD_NOT_CONNECT")
    assert emulator.send_text(CHANNEL_ID, ALICE, "こんにちは") == 0  # a friend's message no longer raises either
    assert emulator.webhook_log(CHANNEL_ID)[-1]["status"] == 0
