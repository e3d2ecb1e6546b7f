"""A pool coupon's codes as Stripe promotion codes: one Stripe coupon per Haishin coupon, one promotion code per unique
code (the code's own text, ``max_redemptions: 1``, ``expires_at`` = the coupon's ``valid_until``), so a friend can
type their code at Stripe Checkout and the checkout redeems exactly that code here.

The work is a run-once job on PlannerQueue, like the rich menu re-link (``haishin.richmenus.relink``): the coupon
service stores a new job ID and ``queued`` on the coupon and puts ``{"kind": "coupon_stripe_codes", ...}`` on the
queue; the broadcast planner Lambda dispatches it to ``StripeCodeJobs.handle``. The job *reconciles*: it walks the
coupon's codes and makes Stripe match what each should be —
- a usable code (coupon not archived nor expired, code not withdrawn nor used) without a promotion code: create one
  (idempotency key per code, so a retry after a lost answer creates nothing twice) and link it in one transaction
  (``cpnstripe#<promo>`` with the code, the code record's ``stripe_promotion_code_id``, the job's counter);
- a code whose promotion code is active but should not be (archived coupon, withdrawn or used code): deactivate it;
  one inactive that should be active again (un-archived coupon): reactivate it.
So the same job serves turning Stripe on, codes added later (import / generate), withdrawing codes and (un)archiving
the coupon. It is resumable: a crashed or timed-out run is redelivered by SQS and skips what is done; a run near its
time budget puts its own message back and stops. A newer job of the same coupon supersedes a running one (checked
between chunks). A code Stripe refuses is counted ``failed`` with its reason on the coupon (Japanese first); the next
job (the coupon page's 「再実行」) tries it again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from haishin import clock
from haishin.coupons.models import CouponCodeModel, CouponModel
from haishin.coupons.repository import CouponRepository
from haishin.errors import ExternalServiceError

log = logging.getLogger(__name__)
JOB_KIND = "coupon_stripe_codes"
BUDGET_S = 240.0  # the planner Lambda has 5 minutes: stop submitting after this and queue the rest
CHUNK = 100  # codes per round between the supersede checks and progress writes
MAX_ERRORS_SHOWN = 20
SUPERSEDED_JA = "新しい Stripe 反映ジョブに引き継がれました。"
NO_KEYS_JA = "Stripe のキーが設定されていません (設定 > Stripe で登録してください)"


class PlannerQueue(Protocol):
    def send(self, body: dict[str, Any]) -> None: ...


class CodeWriter(Protocol):
    """``haishin.payments.service.PromotionCodeWriter``: Stripe calls in the workspace's active mode."""

    def create_coupon(self, *, name: str, discount_type: str, discount_value: int, idempotency_key: str) -> str: ...

    def create_code(self, *, stripe_coupon_id: str, code: str, expires_at: int | None,
                    idempotency_key: str) -> str: ...

    def set_active(self, promotion_code_id: str, active: bool) -> None: ...


def wanted_active(coupon: CouponModel, record: CouponCodeModel, now_ts: float) -> bool:
    """Whether the code's promotion code should be usable in Stripe now."""
    until = coupon.valid_until
    return not (coupon.archived or record.archived or record.redeemed_at or record.shared
                or (until is not None and until.timestamp() <= now_ts))


class StripeCodeJobs:
    def __init__(self, repository: CouponRepository, writer_for: Callable[[str], CodeWriter | None],
                 queue: PlannerQueue, *, max_workers: int = 8, budget_s: float = BUDGET_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.repository = repository
        self.writer_for = writer_for  # workspace -> CodeWriter, None without Stripe keys
        self.queue = queue
        self.max_workers = max_workers
        self.budget_s = budget_s
        self.monotonic = monotonic

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.run(str(body["workspace_id"]), str(body["coupon_id"]), str(body["job_id"]))

    def run(self, workspace_id: str, coupon_id: str, job_id: str) -> dict[str, Any]:
        started = self.monotonic()
        coupon = self.repository.get(workspace_id, coupon_id)
        if coupon is None or coupon.stripe_job_id != job_id:
            return {"job": job_id, "outcome": "ignored:superseded" if coupon else "ignored:missing"}
        if coupon.stripe_job_status in ("done", "failed"):
            return {"job": job_id, "outcome": f"ignored:{coupon.stripe_job_status}"}
        writer = self.writer_for(workspace_id)
        if writer is None:
            self.repository.finish_stripe_job(coupon, job_id, "failed", NO_KEYS_JA)
            return {"job": job_id, "outcome": "failed"}
        try:
            if not coupon.stripe_coupon_id:
                stripe_coupon = writer.create_coupon(
                    name=coupon.name, discount_type=coupon.discount_type,
                    discount_value=int(coupon.discount_value),
                    idempotency_key=f"coupon:{workspace_id}:{coupon_id}:pool:coupon")
                self.repository.set_stripe_coupon(coupon, stripe_coupon)
                coupon.stripe_coupon_id = stripe_coupon
            work = self._work(coupon)
            self.repository.start_stripe_job(coupon, job_id, len(work))
        except ExternalServiceError as exc:  # Stripe refused the coupon itself: nothing else can be made
            self.repository.finish_stripe_job(coupon, job_id, "failed",
                                              f"Stripe のクーポンを作成できませんでした ({exc})"[:500])
            return {"job": job_id, "outcome": "failed"}
        errors: list[str] = []
        done = failed = 0
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            for start in range(0, len(work), CHUNK):
                if self.monotonic() - started > self.budget_s:  # resume in a fresh invocation
                    self.repository.note_stripe_errors(coupon, job_id, errors)
                    self.queue.send({"kind": JOB_KIND, "workspace_id": workspace_id, "coupon_id": coupon_id,
                                     "job_id": job_id})
                    return {"job": job_id, "outcome": "continued", "done": done, "failed": failed}
                current = self.repository.get(workspace_id, coupon_id)
                if current is None or current.stripe_job_id != job_id:
                    return {"job": job_id, "outcome": "superseded", "done": done, "failed": failed}
                outcomes = list(pool.map(lambda item: self._one(writer, coupon, *item), work[start:start + CHUNK]))
                refused = [error for error in outcomes if error is not None]
                done += len(outcomes) - len(refused)
                failed += len(refused)
                errors.extend(refused[:MAX_ERRORS_SHOWN - len(errors)])
                self.repository.add_stripe_progress(coupon, job_id, done=len(outcomes) - len(refused),
                                                    failed=len(refused))
        self.repository.finish_stripe_job(coupon, job_id, "done", "\n".join(errors) or None)
        return {"job": job_id, "outcome": "done", "done": done, "failed": failed}

    def _work(self, coupon: CouponModel) -> list[tuple[CouponCodeModel, bool]]:
        """(code, wanted active) for every code whose Stripe side differs from what it should be."""
        now_ts = clock.now().timestamp()
        work: list[tuple[CouponCodeModel, bool]] = []
        for record in self.repository.codes(coupon.workspace_id, coupon.coupon_id):
            wanted = wanted_active(coupon, record, now_ts)
            if record.stripe_promotion_code_id is None:
                if wanted:
                    work.append((record, True))
            elif bool(record.stripe_active) != wanted:
                work.append((record, wanted))
        return work

    def _one(self, writer: CodeWriter, coupon: CouponModel, record: CouponCodeModel, active: bool) -> str | None:
        """One code's Stripe call and its record; the refusal's text (Japanese first) or None."""
        try:
            if record.stripe_promotion_code_id is None:
                until = coupon.valid_until
                promo = writer.create_code(
                    stripe_coupon_id=str(coupon.stripe_coupon_id), code=record.code,
                    expires_at=int(until.timestamp()) if until else None,
                    idempotency_key=f"coupon:{coupon.workspace_id}:{coupon.coupon_id}:code:{record.code}")
                self.repository.link_code_promotion(coupon, record.code, promo)
            else:
                writer.set_active(record.stripe_promotion_code_id, active)
                self.repository.set_code_stripe_active(coupon, record.code, active)
        except ExternalServiceError as exc:
            what = "作成" if record.stripe_promotion_code_id is None else ("有効化" if active else "無効化")
            return f"コード「{record.code}」のプロモーションコードを{what}できませんでした ({exc})"[:300]
        return None
