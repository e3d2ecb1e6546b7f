"""Payments tests: the Stripe stand-in's state driven in-process; its signed events go straight to the webhook
domain (``PaymentService.handle_webhook``) through a transport function, so no sockets are needed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from haishin import clock, wiring
from haishin.pages.router import Pages
from haishin.payments.keys import StripeKeys
from haishin.payments.products import ProductDefinition
from haishin.payments.service import PaymentService
from haishin.secrets import InMemorySecretStore
from haishin.stripe_api import CardRefused
from haishin.subscribers.models import line_account
from haishin.wiring import Services
from haishin_local.stripe_emulator import StripeState
from haishin_local.stripe_emulator.core import CardError

WS = "w_pay"
WHSEC = "whsec_test_primary"


@dataclass
class FakeScenarios:
    triggers: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)

    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> None:
        self.triggers.append((trigger, idempotency_key, detail))

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        self.started.append(scenario_id)

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> None:
        self.stopped.append(scenario_id)

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> None:
        self.stopped.append("*")


@dataclass
class FakeMessenger:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def queue_text(self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str,
                  channel_id: str | None = None) -> bool:
        self.sent.append((text, retry_key))
        return True


class InProcessGateway:
    """StripeGateway's interface over the stand-in's state (the HTTP path is tested in tests/unit/stripe_emulator)."""

    def __init__(self, state: StripeState) -> None:
        self.state = state
        self.calls: list[str] = []

    def create_checkout_session(self, api_key: str, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        self.calls.append("checkout")
        return self.state.create_checkout_session(params, api_key)

    def schedule_installments(self, api_key: str, subscription_id: str, count: int, interval: str,
                              idempotency_key: str) -> str:
        self.calls.append("schedule")
        schedule = self.state.create_schedule({"from_subscription": subscription_id}, api_key)
        phase = schedule["phases"][0]
        self.state.update_schedule(schedule["id"], {"end_behavior": "cancel", "phases": [
            {"items": phase["items"], "start_date": phase["start_date"],
             "duration": {"interval": interval, "interval_count": count}}]})
        return str(schedule["id"])

    def create_promotion_code(self, api_key: str, *, code: str, name: str, amount_off: int | None,
                              percent_off: float | None, currency: str, max_redemptions: int | None,
                              expires_at: int | None, idempotency_key: str) -> dict[str, str]:
        self.calls.append(f"promotion_code:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "promotion_code", idempotency_key))
        if known is not None:
            return {"coupon_id": known["promotion"]["coupon"], "promotion_code_id": known["id"]}
        coupon = self.state.create_coupon({"duration": "once", "name": name, "amount_off": amount_off,
                                           "percent_off": percent_off, "currency": currency}, api_key)
        promo = self.state.create_promotion_code({"promotion": {"type": "coupon", "coupon": coupon["id"]},
                                                  "code": code, "max_redemptions": max_redemptions,
                                                  "expires_at": expires_at}, api_key)
        self.state.idempotent[(api_key, "promotion_code", idempotency_key)] = promo
        return {"coupon_id": coupon["id"], "promotion_code_id": promo["id"]}

    def create_coupon(self, api_key: str, *, name: str, amount_off: int | None, percent_off: float | None,
                      currency: str, idempotency_key: str) -> str:
        self.calls.append(f"coupon:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "coupon", idempotency_key))
        if known is None:
            known = self.state.create_coupon({"duration": "once", "name": name, "amount_off": amount_off,
                                              "percent_off": percent_off, "currency": currency}, api_key)
            self.state.idempotent[(api_key, "coupon", idempotency_key)] = known
        return str(known["id"])

    def create_coupon_promotion_code(self, api_key: str, *, coupon_id: str, code: str, max_redemptions: int | None,
                                     expires_at: int | None, idempotency_key: str) -> str:
        self.calls.append(f"promotion_code:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "promotion_code", idempotency_key))
        if known is None:
            params: dict[str, Any] = {"promotion": {"type": "coupon", "coupon": coupon_id}, "code": code}
            if max_redemptions:
                params["max_redemptions"] = max_redemptions
            if expires_at:
                params["expires_at"] = expires_at
            known = self.state.create_promotion_code(params, api_key)
            self.state.idempotent[(api_key, "promotion_code", idempotency_key)] = known
        return str(known["id"])

    def set_promotion_code_active(self, api_key: str, promotion_code_id: str, active: bool) -> None:
        self.calls.append(f"promotion_code_active:{active}")
        self.state.update_promotion_code(promotion_code_id, {"active": "true" if active else "false"})

    def rename_coupon(self, api_key: str, coupon_id: str, name: str) -> None:
        self.calls.append("rename_coupon")
        self.state.update_coupon(coupon_id, {"name": name[:40]})

    def cancel_schedule(self, api_key: str, schedule_id: str) -> None:
        self.calls.append("cancel_schedule")
        self.state.cancel_schedule(schedule_id)

    def cancel_subscription(self, api_key: str, subscription_id: str) -> None:
        self.calls.append("cancel_subscription")
        self.state.cancel_subscription(subscription_id)

    def set_cancel_at_period_end(self, api_key: str, subscription_id: str, cancel: bool,
                                 idempotency_key: str) -> dict[str, Any]:
        """Like Stripe: the first answer to an idempotency key is replayed (the update is not made again)."""
        self.calls.append(f"cancel_at_period_end:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "subscription_update", idempotency_key))
        if known is None:
            known = self.state.update_subscription(subscription_id, {"cancel_at_period_end": str(cancel).lower()})
            self.state.idempotent[(api_key, "subscription_update", idempotency_key)] = known
        return known

    def payment_method_of(self, api_key: str, payment_intent_id: str) -> str | None:
        method = self.state.get(payment_intent_id, "payment_intent").get("payment_method")
        return str(method) if method else None

    def charge_saved_card(self, api_key: str, *, customer: str, payment_method: str, amount: int, currency: str,
                          description: str, metadata: dict[str, str], idempotency_key: str) -> dict[str, Any]:
        """Like Stripe: the first answer to an idempotency key is replayed, a card refusal included."""
        self.calls.append(f"charge_saved_card:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "payment_intents", idempotency_key))
        if known is None:
            try:
                known = self.state.create_payment_intent(
                    {"amount": str(amount), "currency": currency, "customer": customer,
                     "payment_method": payment_method, "confirm": "true", "off_session": "true",
                     "description": description, "metadata": metadata}, api_key)
            except CardError as exc:
                known = {"_refused": exc.code, "id": exc.intent["id"]}
            self.state.idempotent[(api_key, "payment_intents", idempotency_key)] = known
        if "_refused" in known:
            raise CardRefused(str(known["_refused"]), str(known["id"]))
        return {"id": known["id"], "status": known["status"]}

    def subscribe_saved_card(self, api_key: str, *, customer: str, payment_method: str, amount: int, currency: str,
                             interval: str, name: str, bump: tuple[str, int] | None, metadata: dict[str, str],
                             idempotency_key: str) -> dict[str, Any]:
        """Like Stripe: the prices, then the subscription; the first answer to an idempotency key is replayed."""
        self.calls.append(f"subscribe_saved_card:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "subscriptions", idempotency_key))
        if known is None:
            price = self.state.create_price({"currency": currency, "unit_amount": amount, "product_data": {
                "name": name}, "recurring": {"interval": interval}}, api_key)
            params: dict[str, Any] = {"customer": customer, "default_payment_method": payment_method,
                                      "off_session": "true", "metadata": metadata,
                                      "items": [{"price": price["id"], "quantity": "1"}]}
            if bump is not None:
                extra = self.state.create_price({"currency": currency, "unit_amount": bump[1],
                                                 "product_data": {"name": bump[0]}}, api_key)
                params["add_invoice_items"] = [{"price": extra["id"], "quantity": "1"}]
            known = self.state.create_subscription(params, api_key)
            self.state.idempotent[(api_key, "subscriptions", idempotency_key)] = known
        return {"id": known["id"], "status": known["status"]}

    def invoice_paid_with(self, api_key: str, invoice_id: str) -> dict[str, str]:
        self.calls.append(f"invoice_payments:{invoice_id}")
        for item in self.state.list_invoice_payments({"invoice": invoice_id, "status": "paid"})["data"]:
            return {k: v for k, v in item["payment"].items() if k in ("payment_intent", "charge")}
        return {}

    def create_refund(self, api_key: str, *, payment_intent: str, metadata: dict[str, str],
                      idempotency_key: str, amount: int | None = None) -> dict[str, Any]:
        self.calls.append(f"refund:{idempotency_key}")
        known = self.state.idempotent.get((api_key, "refund", idempotency_key))
        if known is None:
            known = self.state.create_refund({"payment_intent": payment_intent, "metadata": metadata,
                                              "amount": amount}, api_key)
            self.state.idempotent[(api_key, "refund", idempotency_key)] = known
        return {"id": known["id"], "status": known["status"], "amount": known["amount"]}


@dataclass
class RecordingQueue:
    """PlannerQueue: the job messages put on it (a test runs them by hand, as the planner Lambda would)."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, body: dict[str, Any]) -> None:
        self.sent.append(body)


@dataclass
class Env:
    service: PaymentService
    stripe: StripeState
    gateway: InProcessGateway
    scenarios: FakeScenarios
    messenger: FakeMessenger
    statuses: list[int]
    friend: str
    pages: Pages
    queue: RecordingQueue = field(default_factory=RecordingQueue)

    def product(self, **overrides: Any) -> str:
        data: dict[str, Any] = {"name": "オンライン講座", "amount": 9800,
                                "actions": [{"type": "add_tag", "tag": "購入者"},
                                            {"type": "start_scenario", "scenario_id": "sc_onboarding"},
                                            {"type": "stop_scenario", "scenario_id": "sc_sales"}],
                                "thank_you_message": "ご購入ありがとうございます", **overrides}
        return self.service.create_product(WS, ProductDefinition.model_validate(data)).product_id

    def buy(self, product_id: str, **kwargs: Any) -> tuple[str, str]:
        """Checkout through a signed purchase link; returns (order_id, session_id)."""
        link = self.service.purchase_link(WS, product_id, self.friend)
        url = self.service.start_checkout(product_id, link.split("?s=")[1])
        session_id = url.rsplit("/", 1)[1]
        order_id = self.stripe.objects[session_id]["metadata"]["order_id"]
        return order_id, session_id

    def order(self, order_id: str) -> Any:
        return self.service.get_order(WS, order_id)


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    secrets = InMemorySecretStore()
    scenarios, messenger = FakeScenarios(), FakeMessenger()
    state = StripeState(base_url="http://stripe.local", clock=clock.epoch_seconds)
    gateway = InProcessGateway(state)
    queue = RecordingQueue()
    root = Services(secrets=secrets, scenario_service=scenarios, messenger=messenger, stripe=gateway,
                    planner_queue=queue)
    service = root.payments
    StripeKeys(secrets).put(WS, "test", secret_key="sk_test_123", webhook_secrets=[WHSEC])
    statuses: list[int] = []

    def transport(url: str, body: bytes, headers: dict[str, str]) -> int:
        status, _ = service.handle_webhook(WS, body, headers["Stripe-Signature"])
        statuses.append(status)
        return status

    state.register_webhook(f"http://haishin.local/stripe/webhook/{WS}", WHSEC, transport=transport)
    repo = root.subscribers
    friend = repo.new(WS, source="line")
    friend.line = {"1234567890": line_account("U" + "b" * 32, status="following")}
    repo.create(friend, [("line:1234567890", "U" + "b" * 32)])
    previous = wiring.install(root)  # the admin API and handlers use the same services
    try:
        yield Env(service, state, gateway, scenarios, messenger, statuses, friend.subscriber_id, root.pages, queue)
    finally:
        wiring.install(previous)
