"""The local Lambda SQS event source mapping: poll a moto queue, invoke the consumer, honour partial failures.

Per source: one poller thread receives up to ``BatchSize`` messages whenever one of ``MaximumConcurrency`` slots is
free, builds the records Lambda builds, and invokes the handler on a worker thread. Successful records are deleted;
records named in ``batchItemFailures`` (or all of them when the handler raises or answers an invalid response) are
made visible again after a short backoff, so the retry happens soon. The queue's ``RedrivePolicy`` is enforced by
moto itself at receive time: a message received ``maxReceiveCount`` times moves to the dead-letter queue.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .functions import LocalFunction
from .template import REGION, SqsSource

log = logging.getLogger("haishin_local.sqs")

LOCAL_CONCURRENCY_CAP = 4


def effective_concurrency(source: SqsSource, cap: int = LOCAL_CONCURRENCY_CAP) -> int:
    requested = source.maximum_concurrency or cap
    return max(1, min(requested, cap))


def sqs_record(message: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """A record of a Lambda SQS event, from a ReceiveMessage result message."""
    attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
    message_attributes: dict[str, Any] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {
            "stringListValues": list(value.get("StringListValues") or []),
            "binaryListValues": [base64.b64encode(b).decode() for b in value.get("BinaryListValues") or []],
            "dataType": value.get("DataType", "String"),
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            entry["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else str(raw)
        message_attributes[name] = entry
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": REGION,
    }


def failed_ids(result: Any, message_ids: list[str], report_batch_item_failures: bool) -> set[str]:
    """Which records failed, by Lambda's rules for the handler's return value."""
    if not report_batch_item_failures or result is None:
        return set()
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(message_ids)
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in message_ids:
            return set(message_ids)  # an invalid response fails the whole batch, as Lambda does
        failed.add(identifier)
    return failed


class SqsPump:
    def __init__(
        self,
        source: SqsSource,
        function: LocalFunction,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        *,
        concurrency_cap: int = LOCAL_CONCURRENCY_CAP,
        retry_backoff_seconds: int = 1,
        idle_poll_seconds: float = 0.25,
    ) -> None:
        self.source = source
        self.function = function
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.concurrency = effective_concurrency(source, concurrency_cap)
        self.retry_backoff_seconds = retry_backoff_seconds
        self.idle_poll_seconds = idle_poll_seconds
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._held = threading.Event()  # tests: the consumer is late (a cold start, a backlog)
        self._inflight = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self.batches = 0
        self.failed_records = 0

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._inflight > 0

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix=f"sqs-{self.source.queue_id}")
        self._thread = threading.Thread(target=self._run, name=f"pump-{self.source.queue_id}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Receive nothing while inside (batches already running finish): a consumer that is late, as after a cold
        start or behind a backlog; the messages wait in the queue and are taken on leaving."""
        self._held.set()
        try:
            yield
        finally:
            self._held.clear()
            self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._held.is_set():
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            if not self._slots.acquire(timeout=0.5):
                continue
            try:
                messages = self._receive()
            except Exception as exc:
                self._slots.release()
                if not self._stop.is_set():
                    log.warning("receive from %s failed: %s", self.source.queue_id, exc)
                self._stop.wait(1)
                continue
            if not messages:
                self._slots.release()
                self._wake.wait(self.idle_poll_seconds)
                self._wake.clear()
                continue
            with self._lock:
                self._inflight += 1
            assert self._pool is not None
            try:
                self._pool.submit(self._process, messages)
            except RuntimeError:  # the pool shut down while stopping
                with self._lock:
                    self._inflight -= 1
                self._slots.release()
                return

    def _receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages") or []
        return messages

    def _process(self, messages: list[dict[str, Any]]) -> None:
        try:
            self.process_batch(messages)
        except Exception:
            log.exception("pump %s failed to settle a batch", self.source.queue_id)
        finally:
            with self._lock:
                self._inflight -= 1
            self._slots.release()
            self._wake.set()

    def process_batch(self, messages: list[dict[str, Any]]) -> set[str]:
        """Invoke the handler with one batch and settle it; returns the ids of the failed records."""
        records = [sqs_record(m, self.queue_arn) for m in messages]
        ids = [r["messageId"] for r in records]
        self.batches += 1
        try:
            result = self.function.invoke({"Records": records})
            failed = failed_ids(result, ids, self.source.report_batch_item_failures)
        except Exception as exc:
            log.warning(
                "%s raised %s: %s; the whole batch of %d will be retried",
                self.function.name,
                type(exc).__name__,
                exc,
                len(ids),
            )
            failed = set(ids)
        self.failed_records += len(failed)
        ok = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        for start in range(0, len(ok), 10):
            chunk = ok[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        for start in range(0, len(retry), 10):
            chunk = retry[start : start + 10]
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_backoff_seconds}
                    for i, m in enumerate(chunk)
                ],
            )
        return failed
