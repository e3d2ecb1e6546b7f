"""Signed Stripe events (Stripe's own scheme, produced by the stand-in) delivered twice and in reverse order:
the final order state is right and every post-purchase action ran once."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe
from pay_env import WHSEC, WS, Env

from haishin.payments.keys import StripeKeys
from haishin.payments.models import OrderModel
from haishin.payments.service import HANDLED, order_view
from haishin.payments.signature import SignatureError, compute_signature, sign_header, verify
from haishin.storage.once import OnceModel
from haishin.tags.repository import TagRepository
from haishin_local.stripe_emulator.core import StripeApiError

ORDERS = ["in_order_twice", "reversed_twice"]


def deliver(env: Env, how: str) -> None:
    env.stripe.flush(reverse=how == "reversed_twice", duplicate=True)


def assert_purchase_effects_once(env: Env) -> None:
    assert env.scenarios.started.count("sc_onboarding") == 1
    assert env.scenarios.stopped.count("sc_sales") == 1
    assert [t[0] for t in env.scenarios.triggers].count("purchase_completed") == 1
    assert len(env.messenger.sent) == 1


def friend(env: Env) -> Any:
    return env.service.collab.subscribers.require(WS, env.friend)


@pytest.mark.parametrize("how", ORDERS)
def test_one_time_paid(env: Env, how: str) -> None:
    product = env.product(order_bump={"name": "特典PDF", "amount": 1200})
    order_id, session_id = env.buy(product)
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    deliver(env, how)
    order = env.order(order_id)
    assert order.status == "paid" and order.paid_total == 11000
    assert_purchase_effects_once(env)
    assert "購入者" in TagRepository().names(WS, friend(env).tags)
    assert friend(env).total_spent == 11000 and friend(env).products == {product}
    assert set(env.statuses) == {200}


@pytest.mark.parametrize("how", ORDERS)
def test_refund_is_not_resurrected_by_a_late_completed(env: Env, how: str) -> None:
    product = env.product()
    order_id, session_id = env.buy(product)
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    pi = env.stripe.objects[session_id]["payment_intent"]
    env.stripe.refund_order_payment(payment_intent=pi)
    deliver(env, how)
    order = env.order(order_id)
    assert order.status == "refunded" and order.refunded_total == 9800
    assert friend(env).total_spent == 0 and not friend(env).products
    assert env.scenarios.started.count("sc_onboarding") <= 1
    if how == "in_order_twice":  # bought, then refunded: the purchase scenario is stopped once
        assert_purchase_effects_once(env)
        assert env.scenarios.stopped.count("sc_onboarding") == 1


def test_partial_refund_keeps_the_order_paid(env: Env) -> None:
    order_id, session_id = env.buy(env.product())
    env.stripe.complete_checkout(session_id)
    env.stripe.refund_order_payment(payment_intent=env.stripe.objects[session_id]["payment_intent"], amount=800)
    order = env.order(order_id)
    assert order.status == "paid" and order.refunded_total == 800
    assert friend(env).total_spent == 9000


@pytest.mark.parametrize("how", ORDERS)
@pytest.mark.parametrize("succeeded", [True, False])
def test_async_payment(env: Env, how: str, succeeded: bool) -> None:
    order_id, session_id = env.buy(env.product())
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id, async_payment="pending")
    env.stripe.settle_async(session_id, succeeded=succeeded)
    deliver(env, how)
    order = env.order(order_id)
    if succeeded:
        assert order.status == "paid"
        assert_purchase_effects_once(env)
    else:
        assert order.status == "failed"
        assert env.scenarios.started == [] and env.messenger.sent == []


def test_async_pending_waits(env: Env) -> None:
    order_id, session_id = env.buy(env.product())
    env.stripe.complete_checkout(session_id, async_payment="pending")
    assert env.order(order_id).status == "pending"
    assert env.scenarios.started == []


@pytest.mark.parametrize("how", ORDERS)
def test_subscription_failed_then_recovered(env: Env, how: str) -> None:
    product = env.product(kind="subscription", amount=3000, dunning_scenario_id="sc_dunning")
    order_id, session_id = env.buy(product)
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    sub = env.stripe.objects[session_id]["subscription"]
    failed = env.stripe.fail_invoice(sub)
    env.stripe.retry_invoice(failed["id"])
    deliver(env, how)
    order = env.order(order_id)
    assert order.status == "active" and order.payments_made == 2 and order.paid_total == 6000
    assert_purchase_effects_once(env)
    assert "支払い失敗" not in TagRepository().names(WS, friend(env).tags or set())
    assert env.scenarios.started.count("sc_dunning") <= 1
    assert env.scenarios.started.count("sc_dunning") == env.scenarios.stopped.count("sc_dunning")


def test_subscription_payment_failed_starts_dunning_once(env: Env) -> None:
    product = env.product(kind="subscription", amount=3000, dunning_scenario_id="sc_dunning")
    order_id, session_id = env.buy(product)
    env.stripe.complete_checkout(session_id)
    sub = env.stripe.objects[session_id]["subscription"]
    env.stripe.fail_invoice(sub)
    env.stripe.resend(env.stripe.events[-2]["id"])  # invoice.payment_failed again
    assert env.order(order_id).status == "past_due"
    assert env.scenarios.started.count("sc_dunning") == 1
    assert "支払い失敗" in TagRepository().names(WS, friend(env).tags)


@pytest.mark.parametrize("how", ORDERS)
def test_subscription_deleted(env: Env, how: str) -> None:
    order_id, session_id = env.buy(env.product(kind="subscription", amount=3000))
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    env.stripe.cancel_subscription(env.stripe.objects[session_id]["subscription"])
    deliver(env, how)
    order = env.order(order_id)
    assert order.status == "canceled"
    assert env.scenarios.stopped.count("sc_onboarding") <= 1


def test_installments_end_after_the_last_payment(env: Env) -> None:
    product = env.product(kind="installments", amount=10000, installments=3, dunning_scenario_id="sc_dunning")
    order_id, session_id = env.buy(product)
    env.stripe.complete_checkout(session_id)
    order = env.order(order_id)
    assert order.status == "active" and order.schedule_id
    schedule = env.stripe.objects[order.schedule_id]
    assert schedule["end_behavior"] == "cancel"
    assert schedule["phases"][0]["duration"] == {"interval": "month", "interval_count": 3}
    sub = order.subscription_id
    env.stripe.pay_invoice(sub)
    assert env.order(order_id).status == "active"
    env.stripe.pay_invoice(sub)
    order = env.order(order_id)
    assert order.status == "completed" and order.payments_made == 3 and order.paid_total == 30000
    assert schedule["status"] == "completed"
    assert env.stripe.objects[sub]["status"] == "canceled"
    assert "customer.subscription.deleted" in [e["type"] for e in env.stripe.events]
    with pytest.raises(StripeApiError):
        env.stripe.pay_invoice(sub)  # no further payment
    assert_purchase_effects_once(env)
    assert env.gateway.calls.count("schedule") == 1


def test_cancelling_installments_stops_payments_and_dunning(env: Env) -> None:
    product = env.product(kind="installments", amount=10000, installments=3, dunning_scenario_id="sc_dunning")
    order_id, session_id = env.buy(product)
    env.stripe.complete_checkout(session_id)
    sub = env.order(order_id).subscription_id
    failed = env.stripe.fail_invoice(sub)
    assert env.scenarios.started.count("sc_dunning") == 1
    order = env.service.cancel_order(WS, order_id)
    assert order.status == "canceled"
    assert env.gateway.calls.count("cancel_schedule") == 1
    assert env.stripe.objects[sub]["status"] == "canceled"
    assert env.stripe.objects[order.schedule_id]["status"] == "canceled"
    assert "sc_dunning" in env.scenarios.stopped and "sc_onboarding" in env.scenarios.stopped
    with pytest.raises(StripeApiError):
        env.stripe.fail_invoice(sub)
    # a late duplicate of the old failure sends no new dunning
    env.stripe.resend(next(e["id"] for e in env.stripe.events if e["type"] == "invoice.payment_failed"))
    env.stripe.emit("invoice.payment_failed", {**env.stripe.public(failed), "id": "in_late", "created":
                                               failed["created"] + 60})
    assert env.scenarios.started.count("sc_dunning") == 1
    view = env.order(order_id)
    assert view.status == "canceled"
    assert order_view(view)["expects_payment"] is False


# ---------------------------------------------------------------------------------------------- signatures
def _event_body(env: Env) -> bytes:
    _, session_id = env.buy(env.product())
    env.stripe.auto_deliver = False
    event = env.stripe.complete_checkout(session_id)
    return json.dumps(event).encode()


def _stored_nothing(env: Env) -> bool:
    events = [i for i in OnceModel.scan() if i.id.startswith("stripe-event#")]
    orders = [o for o in OrderModel.scan(OrderModel.sk.startswith("order#")) if o.status != "pending"]
    return not events and not orders


@pytest.mark.parametrize("case", ["too_old", "wrong_secret", "unsigned", "garbled", "future"])
def test_bad_signatures_get_400_and_nothing_stored(env: Env, case: str, manual_clock: Any) -> None:
    body = _event_body(env)
    now = int(manual_clock.now().timestamp())
    header: str | None = {
        "too_old": sign_header(WHSEC, body, now - 301),
        "wrong_secret": sign_header("whsec_other", body, now),
        "unsigned": None,
        "garbled": "v1=abc",
        "future": sign_header(WHSEC, body, now + 301),
    }[case]
    status, _ = env.service.handle_webhook(WS, body, header)
    assert status == 400
    assert _stored_nothing(env)
    # a body changed after signing fails too
    status, _ = env.service.handle_webhook(WS, body + b" ", sign_header(WHSEC, body, now))
    assert status == 400


def test_within_tolerance_and_rotation_accepted(env: Env, manual_clock: Any) -> None:
    body = _event_body(env)
    t = int(manual_clock.now().timestamp()) - 299
    header = f"t={t},v1={compute_signature('whsec_old_rotated', t, body)},v1={compute_signature(WHSEC, t, body)}"
    status, answer = env.service.handle_webhook(WS, body, header)
    assert status == 200 and answer["outcome"] == "paid"
    status, answer = env.service.handle_webhook(WS, body, header)
    assert status == 200 and answer["outcome"] == "duplicate"


def test_several_endpoint_secrets_are_tried(env: Env, manual_clock: Any) -> None:
    StripeKeys(env.service.collab.secrets).put(WS, "test", webhook_secrets=["whsec_new", WHSEC])
    body = _event_body(env)
    assert env.service.handle_webhook(WS, body, sign_header("whsec_new", body))[0] == 200


def test_our_verifier_agrees_with_stripe_library(manual_clock: Any) -> None:
    payload = b'{"id":"evt_1","type":"invoice.paid","data":{"object":{}}}'
    now = int(manual_clock.now().timestamp())
    header = sign_header(WHSEC, payload, now)
    # stripe's own check uses the wall clock, so sign for its "now" as well
    real_header = sign_header(WHSEC, payload, int(time.time()))
    assert stripe.WebhookSignature.verify_header(payload.decode(), real_header, WHSEC, tolerance=300)
    assert verify(payload, header, [WHSEC]) == now
    stripe_sig = stripe.WebhookSignature._compute_signature(f"{now}.{payload.decode()}", WHSEC)
    assert header == f"t={now},v1={stripe_sig}"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload.decode(), sign_header("whsec_x", payload, int(time.time())),
                                              WHSEC, tolerance=300)
    with pytest.raises(SignatureError):
        verify(payload, header, [WHSEC], now=now + timedelta(seconds=301).total_seconds())


def test_unknown_workspace_is_refused(env: Env) -> None:
    body = _event_body(env)
    assert env.service.handle_webhook("w_nobody", body, sign_header(WHSEC, body))[0] == 400


def test_the_readme_tells_sellers_every_stripe_event_haishin_handles() -> None:
    """The set-up step lists the events to send the endpoint: one missing there is one a seller never enables (a
    refund of a subscription payment needs ``invoice_payment.paid``)."""
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    step = readme[readme.index("3. For Stripe, register"):readme.index("4. For inflow routes")]
    listed = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", step))
    assert listed == set(HANDLED)
