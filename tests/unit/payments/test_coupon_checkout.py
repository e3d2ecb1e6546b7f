"""Coupons at a Stripe checkout: a coupon linked to a Stripe promotion code records one redemption (source stripe,
the amount paid as revenue, the buyer as the friend) when checkout.session.completed lists that promotion code in its
discounts; Stripe redelivering the event records nothing twice; a promotion code linked to another coupon is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pay_env import WS, Env

from haishin import wiring
from haishin.coupons.models import CouponIn, CouponPatch
from haishin.errors import Conflict


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
