"""Coupons at a Stripe checkout: a coupon linked to a Stripe promotion code records one redemption (source stripe,
the amount paid as revenue, the buyer as the friend) when checkout.session.completed lists that promotion code in its
discounts; Stripe redelivering the event records nothing twice; a promotion code linked to another coupon is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pay_env import WS, Env

from haishin import clock, wiring
from haishin.coupons.models import CouponIn, CouponPatch
from haishin.errors import Conflict, ExternalServiceError, ValidationFailed
from haishin_local.stripe_emulator.core import StripeApiError


def test_a_checkout_with_the_promotion_code_records_one_redemption(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon = coupons.create(WS, CouponIn(name="春の1000円引き", discount_type="amount", discount_value=1000,
                                         mode="shared", shared_code="SPRING1000"))
    coupons.update(WS, coupon.coupon_id, CouponPatch(stripe_promotion_code_id="promo_spring"))
    other = coupons.create(WS, CouponIn(name="別", discount_type="amount", discount_value=1, mode="pool"))
    with pytest.raises(Conflict):
        coupons.update(WS, other.coupon_id, CouponPatch(stripe_promotion_code_id="promo_spring"))

    _, session_id = env.buy(env.product(amount=9800))
    session: dict[str, Any] = env.stripe.objects[session_id]
    session["discounts"] = [{"coupon": "co_x", "promotion_code": "promo_spring"}]
    session["amount_total"] = 8800
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    env.stripe.flush(duplicate=True)
    assert set(env.statuses) == {200}

    stats = coupons.view(WS, coupons.get(WS, coupon.coupon_id))["stats"]
    assert (stats["redeemed"], stats["revenue"]) == (1, 8800)
    [row] = coupons.redemptions(WS, coupon.coupon_id)
    assert (row["source"], row["amount"], row["subscriber_id"]) == ("stripe", 8800, env.friend)


def test_a_checkout_without_a_linked_promotion_code_records_nothing(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon = coupons.create(WS, CouponIn(name="未連携", discount_type="percent", discount_value=10, mode="pool"))
    _, session_id = env.buy(env.product())
    env.stripe.objects[session_id]["discounts"] = [{"promotion_code": "promo_unknown"}]
    env.stripe.complete_checkout(session_id)
    assert coupons.view(WS, coupons.get(WS, coupon.coupon_id))["stats"]["redeemed"] == 0


def test_a_shared_coupon_becomes_a_stripe_promotion_code_and_the_discounted_checkout_counts(env: Env) -> None:
    """Creating a shared-code coupon in a workspace with Stripe keys creates the Stripe coupon + a promotion code
    with the same code (once: a retry reuses the idempotency key); product checkouts allow promotion codes; the
    friend typing the code pays the discounted total, which the coupon counts as revenue."""
    coupons = wiring.services().coupons
    coupon = coupons.create(WS, CouponIn(name="1割引", discount_type="percent", discount_value=10,
                                         mode="shared", shared_code="TEN10"))
    promo_id = coupon.stripe_promotion_code_id
    assert promo_id and promo_id.startswith("promo_")
    promo = env.stripe.objects[promo_id]
    assert promo["code"] == "TEN10"
    stripe_coupon = env.stripe.objects[promo["promotion"]["coupon"]]
    assert (stripe_coupon["percent_off"], stripe_coupon["duration"]) == (10.0, "once")
    assert coupons.view(WS, coupons.get(WS, coupon.coupon_id))["stripe_coupon_id"] == stripe_coupon["id"]

    # a retry (say the first answer was lost): same idempotency key, nothing created twice
    again = coupons.get(WS, coupon.coupon_id)
    again.stripe_promotion_code_id = None
    coupons.enable_stripe(WS, again)
    assert again.stripe_promotion_code_id == promo_id
    assert [o["object"] for o in env.stripe.objects.values()].count("promotion_code") == 1

    # a pool coupon is not sent to Stripe on create; asking for it starts the per-code job
    # (tests/unit/payments/test_coupon_stripe_codes.py)
    pool = coupons.create(WS, CouponIn(name="個別", discount_type="amount", discount_value=500, mode="pool"))
    assert pool.stripe_promotion_code_id is None and env.queue.sent == []
    coupons.update(WS, pool.coupon_id, CouponPatch(stripe=True))
    assert [m["kind"] for m in env.queue.sent] == ["coupon_stripe_codes"]

    _, session_id = env.buy(env.product(amount=9800))
    session: dict[str, Any] = env.stripe.objects[session_id]
    assert session["allow_promotion_codes"] is True
    env.stripe.apply_promotion_code(session_id, "ten10")
    env.stripe.complete_checkout(session_id)
    assert set(env.statuses) == {200}
    stats = coupons.view(WS, coupons.get(WS, coupon.coupon_id))["stats"]
    assert (stats["redeemed"], stats["revenue"]) == (1, 8820)
    [row] = coupons.redemptions(WS, coupon.coupon_id)
    assert (row["source"], row["amount"], row["subscriber_id"]) == ("stripe", 8820, env.friend)


def test_no_stripe_keys_no_promotion_code_and_enabling_says_why(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon = coupons.create("w_nostripe", CouponIn(name="鍵なし", discount_type="amount", discount_value=300,
                                                   mode="shared", shared_code="NOKEY300"))
    assert coupon.stripe_promotion_code_id is None
    with pytest.raises(ValidationFailed, match="Stripe のキー"):
        coupons.update("w_nostripe", coupon.coupon_id, CouponPatch(stripe=True))


def test_stripe_refusing_on_create_keeps_the_coupon_and_the_retry_says_why(env: Env, monkeypatch: Any) -> None:
    coupons = wiring.services().coupons
    env.stripe.create_coupon({"duration": "once", "percent_off": 5}, "sk_test_123")
    [stripe_coupon] = [o for o in env.stripe.objects.values() if o["object"] == "coupon"]
    env.stripe.create_promotion_code({"promotion": {"type": "coupon", "coupon": stripe_coupon["id"]},
                                      "code": "TAKEN5"}, "sk_test_123")  # the code exists in Stripe already

    real = env.gateway.create_promotion_code

    def refusing(api_key: str, **kwargs: Any) -> dict[str, str]:  # StripeGateway turns Stripe's 400 into this
        try:
            return real(api_key, **kwargs)
        except StripeApiError as exc:
            raise ExternalServiceError(f"Stripe: {exc.message}", where="Stripe API") from exc

    monkeypatch.setattr(env.gateway, "create_promotion_code", refusing)
    coupon = coupons.create(WS, CouponIn(name="重複", discount_type="percent", discount_value=5, mode="shared",
                                         shared_code="TAKEN5"))
    assert coupons.get(WS, coupon.coupon_id).stripe_promotion_code_id is None
    with pytest.raises(ExternalServiceError, match="already exists"):
        coupons.update(WS, coupon.coupon_id, CouponPatch(stripe=True))


def test_editing_the_coupon_keeps_its_stripe_promotion_code_in_step(env: Env, manual_clock: Any) -> None:
    """Rename -> the Stripe coupon's name; archive -> the promotion code inactive (a customer's code is refused at
    checkout), un-archive -> active again; a new end of validity (Stripe cannot change expires_at) -> the old code
    inactive and a successor with the same code and the new expiry; a checkout paid with the old code still counts."""
    coupons = wiring.services().coupons
    coupon = coupons.create(WS, CouponIn(name="夏", discount_type="amount", discount_value=500, mode="shared",
                                         shared_code="SUMMER500"))
    first = str(coupon.stripe_promotion_code_id)
    coupons.update(WS, coupon.coupon_id, CouponPatch(name="夏の500円引き"))
    assert env.stripe.objects[str(coupon.stripe_coupon_id)]["name"] == "夏の500円引き"

    coupons.update(WS, coupon.coupon_id, CouponPatch(archived=True))
    assert env.stripe.objects[first]["active"] is False
    _, session_id = env.buy(env.product(amount=3000))
    with pytest.raises(StripeApiError, match="invalid"):
        env.stripe.apply_promotion_code(session_id, "summer500")
    coupons.update(WS, coupon.coupon_id, CouponPatch(archived=False))
    assert env.stripe.objects[first]["active"] is True

    until = clock.now() + timedelta(days=30)
    updated = coupons.update(WS, coupon.coupon_id, CouponPatch(valid_until=until))
    successor = str(updated.stripe_promotion_code_id)
    assert successor != first and env.stripe.objects[first]["active"] is False
    assert (env.stripe.objects[successor]["code"], env.stripe.objects[successor]["expires_at"]) == (
        "SUMMER500", int(until.timestamp()))
    assert env.stripe.objects[successor]["promotion"]["coupon"] == updated.stripe_coupon_id
    # the old code's link stays: a checkout paid with it (before the edit) records on this coupon
    assert coupons.repository.by_stripe_promotion(WS, first).coupon_id == coupon.coupon_id  # type: ignore[union-attr]
    env.stripe.apply_promotion_code(session_id, "summer500")
    assert env.stripe.objects[session_id]["discounts"][0]["promotion_code"] == successor
    env.stripe.complete_checkout(session_id)
    assert coupons.view(WS, coupons.get(WS, coupon.coupon_id))["stats"]["redeemed"] == 1


def test_a_hand_linked_promotion_code_is_left_alone_on_edit(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon = coupons.create(WS, CouponIn(name="手動", discount_type="amount", discount_value=100, mode="pool"))
    coupons.update(WS, coupon.coupon_id, CouponPatch(stripe_promotion_code_id="promo_byhand"))
    env.gateway.calls.clear()
    coupons.update(WS, coupon.coupon_id, CouponPatch(name="手動2", archived=True))
    assert env.gateway.calls == []
