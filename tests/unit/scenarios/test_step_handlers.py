"""The step delivery handlers on their sample events (events/step_tick.json, events/delivery_worker.json)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from haishin import wiring
from haishin.delivery.messages import DeliveryMessage
from tests.unit.scenarios.step_harness import StepWorld

ROOT = Path(__file__).resolve().parents[3]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"handler_{name}", ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Context:
    function_name = "f"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    aws_request_id = "r"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def sample(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> Iterator[StepWorld]:
    manual_clock.set(datetime(2026, 1, 5, 0, 0, tzinfo=UTC))
    built = StepWorld()
    previous = wiring.install(built.services)
    try:
        yield built
    finally:
        wiring.install(previous)


def test_step_tick_handler_on_its_scheduled_event(world: StepWorld) -> None:
    event = sample("step_tick")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "hi", "steps": [{"line": [{"type": "text", "text": "hi"}]}]})
    world.enroll(ws, world.friend(ws, "U1"), scenario)
    answer = load("step_tick").lambda_handler(event, Context())
    assert answer["enqueued"] == 1 and answer["failed"] == 0 and answer["caught_up"] is True
    [message] = world.queue.take()
    assert message.kind == "step" and message.channel == "line"


def test_delivery_worker_handler_on_its_sample_message(world: StepWorld) -> None:
    event = sample("delivery_worker")
    body = json.loads(event["Records"][0]["body"])
    message = DeliveryMessage.from_dict(body)  # the real format, version 1
    assert message.step is not None
    ws = world.workspace(message.workspace_id)
    scenario = world.scenario(ws, {"id": message.step.scenario_id, "name": "welcome", "steps": [
        {"id": message.step.step_id, "line": [{"type": "text", "text": "{{ name }}さん、ようこそ"}]}]})
    assert scenario.version == message.step.scenario_version
    subscriber = world.friend(ws, "U1", subscriber_id=message.recipients[0])
    world.enroll(ws, subscriber, scenario)
    answer = load("delivery_worker").lambda_handler(event, Context())
    assert answer == {"batchItemFailures": []}
    assert [r.text for r in world.line.of("U1")] == ["Hanakoさん、ようこそ"]
    row = world.services.ledger.get(message.delivery_id)
    assert row is not None and row.status == "sent"
    # the same record again (SQS at-least-once): nothing more is sent
    assert load("delivery_worker").lambda_handler(event, Context()) == {"batchItemFailures": []}
    assert len(world.line.of("U1")) == 1
