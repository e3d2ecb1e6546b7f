"""Refunds on the Stripe stand-in through ``StripeGateway.create_refund`` (the real ``stripe`` library over HTTP):
a retried call with the same idempotency key returns the first refund, and refunding a fully refunded charge is
Stripe's 400, raised as ExternalServiceError. A subscription's invoice is paid like Stripe's API since 2025-03-31
says it: the invoice names no payment intent; ``invoice_payment.paid`` and ``GET /v1/invoice_payments`` do."""

from __future__ import annotations

import json
import threading

import pytest
import stripe

from haishin.errors import ExternalServiceError
from haishin.stripe_api import StripeGateway
from haishin_local.stripe_emulator import StripeEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
KEY = "sk_test_emulator"


def test_a_refund_is_idempotent_and_a_second_one_is_refused(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    session = gateway.create_checkout_session(KEY, {
        "mode": "payment", "success_url": "https://example.com/done",
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 5000, "product_data": {"name": "参加費"}},
                        "quantity": 1}]}, idempotency_key="checkout:o_1")
    emulator.complete_checkout(session["id"])
    intent = emulator.objects[session["id"]]["payment_intent"]
    first = gateway.create_refund(KEY, payment_intent=intent, metadata={"order_id": "o_1"},
                                  idempotency_key="refund:o_1")
    again = gateway.create_refund(KEY, payment_intent=intent, metadata={"order_id": "o_1"},
                                  idempotency_key="refund:o_1")
    assert first == again and first["amount"] == 5000 and first["status"] == "succeeded"
    assert len([o for o in emulator.objects.values() if o.get("object") == "refund"]) == 1
    with pytest.raises(ExternalServiceError):
        gateway.create_refund(KEY, payment_intent=intent, metadata={}, idempotency_key="refund:other")


def test_a_webhook_handler_that_calls_the_api_back_is_answered_and_its_events_follow() -> None:
    """A handler of checkout.session.completed refunds through the API (a late seminar payment): the stand-in
    delivers with its state unlocked, so the call is answered at once (it used to wait for the lock the delivery
    held until the delivery timed out), the delivery succeeds, and the refund's own events are delivered too."""
    seen: list[str] = []
    refunds: list[dict[str, object]] = []
    with StripeEmulator() as emulator:
        gateway = StripeGateway(base_url=emulator.base_url)

        def handler(url: str, body: bytes, headers: dict[str, str]) -> int:
            event = json.loads(body)
            seen.append(event["type"])
            if event["type"] == "checkout.session.completed":
                refunds.append(gateway.create_refund(KEY, payment_intent=event["data"]["object"]["payment_intent"],
                                                     metadata={}, idempotency_key="refund:late"))
            return 200

        emulator.register_webhook("http://haishin.local/stripe/webhook/ws", "whsec_x", transport=handler)
        session = gateway.create_checkout_session(KEY, {
            "mode": "payment", "success_url": "https://example.com/done",
            "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 4000,
                                           "product_data": {"name": "参加費"}}, "quantity": 1}]},
            idempotency_key="checkout:late")
        paying = threading.Thread(target=emulator.complete_checkout, args=(session["id"],), daemon=True)
        paying.start()
        paying.join(timeout=5)
        assert not paying.is_alive(), "the checkout's delivery waited for its own handler's API call"
        assert len(refunds) == 1 and refunds[0]["amount"] == 4000
        assert seen == ["checkout.session.completed", "refund.created", "charge.refunded"]
        assert all(d.status == 200 for d in emulator.deliveries)


def test_an_invoice_names_its_payment_only_through_its_invoice_payments(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    session = gateway.create_checkout_session(KEY, {
        "mode": "subscription", "success_url": "https://example.com/done", "metadata": {"order_id": "o_9"},
        "subscription_data": {"metadata": {"order_id": "o_9"}},
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 3000, "product_data": {"name": "月額"},
                                       "recurring": {"interval": "month"}}, "quantity": 1}]},
        idempotency_key="checkout:o_9")
    mark = emulator.mark()
    emulator.complete_checkout(session["id"])
    (invoice,) = emulator.made("invoice", since=mark)
    (intent,) = emulator.made("payment_intent", since=mark)
    events = [e for e in emulator.events if e["type"].startswith("invoice") and invoice["id"] in (
        e["data"]["object"].get("id"), e["data"]["object"].get("invoice"))]
    assert [e["type"] for e in events] == ["invoice.paid", "invoice_payment.paid"]
    sent = events[0]["data"]["object"]
    assert not {"payment_intent", "charge", "paid", "payments"} & set(sent)  # removed / only when expanded
    assert intent["metadata"] == {}  # Stripe copies no subscription metadata onto the invoice's intent
    paid = events[1]["data"]["object"]
    assert paid["payment"] == {"type": "payment_intent", "payment_intent": intent["id"]} and paid["status"] == "paid"
    assert gateway.invoice_paid_with(KEY, invoice["id"]) == {"payment_intent": intent["id"]}
    assert gateway.invoice_paid_with(KEY, "in_unknown") == {}
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.base_url})
    with pytest.raises(stripe.InvalidRequestError, match="between 1 and 100"):
        client.v1.invoice_payments.list({"invoice": invoice["id"], "limit": 101})
    refund = gateway.create_refund(KEY, payment_intent=intent["id"], metadata={}, amount=1000,
                                   idempotency_key="refund:o_9:k")
    assert refund["amount"] == 1000 and emulator.objects[refund["id"]]["payment_intent"] == intent["id"]
