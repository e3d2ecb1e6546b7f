"""「期間終了時に解約」 (``POST /api/orders/{id}/cancel`` with ``{"at_period_end": true}``) on the Stripe stand-in:
the subscription is set to cancel at its period end (one Stripe update per request, keyed per order), the order
says so at once and again from ``customer.subscription.updated``; it is undone with ``false``; the stand-in does not
renew it and deletes it when time passes the period end, which ends the order. Refused in Japanese at
``at_period_end`` with nothing sent: one-time and installments orders, an ended order; another workspace's → 404.
Without the field the cancel is immediate, as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pay_env import WS

from haishin.api.app import AdminApi
from haishin.payments import state
from haishin_local.stripe_emulator.core import StripeApiError
from tests.support.admin_api import call_admin_api


def cancel(order_id: str, body: Any = None, *, workspace: str = WS, role: str = "owner") -> tuple[int, Any]:
    return call_admin_api(AdminApi(), "POST", f"/api/orders/{order_id}/cancel", workspace=workspace, role=role,
                          body=body if body is not None else {})


def updates(env: Any) -> list[str]:
    return [c for c in env.gateway.calls if c.startswith("cancel_at_period_end:")]


def subscription_order(env: Any) -> tuple[str, dict[str, Any]]:
    order_id, session_id = env.buy(env.product(kind="subscription", amount=3000))
    env.stripe.complete_checkout(session_id)
    order = env.order(order_id)
    assert order.status == "active"
    return order_id, env.stripe.objects[order.subscription_id]


def test_scheduled_end_keeps_the_order_active_until_stripe_deletes_it_at_the_period_end(env: Any,
                                                                                         manual_clock: Any) -> None:
    order_id, sub = subscription_order(env)
    period_end = sub["items"]["data"][0]["current_period_end"]
    status, body = cancel(order_id, {"at_period_end": True})
    assert status == 200, body
    assert body["status"] == "active" and body["cancel_at_period_end"] is True
    assert body["current_period_end"] == datetime.fromtimestamp(period_end, UTC).isoformat()
    assert (sub["cancel_at_period_end"], sub["cancel_at"], sub["status"]) == (True, period_end, "active")
    assert updates(env) == [f"cancel_at_period_end:cancel_at_period_end:{order_id}:0"]
    # Stripe's customer.subscription.updated says it too, with what it was before
    (event,) = [e for e in env.stripe.events if e["type"] == "customer.subscription.updated"]
    assert event["data"]["previous_attributes"] == {"cancel_at_period_end": False, "cancel_at": None,
                                                    "canceled_at": None}
    # asked again (a double click): nothing more is sent
    assert cancel(order_id, {"at_period_end": True})[0] == 200 and len(updates(env)) == 1
    # before the period end nothing happens; then no renewal: the subscription is deleted and the order ends
    manual_clock.advance(timedelta(days=29))
    assert env.stripe.end_due_subscriptions() == [] and env.order(order_id).status == "active"
    manual_clock.advance(timedelta(days=2))
    invoices = len([o for o in env.stripe.objects.values() if o.get("object") == "invoice"])
    assert env.stripe.end_due_subscriptions() == [sub["id"]]
    assert sub["status"] == "canceled" and sub["ended_at"] == period_end
    assert len([o for o in env.stripe.objects.values() if o.get("object") == "invoice"]) == invoices
    assert [e["type"] for e in env.stripe.events][-1] == "customer.subscription.deleted"
    order = env.order(order_id)
    assert order.status == "canceled" and state.paid_period_end(order.facts or {}) == period_end
    # an ended order: refused at the field, nothing sent
    status, refused = cancel(order_id, {"at_period_end": False})
    assert status == 409 and refused["where"] == "at_period_end" and "解約・終了" in refused["message"]
    assert len(updates(env)) == 1


def test_the_scheduled_end_is_undone_and_scheduled_again_each_a_new_stripe_request(env: Any,
                                                                                  manual_clock: Any) -> None:
    order_id, sub = subscription_order(env)
    assert cancel(order_id, {"at_period_end": True})[0] == 200
    status, body = cancel(order_id, {"at_period_end": False})  # 「解約予約を取り消す」
    assert status == 200 and body["cancel_at_period_end"] is False and body["status"] == "active"
    assert (sub["cancel_at_period_end"], sub["cancel_at"], sub["canceled_at"]) == (False, None, None)
    status, body = cancel(order_id, {"at_period_end": True})
    assert status == 200 and body["cancel_at_period_end"] is True and sub["cancel_at_period_end"] is True
    assert updates(env) == [f"cancel_at_period_end:cancel_at_period_end:{order_id}:{n}" for n in range(3)]
    assert env.order(order_id).facts["cancel_at_period_end"] is True
    # a renewal is not made for a subscription set to end once its period has passed
    manual_clock.advance(timedelta(days=31))
    with pytest.raises(StripeApiError):
        env.stripe.pay_invoice(sub["id"])
    assert sub["status"] == "canceled" and env.order(order_id).status == "canceled"


def test_refusals_at_the_field_and_nothing_sent(env: Any) -> None:
    one_time, session_id = env.buy(env.product())
    env.stripe.complete_checkout(session_id)
    status, body = cancel(one_time, {"at_period_end": True})
    assert status == 422 and body["where"] == "at_period_end" and "一回払い" in body["message"]
    installments, session_id = env.buy(env.product(kind="installments", amount=3000, installments=3))
    env.stripe.complete_checkout(session_id)
    status, body = cancel(installments, {"at_period_end": True})
    assert status == 422 and body["where"] == "at_period_end" and "分割払い" in body["message"]
    order_id, sub = subscription_order(env)
    for bad in ("true", 1, None):
        status, body = cancel(order_id, {"at_period_end": bad})
        assert status == 422 and body["where"] == "at_period_end" and "true か false" in body["message"], body
    status, body = cancel(order_id, {"at_period_ends": True})  # misspelt: not an immediate cancel
    assert status == 422 and body["where"] == "at_period_ends"
    assert cancel(order_id, {"at_period_end": True}, workspace="w_other")[0] == 404
    assert cancel(order_id, {"at_period_end": True}, role="viewer")[0] == 403
    unpaid, _ = env.buy(env.product(kind="subscription", amount=3000))
    status, body = cancel(unpaid, {"at_period_end": True})
    assert status == 409 and body["where"] == "at_period_end" and "始まっていない" in body["message"]
    assert updates(env) == [] and sub["cancel_at_period_end"] is False and sub["status"] == "active"
    assert env.order(order_id).status == "active"


def test_without_the_field_the_cancel_is_immediate_as_before(env: Any) -> None:
    order_id, sub = subscription_order(env)
    assert cancel(order_id, {"at_period_end": True})[0] == 200
    status, body = cancel(order_id)  # 「今すぐ解約」 on a subscription set to end: it ends now
    assert status == 200 and body["status"] == "canceled"
    assert sub["status"] == "canceled" and "cancel_subscription" in env.gateway.calls


def test_state_follows_the_latest_word_on_the_same_period_and_the_order_stays_active_until_deleted() -> None:
    scheduled = {"id": "sub_1", "status": "active", "cancel_at_period_end": True, "cancel_at": 2_000,
                 "items": {"data": [{"current_period_end": 2_000}]}}
    undone = {**scheduled, "cancel_at_period_end": False, "cancel_at": None}
    facts = state.merge({"session": {"paid": True}}, "customer.subscription.updated", scheduled)
    assert facts["cancel_at_period_end"] is True and state.derive("subscription", facts) == "active"
    facts = state.merge(facts, "customer.subscription.updated", undone)  # 「解約予約を取り消す」: the same period
    assert facts["cancel_at_period_end"] is False and state.period_end(facts) == 2_000
    facts = state.merge(facts, "customer.subscription.updated", scheduled)
    deleted = {**scheduled, "status": "canceled", "ended_at": 2_000}
    facts = state.merge(facts, "customer.subscription.deleted", deleted)
    assert state.derive("subscription", facts) == "canceled" and state.paid_period_end(facts) == 2_000
