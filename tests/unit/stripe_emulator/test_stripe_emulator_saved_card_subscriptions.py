"""Subscriptions on a saved card through ``StripeGateway.subscribe_saved_card`` (the real ``stripe`` library over
HTTP): ``POST /v1/prices`` then ``POST /v1/subscriptions`` with ``default_payment_method`` and ``off_session``; one
subscription per idempotency key; a paid first invoice sends ``customer.subscription.created`` and ``invoice.paid``
carrying the subscription's metadata; a failing card leaves it ``incomplete`` (the invoice's payment intent
``requires_payment_method`` / ``requires_action``), or is a 402 with ``error_if_incomplete``; Stripe's 400s for an
unknown customer, payment method or price, another customer's card and a one-time price as a plan."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from test_stripe_emulator_saved_cards import KEY, _paid_with_saved_card

from haishin.errors import ExternalServiceError
from haishin.stripe_api import StripeGateway
from haishin_local.stripe_emulator import StripeEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def _args(customer: str, method: str, **changes: Any) -> dict[str, Any]:
    return {"customer": customer, "payment_method": method, "amount": 4980, "currency": "jpy", "interval": "month",
            "name": "月額サロン", "bump": ("入会特典", 1000), "metadata": {"order_id": "o_2", "workspace_id": "w_1"},
            "idempotency_key": "oneclick:o_1:p_2", **changes}


def _post(emulator: StripeEmulator, path: str, body: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{emulator.base_url}{path}", method="POST", data=body.encode(),
                                     headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_subscription_is_made_once_per_key_and_its_first_invoice_paid(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    customer, method = _paid_with_saved_card(emulator, gateway)
    first = gateway.subscribe_saved_card(KEY, **_args(customer, method))
    again = gateway.subscribe_saved_card(KEY, **_args(customer, method))
    assert first == again and first["status"] == "active"
    assert len(emulator.made("subscription")) == 1
    subscription = emulator.objects[first["id"]]
    assert (subscription["customer"], subscription["default_payment_method"]) == (customer, method)
    invoice = emulator.objects[subscription["latest_invoice"]]
    assert (invoice["status"], invoice["amount_paid"], invoice["billing_reason"]) == (
        "paid", 5980, "subscription_create")  # the bump is on the first invoice only
    assert [e["type"] for e in emulator.pending][-3:] == ["customer.subscription.created", "invoice.paid",
                                                          "invoice_payment.paid"]
    details = emulator.pending[-2]["data"]["object"]["parent"]["subscription_details"]
    assert details == {"subscription": first["id"], "metadata": {"order_id": "o_2", "workspace_id": "w_1"}}
    assert emulator.pay_invoice(first["id"])["amount_paid"] == 4980


@pytest.mark.parametrize(("failure", "intent_status", "event"), [
    ("card_declined", "requires_payment_method", "invoice.payment_failed"),
    ("authentication_required", "requires_action", "invoice.payment_action_required")])
def test_a_failing_card_leaves_the_subscription_incomplete(emulator: StripeEmulator, failure: str,
                                                           intent_status: str, event: str) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    customer, method = _paid_with_saved_card(emulator, gateway)
    emulator.set_card_failure(method, failure)
    made = gateway.subscribe_saved_card(KEY, **_args(customer, method))
    assert made["status"] == "incomplete"
    invoice = emulator.objects[emulator.objects[made["id"]]["latest_invoice"]]
    intent = emulator.objects[invoice["payments"]["data"][0]["payment"]["payment_intent"]]
    assert (invoice["status"], invoice["amount_paid"]) == ("open", 0)
    assert intent["status"] == intent_status and intent["last_payment_error"]["code"] == failure
    assert [e["type"] for e in emulator.pending][-2:] == ["customer.subscription.created", event]
    gateway.cancel_subscription(KEY, made["id"])
    assert emulator.objects[made["id"]]["status"] == "canceled"
    price = emulator.made("price")[-2]["id"]
    status, body = _post(emulator, "/v1/subscriptions", f"customer={customer}&items[0][price]={price}"
                         f"&default_payment_method={method}&off_session=true&payment_behavior=error_if_incomplete")
    assert status == 402 and body["error"]["type"] == "card_error" and body["error"]["code"] == failure
    assert len(emulator.made("subscription")) == 1  # error_if_incomplete creates nothing


def test_stripes_checks_on_the_customer_the_card_and_the_prices(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    customer, method = _paid_with_saved_card(emulator, gateway)
    other = emulator.create_customer({"email": "other@example.com"})
    for changes in ({"customer": "cus_missing"}, {"payment_method": "pm_missing"}, {"customer": other["id"]}):
        with pytest.raises(ExternalServiceError):
            gateway.subscribe_saved_card(KEY, **{**_args(customer, method), **changes,
                                                 "idempotency_key": f"k:{sorted(changes.values())}"})
    assert emulator.made("subscription") == []
    one_time = emulator.create_price({"currency": "jpy", "unit_amount": 100})["id"]
    cases = {f"customer=cus_missing&items[0][price]={one_time}": "customer",
             f"customer={customer}&items[0][price]=price_missing&default_payment_method={method}": "items[0][price]",
             f"customer={customer}&items[0][price]={one_time}&default_payment_method={method}": "items[0][price]",
             f"customer={other['id']}&items[0][price]={one_time}&default_payment_method={method}": "items[0][price]"}
    for body, param in cases.items():
        status, answer = _post(emulator, "/v1/subscriptions", body)
        assert status == 400 and answer["error"]["param"] == param, (body, answer)
    recurring = emulator.create_price({"currency": "jpy", "unit_amount": 100, "recurring": {"interval": "month"}})
    status, answer = _post(emulator, "/v1/subscriptions", f"customer={other['id']}&items[0][price]="
                           f"{recurring['id']}&default_payment_method={method}")
    assert status == 400 and answer["error"]["param"] == "default_payment_method"
    assert "must be attached to the customer" in answer["error"]["message"]
