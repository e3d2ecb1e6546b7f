"""The enrollment repository's conditional writes (the only place the scenarios package uses PynamoDB): idempotent
enrollment, the seq-guarded save, and the step tick's watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from haishin.scenarios.enrollments import EnrollmentModel, EnrollmentRepository, enrollment_pk

WS, SUB, SCN = "w_repo", "s_repo", "scn_repo"
NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def _item(*, cycle: int = 1, seq: int = 0, status: str = "active") -> EnrollmentModel:
    return EnrollmentModel(enrollment_pk(WS, SUB), SCN, workspace_id=WS, subscriber_id=SUB, scenario_id=SCN,
                           scenario_version=1, status=status, cycle=cycle, seq=seq, enrolled_at=NOW,
                           trigger="friend_added", next_step=0, last_delivery_ids=[], notes=[], updated_at=NOW)


def test_an_idempotency_key_enrolls_once_and_a_first_enrollment_only_when_none_exists(aws: Any) -> None:
    repo = EnrollmentRepository()
    assert repo.enroll(_item(), previous_seq=None, idempotency_key="evt-1", now=NOW) is True
    # the same key again, even as a proper new cycle over the stored seq: the marker refuses it
    assert repo.enroll(_item(cycle=2, seq=1), previous_seq=0, idempotency_key="evt-1", now=NOW) is False
    # a "first" enrollment while one exists (a concurrent enrollment won)
    assert repo.enroll(_item(cycle=2, seq=1), previous_seq=None, idempotency_key=None, now=NOW) is False
    stored = repo.get(WS, SUB, SCN)
    assert stored is not None and int(stored.cycle) == 1 and int(stored.seq) == 0
    # a new cycle over the seq it read, with a new key, goes through
    assert repo.enroll(_item(cycle=2, seq=1), previous_seq=0, idempotency_key="evt-2", now=NOW) is True
    stored = repo.get(WS, SUB, SCN)
    assert stored is not None and int(stored.cycle) == 2


def test_save_if_unchanged_refuses_a_stale_or_ended_enrollment(aws: Any) -> None:
    repo = EnrollmentRepository()
    assert repo.enroll(_item(seq=3), previous_seq=None, idempotency_key=None, now=NOW)
    stale = repo.get(WS, SUB, SCN)
    fresh = repo.get(WS, SUB, SCN)
    assert stale is not None and fresh is not None
    fresh.next_step = 1
    assert repo.save_if_unchanged(fresh, read_seq=3) is True
    assert int(fresh.seq) == 4
    stale.status = "stopped"
    assert repo.save_if_unchanged(stale, read_seq=3) is False  # another writer moved it to seq 4 first
    stored = repo.get(WS, SUB, SCN)
    assert stored is not None and stored.status == "active" and int(stored.seq) == 4 and int(stored.next_step) == 1
    stored.status = "stopped"
    assert repo.save_if_unchanged(stored, read_seq=4) is True
    stored.status = "active"
    assert repo.save_if_unchanged(stored, read_seq=5) is False  # only an active enrollment is changed


def test_the_tick_watermark_round_trips(aws: Any, manual_clock: Any) -> None:
    manual_clock.set(NOW)
    repo = EnrollmentRepository()
    assert repo.tick_watermark() is None
    repo.save_tick_watermark(NOW - timedelta(minutes=1))
    assert repo.tick_watermark() == NOW - timedelta(minutes=1)
