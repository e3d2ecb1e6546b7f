"""Reading and writing broadcast items, their content and slices; the status transitions (each one conditional
write), the planner's counters and watch items, and the delivery worker's settle transaction. The only broadcasts
module that talks to PynamoDB: the service, the planner and the sender call these named methods."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from haishin import clock
from haishin.broadcasts.models import (
    CANCELLABLE,
    PLANNING_WATCH_PK,
    BroadcastContentModel,
    BroadcastModel,
    BroadcastSliceModel,
    PlanningWatchModel,
    broadcast_sk,
    content_sk,
    slice_sk,
)
from haishin.delivery.counters import delivery_counter_update
from haishin.delivery.ledger import LedgerWrite
from haishin.errors import Conflict, NotFound
from haishin.retry import with_backoff
from haishin.segments.saved import SavedSegmentRepository
from haishin.storage.base import connection, save_if, update_if
from haishin.workspaces.models import WorkspaceModel, default_line_channel, workspace_pk


class BroadcastRepository:
    def find(self, workspace_id: str, broadcast_id: str) -> BroadcastModel | None:
        try:
            return BroadcastModel.get(workspace_pk(workspace_id), broadcast_sk(broadcast_id), consistent_read=True)
        except BroadcastModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, broadcast_id: str) -> BroadcastModel:
        found = self.find(workspace_id, broadcast_id)
        if found is None:
            raise NotFound(f"no broadcast '{broadcast_id}'", where="broadcast_id")
        return found

    def status(self, workspace_id: str, broadcast_id: str) -> str | None:
        """The status alone (the worker's per-batch cancel check: one strongly consistent read of a small item)."""
        try:
            item = BroadcastModel.get(workspace_pk(workspace_id), broadcast_sk(broadcast_id), consistent_read=True,
                                      attributes_to_get=["status"])
        except BroadcastModel.DoesNotExist:
            return None
        return str(item.status)

    def all(self, workspace_id: str) -> list[BroadcastModel]:
        items = BroadcastModel.query(workspace_pk(workspace_id), BroadcastModel.sk.startswith("broadcast#"))
        return sorted((i for i in items if i.sk.count("#") == 1), key=lambda b: b.created_at, reverse=True)

    def content(self, workspace_id: str, broadcast_id: str) -> dict[str, Any]:
        try:
            item = BroadcastContentModel.get(workspace_pk(workspace_id), content_sk(broadcast_id),
                                             consistent_read=True)
        except BroadcastContentModel.DoesNotExist:
            raise NotFound(f"broadcast '{broadcast_id}' has no content", where="content") from None
        return dict(item.content)

    def save_content(self, workspace_id: str, broadcast_id: str, content: dict[str, Any]) -> None:
        BroadcastContentModel(workspace_pk(workspace_id), content_sk(broadcast_id), content=content).save()

    def slices(self, workspace_id: str, broadcast_id: str) -> list[BroadcastSliceModel]:
        return list(BroadcastSliceModel.query(workspace_pk(workspace_id),
                                              BroadcastSliceModel.sk.startswith(f"broadcast#{broadcast_id}#slice#"),
                                              consistent_read=True))

    def delete(self, workspace_id: str, broadcast_id: str) -> None:
        pk = workspace_pk(workspace_id)
        items = list(BroadcastSliceModel.query(pk, BroadcastSliceModel.sk.startswith(broadcast_sk(broadcast_id))))
        with BroadcastSliceModel.batch_write() as batch:
            for item in items:
                batch.delete(item)

    @staticmethod
    def daily_cap(broadcast: BroadcastModel) -> int:
        """The workspace's daily frequency cap for this broadcast: 0 (none) when it opts out or none is set."""
        if broadcast.respect_daily_cap is False:
            return 0
        try:
            workspace = WorkspaceModel.get(*WorkspaceModel.key(broadcast.workspace_id))
        except WorkspaceModel.DoesNotExist:
            return 0
        return int(workspace.frequency_cap_per_day or 0)

    @staticmethod
    def line_channel(broadcast: BroadcastModel) -> str | None:
        """The LINE channel a broadcast goes out on: its own, else the workspace's default. The planner resolves it
        once per slice, so no batch looks it up again."""
        return broadcast.line_channel_id or default_line_channel(broadcast.workspace_id)

    def segment_of(self, broadcast: BroadcastModel) -> Any:
        """The inline definition, a saved segment's definition, or None (everyone)."""
        if broadcast.segment_id:
            return load_saved_segment(broadcast.workspace_id, broadcast.segment_id)
        return broadcast.segment

    def note_error(self, broadcast: BroadcastModel, error: str) -> None:
        BroadcastModel(broadcast.pk, broadcast.sk).update(actions=[BroadcastModel.last_error.set(error[:500])])

    def maybe_finish(self, workspace_id: str, broadcast_id: str) -> bool:
        """``sending`` -> ``done`` once every planned recipient is settled (sent, failed or dropped by a cancel)."""
        now = clock.now()
        return update_if(
            BroadcastModel(workspace_pk(workspace_id), broadcast_sk(broadcast_id)),
            actions=[BroadcastModel.status.set("done"), BroadcastModel.finished_at.set(now),
                     BroadcastModel.updated_at.set(now)],
            condition=(BroadcastModel.status == "sending") & (BroadcastModel.planning_complete == True)  # noqa: E712
            & (BroadcastModel.settled >= BroadcastModel.planned),
        )


    # ------------------------------------------------------------------ the service's writes
    @staticmethod
    def workspace(workspace_id: str) -> WorkspaceModel | None:
        """The workspace record (time zone, quiet hours, daily cap, quota policy), None when there is none."""
        try:
            return WorkspaceModel.get(workspace_pk(workspace_id), "workspace")
        except WorkspaceModel.DoesNotExist:
            return None

    @staticmethod
    def new_draft(workspace_id: str, broadcast_id: str, *, channel: str, created_by: str | None,
                  now: datetime) -> BroadcastModel:
        """A draft not saved yet (``insert`` saves it)."""
        return BroadcastModel(workspace_pk(workspace_id), broadcast_sk(broadcast_id), workspace_id=workspace_id,
                              broadcast_id=broadcast_id, name="", channel=channel, status="draft",
                              created_by=created_by, created_at=now, updated_at=now)

    @staticmethod
    def insert(broadcast: BroadcastModel) -> None:
        """Save a new broadcast; never overwrites one with the same key."""
        broadcast.save(condition=BroadcastModel.pk.does_not_exist())

    @staticmethod
    def insert_if_absent(broadcast: BroadcastModel) -> bool:
        """Save a new broadcast unless one with its key exists (False then): a repeated create is harmless."""
        return save_if(broadcast, condition=BroadcastModel.pk.does_not_exist())

    @staticmethod
    def set_winner(broadcast: BroadcastModel, index: int, note: str, now: datetime) -> bool:
        """An A/B winner broadcast's variant, decided once (the model is refreshed); False when decided already."""
        return update_if(broadcast, actions=[BroadcastModel.ab_winner.set(index),
                                             BroadcastModel.ab_winner_note.set(note[:500]),
                                             BroadcastModel.updated_at.set(now)],
                         condition=BroadcastModel.ab_winner.does_not_exist())

    @staticmethod
    def save_if_status(broadcast: BroadcastModel, statuses: frozenset[str]) -> bool:
        """Save the whole item while its stored status is one of ``statuses``; False when it is not (any more)."""
        return save_if(broadcast, condition=BroadcastModel.status.is_in(*statuses))

    @staticmethod
    def mark_cancelled(broadcast: BroadcastModel, now: datetime) -> None:
        """Any cancellable status -> ``cancelled`` (the model is refreshed); ``Conflict`` when it finished meanwhile
        (or the write failed)."""
        try:
            broadcast.update(actions=[BroadcastModel.status.set("cancelled"), BroadcastModel.cancelled_at.set(now),
                                      BroadcastModel.updated_at.set(now)],
                             condition=BroadcastModel.status.is_in(*CANCELLABLE))
        except UpdateError as exc:
            raise Conflict("the broadcast finished meanwhile", where="status") from exc

    @staticmethod
    def store_reach(broadcast: BroadcastModel, reach: dict[str, Any], now: datetime) -> None:
        """Keep the audience count on the broadcast (only a cache: a broadcast deleted meanwhile is fine)."""
        with contextlib.suppress(UpdateError):
            BroadcastModel(broadcast.pk, broadcast.sk).update(
                actions=[BroadcastModel.reach.set(reach), BroadcastModel.reach_at.set(now)],
                condition=BroadcastModel.pk.exists())

    @staticmethod
    def mark_test_sent(broadcast: BroadcastModel, now: datetime) -> None:
        broadcast.update(actions=[BroadcastModel.test_sent_at.set(now)])

    # ------------------------------------------------------------------ the planner's writes
    @staticmethod
    def watch_planning(workspace_id: str, broadcast_id: str, since: datetime) -> None:
        """The small watch item the sweep for stuck planning reads (written before ``planning``)."""
        PlanningWatchModel(sk=f"{workspace_id}#{broadcast_id}", workspace_id=workspace_id,
                           broadcast_id=broadcast_id, since=since).save()

    @staticmethod
    def planning_watches() -> Iterator[PlanningWatchModel]:
        """Every broadcast watched in planning (one partition, read page by page as iterated)."""
        return iter(PlanningWatchModel.query(PLANNING_WATCH_PK))

    @staticmethod
    def unwatch_planning(workspace_id: str, broadcast_id: str) -> None:
        PlanningWatchModel(sk=f"{workspace_id}#{broadcast_id}").delete()

    @staticmethod
    def mark_planning(broadcast: BroadcastModel, now: datetime, daily_cap: int) -> bool:
        """``scheduled -> planning`` with the planning instant and the daily cap in force (the model is refreshed);
        False when another invocation won the transition."""
        return update_if(broadcast, actions=[BroadcastModel.status.set("planning"), BroadcastModel.planned_at.set(now),
                                             BroadcastModel.started_at.set(now), BroadcastModel.updated_at.set(now),
                                             BroadcastModel.daily_cap.set(daily_cap)],
                         condition=BroadcastModel.status == "scheduled")

    @staticmethod
    def claim_resume(broadcast: BroadcastModel, seen: datetime, now: datetime) -> bool:
        """Move ``updated_at`` from ``seen`` to ``now`` while still planning: of two sweeps only one resumes a
        stall. False when there was progress meanwhile or another sweep resumed it."""
        return update_if(broadcast, actions=[BroadcastModel.updated_at.set(now)],
                         condition=(BroadcastModel.status == "planning") & (BroadcastModel.updated_at == seen))

    @staticmethod
    def save_slice(workspace_id: str, broadcast_id: str, shard: int, *, batches: int,
                   remainder: dict[str, Any], counts: dict[str, int]) -> None:
        """A finished slice's batches, counts and the leftovers kept for pooling."""
        BroadcastSliceModel(workspace_pk(workspace_id), slice_sk(broadcast_id, shard), batches=batches,
                            remainder=remainder, counts=counts).save()

    @staticmethod
    def count_slice(broadcast: BroadcastModel, label: str, *, planned: int, batches: int,
                    counts: dict[str, int]) -> bool:
        """Mark slice ``label`` done and ADD its numbers to the counters, once (the model is refreshed); False when
        a concurrent run of the slice counted it already."""
        actions: list[Action] = [BroadcastModel.slices_done.add({label}), BroadcastModel.planned.add(planned),
                                 BroadcastModel.batches.add(batches), BroadcastModel.updated_at.set(clock.now())]
        for name in ("skipped_blocked", "skipped_unsubscribed", "skipped_no_address", "skipped_daily_cap", "failed"):
            if counts.get(name):
                actions.append(getattr(BroadcastModel, name).add(counts[name]))
        return update_if(broadcast, actions=actions, condition=~BroadcastModel.slices_done.contains(label))

    @staticmethod
    def reload(broadcast: BroadcastModel) -> None:
        """Read the item again (strongly consistent) into ``broadcast``."""
        broadcast.refresh(consistent_read=True)

    @staticmethod
    def mark_sending(broadcast: BroadcastModel, batches: int, now: datetime) -> bool:
        """``planning -> sending`` with ``planning_complete`` and the pooled batches ADDed (the model is refreshed);
        False when planning was already completed (or the broadcast left ``planning``)."""
        return update_if(broadcast, actions=[BroadcastModel.planning_complete.set(True),
                                             BroadcastModel.status.set("sending"), BroadcastModel.batches.add(batches),
                                             BroadcastModel.updated_at.set(now)],
                         condition=(BroadcastModel.status == "planning")
                         & (BroadcastModel.planning_complete == False))  # noqa: E712 - a DynamoDB condition

    # ------------------------------------------------------------------ the sender's settle transaction
    @staticmethod
    def settle_batch(ledger_row: LedgerWrite, workspace_id: str, broadcast_id: str, *, sent: int, failed: int,
                     cancelled: int, error: str | None, now: datetime, deadline: float,
                     sleep: Callable[[float], None] = time.sleep) -> str:
        """A batch's ledger row final + the broadcast's counters + the dashboard's day counter, in one transaction
        (conditional on the row's claim and on the broadcast existing): counted exactly once. Conflicts and
        throttling are retried until ``deadline`` (``commit_settle``). Returns ``settled``, ``claim_lost`` or
        ``broadcast_gone``; a spent budget raises ``haishin.retry.BudgetSpent``."""
        broadcast = BroadcastModel(workspace_pk(workspace_id), broadcast_sk(broadcast_id))
        counters: list[Action] = [BroadcastModel.settled.add(sent + failed + cancelled),
                                  BroadcastModel.updated_at.set(now)]
        if sent:
            counters.append(BroadcastModel.sent.add(sent))
        if failed:
            counters.append(BroadcastModel.failed.add(failed))
            counters.append(BroadcastModel.last_error.set((error or "failed")[:500]))
        if cancelled:
            counters.append(BroadcastModel.cancelled_n.add(cancelled))
        # the dashboard's day counter goes in the same transaction: counted exactly once, and one request less
        day_counter = delivery_counter_update(workspace_id, {"sent": sent, "failed": failed}, at=now)

        def commit() -> None:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(ledger_row.row, actions=ledger_row.actions, condition=ledger_row.condition)
                transaction.update(broadcast, actions=counters, condition=BroadcastModel.pk.exists())
                if day_counter is not None:
                    transaction.update(day_counter[0], actions=day_counter[1])

        return commit_settle(commit, deadline=deadline, sleep=sleep)


# DynamoDB answers a busy transaction with these (per item in TransactionCanceledException's reasons, or for the
# whole call): nothing was written, so the same transaction may be sent again.
TRANSIENT_CODES = frozenset({"TransactionConflict", "ThrottlingError", "ThrottlingException",
                             "ProvisionedThroughputExceeded", "ProvisionedThroughputExceededException",
                             "RequestLimitExceeded", "TransactionInProgressException", "InternalServerError"})


class TransientSettleError(Exception):
    retryable = True

    def __init__(self, codes: list[str]) -> None:
        super().__init__(f"settle transaction cancelled: {', '.join(codes)}")
        self.where = "LedgerTable transaction"
        self.message = str(self)


def classify_settle_error(exc: TransactWriteError) -> str:
    """``claim_lost`` (item 0, the ledger row's claim condition, failed: someone else settled it),
    ``broadcast_gone`` (item 1's ``pk exists`` failed), ``transient`` (conflict/throttling: retry) or ``other``."""
    reasons = list(exc.cancellation_reasons or [])
    codes = [getattr(reason, "code", None) if reason is not None else None for reason in reasons]
    if codes and codes[0] == "ConditionalCheckFailed":
        return "claim_lost"
    if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
        return "broadcast_gone"
    if any(code in TRANSIENT_CODES for code in codes) or exc.cause_response_code in TRANSIENT_CODES:
        return "transient"
    return "other"


def commit_settle(commit: Callable[[], None], *, deadline: float,
                  sleep: Callable[[float], None] = time.sleep) -> str:
    """Run the settle transaction, retrying conflicts and throttling with full jitter (``haishin.retry``) until
    ``deadline``. Returns ``settled``, ``claim_lost`` or ``broadcast_gone``; a spent budget raises ``BudgetSpent``
    (the sender hands the batch back to the queue)."""
    def attempt() -> str:
        try:
            commit()
        except TransactWriteError as exc:
            kind = classify_settle_error(exc)
            if kind == "transient":
                codes = [str(getattr(r, "code", "")) for r in (exc.cancellation_reasons or []) if r is not None]
                raise TransientSettleError(codes or [str(exc.cause_response_code)]) from exc
            if kind == "other":
                raise
            return kind
        return "settled"

    return str(with_backoff(attempt, deadline=deadline, base_delay=0.05, max_delay=1.0, sleep=sleep))


def load_saved_segment(workspace_id: str, segment_id: str) -> Any:
    """A saved segment's definition (JSON), from the segments area's repository."""
    try:
        saved = SavedSegmentRepository().get(workspace_id, segment_id)
    except NotFound:
        raise NotFound(f"no saved segment '{segment_id}'", where="segment_id") from None
    return saved.definition
