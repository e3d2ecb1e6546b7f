"""Coupons and promotion codes on the Stripe stand-in, driven by the real ``stripe`` library and ``StripeGateway``:
validation like Stripe's, idempotent creation, and the hosted checkout page's promotion code field."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import stripe

from haishin.errors import ExternalServiceError
from haishin.stripe_api import StripeGateway
from haishin_local.stripe_emulator import StripeEmulator
from haishin_local.stripe_emulator.core import StripeApiError, StripeState

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
KEY = "sk_test_emulator"


def _client(emulator: StripeEmulator) -> Any:
    return stripe.StripeClient(KEY, base_addresses={"api": emulator.base_url}, max_network_retries=0)


def _session(emulator: StripeEmulator, amount: int = 10000, *, allow: bool = True) -> Any:
    params: dict[str, Any] = {
        "mode": "payment", "success_url": "https://example.com/done",
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": amount, "product_data": {"name": "講座"}},
                        "quantity": 1}]}
    if allow:
        params["allow_promotion_codes"] = True
    return _client(emulator).v1.checkout.sessions.create(params)


def _post(url: str, data: dict[str, str]) -> tuple[int, str, str | None]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")
    try:
        with urllib.request.build_opener(NoRedirect).open(request) as answer:
            return answer.status, answer.read().decode(), None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Location")


def test_coupon_validation_like_stripe(emulator: StripeEmulator) -> None:
    client = _client(emulator)
    with pytest.raises(stripe.InvalidRequestError, match="amount_off or percent_off"):
        client.v1.coupons.create({"duration": "once"})
    with pytest.raises(stripe.InvalidRequestError, match="currency"):
        client.v1.coupons.create({"duration": "once", "amount_off": 500})
    with pytest.raises(stripe.InvalidRequestError, match="between 0 and 100"):
        client.v1.coupons.create({"duration": "once", "percent_off": 150})
    with pytest.raises(stripe.InvalidRequestError, match="exactly one"):
        client.v1.coupons.create({"duration": "once", "percent_off": 10, "amount_off": 5, "currency": "jpy"})
    coupon = client.v1.coupons.create({"duration": "once", "amount_off": 1000, "currency": "jpy", "name": "千円"})
    assert (coupon.amount_off, coupon.currency, coupon.duration) == (1000, "jpy", "once")
    assert client.v1.coupons.retrieve(coupon.id).name == "千円"
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: coupon"):
        client.v1.promotion_codes.create({"coupon": coupon.id, "code": "X1"})  # type: ignore[typeddict-unknown-key]
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id},
                                              "code": "SPRING1000", "max_redemptions": 3})
    assert promo.promotion.coupon == coupon.id and promo.max_redemptions == 3 and promo.active
    assert client.v1.promotion_codes.retrieve(promo.id).code == "SPRING1000"
    with pytest.raises(stripe.InvalidRequestError, match="already exists"):
        client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING1000"})
    with pytest.raises(stripe.InvalidRequestError, match="future"):
        client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "OLD",
                                          "expires_at": emulator.now() - 10})


def test_gateway_creates_once_under_the_same_idempotency_key(emulator: StripeEmulator) -> None:
    gateway = StripeGateway(emulator.base_url)
    args: dict[str, Any] = {"code": "SAVE10", "name": "10%", "amount_off": None, "percent_off": 10.0,
                            "currency": "jpy", "max_redemptions": None, "expires_at": None}
    first = gateway.create_promotion_code(KEY, **args, idempotency_key="cpn:w:cpn_1")
    again = gateway.create_promotion_code(KEY, **args, idempotency_key="cpn:w:cpn_1")
    assert first == again
    kinds = [o["object"] for o in emulator.objects.values()]
    assert kinds.count("coupon") == 1 and kinds.count("promotion_code") == 1


def test_checkout_page_applies_a_valid_code_and_refuses_bad_ones(emulator: StripeEmulator) -> None:
    client = _client(emulator)
    coupon = client.v1.coupons.create({"duration": "once", "percent_off": 20})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "ONCE20",
                                      "max_redemptions": 1})
    expiring = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id},
                                                 "code": "SOON", "expires_at": emulator.now() + 60})
    session = _session(emulator, 9800)
    assert session.allow_promotion_codes is True
    page = urllib.request.urlopen(session.url).read().decode()
    assert "promotion_code" in page

    status, body, _ = _post(session.url + "/promo", {"promotion_code": "FORGED"})
    assert status == 400 and "This code is invalid." in body
    emulator.objects[expiring.id]["expires_at"] = emulator.now() - 1
    status, body, _ = _post(session.url + "/promo", {"promotion_code": "SOON"})
    assert status == 400 and "This code has expired." in body
    assert client.v1.checkout.sessions.retrieve(session.id).amount_total == 9800  # nothing applied

    status, _, location = _post(session.url + "/promo", {"promotion_code": "once20"})
    assert status == 303 and location == f"/checkout/{session.id}"
    assert "7840" in urllib.request.urlopen(session.url).read().decode()
    status, _, _ = _post(session.url + "/pay", {"email": "a@example.com"})
    assert status == 303
    [event] = [e for e in emulator.events if e["type"] == "checkout.session.completed"]
    paid = event["data"]["object"]
    assert paid["amount_total"] == 7840 and paid["total_details"]["amount_discount"] == 1960
    assert paid["discounts"][0]["promotion_code"].startswith("promo_")
    intent = emulator.objects[paid["payment_intent"]]
    assert intent["amount"] == 7840

    used_up = _session(emulator, 5000)
    status, body, _ = _post(used_up.url + "/promo", {"promotion_code": "ONCE20"})
    assert status == 400 and "maximum number of times" in body
    without = _session(emulator, 5000, allow=False)
    assert "promotion_code" not in urllib.request.urlopen(without.url).read().decode()
    status, body, _ = _post(without.url + "/promo", {"promotion_code": "ONCE20"})
    assert status == 400
    assert json.dumps(emulator.objects[without.id]["discounts"]) == "[]"


def test_promotion_code_update_takes_only_what_stripe_takes(emulator: StripeEmulator) -> None:
    client = _client(emulator)
    gateway = StripeGateway(emulator.base_url)
    coupon = client.v1.coupons.create({"duration": "once", "amount_off": 300, "currency": "jpy", "name": "旧"})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "STEP300"})
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: expires_at"):
        client.v1.promotion_codes.update(promo.id, {"expires_at": emulator.now() + 60})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: percent_off"):
        client.v1.coupons.update(coupon.id, {"percent_off": 5})  # type: ignore[typeddict-unknown-key]
    gateway.rename_coupon(KEY, coupon.id, "新しい名前")
    assert client.v1.coupons.retrieve(coupon.id).name == "新しい名前"
    gateway.set_promotion_code_active(KEY, promo.id, False)
    assert client.v1.promotion_codes.retrieve(promo.id).active is False
    session = _session(emulator, 1000)
    status, body, _ = _post(session.url + "/promo", {"promotion_code": "STEP300"})
    assert status == 400 and "This code is invalid." in body
    # the same code again (a successor with a new expiry), then the old one cannot be reactivated beside it
    successor = gateway.create_coupon_promotion_code(KEY, coupon_id=coupon.id, code="STEP300", max_redemptions=None,
                                                     expires_at=emulator.now() + 3600, idempotency_key="k1")
    assert client.v1.promotion_codes.retrieve(successor).expires_at == emulator.now() + 3600
    with pytest.raises(ExternalServiceError, match="already exists"):
        gateway.set_promotion_code_active(KEY, promo.id, True)


def test_applies_to_products_and_minimum_amount_like_stripe(emulator: StripeEmulator) -> None:
    client = _client(emulator)
    with pytest.raises(stripe.InvalidRequestError, match="No such product"):
        client.v1.coupons.create({"duration": "once", "percent_off": 50, "applies_to": {"products": ["prod_nope"]}})
    book = client.v1.prices.create({"currency": "jpy", "unit_amount": 4000, "product_data": {"name": "本"}})
    pen = client.v1.prices.create({"currency": "jpy", "unit_amount": 1000, "product_data": {"name": "ペン"}})
    half_books = client.v1.coupons.create({"duration": "once", "percent_off": 50,
                                           "applies_to": {"products": [book.product]}})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": half_books.id}, "code": "BOOKS50"})
    min_coupon = client.v1.coupons.create({"duration": "once", "amount_off": 500, "currency": "jpy"})
    with pytest.raises(stripe.InvalidRequestError, match="minimum_amount_currency"):
        client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": min_coupon.id}, "code": "MIN",
                                          "restrictions": {"minimum_amount": 3000}})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": min_coupon.id}, "code": "OVER3000",
                                      "restrictions": {"minimum_amount": 3000, "minimum_amount_currency": "jpy"}})

    def session(*prices: Any) -> Any:
        return client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": "https://example.com/done", "allow_promotion_codes": True,
            "line_items": [{"price": p.id, "quantity": 1} for p in prices]})

    mixed = session(book, pen)
    status, _, _ = _post(mixed.url + "/promo", {"promotion_code": "BOOKS50"})
    assert status == 303
    applied = client.v1.checkout.sessions.retrieve(mixed.id)
    assert (applied.amount_total, applied.total_details.amount_discount) == (3000, 2000)  # half the book only
    pens = session(pen)
    status, body, _ = _post(pens.url + "/promo", {"promotion_code": "BOOKS50"})
    assert status == 400 and ("doesn&#x27;t apply to items" in body or "doesn't apply to items" in body)
    status, body, _ = _post(pens.url + "/promo", {"promotion_code": "OVER3000"})
    assert status == 400 and "minimum order of ¥3,000" in body
    assert client.v1.checkout.sessions.retrieve(pens.id).amount_total == 1000
    status, _, _ = _post(mixed.url + "/promo", {"promotion_code": "OVER3000"})
    assert status == 303 and client.v1.checkout.sessions.retrieve(mixed.id).amount_total == 4500


def test_a_code_discounts_the_first_invoice_of_a_subscription_only(emulator: StripeEmulator) -> None:
    client = _client(emulator)
    coupon = client.v1.coupons.create({"duration": "once", "amount_off": 1000, "currency": "jpy"})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "FIRST1000"})
    session = client.v1.checkout.sessions.create({
        "mode": "subscription", "success_url": "https://example.com/done", "allow_promotion_codes": True,
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 3000, "recurring": {"interval": "month"},
                                       "product_data": {"name": "月額"}}, "quantity": 1}]})
    assert _post(session.url + "/promo", {"promotion_code": "FIRST1000"})[0] == 303
    assert _post(session.url + "/pay", {"email": "a@example.com"})[0] == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    first = emulator.objects[str(done.invoice)]
    assert (first["amount_paid"], first["subtotal"], first["total_discount_amounts"][0]["amount"]) == (2000, 3000, 1000)
    second = emulator.pay_invoice(str(done.subscription))
    assert second["amount_paid"] == 3000


def _state_session(state: Any, key: str = KEY) -> str:
    return str(state.create_checkout_session({
        "mode": "payment", "success_url": "https://example.com/done", "allow_promotion_codes": True,
        "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 3000, "product_data": {"name": "講座"}},
                        "quantity": 1}]}, key)["id"])


def test_promotion_code_text_is_unique_per_account_and_mode_even_under_racing_creates() -> None:
    """Stripe: one active promotion code per text in an account (test and live mode are separate); two creates of
    the same text at once: exactly one succeeds (the pool job creates codes on 8 threads)."""
    state = StripeState()
    coupon = state.create_coupon({"duration": "once", "amount_off": 500, "currency": "jpy"}, KEY)
    params = {"promotion": {"type": "coupon", "coupon": coupon["id"]}, "code": "POOL2345", "max_redemptions": 1}
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: _try(lambda: state.create_promotion_code(dict(params), KEY)), range(16)))
    assert sum(1 for o in outcomes if isinstance(o, dict)) == 1
    assert {str(o) for o in outcomes if not isinstance(o, dict)} == {
        "An active promotion code with `code: POOL2345` already exists."}
    with pytest.raises(StripeApiError, match="already exists"):  # case-insensitive, like Checkout's lookup
        state.create_promotion_code({**params, "code": "pool2345"}, KEY)
    live_coupon = state.create_coupon({"duration": "once", "percent_off": 5}, "sk_live_x")
    live = state.create_promotion_code({"promotion": {"type": "coupon", "coupon": live_coupon["id"]},
                                        "code": "POOL2345"}, "sk_live_x")  # live mode: its own namespace
    assert live["livemode"] is True


def _try(call: Any) -> Any:
    try:
        return call()
    except StripeApiError as exc:
        return exc.message


def test_max_redemptions_is_checked_again_when_paying() -> None:
    """Two customers apply the same single-use code in two open sessions: the first to pay uses it, the second
    payment is refused with Checkout's wording and nothing of that session changes."""
    state = StripeState(auto_deliver=False)
    coupon = state.create_coupon({"duration": "once", "amount_off": 500, "currency": "jpy"}, KEY)
    promo = state.create_promotion_code({"promotion": {"type": "coupon", "coupon": coupon["id"]},
                                         "code": "ONCE2345", "max_redemptions": 1}, KEY)
    first, second = _state_session(state), _state_session(state)
    state.apply_promotion_code(first, "ONCE2345")
    state.apply_promotion_code(second, "once2345")
    state.complete_checkout(first)
    with pytest.raises(StripeApiError, match="maximum number of times"):
        state.complete_checkout(second)
    assert state.objects[second]["status"] == "open"
    assert state.objects[promo["id"]]["times_redeemed"] == 1
    with pytest.raises(StripeApiError, match="maximum number of times"):
        state.apply_promotion_code(_state_session(state), "ONCE2345")
