"""The delivery worker and ledger, one behaviour per test (in-process world of tests/unit/scenarios)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from haishin.delivery.ledger import Ledger
from haishin.delivery.worker import PermanentFailure, RetryLater
from haishin.line.client import LineApiError, SendResult
from tests.unit.scenarios.step_harness import FakeLine, StepWorld


class ScriptedLine(FakeLine):
    """Answers from a script (exceptions or "ok"), then accepts."""

    def __init__(self, script: list[Any]) -> None:
        super().__init__()
        self.script = list(script)

    def multicast(self, to: list[str], messages: list[dict[str, Any]], *, retry_key: str | None = None,
                  unit: str | None = None) -> SendResult:
        if self.script:
            answer = self.script.pop(0)
            self.calls += 1
            if isinstance(answer, Exception):
                raise answer
        return super().multicast(to, messages, retry_key=retry_key)


def one_step(world: StepWorld, **friend: Any) -> Any:
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "one", "steps": [{"id": "s", "line": [{"type": "text", "text": "hi"}]}]})
    world.enroll(ws, world.friend(ws, "U1", **friend), scenario)
    world.tick()
    [message] = world.waiting
    world.waiting.clear()
    return message


def test_409_on_the_retry_key_counts_as_sent(aws: Any, manual_clock: Any) -> None:
    world = StepWorld()
    message = one_step(world)
    world.line.keys.add(message.retry_key)  # LINE accepted it before (e.g. the answer was lost): 409
    assert world.services.worker.process(message) == "sent"
    row = Ledger().get(message.delivery_id)
    assert row.status == "sent" and row.already_accepted == 1
    assert world.line.received == []  # nothing new reached the friend


def test_permanent_4xx_is_recorded_then_fails_towards_the_dlq(aws: Any, manual_clock: Any) -> None:
    world = StepWorld(ScriptedLine([LineApiError(400, "The request body has 1 error(s)")]))
    message = one_step(world)
    with pytest.raises(PermanentFailure):
        world.services.worker.process(message)
    row = Ledger().get(message.delivery_id)
    assert row.status == "failed" and "request body" in row.error
    rows, _ = Ledger().errors_page("ws1")
    assert [r.delivery_id for r in rows] == [message.delivery_id]  # in the error log (配信エラーログ)
    with pytest.raises(PermanentFailure):  # a redelivery does not send it either: straight on to the DLQ
        world.services.worker.process(message)
    assert world.line.received == []


def test_429_backs_off_with_jitter_then_sends(aws: Any, manual_clock: Any) -> None:
    world = StepWorld(ScriptedLine([LineApiError(429, "rate limit"), LineApiError(429, "rate limit")]))
    message = one_step(world)
    slept: list[float] = []
    world.services.worker.sleep = slept.append
    assert world.services.worker.process(message) == "sent"
    assert len(slept) == 2 and all(0 <= s <= 5 for s in slept)
    assert [r.user_id for r in world.line.received] == ["U1"]


def test_429_beyond_the_budget_is_retried_later_by_sqs(aws: Any, manual_clock: Any) -> None:
    world = StepWorld(ScriptedLine([LineApiError(429, "rate limit")] * 3))
    message = one_step(world)
    world.services.worker.retry_budget_s = 0.0
    with pytest.raises(RetryLater):
        world.services.worker.process(message)
    assert Ledger().get(message.delivery_id).status == "retrying"
    world.services.worker.retry_budget_s = 8.0  # SQS redelivers after the handler's backoff: sent, once
    assert world.services.worker.process(message) == "sent"
    assert world.services.worker.process(message) == "sent"
    assert len(world.line.received) == 1


def test_the_ledger_blocks_a_duplicate(aws: Any, manual_clock: Any) -> None:
    world = StepWorld(FakeLine(honour_retry_keys=False))  # even when LINE would accept the same key again
    message = one_step(world)
    ledger = Ledger()
    held = ledger.claim(message.delivery_id, lease=timedelta(minutes=3), channel="line", defaults={})
    assert held.outcome == "claimed"
    with pytest.raises(RetryLater):  # another worker holds it
        world.services.worker.process(message)
    manual_clock.advance(timedelta(minutes=4))  # its lease ran out: taken over, sent once
    assert world.services.worker.process(message) == "sent"
    assert world.services.worker.process(message) == "sent"
    assert len(world.line.received) == 1
    assert ledger.record_enqueued(delivery_id=message.delivery_id, workspace_id="ws1", kind="step", channel="line",
                                  subscriber_id=None, scheduled_at=None) is False  # a second tick cannot re-enqueue


@pytest.mark.parametrize(("friend", "status"), [
    ({"status": "blocked"}, "skipped_blocked"),
    ({"tags": set()}, "skipped_condition"),
])
def test_skips_are_final_and_send_nothing(aws: Any, manual_clock: Any, friend: dict[str, Any], status: str) -> None:
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "vip", "steps": [
        {"id": "s", "conditions": {"all": [{"type": "has_tag", "tag": "vip"}]}, "line": [{"type": "text",
                                                                                        "text": "hi"}]}]})
    world.enroll(ws, world.friend(ws, "U1", **{"tags": {"vip"}, **friend}), scenario)
    world.tick()
    [message] = world.waiting
    assert world.services.worker.process(message) == status
    assert world.services.worker.process(message) == status  # redelivered: still final, still nothing sent
    assert world.line.received == []


def test_unsubscribed_friend_is_skipped(aws: Any, manual_clock: Any) -> None:
    world = StepWorld()
    message = one_step(world)
    sub = message.recipients[0]
    world.services.subscribers.mutate("ws1", sub, lambda s: setattr(s, "unsubscribed", {"line": True}))
    assert world.services.worker.process(message) == "skipped_unsubscribed"
    assert world.line.received == []
