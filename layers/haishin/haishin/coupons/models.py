"""Coupon records in WorkspaceTable (pk ``ws#<workspace_id>``), and the admin's input shapes.

- coupon:      sk ``cpn#<coupon_id>``              definition + counters (pool_size, distributed, redeemed, revenue)
- code:        sk ``cpncode#<CODE>``               one per code (a shared code too): coupon_id, assigned_to,
                                                   redeemed_count; the lookup for redemption by code
- free code:   sk ``cpnfree#<coupon_id>#<CODE>``   an unassigned pool code; assigning deletes it (conditional)
- assignment:  sk ``cpnfriend#<coupon_id>#<sub>``  "this friend has this coupon" (code, redeemed count); the
                                                   marker that makes distribution once per friend
- redemption:  sk ``cpnred#<coupon_id>#<key>``     one per redemption; ``key`` is the idempotency key (a Stripe
                                                   checkout session, or a new ID for a staff/API redemption)
- held:        sk ``cpnheld#<sub>#<coupon_id>``    the per-friend index of assignments (written in the same
                                                   transaction as the marker): マイページ queries the friend's own
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta

# readable codes: no 0/O, 1/I (nor L, easily read as 1)
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")
MAX_POOL = 100_000
MAX_IMPORT = 5000
# codes per conditional write transaction: 2 items per code + the pool counter stays under DynamoDB's 100 items
CODES_PER_TRANSACTION = 49


def coupon_sk(coupon_id: str) -> str:
    return f"cpn#{coupon_id}"


def code_sk(code: str) -> str:
    return f"cpncode#{code}"


def free_prefix(coupon_id: str) -> str:
    return f"cpnfree#{coupon_id}#"


def assignment_prefix(coupon_id: str) -> str:
    return f"cpnfriend#{coupon_id}#"


def redemption_prefix(coupon_id: str) -> str:
    return f"cpnred#{coupon_id}#"


def held_prefix(subscriber_id: str) -> str:
    return f"cpnheld#{subscriber_id}#"


def stripe_sk(promotion_code_id: str) -> str:
    return f"cpnstripe#{promotion_code_id}"


def normalise_code(value: str) -> str:
    """What staff type or paste: full-width to half-width, upper case, spaces and hyphens kept out of the lookup."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    return re.sub(r"[\s\u3000]+", "", text)


class CouponModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    coupon_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    discount_type = UnicodeAttribute()  # "amount" (yen) | "percent"
    discount_value = NumberAttribute()
    valid_from = UTCDateTimeAttribute(null=True)
    valid_until = UTCDateTimeAttribute(null=True)
    per_friend_limit = NumberAttribute(default=1)
    mode = UnicodeAttribute()  # "shared" | "pool"
    shared_code = UnicodeAttribute(null=True)
    pool_size = NumberAttribute(default=0)
    distributed = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    revenue = NumberAttribute(default=0)  # yen, from Stripe checkouts that used the coupon
    stripe_coupon_id = UnicodeAttribute(null=True)
    stripe_promotion_code_id = UnicodeAttribute(null=True)
    archived = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    # a pool coupon's per-code promotion codes (haishin.coupons.stripe_codes): the newest job and its progress
    stripe_job_id = UnicodeAttribute(null=True)
    stripe_job_status = UnicodeAttribute(null=True)  # queued | running | done | failed
    stripe_job_total = NumberAttribute(default=0)  # Stripe calls this job has to make (creates + (de)activations)
    stripe_job_done = NumberAttribute(default=0)  # of those, done (ADDed per code)
    stripe_job_failed = NumberAttribute(default=0)  # of those, refused by Stripe (retried by the next job)
    stripe_job_error = UnicodeAttribute(null=True)  # the first refusals, one a line (Japanese first)
    stripe_job_updated_at = UTCDateTimeAttribute(null=True)


class CouponCodeModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    coupon_id = UnicodeAttribute()
    code = UnicodeAttribute()
    shared = NumberAttribute(default=0)
    assigned_to = UnicodeAttribute(null=True)
    assigned_at = UTCDateTimeAttribute(null=True)
    redeemed_count = NumberAttribute(default=0)
    redeemed_at = UTCDateTimeAttribute(null=True)
    archived = NumberAttribute(default=0)  # a withdrawn code: never handed out, refused at redemption
    stripe_promotion_code_id = UnicodeAttribute(null=True)  # a pool code's own Stripe promotion code (max 1 use)
    stripe_active = NumberAttribute(default=0)  # whether that promotion code is active in Stripe


class CouponStripeLinkModel(HaishinModel):
    """sk ``cpnstripe#<promo_id>``: which coupon a Stripe promotion code records redemptions for."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    coupon_id = UnicodeAttribute()
    code = UnicodeAttribute(null=True)  # a pool code's own promotion code: a checkout with it redeems this code


class CouponFreeCodeModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    code = UnicodeAttribute()


class CouponAssignmentModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    coupon_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    code = UnicodeAttribute()
    assigned_at = UTCDateTimeAttribute()
    redeemed_count = NumberAttribute(default=0)


class CouponHeldModel(HaishinModel):
    """sk ``cpnheld#<subscriber>#<coupon_id>``: the friend's side of an assignment (マイページ lists these)."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    coupon_id = UnicodeAttribute()


class CouponRedemptionModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    coupon_id = UnicodeAttribute()
    redemption_id = UnicodeAttribute()
    code = UnicodeAttribute()
    subscriber_id = UnicodeAttribute(null=True)
    source = UnicodeAttribute()  # "staff" | "api" | "stripe"
    amount = NumberAttribute(default=0)  # yen paid (Stripe checkouts)
    actor = UnicodeAttribute(default="")
    redeemed_at = UTCDateTimeAttribute()
    # an undone redemption stays (the Stripe key keeps a redelivered checkout from counting again): who and when
    undone_at = UTCDateTimeAttribute(null=True)
    undone_by = UnicodeAttribute(null=True)


class CouponIn(BaseModel):
    """A new coupon. ``valid_from`` / ``valid_until``: aware datetimes, or naive ones read in the workspace's zone."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    discount_type: Literal["amount", "percent"]
    discount_value: int = Field(ge=1, le=10_000_000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    per_friend_limit: int = Field(default=1, ge=1, le=100)
    mode: Literal["shared", "pool"]
    shared_code: str | None = Field(default=None, max_length=40)
    # a shared code also becomes a Stripe coupon + promotion code (when the workspace has Stripe keys); false: not
    # (the admin's 「Stripeに作成しない」)
    stripe: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("クーポン名を入力してください")
        return value

    @field_validator("shared_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        code = normalise_code(value)
        if not CODE_RE.match(code):
            raise ValueError("コードは英数字 3〜40 文字で入力してください (記号は - と _ のみ)")
        return code

    @model_validator(mode="after")
    def _whole(self) -> CouponIn:
        if self.discount_type == "percent" and self.discount_value > 100:
            raise ValueError("割引率は 1〜100 (%) で入力してください")
        if self.mode == "shared" and not self.shared_code:
            raise ValueError("共通コードのクーポンにはコードを入力してください")
        if self.mode == "pool" and self.shared_code:
            raise ValueError("個別コードのクーポンに共通コードは指定できません (取り込みか自動生成で追加します)")
        return self


class CouponPatch(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    per_friend_limit: int | None = Field(default=None, ge=1, le=100)
    archived: bool | None = None
    # the Stripe promotion code (promo_...) whose use at checkout records a redemption of this coupon
    stripe_promotion_code_id: str | None = Field(default=None, max_length=100, pattern=r"^(promo_[A-Za-z0-9]+)?$")
    # true: create the Stripe coupon + promotion code now (a shared-code coupon; the workspace has Stripe keys), or
    # for a pool coupon start (again) the job that gives each unique code its own promotion code
    stripe: bool | None = None


class GenerateIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    count: int = Field(ge=1, le=5000)
    length: int = Field(default=8, ge=6, le=16)
    prefix: str = Field(default="", max_length=10)


class ImportIn(BaseModel):
    """Codes as text: one per line, or a CSV whose first column is the code (a header line "code"/"コード" is
    skipped)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    text: str = Field(min_length=1, max_length=400_000)


class RedeemIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    code: str = Field(min_length=1, max_length=60)
    subscriber_id: str | None = Field(default=None, max_length=100)


class ArchiveCodesIn(BaseModel):
    """Codes to withdraw from a pool coupon (typed as staff read them; normalised)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    codes: list[str] = Field(min_length=1, max_length=500)
