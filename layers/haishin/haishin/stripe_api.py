"""The Stripe API calls Haishin makes, through the official library pointed at ``settings().stripe_api_base``.

``stripe`` is the heaviest import on the payment path, so it is imported here, on first call, and never by the
webhook's verification.
"""

from __future__ import annotations

import threading
from typing import Any

from haishin.config import settings
from haishin.errors import ExternalServiceError

_lock = threading.Lock()
_stripe: Any = None


def _sdk() -> Any:
    global _stripe
    if _stripe is None:
        with _lock:
            if _stripe is None:
                import stripe  # noqa: PLC0415 - heavy; only where the API is called

                _stripe = stripe
    return _stripe


class CardRefused(ExternalServiceError):
    """Stripe refused to charge a saved card off-session (402 ``card_error``: ``card_declined``,
    ``authentication_required``, ``expired_card``...): the buyer has to pay on a Checkout page instead."""

    def __init__(self, code: str, payment_intent_id: str | None) -> None:
        super().__init__(f"Stripe: the saved card was refused ({code})", where="Stripe API")
        self.code, self.payment_intent_id = code, payment_intent_id


class StripeGateway:
    def __init__(self, base_url: str | None = None) -> None:
        self._base_url = base_url
        self._clients: dict[str, Any] = {}

    def client(self, api_key: str) -> Any:
        client = self._clients.get(api_key)
        if client is None:
            sdk = _sdk()
            client = sdk.StripeClient(api_key, base_addresses={"api": self._base_url or settings().stripe_api_base},
                                      max_network_retries=2)
            self._clients[api_key] = client
        return client

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        sdk = _sdk()
        try:
            return func(*args, **kwargs)
        except sdk.StripeError as exc:
            raise ExternalServiceError(f"Stripe: {exc.user_message or exc.__class__.__name__}",
                                       where="Stripe API") from exc

    def create_checkout_session(self, api_key: str, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        client = self.client(api_key)
        session = self._call(client.v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key})
        return {"id": session["id"], "url": session["url"]}

    def payment_method_of(self, api_key: str, payment_intent_id: str) -> str | None:
        """The payment method a (Checkout's) payment intent was paid with: the card it saved for later."""
        intent = self._call(self.client(api_key).v1.payment_intents.retrieve, payment_intent_id)
        method = intent.to_dict().get("payment_method")  # an ID, or the object when expanded
        return str(method if isinstance(method, str) else method["id"]) if method else None

    def charge_saved_card(self, api_key: str, *, customer: str, payment_method: str, amount: int, currency: str,
                          description: str, metadata: dict[str, str], idempotency_key: str) -> dict[str, Any]:
        """Charge a saved card with the buyer away (``confirm=true, off_session=true``). The idempotency key makes a
        retry answer the first attempt (Stripe keeps keys 24 hours): never a second charge. A card Stripe refuses
        raises ``CardRefused`` (its code and the failed payment intent)."""
        sdk = _sdk()
        params = {"amount": amount, "currency": currency, "customer": customer, "payment_method": payment_method,
                  "confirm": True, "off_session": True, "description": description[:1000], "metadata": metadata}
        try:
            intent = self.client(api_key).v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except sdk.CardError as exc:
            error = exc.error
            intent_id = error.payment_intent["id"] if error is not None and error.payment_intent else None
            raise CardRefused(str(exc.code or "card_error"), intent_id) from exc
        except sdk.StripeError as exc:
            raise ExternalServiceError(f"Stripe: {exc.user_message or exc.__class__.__name__}",
                                       where="Stripe API") from exc
        return {"id": str(intent["id"]), "status": str(intent["status"])}

    def subscribe_saved_card(self, api_key: str, *, customer: str, payment_method: str, amount: int, currency: str,
                             interval: str, name: str, bump: tuple[str, int] | None, metadata: dict[str, str],
                             idempotency_key: str) -> dict[str, Any]:
        """Start a subscription on a saved card, its first invoice charged at once with the buyer away
        (``default_payment_method``, ``off_session=true``, the default ``payment_behavior=allow_incomplete``). The
        prices are made first (a subscription item's ``price_data`` takes a product ID, not ``product_data``); the
        order bump is a one-time line of the first invoice (``add_invoice_items``), as on Checkout. Each call has
        its own idempotency key derived from ``idempotency_key``, so a retry makes one subscription. Answers the
        subscription's ID and status: ``active`` when the first invoice was paid, ``incomplete`` when the card was
        declined or needs authentication (the invoice's payment intent ``requires_payment_method`` /
        ``requires_action``)."""
        client = self.client(api_key)

        def price(item_name: str, unit_amount: int, recurring: bool, suffix: str) -> str:
            params: dict[str, Any] = {"currency": currency, "unit_amount": unit_amount,
                                      "product_data": {"name": item_name[:250]}}
            if recurring:
                params["recurring"] = {"interval": interval}
            return str(self._call(client.v1.prices.create, params,
                                  {"idempotency_key": f"{idempotency_key}:{suffix}"})["id"])

        params: dict[str, Any] = {
            "customer": customer, "default_payment_method": payment_method, "off_session": True,
            "payment_behavior": "allow_incomplete", "metadata": metadata,
            "items": [{"price": price(name, amount, True, "price"), "quantity": 1}],
        }
        if bump is not None:
            params["add_invoice_items"] = [{"price": price(bump[0], bump[1], False, "bump"), "quantity": 1}]
        subscription = self._call(client.v1.subscriptions.create, params, {"idempotency_key": idempotency_key})
        return {"id": str(subscription["id"]), "status": str(subscription["status"])}

    def schedule_installments(self, api_key: str, subscription_id: str, count: int, interval: str,
                              idempotency_key: str) -> str:
        """Attach a schedule to the subscription Checkout created: one phase lasting ``count`` intervals, then
        ``end_behavior: cancel``. Phases use ``duration`` (``iterations`` is gone since API 2025-09-30.clover)."""
        client = self.client(api_key)
        schedule = self._call(client.v1.subscription_schedules.create, {"from_subscription": subscription_id},
                              {"idempotency_key": idempotency_key + ":create"})
        phase = (schedule.to_dict() if hasattr(schedule, "to_dict") else dict(schedule))["phases"][0]
        items = [{"price": item["price"] if isinstance(item["price"], str) else item["price"]["id"],
                  "quantity": item.get("quantity") or 1} for item in phase["items"]]
        updated = self._call(client.v1.subscription_schedules.update, schedule["id"], {
            "end_behavior": "cancel",
            "phases": [{"items": items, "start_date": phase["start_date"],
                        "duration": {"interval": interval, "interval_count": count}}],
        }, {"idempotency_key": idempotency_key + ":update"})
        return str(updated["id"])

    def cancel_schedule(self, api_key: str, schedule_id: str) -> None:
        client = self.client(api_key)
        self._call(client.v1.subscription_schedules.cancel, schedule_id)

    def cancel_subscription(self, api_key: str, subscription_id: str) -> None:
        client = self.client(api_key)
        self._call(client.v1.subscriptions.cancel, subscription_id)

    def set_cancel_at_period_end(self, api_key: str, subscription_id: str, cancel: bool,
                                 idempotency_key: str) -> dict[str, Any]:
        """「期間終了時に解約」: ``POST /v1/subscriptions/{id}`` with ``cancel_at_period_end`` (true: Stripe bills no
        more and deletes the subscription at the current period's end; false: undo that). Answers the subscription
        as Stripe has it now (the same object ``customer.subscription.updated`` then carries)."""
        client = self.client(api_key)
        subscription = self._call(client.v1.subscriptions.update, subscription_id, {"cancel_at_period_end": cancel},
                                  {"idempotency_key": idempotency_key})
        return dict(subscription.to_dict())

    def invoice_paid_with(self, api_key: str, invoice_id: str) -> dict[str, str]:
        """What paid an invoice (``payment_intent`` or ``charge``), asked of Stripe: since API 2025-03-31 an invoice
        no longer names it, its invoice payments do (``GET /v1/invoice_payments?invoice=…&status=paid``). Empty
        when none is paid."""
        listed = self._call(self.client(api_key).v1.invoice_payments.list,
                            {"invoice": invoice_id, "status": "paid", "limit": 1})
        for item in listed.to_dict().get("data") or []:
            payment = item.get("payment") or {}
            return {k: str(payment[k]) for k in ("payment_intent", "charge") if isinstance(payment.get(k), str)}
        return {}

    def create_refund(self, api_key: str, *, payment_intent: str, metadata: dict[str, str],
                      idempotency_key: str, amount: int | None = None) -> dict[str, Any]:
        """Refund what a payment intent charged: ``amount`` (the currency's smallest unit, yen) or, without it, all
        that is left. The idempotency key makes a retried call return the first refund (Stripe keeps keys 24
        hours); a charge refunded already, or an amount above what is left, is Stripe's 400, raised as ours."""
        client = self.client(api_key)
        params: dict[str, Any] = {"payment_intent": payment_intent, "metadata": metadata}
        if amount is not None:
            params["amount"] = amount
        refund = self._call(client.v1.refunds.create, params, {"idempotency_key": idempotency_key})
        return {"id": str(refund["id"]), "status": str(refund["status"]), "amount": int(refund["amount"])}

    def create_promotion_code(self, api_key: str, *, code: str, name: str, amount_off: int | None,
                              percent_off: float | None, currency: str, max_redemptions: int | None,
                              expires_at: int | None, idempotency_key: str) -> dict[str, str]:
        """A Stripe coupon (duration once) and a promotion code customers type at Checkout. Each call carries its
        own idempotency key, so a retry after a timeout creates neither twice (Stripe keeps keys 24 hours)."""
        coupon_id = self.create_coupon(api_key, name=name, amount_off=amount_off, percent_off=percent_off,
                                       currency=currency, idempotency_key=idempotency_key + ":coupon")
        promo_id = self.create_coupon_promotion_code(api_key, coupon_id=coupon_id, code=code,
                                                     max_redemptions=max_redemptions, expires_at=expires_at,
                                                     idempotency_key=idempotency_key + ":promotion_code")
        return {"coupon_id": coupon_id, "promotion_code_id": promo_id}

    def create_coupon(self, api_key: str, *, name: str, amount_off: int | None, percent_off: float | None,
                      currency: str, idempotency_key: str) -> str:
        """A Stripe coupon (duration once): the discount that promotion codes hand out."""
        client = self.client(api_key)
        params: dict[str, Any] = {"duration": "once", "name": name[:40]}
        if amount_off is not None:
            params.update(amount_off=amount_off, currency=currency)
        else:
            params["percent_off"] = percent_off
        return str(self._call(client.v1.coupons.create, params, {"idempotency_key": idempotency_key})["id"])

    def create_coupon_promotion_code(self, api_key: str, *, coupon_id: str, code: str, max_redemptions: int | None,
                                     expires_at: int | None, idempotency_key: str) -> str:
        """A promotion code ``code`` for an existing Stripe coupon (API 2025-09-30.clover: ``promotion[coupon]``)."""
        client = self.client(api_key)
        params: dict[str, Any] = {"promotion": {"type": "coupon", "coupon": coupon_id}, "code": code}
        if max_redemptions:
            params["max_redemptions"] = max_redemptions
        if expires_at:
            params["expires_at"] = expires_at
        promo = self._call(client.v1.promotion_codes.create, params, {"idempotency_key": idempotency_key})
        return str(promo["id"])

    def set_promotion_code_active(self, api_key: str, promotion_code_id: str, active: bool) -> None:
        """Stripe changes only ``active`` (and metadata) on a promotion code; expiry and limits are fixed."""
        client = self.client(api_key)
        self._call(client.v1.promotion_codes.update, promotion_code_id, {"active": active})

    def rename_coupon(self, api_key: str, coupon_id: str, name: str) -> None:
        client = self.client(api_key)
        self._call(client.v1.coupons.update, coupon_id, {"name": name[:40]})
