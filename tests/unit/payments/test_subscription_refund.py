"""One payment of a subscription (継続課金) or installments (分割払い) order refunded from the admin
(``POST /api/orders/{id}/refund`` with ``invoice_id``, default the latest paid invoice) on the Stripe stand-in: the
order keeps what paid each invoice (``invoice_payment.paid``, as Stripe's API since 2025-03-31 says it), the refund
goes to that payment intent once per Idempotency-Key, the order and its payments learn it from the webhook, the
subscription keeps running; refused in Japanese at ``invoice_id`` / ``amount`` with nothing sent to Stripe."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from pay_env import WS

from haishin.api.app import AdminApi
from haishin.payments import state
from tests.support.admin_api import call_admin_api
from tests.unit.payments.test_order_refund import refund, stripe_refunds


def view(order_id: str) -> dict[str, Any]:
    status, body = call_admin_api(AdminApi(), "GET", f"/api/orders/{order_id}", workspace=WS)
    assert status == 200, body
    return body


def monthly_order(env: Any, manual_clock: Any, months: int = 2, kind: str = "subscription") -> tuple[str, str]:
    """A 3,000 yen monthly order paid ``months`` times (a month apart); returns (order ID, subscription ID)."""
    extra = {"installments": 3} if kind == "installments" else {}
    order_id, session_id = env.buy(env.product(kind=kind, amount=3000, **extra))
    env.stripe.complete_checkout(session_id)
    subscription_id = env.order(order_id).subscription_id
    for _ in range(months - 1):
        manual_clock.advance(timedelta(days=30))
        env.stripe.pay_invoice(subscription_id)
    return order_id, subscription_id


def test_this_months_payment_is_refunded_once_and_the_subscription_keeps_running(env: Any, manual_clock: Any
                                                                                 ) -> None:
    order_id, subscription_id = monthly_order(env, manual_clock)
    payments = view(order_id)["payments"]
    assert [(p["amount"], p["refunded"], p["refundable"]) for p in payments] == [(3000, 0, 3000)] * 2
    invoices = [i for i in env.stripe.objects.values() if i.get("object") == "invoice"]
    assert [p["invoice_id"] for p in payments] == [i["id"] for i in invoices]
    # what paid each invoice, as invoice_payment.paid said it (the invoice event itself no longer names it)
    facts = env.order(order_id).facts
    assert [facts["invoices"][i["id"]]["payment_intent"] for i in invoices] == [
        env.stripe.objects[i["_charge"]]["payment_intent"] for i in invoices]
    status, body = refund(order_id, {}, key="k-1")  # no invoice_id: the latest paid one, in full
    again = refund(order_id, {}, key="k-1")  # a double click: the same refund, Stripe asked once
    assert status == 200 and again[1]["refund_id"] == body["refund_id"], body
    [made] = stripe_refunds(env)
    assert made["payment_intent"] == facts["invoices"][invoices[1]["id"]]["payment_intent"] and made["amount"] == 3000
    assert made["metadata"] == {"order_id": order_id, "invoice_id": invoices[1]["id"], "by": "admin"}
    assert [c for c in env.gateway.calls if c.startswith("refund:")] == [f"refund:refund:{order_id}:k-1"]
    order = env.order(order_id)
    assert order.status == "active" and order.refunded_total == 3000 and order.paid_total == 6000
    assert [(p["refunded"], p["refundable"]) for p in body["payments"]] == [(0, 3000), (3000, 0)]
    assert env.stripe.objects[subscription_id]["status"] == "active"  # a refund is not 解約
    # this payment again: refused at invoice_id, nothing sent
    status, refused = refund(order_id, {"invoice_id": invoices[1]["id"]}, key="k-2")
    assert status == 409 and refused["where"] == "invoice_id" and "全額返金済み" in refused["message"]
    # last month's payment, in part, then too much of what is left: refused at amount
    status, body = refund(order_id, {"invoice_id": invoices[0]["id"], "amount": 1000}, key="k-3")
    assert status == 200 and [p["refunded"] for p in body["payments"]] == [1000, 3000]
    status, refused = refund(order_id, {"invoice_id": invoices[0]["id"], "amount": 2001}, key="k-4")
    assert status == 422 and refused["where"] == "amount" and "2,000 円" in refused["message"]
    assert len(stripe_refunds(env)) == 2 and env.order(order_id).refunded_total == 4000
    # the revenue report: both payments counted, the refunds against the product
    status, revenue = call_admin_api(AdminApi(), "GET", "/api/revenue", workspace=WS,
                                     query="from=2000-01-01&to=2100-01-01")
    assert status == 200 and revenue["by_product"][0]["amount"] == 6000
    assert revenue["by_product"][0]["refunded"] == 4000


def test_the_only_payment_refunded_leaves_the_subscription_cancellable_then_refunded(env: Any,
                                                                                     manual_clock: Any) -> None:
    order_id, subscription_id = monthly_order(env, manual_clock, months=1)
    status, body = refund(order_id, {}, key="o-1")
    assert status == 200 and body["refunded_total"] == body["paid_total"] == 3000
    # Stripe still bills it: the order stays active and offers the cancel (解約), not "refunded"
    assert body["status"] == "active" and body["expects_payment"] is True
    status, canceled = call_admin_api(AdminApi(), "POST", f"/api/orders/{order_id}/cancel", workspace=WS)
    assert status == 200 and canceled["expects_payment"] is False and env.stripe.objects[subscription_id]["status"] == "canceled"
    assert env.order(order_id).status == "refunded"  # ended, every payment refunded


def test_an_installments_payment_is_refunded_like_a_subscriptions(env: Any, manual_clock: Any) -> None:
    order_id, _ = monthly_order(env, manual_clock, months=2, kind="installments")
    first = view(order_id)["payments"][0]["invoice_id"]
    status, body = refund(order_id, {"invoice_id": first, "amount": 500}, key="i-1")
    assert status == 200 and [p["refunded"] for p in body["payments"]] == [500, 0]
    assert env.order(order_id).status == "active"


def test_refusals_name_their_field_and_send_nothing(env: Any, manual_clock: Any) -> None:
    order_id, subscription_id = monthly_order(env, manual_clock, months=1)
    other_id, _ = monthly_order(env, manual_clock, months=1)
    others_invoice = view(other_id)["payments"][0]["invoice_id"]
    status, body = refund(order_id, {"invoice_id": others_invoice}, key="r-1")
    assert status == 422 and body["where"] == "invoice_id" and "この注文の支払いではありません" in body["message"]
    for bad in (12, "", ["in_1"]):
        status, body = refund(order_id, {"invoice_id": bad}, key="r-2")
        assert status == 422 and body["where"] == "invoice_id", body
    failed = env.stripe.fail_invoice(subscription_id)  # a renewal the card did not pay
    status, body = refund(order_id, {"invoice_id": failed["id"]}, key="r-3")
    assert status == 409 and body["where"] == "invoice_id" and "まだ完了していない" in body["message"]
    one_time, session_id = env.buy(env.product())
    env.stripe.complete_checkout(session_id)
    status, body = refund(one_time, {"invoice_id": others_invoice}, key="r-4")
    assert status == 422 and body["where"] == "invoice_id" and "一回払い" in body["message"]
    assert refund(order_id, {}, key="r-5", workspace="w_other")[0] == 404
    unpaid, _ = env.buy(env.product(kind="subscription", amount=3000))
    status, body = refund(unpaid, {}, key="r-6")
    assert status == 409 and "まだ支払われていない" in body["message"]
    assert stripe_refunds(env) == [] and not [c for c in env.gateway.calls if c.startswith("refund:")]


def test_an_invoice_whose_payment_event_never_came_is_refunded_on_what_stripe_answers(env: Any,
                                                                                      manual_clock: Any) -> None:
    order_id, _ = monthly_order(env, manual_clock, months=1)
    invoice_id = view(order_id)["payments"][0]["invoice_id"]

    def forget(o: Any) -> None:  # as if invoice_payment.paid had not arrived (or arrived before invoice.paid)
        o.facts = {**o.facts, "invoices": {invoice_id: {
            k: v for k, v in o.facts["invoices"][invoice_id].items() if k != "payment_intent"}}}

    env.service.repository.mutate_order(WS, order_id, forget)
    status, body = refund(order_id, {"amount": 1200}, key="f-1")
    assert status == 200 and f"invoice_payments:{invoice_id}" in env.gateway.calls
    assert body["refunded_total"] == 1200 and body["payments"][0]["refunded"] == 1200
    assert env.order(order_id).facts["invoices"][invoice_id]["payment_intent"] == stripe_refunds(env)[0][
        "payment_intent"]


def test_invoice_payment_facts_do_not_depend_on_the_order_events_arrive_in() -> None:
    paid = ("invoice.paid", {"id": "in_2", "created": 20, "amount_paid": 3000, "status": "paid"})
    older = ("invoice.paid", {"id": "in_1", "created": 10, "amount_paid": 3000, "status": "paid",
                              "payment_intent": "pi_1"})  # API versions before 2025-03-31 named it on the invoice
    payment = ("invoice_payment.paid", {"id": "inpay_2", "invoice": "in_2", "status": "paid",
                                        "payment": {"type": "payment_intent", "payment_intent": "pi_2"}})
    charge = ("charge.refunded", {"id": "ch_2", "payment_intent": "pi_2", "amount_refunded": 3000})
    created = ("refund.created", {"id": "re_2", "amount": 3000, "status": "succeeded", "charge": "ch_2",
                                  "payment_intent": "pi_2"})
    results = []
    for events in itertools.permutations([paid, older, payment, charge, created]):
        facts: dict[str, Any] = {}
        for event_type, obj in [*events, events[0]]:  # and a redelivery
            facts = state.merge(facts, event_type, obj)
        results.append((state.invoice_payments(facts), state.refunded_amount(facts),
                        state.latest_payment_refunded(facts)))
    assert all(r == results[0] for r in results)
    rows, refunded, latest = results[0]
    assert [(r["invoice_id"], r["payment_intent"], r["refunded"]) for r in rows] == [("in_1", "pi_1", 0),
                                                                                     ("in_2", "pi_2", 3000)]
    assert refunded == 3000 and latest is True
    # an expanded ``payments`` list on the invoice says it too
    expanded = state.merge({}, "invoice.paid", {"id": "in_3", "created": 5, "amount_paid": 100, "payments": {
        "data": [{"status": "paid", "payment": {"type": "payment_intent", "payment_intent": "pi_3"}}]}})
    assert state.invoice_payments(expanded)[0]["payment_intent"] == "pi_3"
    # a refund Stripe sent on a payment the order never learned: which payment it was is unknown
    unknown = state.merge(expanded, "charge.refunded", {"id": "ch_x", "payment_intent": "pi_x", "amount_refunded": 50})
    assert state.latest_payment_refunded(unknown) is None
