"""The ledger's claim: one conditional write on the happy path, and the right refusal otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from haishin.delivery.ledger import Ledger, LedgerModel, ledger_pk

LEASE = timedelta(minutes=2)
DEFAULTS = {"workspace_id": "ws_claim", "kind": "step", "subscriber_id": "s_1", "scenario_id": "sc_1"}


@pytest.fixture
def ledger(aws, manual_clock) -> Ledger:
    return Ledger()


def _row(delivery_id: str) -> LedgerModel:
    return LedgerModel.get(ledger_pk(delivery_id), "ledger", consistent_read=True)


def test_claiming_an_enqueued_row_writes_once_and_reads_nothing(ledger: Ledger, monkeypatch) -> None:
    ledger.record_enqueued(delivery_id="d1", workspace_id="ws_claim", kind="broadcast", channel="line",
                           subscriber_id=None, scheduled_at=None, broadcast_id="bc_1")
    monkeypatch.setattr(ledger, "get", lambda _id: pytest.fail("the happy path reads the row"))
    claim = ledger.claim("d1", lease=LEASE, channel="line", defaults=DEFAULTS)
    assert claim.outcome == "claimed" and claim.token
    row = _row("d1")
    assert (row.status, row.claim_token, row.attempts) == ("sending", claim.token, 1)
    # what the enqueue recorded is kept; the defaults only fill a row that had no record
    assert (row.kind, row.broadcast_id, row.subscriber_id) == ("broadcast", "bc_1", "s_1")


def test_a_row_without_a_record_is_created_from_the_defaults(ledger: Ledger) -> None:
    claim = ledger.claim("d2", lease=LEASE, channel="line", defaults=DEFAULTS)
    assert claim.outcome == "claimed"
    row = _row("d2")
    assert (row.workspace_id, row.kind, row.channel, row.scenario_id) == ("ws_claim", "step", "line", "sc_1")
    assert row.enqueued_at is not None and row.expires_at


def test_a_live_lease_is_busy_and_an_expired_one_is_taken_over_on_line(ledger: Ledger, manual_clock) -> None:
    first = ledger.claim("d3", lease=LEASE, channel="line", defaults=DEFAULTS)
    assert ledger.claim("d3", lease=LEASE, channel="line", defaults=DEFAULTS).outcome == "busy"
    manual_clock.advance(LEASE + timedelta(seconds=1))
    second = ledger.claim("d3", lease=LEASE, channel="line", defaults=DEFAULTS)
    assert second.outcome == "claimed" and second.token != first.token
    assert _row("d3").attempts == 2


def test_an_email_attempt_that_stopped_mid_send_is_never_repeated(ledger: Ledger, manual_clock) -> None:
    ledger.claim("d4", lease=LEASE, channel="email", defaults=DEFAULTS)
    assert ledger.claim("d4", lease=LEASE, channel="email", defaults=DEFAULTS).outcome == "busy"
    manual_clock.advance(LEASE + timedelta(seconds=1))
    claim = ledger.claim("d4", lease=LEASE, channel="email", defaults=DEFAULTS)
    assert claim.outcome == "unknown_outcome" and claim.row is not None and claim.row.attempts == 1


def test_a_settled_row_is_final(ledger: Ledger) -> None:
    claim = ledger.claim("d5", lease=LEASE, channel="line", defaults=DEFAULTS)
    ledger.settle("d5", claim.token, "sent", workspace_id="ws_claim")
    again = ledger.claim("d5", lease=LEASE, channel="line", defaults=DEFAULTS)
    assert again.outcome == "final" and again.row is not None and again.row.status == "sent"
