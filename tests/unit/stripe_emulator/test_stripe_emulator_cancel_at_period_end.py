"""``POST /v1/subscriptions/{id}`` with ``cancel_at_period_end`` on the Stripe stand-in, through
``StripeGateway.set_cancel_at_period_end`` (the real ``stripe`` library over HTTP): set and undone, each change one
``customer.subscription.updated`` with ``previous_attributes``, a retried key replayed; Stripe's 400s (not a
boolean, an unknown parameter, a canceled subscription, one managed by a schedule). Set to end, the subscription is
not renewed and is deleted (``customer.subscription.deleted``) once time passes its period end."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from haishin.errors import ExternalServiceError
from haishin.stripe_api import StripeGateway
from haishin_local.stripe_emulator import StripeEmulator
from haishin_local.stripe_emulator.core import StripeApiError

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
KEY = "sk_test_emulator"


def monthly(emulator: StripeEmulator, gateway: StripeGateway, order: str) -> dict[str, Any]:
    session = gateway.create_checkout_session(KEY, {
        "mode": "subscription", "success_url": "https://example.com/done", "metadata": {"order_id": order},
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 3000, "product_data": {"name": "月額"},
                                       "recurring": {"interval": "month"}}, "quantity": 1}]},
        idempotency_key=f"checkout:{order}")
    emulator.complete_checkout(session["id"])
    return emulator.get(emulator.objects[session["id"]]["subscription"], "subscription")


def updated(emulator: StripeEmulator, subscription_id: str) -> list[dict[str, Any]]:
    return [e for e in emulator.events if e["type"] == "customer.subscription.updated"
            and e["data"]["object"]["id"] == subscription_id]


def test_set_then_undone_each_one_update_event_and_a_retried_key_replayed(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    sub = monthly(emulator, gateway, "o_1")
    end = sub["items"]["data"][0]["current_period_end"]
    answer = gateway.set_cancel_at_period_end(KEY, sub["id"], True, idempotency_key="k:0")
    assert (answer["cancel_at_period_end"], answer["cancel_at"], answer["status"]) == (True, end, "active")
    assert answer["canceled_at"] == emulator.now()
    again = gateway.set_cancel_at_period_end(KEY, sub["id"], True, idempotency_key="k:0")
    assert again == answer and len(updated(emulator, sub["id"])) == 1  # replayed: no second update
    (event,) = updated(emulator, sub["id"])
    assert event["data"]["object"]["cancel_at_period_end"] is True
    assert event["data"]["previous_attributes"] == {"cancel_at_period_end": False, "cancel_at": None,
                                                    "canceled_at": None}
    undone = gateway.set_cancel_at_period_end(KEY, sub["id"], False, idempotency_key="k:1")
    assert (undone["cancel_at_period_end"], undone["cancel_at"], undone["canceled_at"]) == (False, None, None)
    assert updated(emulator, sub["id"])[-1]["data"]["previous_attributes"]["cancel_at"] == end
    # the same value again changes nothing: no event
    gateway.set_cancel_at_period_end(KEY, sub["id"], False, idempotency_key="k:2")
    assert len(updated(emulator, sub["id"])) == 2


def test_stripes_refusals(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    sub = monthly(emulator, gateway, "o_2")
    client = gateway.client(KEY)
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.subscriptions.update(sub["id"], {"cancel_at_period_end": "maybe"})  # type: ignore[typeddict-item]
    assert bad.value.http_status == 400 and bad.value.param == "cancel_at_period_end"
    assert "Invalid boolean" in str(bad.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.subscriptions.update(sub["id"], {"cancel_at_periodend": True})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.param == "cancel_at_periodend"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.subscriptions.update("sub_missing", {"cancel_at_period_end": True})
    assert missing.value.http_status == 404
    scheduled = monthly(emulator, gateway, "o_3")
    gateway.schedule_installments(KEY, scheduled["id"], 3, "month", idempotency_key="sched:o_3")
    with pytest.raises(ExternalServiceError, match="managed by the subscription schedule"):
        gateway.set_cancel_at_period_end(KEY, scheduled["id"], True, idempotency_key="s:0")
    gateway.cancel_subscription(KEY, sub["id"])
    with pytest.raises(ExternalServiceError, match="canceled subscription"):
        gateway.set_cancel_at_period_end(KEY, sub["id"], True, idempotency_key="c:0")
    assert sub["cancel_at_period_end"] is False and not updated(emulator, sub["id"])


def test_no_renewal_and_deleted_when_time_passes_the_period_end(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(base_url=emulator.base_url)
    sub = monthly(emulator, gateway, "o_4")
    other = monthly(emulator, gateway, "o_5")  # not set to end: untouched
    end = sub["items"]["data"][0]["current_period_end"]
    gateway.set_cancel_at_period_end(KEY, sub["id"], True, idempotency_key="k:0")
    asked = sub["canceled_at"]
    now = emulator.now()
    emulator.clock = lambda: end - 1
    assert emulator.end_due_subscriptions() == [] and sub["status"] == "active"
    emulator.clock = lambda: end + 3600
    mark = emulator.mark()
    assert emulator.end_due_subscriptions() == [sub["id"]]
    assert (sub["status"], sub["ended_at"], sub["canceled_at"]) == ("canceled", end, asked)
    assert emulator.made("invoice", since=mark) == []  # no renewal invoice
    assert [e["type"] for e in emulator.events if e["data"]["object"].get("id") == sub["id"]][-1] == \
        "customer.subscription.deleted"
    assert emulator.end_due_subscriptions() == [] and other["status"] == "active"
    with pytest.raises(StripeApiError):
        emulator.pay_invoice(sub["id"])
    # a renewal attempted after the period end of a subscription set to end deletes it instead of billing
    emulator.clock = lambda: now
    third = monthly(emulator, gateway, "o_6")
    gateway.set_cancel_at_period_end(KEY, third["id"], True, idempotency_key="k:6")
    emulator.clock = lambda: third["cancel_at"]
    mark = emulator.mark()
    with pytest.raises(StripeApiError, match="canceled at its period end"):
        emulator.pay_invoice(third["id"])
    assert third["status"] == "canceled" and emulator.made("invoice", since=mark) == []
