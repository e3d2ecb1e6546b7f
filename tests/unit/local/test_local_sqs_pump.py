"""The SQS event source mapping: records, partial batch failures, settling a batch (no sockets: a fake queue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from haishin_local.runtime.functions import LocalFunction
from haishin_local.runtime.sqs_pump import SqsPump, effective_concurrency, failed_ids, sqs_record
from haishin_local.runtime.template import FunctionSpec, SqsSource

ARN = "arn:aws:sqs:us-east-1:123456789012:Q"


def message(i: int) -> dict[str, Any]:
    return {
        "MessageId": f"m{i}",
        "ReceiptHandle": f"r{i}",
        "Body": f'{{"n": {i}}}',
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": "delivery"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    }


class FakeSqs:
    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.retried: list[tuple[str, int]] = []

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> None:
        self.deleted += [e["ReceiptHandle"] for e in Entries]

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> None:
        self.retried += [(e["ReceiptHandle"], e["VisibilityTimeout"]) for e in Entries]


def pump_with(handler: Any, report: bool = True) -> tuple[SqsPump, FakeSqs]:
    spec = FunctionSpec("Consumer", Path("."), "app.h", Path("app.py"), "h")
    function = LocalFunction(spec)
    function.override(handler)
    sqs = FakeSqs()
    source = SqsSource("Consumer", "Ev", "Q", batch_size=10, report_batch_item_failures=report)
    return SqsPump(source, function, sqs, "http://q", ARN, retry_backoff_seconds=1), sqs


def test_record_shape() -> None:
    record = sqs_record(message(1), ARN)
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "r1"
    assert record["body"] == '{"n": 1}'
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "delivery",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AQI="
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == ARN
    assert record["awsRegion"] == "us-east-1"


def test_failed_ids_rules() -> None:
    ids = ["a", "b", "c"]
    assert failed_ids({"batchItemFailures": []}, ids, True) == set()
    assert failed_ids(None, ids, True) == set()
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids, True) == {"b"}
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, ids, True) == set(ids)  # invalid
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, ids, True) == set(ids)
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids, False) == set()  # not enabled


def test_partial_failure_deletes_the_rest_and_retries_the_failed() -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        assert context.function_name == "Consumer"
        assert context.get_remaining_time_in_millis() > 0
        return {"batchItemFailures": [{"itemIdentifier": "m2"}]}

    pump, sqs = pump_with(handler)
    assert pump.process_batch([message(1), message(2), message(3)]) == {"m2"}
    assert [r["messageId"] for r in seen[0]["Records"]] == ["m1", "m2", "m3"]
    assert sorted(sqs.deleted) == ["r1", "r3"]
    assert sqs.retried == [("r2", 1)]


def test_exception_fails_the_whole_batch() -> None:
    def handler(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("boom")

    pump, sqs = pump_with(handler)
    assert pump.process_batch([message(1), message(2)]) == {"m1", "m2"}
    assert sqs.deleted == []
    assert sorted(h for h, _ in sqs.retried) == ["r1", "r2"]


def test_concurrency_is_capped_locally() -> None:
    assert effective_concurrency(SqsSource("F", "E", "Q", maximum_concurrency=50)) == 4
    assert effective_concurrency(SqsSource("F", "E", "Q", maximum_concurrency=2)) == 2
    assert effective_concurrency(SqsSource("F", "E", "Q")) == 4
