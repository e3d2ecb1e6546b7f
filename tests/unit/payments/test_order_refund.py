"""Refunds from the admin (``POST /api/orders/{id}/refund`` -> ``PaymentService.refund_order``) on the Stripe
stand-in: in full or in part, one refund per Idempotency-Key (a double click is one refund), the order learning it
from Stripe's webhook; refused in Japanese and nothing refunded for an unpaid or fully refunded order, an amount
above what is left (a subscription's payments: test_subscription_refund.py); another workspace's order is not found. And the subscription's period end
kept from Stripe's events."""

from __future__ import annotations

from typing import Any

from pay_env import WS

from haishin.api.app import AdminApi
from haishin.payments import state
from tests.support.admin_api import call_admin_api


def refund(order_id: str, body: Any = None, *, key: str | None = None, workspace: str = WS,
           role: str = "owner") -> tuple[int, Any]:
    return call_admin_api(AdminApi(), "POST", f"/api/orders/{order_id}/refund", workspace=workspace, role=role,
                          body=body if body is not None else {}, headers={"Idempotency-Key": key} if key else None)


def stripe_refunds(env: Any) -> list[dict[str, Any]]:
    return [o for o in env.stripe.objects.values() if isinstance(o, dict) and o.get("object") == "refund"]


def paid_order(env: Any) -> str:
    order_id, session_id = env.buy(env.product())
    env.stripe.complete_checkout(session_id)
    assert env.order(order_id).status == "paid"
    return order_id


def test_a_partial_refund_then_the_rest_each_once_and_the_order_follows_stripe(env: Any) -> None:
    order_id = paid_order(env)
    status, body = refund(order_id, {"amount": 3000}, key="k-1")
    assert status == 200, body
    assert body["refund_id"].startswith("re_") and body["refunded_total"] == 3000 and body["status"] == "paid"
    assert body["refundable"] == 6800
    again = refund(order_id, {"amount": 3000}, key="k-1")  # a double click / a retried request: the same refund
    assert again[1]["refund_id"] == body["refund_id"]
    assert len(stripe_refunds(env)) == 1 and env.order(order_id).refunded_total == 3000
    status, rest = refund(order_id, {}, key="k-2")  # no amount: all that is left
    assert status == 200 and rest["refund_id"] != body["refund_id"]
    order = env.order(order_id)
    assert order.status == "refunded" and order.refunded_total == 9800
    assert [r["amount"] for r in stripe_refunds(env)] == [3000, 6800]
    assert all(r["metadata"] == {"order_id": order_id, "by": "admin"} for r in stripe_refunds(env))
    # one Stripe idempotency key per requested refund (the retry of k-1 never reached Stripe: run once)
    assert [c for c in env.gateway.calls if c.startswith("refund:")] == [f"refund:refund:{order_id}:k-1",
                                                                         f"refund:refund:{order_id}:k-2"]
    # fully refunded: refused in Japanese, nothing more goes to Stripe
    status, refused = refund(order_id, {}, key="k-3")
    assert status == 409 and "全額返金済み" in refused["message"]
    assert len(stripe_refunds(env)) == 2


def test_bad_amounts_are_refused_at_the_field_and_nothing_is_refunded(env: Any) -> None:
    order_id = paid_order(env)
    for amount in (0, -5, 9801):
        status, body = refund(order_id, {"amount": amount}, key=f"bad-{amount}")
        assert status == 422 and body["where"] == "amount" and "9,800 円" in body["message"], body
    for amount in ("1000", 12.5, True):
        status, body = refund(order_id, {"amount": amount}, key="bad-type")
        assert status == 422 and body["where"] == "amount" and "円の整数" in body["message"], body
    assert stripe_refunds(env) == [] and env.order(order_id).refunded_total == 0
    # a refused request's key is free again: the corrected amount goes through with it
    status, body = refund(order_id, {"amount": 1000}, key="bad-9801")
    assert status == 200 and body["refunded_total"] == 1000


def test_unpaid_and_other_workspace_orders_are_not_refunded(env: Any) -> None:
    unpaid, _ = env.buy(env.product())
    status, body = refund(unpaid, {}, key="k")
    assert status == 409 and "まだ支払われていない" in body["message"]
    paid = paid_order(env)
    assert refund(paid, {}, key="k", workspace="w_other")[0] == 404
    assert refund(paid, {}, key="k", role="viewer")[0] == 403
    assert stripe_refunds(env) == []


def test_the_late_payment_refund_stays_one_refund_per_order(env: Any) -> None:
    order_id = paid_order(env)
    first = env.service.refund_late_payment(WS, order_id, ref="seminar:x")
    assert first and env.service.refund_late_payment(WS, order_id, ref="seminar:x") == first
    assert len(stripe_refunds(env)) == 1 and env.order(order_id).status == "refunded"


def test_the_subscription_period_end_is_kept_from_stripe_and_moves_forward(env: Any, manual_clock: Any) -> None:
    order_id, session_id = env.buy(env.product(kind="subscription", amount=3000))
    env.stripe.complete_checkout(session_id)
    sub = env.stripe.objects[env.order(order_id).subscription_id]
    first_end = sub["items"]["data"][0]["current_period_end"]
    facts = env.order(order_id).facts
    assert state.period_end(facts) is None  # customer.subscription.created is not handled: the invoice's line said it
    assert state.paid_period_end(facts) == first_end
    env.stripe.pay_invoice(sub["id"])  # the renewal: customer.subscription.updated with the next period, then paid
    facts = env.order(order_id).facts
    second_end = sub["items"]["data"][0]["current_period_end"]
    assert second_end > first_end and state.period_end(facts) == second_end == state.paid_period_end(facts)
    # a failed renewal moves Stripe's period on, but the paid period stays where the last paid invoice left it
    env.stripe.fail_invoice(sub["id"])
    facts = env.order(order_id).facts
    assert state.period_end(facts) > second_end and state.paid_period_end(facts) == second_end
    status, view = call_admin_api(AdminApi(), "GET", f"/api/orders/{order_id}", workspace=WS)
    assert status == 200 and view["current_period_end"].startswith("20") and view["cancel_at_period_end"] is False
    assert view["refundable"] == 0


def test_period_facts_ignore_an_older_period_and_keep_cancel_at_period_end() -> None:
    later = {"id": "sub_1", "status": "active", "cancel_at_period_end": True,
             "items": {"data": [{"current_period_end": 2_000}]}}
    older = {"id": "sub_1", "status": "active", "cancel_at_period_end": False, "current_period_end": 1_000}
    facts = state.merge({}, "customer.subscription.updated", later)
    facts = state.merge(facts, "customer.subscription.updated", older)  # arrives late: changes nothing
    assert facts["period_end"] == 2_000 and facts["cancel_at_period_end"] is True
    assert state.merge({}, "customer.subscription.updated", {"id": "sub_1"}).get("period_end") is None
