"""The webhook: signature, size, unknown channel, verify request, enqueue-before-200 (fakes, no network)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from haishin import wiring
from haishin.ingest.webhook import ChannelRef, WebhookService
from haishin.line.signature import sign, verify
from haishin.wiring import Services

from .conftest import CH, SECRET, WS

REPO = Path(__file__).resolve().parents[3]
SECRET_NAME = f"haishin/local/{WS}/line/{CH}"


class FakeChannels:
    def __init__(self) -> None:
        self.refs = {CH: ChannelRef(CH, WS, SECRET_NAME)}
        self.calls = 0

    def get(self, channel_id: str) -> ChannelRef | None:
        self.calls += 1
        return self.refs.get(channel_id)


class FakeSecrets:
    def __init__(self, secret: str = SECRET) -> None:
        self.current = secret
        self.cached = secret
        self.fresh_reads = 0

    def channel_secret(self, secret_name: str, *, fresh: bool = False) -> str | None:
        if fresh:
            self.fresh_reads += 1
            self.cached = self.current
        return self.cached


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.fail = False

    def send(self, body: str) -> None:
        if self.fail:
            raise OSError("queue unavailable")
        self.sent.append(body)


@pytest.fixture
def parts() -> tuple[WebhookService, FakeChannels, FakeSecrets, FakeSender]:
    channels, secrets, sender = FakeChannels(), FakeSecrets(), FakeSender()
    return WebhookService(channels, secrets, sender, max_body_bytes=64 * 1024), channels, secrets, sender


def body_of(events: list[dict[str, Any]]) -> str:
    return json.dumps({"destination": "Ubot", "events": events}, ensure_ascii=False, separators=(",", ":"))


def request(body: str | bytes, *, signature: str | None = "auto", channel_id: str = CH, secret: str = SECRET,
            b64: bool = False) -> dict[str, Any]:
    raw = body.encode() if isinstance(body, str) else body
    headers = {"content-type": "application/json"}
    if signature == "auto":
        headers["x-line-signature"] = sign(secret, raw)
    elif signature is not None:
        headers["x-line-signature"] = signature
    return {
        "pathParameters": {"channel_id": channel_id}, "headers": headers,
        "body": base64.b64encode(raw).decode() if b64 else raw.decode("utf-8", "replace"),
        "isBase64Encoded": b64,
    }


EVENT = {"type": "message", "mode": "active", "timestamp": 1767571200000, "webhookEventId": "01E1",
         "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": "U1"},
         "replyToken": "rt", "message": {"id": "1", "type": "text", "text": "こんにちは"}}


def test_signature_helpers() -> None:
    raw = b'{"events":[]}'
    assert verify(SECRET, raw, sign(SECRET, raw))
    assert not verify(SECRET, raw + b" ", sign(SECRET, raw))
    assert not verify(SECRET, raw, None)
    assert not verify(SECRET, raw, "ｘ")  # non-ASCII header value


def test_signed_body_is_enqueued_before_200(parts: Any) -> None:
    service, _, _, sender = parts
    raw = body_of([EVENT])
    response = service.handle(request(raw))
    assert response["statusCode"] == 200
    assert len(sender.sent) == 1
    message = json.loads(sender.sent[0])
    assert message["channel_id"] == CH and message["workspace_id"] == WS
    assert message["body"] == raw  # exactly what LINE signed
    assert message["received_at"]


def test_one_changed_byte_is_rejected_and_nothing_enqueued(parts: Any) -> None:
    service, _, secrets, sender = parts
    raw = body_of([EVENT]).encode()
    good = sign(SECRET, raw)
    tampered = raw.replace("こんにちは".encode(), "こんにちわ".encode())
    assert len(tampered) == len(raw)
    event = request(tampered, signature=good)
    assert service.handle(event)["statusCode"] == 401
    assert sender.sent == []
    assert secrets.fresh_reads == 1  # one re-read in case the secret was rotated


def test_missing_signature_is_401_without_reading_the_secret_twice(parts: Any) -> None:
    service, _, secrets, sender = parts
    assert service.handle(request(body_of([EVENT]), signature=None))["statusCode"] == 401
    assert sender.sent == [] and secrets.fresh_reads == 0


def test_secret_rotation_needs_no_downtime(parts: Any) -> None:
    service, _, secrets, sender = parts
    rotated = "0123456789abcdef0123456789abcdef"
    secrets.current = rotated  # the cache still holds the old secret
    response = service.handle(request(body_of([EVENT]), secret=rotated))
    assert response["statusCode"] == 200 and len(sender.sent) == 1
    assert secrets.fresh_reads == 1


def test_forged_signatures_cannot_flood_secrets_manager(parts: Any) -> None:
    service, _, secrets, _ = parts
    for _ in range(20):
        assert service.handle(request(body_of([EVENT]), signature="AAAA"))["statusCode"] == 401
    assert secrets.fresh_reads == 1


def test_base64_body_from_api_gateway_is_decoded_before_checking(parts: Any) -> None:
    service, _, _, sender = parts
    raw = body_of([EVENT])
    assert service.handle(request(raw, b64=True))["statusCode"] == 200
    assert json.loads(sender.sent[0])["body"] == raw


def test_body_too_large_is_413(parts: Any) -> None:
    service, channels, _, sender = parts
    raw = body_of([{**EVENT, "message": {"id": "1", "type": "text", "text": "あ" * 30000}}])
    assert service.handle(request(raw))["statusCode"] == 413
    assert service.handle(request(raw, b64=True))["statusCode"] == 413
    assert sender.sent == [] and channels.calls == 0


def test_unknown_or_disconnected_channel_is_404(parts: Any) -> None:
    service, channels, _, sender = parts
    assert service.handle(request(body_of([EVENT]), channel_id="9999999999"))["statusCode"] == 404
    assert service.handle(request(body_of([EVENT]), channel_id="../etc"))["statusCode"] == 404
    channels.refs[CH] = ChannelRef(CH, WS, SECRET_NAME, status="disconnected")
    assert service.handle(request(body_of([EVENT])))["statusCode"] == 404
    assert sender.sent == []


def test_verify_request_is_200_and_enqueued_as_a_marker(parts: Any) -> None:
    service, _, _, sender = parts
    response = service.handle(request(body_of([])))
    assert response["statusCode"] == 200
    assert json.loads(json.loads(sender.sent[0])["body"])["events"] == []


@pytest.mark.parametrize(("raw", "status"), [("{not json", 400), ('{"destination":"U"}', 400),
                                             ('{"events":{}}', 400), ("[]", 400)])
def test_malformed_but_signed_bodies_are_400(parts: Any, raw: str, status: int) -> None:
    service, _, _, sender = parts
    assert service.handle(request(raw))["statusCode"] == status
    assert sender.sent == []


def test_queue_unavailable_is_500_never_200(parts: Any) -> None:
    service, _, _, sender = parts
    sender.fail = True
    response = service.handle(request(body_of([EVENT])))
    assert response["statusCode"] == 500
    assert sender.sent == []


def test_lookup_failure_is_500_so_line_redelivers(parts: Any) -> None:
    service, channels, _, sender = parts

    def boom(channel_id: str) -> None:
        raise OSError("dynamodb down")

    channels.get = boom
    assert service.handle(request(body_of([EVENT])))["statusCode"] == 500
    assert sender.sent == []


def test_sample_event_is_signed_with_the_test_secret(parts: Any) -> None:
    service, _, _, sender = parts
    event = json.loads((REPO / "events" / "line_webhook.json").read_text(encoding="utf-8"))
    assert verify(SECRET, event["body"].encode(), event["headers"]["x-line-signature"])
    assert service.handle(event)["statusCode"] == 200 and len(sender.sent) == 1


def test_handler_uses_injected_service(parts: Any) -> None:
    service, _, _, sender = parts
    sys.path.insert(0, str(REPO / "functions" / "line_webhook"))
    try:
        import importlib  # noqa: PLC0415

        app = importlib.import_module("app")
        if "line_webhook" not in (app.__file__ or ""):  # another function's app.py got imported under that name
            del sys.modules["app"]
            app = importlib.import_module("app")
        previous = wiring.install(Services(line_webhook=service))
        try:
            assert app.lambda_handler(request(body_of([EVENT])), None)["statusCode"] == 200
        finally:
            wiring.install(previous)
    finally:
        sys.path.remove(str(REPO / "functions" / "line_webhook"))
        sys.modules.pop("app", None)
    assert len(sender.sent) == 1


def test_handler_module_imports_no_heavy_dependency() -> None:
    code = (
        "import sys; sys.path.insert(0, 'functions/line_webhook'); import app; "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'boto3', 'botocore', 'pynamodb', 'linebot', 'stripe', 'aws_lambda_powertools', 'pydantic', 'jinja2'}); "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
