"""Every coupon read and write (PynamoDB lives here only). The writes that must happen once are conditional
transactions: a code is handed to one friend (``assign_code``), a friend gets a coupon once (the assignment marker),
a unique code is redeemed once and a friend within their limit (``redeem``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from haishin import clock
from haishin.coupons.models import (
    CODES_PER_TRANSACTION,
    CouponAssignmentModel,
    CouponCodeModel,
    CouponFreeCodeModel,
    CouponHeldModel,
    CouponModel,
    CouponRedemptionModel,
    CouponStripeLinkModel,
    assignment_prefix,
    code_sk,
    coupon_sk,
    free_prefix,
    held_prefix,
    redemption_prefix,
    stripe_sk,
)
from haishin.storage.base import condition_failed, connection
from haishin.workspaces.models import workspace_pk


class CouponRepository:
    def __init__(self, *, write_workers: int = 1) -> None:
        # parallel code-batch transactions (DynamoDB; moto's transactions are not thread-safe, so 1 by default)
        self.write_workers = write_workers

    # ------------------------------------------------------------------ coupons
    def get(self, workspace_id: str, coupon_id: str) -> CouponModel | None:
        try:
            return CouponModel.get(workspace_pk(workspace_id), coupon_sk(coupon_id), consistent_read=True)
        except DoesNotExist:
            return None

    def all(self, workspace_id: str) -> list[CouponModel]:
        return list(CouponModel.query(workspace_pk(workspace_id), CouponModel.sk.startswith("cpn#")))

    def create(self, coupon: CouponModel, shared: CouponCodeModel | None) -> bool:
        """The coupon (and its shared code's lookup record) where none exists: False when the code is taken."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(coupon, condition=CouponModel.pk.does_not_exist())
                if shared is not None:
                    tx.save(shared, condition=CouponCodeModel.pk.does_not_exist())
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def save(self, coupon: CouponModel) -> None:
        coupon.save()

    def link_stripe(self, coupon: CouponModel, promotion_code_id: str | None) -> bool:
        """Point a Stripe promotion code at the coupon (False: the code already records for another coupon)."""
        pk = coupon.pk
        old = coupon.stripe_promotion_code_id
        try:
            with TransactWrite(connection=connection()) as tx:
                if old and old != promotion_code_id:
                    tx.delete(CouponStripeLinkModel(pk, stripe_sk(old)))
                if promotion_code_id and promotion_code_id != old:
                    tx.save(CouponStripeLinkModel(pk, stripe_sk(promotion_code_id), coupon_id=coupon.coupon_id),
                            condition=CouponStripeLinkModel.pk.does_not_exist())
                tx.update(coupon, actions=[CouponModel.stripe_promotion_code_id.set(promotion_code_id)
                                           if promotion_code_id else CouponModel.stripe_promotion_code_id.remove()])
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        coupon.stripe_promotion_code_id = promotion_code_id
        return True

    def add_stripe_successor(self, coupon: CouponModel, promotion_code_id: str) -> None:
        """A new promotion code replaces the coupon's current one (a new validity): linked too, and the old link
        stays, so a checkout already paid with the old code still records its redemption."""
        pk = coupon.pk
        with TransactWrite(connection=connection()) as tx:
            tx.save(CouponStripeLinkModel(pk, stripe_sk(promotion_code_id), coupon_id=coupon.coupon_id))
            tx.update(coupon, actions=[CouponModel.stripe_promotion_code_id.set(promotion_code_id)])
        coupon.stripe_promotion_code_id = promotion_code_id

    def set_stripe_coupon(self, coupon: CouponModel, stripe_coupon_id: str) -> None:
        coupon.update(actions=[CouponModel.stripe_coupon_id.set(stripe_coupon_id)])

    def by_stripe_promotion(self, workspace_id: str, promotion_code_id: str) -> CouponModel | None:
        found = self.stripe_link(workspace_id, promotion_code_id)
        return found[0] if found else None

    def stripe_link(self, workspace_id: str, promotion_code_id: str) -> tuple[CouponModel, str | None] | None:
        """The coupon a Stripe promotion code records for, and the pool code it is the promotion code of (None: the
        coupon's shared code or a hand-linked one)."""
        try:
            link = CouponStripeLinkModel.get(workspace_pk(workspace_id), stripe_sk(promotion_code_id))
        except DoesNotExist:
            return None
        coupon = self.get(workspace_id, link.coupon_id)
        return (coupon, link.code) if coupon is not None else None

    # ------------------------------------------------------------------ per-code promotion codes (stripe_codes)
    def queue_stripe_job(self, coupon: CouponModel, job_id: str) -> None:
        """A new job supersedes the coupon's previous one (its runs see another ID and stop)."""
        coupon.update(actions=[CouponModel.stripe_job_id.set(job_id), CouponModel.stripe_job_status.set("queued"),
                               CouponModel.stripe_job_total.set(0), CouponModel.stripe_job_done.set(0),
                               CouponModel.stripe_job_failed.set(0), CouponModel.stripe_job_error.remove(),
                               CouponModel.stripe_job_updated_at.set(clock.now())])

    def start_stripe_job(self, coupon: CouponModel, job_id: str, remaining: int) -> None:
        """Running, with the calls still to make: a resumed run starts its counts again from what is left."""
        self._job_update(coupon, job_id, [CouponModel.stripe_job_status.set("running"),
                                          CouponModel.stripe_job_total.set(remaining),
                                          CouponModel.stripe_job_done.set(0), CouponModel.stripe_job_failed.set(0)])

    def finish_stripe_job(self, coupon: CouponModel, job_id: str, status: str, error: str | None) -> None:
        self._job_update(coupon, job_id, [CouponModel.stripe_job_status.set(status),
                                          CouponModel.stripe_job_error.set(error) if error
                                          else CouponModel.stripe_job_error.remove()])

    def note_stripe_errors(self, coupon: CouponModel, job_id: str, errors: list[str]) -> None:
        if errors:
            self._job_update(coupon, job_id, [CouponModel.stripe_job_error.set("\n".join(errors))])

    def _job_update(self, coupon: CouponModel, job_id: str, actions: list[Any]) -> None:
        try:
            CouponModel(coupon.pk, coupon.sk).update(
                actions=[*actions, CouponModel.stripe_job_updated_at.set(clock.now())],
                condition=CouponModel.stripe_job_id == job_id)
        except UpdateError as exc:
            if not condition_failed(exc):  # a newer job took over: its own runs report
                raise

    def add_stripe_progress(self, coupon: CouponModel, job_id: str, *, done: int, failed: int) -> None:
        """After each chunk (one write per chunk: the per-code writes never touch the coupon item, so parallel
        code transactions do not conflict on it)."""
        self._job_update(coupon, job_id, [CouponModel.stripe_job_done.add(done),
                                          CouponModel.stripe_job_failed.add(failed)])

    def link_code_promotion(self, coupon: CouponModel, code: str, promotion_code_id: str) -> None:
        """One transaction: the promotion code records for this code, and the code knows its promotion code. A
        retry with the same promotion code (Stripe's idempotent answer) writes the same again."""
        pk = coupon.pk
        with TransactWrite(connection=connection()) as tx:
            tx.save(CouponStripeLinkModel(pk, stripe_sk(promotion_code_id), coupon_id=coupon.coupon_id, code=code))
            tx.update(CouponCodeModel(pk, code_sk(code)),
                      actions=[CouponCodeModel.stripe_promotion_code_id.set(promotion_code_id),
                               CouponCodeModel.stripe_active.set(1)])

    def set_code_stripe_active(self, coupon: CouponModel, code: str, active: bool) -> None:
        CouponCodeModel(coupon.pk, code_sk(code)).update(actions=[CouponCodeModel.stripe_active.set(int(active))])

    # ------------------------------------------------------------------ codes
    def code(self, workspace_id: str, code: str) -> CouponCodeModel | None:
        try:
            return CouponCodeModel.get(workspace_pk(workspace_id), code_sk(code), consistent_read=True)
        except DoesNotExist:
            return None

    def add_codes(self, workspace_id: str, coupon_id: str, codes: Iterable[str]) -> tuple[int, list[str]]:
        """New codes for a pool, written in batches: codes already in the workspace (this coupon's or another's) are
        found first with BatchGetItem, then each batch of ``CODES_PER_TRANSACTION`` codes (lookup record + free
        record each, and the pool counter ADD) is one transaction whose lookup puts are conditional on absence. A
        batch cancelled because a code was taken meanwhile (a concurrent import) drops exactly the codes whose
        condition failed (the cancellation reasons) and writes the rest again. BatchWriteItem itself cannot carry
        conditions, so it alone could overwrite another coupon's code. Returns (added, taken codes)."""
        pk = workspace_pk(workspace_id)
        wanted = list(dict.fromkeys(codes))
        existing: set[str] = set()
        for start in range(0, len(wanted), 100):
            keys = [(pk, code_sk(c)) for c in wanted[start:start + 100]]
            existing.update(item.code for item in CouponCodeModel.batch_get(keys, attributes_to_get=["code"]))
        taken = [c for c in wanted if c in existing]
        fresh = [c for c in wanted if c not in existing]
        batches = [fresh[i:i + CODES_PER_TRANSACTION] for i in range(0, len(fresh), CODES_PER_TRANSACTION)]
        added = 0
        if not batches:
            return 0, taken
        with ThreadPoolExecutor(max_workers=max(1, min(self.write_workers, len(batches)))) as pool:
            for got, lost in pool.map(lambda batch: self._write_batch(workspace_id, coupon_id, batch), batches):
                added += got
                taken.extend(lost)
        return added, taken

    def _write_batch(self, workspace_id: str, coupon_id: str, batch: list[str]) -> tuple[int, list[str]]:
        pk = workspace_pk(workspace_id)
        lost: list[str] = []
        while batch:
            try:
                with TransactWrite(connection=connection()) as tx:
                    for code in batch:
                        tx.save(CouponCodeModel(pk, code_sk(code), workspace_id=workspace_id, coupon_id=coupon_id,
                                                code=code), condition=CouponCodeModel.pk.does_not_exist())
                        tx.save(CouponFreeCodeModel(pk, free_prefix(coupon_id) + code, code=code))
                    tx.update(CouponModel(pk, coupon_sk(coupon_id)), actions=[CouponModel.pool_size.add(len(batch))])
            except TransactWriteError as exc:
                if not condition_failed(exc):
                    raise
                reasons = list(getattr(exc, "cancellation_reasons", None) or [])
                # items go code, free, code, free, ...: the lookup put of code i is item 2*i
                failed = {batch[i // 2] for i, r in enumerate(reasons) if i % 2 == 0 and i // 2 < len(batch)
                          and getattr(r, "code", None) == "ConditionalCheckFailed"}
                if not failed:
                    raise
                lost.extend(c for c in batch if c in failed)
                batch = [c for c in batch if c not in failed]
                continue
            return len(batch), lost
        return 0, lost

    def export_codes(self, workspace_id: str, coupon_id: str) -> Iterator[CouponCodeModel]:
        """Every code of the coupon (the CSV export): the workspace's code records filtered by coupon."""
        yield from self.codes(workspace_id, coupon_id)

    def archive_code(self, workspace_id: str, coupon_id: str, code: str) -> str:
        """Withdraw one code: a free one leaves the pool (its free record deleted, ``pool_size`` -1), a handed-out
        one stays with its friend but can no longer be redeemed. Returns "ok", "missing" (not this coupon's code) or
        "already"."""
        pk = workspace_pk(workspace_id)
        record = self.code(workspace_id, code)
        if record is None or record.coupon_id != coupon_id or record.shared:
            return "missing"
        if record.archived:
            return "already"
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(CouponCodeModel(pk, code_sk(code)), actions=[CouponCodeModel.archived.set(1)],
                          condition=CouponCodeModel.assigned_to.does_not_exist())
                tx.delete(CouponFreeCodeModel(pk, free_prefix(coupon_id) + code),
                          condition=CouponFreeCodeModel.pk.exists())
                tx.update(CouponModel(pk, coupon_sk(coupon_id)), actions=[CouponModel.pool_size.add(-1)])
            return "ok"
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
        # handed out (maybe just now): it stays the friend's, only redemption is refused
        CouponCodeModel(pk, code_sk(code)).update(actions=[CouponCodeModel.archived.set(1)])
        return "ok"

    def free_codes(self, workspace_id: str, coupon_id: str, limit: int) -> list[str]:
        return [item.code for item in CouponFreeCodeModel.query(
            workspace_pk(workspace_id), CouponFreeCodeModel.sk.startswith(free_prefix(coupon_id)), limit=limit,
            consistent_read=True)]

    def codes(self, workspace_id: str, coupon_id: str) -> Iterator[CouponCodeModel]:
        yield from CouponCodeModel.query(workspace_pk(workspace_id), CouponCodeModel.sk.startswith("cpncode#"),
                                         filter_condition=CouponCodeModel.coupon_id == coupon_id)

    # ------------------------------------------------------------------ assignment
    def assignment(self, workspace_id: str, coupon_id: str, subscriber_id: str) -> CouponAssignmentModel | None:
        try:
            return CouponAssignmentModel.get(workspace_pk(workspace_id), assignment_prefix(coupon_id) + subscriber_id,
                                             consistent_read=True)
        except DoesNotExist:
            return None

    def assignments_of(self, workspace_id: str, coupon_id: str | None = None) -> Iterator[CouponAssignmentModel]:
        prefix = assignment_prefix(coupon_id) if coupon_id else "cpnfriend#"
        yield from CouponAssignmentModel.query(workspace_pk(workspace_id), CouponAssignmentModel.sk.startswith(prefix))

    def assign(self, workspace_id: str, coupon_id: str, subscriber_id: str, code: str, now: datetime, *,
               pooled: bool) -> str:
        """Hand ``code`` to the friend in one transaction: the assignment marker (only if the friend has none), the
        coupon's ``distributed`` counter, and for a pool code its free record taken (only if still free) and its
        lookup record marked. Returns "ok", "friend" (the friend has the coupon already) or "code" (another friend
        took this code first)."""
        pk = workspace_pk(workspace_id)
        marker = CouponAssignmentModel(pk, assignment_prefix(coupon_id) + subscriber_id, workspace_id=workspace_id,
                                       coupon_id=coupon_id, subscriber_id=subscriber_id, code=code, assigned_at=now)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(marker, condition=CouponAssignmentModel.pk.does_not_exist())
                tx.save(CouponHeldModel(pk, held_prefix(subscriber_id) + coupon_id, coupon_id=coupon_id))
                tx.update(CouponModel(pk, coupon_sk(coupon_id)), actions=[CouponModel.distributed.add(1)])
                if pooled:
                    tx.delete(CouponFreeCodeModel(pk, free_prefix(coupon_id) + code),
                              condition=CouponFreeCodeModel.pk.exists())
                    tx.update(CouponCodeModel(pk, code_sk(code)),
                              actions=[CouponCodeModel.assigned_to.set(subscriber_id),
                                       CouponCodeModel.assigned_at.set(now)],
                              condition=CouponCodeModel.assigned_to.does_not_exist()
                              & CouponCodeModel.redeemed_at.does_not_exist())
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            reasons = getattr(exc, "cancellation_reasons", None) or []
            first = reasons[0] if reasons else None
            if first is not None and getattr(first, "code", None) == "ConditionalCheckFailed":
                return "friend"
            return "code"
        return "ok"

    def held_by(self, workspace_id: str, subscriber_id: str) -> list[CouponAssignmentModel]:
        """The friend's assignments, through their own index (one query + one batch read of the markers), not by
        reading every coupon of the workspace."""
        pk = workspace_pk(workspace_id)
        keys = [(pk, assignment_prefix(item.coupon_id) + subscriber_id) for item in CouponHeldModel.query(
            pk, CouponHeldModel.sk.startswith(held_prefix(subscriber_id)))]
        out: list[CouponAssignmentModel] = []
        for start in range(0, len(keys), 100):
            out.extend(CouponAssignmentModel.batch_get(keys[start:start + 100], consistent_read=True))
        return out

    def coupons(self, workspace_id: str, coupon_ids: Iterable[str]) -> list[CouponModel]:
        pk = workspace_pk(workspace_id)
        keys = [(pk, coupon_sk(c)) for c in dict.fromkeys(coupon_ids)]
        out: list[CouponModel] = []
        for start in range(0, len(keys), 100):
            out.extend(CouponModel.batch_get(keys[start:start + 100], consistent_read=True))
        return out

    def holders(self, workspace_id: str, coupon_id: str | None, status: str, now: datetime) -> set[str]:
        """Friends by their coupons (``coupon_id`` or any): ``unredeemed`` (received, not used, coupon still valid),
        ``redeemed`` (used at least once), ``received`` (handed a code). The segment condition reads this."""
        out: set[str] = set()
        valid: dict[str, bool] = {}
        for held in self.assignments_of(workspace_id, coupon_id):
            used = int(held.redeemed_count or 0) > 0
            if status == "received" or (status == "redeemed" and used):
                out.add(held.subscriber_id)
            elif status == "unredeemed" and not used:
                if held.coupon_id not in valid:
                    coupon = self.get(workspace_id, held.coupon_id)
                    valid[held.coupon_id] = coupon is not None and not coupon.archived and not (
                        coupon.valid_until is not None and now >= coupon.valid_until)
                if valid[held.coupon_id]:
                    out.add(held.subscriber_id)
        return out

    # ------------------------------------------------------------------ redemption
    def redemption(self, workspace_id: str, coupon_id: str, key: str) -> CouponRedemptionModel | None:
        try:
            return CouponRedemptionModel.get(workspace_pk(workspace_id), redemption_prefix(coupon_id) + key,
                                             consistent_read=True)
        except DoesNotExist:
            return None

    def redemptions(self, workspace_id: str, coupon_id: str, limit: int = 100) -> list[CouponRedemptionModel]:
        return list(CouponRedemptionModel.query(workspace_pk(workspace_id),
                                                CouponRedemptionModel.sk.startswith(redemption_prefix(coupon_id)),
                                                scan_index_forward=False, limit=limit))

    def redeem(self, record: CouponRedemptionModel, *, unique_code: bool, subscriber_id: str | None,
               per_friend_limit: int) -> str:
        """Record one redemption in one transaction: the record (only if its key is new), the coupon's counters, a
        unique code's lookup record (only if not yet redeemed), the friend's assignment (only while under the
        per-friend limit). Returns "ok", "duplicate" (this key was recorded), "code_used" or "limit"."""
        ws, coupon_id = record.workspace_id, record.coupon_id
        pk = workspace_pk(ws)
        steps: list[str] = ["duplicate", "counter"]
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(record, condition=CouponRedemptionModel.pk.does_not_exist())
                tx.update(CouponModel(pk, coupon_sk(coupon_id)),
                          actions=[CouponModel.redeemed.add(1), CouponModel.revenue.add(int(record.amount or 0))])
                if unique_code:
                    steps.append("code_used")
                    tx.update(CouponCodeModel(pk, code_sk(record.code)),
                              actions=[CouponCodeModel.redeemed_count.add(1),
                                       CouponCodeModel.redeemed_at.set(record.redeemed_at)],
                              condition=CouponCodeModel.redeemed_at.does_not_exist())
                    # used before it was handed out (typed at Stripe checkout): it leaves the free pool for good
                    tx.delete(CouponFreeCodeModel(pk, free_prefix(coupon_id) + record.code))
                if subscriber_id:
                    steps.append("limit")
                    tx.update(CouponAssignmentModel(pk, assignment_prefix(coupon_id) + subscriber_id),
                              actions=[CouponAssignmentModel.redeemed_count.add(1)],
                              condition=CouponAssignmentModel.pk.exists()
                              & (CouponAssignmentModel.redeemed_count < per_friend_limit))
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            reasons: list[Any] = list(getattr(exc, "cancellation_reasons", None) or [])
            for step, reason in zip(steps, reasons, strict=False):
                if reason is not None and getattr(reason, "code", None) == "ConditionalCheckFailed":
                    return step
            return "code_used"
        return "ok"

    def undo(self, row: CouponRedemptionModel, *, unique_code: bool, actor: str, now: datetime) -> bool:
        """Take one redemption back in one transaction: the record marked undone (only if not already), the
        coupon's counters decreased, a unique code usable again, the friend's count decreased. False: already
        undone."""
        pk = workspace_pk(row.workspace_id)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(row, actions=[CouponRedemptionModel.undone_at.set(now),
                                        CouponRedemptionModel.undone_by.set(actor)],
                          condition=CouponRedemptionModel.pk.exists()
                          & CouponRedemptionModel.undone_at.does_not_exist())
                tx.update(CouponModel(pk, coupon_sk(row.coupon_id)),
                          actions=[CouponModel.redeemed.add(-1), CouponModel.revenue.add(-int(row.amount or 0))])
                if unique_code:
                    tx.update(CouponCodeModel(pk, code_sk(row.code)),
                              actions=[CouponCodeModel.redeemed_count.add(-1), CouponCodeModel.redeemed_at.remove()])
                if row.subscriber_id and row.source != "stripe":
                    tx.update(CouponAssignmentModel(pk, assignment_prefix(row.coupon_id) + row.subscriber_id),
                              actions=[CouponAssignmentModel.redeemed_count.add(-1)],
                              condition=CouponAssignmentModel.redeemed_count > 0)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
