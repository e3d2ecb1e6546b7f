"""Coupons (クーポン): definition, code pool (import / generate), the message variable that hands a friend their code
once, redemption (staff page, API, Stripe checkout), stats.

- ``code_for(ws, coupon_id, subscriber_id)`` is what ``{{ coupon("cpn_...") }}`` calls while a message is rendered
  for one friend (broadcast planning and step sends, through THE renderer). A shared code is returned as is; a pool
  coupon assigns one free code to the friend with a conditional transaction (``CouponRepository.assign``), so a
  retry, a re-plan or a second message returns the same code, and two friends racing never get the same code. An
  empty pool, an unknown coupon or a coupon past its validity raise ``RenderError``: that friend's send fails with
  the reason (the broadcast's errors list / the delivery ledger), never a blank code.
- ``redeem(ws, code, ...)``: the code is looked up in the workspace (normalised: full-width, lower case, spaces);
  forged, outside validity, already used, over the friend's limit -> ``ValidationFailed`` / ``Conflict`` in Japanese
  and nothing written. A success publishes ``coupon_redeemed``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock, ids
from haishin.coupons.models import (
    ALPHABET,
    CODE_RE,
    MAX_IMPORT,
    MAX_POOL,
    CouponCodeModel,
    CouponIn,
    CouponModel,
    CouponPatch,
    CouponRedemptionModel,
    GenerateIn,
    coupon_sk,
    normalise_code,
)
from haishin.coupons.repository import CouponRepository
from haishin.coupons.stripe_codes import JOB_KIND as STRIPE_CODES_JOB
from haishin.coupons.stripe_codes import PlannerQueue
from haishin.errors import Conflict, ExternalServiceError, NotFound, ValidationFailed
from haishin.public_url import public_base
from haishin.render import RenderError
from haishin.workspaces.models import workspace_pk

DEFAULT_ZONE = "Asia/Tokyo"
log = logging.getLogger(__name__)


def _aware(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def coupon_to_dict(coupon: CouponModel, zone: str = DEFAULT_ZONE) -> dict[str, Any]:
    tz = ZoneInfo(zone)
    distributed = int(coupon.distributed or 0)
    redeemed = int(coupon.redeemed or 0)
    return {
        "coupon_id": coupon.coupon_id,
        "name": coupon.name,
        "description": coupon.description or "",
        "discount_type": coupon.discount_type,
        "discount_value": int(coupon.discount_value),
        "valid_from": coupon.valid_from.astimezone(tz).isoformat() if coupon.valid_from else None,
        "valid_until": coupon.valid_until.astimezone(tz).isoformat() if coupon.valid_until else None,
        "per_friend_limit": int(coupon.per_friend_limit or 1),
        "mode": coupon.mode,
        "shared_code": coupon.shared_code,
        "archived": bool(coupon.archived),
        "variable": f'{{{{ coupon("{coupon.coupon_id}") }}}}',
        "stripe_promotion_code_id": coupon.stripe_promotion_code_id,
        "stripe_coupon_id": coupon.stripe_coupon_id,
        "stripe_codes": _stripe_codes_view(coupon),
        "created_at": coupon.created_at.isoformat(),
        "stats": {
            "pool_size": int(coupon.pool_size or 0),
            "available": max(0, int(coupon.pool_size or 0) - distributed) if coupon.mode == "pool" else None,
            "distributed": distributed,
            "redeemed": redeemed,
            "rate": round(redeemed / distributed, 4) if distributed else 0.0,
            "revenue": int(coupon.revenue or 0),
        },
    }


def _stripe_codes_view(coupon: CouponModel) -> dict[str, Any] | None:
    """A pool coupon's per-code promotion codes job (None: not turned on): what the coupon page shows."""
    if not coupon.stripe_job_id:
        return None
    return {"job_id": coupon.stripe_job_id, "status": coupon.stripe_job_status,
            "total": int(coupon.stripe_job_total or 0), "done": int(coupon.stripe_job_done or 0),
            "failed": int(coupon.stripe_job_failed or 0),
            "errors": [line for line in (coupon.stripe_job_error or "").split("\n") if line],
            "updated_at": coupon.stripe_job_updated_at.isoformat() if coupon.stripe_job_updated_at else None}


def discount_label(coupon: CouponModel) -> str:
    value = int(coupon.discount_value)
    return f"{value}%OFF" if coupon.discount_type == "percent" else f"{value:,}円引き"


def generate_code(length: int, prefix: str = "") -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def parse_codes(text: str) -> list[str]:
    """Codes from pasted text or a CSV: the first column of each line; a header ("code", "コード") and blank lines
    skipped. A malformed code is an error naming its line."""
    codes: list[str] = []
    for number, line in enumerate(text.replace("\ufeff", "").splitlines(), start=1):
        cell = line.split(",")[0].split("\t")[0].strip().strip('"')
        if not cell:
            continue
        code = normalise_code(cell)
        if number == 1 and (cell.lower() == "code" or code in {"コード", "クーポンコード"}):
            continue
        if not CODE_RE.match(code):
            raise ValidationFailed(
                f"{number} 行目のコード「{cell[:40]}」は使えません (英数字 3〜40 文字、記号は - _ のみ)",
                where=f"text:{number}")
        codes.append(code)
    return codes


USE_PURPOSE = "coupon"  # signed-link purpose: the friend's 使う page of one coupon (target: the coupon ID)
USE_VALIDITY = timedelta(days=400)  # a coupon link in a message is opened at the counter, weeks later


def use_url(workspace_id: str, coupon_id: str, token: str) -> str:
    return f"{public_base()}/cpn/{workspace_id}/{coupon_id}?t={token}"


class CouponService:
    def __init__(self, repository: CouponRepository, *, events: Any, zone_of: Callable[[str], str],
                 subscribers: Any = None, stripe: Callable[[], Any] | None = None, signer: Any = None,
                 queue: PlannerQueue | None = None) -> None:
        self.repository = repository
        self.queue = queue  # PlannerQueue: a pool coupon's per-code promotion codes job (haishin.coupons.stripe_codes)
        # haishin.forms.tokens.LinkSigner: the friend's signed 使う page (``coupon("cpn_...", "url")``)
        self.signer = signer
        # () -> PaymentService: ``create_promotion_code`` (None when the workspace has no Stripe keys)
        self.stripe = stripe
        self.events = events  # haishin.webhook_events.EventFanout: coupon_redeemed
        self.zone_of = zone_of  # workspace_id -> IANA zone (validity dates typed without a zone are read there)
        self.subscribers = subscribers  # SubscriberRepository: the friend named in a redemption must exist

    # ------------------------------------------------------------------ definitions
    def _zone(self, workspace_id: str) -> ZoneInfo:
        return ZoneInfo(self.zone_of(workspace_id) or DEFAULT_ZONE)

    def view(self, workspace_id: str, coupon: CouponModel) -> dict[str, Any]:
        return coupon_to_dict(coupon, self.zone_of(workspace_id) or DEFAULT_ZONE)

    def get(self, workspace_id: str, coupon_id: str) -> CouponModel:
        coupon = self.repository.get(workspace_id, coupon_id)
        if coupon is None:
            raise NotFound(f"クーポン {coupon_id} が見つかりません", where="coupon_id")
        return coupon

    def all(self, workspace_id: str) -> list[CouponModel]:
        return sorted(self.repository.all(workspace_id), key=lambda c: c.created_at, reverse=True)

    def create(self, workspace_id: str, data: CouponIn) -> CouponModel:
        zone = self._zone(workspace_id)
        valid_from, valid_until = _aware(data.valid_from, zone), _aware(data.valid_until, zone)
        if valid_from and valid_until and valid_until <= valid_from:
            raise ValidationFailed("有効期限の終了は開始より後にしてください", where="valid_until")
        coupon_id = ids.new_id("cpn_")
        pk = workspace_pk(workspace_id)
        coupon = CouponModel(pk, coupon_sk(coupon_id), workspace_id=workspace_id, coupon_id=coupon_id,
                             name=data.name, description=data.description, discount_type=data.discount_type,
                             discount_value=data.discount_value, valid_from=valid_from, valid_until=valid_until,
                             per_friend_limit=data.per_friend_limit, mode=data.mode, shared_code=data.shared_code,
                             created_at=clock.now())
        shared = None
        if data.shared_code:
            shared = CouponCodeModel(pk, f"cpncode#{data.shared_code}", workspace_id=workspace_id,
                                     coupon_id=coupon_id, code=data.shared_code, shared=1)
        if not self.repository.create(coupon, shared):
            raise Conflict(f"コード「{data.shared_code}」は別のクーポンで使われています", where="shared_code")
        if data.stripe and coupon.mode == "shared":
            try:
                self.enable_stripe(workspace_id, coupon, required=False)
            except ExternalServiceError as exc:
                # the coupon stands; its page's 「Stripe にプロモーションコードを作成」 shows Stripe's reason
                log.warning("coupon %s: Stripe promotion code not created: %s", coupon_id, exc)
        return coupon

    def enable_stripe(self, workspace_id: str, coupon: CouponModel, *, required: bool = True) -> CouponModel:
        """Create the Stripe coupon + a promotion code with the coupon's shared code, and link it, so a customer
        typing the code at Stripe Checkout gets the discount and the redemption is recorded here.

        Keyed ``coupon:<ws>:<coupon>`` (per Stripe mode): a retry after a failure creates nothing twice in Stripe.
        ``required=False`` (on create): a workspace without Stripe keys just gets no promotion code."""
        if coupon.mode == "pool":
            return self.start_stripe_codes(workspace_id, coupon)
        if coupon.stripe_promotion_code_id:
            return coupon
        if not coupon.shared_code:
            raise ValidationFailed("共通コードが設定されていません", where="shared_code")
        until = coupon.valid_until
        if until is not None and until <= clock.now():
            raise ValidationFailed("有効期限が過ぎたクーポンは Stripe に登録できません", where="valid_until")
        created = self.stripe().create_promotion_code(
            workspace_id, code=coupon.shared_code, name=coupon.name, discount_type=coupon.discount_type,
            discount_value=int(coupon.discount_value), expires_at=int(until.timestamp()) if until else None,
            idempotency_key=f"coupon:{workspace_id}:{coupon.coupon_id}") if self.stripe else None
        if created is None:
            if required:
                raise ValidationFailed("Stripe のキーが設定されていません (設定 > Stripe で登録してください)",
                                       where="stripe")
            return coupon
        promo_id = created["promotion_code_id"]
        linked = self.repository.by_stripe_promotion(workspace_id, promo_id)
        if linked is not None and linked.coupon_id == coupon.coupon_id:  # a retry that had linked it already
            coupon.stripe_promotion_code_id = promo_id
        elif not self.repository.link_stripe(coupon, promo_id):
            raise Conflict(f"Stripe のプロモーションコード {created['promotion_code_id']} は別のクーポンに連携済みです",
                           where="stripe_promotion_code_id")
        self.repository.set_stripe_coupon(coupon, created["coupon_id"])
        return coupon

    def start_stripe_codes(self, workspace_id: str, coupon: CouponModel) -> CouponModel:
        """Turn on (or run again: 「再実行」) a pool coupon's per-code promotion codes: a new job on PlannerQueue that
        creates a promotion code (``max_redemptions: 1``) for each usable code without one. Refused in Japanese
        without Stripe keys, for an archived or expired coupon, or while the coupon's pool has no hand-linked code."""
        if coupon.stripe_promotion_code_id:
            raise ValidationFailed("このクーポンは Stripe のプロモーションコード "
                                   f"{coupon.stripe_promotion_code_id} に手入力で連携されています "
                                   "(個別コードごとに作るには連携を外してください)", where="stripe")
        if coupon.archived:
            raise ValidationFailed("アーカイブしたクーポンは Stripe に登録できません", where="archived")
        until = coupon.valid_until
        if until is not None and until <= clock.now():
            raise ValidationFailed("有効期限が過ぎたクーポンは Stripe に登録できません", where="valid_until")
        payments = self.stripe() if self.stripe else None
        if payments is None or payments.promotion_code_writer(workspace_id) is None:
            raise ValidationFailed("Stripe のキーが設定されていません (設定 > Stripe で登録してください)",
                                   where="stripe")
        self._queue_stripe_codes(workspace_id, coupon)
        return coupon

    def _queue_stripe_codes(self, workspace_id: str, coupon: CouponModel) -> None:
        if self.queue is None:
            raise ValidationFailed("ジョブのキューが設定されていません", where="stripe")
        job_id = ids.new_id("cpj_")
        self.repository.queue_stripe_job(coupon, job_id)
        coupon.stripe_job_id, coupon.stripe_job_status = job_id, "queued"
        self.queue.send({"kind": STRIPE_CODES_JOB, "workspace_id": workspace_id, "coupon_id": coupon.coupon_id,
                         "job_id": job_id})

    def _restripe(self, workspace_id: str, coupon_id: str) -> None:
        """Codes added or withdrawn, the coupon (un)archived: a pool coupon with per-code promotion codes reconciles
        them with a new job (which creates the new codes' and (de)activates the others')."""
        coupon = self.get(workspace_id, coupon_id)
        if coupon.mode == "pool" and coupon.stripe_job_id:
            self._queue_stripe_codes(workspace_id, coupon)

    def update(self, workspace_id: str, coupon_id: str, patch: CouponPatch) -> CouponModel:
        coupon = self.get(workspace_id, coupon_id)
        zone = self._zone(workspace_id)
        given = patch.model_fields_set
        before = (coupon.name, coupon.valid_until, bool(coupon.archived))
        if "name" in given and patch.name is not None:
            coupon.name = patch.name.strip() or coupon.name
        if "description" in given and patch.description is not None:
            coupon.description = patch.description
        if "valid_from" in given:
            coupon.valid_from = _aware(patch.valid_from, zone)
        if "valid_until" in given:
            coupon.valid_until = _aware(patch.valid_until, zone)
        if coupon.valid_from and coupon.valid_until and coupon.valid_until <= coupon.valid_from:
            raise ValidationFailed("有効期限の終了は開始より後にしてください", where="valid_until")
        if "per_friend_limit" in given and patch.per_friend_limit is not None:
            coupon.per_friend_limit = patch.per_friend_limit
        if "archived" in given and patch.archived is not None:
            coupon.archived = 1 if patch.archived else 0
        if patch.stripe:
            self.enable_stripe(workspace_id, coupon)
        promo = (patch.stripe_promotion_code_id or None) if "stripe_promotion_code_id" in given else None
        if "stripe_promotion_code_id" in given and promo != coupon.stripe_promotion_code_id \
                and not self.repository.link_stripe(coupon, promo):
            raise Conflict(f"Stripe のプロモーションコード {promo} は別のクーポンに連携済みです",
                           where="stripe_promotion_code_id")
        # only the definition's own fields: the counters are ADDed by other writers and must not be overwritten
        coupon.update(actions=[CouponModel.name.set(coupon.name), CouponModel.description.set(coupon.description),
                               CouponModel.valid_from.set(coupon.valid_from) if coupon.valid_from
                               else CouponModel.valid_from.remove(),
                               CouponModel.valid_until.set(coupon.valid_until) if coupon.valid_until
                               else CouponModel.valid_until.remove(),
                               CouponModel.per_friend_limit.set(coupon.per_friend_limit),
                               CouponModel.archived.set(coupon.archived)])
        self._sync_stripe(workspace_id, coupon, renamed=coupon.name != before[0],
                          revalidated=coupon.valid_until != before[1],
                          archived_changed=bool(coupon.archived) != before[2])
        if bool(coupon.archived) != before[2] and coupon.mode == "pool" and coupon.stripe_job_id and not patch.stripe:
            self._queue_stripe_codes(workspace_id, coupon)  # archived: every code's promotion code deactivated
        return coupon

    def _sync_stripe(self, workspace_id: str, coupon: CouponModel, *, renamed: bool, revalidated: bool,
                     archived_changed: bool) -> None:
        """After an edit, the Stripe promotion code this coupon created follows it: a new name renames the Stripe
        coupon; archiving deactivates the promotion code (un-archiving reactivates it); a new end of validity —
        which Stripe cannot change on a promotion code — deactivates it and creates a successor with the same code
        and the new ``expires_at``. ``valid_from`` and the per-friend limit have no Stripe equivalent. A promotion
        code linked by hand (no Stripe coupon of ours) is left alone."""
        if not (renamed or revalidated or archived_changed) or self.stripe is None:
            return
        if not (coupon.stripe_coupon_id and coupon.stripe_promotion_code_id and coupon.shared_code):
            return
        until = coupon.valid_until
        expired = until is not None and until <= clock.now()
        payments = self.stripe()
        try:
            if renamed:
                payments.sync_promotion_code(workspace_id, stripe_coupon_id=coupon.stripe_coupon_id,
                                             promotion_code_id=coupon.stripe_promotion_code_id, name=coupon.name)
            if revalidated and not coupon.archived and not expired:
                successor = payments.sync_promotion_code(
                    workspace_id, stripe_coupon_id=coupon.stripe_coupon_id,
                    promotion_code_id=coupon.stripe_promotion_code_id,
                    replace_with=(coupon.shared_code, int(until.timestamp()) if until else None,
                                  f"coupon:{workspace_id}:{coupon.coupon_id}:after:{coupon.stripe_promotion_code_id}"))
                if successor:
                    self.repository.add_stripe_successor(coupon, successor)
            elif archived_changed or revalidated:
                payments.sync_promotion_code(workspace_id, stripe_coupon_id=coupon.stripe_coupon_id,
                                             promotion_code_id=coupon.stripe_promotion_code_id,
                                             active=not coupon.archived and not expired)
        except ExternalServiceError as exc:
            raise ExternalServiceError(f"クーポンは保存しましたが、Stripe のプロモーションコードを更新できませんでした "
                                       f"({exc})", where="stripe") from exc

    # ------------------------------------------------------------------ code pool
    def _pool(self, workspace_id: str, coupon_id: str, extra: int) -> CouponModel:
        coupon = self.get(workspace_id, coupon_id)
        if coupon.mode != "pool":
            raise ValidationFailed("共通コードのクーポンにはコードを追加できません", where="coupon_id")
        if int(coupon.pool_size or 0) + extra > MAX_POOL:
            raise ValidationFailed(f"コードは 1 クーポンあたり {MAX_POOL:,} 件までです", where="count")
        return coupon

    def import_codes(self, workspace_id: str, coupon_id: str, text: str) -> dict[str, Any]:
        codes = list(dict.fromkeys(parse_codes(text)))
        if not codes:
            raise ValidationFailed("取り込むコードがありません (1 行に 1 コード)", where="text")
        if len(codes) > MAX_IMPORT:
            raise ValidationFailed(f"一度に取り込めるのは {MAX_IMPORT:,} 件までです", where="text")
        self._pool(workspace_id, coupon_id, len(codes))
        added, taken = self.repository.add_codes(workspace_id, coupon_id, codes)
        if added:
            self._restripe(workspace_id, coupon_id)
        return {"added": added, "duplicates": taken[:50], "duplicate_count": len(taken)}

    def generate_codes(self, workspace_id: str, coupon_id: str, request: GenerateIn) -> dict[str, Any]:
        prefix = normalise_code(request.prefix)
        if prefix and not CODE_RE.match(prefix + "XXX"):
            raise ValidationFailed("接頭辞は英数字で入力してください", where="prefix")
        self._pool(workspace_id, coupon_id, request.count)
        added = 0
        for _ in range(5):  # a clash with an existing code (vanishingly rare at 31^8) is simply drawn again
            wanted = request.count - added
            if wanted <= 0:
                break
            fresh = list(dict.fromkeys(generate_code(request.length, prefix) for _ in range(wanted)))
            got, _taken = self.repository.add_codes(workspace_id, coupon_id, fresh)
            added += got
        if added:
            self._restripe(workspace_id, coupon_id)
        return {"added": added}

    # ------------------------------------------------------------------ the message variable
    def code_for(self, workspace_id: str, coupon_id: str, subscriber_id: str) -> str:
        where = f"coupon({coupon_id})"
        coupon = self.repository.get(workspace_id, str(coupon_id))
        if coupon is None:
            raise RenderError(f"クーポン {coupon_id} が見つかりません", where=where)
        if coupon.archived:
            raise RenderError(f"クーポン「{coupon.name}」はアーカイブ済みです", where=where)
        now = clock.now()
        if coupon.valid_until and now >= coupon.valid_until:
            raise RenderError(f"クーポン「{coupon.name}」は有効期限が過ぎています", where=where)
        if not subscriber_id:  # the editor's preview / a test send without a friend
            return coupon.shared_code or "SAMPLECODE"
        held = self.repository.assignment(workspace_id, coupon_id, subscriber_id)
        if held is not None:
            return held.code
        if coupon.mode == "shared":
            self.repository.assign(workspace_id, coupon_id, subscriber_id, str(coupon.shared_code), now, pooled=False)
            return str(coupon.shared_code)
        for _ in range(8):
            # 50 candidates (one small query): racers starting at random ones rarely collide
            free = self.repository.free_codes(workspace_id, coupon_id, limit=50)
            if not free:
                raise RenderError(f"クーポン「{coupon.name}」の個別コードが残っていません (コードを追加してください)",
                                  where=where)
            for code in free[secrets.randbelow(len(free)):] + free:  # racers start at different codes
                outcome = self.repository.assign(workspace_id, coupon_id, subscriber_id, code, now, pooled=True)
                if outcome == "ok":
                    return code
                if outcome == "friend":
                    held = self.repository.assignment(workspace_id, coupon_id, subscriber_id)
                    if held is not None:
                        return held.code
        raise RenderError(f"クーポン「{coupon.name}」のコードを割り当てられませんでした (混雑しています)", where=where)

    def of_friend(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        """The coupons handed to the friend (マイページ): their unique code or the shared code, the discount, the
        validity in the workspace's zone, whether it is used up, and their 使う page. Archived coupons are left out.
        Reads only this friend's assignments (their ``cpnheld#`` index) and those coupons, newest first."""
        held = {h.coupon_id: h for h in self.repository.held_by(workspace_id, subscriber_id)}
        coupons = sorted(self.repository.coupons(workspace_id, held), key=lambda c: c.created_at, reverse=True)
        cards = self._cards(workspace_id, coupons, held)
        if self.signer is not None:
            for card in cards:
                card["use_url"] = self.use_link(workspace_id, card["coupon_id"], subscriber_id)
        return cards

    def _cards(self, workspace_id: str, coupons: list[CouponModel], held: dict[str, Any]) -> list[dict[str, Any]]:
        zone = self._zone(workspace_id)
        now = clock.now()
        out: list[dict[str, Any]] = []
        for coupon in coupons:
            if coupon.archived:
                continue
            mine = held[coupon.coupon_id]
            used = int(mine.redeemed_count or 0)
            limit = int(coupon.per_friend_limit or 1)
            expired = bool(coupon.valid_until and now >= coupon.valid_until)
            until = coupon.valid_until.astimezone(zone) if coupon.valid_until else None
            since = coupon.valid_from.astimezone(zone) if coupon.valid_from else None
            out.append({
                "coupon_id": coupon.coupon_id,
                "name": coupon.name,
                "code": mine.code,
                "discount": discount_label(coupon),
                "valid_from": f"{since.year}年{since.month}月{since.day}日" if since and since > now else "",
                "valid_until": f"{until.year}年{until.month}月{until.day}日 {until:%H:%M}" if until else "",
                "redeemed": used >= limit,
                "used": used,
                "limit": limit,
                "expired": expired,
            })
        return out

    def template_function(self, workspace_id: str, subscriber_id: str) -> Callable[..., str]:
        """``coupon("cpn_...")`` for one friend's render: their code; ``coupon("cpn_...", "url")``: their signed 使う
        page (the code is handed to them first, so the page always has one)."""

        def coupon(coupon_id: str, part: str = "code") -> str:
            code = self.code_for(workspace_id, str(coupon_id), subscriber_id)
            if part == "code":
                return code
            if part == "url":
                return self.use_link(workspace_id, str(coupon_id), subscriber_id)
            raise RenderError(f'coupon("{coupon_id}", "{part}"): 2 つ目は "code" か "url" です',
                              where=f"coupon({coupon_id})")

        return coupon

    # ------------------------------------------------------------------ the friend's 使う page
    def use_link(self, workspace_id: str, coupon_id: str, subscriber_id: str) -> str:
        if self.signer is None:
            raise RenderError("クーポンの利用ページを作れません (署名鍵がありません)", where=f"coupon({coupon_id})")
        return use_url(workspace_id, coupon_id,
                       self.signer.mint(USE_PURPOSE, workspace_id, subscriber_id, coupon_id, USE_VALIDITY))

    def friend_of(self, workspace_id: str, coupon_id: str, token: str) -> str:
        if self.signer is None:
            raise ValidationFailed("このリンクは正しくありません", where="t")
        try:
            return str(self.signer.verify(USE_PURPOSE, workspace_id, coupon_id, token).subscriber_id)
        except Exception as exc:
            # haishin.forms.tokens.TokenInvalid carries ``reason``; it is not imported here because
            # forms -> segments -> coupons would make a package loop
            reason = getattr(exc, "reason", None)
            if reason is None:
                raise
            message = ("このリンクの有効期限が切れています" if reason == "expired"
                       else "このリンクは正しくありません (改ざんされたか、別のクーポンのものです)")
            raise ValidationFailed(message, where="t") from exc

    def friend_card(self, workspace_id: str, coupon_id: str, token: str) -> dict[str, Any]:
        """What the friend's 使う page shows: the coupon, their code, whether it can be used now (and why not)."""
        subscriber_id = self.friend_of(workspace_id, coupon_id, token)
        coupon = self.repository.get(workspace_id, coupon_id)
        held = self.repository.assignment(workspace_id, coupon_id, subscriber_id)
        if coupon is None or held is None:
            raise NotFound("クーポンが見つかりません", where="coupon_id")
        if coupon.archived:
            raise NotFound(f"クーポン「{coupon.name}」は終了しました", where="coupon_id")
        [card] = self._cards(workspace_id, [coupon], {coupon_id: held})
        record = self.repository.code(workspace_id, held.code)
        problem = self._problem(coupon, record) if record is not None else "コードが見つかりません"
        if problem is None and card["redeemed"]:
            problem = "このクーポンは利用済みです"
        now = clock.now().astimezone(self._zone(workspace_id))
        return {**card, "usable": problem is None, "problem": problem or "", "subscriber_id": subscriber_id,
                "now": f"{now.month}月{now.day}日 {now:%H:%M}"}

    def friend_redeem(self, workspace_id: str, coupon_id: str, token: str) -> dict[str, Any]:
        """The friend's 「利用する」 after the staff looked at the page: one redemption (source ``friend``), the same
        checks and transaction as the staff page."""
        subscriber_id = self.friend_of(workspace_id, coupon_id, token)
        held = self.repository.assignment(workspace_id, coupon_id, subscriber_id)
        if held is None:
            raise NotFound("クーポンが見つかりません", where="coupon_id")
        return self.redeem(workspace_id, held.code, subscriber_id=subscriber_id, source="friend",
                           actor=f"friend:{subscriber_id}", coupon_id=coupon_id)

    # ------------------------------------------------------------------ redemption
    def lookup(self, workspace_id: str, code: str) -> tuple[CouponModel, CouponCodeModel]:
        """The coupon a typed code belongs to; a forged code is an error in Japanese."""
        normalised = normalise_code(code)
        record = self.repository.code(workspace_id, normalised) if normalised else None
        coupon = self.repository.get(workspace_id, record.coupon_id) if record is not None else None
        if record is None or coupon is None:
            raise ValidationFailed(f"コード「{code.strip()[:40]}」は見つかりません (入力ミスか、無効なコードです)",
                                   where="code")
        return coupon, record

    def check(self, workspace_id: str, code: str) -> dict[str, Any]:
        """What the staff page shows before redeeming (coupon, discount, whether the code can still be used)."""
        coupon, record = self.lookup(workspace_id, code)
        problem = self._problem(coupon, record)
        return {"coupon": self.view(workspace_id, coupon), "code": record.code, "discount": discount_label(coupon),
                "usable": problem is None, "problem": problem, "subscriber_id": record.assigned_to}

    def _problem(self, coupon: CouponModel, record: CouponCodeModel) -> str | None:
        now = clock.now()
        zone = ZoneInfo(self.zone_of(coupon.workspace_id) or DEFAULT_ZONE)
        if coupon.archived:
            return f"クーポン「{coupon.name}」は停止されています"
        if coupon.valid_from and now < coupon.valid_from:
            return f"クーポン「{coupon.name}」は {coupon.valid_from.astimezone(zone):%Y/%m/%d %H:%M} から使えます"
        if coupon.valid_until and now >= coupon.valid_until:
            until = coupon.valid_until.astimezone(zone)
            return f"クーポン「{coupon.name}」は有効期限 ({until:%Y/%m/%d %H:%M}) が過ぎています"
        if record.archived:
            return f"コード「{record.code}」は無効化されています"
        if not record.shared and record.redeemed_at is not None:
            used = record.redeemed_at.astimezone(zone)
            return f"コード「{record.code}」は使用済みです ({used:%Y/%m/%d %H:%M} に利用)"
        return None

    def redeem(self, workspace_id: str, code: str, *, subscriber_id: str | None = None, source: str = "staff",
               actor: str = "", amount: int = 0, key: str | None = None,
               coupon_id: str | None = None) -> dict[str, Any]:
        coupon, record = self.lookup(workspace_id, code)
        if coupon_id and coupon.coupon_id != coupon_id:
            raise ValidationFailed(f"コード「{record.code}」はこのクーポンのコードではありません", where="code")
        if key is not None:
            done = self.repository.redemption(workspace_id, coupon.coupon_id, key)
            if done is not None:  # a webhook retried: the same redemption, nothing counted twice
                return self._redemption_view(workspace_id, coupon, done, duplicate=True)
        problem = self._problem(coupon, record)
        if problem:
            raise ValidationFailed(problem, where="code")
        friend = record.assigned_to if not record.shared else (subscriber_id or None)
        if not record.shared and subscriber_id and record.assigned_to and subscriber_id != record.assigned_to:
            raise ValidationFailed(f"コード「{record.code}」は別の友だちに配布されたコードです", where="code")
        if record.shared and friend:
            if self.subscribers is not None and self.subscribers.get(workspace_id, friend) is None:
                raise ValidationFailed(f"友だち {friend} が見つかりません", where="subscriber_id")
            if self.repository.assignment(workspace_id, coupon.coupon_id, friend) is None:
                self.repository.assign(workspace_id, coupon.coupon_id, friend, record.code, clock.now(), pooled=False)
        now = clock.now()
        redemption_id = key or ids.new_id("cpr_")
        row = CouponRedemptionModel(workspace_pk(workspace_id), f"cpnred#{coupon.coupon_id}#{redemption_id}",
                                    workspace_id=workspace_id, coupon_id=coupon.coupon_id,
                                    redemption_id=redemption_id, code=record.code, subscriber_id=friend,
                                    source=source, amount=int(amount or 0), actor=actor, redeemed_at=now)
        outcome = self.repository.redeem(row, unique_code=not record.shared, subscriber_id=friend,
                                         per_friend_limit=int(coupon.per_friend_limit or 1))
        if outcome == "duplicate":
            done = self.repository.redemption(workspace_id, coupon.coupon_id, redemption_id)
            return self._redemption_view(workspace_id, coupon, done or row, duplicate=True)
        if outcome == "code_used":
            raise Conflict(f"コード「{record.code}」は使用済みです", where="code")
        if outcome == "limit":
            raise Conflict(f"この友だちはクーポン「{coupon.name}」を上限 ({int(coupon.per_friend_limit or 1)} 回) まで"
                           "利用済みです", where="code")
        self.events.publish(workspace_id, "coupon_redeemed",
                            {"coupon_id": coupon.coupon_id, "coupon_name": coupon.name, "code": record.code,
                             "subscriber_id": friend, "redemption_id": redemption_id, "source": source,
                             "amount": int(amount or 0)},
                            idempotency_key=f"coupon_redeemed:{coupon.coupon_id}:{redemption_id}")
        if record.stripe_promotion_code_id and record.stripe_active:
            self._retire_promotion(workspace_id, coupon, record)
        fresh = self.repository.get(workspace_id, coupon.coupon_id) or coupon
        return self._redemption_view(workspace_id, fresh, row, duplicate=False)

    def _retire_promotion(self, workspace_id: str, coupon: CouponModel, record: CouponCodeModel) -> None:
        """A pool code used at the counter: its Stripe promotion code is deactivated at once, so it cannot be used a
        second time at Stripe Checkout. Stripe failing does not undo the redemption (logged; the next job of the
        coupon deactivates it, since the job deactivates every used code's promotion code)."""
        try:
            writer = self.stripe().promotion_code_writer(workspace_id) if self.stripe else None
            if writer is not None:
                writer.set_active(str(record.stripe_promotion_code_id), False)
                self.repository.set_code_stripe_active(coupon, record.code, False)
        except ExternalServiceError as exc:
            log.warning("coupon %s: promotion code of %s not deactivated: %s", coupon.coupon_id, record.code, exc)

    def redeem_checkout(self, workspace_id: str, data: dict[str, Any]) -> int:
        """A paid Stripe checkout that used promotion codes (``purchase_completed`` with ``promotion_codes``): one
        redemption per linked coupon, keyed by the checkout session (a redelivered event records nothing twice), with
        the amount paid as the coupon's revenue. Stripe already applied the discount and its own limits, so the
        validity and per-friend limit are not checked again here (refusing would only lose the record)."""
        session_id = str(data.get("checkout_session_id") or data.get("order_id") or "")
        recorded = 0
        for promo in data.get("promotion_codes") or []:
            linked = self.repository.stripe_link(workspace_id, str(promo))
            if linked is None or not session_id:
                continue
            coupon, pool_code = linked  # pool_code: the unique code this promotion code is the Stripe side of
            key = f"stripe-{session_id}"
            if self.repository.redemption(workspace_id, coupon.coupon_id, key) is not None:
                continue
            friend = data.get("subscriber_id") or None
            row = CouponRedemptionModel(workspace_pk(workspace_id), f"cpnred#{coupon.coupon_id}#{key}",
                                        workspace_id=workspace_id, coupon_id=coupon.coupon_id, redemption_id=key,
                                        code=pool_code or str(promo), subscriber_id=friend, source="stripe",
                                        amount=int(data.get("amount") or 0), actor="stripe", redeemed_at=clock.now())
            outcome = self.repository.redeem(row, unique_code=pool_code is not None, subscriber_id=None,
                                             per_friend_limit=0)
            if outcome == "code_used" and pool_code is not None:
                # used at the counter too before Stripe learnt it (the job deactivates used codes): the money moved,
                # so the checkout is still recorded, without marking the code a second time
                log.warning("coupon %s: code %s paid at Stripe after it was used", coupon.coupon_id, pool_code)
                outcome = self.repository.redeem(row, unique_code=False, subscriber_id=None, per_friend_limit=0)
            if outcome != "ok":
                continue
            recorded += 1
            self.events.publish(workspace_id, "coupon_redeemed",
                                {"coupon_id": coupon.coupon_id, "coupon_name": coupon.name, "code": row.code,
                                 "subscriber_id": friend, "redemption_id": key, "source": "stripe",
                                 "amount": int(data.get("amount") or 0)},
                                idempotency_key=f"coupon_redeemed:{coupon.coupon_id}:{key}")
        return recorded

    def _redemption_view(self, workspace_id: str, coupon: CouponModel, row: CouponRedemptionModel, *,
                         duplicate: bool) -> dict[str, Any]:
        return {"redemption_id": row.redemption_id, "coupon_id": coupon.coupon_id, "coupon_name": coupon.name,
                "discount": discount_label(coupon), "code": row.code, "subscriber_id": row.subscriber_id,
                "source": row.source, "amount": int(row.amount or 0), "redeemed_at": row.redeemed_at.isoformat(),
                "duplicate": duplicate, "coupon": self.view(workspace_id, coupon)}

    def redemptions(self, workspace_id: str, coupon_id: str) -> list[dict[str, Any]]:
        self.get(workspace_id, coupon_id)
        return [{"redemption_id": r.redemption_id, "code": r.code, "subscriber_id": r.subscriber_id,
                 "source": r.source, "amount": int(r.amount or 0), "actor": r.actor,
                 "redeemed_at": r.redeemed_at.isoformat(),
                 "undone_at": r.undone_at.isoformat() if r.undone_at else None, "undone_by": r.undone_by}
                for r in self.repository.redemptions(workspace_id, coupon_id)]

    def codes(self, workspace_id: str, coupon_id: str, limit: int = 200) -> list[dict[str, Any]]:
        self.get(workspace_id, coupon_id)
        out = []
        for record in self.repository.codes(workspace_id, coupon_id):
            out.append({"code": record.code, "assigned_to": record.assigned_to,
                        "redeemed": record.redeemed_at is not None, "archived": bool(record.archived),
                        "stripe_promotion_code_id": record.stripe_promotion_code_id,
                        "stripe_active": bool(record.stripe_active)})
            if len(out) >= limit:
                break
        return out

    def export_rows(self, workspace_id: str, coupon_id: str) -> list[list[str]]:
        """Every code of the coupon as spreadsheet rows (header first): coupon, code, state, the friend it went to,
        when, redeemed when (the admin API writes them with ``haishin.csvio.cells.encode_rows``)."""
        coupon = self.get(workspace_id, coupon_id)
        zone = self._zone(workspace_id)

        def when(value: datetime | None) -> str:
            return value.astimezone(zone).strftime("%Y/%m/%d %H:%M") if value else ""

        rows = [["クーポン", "コード", "状態", "配布先の友だちID", "配布日時", "利用日時"]]
        for record in sorted(self.repository.export_codes(workspace_id, coupon_id), key=lambda r: r.code):
            state = ("無効" if record.archived else "利用済み" if record.redeemed_at else
                     "配布済み" if record.assigned_to else "未配布" if not record.shared else "共通コード")
            rows.append([coupon.name, record.code, state, record.assigned_to or "", when(record.assigned_at),
                         when(record.redeemed_at)])
        return rows

    def archive_codes(self, workspace_id: str, coupon_id: str, codes: list[str]) -> dict[str, Any]:
        """Withdraw codes from a pool coupon: unhanded ones leave the pool, handed-out ones can no longer be
        redeemed. Every code is checked first; one that is not this coupon's refuses the whole request."""
        coupon = self.get(workspace_id, coupon_id)
        if coupon.mode != "pool":
            raise ValidationFailed("共通コードのクーポンはコード単位で無効化できません "
                                   "(クーポンをアーカイブしてください)", where="codes")
        wanted = list(dict.fromkeys(normalise_code(c) for c in codes if normalise_code(c)))
        for code in wanted:
            record = self.repository.code(workspace_id, code)
            if record is None or record.coupon_id != coupon_id:
                raise ValidationFailed(f"コード「{code}」はこのクーポンのコードではありません", where="codes")
        archived = sum(1 for code in wanted if self.repository.archive_code(workspace_id, coupon_id, code) == "ok")
        if archived:
            self._restripe(workspace_id, coupon_id)
        return {"archived": archived, "coupon": self.view(workspace_id, self.get(workspace_id, coupon_id))}

    def undo_redemption(self, workspace_id: str, coupon_id: str, redemption_id: str, *, actor: str
                        ) -> dict[str, Any]:
        """Staff take back a redemption registered by mistake: the counters go down, a unique code can be used
        again, the friend's count goes down. The record stays, marked undone (who, when); the admin API's audit log
        records the request too. A Stripe checkout's redemption is refused (the payment happened; refund in
        Stripe)."""
        coupon = self.get(workspace_id, coupon_id)
        row = self.repository.redemption(workspace_id, coupon_id, redemption_id)
        if row is None:
            raise NotFound(f"利用記録 {redemption_id} が見つかりません", where="redemption_id")
        if row.source == "stripe":
            raise ValidationFailed("Stripe 決済での利用は取り消せません (返金は Stripe で行ってください)",
                                   where="redemption_id")
        if row.undone_at is not None:
            raise Conflict(f"利用記録 {redemption_id} は取り消し済みです", where="redemption_id")
        record = self.repository.code(workspace_id, row.code)
        unique = record is not None and not record.shared
        if not self.repository.undo(row, unique_code=unique, actor=actor, now=clock.now()):
            raise Conflict(f"利用記録 {redemption_id} は取り消し済みです", where="redemption_id")
        return self.view(workspace_id, self.get(workspace_id, coupon.coupon_id))

    # ------------------------------------------------------------------ segments
    def holders(self, workspace_id: str, coupon_id: str | None = None, *, unredeemed: bool) -> set[str]:
        """Friends holding a coupon (``coupon_id`` or any) not yet used (``unredeemed``) or used."""
        return self.repository.holders(workspace_id, coupon_id, "unredeemed" if unredeemed else "redeemed",
                                       clock.now())


class CheckoutRedemptions:
    """The event fanout's listener for Stripe checkouts that used a promotion code linked to a coupon. The root
    wraps it in a ``LateListener`` (the coupon service publishes through the same fanout)."""

    def __init__(self, coupons: CouponService) -> None:
        self.coupons = coupons

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        if event_type != "purchase_completed" or not data.get("promotion_codes"):
            return 0
        return self.coupons.redeem_checkout(workspace_id, data)
