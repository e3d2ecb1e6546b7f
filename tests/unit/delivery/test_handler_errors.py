"""An unexpected exception in the delivery worker is logged with the delivery ID and its traceback (Powertools'
batch processor alone logs a failed record only at DEBUG), and still fails the record so SQS retries it."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from haishin.delivery.handler import handle_record
from haishin.delivery.messages import DeliveryMessage


class Exploding:
    def stop_at(self, remaining_ms: int) -> float:
        return 0.0

    def process(self, message: DeliveryMessage, **kwargs: Any) -> str:
        raise ConnectionResetError("DynamoDB went away")


def test_an_unexpected_worker_exception_is_logged_with_the_delivery_id(caplog: pytest.LogCaptureFixture) -> None:
    message = DeliveryMessage(kind="step", workspace_id="ws1", delivery_id="st_lost", retry_key="k", channel="line",
                              recipients=["sub1"], content={"line": [{"type": "text", "text": "x"}]})
    with caplog.at_level(logging.INFO), pytest.raises(ConnectionResetError):
        record = {"body": message.to_json(), "attributes": {"ApproximateReceiveCount": "1"}}
        handle_record(Exploding(), record,  # type: ignore[arg-type]
                      logger=logging.getLogger("test.delivery"))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and getattr(errors[0], "delivery_id", None) == "st_lost"
    assert errors[0].exc_info is not None and "DynamoDB went away" in str(errors[0].exc_info[1])
