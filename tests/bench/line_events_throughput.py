"""Consumer throughput: follow events per second (prints; never asserts). Load average printed with each figure.

1. in-process against in-memory fakes for DynamoDB (subscribers, aliases, timeline, idempotency) and LINE: the
   processor's own cost per event. Target >= 500 follow events/s.
2. the production wiring (the composition root's repositories: SubscriberRepository, Timeline, EventLedger,
   ChannelActivity, AutoReplyStore, the scenario engine as trigger) against DynamoDB Local with template.yaml's tables
   (started here, in memory), LINE still a fake (no network): follow events/s, DynamoDB calls and units per event.
   ``--ddb-events N`` (default 200); ``--no-dynamodb-local`` skips it.

Run: .venv/bin/python tests/bench/line_events_throughput.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from haishin.ingest.consumer import LineEventsConsumer
from haishin.ingest.processor import LineEventProcessor
from haishin.storage.once import InMemoryLedger
from haishin.subscribers.models import SubscriberModel, line_account

WS, CH = "w_bench", "1234567890"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}, {os.cpu_count()} cpus]"


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


class NoTriggers:
    """Follow events with no scenario to start: the consumer's own cost."""

    def on_trigger(self, *args: Any, **kwargs: Any) -> None:
        return None

    def stop_all(self, *args: Any, **kwargs: Any) -> None:
        return None


class NoFirstSteps:
    """No "immediately" first step to send: the consumer's own cost."""

    def answer(self, *args: Any, **kwargs: Any) -> list[str]:
        return []


class NoEvents:
    """No outgoing-webhook endpoints: the consumer's own cost."""

    def publish(self, *args: Any, **kwargs: Any) -> int:
        return 0


def in_memory(count: int = 20000) -> None:
    processor = LineEventProcessor(
        subscribers=MemorySubscribers(), timeline=MemoryTimeline(), ledger=InMemoryLedger(),  # type: ignore[arg-type]
        line=FakeLine(), triggers=NoTriggers(), auto_replies=NoReplies(), channels=Channels(),
        actions=None, optout=None, events=NoEvents(), optout_keywords=None,  # type: ignore[arg-type]
        first_steps=NoFirstSteps(),
    )
    consumer = LineEventsConsumer(processor)
    all_bodies = bodies(count)
    start = time.perf_counter()
    for i in range(0, len(all_bodies), 10):
        result = consumer.handle(sqs_event(all_bodies[i:i + 10]))
        assert not result["batchItemFailures"], result
    elapsed = time.perf_counter() - start
    print(f"consumer, follow events, in-memory fakes (target >= 500/s): {count / elapsed:,.0f} events/s "
          f"({count} in {elapsed:.2f} s) {load()}")


def dynamodb_local(count: int) -> None:
    from step_fixture import dynamodb_local as start  # noqa: PLC0415
    from step_fixture import install_meter  # noqa: PLC0415

    meter = install_meter()
    with start():
        from haishin.wiring import Services  # noqa: PLC0415

        consumer = Services(line_clients=FakeLine()).line_events_consumer  # the production graph, LINE faked
        all_bodies = bodies(count + 50)
        for i in range(0, 10, 10):  # warm-up: first batch (lazy imports, connection pool), not counted
            consumer.handle(sqs_event(all_bodies[i:i + 10]))
        meter.reset()
        failures = 0
        start_at, cpu0 = time.perf_counter(), time.process_time()
        for i in range(10, len(all_bodies), 10):
            failures += len(consumer.handle(sqs_event(all_bodies[i:i + 10]))["batchItemFailures"])
        elapsed, cpu = time.perf_counter() - start_at, time.process_time() - cpu0
        events = count  # 5 events per body, first 10 bodies (50 events) were the warm-up
        calls = ", ".join(f"{k.split(':')[1]} {v / events:.2f}" for k, v in sorted(meter.calls.items())
                          if k.startswith("dynamodb:"))
        print(f"consumer, follow events, DynamoDB Local (production repositories, fake LINE): "
              f"{events / elapsed:,.0f} events/s ({events} in {elapsed:.2f} s, consumer CPU "
              f"{cpu / events * 1e6:.0f} us/event, failed bodies {failures}) {load()}")
        print(f"  per follow event: RCU {meter.read_units / events:.2f}, WCU {meter.write_units / events:.2f}; "
              f"DynamoDB calls: {calls}; botocore clients created {meter.clients_created / events:.2f} per event "
              f"(should be 0 once warm: clients are built once per process)")


if __name__ == "__main__":
    in_memory()
    if "--no-dynamodb-local" not in sys.argv:
        n = int(sys.argv[sys.argv.index("--ddb-events") + 1]) if "--ddb-events" in sys.argv else 200
        dynamodb_local(n)
