"""Payments: products, checkout, the Stripe webhook's domain, order cancellation and revenue.

Every Stripe event is applied once (claim on ``event.id`` in IdempotencyTable); its object's facts are merged into
the order and the status is derived from the facts (``haishin.payments.state``). An event whose ``livemode`` differs
from its order's mode changes nothing and is recorded as refused; an event that matches no order is kept for review
(``StripeEventRecordModel``, listed by ``review_events``) and is not marked processed, so a redelivery or
``replay_event`` applies it once its order can be found. Side effects follow from the
derived state, each behind its own run-once key (``order#<id>#action#<n>``, ``...#dunning#<invoice>``...), so a
duplicate, a retry after a crash, or events in any order run each post-purchase action exactly once.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from haishin import clock, ids
from haishin.actions import AddTag, RemoveTag, StartScenario, StopScenario, parse_actions
from haishin.config import settings
from haishin.errors import Conflict, HaishinError, NotFound, ValidationFailed, pydantic_message
from haishin.forms import tokens
from haishin.forms.collab import Collaborators
from haishin.payments import state
from haishin.payments.keys import StripeKeys
from haishin.payments.models import OrderModel, ProductModel
from haishin.payments.products import ProductDefinition
from haishin.payments.repository import PaymentRepository, order_sk, product_sk, set_buyer
from haishin.payments.signature import SignatureError, verify
from haishin.public_url import public_base
from haishin.render import renderer, variables_for
from haishin.storage.base import iso
from haishin.storage.once import Once
from haishin.stripe_api import CardRefused
from haishin.subscribers.models import SubscriberModel

log = logging.getLogger(__name__)

HANDLED = frozenset({
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
    "customer.subscription.updated", "customer.subscription.deleted", "charge.refunded",
    "refund.created", "refund.updated", "refund.failed", "payment_intent.succeeded", "invoice_payment.paid",
})
REFUND_EVENTS = frozenset({"charge.refunded", "refund.created", "refund.updated"})
EVENT_TTL = timedelta(days=35)  # Stripe retries for up to 3 days; keep well beyond
REVIEW_TTL = timedelta(days=90)  # unmatched and refused events stay listable this long
UNMATCHED = "unmatched"
REFUSED_LIVEMODE = "refused_livemode"


class OneClickUnavailable(Conflict):
    """The saved card cannot be charged with one click (no card saved, the first purchase not paid yet, or Stripe
    refused the card: declined, authentication required): the buyer pays on a Checkout page instead."""


def _check_actions(raw: list[dict[str, Any]]) -> None:
    try:
        parse_actions(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(pydantic_message(first),
                               where="actions." + ".".join(str(p) for p in first.get("loc", ()))) from exc


def _check_templates(definition: ProductDefinition) -> None:
    """The thank-you message is a template: it must compile and stay within the sandbox's caps when saved."""
    if definition.thank_you_message:
        renderer().check(definition.thank_you_message, where="thank_you_message")


def _invoice_subscription(obj: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    details = ((obj.get("parent") or {}).get("subscription_details") or obj.get("subscription_details") or {})
    sub = details.get("subscription") or obj.get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return sub, dict(details.get("metadata") or {})


class PaymentService:
    def __init__(self, collab: Collaborators, once: Once | None = None,
                 keys: StripeKeys | None = None, repository: PaymentRepository | None = None) -> None:
        self.collab = collab
        self.once = once or Once()
        self._keys = keys
        self.repository = repository or PaymentRepository()

    @property
    def keys(self) -> StripeKeys:
        if self._keys is None:
            self._keys = StripeKeys(self.collab.secret_store())
        return self._keys

    # ------------------------------------------------------------------ products
    def create_product(self, workspace_id: str, definition: ProductDefinition) -> ProductModel:
        _check_actions(definition.actions)
        _check_templates(definition)
        return self.repository.create_product(workspace_id, ids.new_id("p_"), definition.model_dump(mode="json"),
                                              now=clock.now())

    def get_product(self, workspace_id: str, product_id: str) -> ProductModel:
        return self.repository.require_product(workspace_id, product_id)

    def list_products(self, workspace_id: str) -> list[ProductModel]:
        return self.repository.products(workspace_id)

    def update_product(self, workspace_id: str, product_id: str, definition: ProductDefinition) -> ProductModel:
        _check_actions(definition.actions)
        _check_templates(definition)
        product = self.get_product(workspace_id, product_id)
        self.repository.save_product_definition(product, definition.model_dump(mode="json"), now=clock.now())
        return product

    def resolve_product(self, product_id: str) -> ProductModel | None:
        workspace_id = self.repository.product_workspace(product_id)
        if workspace_id is None:
            return None
        try:
            return self.get_product(workspace_id, product_id)
        except NotFound:
            return None

    def purchase_link(self, workspace_id: str, product_id: str, subscriber_id: str | None,
                      ref: str | None = None) -> str:
        """The product page's URL; with a friend, their signed purchase token (``s``); with ``ref`` (what the order
        pays for, e.g. a seminar seat ``sem:<event>:<registration>``), carried to the order and its events."""
        self.get_product(workspace_id, product_id)
        base = f"{public_base()}/p/{product_id}"
        if not subscriber_id:
            return base
        self.collab.subscribers.require(workspace_id, subscriber_id)
        token = tokens.LinkSigner(self.collab.secret_store()).mint(tokens.PURCHASE, workspace_id, subscriber_id,
                                                                  product_id)
        return f"{base}?s={token}" + (f"&r={quote(ref, safe=':')}" if ref else "")

    # ------------------------------------------------------------------ checkout
    def offer(self, product_id: str, token: str | None) -> tuple[ProductModel, ProductDefinition, str | None]:
        """What the product page (GET /p/{id}) shows, with the friend a signed purchase link binds (or None).

        Raises NotFound (unknown or not on sale) or ``tokens.TokenInvalid``. Reads only: a link-preview crawler
        fetching the page creates neither an order nor a Checkout Session (only ``start_checkout``, a POST, does).
        """
        product = self.resolve_product(product_id)
        if product is None:
            raise NotFound("product not found", where=f"product {product_id}")
        definition = ProductDefinition.model_validate(product.definition)
        if definition.status != "active":
            raise NotFound("product not on sale", where=f"product {product_id}")
        subscriber_id = None
        if token:
            subscriber_id = tokens.LinkSigner(self.collab.secret_store()).verify(
                tokens.PURCHASE, product.workspace_id, product_id, token).subscriber_id
        return product, definition, subscriber_id

    def start_checkout(self, product_id: str, token: str | None, ref: str | None = None,
                       partner_ref: tuple[str, datetime] | None = None, *, success_url: str | None = None) -> str:
        """Create the order (pending) and its Checkout Session; returns the URL to redirect the friend to.
        ``partner_ref``: a partner's code and the visit by its link, already verified by the page (kept on the
        order; partners credit the purchase).

        Only a page's POST calls this (never a GET: crawlers and previews follow links). ``success_url``: where the
        buyer lands after paying when a page other than the product's own sells it (a funnel's next page)."""
        return self.start_order_checkout(product_id, token, ref, partner_ref, success_url=success_url)[1]

    def start_order_checkout(self, product_id: str, token: str | None, ref: str | None = None,
                             partner_ref: tuple[str, datetime] | None = None, *, success_url: str | None = None,
                             buyer: str | None = None, save_card: bool = False,
                             funnel_ref: str | None = None) -> tuple[str, str]:
        """``start_checkout``, answering (order ID, Checkout URL). ``buyer``: the subscriber the calling page already
        knows (a funnel's opted-in visitor), when no signed token names one. ``save_card``: a one-time payment keeps
        the card for one-click upsells (``setup_future_usage: off_session``). ``funnel_ref``: the funnel page and A/B
        variant selling it (kept on the order, in ``purchase_completed``: haishin.funnels counts the purchase)."""
        product, definition, subscriber_id = self.offer(product_id, token)
        if subscriber_id is None and buyer and self.collab.subscribers.get(product.workspace_id, buyer) is not None:
            subscriber_id = buyer
        workspace_id = product.workspace_id
        mode = self.keys.mode(workspace_id)
        order_id = ids.new_id("o_")
        ref = (ref or "")[:200] if subscriber_id else ""  # a ref names the friend's own thing: only with their token
        self.repository.create_order(workspace_id, order_id, product_id=product_id, subscriber_id=subscriber_id,
                                     kind=definition.kind, mode=mode, amount=definition.payment_amount,
                                     installments=definition.installments, now=clock.now(), ref=ref,
                                     partner_ref=partner_ref, funnel_ref=funnel_ref)
        base = public_base()
        metadata = {"workspace_id": workspace_id, "order_id": order_id, "product_id": product_id,
                    "subscriber_id": subscriber_id or ""}
        if ref:
            metadata["ref"] = ref
        recurring = definition.kind != "one_time"
        price: dict[str, Any] = {"currency": definition.currency, "unit_amount": definition.amount,
                                 "product_data": {"name": definition.name}}
        if recurring:
            price["recurring"] = {"interval": definition.interval}
        items: list[dict[str, Any]] = [{"price_data": price, "quantity": 1}]
        if definition.order_bump:
            items.append({"price_data": {"currency": definition.currency, "unit_amount": definition.order_bump.amount,
                                         "product_data": {"name": definition.order_bump.name}}, "quantity": 1})
        params: dict[str, Any] = {
            "mode": "subscription" if recurring else "payment",
            "line_items": items,
            "client_reference_id": order_id,
            "metadata": metadata,
            "success_url": success_url or (str(definition.success_url) if definition.success_url
                                           else f"{base}/p/{product_id}/done?o={order_id}"),
            "cancel_url": f"{base}/p/{product_id}/canceled?o={order_id}",
            # the checkout page asks for a promotion code (haishin.coupons creates them; a used one records a
            # redemption of its coupon, see CheckoutRedemptions)
            "allow_promotion_codes": True,
        }
        if recurring:
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["payment_intent_data"] = {"metadata": metadata}
            if save_card:
                params["payment_intent_data"]["setup_future_usage"] = "off_session"
                params["customer_creation"] = "always"
        if subscriber_id:
            subscriber = self.collab.subscribers.get(workspace_id, subscriber_id)
            if subscriber is not None and subscriber.email:
                params["customer_email"] = subscriber.email
        session = self.collab.stripe_gateway().create_checkout_session(
            self.keys.secret_key(workspace_id, mode), params, idempotency_key=f"checkout:{order_id}")
        self._mutate_order(workspace_id, order_id, lambda o: setattr(o, "checkout_session_id", session["id"]))
        return order_id, str(session["url"])

    def buy_with_saved_card(self, workspace_id: str, paid_order_id: str, product_id: str, *,
                            funnel_ref: str | None = None) -> str:
        """One click after a purchase: charge ``product_id`` off-session to the card the paid order saved; returns
        the new order's ID. The new order (the same buyer) is paid by Stripe's ``payment_intent.succeeded`` webhook
        like any order (its actions, ``purchase_completed``, revenue); a subscription or installments product starts
        its Stripe subscription on the card instead (``_subscribe_saved_card``: paid by ``invoice.paid``). Once per
        (paid order, product): a second click, a retry or a double submit answers the first order (run-once
        ``oneclick#…``, and the Stripe idempotency key ``oneclick:<order>:<product>`` for a retry after a lost
        answer), never a second charge or subscription.
        Raises ``OneClickUnavailable`` when the card cannot be charged so (the caller sends the buyer to Checkout);
        a refusal is remembered, so a second click goes to Checkout too without trying the card again."""
        paid = self.get_order(workspace_id, paid_order_id)
        session = (paid.facts or {}).get("session") or {}
        if paid.status not in state.PURCHASED or not session.get("customer") or not session.get("payment_intent"):
            raise OneClickUnavailable("保存されたカードがありません", where=f"order {paid_order_id}")
        product, definition, _ = self.offer(product_id, None)
        if product.workspace_id != workspace_id:
            raise NotFound("product not found", where=f"product {product_id}")
        key = f"oneclick#{paid_order_id}#{product_id}"
        claim = self.once.claim(key, ttl=EVENT_TTL)
        if not claim.acquired:
            result = claim.result if claim.status == "done" and isinstance(claim.result, dict) else None
            if result and result.get("order_id") and not result.get("refused"):
                return str(result["order_id"])
            if result:
                raise OneClickUnavailable("カードで決済できませんでした", where=f"order {paid_order_id}")
            raise Conflict("この購入は処理中です", where=f"order {paid_order_id}")
        try:
            order_id = self._charge_saved_card(paid, session, product_id, definition, funnel_ref)
        except OneClickUnavailable as exc:
            self.once.complete(key, {"refused": exc.message}, ttl=EVENT_TTL)
            raise
        except BaseException:
            self.once.release(key)
            raise
        self.once.complete(key, {"order_id": order_id}, ttl=EVENT_TTL)
        return order_id

    def _charge_saved_card(self, paid: OrderModel, session: dict[str, Any], product_id: str,
                           definition: ProductDefinition, funnel_ref: str | None) -> str:
        workspace_id, mode = paid.workspace_id, _mode(paid.mode)
        api_key = self.keys.secret_key(workspace_id, mode)
        gateway = self.collab.stripe_gateway()
        method = gateway.payment_method_of(api_key, str(session["payment_intent"]))
        if not method:
            raise OneClickUnavailable("保存されたカードがありません", where=f"order {paid.order_id}")
        order_id = ids.new_id("o_")
        self.repository.create_order(workspace_id, order_id, product_id=product_id, subscriber_id=paid.subscriber_id,
                                     kind=definition.kind, mode=paid.mode or "test", amount=definition.payment_amount,
                                     installments=definition.installments, now=clock.now(), funnel_ref=funnel_ref)
        metadata = {"workspace_id": workspace_id, "order_id": order_id, "product_id": product_id,
                    "subscriber_id": paid.subscriber_id or "", "after_order": paid.order_id}
        idempotency_key = f"oneclick:{paid.order_id}:{product_id}"
        if definition.kind != "one_time":
            return self._subscribe_saved_card(api_key, order_id, str(session["customer"]), method, definition,
                                              metadata, idempotency_key)
        try:
            intent = gateway.charge_saved_card(
                api_key, customer=str(session["customer"]), payment_method=method,
                amount=definition.payment_amount, currency=definition.currency, description=definition.name,
                metadata=metadata, idempotency_key=idempotency_key)
        except CardRefused as exc:
            raise self._refuse_one_click(workspace_id, order_id, exc.code) from exc
        self.repository.link_stripe_ids(workspace_id, order_id, {intent["id"]})
        return order_id

    def _subscribe_saved_card(self, api_key: str, order_id: str, customer: str, method: str,
                              definition: ProductDefinition, metadata: dict[str, str], idempotency_key: str) -> str:
        """A subscription (継続課金) or installments (分割払い) product with one click: the Stripe subscription is made
        on the saved card with the Checkout path's metadata, so Stripe's ``invoice.paid`` for its first invoice pays
        the order like any subscription's (its actions, ``purchase_completed``, the installments' schedule). A first
        invoice the card cannot pay leaves the subscription ``incomplete``: it is canceled at once (nothing more is
        tried on it) and the buyer goes to Checkout."""
        workspace_id = metadata["workspace_id"]
        gateway = self.collab.stripe_gateway()
        bump = (definition.order_bump.name, definition.order_bump.amount) if definition.order_bump else None
        subscription = gateway.subscribe_saved_card(
            api_key, customer=customer, payment_method=method, amount=definition.amount,
            currency=definition.currency, interval=definition.interval, name=definition.name, bump=bump,
            metadata=metadata, idempotency_key=idempotency_key)
        self.repository.link_stripe_ids(workspace_id, order_id, {subscription["id"]})
        if subscription["status"] not in ("active", "trialing"):
            gateway.cancel_subscription(api_key, subscription["id"])
            raise self._refuse_one_click(workspace_id, order_id, f"subscription_{subscription['status']}")

        def attach(o: OrderModel) -> None:
            o.subscription_id = o.subscription_id or subscription["id"]

        self._mutate_order(workspace_id, order_id, attach)
        return order_id

    def _refuse_one_click(self, workspace_id: str, order_id: str, code: str) -> OneClickUnavailable:
        """The card was not charged: noted on the order (which stays unpaid); the error for the caller to raise."""

        def note(o: OrderModel) -> None:
            o.facts = {**(o.facts or {}), "card_refused": code}

        self._mutate_order(workspace_id, order_id, note)
        return OneClickUnavailable(f"カードで決済できませんでした ({code})", where=f"order {order_id}")

    # ------------------------------------------------------------------ promotion codes (coupons)
    def create_promotion_code(self, workspace_id: str, *, code: str, name: str, discount_type: str,
                              discount_value: int, expires_at: int | None, idempotency_key: str
                              ) -> dict[str, str] | None:
        """A Stripe coupon (duration once) + a promotion code ``code`` in the workspace's active Stripe mode, for
        ``haishin.coupons``. None when the workspace has no Stripe key for that mode (Stripe not set up)."""
        mode = self.keys.mode(workspace_id)
        try:
            key = self.keys.secret_key(workspace_id, mode)
        except NotFound:
            return None
        return dict(self.collab.stripe_gateway().create_promotion_code(
            key, code=code, name=name, amount_off=discount_value if discount_type == "amount" else None,
            percent_off=float(discount_value) if discount_type == "percent" else None, currency="jpy",
            max_redemptions=None, expires_at=expires_at, idempotency_key=f"{idempotency_key}:{mode}"))

    def promotion_code_writer(self, workspace_id: str) -> PromotionCodeWriter | None:
        """The workspace's active Stripe mode and key, bound once for a job that makes thousands of promotion codes
        (``haishin.coupons.stripe_codes``); None when the workspace has no key for that mode."""
        mode = self.keys.mode(workspace_id)
        try:
            key = self.keys.secret_key(workspace_id, mode)
        except NotFound:
            return None
        return PromotionCodeWriter(self.collab.stripe_gateway(), key, mode)

    def sync_promotion_code(self, workspace_id: str, *, stripe_coupon_id: str, promotion_code_id: str,
                            name: str | None = None, active: bool | None = None,
                            replace_with: tuple[str, int | None, str] | None = None) -> str | None:
        """Keep a coupon's Stripe side in step with its edit (``haishin.coupons``): rename the Stripe coupon,
        (de)activate the promotion code, or (``replace_with`` = (code, expires_at, idempotency key), for a new
        validity Stripe cannot change in place) deactivate it and create its successor on the same Stripe coupon.
        Returns the successor's ID. Does nothing without a Stripe key for the active mode."""
        mode = self.keys.mode(workspace_id)
        try:
            key = self.keys.secret_key(workspace_id, mode)
        except NotFound:
            return None
        gateway = self.collab.stripe_gateway()
        if name is not None:
            gateway.rename_coupon(key, stripe_coupon_id, name)
        if replace_with is not None:
            gateway.set_promotion_code_active(key, promotion_code_id, False)
            code, expires_at, idempotency_key = replace_with
            return str(gateway.create_coupon_promotion_code(
                key, coupon_id=stripe_coupon_id, code=code, max_redemptions=None, expires_at=expires_at,
                idempotency_key=f"{idempotency_key}:{mode}"))
        if active is not None:
            gateway.set_promotion_code_active(key, promotion_code_id, active)
        return None

    # ------------------------------------------------------------------ webhook
    def handle_webhook(self, workspace_id: str, body: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
        try:
            verify(body, signature, self.keys.webhook_secrets(workspace_id))
        except SignatureError as exc:
            return 400, {"error": "invalid signature", "detail": str(exc)}
        try:
            event = json.loads(body)
        except ValueError:
            return 400, {"error": "not a Stripe event", "detail": "the body is not JSON"}
        try:
            if not isinstance(event, dict):
                raise TypeError("not an object")
            event_id, event_type = str(event["id"]), str(event["type"])
            if not isinstance(event["data"]["object"], dict):
                raise TypeError("data.object")
        except (KeyError, TypeError):
            return 400, {"error": "not a Stripe event",
                         "detail": "the body is not a Stripe event object (id, type, data.object)"}
        try:
            outcome = self.handle_event(workspace_id, event)
        except Conflict as exc:
            return 409, {"error": exc.message}
        return 200, {"received": True, "id": event_id, "type": event_type, "outcome": outcome}

    def handle_event(self, workspace_id: str, event: dict[str, Any]) -> str:
        key = f"stripe-event#{workspace_id}#{event['id']}"
        claim = self.once.claim(key, ttl=EVENT_TTL, lease=timedelta(seconds=60))
        if not claim.acquired:
            if claim.status == "done":
                return "duplicate"
            raise Conflict("this event is being processed; retry later", where=str(event["id"]))
        try:
            outcome = self._apply_event(workspace_id, event)
        except BaseException:
            self.once.release(key)
            raise
        if outcome == UNMATCHED:  # kept for review, not processed: a redelivery or a replay may still match
            self.once.release(key)
        else:
            self.once.complete(key, {"outcome": outcome}, ttl=EVENT_TTL)
        return outcome

    # ------------------------------------------------------------------ events kept for review
    def _keep_for_review(self, workspace_id: str, event: dict[str, Any], outcome: str,
                         order: OrderModel | None = None) -> None:
        now = clock.now()
        self.repository.keep_event_for_review(
            workspace_id, event, outcome=outcome, order_id=order.order_id if order is not None else None,
            order_mode=order.mode if order is not None else None, now=now,
            expires_at=int(clock.epoch_seconds() + REVIEW_TTL.total_seconds()))

    def review_events(self, workspace_id: str, *, outcome: str | None = None, limit: int = 100
                      ) -> list[dict[str, Any]]:
        """Stripe events kept for review (unmatched, refused for livemode), newest first, without the raw event."""
        now = int(clock.epoch_seconds())
        items = [r for r in self.repository.review_events(workspace_id)
                 if int(r.expires_at or 0) > now and (outcome is None or r.outcome == outcome)]
        items.sort(key=lambda r: r.last_received_at, reverse=True)
        return [{"event_id": r.event_id, "type": r.event_type, "outcome": r.outcome, "livemode": r.livemode,
                 "order_id": r.order_id, "order_mode": r.order_mode, "deliveries": int(r.deliveries or 0),
                 "first_received_at": iso(r.first_received_at), "last_received_at": iso(r.last_received_at)}
                for r in items[:limit]]

    def replay_event(self, workspace_id: str, event_id: str) -> str:
        """Apply a kept unmatched event again (its order may exist now); the outcome as for a delivery."""
        record = self.repository.require_review_event(workspace_id, event_id)
        if record.outcome != UNMATCHED or not isinstance(record.event, dict):
            raise Conflict("only an unmatched event can be replayed", where=f"event {event_id}")
        outcome = self.handle_event(workspace_id, record.event)
        if outcome != UNMATCHED:
            self.repository.set_review_outcome(record, f"replayed:{outcome}")
        return outcome

    def _find_order(self, workspace_id: str, event_type: str, obj: dict[str, Any]) -> OrderModel | None:
        candidates: list[str] = []
        metadata = dict(obj.get("metadata") or {})
        if event_type.startswith("invoice."):
            sub, sub_meta = _invoice_subscription(obj)
            metadata = {**sub_meta, **metadata}
            if sub:
                candidates.append(sub)
        if event_type.startswith("checkout.session.") and obj.get("client_reference_id"):
            metadata.setdefault("order_id", obj["client_reference_id"])
        for field_name in ("id", "payment_intent", "charge", "subscription", "invoice"):
            value = obj.get(field_name)
            if isinstance(value, str):
                candidates.append(value)
        if metadata.get("workspace_id") not in (None, "", workspace_id):
            log.warning("event for another workspace ignored")
            return None
        order_id = metadata.get("order_id")
        if not order_id:
            order_id = self.repository.order_id_for_stripe_ids(workspace_id, candidates)
        if not order_id:
            return None
        try:
            return self.get_order(workspace_id, order_id)
        except NotFound:
            return None

    def _apply_event(self, workspace_id: str, event: dict[str, Any]) -> str:
        event_type = event["type"]
        if event_type not in HANDLED:
            return "ignored"
        obj = event["data"]["object"]
        found = self._find_order(workspace_id, event_type, obj)
        if found is None:
            log.warning("stripe event %s (%s) matches no order: kept for review", event.get("id"), event_type)
            self._keep_for_review(workspace_id, event, UNMATCHED)
            return UNMATCHED
        livemode = event.get("livemode", obj.get("livemode"))
        if livemode is None or bool(livemode) != (found.mode == "live"):
            # a test-mode event can never pay for a live order (nor the reverse): nothing changes
            log.warning("stripe event %s: livemode %s differs from order %s (%s mode); refused",
                        event.get("id"), livemode, found.order_id, found.mode)
            self._keep_for_review(workspace_id, event, REFUSED_LIVEMODE, found)
            return REFUSED_LIVEMODE
        definition = ProductDefinition.model_validate(self.get_product(workspace_id, found.product_id).definition)

        def change(order: OrderModel) -> None:
            order.facts = state.merge(order.facts or {}, event_type, obj)
            if event_type.startswith("checkout.session.") and isinstance(obj.get("subscription"), str):
                order.subscription_id = order.subscription_id or obj["subscription"]
            if event_type.startswith("customer.subscription."):
                order.subscription_id = order.subscription_id or obj.get("id")
                if isinstance(obj.get("schedule"), str):
                    order.schedule_id = order.schedule_id or obj["schedule"]
            if event_type.startswith("invoice."):
                sub, _ = _invoice_subscription(obj)
                order.subscription_id = order.subscription_id or sub
            self._recompute(order)

        order = self._mutate_order(workspace_id, found.order_id, change)
        self._save_refs(workspace_id, order.order_id, event_type, obj)
        if order.subscriber_id is None and event_type.startswith("checkout.session."):
            order = self._attach_buyer(workspace_id, order, obj)
        self._effects(order, definition)
        self._publish(order, event)
        return order.status

    def _publish(self, order: OrderModel, event: dict[str, Any]) -> None:
        """Outgoing webhook events; each keyed by its cause (the order, or the Stripe event ID), so a Stripe
        redelivery or a retried webhook never sends one twice."""
        ws, oid = order.workspace_id, order.order_id
        data = {"order_id": oid, "product_id": order.product_id, "subscriber_id": order.subscriber_id,
                "kind": order.kind, "status": order.status, "subscription_id": order.subscription_id,
                "mode": order.mode, "stripe_event_id": str(event["id"]),
                "amount": int(order.paid_total or order.amount or 0)}
        if order.ref:  # what the order paid for elsewhere (a seminar seat): its owner confirms / cancels it
            data["ref"] = order.ref
        if order.partner_ref and order.partner_ref_at:  # the product page's partner link (haishin.partners)
            data["partner_ref"], data["partner_ref_at"] = order.partner_ref, order.partner_ref_at.isoformat()
        if order.funnel_ref:  # the funnel page and variant that sold it (haishin.funnels counts the purchase)
            data["funnel_ref"] = order.funnel_ref
        if order.status in state.PURCHASED:
            obj = event["data"]["object"]
            promotions = [str(d["promotion_code"]) for d in obj.get("discounts") or []
                          if isinstance(d, dict) and isinstance(d.get("promotion_code"), str)]
            if promotions and str(event["type"]).startswith("checkout.session."):
                # coupons (haishin.coupons) record a redemption of the coupon linked to the promotion code
                data = {**data, "promotion_codes": promotions, "checkout_session_id": str(obj.get("id") or "")}
            self.collab.publish(ws, "purchase_completed", data, idempotency_key=f"order:{oid}:purchase")
            if order.kind != "one_time" and order.subscription_id:
                self.collab.publish(ws, "subscription_created", data, idempotency_key=f"order:{oid}:subscription")
        obj = event["data"]["object"]
        if str(event["type"]) in ("invoice.paid", "invoice.payment_succeeded") and order.kind != "one_time" \
                and obj.get("status") == "paid" and isinstance(obj.get("id"), str):
            # one per paid invoice (Stripe sends both event types for it): partners earn on 継続課金
            self.collab.publish(ws, "subscription_invoice_paid", {
                **data, "invoice_id": obj["id"], "invoice_amount": int(obj.get("amount_paid") or 0),
                "billing_reason": str(obj.get("billing_reason") or "")}, idempotency_key=f"invoice:{obj['id']}")
        if str(event["type"]) in REFUND_EVENTS and int(order.refunded_total or 0) > 0:
            # partners reverse their commission (haishin.partners); keyed by the Stripe event: one per refund event
            self.collab.publish(ws, "purchase_refunded", {**data, "refunded_total": int(order.refunded_total or 0)},
                                idempotency_key=f"stripe:{event['id']}")
        named = {"customer.subscription.updated": "subscription_updated",
                 "customer.subscription.deleted": "subscription_canceled",
                 "invoice.payment_failed": "subscription_payment_failed"}.get(str(event["type"]))
        if named and order.kind != "one_time":
            self.collab.publish(ws, named, data, idempotency_key=f"stripe:{event['id']}")

    @staticmethod
    def _recompute(order: OrderModel) -> None:
        facts = order.facts or {}
        order.status = state.derive(order.kind, facts, int(order.installments or 0))
        order.paid_total = state.paid_amount(order.kind, facts)
        order.refunded_total = state.refunded_amount(facts)
        order.payments_made = state.payments_made(order.kind, facts)

    def _save_refs(self, workspace_id: str, order_id: str, event_type: str, obj: dict[str, Any]) -> None:
        stripe_ids = [obj.get(k) for k in ("payment_intent", "subscription", "charge")]
        if event_type.startswith(("charge.", "customer.subscription.")):
            stripe_ids.append(obj.get("id"))
        if event_type.startswith("invoice."):
            # the invoice (its invoice_payment.paid names it) and what paid it (a refund's charge names that)
            stripe_ids += [_invoice_subscription(obj)[0], obj.get("id")]
        stripe_ids += list(state.paid_with(event_type, obj).values())
        self.repository.link_stripe_ids(workspace_id, order_id, {s for s in stripe_ids if isinstance(s, str) and s})

    def _attach_buyer(self, workspace_id: str, order: OrderModel, session: dict[str, Any]) -> OrderModel:
        """A public purchase link: match or create the friend by the email given at checkout."""
        email = ((session.get("customer_details") or {}).get("email") or session.get("customer_email") or "")
        email = email.strip().lower()
        if not email:
            return order
        repo = self.collab.subscribers
        subscriber = repo.find_by_email(workspace_id, email)
        if subscriber is None:
            fresh = repo.new(workspace_id, source="stripe")
            fresh.email = email
            try:
                subscriber = repo.create(fresh, [("email", email)])
            except Conflict:
                subscriber = repo.find_by_email(workspace_id, email)
        if subscriber is None:  # pragma: no cover
            return order
        subscriber_id = subscriber.subscriber_id

        def attach(o: OrderModel) -> None:
            if o.subscriber_id is None:
                set_buyer(o, subscriber_id)

        return self._mutate_order(workspace_id, order.order_id, attach)

    # ------------------------------------------------------------------ side effects
    def _effects(self, order: OrderModel, definition: ProductDefinition) -> None:
        ws, oid, sid = order.workspace_id, order.order_id, order.subscriber_id
        status = order.status
        if order.kind == "installments" and order.subscription_id and not order.schedule_id \
                and status in ("active", "past_due"):
            self._schedule_installments(order, definition)
        if not sid:
            return
        runner = None

        def run(actions: list[Any], key: str) -> None:
            nonlocal runner
            runner = runner or self.collab.action_runner()
            runner.run(ws, sid, actions, actor=f"order:{oid}", idempotency_key=key)
            self.collab.first_steps.queue(ws, sid, trigger=f"order:{oid}")  # a start_scenario's first step: now

        if status in state.PURCHASED:
            for index, action in enumerate(parse_actions(definition.actions)):
                self.once.run_once(f"order#{oid}#action#{index}",
                                   lambda a=action, i=index: run([a], f"order:{oid}:action:{i}"), ttl=EVENT_TTL * 12)
            self.once.run_once(f"order#{oid}#purchase", lambda: self.collab.trigger(
                ws, sid, "purchase_completed", {"product_id": order.product_id, "order_id": oid},
                idempotency_key=f"order:{oid}:purchase"), ttl=EVENT_TTL * 12)
            if definition.thank_you_message:
                self.once.run_once(f"order#{oid}#thanks", lambda: self._thank(order, definition), ttl=EVENT_TTL * 12)
        failed_invoice = state.latest_invoice_failed(order.facts or {})
        if status == "past_due" and failed_invoice:
            dunning: list[Any] = [AddTag(tag=definition.dunning_tag)]
            if definition.dunning_scenario_id:
                dunning.append(StartScenario(scenario_id=definition.dunning_scenario_id))
            self.once.run_once(f"order#{oid}#dunning#{failed_invoice}",
                               lambda: run(dunning, f"order:{oid}:dunning:{failed_invoice}"), ttl=EVENT_TTL * 12)
        else:
            for invoice_id, invoice in (order.facts or {}).get("invoices", {}).items():
                if invoice.get("failed") and self.once.is_done(f"order#{oid}#dunning#{invoice_id}"):
                    stop: list[Any] = [RemoveTag(tag=definition.dunning_tag)]
                    if definition.dunning_scenario_id:
                        stop.append(StopScenario(scenario_id=definition.dunning_scenario_id))
                    self.once.run_once(f"order#{oid}#dunning-stop#{invoice_id}",
                                       lambda s=stop, i=invoice_id: run(s, f"order:{oid}:dunning-stop:{i}"),
                                       ttl=EVENT_TTL * 12)
        if status in state.ENDED:
            ending: list[Any] = [StopScenario(scenario_id=a.scenario_id) for a in parse_actions(definition.actions)
                                 if isinstance(a, StartScenario)]
            if definition.dunning_scenario_id:
                ending.append(StopScenario(scenario_id=definition.dunning_scenario_id))
            if ending:
                self.once.run_once(f"order#{oid}#ended", lambda: run(ending, f"order:{oid}:ended"),
                                   ttl=EVENT_TTL * 12)
        self._update_summary(ws, sid)

    def _schedule_installments(self, order: OrderModel, definition: ProductDefinition) -> None:
        subscription_id = order.subscription_id or ""

        def attach() -> None:
            schedule_id = self.collab.stripe_gateway().schedule_installments(
                self.keys.secret_key(order.workspace_id, _mode(order.mode)), subscription_id,
                definition.installments, definition.interval, idempotency_key=f"schedule:{order.order_id}")
            self._mutate_order(order.workspace_id, order.order_id, lambda o: setattr(o, "schedule_id", schedule_id))
            order.schedule_id = schedule_id

        self.once.run_once(f"order#{order.order_id}#schedule", attach, ttl=EVENT_TTL * 12)

    def _thank(self, order: OrderModel, definition: ProductDefinition) -> None:
        subscriber = self.collab.subscribers.get(order.workspace_id, order.subscriber_id or "")
        if subscriber is None or not subscriber.line:
            return
        try:
            text = renderer().text(definition.thank_you_message or "", variables_for(subscriber),
                                   where=f"product {order.product_id} thank_you_message")
            self.collab.line_messenger().queue_text(order.workspace_id, subscriber, text,
                                                   retry_key=ids.retry_key("order-thanks", order.order_id))
        except Exception:
            log.exception("thank-you message for order %s failed", order.order_id)

    def _update_summary(self, workspace_id: str, subscriber_id: str) -> None:
        """fields._total_spent (paid minus refunded) and fields._products (bought and not refunded/canceled)."""
        total = 0
        products: list[str] = []
        for order in self.repository.subscriber_orders(workspace_id, subscriber_id, newest_first=False):
            total += int(order.paid_total or 0) - int(order.refunded_total or 0)
            if order.status in state.PURCHASED and order.product_id not in products:
                products.append(order.product_id)

        def change(s: SubscriberModel) -> None:
            # SubscriberModel.total_spent / products (the CRM's purchase summary), recomputed from the orders so
            # that duplicates and out-of-order events cannot drift it (record_purchase is incremental)
            s.total_spent = total
            s.products = set(products)

        current = self.collab.subscribers.get(workspace_id, subscriber_id)
        if current is not None and (current.total_spent != total or set(current.products or set()) != set(products)):
            self.collab.subscribers.mutate(workspace_id, subscriber_id, change)

    def stripe_settings(self, workspace_id: str) -> dict[str, Any]:
        """The Stripe settings screen: the mode and the keys' masked hints, plus what the seller pastes into Stripe's
        dashboard: this workspace's endpoint URL (absolute, with the stage) and the events to send it."""
        return {**self.keys.describe(workspace_id),
                "webhook_url": f"{public_base()}/stripe/webhook/{workspace_id}",
                "webhook_events": sorted(HANDLED)}

    # ------------------------------------------------------------------ orders
    def get_order(self, workspace_id: str, order_id: str) -> OrderModel:
        return self.repository.require_order(workspace_id, order_id)

    def list_orders(self, workspace_id: str, *, subscriber_id: str | None = None) -> list[OrderModel]:
        if subscriber_id:
            return list(self.repository.subscriber_orders(workspace_id, subscriber_id, newest_first=True))
        return self.repository.orders(workspace_id)

    def _mutate_order(self, workspace_id: str, order_id: str, change: Any) -> OrderModel:
        return self.repository.mutate_order(workspace_id, order_id, change)

    def cancel_order(self, workspace_id: str, order_id: str) -> OrderModel:
        """Cancel remaining installments / the subscription in Stripe, then stop dunning and purchase scenarios."""
        order = self.get_order(workspace_id, order_id)
        definition = ProductDefinition.model_validate(self.get_product(workspace_id, order.product_id).definition)
        if order.kind != "one_time" and order.status in ("active", "past_due", "pending") and \
                (order.schedule_id or order.subscription_id):
            key = self.keys.secret_key(workspace_id, _mode(order.mode))
            gateway = self.collab.stripe_gateway()
            if order.schedule_id:
                gateway.cancel_schedule(key, order.schedule_id)  # cancels its subscription too
            else:
                gateway.cancel_subscription(key, order.subscription_id or "")

        def mark(o: OrderModel) -> None:
            facts = dict(o.facts or {})
            facts["admin_canceled"] = True
            o.facts = facts
            self._recompute(o)

        order = self._mutate_order(workspace_id, order_id, mark)
        self._effects(order, definition)
        return order

    def set_cancel_at_period_end(self, workspace_id: str, order_id: str, *, at_period_end: bool) -> OrderModel:
        """「期間終了時に解約」 (true) or 「解約予約を取り消す」 (false) for a subscription order: Stripe's
        ``cancel_at_period_end``. The customer keeps access until the paid period ends and is not billed again; at
        that end Stripe deletes the subscription and ``customer.subscription.deleted`` ends the order (and access) by
        the usual path. The order keeps Stripe's answer like the ``customer.subscription.updated`` that follows (the
        same merge, so the event changes nothing more). Asking for the state the order is already in sends nothing.
        The Stripe idempotency key is per order and per request made (a double click is one update; schedule, undo,
        schedule again are three)."""
        order = self.get_order(workspace_id, order_id)
        if order.kind == "one_time":
            raise ValidationFailed("一回払いの注文には期間終了時の解約はありません", where="at_period_end")
        if order.kind == "installments":
            raise ValidationFailed("分割払いは最終回の支払いで自動的に終わるため、期間終了時の解約は指定できません",
                                   where="at_period_end")
        facts = order.facts or {}
        if order.status in state.ENDED or facts.get("admin_canceled") or facts.get("subscription_ended"):
            raise Conflict("この注文はすでに解約・終了しています", where="at_period_end")
        if order.status not in ("active", "past_due") or not order.subscription_id:
            raise Conflict("この注文の継続課金はまだ始まっていないため、期間終了時の解約は指定できません",
                           where="at_period_end")
        if bool(facts.get("cancel_at_period_end")) == at_period_end:
            return order
        requests = int(facts.get("cancel_at_period_end_requests") or 0)
        subscription = self.collab.stripe_gateway().set_cancel_at_period_end(
            self.keys.secret_key(workspace_id, _mode(order.mode)), order.subscription_id, at_period_end,
            idempotency_key=f"cancel_at_period_end:{order_id}:{requests}")

        def keep(o: OrderModel) -> None:
            kept = state.merge(o.facts or {}, "customer.subscription.updated", subscription)
            kept["cancel_at_period_end_requests"] = requests + 1
            o.facts = kept
            self._recompute(o)

        return self._mutate_order(workspace_id, order_id, keep)

    def refund_order(self, workspace_id: str, order_id: str, *, metadata: dict[str, str], amount: int | None = None,
                     request_key: str | None = None, invoice_id: str | None = None) -> str:
        """Refund a payment of an order through Stripe, once: ``amount`` yen (at most what is left of it) or, without
        it, all that is left. A one-time order has one payment; a subscription's or installments' is one paid
        invoice (``invoice_id``, else the latest paid one: "this month's fee"), refunded on the payment intent that
        paid it. Refunding never cancels the subscription (that is ``cancel_order``). Without ``request_key`` the
        order is refunded once ever (run-once key ``order#<id>#refund``, Stripe idempotency key ``refund:<id>``: a
        redelivered event or a retry returns the first refund's ID). The admin names each refund it asks for
        (``request_key``, one per confirm), so a double click or a retried request returns that refund while a
        later, separate partial refund is a new one. The order itself learns the refund from Stripe's webhook
        (``charge.refunded``), like any refund, and its listeners (members' access, partners' commissions, funnel
        stats) follow from there."""
        order = self.get_order(workspace_id, order_id)
        where = f"order {order_id}"
        if invoice_id is not None and order.kind == "one_time":
            raise ValidationFailed("一回払いの注文には支払い (invoice_id) を指定できません", where="invoice_id")
        key = f"order#{order_id}#refund" + (f"#{request_key}" if request_key else "")
        claim = self.once.claim(key)
        if not claim.acquired:
            if claim.status == "done" and claim.result:
                return str(claim.result)
            raise Conflict("この注文の返金は処理中です", where=where)
        try:
            if order.kind == "one_time":
                intent = self._one_time_refundable(order)
                left = int(order.paid_total or 0) - int(order.refunded_total or 0)
                if left <= 0:
                    raise Conflict("この注文は全額返金済みです", where=where)
            else:
                invoice_id, intent, left = self._invoice_refundable(order, invoice_id)
            if amount is not None and not 1 <= amount <= left:
                raise ValidationFailed(f"返金額は 1 円から {left:,} 円 (返金できる残り) までで指定してください",
                                       where="amount")
            refund = self.collab.stripe_gateway().create_refund(
                self.keys.secret_key(workspace_id, _mode(order.mode)), payment_intent=intent, amount=amount,
                metadata={"order_id": order_id, **({"invoice_id": invoice_id} if invoice_id else {}), **metadata},
                idempotency_key=f"refund:{order_id}" + (f":{request_key}" if request_key else ""))
        except BaseException:
            self.once.release(key)
            raise
        self.once.complete(key, result=refund["id"])
        return str(refund["id"])

    @staticmethod
    def _one_time_refundable(order: OrderModel) -> str:
        intent = str(((order.facts or {}).get("session") or {}).get("payment_intent") or "")
        if not intent or order.status not in state.PURCHASED | {"refunded"} or int(order.paid_total or 0) <= 0:
            raise Conflict("この注文はまだ支払われていないため返金できません", where=f"order {order.order_id}")
        return intent

    def _invoice_refundable(self, order: OrderModel, invoice_id: str | None) -> tuple[str, str, int]:
        """The paid invoice of a subscription / installments order to refund (the latest paid one when not named),
        the payment intent that paid it and the yen left to refund of it. What paid it comes from the order's facts
        (``invoice_payment.paid``), else is asked of Stripe and kept (the event may come later, or never)."""
        facts = order.facts or {}
        payments = {p["invoice_id"]: p for p in state.invoice_payments(facts)}
        if invoice_id is None:
            if not payments:
                raise Conflict("この注文はまだ支払われていないため返金できません", where=f"order {order.order_id}")
            invoice_id = list(payments)[-1]
        elif invoice_id not in (facts.get("invoices") or {}):
            raise ValidationFailed("この注文の支払いではありません", where="invoice_id")
        payment = payments.get(invoice_id)
        if payment is None:
            raise Conflict("この支払いはまだ完了していないため返金できません", where="invoice_id")
        left = payment["amount"] - payment["refunded"]
        if left <= 0:
            raise Conflict("この支払いは全額返金済みです", where="invoice_id")
        intent = payment["payment_intent"]
        if not intent:
            paid = self.collab.stripe_gateway().invoice_paid_with(
                self.keys.secret_key(order.workspace_id, _mode(order.mode)), invoice_id)
            intent = paid.get("payment_intent")
            if not intent:
                raise Conflict("Stripe がこの支払いの決済を返していないため返金できません", where="invoice_id")
            self.repository.link_stripe_ids(order.workspace_id, order.order_id, set(paid.values()))

            def keep(o: OrderModel) -> None:
                o.facts = state.merge(o.facts or {}, "invoice_payment.paid",
                                      {"invoice": invoice_id, "payment": paid})

            self._mutate_order(order.workspace_id, order.order_id, keep)
        return invoice_id, str(intent), left

    def refund_late_payment(self, workspace_id: str, order_id: str, *, ref: str) -> str | None:
        """A payment that arrived after its held seat or slot was released: refunded in full, once
        (``refund_order``). Returns the refund's ID, or None when there is no order or Stripe refuses: that is logged
        for the staff to refund by hand, and the caller leaves its record as it is."""
        if not order_id:
            log.warning("%s: paid after its hold was released, no order to refund", ref)
            return None
        try:
            refund_id = self.refund_order(workspace_id, order_id, metadata={"ref": ref})
        except HaishinError as exc:
            log.warning("%s: refunding the late payment failed, refund it by hand: %s", ref, exc.message)
            return None
        log.info("%s: late payment refunded (%s)", ref, refund_id)
        return refund_id

    def revenue(self, workspace_id: str, start: date, end: date, tz: str | None = None) -> dict[str, Any]:
        """Gross payments per product and per local day in [start, end], plus refunds in the same window."""
        zone = ZoneInfo(tz or settings().default_time_zone)
        by_day: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"amount": 0, "count": 0})
        by_product: dict[str, dict[str, int]] = defaultdict(lambda: {"amount": 0, "count": 0, "refunded": 0})
        for order in self.list_orders(workspace_id):
            facts = order.facts or {}
            payments: list[tuple[int, int]] = []
            if order.kind == "one_time":
                session = facts.get("session") or {}
                if session.get("paid"):
                    payments.append((int(session.get("created") or 0), int(session.get("amount_total") or 0)))
            else:
                payments += [(int(i.get("created") or 0), int(i.get("amount_paid") or 0))
                             for i in (facts.get("invoices") or {}).values() if i.get("paid")]
            for created, amount in payments:
                day = datetime.fromtimestamp(created, UTC).astimezone(zone).date()
                if start <= day <= end:
                    slot = by_day[(day.isoformat(), order.product_id)]
                    slot["amount"] += amount
                    slot["count"] += 1
                    by_product[order.product_id]["amount"] += amount
                    by_product[order.product_id]["count"] += 1
            if payments and start <= order.created_at.astimezone(zone).date() <= end:
                by_product[order.product_id]["refunded"] += int(order.refunded_total or 0)
        days = [{"day": d, "product_id": p, **v} for (d, p), v in sorted(by_day.items())]
        return {"from": start.isoformat(), "to": end.isoformat(), "time_zone": zone.key, "by_day": days,
                "by_product": [{"product_id": p, **v} for p, v in sorted(by_product.items())],
                "total": sum(v["amount"] for v in by_product.values())}


def order_view(order: OrderModel) -> dict[str, Any]:
    facts = order.facts or {}
    return {
        "order_id": order.order_id, "product_id": order.product_id, "subscriber_id": order.subscriber_id,
        "kind": order.kind, "mode": order.mode, "status": order.status, "amount": int(order.amount or 0),
        "installments": int(order.installments or 0), "payments_made": int(order.payments_made or 0),
        "paid_total": int(order.paid_total or 0), "refunded_total": int(order.refunded_total or 0),
        "expects_payment": state.expects_payment(order.kind, order.status),
        "subscription_id": order.subscription_id, "schedule_id": order.schedule_id,
        # Stripe's current period end; before any customer.subscription.* said it, the paid invoice's period end
        "current_period_end": _epoch_iso(state.period_end(facts) or state.paid_period_end(facts)),
        "cancel_at_period_end": bool(facts.get("cancel_at_period_end")),
        "refundable": int(order.paid_total or 0) - int(order.refunded_total or 0)
        if order.kind == "one_time" and order.status in state.PURCHASED else 0,
        # a subscription's / installments' paid invoices, each refundable on its own (refund_order's invoice_id)
        "payments": [{"invoice_id": p["invoice_id"], "paid_at": _epoch_iso(p["created"]), "amount": p["amount"],
                      "refunded": p["refunded"], "refundable": max(0, p["amount"] - p["refunded"])}
                     for p in state.invoice_payments(facts)] if order.kind != "one_time" else [],
        "created_at": iso(order.created_at), "updated_at": iso(order.updated_at),
    }


def _epoch_iso(seconds: int | None) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds else None


def _mode(value: str | None) -> Literal["test", "live"] | None:
    """An order's stored Stripe mode, typed; anything else means "the workspace's current mode"."""
    if value == "test":
        return "test"
    if value == "live":
        return "live"
    return None


# order_sk and product_sk live in the repository; named here too for their callers (haishin.ownership, tests)
__all__ = ["EVENT_TTL", "HANDLED", "REFUSED_LIVEMODE", "REVIEW_TTL", "UNMATCHED", "OneClickUnavailable",
           "PaymentService", "order_sk", "order_view", "product_sk"]



class PromotionCodeWriter:
    """Stripe calls for one pool coupon's per-code promotion codes, in one workspace's active mode. Idempotency keys
    get the mode appended (a test-mode key never answers a live-mode call)."""

    def __init__(self, gateway: Any, key: str, mode: str) -> None:
        self.gateway = gateway
        self.key = key
        self.mode = mode

    def create_coupon(self, *, name: str, discount_type: str, discount_value: int, idempotency_key: str) -> str:
        return str(self.gateway.create_coupon(
            self.key, name=name, amount_off=discount_value if discount_type == "amount" else None,
            percent_off=float(discount_value) if discount_type == "percent" else None, currency="jpy",
            idempotency_key=f"{idempotency_key}:{self.mode}"))

    def create_code(self, *, stripe_coupon_id: str, code: str, expires_at: int | None, idempotency_key: str) -> str:
        """One promotion code usable once (``max_redemptions: 1``): a unique code of a pool."""
        return str(self.gateway.create_coupon_promotion_code(
            self.key, coupon_id=stripe_coupon_id, code=code, max_redemptions=1, expires_at=expires_at,
            idempotency_key=f"{idempotency_key}:{self.mode}"))

    def set_active(self, promotion_code_id: str, active: bool) -> None:
        self.gateway.set_promotion_code_active(self.key, promotion_code_id, active)
