"""The WebhookSender Lambda: one attempt per record through the composition root's service; a retry is a delayed
message on WebhookQueue (the record succeeds); a record it cannot read is a partial batch failure."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from haishin import wiring
from haishin.secrets import InMemorySecretStore
from haishin.webhooks.queue import SqsWebhookQueue
from haishin.webhooks.repository import WebhookRepository
from haishin.webhooks.schemas import EndpointDefinition
from haishin.webhooks.sender import SendResult
from haishin.webhooks.service import WebhookService
from tests.unit.scenarios.test_step_handlers import load
from tests.unit.webhooks.conftest import WS, ScriptedSender

SAMPLE = json.loads((Path(__file__).parents[3] / "events" / "webhook_sender.json").read_text())


class Context:
    function_name = "WebhookSenderFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:WebhookSenderFunction"
    aws_request_id = "r"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def sender(aws: Any, manual_clock: Any) -> Iterator[ScriptedSender]:
    scripted = ScriptedSender()
    services = wiring.Services(webhooks=WebhookService(WebhookRepository(), InMemorySecretStore(), SqsWebhookQueue(),
                                                        scripted))
    previous = wiring.install(services)
    try:
        yield scripted
    finally:
        wiring.install(previous)


def record(body: str, message_id: str) -> dict[str, Any]:
    return {**SAMPLE["Records"][0], "messageId": message_id, "body": body}


def test_attempts_retries_by_delayed_message_and_reports_unreadable_records(aws: Any, sender: ScriptedSender) -> None:
    hooks = wiring.services().webhooks
    hooks.create_endpoint(WS, EndpointDefinition.model_validate({"url": "https://hooks.example.com/in",
                                                                 "events": ["blocked"]}))
    hooks.publish(WS, "blocked", {"subscriber_id": "s_1"}, idempotency_key="blocked:evt1")
    [message] = aws.receive_all("WebhookQueue")
    sender.script = [SendResult(503, 10)]
    event = {"Records": [record(message["Body"], "m-ok"), record("not json", "m-bad")]}
    answer = load("webhook_sender").lambda_handler(event, Context())
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ["m-bad"]
    assert len(sender.posts) == 1
    attributes = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_urls["WebhookQueue"], AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"  # the retry waits its backoff
    assert wiring.services().webhooks.deliveries(WS)[0]["status"] == "retrying"


def test_the_sample_event_reaches_the_handler(aws: Any, sender: ScriptedSender) -> None:
    answer = load("webhook_sender").lambda_handler(SAMPLE, Context())
    assert answer["batchItemFailures"] == []  # a delivery that does not exist is settled, not retried forever


def test_the_handler_imports_with_its_layers_only() -> None:
    """WebhookSenderFunction carries the base and render layers: no line-bot-sdk, no stripe at import."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys, importlib.abc, importlib.util\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('linebot', 'stripe'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "spec = importlib.util.spec_from_file_location('h', 'functions/webhook_sender/app.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
    )
    root = Path(__file__).parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_batches_on_threads_of_one_process_report_only_their_own_failures(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The local runtime's SQS mapping invokes one handler module from up to four threads (Lambda would use four
    environments). A batch processor kept at module level mixed their records: a batch answered with another's
    failures, so SQS retried a sent record and deleted a failed one. Every SQS consumer makes its own per batch."""
    module = load("webhook_sender")
    both_started = threading.Barrier(2, timeout=10)

    def handle_body(_hooks: Any, _queue: Any, body: str) -> str:
        if body.endswith("-first"):
            both_started.wait()  # each batch is inside the processor when the other starts
        if body.startswith("bad"):
            raise ValueError(body)
        return "sent"

    monkeypatch.setattr(module, "handle_body", handle_body)
    no_services = SimpleNamespace(webhooks=SimpleNamespace(queue=None))  # handle_body above needs none of them
    monkeypatch.setattr(module, "services", lambda: no_services)

    def batch(name: str) -> list[str]:
        bodies = [f"ok-{name}-first", f"bad-{name}", f"ok-{name}-last"]
        event = {"Records": [record(body, f"{name}-{i}") for i, body in enumerate(bodies)]}
        return [f["itemIdentifier"] for f in module.lambda_handler(event, Context())["batchItemFailures"]]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(batch, ["a", "b"]))
    assert answers == [["a-1"], ["b-1"]]
