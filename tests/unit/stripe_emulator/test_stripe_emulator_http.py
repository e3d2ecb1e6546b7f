"""The Stripe stand-in over HTTP, driven by the real ``stripe`` library and our ``StripeGateway``."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from haishin.errors import ExternalServiceError
from haishin.payments.signature import verify
from haishin.stripe_api import StripeGateway
from haishin_local.stripe_emulator import StripeEmulator
from haishin_local.stripe_emulator.server import decode_form

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
KEY = "sk_test_emulator"
WHSEC = "whsec_emulator"


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    with StripeEmulator() as emu:
        yield emu


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_decode_form_nested() -> None:
    assert decode_form("a[0][b]=1&a[1][b]=2&m[k]=v&x=y") == {"a": [{"b": "1"}, {"b": "2"}], "m": {"k": "v"}, "x": "y"}


def test_checkout_pay_and_signed_events_with_the_stripe_library(emulator: StripeEmulator, receiver: Any) -> None:
    url, received = receiver
    emulator.register_webhook(url, WHSEC)
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.base_url})
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/done", "client_reference_id": "o_1",
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 9800, "product_data": {"name": "講座"}},
                        "quantity": 1}],
        "metadata": {"order_id": "o_1"}, "payment_intent_data": {"metadata": {"order_id": "o_1"}}})
    assert session.url.startswith(emulator.base_url + "/checkout/")
    page = urllib.request.urlopen(session.url).read().decode()
    assert "支払う / Pay" in page
    request = urllib.request.Request(session.url + "/pay", data=b"email=a%40example.com", method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request)
    assert answer.value.code == 303 and answer.value.headers["Location"] == "https://example.com/done"
    body, header = received[0]
    event = stripe.Webhook.construct_event(body.decode(), header, WHSEC)
    assert event.type == "checkout.session.completed"
    assert event.data.object["payment_status"] == "paid"
    assert event.data.object["metadata"]["order_id"] == "o_1"


    assert verify(body, header, [WHSEC], now=time.time())
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"


def test_api_key_is_checked(emulator: StripeEmulator) -> None:
    client = stripe.StripeClient("pk_test_wrong", base_addresses={"api": emulator.base_url})
    with pytest.raises(stripe.AuthenticationError):
        client.v1.customers.create({"email": "a@example.com"})


def test_gateway_schedules_installments_and_cancels(emulator: StripeEmulator) -> None:
    emulator.auto_deliver = False
    state = emulator.create_checkout_session({
        "mode": "subscription", "success_url": "https://example.com/ok",
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 5000, "recurring": {"interval": "month"},
                                       "product_data": {"name": "分割"}}, "quantity": 1}]}, KEY)
    emulator.complete_checkout(state["id"])
    subscription_id = emulator.objects[state["id"]]["subscription"]
    gateway = StripeGateway(base_url=emulator.base_url)
    schedule_id = gateway.schedule_installments(KEY, subscription_id, 3, "month", idempotency_key="o_1")
    schedule = emulator.objects[schedule_id]
    assert schedule["end_behavior"] == "cancel"
    assert schedule["phases"][0]["duration"] == {"interval": "month", "interval_count": 3}
    emulator.pay_invoice(subscription_id)
    emulator.pay_invoice(subscription_id)
    assert schedule["status"] == "completed" and emulator.objects[subscription_id]["status"] == "canceled"
    types = [e["type"] for e in emulator.events]
    assert types[-2:] == ["customer.subscription.deleted", "subscription_schedule.completed"]
    with pytest.raises(ExternalServiceError):
        gateway.cancel_subscription(KEY, subscription_id)  # already ended


def test_iterations_is_refused_like_recent_api_versions(emulator: StripeEmulator) -> None:
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.base_url})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_schedules.create({"from_subscription": "sub_x",
                                                 "phases": [{"items": [{"price": "p"}], "iterations": 3}]})


def test_reverse_and_duplicate_delivery(emulator: StripeEmulator, receiver: Any) -> None:
    url, received = receiver
    emulator.register_webhook(url, [WHSEC, "whsec_second"])
    emulator.auto_deliver = False
    session = emulator.create_checkout_session({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 1000, "product_data": {"name": "x"}}}]}, KEY)
    emulator.complete_checkout(session["id"])
    emulator.refund_order_payment(payment_intent=emulator.objects[session["id"]]["payment_intent"])
    sent = emulator.flush(reverse=True, duplicate=True)
    ids = [json.loads(b)["id"] for b, _ in received]
    assert ids == [e["id"] for e in sent for _ in range(2)]
    assert received[0][1].count("v1=") == 2  # one v1 per endpoint secret (rotation)


def test_made_since_a_mark_lists_only_later_objects_of_the_kind(emulator: StripeEmulator) -> None:
    first = emulator.create_customer({"email": "before@example.com"})
    mark = emulator.mark()
    later = emulator.create_customer({"email": "after@example.com"})
    price = emulator.create_price({"currency": "jpy", "unit_amount": 500, "product_data": {"name": "x"}})
    assert [c["id"] for c in emulator.made("customer", since=mark)] == [later["id"]]
    assert [c["id"] for c in emulator.made("customer")] == [first["id"], later["id"]]
    assert [p["id"] for p in emulator.made("price", since=mark)] == [price["id"]]
