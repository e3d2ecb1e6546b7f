"""The delivery worker watches the invocation's remaining time (passed in by the Lambda handler from its context):
before the function would time out, the unsent recipients go back to SQS (a batch item failure, visible again at
once), and the redelivery sends only those, never one already sent."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from haishin import wiring
from tests.unit.broadcasts.harness import BroadcastWorld
from tests.unit.scenarios.test_step_handlers import load


class Clocked:
    """A fake monotonic clock: every email send takes 10 s."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Context:
    function_name = "DeliveryWorkerFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:DeliveryWorkerFunction"
    aws_request_id = "r"

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def invoke(event: dict[str, Any], context: Context) -> list[str]:
    """The message IDs the invocation hands back to SQS (Powertools raises when every record failed: all of them)."""
    try:
        answer = load("delivery_worker").lambda_handler(event, context)
    except BatchProcessingError:
        return [r["messageId"] for r in event["Records"]]
    return [f["itemIdentifier"] for f in answer["batchItemFailures"]]


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> Iterator[BroadcastWorld]:
    built = BroadcastWorld()
    previous = wiring.install(built.services)
    try:
        yield built
    finally:
        wiring.install(previous)


def test_a_slow_batch_hands_the_unsent_rest_back_before_the_timeout_and_nobody_gets_two(world: BroadcastWorld
                                                                                        ) -> None:
    ws = world.workspace()
    for i in range(6):
        world.friends(ws, 1, start=i, email=f"friend{i}@example.jp")
    broadcast_id = world.create(ws, channel="email", content={"email": {"subject": "セール", "text": "本日限り"}})
    world.service.send_now(ws, broadcast_id)
    world.plan()
    [message] = world.waiting
    clock = Clocked()
    world.worker.monotonic = clock
    real_send = world.email.send

    def slow_send(**kwargs: Any) -> str:
        clock.t += 10.0
        return real_send(**kwargs)

    world.email.send = slow_send  # type: ignore[method-assign]
    event = {"Records": [{"messageId": "m1", "receiptHandle": "h1", "body": message.to_json(),
                          "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}]}
    # 45 s left: the worker keeps a margin to settle and answer, so it stops well before the 6 x 10 s it would need
    assert invoke(event, Context(45_000)) == ["m1"]
    sent_first = len(world.email.sent)
    assert 0 < sent_first < 6
    assert invoke(event, Context(120_000)) == []  # SQS delivers it again: the rest goes
    per_address = Counter(e["to"] for e in world.email.sent)
    assert len(per_address) == 6 and set(per_address.values()) == {1}
    view = world.view(ws, broadcast_id)
    assert view["progress"]["sent"] == 6 and view["status"] == "done"


def test_a_record_is_not_started_when_the_time_is_already_up(world: BroadcastWorld) -> None:
    ws = world.workspace()
    world.friends(ws, 3)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    [message] = world.waiting
    event = {"Records": [{"messageId": "m1", "receiptHandle": "h1", "body": message.to_json(),
                          "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}]}
    assert invoke(event, Context(2_000)) == ["m1"]
    assert world.line.received == []
    assert json.loads(message.to_json())["delivery_id"] == message.delivery_id
