"""Fixtures for the LINE channel / ingestion tests: fakes for LINE, a processor on moto, an admin API caller."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from haishin.auth.caller import Caller
from haishin.auth.permissions import Role, effective_permissions
from haishin.autoreplies.rules import AutoReplyStore
from haishin.channels.activity import ChannelActivity
from haishin.ingest.processor import LineEventProcessor
from haishin.line.client import LineApiError, SendResult
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from haishin.wiring import Services

WS = "w_test"
CH = "1234567890"
SECRET = "8c3c0a1b2d4e5f60718293a4b5c6d7e8"
TOKEN = "access-token-abcdefghijklmnopqrstuvwxyz-1234"
BOT_INFO = {"userId": "Ubot0000000000000000000000000001", "basicId": "@123abcde", "displayName": "Salon Haru"}


@dataclass
class FakeLine:
    """One channel's LINE client: records every send; faults are set per test."""

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    pushes: list[tuple[str, list[dict[str, Any]], str | None]] = field(default_factory=list)
    unlinked: list[list[str]] = field(default_factory=list)
    reply_error: LineApiError | None = None
    push_error: LineApiError | None = None
    profile_error: Exception | None = None
    bot_info_error: LineApiError | None = None
    used_tokens: set[str] = field(default_factory=set)
    marked_read: list[str] = field(default_factory=list)
    loading: list[tuple[str, int]] = field(default_factory=list)
    mark_read_error: Exception | None = None
    loading_error: Exception | None = None

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        if self.reply_error:
            raise self.reply_error
        if reply_token in self.used_tokens:
            raise LineApiError(400, "Invalid reply token")
        self.used_tokens.add(reply_token)
        self.replies.append((reply_token, messages))
        return SendResult(request_id="r")

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
             unit: str | None = None) -> SendResult:
        if self.push_error:
            raise self.push_error
        if retry_key and any(k == retry_key for _, _, k in self.pushes):
            return SendResult(request_id=None, already_accepted=True)
        self.pushes.append((to, messages, retry_key))
        return SendResult(request_id="p")

    def profile(self, user_id: str) -> dict[str, Any]:
        if self.profile_error:
            raise self.profile_error
        return self.profiles.get(user_id, {"userId": user_id, "displayName": f"name-{user_id[-4:]}",
                                           "pictureUrl": f"https://profile.line-scdn.net/{user_id}"})

    def mark_as_read(self, mark_as_read_token: str) -> None:
        if self.mark_read_error:
            raise self.mark_read_error
        self.marked_read.append(mark_as_read_token)

    def show_loading(self, user_id: str, seconds: int = 5) -> None:
        if self.loading_error:
            raise self.loading_error
        self.loading.append((user_id, seconds))

    def bot_info(self) -> dict[str, Any]:
        if self.bot_info_error:
            raise self.bot_info_error
        return dict(BOT_INFO)

    def unlink_rich_menus(self, user_ids: list[str]) -> None:
        self.unlinked.append(list(user_ids))

    def close(self) -> None:
        return None


class FakeLineClients:
    def __init__(self, line: FakeLine) -> None:
        self.line = line
        self.forgotten: list[tuple[str, str]] = []

    def for_channel(self, workspace_id: str, channel_id: str) -> FakeLine:
        return self.line

    def forget(self, workspace_id: str, channel_id: str) -> None:
        self.forgotten.append((workspace_id, channel_id))


class RecordingTriggers:
    """The scenario engine as ingestion sees it, recording each call (a test fake: production always has the
    engine, built by the composition root)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> None:
        self.calls.append(("trigger", workspace_id, subscriber_id, trigger, idempotency_key))

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> None:
        self.calls.append(("stop_all", workspace_id, subscriber_id, reason))

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        self.calls.append(("start", workspace_id, subscriber_id, scenario_id, trigger))

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> None:
        self.calls.append(("stop", workspace_id, subscriber_id, scenario_id, reason))


@dataclass
class Ingest:
    processor: LineEventProcessor
    line: FakeLine
    triggers: RecordingTriggers
    subscribers: SubscriberRepository
    timeline: Timeline


@pytest.fixture
def fake_line() -> FakeLine:
    return FakeLine()


@pytest.fixture
def ingest(aws: Any, manual_clock: Any, fake_line: FakeLine) -> Iterator[Ingest]:
    triggers = RecordingTriggers()
    root = Services(line_clients=FakeLineClients(fake_line), scenario_service=triggers,
                    auto_replies=AutoReplyStore(cache_ttl_s=0), channel_activity=ChannelActivity(cache_ttl_s=0))
    yield Ingest(root.line_events, fake_line, triggers, root.subscribers, root.timeline)


_ids = itertools.count(1)


def line_event(kind: str, user: str = "U00000000000000000000000000000001", *, ts: int = 1767571200000,
               event_id: str | None = None, redelivery: bool = False, mode: str = "active",
               **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind, "mode": mode, "timestamp": ts,
        "webhookEventId": event_id or f"01TESTEVENT{next(_ids):015d}",
        "deliveryContext": {"isRedelivery": redelivery},
        "source": {"type": "user", "userId": user},
    }
    if kind in ("follow", "message", "postback", "join", "memberJoined"):
        event["replyToken"] = f"rt-{event['webhookEventId']}"
    event.update(extra)
    return event


def text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    return line_event("message", message={"id": str(next(_ids)), "type": "text", "text": text}, **kwargs)


def envelope(events: list[dict[str, Any]], *, channel_id: str = CH, workspace_id: str = WS) -> str:
    body = json.dumps({"destination": BOT_INFO["userId"], "events": events}, ensure_ascii=False)
    return json.dumps({"channel_id": channel_id, "workspace_id": workspace_id,
                       "received_at": "2026-01-05T00:00:00.000000+00:00", "body": body})


def caller(role: Role = Role.OWNER, *, workspace_id: str = WS, channel_id: str | None = None,
           operator_id: str = "op-1") -> Caller:
    return Caller(operator_id=operator_id, email="op@example.com", workspace_id=workspace_id, role=role,
                  permissions=effective_permissions(role), channel_id=channel_id)


class Api:
    """Calls the admin API resolver in-process as API Gateway would, as a given caller."""

    def __init__(self) -> None:
        from haishin.api.app import build_app  # noqa: PLC0415

        self.app = build_app()

    def __call__(self, method: str, path: str, body: Any = None, *, as_: Caller | None = None,
                 headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> tuple[int, Any]:
        from haishin.api.security import set_caller  # noqa: PLC0415
        from haishin.public_url import serving  # noqa: PLC0415

        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"content-type": "application/json", **(headers or {})},
            "queryStringParameters": query,
            "requestContext": {"domainName": "api.example.test", "stage": "$default", "requestId": "x",
                               "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "t"}},
            "body": json.dumps(body) if body is not None and not isinstance(body, str) else body,
            "isBase64Encoded": False,
        }
        set_caller(as_ or caller())
        try:
            with serving(event):  # as AdminApi.handle does: URLs start with this request's domain and stage
                result = self.app.resolve(event, _Context())
        finally:
            set_caller(None)
        text = result.get("body") or "null"
        return int(result["statusCode"]), json.loads(text)


class _Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30000


@pytest.fixture
def api(aws: Any, manual_clock: Any) -> Api:
    return Api()
