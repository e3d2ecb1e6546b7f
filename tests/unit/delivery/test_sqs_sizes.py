"""SQS counts UTF-8 bytes (Japanese: 3 per character): every message and every SendMessageBatch call stays within
the queue's MaximumMessageSize (``haishin.sqs_limits.MAX_MESSAGE_BYTES``, the value template.yaml sets).
moto measures characters, so these tests use a stand-in that measures like SQS does."""

from __future__ import annotations

import json
from typing import Any

from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.queue import SqsDeliverySender
from haishin.ingest.webhook import ChannelRef, WebhookService
from haishin.line.signature import sign
from haishin.sqs_limits import MAX_MESSAGE_BYTES, batches
from tests.unit.broadcasts.harness import BroadcastWorld

JAPANESE = "配信のお知らせです。"  # 10 characters, 30 bytes


class BytesMeasuringSqs:
    """SendMessage/SendMessageBatch with SQS's limits in UTF-8 bytes."""

    def __init__(self, limit: int = MAX_MESSAGE_BYTES) -> None:
        self.limit = limit
        self.calls: list[list[str]] = []
        self.refused = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        bodies = [e["MessageBody"] for e in Entries]
        if len(bodies) > 10 or sum(len(b.encode()) for b in bodies) > self.limit \
                or any(len(b.encode()) > self.limit for b in bodies):
            self.refused += 1
            raise RuntimeError("BatchRequestTooLong / MessageTooLong")
        self.calls.append(bodies)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def message(n: int, text: str) -> DeliveryMessage:
    return DeliveryMessage(kind="broadcast", workspace_id="ws1", delivery_id=f"d{n}", retry_key=f"k{n}",
                           channel="line", recipients=[f"s{n}"], content={"line": [{"type": "text", "text": text}]})


def test_delivery_batches_are_cut_by_utf8_bytes_not_characters() -> None:
    sqs = BytesMeasuringSqs()
    text = JAPANESE * 1_500  # 15,000 characters = 45,000 bytes per message
    messages = [message(n, text) for n in range(10)]
    assert sum(len(m.to_json()) for m in messages) < MAX_MESSAGE_BYTES  # fits if one counted characters
    failed = SqsDeliverySender(client=sqs, queue_url="q").send(messages)
    assert failed == set() and sqs.refused == 0
    sent = [json.loads(b)["delivery_id"] for call in sqs.calls for b in call]
    assert sent == [f"d{n}" for n in range(10)]  # every message once, in order
    assert len(sqs.calls) > 1


def test_a_message_over_the_limit_is_reported_not_lost() -> None:
    sqs = BytesMeasuringSqs()
    failed = SqsDeliverySender(client=sqs, queue_url="q").send([message(0, "短"), message(1, "長" * 90_000)])
    assert failed == {"d1"}  # stays due for the caller; the other one went
    assert [json.loads(b)["delivery_id"] for call in sqs.calls for b in call] == ["d0"]


def test_batches_helper_counts_bytes() -> None:
    calls, too_large = batches(["あ" * 50, "あ" * 50, "a" * 100], limit=250)
    assert calls == [[0], [1, 2]] and too_large == []


def test_personalised_japanese_broadcast_batches_fit_the_queue(aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 150, names=[f"友だち{i}" for i in range(150)])  # every rendering differs: 150 groups
    long_text = "{{ name }}さん、" + JAPANESE * 150  # 1,500+ characters, 4,500+ bytes per friend
    broadcast_id = world.create(ws, content={"line": [{"type": "text", "text": long_text}]})
    world.service.send_now(ws, broadcast_id)
    world.plan()
    sizes = [len(m.to_json().encode()) for m in world.waiting]
    assert sizes and max(sizes) <= MAX_MESSAGE_BYTES
    world.drain()
    assert len(world.line.received) == 150
    assert world.view(ws, broadcast_id)["status"] == "done"


class _Channels:
    def get(self, channel_id: str) -> ChannelRef:
        return ChannelRef(channel_id, "ws1", "secret-name")


class _Secrets:
    def channel_secret(self, secret_name: str, *, fresh: bool = False) -> str:
        return "s3cret"


class _Sender:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str) -> None:
        assert len(body.encode()) <= MAX_MESSAGE_BYTES, "SQS refuses this message: LINE would redeliver forever"
        self.sent.append(body)


def test_a_webhook_body_over_the_queue_limit_is_split_by_events(manual_clock: Any) -> None:
    events = [{"type": "message", "webhookEventId": f"ev{i}", "timestamp": 1,
               "source": {"type": "user", "userId": "U1"}, "replyToken": f"r{i}",
               "message": {"type": "text", "id": str(i), "text": JAPANESE * 490}} for i in range(40)]
    raw = json.dumps({"destination": "Ubot", "events": events}, ensure_ascii=False).encode()
    assert MAX_MESSAGE_BYTES < len(raw) < 1024 * 1024  # a body LINE may send, over the queue's limit
    sender = _Sender()
    service = WebhookService(_Channels(), _Secrets(), sender, max_body_bytes=1024 * 1024)
    response = service.handle({"pathParameters": {"channel_id": "1234567890"},
                               "headers": {"x-line-signature": sign("s3cret", raw)},
                               "body": raw.decode(), "isBase64Encoded": False})
    assert response["statusCode"] == 200
    assert len(sender.sent) > 1
    seen = [e["webhookEventId"] for m in sender.sent for e in json.loads(json.loads(m)["body"])["events"]]
    assert seen == [f"ev{i}" for i in range(40)]
