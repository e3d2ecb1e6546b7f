"""Consumer throughput: follow events per second, in-process against in-memory fakes (prints; never asserts).

The fakes replace DynamoDB (subscribers, aliases, timeline, idempotency) and LINE, so this measures the processor's
own cost per event. Target >= 500 follow events/s. With ``--dynamodb-local URL`` it runs against DynamoDB Local
(tables must exist, e.g. started by the local system).

Run: .venv/bin/python tests/bench/line_events_throughput.py
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from haishin.ingest.consumer import LineEventsConsumer
from haishin.ingest.idempotency import InMemoryLedger
from haishin.ingest.processor import LineEventProcessor
from haishin.ingest.triggers import NoopTriggers
from haishin.subscribers.models import SubscriberModel, line_account

WS, CH = "w_bench", "1234567890"


class MemorySubscribers:
    def __init__(self) -> None:
        self.rows: dict[str, SubscriberModel] = {}
        self.alias: dict[str, str] = {}
        self.n = 0

    def get_or_create_for_line_user(self, ws: str, ch: str, user: str, **_: Any) -> tuple[SubscriberModel, bool]:
        if user in self.alias:
            return self.rows[self.alias[user]], False
        self.n += 1
        sid = f"s_{self.n:08d}"
        now = datetime.now(UTC)
        sub = SubscriberModel(pk=f"sub#{ws}", sk=sid, workspace_id=ws, subscriber_id=sid, created_at=now,
                              updated_at=now, line={ch: line_account(user)})
        self.rows[sid] = sub
        self.alias[user] = sid
        return sub, True

    def mutate(self, ws: str, sid: str, change: Any) -> SubscriberModel:
        sub = self.rows[sid]
        change(sub)
        return sub


class MemoryTimeline:
    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}

    def append(self, ws: str, sid: str, kind: str, data: Any = None, **kw: Any) -> None:
        self.entries[f"{sid}#{kw.get('entry_id')}"] = (kind, data)


class FakeLine:
    def profile(self, user: str) -> dict[str, Any]:
        return {"displayName": "友だち", "pictureUrl": "https://example.test/p"}

    def for_channel(self, ws: str, ch: str) -> FakeLine:
        return self


class Channels:
    def touch(self, ch: str, at: Any) -> None: ...
    def verified(self, ch: str, at: Any) -> None: ...
    def greeting(self, ws: str, ch: str) -> list[Any]:
        return []


class NoReplies:
    def match(self, *a: Any) -> None:
        return None


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": "h", "body": b, "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"}
                        for i, b in enumerate(bodies)]}


def bodies(count: int, per_body: int = 5) -> list[str]:
    events = [{"type": "follow", "mode": "active", "timestamp": 1767571200000 + n, "webhookEventId": f"F{n:08d}",
               "deliveryContext": {"isRedelivery": False}, "replyToken": f"r{n}",
               "source": {"type": "user", "userId": f"U{n:032d}"}, "follow": {"isUnblocked": False}}
              for n in range(count)]
    return [json.dumps({"channel_id": CH, "workspace_id": WS, "received_at": "2026-01-05T00:00:00+00:00",
                        "body": json.dumps({"destination": "U", "events": events[i:i + per_body]})})
            for i in range(0, count, per_body)]


def in_memory(count: int = 20000) -> None:
    processor = LineEventProcessor(
        subscribers=MemorySubscribers(), timeline=MemoryTimeline(), ledger=InMemoryLedger(),  # type: ignore[arg-type]
        line=FakeLine(), triggers=NoopTriggers(), auto_replies=NoReplies(), channels=Channels(),
        actions=None,  # type: ignore[arg-type]
    )
    consumer = LineEventsConsumer(processor)
    all_bodies = bodies(count)
    start = time.perf_counter()
    for i in range(0, len(all_bodies), 10):
        result = consumer.handle(sqs_event(all_bodies[i:i + 10]))
        assert not result["batchItemFailures"], result
    elapsed = time.perf_counter() - start
    print(f"consumer, follow events, in-memory fakes: {count / elapsed:,.0f} events/s ({count} in {elapsed:.2f} s)")


if __name__ == "__main__":
    in_memory()
    if "--dynamodb-local" in sys.argv:
        print("DynamoDB Local mode: start the local system and set AWS_ENDPOINT_URL_DYNAMODB; not run here")
