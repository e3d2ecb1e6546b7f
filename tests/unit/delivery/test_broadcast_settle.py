"""The broadcast settle transaction (ledger row final + counters): only the ledger row's own ConditionalCheckFailed
means "settled by someone else"; conflicts and throttling are retried, so a busy broadcast still reaches done."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
from pynamodb.transactions import TransactWrite

from haishin.broadcasts import send
from haishin.broadcasts.repository import classify_settle_error, commit_settle
from haishin.delivery.ledger import Ledger
from haishin.delivery.worker import RetryLater
from haishin.retry import BudgetSpent
from tests.unit.broadcasts.harness import BroadcastWorld


def cancelled(*codes: str | None) -> TransactWriteError:
    """What DynamoDB's TransactionCanceledException looks like through PynamoDB (one reason per item)."""
    reasons = [CancellationReason(code=c) if c else None for c in codes]
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException",
                                          "Message": f"Transaction cancelled [{', '.join(c or 'None' for c in codes)}]"}},
                               "TransactWriteItems", cancellation_reasons=reasons)
    return TransactWriteError("Failed to write transaction items", cause=cause)


class FlakyCommits:
    """Makes the next commits of TransactWrite fail with the given errors, then lets them through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, errors: list[Exception]) -> None:
        self.errors = list(errors)
        self.raised = 0
        real = TransactWrite._commit

        def commit(transaction: TransactWrite) -> Any:
            if self.errors:
                self.raised += 1
                raise self.errors.pop(0)
            return real(transaction)

        monkeypatch.setattr(TransactWrite, "_commit", commit)


def test_conflicts_and_throttling_are_retried_and_the_broadcast_reaches_done_with_exact_counters(
        aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 1_200)  # 3 batches
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    # several batches settle at once on one broadcast item: DynamoDB cancels with TransactionConflict (the hot
    # counter item) or ThrottlingError; nothing was written, so the same transaction must be sent again
    flaky = FlakyCommits(monkeypatch, [cancelled(None, "TransactionConflict", None),
                                       cancelled(None, "TransactionConflict", None),
                                       cancelled("ThrottlingError", None, None),
                                       cancelled(None, "TransactionConflict", None)])
    world.drain()
    assert flaky.raised == 4
    view = world.view(ws, broadcast_id)
    assert view["progress"]["sent"] == view["progress"]["planned"] == 1_200
    assert view["progress"]["pending"] == 0
    assert view["status"] == "done"
    assert len(world.line.received) == 1_200


def test_only_the_ledger_rows_condition_means_already_settled() -> None:
    assert classify_settle_error(cancelled("ConditionalCheckFailed", None, None)) == "claim_lost"
    assert classify_settle_error(cancelled(None, "ConditionalCheckFailed", None)) == "broadcast_gone"
    assert classify_settle_error(cancelled(None, "TransactionConflict", None)) == "transient"
    assert classify_settle_error(cancelled("ThrottlingError", None, None)) == "transient"
    assert classify_settle_error(cancelled(None, None, "ValidationError")) == "other"


def test_a_settle_that_keeps_conflicting_goes_back_to_the_queue_bounded() -> None:
    calls: list[int] = []

    def commit() -> None:
        calls.append(1)
        raise cancelled(None, "TransactionConflict", None)

    slept: list[float] = []
    with pytest.raises(BudgetSpent):
        commit_settle(commit, deadline=0.0, sleep=slept.append)  # a spent budget: no blind loop
    assert len(calls) == 1 and slept == []


def test_a_spent_settle_budget_hands_the_batch_back_to_the_queue_uncounted(
        aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 3)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    monkeypatch.setattr(send, "SETTLE_BUDGET_S", 0.0)  # no time for a second attempt
    FlakyCommits(monkeypatch, [cancelled(None, "TransactionConflict", None) for _ in range(5)])
    [message] = world.waiting
    with pytest.raises(RetryLater):  # SQS delivers it again; nothing was counted
        world.worker.process(message)
    view = world.view(ws, broadcast_id)
    assert view["status"] == "sending"
    assert view["progress"]["sent"] == 0 and view["progress"]["pending"] == 3


def test_a_batch_of_a_broadcast_deleted_meanwhile_still_settles_its_ledger_row(
        aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 3)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.service.repository.require(ws, broadcast_id).delete()  # gone while its batch waits on the queue
    [message] = world.waiting
    assert world.worker.process(message) == "sent"  # the counters' "pk exists" fails: nothing to count on
    row = Ledger().get(message.delivery_id)
    assert row is not None and row.status == "sent" and row.claim_until is None
    assert world.service.repository.find(ws, broadcast_id) is None  # the settle did not bring it back
