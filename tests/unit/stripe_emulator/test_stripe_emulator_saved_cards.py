"""Saved cards and off-session PaymentIntents on the Stripe stand-in, through ``StripeGateway`` (the real ``stripe``
library over HTTP): Checkout with ``setup_future_usage`` keeps the card on the customer; ``charge_saved_card``
charges it once per idempotency key; a declined card or one needing authentication is Stripe's 402 ``card_error``
(replayed, not retried, under the same key), raised as ``CardRefused``."""

from __future__ import annotations

import json
import urllib.request

import pytest

from haishin.errors import ExternalServiceError
from haishin.stripe_api import CardRefused, StripeGateway
from haishin_local.stripe_emulator import StripeEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
KEY = "sk_test_emulator"


def _paid_with_saved_card(emulator: StripeEmulator, gateway: StripeGateway) -> tuple[str, str]:
    session = gateway.create_checkout_session(KEY, {
        "mode": "payment", "success_url": "https://example.com/done", "customer_creation": "always",
        "payment_intent_data": {"setup_future_usage": "off_session"},
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 29800, "product_data": {"name": "講座"}},
                        "quantity": 1}]}, idempotency_key="checkout:o_1")
    emulator.complete_checkout(session["id"])
    stored = emulator.objects[session["id"]]
    method = gateway.payment_method_of(KEY, stored["payment_intent"])
    assert method is not None and emulator.objects[method]["customer"] == stored["customer"]
    return str(stored["customer"]), method


def test_the_saved_card_is_charged_off_session_once_per_key(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    customer, method = _paid_with_saved_card(emulator, gateway)
    args = {"customer": customer, "payment_method": method, "amount": 9800, "currency": "jpy",
            "description": "個別相談", "metadata": {"order_id": "o_2"}, "idempotency_key": "oneclick:o_1:p_2"}
    first = gateway.charge_saved_card(KEY, **args)
    again = gateway.charge_saved_card(KEY, **args)
    assert first == again and first["status"] == "succeeded"
    charges = [o for o in emulator.objects.values() if o.get("object") == "charge" and o["amount"] == 9800]
    assert len(charges) == 1
    assert [e["type"] for e in emulator.pending][-2:] == ["charge.succeeded", "payment_intent.succeeded"]
    assert emulator.pending[-1]["data"]["object"]["metadata"] == {"order_id": "o_2"}


@pytest.mark.parametrize(("failure", "code"), [("card_declined", "card_declined"),
                                               ("authentication_required", "authentication_required")])
def test_a_refused_card_is_a_402_card_error_replayed_under_its_key(emulator: StripeEmulator, failure: str,
                                                                   code: str) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    customer, method = _paid_with_saved_card(emulator, gateway)
    emulator.set_card_failure(method, failure)
    args = {"customer": customer, "payment_method": method, "amount": 9800, "currency": "jpy",
            "description": "個別相談", "metadata": {}, "idempotency_key": "oneclick:o_1:p_2"}
    with pytest.raises(CardRefused) as first:
        gateway.charge_saved_card(KEY, **args)
    emulator.set_card_failure(method, None)  # the same key answers the first attempt, even with the card fixed
    with pytest.raises(CardRefused) as again:
        gateway.charge_saved_card(KEY, **args)
    assert first.value.code == again.value.code == code
    assert first.value.payment_intent_id == again.value.payment_intent_id
    assert [e["type"] for e in emulator.pending].count("payment_intent.payment_failed") == 1
    request = urllib.request.Request(f"{emulator.base_url}/v1/payment_intents", method="POST", data=(
        f"amount=100&currency=jpy&customer={customer}&payment_method={method}&confirm=true&off_session=true"
    ).encode(), headers={"Authorization": f"Bearer {KEY}"})
    emulator.set_card_failure(method, failure)
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(request)
    error = json.loads(raw.value.read())["error"]
    assert raw.value.code == 402 and error["type"] == "card_error" and error["code"] == code
    assert error["payment_intent"]["status"] == "requires_payment_method" and error["decline_code"]


def test_off_session_needs_confirm_and_the_customers_own_card(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    customer, method = _paid_with_saved_card(emulator, gateway)
    other = emulator.create_customer({"email": "other@example.com"})
    with pytest.raises(ExternalServiceError):
        gateway.charge_saved_card(KEY, customer=other["id"], payment_method=method, amount=100, currency="jpy",
                                  description="x", metadata={}, idempotency_key="k1")
    with pytest.raises(Exception, match="off_session can only be used when confirm=true"):
        emulator.create_payment_intent({"amount": "100", "currency": "jpy", "customer": customer,
                                        "payment_method": method, "off_session": "true"})
