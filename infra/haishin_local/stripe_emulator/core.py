"""The emulator's state and behaviour, without HTTP (unit tests drive it in-process)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from haishin import clock as haishin_clock  # the system's clock: signatures age with the local system's time

Json = dict[str, Any]
Transport = Callable[[str, bytes, dict[str, str]], int]
API_VERSION = "2026-10-28.endive"


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param = status, message, kind, param

    def body(self) -> Json:
        error: Json = {"type": self.kind, "message": self.message}
        if self.param:
            error["param"] = self.param
        return {"error": error}


class CardError(StripeApiError):
    """Stripe's 402 for a card that cannot be charged: ``type: card_error`` with ``code``, ``decline_code`` and the
    failed ``payment_intent`` in the error object."""

    def __init__(self, message: str, *, code: str, decline_code: str, intent: Json):
        super().__init__(402, message, "card_error")
        self.code, self.decline_code, self.intent = code, decline_code, intent

    def body(self) -> Json:
        body = super().body()
        body["error"].update(code=self.code, decline_code=self.decline_code, payment_intent=self.intent,
                             doc_url=f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}")
        return body


def _absolute_url(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def sign_payload(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """Stripe's scheme: ``t=<ts>,v1=hex(HMAC-SHA256(secret, "<ts>.<payload>"))``."""
    t = int(haishin_clock.epoch_seconds()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _http_transport(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


class StateLock:
    """The emulator's state lock (re-entrant), which also holds back webhook deliveries until the thread's outermost
    hold ends. Stripe sends webhooks after the change is made and apart from the API call that made it; delivering
    while the lock is held deadlocked every handler that calls the API back (a late seminar payment's refund:
    ``POST /v1/refunds`` waited for the lock the checkout's delivery held until the delivery's 10 s timeout, so the
    delivery failed and the checkout page answered while the handler had not yet refunded nor told the friend on
    LINE). Deliveries still go before the call answers (outside the lock), so tests and pages stay in order."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._local = threading.local()

    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    def __enter__(self) -> StateLock:
        self._lock.acquire()
        if not self._depth():
            self._local.held = []
        self._local.depth = self._depth() + 1
        return self

    def __exit__(self, *_: object) -> None:
        self._local.depth -= 1
        held: list[Callable[[], Any]] = [] if self._local.depth else self._local.held
        self._lock.release()
        failed: BaseException | None = None
        for send in held:  # outside the lock: a handler may call the API back; one failing loses no other
            try:
                send()
            except BaseException as exc:  # re-raised below, after the rest went out
                failed = failed or exc
        if failed is not None:
            raise failed

    def defer(self, send: Callable[[], Any]) -> bool:
        """Keep ``send`` for the end of this thread's outermost hold; False (send it now) when none is open."""
        if not self._depth():
            return False
        self._local.held.append(send)
        return True


@dataclass
class Endpoint:
    url: str
    secrets: list[str]
    transport: Transport | None = None


@dataclass
class Delivery:
    event_id: str
    event_type: str
    url: str
    status: int


@dataclass
class StripeState:
    """Objects by ID, events in creation order, webhook endpoints, and what was delivered."""

    base_url: str = "http://127.0.0.1"
    clock: Callable[[], float] = haishin_clock.epoch_seconds
    auto_deliver: bool = True
    objects: dict[str, Json] = field(default_factory=dict)
    events: list[Json] = field(default_factory=list)
    pending: list[Json] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    api_keys: set[str] | None = None  # None: any sk_test_/sk_live_ key is accepted
    requests: list[tuple[str, str, Json]] = field(default_factory=list)
    idempotent: dict[tuple[str, str, str], Json] = field(default_factory=dict)
    # (livemode, CODE) -> the active promotion code with that text: Stripe allows one per account and mode
    _active_codes: dict[tuple[bool, str], str] = field(default_factory=dict)
    _lock: StateLock = field(default_factory=StateLock)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ helpers
    def now(self) -> int:
        return int(self.clock())

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._seq):06d}{secrets.token_hex(6)}"

    def check_key(self, authorization: str | None) -> str:
        if not authorization or not authorization.startswith("Bearer "):
            raise StripeApiError(401, "You did not provide an API key.", "invalid_request_error")
        key = authorization.removeprefix("Bearer ").strip()
        valid = key.startswith(("sk_test_", "sk_live_", "rk_test_", "rk_live_"))
        if not valid or (self.api_keys is not None and key not in self.api_keys):
            raise StripeApiError(401, "Invalid API Key provided.", "invalid_request_error")
        return key

    def mark(self) -> int:
        """How many objects exist now: ``made(kind, since=mark)`` lists only the ones made later (tests sharing one
        stand-in look at their own objects; objects are never removed, and a dict keeps insertion order)."""
        with self._lock:
            return len(self.objects)

    def made(self, kind: str, *, since: int = 0) -> list[Json]:
        """The objects of ``kind`` (``payment_intent``, ``invoice``, ...) made after ``since`` (a ``mark()``), oldest
        first."""
        with self._lock:
            return [o for o in list(self.objects.values())[since:] if o.get("object") == kind]

    def get(self, object_id: str, kind: str | None = None) -> Json:
        obj = self.objects.get(object_id)
        if obj is None or (kind and obj.get("object") != kind):
            raise StripeApiError(404, f"No such {kind or 'object'}: '{object_id}'", param="id")
        return obj

    # ------------------------------------------------------------------ webhooks
    def register_webhook(self, url: str, secret: str | list[str], transport: Transport | None = None) -> Endpoint:
        """``secret`` may be several (rotation): each delivery then carries one v1 per secret."""
        endpoint = Endpoint(url, [secret] if isinstance(secret, str) else list(secret), transport)
        with self._lock:
            self.endpoints.append(endpoint)
        return endpoint

    def emit(self, event_type: str, obj: Json, previous: Json | None = None) -> Json:
        event: Json = {
            "id": self.new_id("evt"), "object": "event", "api_version": API_VERSION, "created": self.now(),
            "type": event_type, "livemode": bool(obj.get("livemode")), "pending_webhooks": len(self.endpoints),
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        with self._lock:
            self.events.append(event)
        if self.auto_deliver:
            if not self._lock.defer(lambda: self.deliver(event)):
                self.deliver(event)
        else:
            self.pending.append(event)
        return event

    def signature_header(self, secrets_: list[str], payload: bytes, timestamp: int | None = None) -> str:
        t = self.now() if timestamp is None else timestamp
        parts = [f"t={t}"] + [sign_payload(s, payload, t).split(",", 1)[1] for s in secrets_]
        return ",".join(parts)

    def deliver(self, event: Json, *, timestamp: int | None = None) -> list[int]:
        payload = json.dumps(event, ensure_ascii=False).encode()
        statuses = []
        for endpoint in list(self.endpoints):
            headers = {"Content-Type": "application/json; charset=utf-8",
                       "Stripe-Signature": self.signature_header(endpoint.secrets, payload, timestamp),
                       "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
            status = (endpoint.transport or _http_transport)(endpoint.url, payload, headers)
            with self._lock:
                self.deliveries.append(Delivery(event["id"], event["type"], endpoint.url, status))
            statuses.append(status)
        return statuses

    def resend(self, event_id: str) -> list[int]:
        """Deliver an event again (Stripe does: at-least-once)."""
        event = next(e for e in self.events if e["id"] == event_id)
        return self.deliver(event)

    def flush(self, *, reverse: bool = False, duplicate: bool = False) -> list[Json]:
        """Deliver events held while ``auto_deliver`` was False, optionally newest first and each twice."""
        with self._lock:
            batch, self.pending = list(self.pending), []
        order = list(reversed(batch)) if reverse else batch
        for event in order:
            self.deliver(event)
            if duplicate:
                self.deliver(event)
        return order

    # ------------------------------------------------------------------ objects
    def _livemode(self, key: str) -> bool:
        return key.startswith(("sk_live_", "rk_live_"))

    def create_customer(self, params: Json, key: str = "sk_test_x") -> Json:
        customer: Json = {"id": self.new_id("cus"), "object": "customer", "created": self.now(),
                    "email": params.get("email"), "name": params.get("name"),
                    "metadata": dict(params.get("metadata") or {}), "livemode": self._livemode(key)}
        self.objects[customer["id"]] = customer
        return customer

    def _price_for(self, item: Json, key: str) -> Json:
        if item.get("price"):
            return self.get(str(item["price"]), "price")
        data = item.get("price_data") or {}
        product = {"id": self.new_id("prod"), "object": "product", "name": (data.get("product_data") or {}).get(
            "name", "item"), "created": self.now(), "livemode": self._livemode(key)}
        self.objects[product["id"]] = product
        recurring = data.get("recurring")
        price = {"id": self.new_id("price"), "object": "price", "currency": data.get("currency", "jpy"),
                 "unit_amount": int(data.get("unit_amount") or 0), "product": product["id"],
                 "recurring": {"interval": recurring.get("interval", "month"),
                               "interval_count": int(recurring.get("interval_count") or 1)} if recurring else None,
                 "type": "recurring" if recurring else "one_time", "livemode": self._livemode(key)}
        self.objects[price["id"]] = price
        return price

    def create_price(self, params: Json, key: str = "sk_test_x") -> Json:
        product_data = params.get("product_data") or {"name": params.get("nickname", "item")}
        return self._price_for({"price_data": {**params, "product_data": product_data}}, key)

    def create_checkout_session(self, params: Json, key: str = "sk_test_x") -> Json:
        mode = params.get("mode") or "payment"
        if mode not in ("payment", "subscription", "setup"):
            raise StripeApiError(400, "Invalid mode", param="mode")
        if not params.get("success_url"):
            raise StripeApiError(400, "Missing required param: success_url.", param="success_url")
        for name in ("success_url", "cancel_url"):  # Stripe takes only absolute http(s) URLs here
            if params.get(name) and not _absolute_url(str(params[name])):
                raise StripeApiError(400, "Not a valid URL", param=name)
        items = list(params.get("line_items") or [])
        if not items:
            raise StripeApiError(400, "line_items is required", param="line_items")
        line_items: list[Json] = []
        for item in items:
            price = self._price_for(item, key)
            if mode == "payment" and price["recurring"]:
                raise StripeApiError(400, "recurring prices need mode=subscription", param="line_items")
            line_items.append({"price": price, "quantity": int(item.get("quantity") or 1)})
        if mode == "subscription" and not any(i["price"]["recurring"] for i in line_items):
            raise StripeApiError(400, "mode=subscription needs a recurring price", param="line_items")
        session_id = self.new_id("cs_test" if not self._livemode(key) else "cs_live")
        session = {
            "id": session_id, "object": "checkout.session", "mode": mode, "status": "open",
            "payment_status": "unpaid", "created": self.now(), "expires_at": self.now() + 86400,
            "url": f"{self.base_url}/checkout/{session_id}", "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"), "client_reference_id": params.get("client_reference_id"),
            "metadata": dict(params.get("metadata") or {}), "customer": params.get("customer"),
            "customer_email": params.get("customer_email"), "customer_details": None,
            "amount_total": sum(i["price"]["unit_amount"] * i["quantity"] for i in line_items),
            "amount_subtotal": sum(i["price"]["unit_amount"] * i["quantity"] for i in line_items),
            "currency": line_items[0]["price"]["currency"], "livemode": self._livemode(key),
            "payment_intent": None, "subscription": None, "invoice": None,
            "_line_items": line_items, "_subscription_data": dict(params.get("subscription_data") or {}),
            "_payment_intent_data": dict(params.get("payment_intent_data") or {}),
            "allow_promotion_codes": str(params.get("allow_promotion_codes", "")).lower() == "true" or None,
            "_allow_promotion_codes": str(params.get("allow_promotion_codes", "")).lower() == "true",
            "discounts": [], "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        }
        self.objects[session_id] = session
        return self.public(session)

    # ------------------------------------------------------------------ coupons and promotion codes
    def create_coupon(self, params: Json, key: str = "sk_test_x") -> Json:
        """Stripe's rules: exactly one of amount_off (with currency) / percent_off (0 < p <= 100)."""
        amount, percent = params.get("amount_off"), params.get("percent_off")
        if amount in (None, "") and percent in (None, ""):
            raise StripeApiError(400, "Must provide either amount_off or percent_off.")
        if amount not in (None, "") and percent not in (None, ""):
            raise StripeApiError(400, "Must provide exactly one of these parameters: amount_off, percent_off.",
                                 param="amount_off")
        currency = params.get("currency")
        if amount not in (None, ""):
            if not str(amount).isdigit() or int(amount) <= 0:
                raise StripeApiError(400, "Invalid positive integer", param="amount_off")
            if not currency:
                raise StripeApiError(400, "You must pass currency when passing amount_off.", param="currency")
        else:
            try:
                value = float(str(percent))
            except ValueError:
                raise StripeApiError(400, "Invalid decimal: " + str(percent), param="percent_off") from None
            if not 0 < value <= 100:
                raise StripeApiError(400, "Percent off must be between 0 and 100.", param="percent_off")
        duration = params.get("duration") or "once"
        if duration not in ("once", "forever", "repeating"):
            raise StripeApiError(400, "Invalid duration: must be one of once, forever, or repeating",
                                 param="duration")
        coupon_id = str(params.get("id") or self.new_id("co"))
        if coupon_id in self.objects:
            raise StripeApiError(400, "Coupon already exists.", param="id")
        applies = params.get("applies_to") or {}
        products = list(applies.get("products") or []) if isinstance(applies, dict) else []
        for product in products:
            if (self.objects.get(str(product)) or {}).get("object") != "product":
                raise StripeApiError(400, f"No such product: '{product}'", param="applies_to[products]")
        coupon: Json = {"id": coupon_id, "object": "coupon", "created": self.now(), "livemode": self._livemode(key),
                        "amount_off": int(amount) if amount not in (None, "") else None,
                        "percent_off": float(str(percent)) if percent not in (None, "") else None,
                        "currency": str(currency).lower() if currency else None, "duration": duration,
                        "name": params.get("name"), "metadata": dict(params.get("metadata") or {}),
                        "times_redeemed": 0, "valid": True, "max_redemptions": None, "redeem_by": None,
                        "applies_to": {"products": [str(p) for p in products]} if products else None}
        self.objects[coupon_id] = coupon
        return self.public(coupon)

    def update_coupon(self, coupon_id: str, params: Json) -> Json:
        """Stripe lets only ``name``, ``metadata`` and ``currency_options`` change on a coupon."""
        coupon = self.get(coupon_id, "coupon")
        for name in params:
            if name not in ("name", "metadata", "currency_options"):
                raise StripeApiError(400, f"Received unknown parameter: {name}", param=name)
        if "name" in params:
            coupon["name"] = params["name"] or None
        if "metadata" in params:
            coupon["metadata"] = {**coupon["metadata"], **dict(params.get("metadata") or {})}
        return self.public(coupon)

    def create_promotion_code(self, params: Json, key: str = "sk_test_x") -> Json:
        # since API 2025-09-30.clover the coupon goes in promotion[coupon] (with promotion[type]=coupon)
        if "coupon" in params:
            raise StripeApiError(400, "Received unknown parameter: coupon", param="coupon")
        promotion = params.get("promotion") or {}
        if not isinstance(promotion, dict) or promotion.get("type") != "coupon":
            raise StripeApiError(400, "Missing required param: promotion[type].", param="promotion[type]")
        coupon_ref = promotion.get("coupon")
        if not coupon_ref:
            raise StripeApiError(400, "Missing required param: promotion[coupon].", param="promotion[coupon]")
        with self._lock:  # the check and the insert together: two racing creates of one code, one wins
            return self._create_promotion_code(params, key, str(coupon_ref))

    def _active_code(self, livemode: bool, code: str) -> Json | None:
        """The account's active promotion code with this text (case-insensitive; test and live mode are separate
        namespaces, as in Stripe). An index, not a scan: a pool coupon has thousands of codes."""
        promo = self.objects.get(self._active_codes.get((livemode, code.upper()), ""))
        return promo if promo is not None and promo["active"] else None

    def _create_promotion_code(self, params: Json, key: str, coupon_ref: str) -> Json:
        coupon = self.get(coupon_ref, "coupon")
        code = str(params.get("code") or secrets.token_hex(4).upper())
        if not code.isalnum() or len(code) > 500:
            raise StripeApiError(400, "Invalid code: only alphanumeric characters.", param="code")
        if self._active_code(self._livemode(key), code) is not None:
            raise StripeApiError(400, "An active promotion code with `code: " + code + "` already exists.",
                                 param="code")
        limit = params.get("max_redemptions")
        if limit not in (None, "") and (not str(limit).isdigit() or int(limit) <= 0):
            raise StripeApiError(400, "Invalid positive integer", param="max_redemptions")
        expires = params.get("expires_at")
        if expires not in (None, "") and (not str(expires).isdigit() or int(expires) <= self.now()):
            raise StripeApiError(400, "The `expires_at` timestamp must be in the future.", param="expires_at")
        restrictions = dict(params.get("restrictions") or {})
        minimum = restrictions.get("minimum_amount")
        if minimum not in (None, ""):
            if not str(minimum).isdigit():
                raise StripeApiError(400, "Invalid integer: " + str(minimum), param="restrictions[minimum_amount]")
            if not restrictions.get("minimum_amount_currency"):
                raise StripeApiError(400, "You must pass minimum_amount_currency when passing minimum_amount.",
                                     param="restrictions[minimum_amount_currency]")
        promo: Json = {"id": self.new_id("promo"), "object": "promotion_code", "code": code,
                       "promotion": {"type": "coupon", "coupon": coupon["id"]},
                       "active": str(params.get("active", "true")).lower() != "false",
                       "max_redemptions": int(limit) if limit not in (None, "") else None,
                       "expires_at": int(expires) if expires not in (None, "") else None, "times_redeemed": 0,
                       "created": self.now(), "livemode": self._livemode(key),
                       "metadata": dict(params.get("metadata") or {}),
                       "restrictions": {"first_time_transaction": False,
                                        "minimum_amount": int(minimum) if minimum not in (None, "") else None,
                                        "minimum_amount_currency": str(restrictions.get("minimum_amount_currency")
                                                                       or "").lower() or None}}
        self.objects[promo["id"]] = promo
        if promo["active"]:
            self._active_codes[(promo["livemode"], code.upper())] = promo["id"]
        return self.public(promo)

    def update_promotion_code(self, promo_id: str, params: Json) -> Json:
        """Stripe lets only ``active``, ``metadata`` and ``restrictions[currency_options]`` change: a new expiry or
        limit means a new promotion code (``expires_at`` here is refused as an unknown parameter, as Stripe does)."""
        with self._lock:
            promo = self.get(promo_id, "promotion_code")
            for name in params:
                if name not in ("active", "metadata", "restrictions"):
                    raise StripeApiError(400, f"Received unknown parameter: {name}", param=name)
            if "active" in params:
                active = str(params["active"]).lower() == "true"
                slot = (promo["livemode"], promo["code"].upper())
                if active and not promo["active"] and self._active_code(*slot) is not None:
                    raise StripeApiError(400, "An active promotion code with `code: " + promo["code"]
                                         + "` already exists.", param="active")
                promo["active"] = active
                if active:
                    self._active_codes[slot] = promo["id"]
                elif self._active_codes.get(slot) == promo["id"]:
                    del self._active_codes[slot]
            if "metadata" in params:
                promo["metadata"] = {**promo["metadata"], **dict(params.get("metadata") or {})}
            return self.public(promo)

    def list_promotion_codes(self, params: Json) -> Json:
        code = params.get("code")
        rows = [self.public(o) for o in self.objects.values() if o.get("object") == "promotion_code"
                and (not code or o["code"] == code)]
        return {"object": "list", "data": rows, "has_more": False, "url": "/v1/promotion_codes"}

    def apply_promotion_code(self, session_id: str, code: str) -> Json:
        """What the checkout page's 'Add promotion code' does; refusals use Stripe Checkout's wording."""
        with self._lock:
            session = self.get(session_id, "checkout.session")
            if session["status"] != "open":
                raise StripeApiError(400, "This Checkout Session is no longer open.")
            if not session.get("_allow_promotion_codes"):
                raise StripeApiError(400, "This Checkout Session does not accept promotion codes.")
            typed = (code or "").strip()
            promo = self._active_code(bool(session["livemode"]), typed)
            if promo is None:
                raise StripeApiError(400, "This code is invalid.", param="promotion_code")
            if promo["expires_at"] is not None and promo["expires_at"] <= self.now():
                raise StripeApiError(400, "This code has expired.", param="promotion_code")
            if promo["max_redemptions"] is not None and promo["times_redeemed"] >= promo["max_redemptions"]:
                raise StripeApiError(400, "This code has already been used the maximum number of times.",
                                     param="promotion_code")
            coupon = self.get(promo["promotion"]["coupon"], "coupon")
            if coupon["amount_off"] is not None and coupon["currency"] != session["currency"]:
                raise StripeApiError(400, "This code is invalid.", param="promotion_code")
            subtotal = int(session["amount_subtotal"])
            minimum = (promo.get("restrictions") or {}).get("minimum_amount")
            if minimum is not None and subtotal < int(minimum):
                raise StripeApiError(400, f"This code requires a minimum order of {_money(int(minimum), session)}.",
                                     param="promotion_code")
            products = (coupon.get("applies_to") or {}).get("products")
            # a coupon limited to products discounts only those line items (Stripe: "applies_to.products")
            eligible = subtotal if not products else sum(
                int(i["price"]["unit_amount"]) * int(i["quantity"]) for i in session["_line_items"]
                if i["price"]["product"] in products)
            if eligible <= 0:
                raise StripeApiError(400, "This code is valid, but doesn't apply to items in your order.",
                                     param="promotion_code")
            if coupon["amount_off"] is not None:
                discount = min(eligible, int(coupon["amount_off"]))
            else:
                discount = round(eligible * float(coupon["percent_off"]) / 100)  # JPY: zero-decimal
            session["amount_total"] = subtotal - discount
            session["total_details"] = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0}
            session["discounts"] = [{"coupon": coupon["id"], "promotion_code": promo["id"]}]
            return self.public(session)

    def _used_up(self, session: Json) -> None:
        """At payment Stripe checks the limit again: two open sessions may both have applied a code with
        ``max_redemptions: 1``; the first to pay uses it, the second is refused and nothing changes."""
        for discount in session.get("discounts") or []:
            promo = self.objects.get(str(discount.get("promotion_code")))
            if promo is not None and promo["max_redemptions"] is not None \
                    and promo["times_redeemed"] >= promo["max_redemptions"]:
                raise StripeApiError(400, "This code has already been used the maximum number of times.",
                                     param="promotion_code")

    def _redeem_discounts(self, session: Json) -> None:
        for discount in session.get("discounts") or []:
            promo = self.objects.get(str(discount.get("promotion_code")))
            if promo is not None:
                promo["times_redeemed"] += 1
                coupon = self.objects.get(promo["promotion"]["coupon"])
                if coupon is not None:
                    coupon["times_redeemed"] += 1

    @staticmethod
    def public(obj: Json) -> Json:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def complete_checkout(self, session_id: str, *, email: str = "buyer@example.com", async_payment: str | None = None
                          ) -> Json:
        """What "支払う / Pay" does. ``async_payment``: None (card), "pending", then ``settle_async``."""
        with self._lock:
            session = self.get(session_id, "checkout.session")
            if session["status"] != "open":
                raise StripeApiError(400, "This Checkout Session is no longer open.")
            self._used_up(session)
            customer = self.create_customer({"email": session.get("customer_email") or email})
            session["customer"] = customer["id"]
            session["customer_details"] = {"email": customer["email"]}
            session["status"] = "complete"
            self._redeem_discounts(session)
            if session["mode"] == "payment":
                intent = {"id": self.new_id("pi"), "object": "payment_intent", "amount": session["amount_total"],
                          "currency": session["currency"], "metadata": dict(
                              session["_payment_intent_data"].get("metadata") or {}),
                          "status": "processing" if async_payment else "succeeded", "customer": customer["id"],
                          "livemode": session["livemode"], "created": self.now()}
                self.objects[intent["id"]] = intent
                session["payment_intent"] = intent["id"]
                if session["_payment_intent_data"].get("setup_future_usage") in ("off_session", "on_session"):
                    # the card is saved to the customer for later off-session payments (one-click upsells)
                    intent["payment_method"] = self.save_card(customer["id"])["id"]
                    intent["setup_future_usage"] = session["_payment_intent_data"]["setup_future_usage"]
                if not async_payment:
                    self._charge(intent)
                session["payment_status"] = "unpaid" if async_payment else "paid"
                return self.emit("checkout.session.completed", self.public(session))
            subscription = self._create_subscription(session, customer)
            session["subscription"] = subscription["id"]
            session["payment_status"] = "paid"
            # a promotion code's coupon (duration once) discounts the first invoice only
            invoice = self._invoice(subscription, paid=True, billing_reason="subscription_create",
                                    extra=[i for i in session["_line_items"] if not i["price"]["recurring"]],
                                    discount=int(session["total_details"]["amount_discount"]),
                                    discounts=list(session.get("discounts") or []))
            session["invoice"] = invoice["id"]
            self.emit("customer.subscription.created", self.public(subscription))
            event = self.emit("checkout.session.completed", self.public(session))
            self._emit_paid(invoice)
            return event

    def settle_async(self, session_id: str, *, succeeded: bool) -> Json:
        session = self.get(session_id, "checkout.session")
        intent = self.get(session["payment_intent"], "payment_intent")
        if succeeded:
            intent["status"] = "succeeded"
            self._charge(intent)
            session["payment_status"] = "paid"
            return self.emit("checkout.session.async_payment_succeeded", self.public(session))
        intent["status"] = "requires_payment_method"
        return self.emit("checkout.session.async_payment_failed", self.public(session))

    def _charge(self, intent: Json) -> Json:
        charge = {"id": self.new_id("ch"), "object": "charge", "amount": intent["amount"], "amount_refunded": 0,
                  "refunded": False, "currency": intent["currency"], "payment_intent": intent["id"],
                  "metadata": dict(intent.get("metadata") or {}), "status": "succeeded", "paid": True,
                  "created": self.now(), "livemode": intent["livemode"], "customer": intent.get("customer")}
        self.objects[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        return charge

    # ------------------------------------------------------------------ saved cards, off-session payments
    def save_card(self, customer_id: str, *, fails_with: str | None = None) -> Json:
        """A card payment method attached to the customer. ``fails_with``: what an off-session charge of it answers
        (``card_declined``, ``authentication_required``: the test cards 4000000000000002 / 4000002760003184)."""
        method: Json = {"id": self.new_id("pm"), "object": "payment_method", "type": "card", "customer": customer_id,
                        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
                        "created": self.now(), "livemode": self.get(customer_id, "customer")["livemode"],
                        "_fails_with": fails_with}
        self.objects[method["id"]] = method
        return self.public(method)

    def set_card_failure(self, payment_method_id: str, fails_with: str | None) -> None:
        """Test helper: the saved card now declines (or needs 3-D Secure) when charged off-session."""
        self.get(payment_method_id, "payment_method")["_fails_with"] = fails_with

    def create_payment_intent(self, params: Json, key: str = "sk_test_x") -> Json:
        """``POST /v1/payment_intents`` with ``confirm=true``: only the off-session charge of a saved card is
        emulated. A decline is Stripe's 402 ``card_error`` (``card_declined`` with a ``decline_code``, or
        ``authentication_required``) carrying the failed ``payment_intent``; a success emits
        ``payment_intent.succeeded`` and ``charge.succeeded``."""
        amount = str(params.get("amount") or "")
        if not amount.isdigit() or int(amount) < 1:
            raise StripeApiError(400, "Invalid positive integer", param="amount")
        if not params.get("currency"):
            raise StripeApiError(400, "Missing required param: currency.", param="currency")
        confirm = str(params.get("confirm", "")).lower() == "true"
        off_session = str(params.get("off_session", "")).lower() == "true"
        if off_session and not confirm:
            raise StripeApiError(400, "off_session can only be used when confirm=true.", param="off_session")
        if not confirm:
            raise StripeApiError(400, "only confirm=true payment intents are emulated", param="confirm")
        customer_id, method_id = params.get("customer"), params.get("payment_method")
        if not method_id:
            raise StripeApiError(400, "You cannot confirm this PaymentIntent because it's missing a payment method.",
                                 param="payment_method")
        method = self.get(str(method_id), "payment_method")
        if customer_id:
            self.get(str(customer_id), "customer")
        if method["customer"] != customer_id:
            raise StripeApiError(400, f"The provided PaymentMethod {method_id} was previously used with a "
                                 "PaymentIntent without Customer attachment, shared with a connected account "
                                 "without Customer attachment, or was detached from a Customer.",
                                 param="payment_method")
        with self._lock:
            intent: Json = {"id": self.new_id("pi"), "object": "payment_intent", "amount": int(amount),
                            "amount_received": 0, "currency": str(params["currency"]).lower(),
                            "customer": customer_id, "payment_method": method["id"],
                            "metadata": dict(params.get("metadata") or {}), "status": "requires_payment_method",
                            "created": self.now(), "livemode": self._livemode(key), "last_payment_error": None,
                            "latest_charge": None, "off_session": off_session}
            self.objects[intent["id"]] = intent
            failure = method.get("_fails_with")
            if failure:
                error = _CARD_FAILURES[str(failure)]
                intent["last_payment_error"] = {"type": "card_error", "code": error[0], "message": error[1],
                                                "decline_code": error[2], "payment_method": self.public(method)}
                if failure == "authentication_required":
                    intent["status"] = "requires_action" if not off_session else "requires_payment_method"
                self.emit("payment_intent.payment_failed", self.public(intent))
                raise CardError(error[1], code=error[0], decline_code=error[2], intent=self.public(intent))
            intent.update(status="succeeded", amount_received=int(amount))
            charge = self._charge(intent)
            charge["payment_method"] = method["id"]
            self.emit("charge.succeeded", self.public(charge))
            self.emit("payment_intent.succeeded", self.public(intent))
            return self.public(intent)

    def _create_subscription(self, session: Json, customer: Json) -> Json:
        recurring = [i for i in session["_line_items"] if i["price"]["recurring"]]
        return self._new_subscription(customer["id"], recurring, dict(session["_subscription_data"].get("metadata")
                                                                      or {}), bool(session["livemode"]))

    def _new_subscription(self, customer_id: str, recurring: list[Json], metadata: Json, livemode: bool) -> Json:
        interval = recurring[0]["price"]["recurring"]["interval"]
        now = self.now()
        subscription = {
            "id": self.new_id("sub"), "object": "subscription", "status": "active", "customer": customer_id,
            "created": now, "start_date": now, "metadata": metadata,
            "items": {"object": "list", "data": [
                {"id": self.new_id("si"), "object": "subscription_item", "price": i["price"], "quantity": i["quantity"],
                 "current_period_start": now, "current_period_end": now + _period(interval)} for i in recurring]},
            "schedule": None, "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None, "ended_at": None,
            "livemode": livemode, "_interval": interval, "_invoices_paid": 0,
        }
        self.objects[subscription["id"]] = subscription
        return subscription

    def create_subscription(self, params: Json, key: str = "sk_test_x") -> Json:
        """``POST /v1/subscriptions`` for a customer with a saved card (``default_payment_method``, ``off_session``):
        the first invoice is charged at once. Stripe's checks: the customer, the prices (``items`` recurring,
        ``add_invoice_items`` one-time) and the payment method must exist (else 400 ``No such ...``), and the payment
        method must be the customer's. A card that fails (``save_card(fails_with=...)``): with the default
        ``payment_behavior=allow_incomplete`` the subscription is created ``incomplete``, its first invoice ``open``
        and the invoice's payment intent ``requires_payment_method`` (declined) or ``requires_action`` (3-D Secure),
        with ``invoice.payment_failed`` or ``invoice.payment_action_required``; with ``error_if_incomplete`` it is
        Stripe's 402 ``card_error`` and nothing is created. A paid one: ``customer.subscription.created`` (active)
        and ``invoice.paid``, as after a Checkout."""
        customer_id = str(params.get("customer") or "")
        if not customer_id:
            raise StripeApiError(400, "Missing required param: customer.", param="customer")
        customer = self.objects.get(customer_id)
        if customer is None or customer.get("object") != "customer":
            raise StripeApiError(400, f"No such customer: '{customer_id}'", param="customer")
        behavior = str(params.get("payment_behavior") or "allow_incomplete")
        if behavior not in ("allow_incomplete", "error_if_incomplete"):
            raise StripeApiError(400, f"payment_behavior={behavior} is not emulated", param="payment_behavior")
        items = list(params.get("items") or [])
        if not items:
            raise StripeApiError(400, "Missing required param: items.", param="items")
        recurring, extra = [], []
        for index, item in enumerate(items):
            price = self._existing_price(item, f"items[{index}][price]")
            if not price["recurring"]:
                raise StripeApiError(400, "The price specified is set to `type=one_time` but this field only "
                                     "accepts prices with `type=recurring`.", param=f"items[{index}][price]")
            recurring.append({"price": price, "quantity": int(item.get("quantity") or 1)})
        for index, item in enumerate(list(params.get("add_invoice_items") or [])):
            price = self._existing_price(item, f"add_invoice_items[{index}][price]")
            if price["recurring"]:
                raise StripeApiError(400, "The price specified is set to `type=recurring` but this field only "
                                     "accepts prices with `type=one_time`.", param=f"add_invoice_items[{index}][price]")
            extra.append({"price": price, "quantity": int(item.get("quantity") or 1)})
        method_id = str(params.get("default_payment_method") or "")
        method = self.objects.get(method_id) if method_id else None
        if method_id and (method is None or method.get("object") != "payment_method"):
            raise StripeApiError(400, f"No such PaymentMethod: '{method_id}'", param="default_payment_method")
        if method is not None and method["customer"] != customer_id:
            raise StripeApiError(400, f"The customer does not have a payment method with the ID {method_id}. The "
                                 "payment method must be attached to the customer.", param="default_payment_method")
        if method is None:
            raise StripeApiError(400, "This customer has no attached payment source or default payment method.",
                                 param="default_payment_method")
        off_session = str(params.get("off_session", "")).lower() == "true"
        with self._lock:
            failure = method.get("_fails_with")
            if failure and behavior == "error_if_incomplete":
                code, message, decline = _CARD_FAILURES[str(failure)]
                raise CardError(message, code=code, decline_code=decline, intent={})
            subscription = self._new_subscription(customer_id, recurring, dict(params.get("metadata") or {}),
                                                  self._livemode(key))
            subscription["default_payment_method"] = method["id"]
            invoice = self._invoice(subscription, paid=not failure, billing_reason="subscription_create", extra=extra)
            subscription["latest_invoice"] = invoice["id"]
            if not failure:
                self.emit("customer.subscription.created", self.public(subscription))
                self._emit_paid(invoice)
                return self.public(subscription)
            code, message, decline = _CARD_FAILURES[str(failure)]
            action = failure == "authentication_required"
            intent = {"id": self.new_id("pi"), "object": "payment_intent", "amount": invoice["amount_due"],
                      "amount_received": 0, "currency": invoice["currency"], "customer": customer_id,
                      "payment_method": method["id"], "metadata": {}, "livemode": subscription["livemode"],
                      "status": "requires_action" if action else "requires_payment_method", "off_session": off_session,
                      "created": self.now(), "latest_charge": None,
                      "last_payment_error": {"type": "card_error", "code": code, "message": message,
                                             "decline_code": decline, "payment_method": self.public(method)}}
            self.objects[intent["id"]] = intent
            # API 2025-03-31.basil on: an invoice names its payment intents in ``payments``, not ``payment_intent``
            invoice["payments"] = {"object": "list", "has_more": False, "data": [{
                "object": "invoice_payment", "status": "open", "is_default": True,
                "payment": {"type": "payment_intent", "payment_intent": intent["id"]}}]}
            subscription["status"] = "incomplete"
            self.emit("customer.subscription.created", self.public(subscription))
            self.emit("invoice.payment_action_required" if action else "invoice.payment_failed",
                      self.public(invoice))
            return self.public(subscription)

    def _existing_price(self, item: Json, param: str) -> Json:
        price_id = str(item.get("price") or "")
        price = self.objects.get(price_id)
        if price is None or price.get("object") != "price":
            raise StripeApiError(400, f"No such price: '{price_id}'", param=param)
        return price

    def _invoice(self, subscription: Json, *, paid: bool, billing_reason: str = "subscription_cycle",
                 extra: list[Json] | None = None, discount: int = 0, discounts: list[Json] | None = None) -> Json:
        lines = [*subscription["items"]["data"], *(extra or [])]
        subtotal = sum(int(i["price"]["unit_amount"]) * int(i.get("quantity") or 1) for i in lines)
        # like Stripe's invoice lines: each subscription item's line names the period it pays for
        line_items = [{"id": self.new_id("il"), "object": "line_item", "amount": int(i["price"]["unit_amount"]) *
                       int(i.get("quantity") or 1), "currency": i["price"]["currency"],
                       "period": {"start": i["current_period_start"], "end": i["current_period_end"]}
                       if i.get("current_period_end") else {"start": self.now(), "end": self.now()}}
                      for i in lines]
        amount = max(0, subtotal - discount)
        invoice = {
            "id": self.new_id("in"), "object": "invoice", "created": self.now(), "customer": subscription["customer"],
            "amount_due": amount, "amount_paid": amount if paid else 0, "amount_remaining": 0 if paid else amount,
            "currency": lines[0]["price"]["currency"], "status": "paid" if paid else "open",
            "billing_reason": billing_reason, "attempt_count": 1, "livemode": subscription["livemode"],
            "subtotal": subtotal, "total": amount,
            "total_discount_amounts": [{"amount": discount, "discount": d.get("coupon")} for d in discounts or []
                                       ] if discount else [],
            "parent": {"type": "subscription_details", "quote_details": None, "subscription_details": {
                "subscription": subscription["id"], "metadata": dict(subscription["metadata"])}},
            "metadata": {}, "lines": {"object": "list", "data": line_items, "has_more": False},
        }
        self.objects[invoice["id"]] = invoice
        if paid:
            self._count_payment(subscription)
            self._pay(invoice)
        return invoice

    def _pay(self, invoice: Json) -> None:
        """The invoice's payment: a payment intent and its charge, and the invoice payment linking them to the
        invoice (API 2025-03-31 on: the invoice itself no longer names ``payment_intent`` / ``charge``, and
        Stripe copies no subscription metadata onto the intent; ``invoice_payment.paid`` says which intent paid).
        An invoice of 0 yen (a 100% coupon) is paid without any payment."""
        if invoice["amount_paid"] <= 0:
            return
        intent = {"id": self.new_id("pi"), "amount": invoice["amount_paid"], "amount_received": invoice["amount_paid"],
                  "currency": invoice["currency"], "metadata": {}, "livemode": invoice["livemode"],
                  "customer": invoice["customer"], "object": "payment_intent", "status": "succeeded",
                  "created": self.now()}
        self.objects[intent["id"]] = intent
        invoice["_charge"] = self._charge(intent)["id"]
        payment = {"id": self.new_id("inpay"), "object": "invoice_payment", "invoice": invoice["id"],
                   "amount_paid": invoice["amount_paid"], "amount_requested": invoice["amount_due"],
                   "currency": invoice["currency"], "is_default": True, "livemode": invoice["livemode"],
                   "status": "paid", "created": self.now(),
                   "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
                   "status_transitions": {"paid_at": self.now(), "canceled_at": None}}
        self.objects[payment["id"]] = payment
        invoice["_payment"] = payment["id"]

    def _emit_paid(self, invoice: Json) -> None:
        """A paid invoice's events: ``invoice.paid``, then ``invoice_payment.paid`` for the payment that paid it."""
        self.emit("invoice.paid", self.public(invoice))
        if invoice.get("_payment"):
            self.emit("invoice_payment.paid", self.public(self.get(invoice["_payment"], "invoice_payment")))

    def list_invoice_payments(self, params: Json) -> Json:
        """``GET /v1/invoice_payments``: ``invoice`` (required here), ``status`` (open | paid | canceled)."""
        invoice_id = str(params.get("invoice") or "")
        if not invoice_id:
            raise StripeApiError(400, "invoice is required to list invoice payments here", param="invoice")
        status = params.get("status")
        if status is not None and status not in ("open", "paid", "canceled"):
            raise StripeApiError(400, "Invalid status: must be one of open, paid, or canceled", param="status")
        with self._lock:
            data = [self.public(o) for o in self.objects.values() if o.get("object") == "invoice_payment"
                    and o["invoice"] == invoice_id and (status is None or o["status"] == status)]
        raw = str(params.get("limit") or "10")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise StripeApiError(400, f"This value must be between 1 and 100 (it is currently {raw}).", param="limit")
        limit = int(raw)
        return {"object": "list", "url": "/v1/invoice_payments", "has_more": len(data) > limit, "data": data[:limit]}

    def _count_payment(self, subscription: Json) -> None:
        subscription["_invoices_paid"] += 1

    # ------------------------------------------------------------------ recurring payments
    def _require_billable(self, subscription_id: str) -> Json:
        subscription = self.get(subscription_id, "subscription")
        if subscription["status"] == "canceled":
            raise StripeApiError(400, "no further payment: the subscription is canceled")
        if subscription.get("cancel_at_period_end") and subscription.get("cancel_at") \
                and self.now() >= int(subscription["cancel_at"]):
            # Stripe does not renew a subscription set to cancel at the period end: it deletes it there instead
            self._end_subscription(subscription)
            raise StripeApiError(400, "no further payment: the subscription was canceled at its period end")
        return subscription

    def pay_invoice(self, subscription_id: str) -> Json:
        """The next period's invoice is paid (invoice.paid); ends the schedule after its last payment."""
        with self._lock:
            subscription = self._require_billable(subscription_id)
            before = self._next_period(subscription)
            invoice = self._invoice(subscription, paid=True)
            self.emit("customer.subscription.updated", self.public(subscription), before)
            self._emit_paid(invoice)
            self._maybe_complete_schedule(subscription)
            return invoice

    def _next_period(self, subscription: Json) -> Json:
        """A renewal: each item's period moves on by one interval (Stripe sends customer.subscription.updated with
        the previous period in previous_attributes). Returns those previous attributes."""
        item = subscription["items"]["data"][0]
        before = {"items": {"data": [{"current_period_start": i["current_period_start"],
                                      "current_period_end": i["current_period_end"]}
                                     for i in subscription["items"]["data"]]}}
        start = max(int(item["current_period_end"]), self.now())
        for i in subscription["items"]["data"]:
            i.update(current_period_start=start, current_period_end=start + _period(subscription["_interval"]))
        return before

    def fail_invoice(self, subscription_id: str) -> Json:
        with self._lock:
            subscription = self._require_billable(subscription_id)
            self._next_period(subscription)
            invoice = self._invoice(subscription, paid=False)
            subscription["status"] = "past_due"
            self.emit("invoice.payment_failed", self.public(invoice))
            self.emit("customer.subscription.updated", self.public(subscription), {"status": "active"})
            return invoice

    def retry_invoice(self, invoice_id: str) -> Json:
        """A failed invoice is paid on a retry (Smart Retries / the friend updated the card)."""
        with self._lock:
            invoice = self.get(invoice_id, "invoice")
            subscription = self._require_billable(invoice["parent"]["subscription_details"]["subscription"])
            invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
            invoice["attempt_count"] += 1
            self._count_payment(subscription)
            self._pay(invoice)
            self._emit_paid(invoice)
            if subscription["status"] == "past_due":
                subscription["status"] = "active"
                self.emit("customer.subscription.updated", self.public(subscription), {"status": "past_due"})
            self._maybe_complete_schedule(subscription)
            return invoice

    def _maybe_complete_schedule(self, subscription: Json) -> None:
        schedule_id = subscription.get("schedule")
        if not schedule_id:
            return
        schedule = self.get(schedule_id, "subscription_schedule")
        total = sum(int((p.get("duration") or {}).get("interval_count") or 1) for p in schedule["phases"])
        if schedule["status"] == "active" and subscription["_invoices_paid"] >= total:
            schedule.update(status="completed", completed_at=self.now(), current_phase=None)
            if schedule["end_behavior"] == "cancel":
                self._end_subscription(subscription)
            self.emit("subscription_schedule.completed", self.public(schedule))

    def _end_subscription(self, subscription: Json) -> None:
        # a cancel set for the period end keeps when it was asked for (canceled_at) and ends at that period end
        subscription.update(status="canceled", canceled_at=subscription.get("canceled_at") or self.now(),
                            ended_at=min(int(subscription.get("cancel_at") or self.now()), self.now()))
        self.emit("customer.subscription.deleted", self.public(subscription))

    # ------------------------------------------------------------------ schedules
    def create_schedule(self, params: Json, key: str = "sk_test_x") -> Json:
        if "iterations" in json.dumps(params.get("phases") or []):
            raise StripeApiError(400, "Received unknown parameter: phases[0][iterations]", param="phases")
        source = params.get("from_subscription")
        if not source:
            raise StripeApiError(400, "only from_subscription is emulated", param="from_subscription")
        subscription = self._require_billable(str(source))
        if subscription.get("schedule"):
            raise StripeApiError(400, "the subscription already has a schedule", param="from_subscription")
        phase = {"start_date": subscription["start_date"], "end_date": None,
                 "items": [{"price": i["price"]["id"], "quantity": i["quantity"]}
                           for i in subscription["items"]["data"]],
                 "duration": {"interval": subscription["_interval"], "interval_count": 1}}
        schedule = {"id": self.new_id("sub_sched"), "object": "subscription_schedule", "status": "active",
                    "subscription": subscription["id"], "customer": subscription["customer"],
                    "end_behavior": "release", "phases": [phase], "created": self.now(),
                    "current_phase": {"start_date": phase["start_date"], "end_date": None},
                    "canceled_at": None, "completed_at": None, "livemode": subscription["livemode"]}
        self.objects[schedule["id"]] = schedule
        subscription["schedule"] = schedule["id"]
        return self.public(schedule)

    def update_schedule(self, schedule_id: str, params: Json) -> Json:
        schedule = self.get(schedule_id, "subscription_schedule")
        if schedule["status"] != "active":
            raise StripeApiError(400, f"the schedule is {schedule['status']}")
        if "end_behavior" in params:
            if params["end_behavior"] not in ("cancel", "release"):
                raise StripeApiError(400, "Invalid end_behavior", param="end_behavior")
            schedule["end_behavior"] = params["end_behavior"]
        if "phases" in params:
            phases = []
            for index, raw in enumerate(params["phases"]):
                if "iterations" in raw:
                    raise StripeApiError(400, f"Received unknown parameter: phases[{index}][iterations]",
                                         param=f"phases[{index}][iterations]")
                duration = raw.get("duration") or {}
                if not duration and not raw.get("end_date"):
                    raise StripeApiError(400, "each phase needs a duration or an end_date", param=f"phases[{index}]")
                phases.append({"start_date": raw.get("start_date"), "end_date": raw.get("end_date"),
                               "items": list(raw.get("items") or []),
                               "duration": {"interval": duration.get("interval"),
                                            "interval_count": int(duration.get("interval_count") or 1)}
                               if duration else None})
            schedule["phases"] = phases
        self._maybe_complete_schedule(self.get(schedule["subscription"], "subscription"))
        return self.public(schedule)

    def cancel_schedule(self, schedule_id: str) -> Json:
        with self._lock:
            schedule = self.get(schedule_id, "subscription_schedule")
            if schedule["status"] not in ("active", "not_started"):
                raise StripeApiError(400, f"the schedule is already {schedule['status']}")
            schedule.update(status="canceled", canceled_at=self.now(), current_phase=None)
            subscription = self.get(schedule["subscription"], "subscription")
            if subscription["status"] != "canceled":
                self._end_subscription(subscription)
            self.emit("subscription_schedule.canceled", self.public(schedule))
            return self.public(schedule)

    def cancel_subscription(self, subscription_id: str) -> Json:
        with self._lock:
            subscription = self.get(subscription_id, "subscription")
            if subscription["status"] == "canceled":
                raise StripeApiError(400, "the subscription is already canceled")
            if subscription.get("schedule"):
                schedule = self.get(subscription["schedule"], "subscription_schedule")
                schedule.update(status="canceled", canceled_at=self.now())
            self._end_subscription(subscription)
            return self.public(subscription)

    def update_subscription(self, subscription_id: str, params: Json) -> Json:
        """``POST /v1/subscriptions/{id}``: only ``cancel_at_period_end`` (and ``metadata``) are emulated. True sets
        ``cancel_at`` to the current period's end and ``canceled_at`` to now (Stripe bills no more and deletes the
        subscription then: ``end_due_subscriptions``); false clears both. A change sends
        ``customer.subscription.updated`` with the old values in ``previous_attributes``. Stripe's refusals: an
        unknown parameter, a value that is not a boolean, a canceled subscription, one managed by a schedule."""
        with self._lock:
            subscription = self.get(subscription_id, "subscription")
            for name in params:
                if name not in ("cancel_at_period_end", "metadata"):
                    raise StripeApiError(400, f"Received unknown parameter: {name}", param=name)
            if subscription["status"] in ("canceled", "incomplete_expired"):
                raise StripeApiError(400, "A canceled subscription can only update its cancellation_details and "
                                     "metadata.", param="cancel_at_period_end" if "cancel_at_period_end" in params
                                     else None)
            previous: Json = {}
            if "metadata" in params:
                previous["metadata"] = dict(subscription["metadata"])
                subscription["metadata"] = {**subscription["metadata"], **dict(params["metadata"] or {})}
            if "cancel_at_period_end" in params:
                raw = str(params["cancel_at_period_end"]).lower()
                if raw not in ("true", "false"):
                    raise StripeApiError(400, f"Invalid boolean: {params['cancel_at_period_end']}",
                                         param="cancel_at_period_end")
                if subscription.get("schedule"):
                    raise StripeApiError(400, f"The subscription is managed by the subscription schedule "
                                         f"`{subscription['schedule']}`, and updating any cancelation behavior "
                                         "directly is not allowed. Please update the schedule instead.",
                                         param="cancel_at_period_end")
                cancel = raw == "true"
                if cancel != bool(subscription.get("cancel_at_period_end")):
                    previous.update({k: subscription.get(k) for k in ("cancel_at_period_end", "cancel_at",
                                                                       "canceled_at")})
                    end = max(int(i["current_period_end"]) for i in subscription["items"]["data"])
                    subscription.update(cancel_at_period_end=cancel, cancel_at=end if cancel else None,
                                        canceled_at=self.now() if cancel else None)
            if previous:
                self.emit("customer.subscription.updated", self.public(subscription), previous)
            return self.public(subscription)

    def end_due_subscriptions(self) -> list[str]:
        """What Stripe does when time passes a period end set to cancel (``cancel_at_period_end``): no renewal
        invoice; the subscription is canceled and ``customer.subscription.deleted`` sent. The local system calls
        this after each clock move; answers the subscriptions ended."""
        with self._lock:
            due = [s for s in self.objects.values() if s.get("object") == "subscription"
                   and s["status"] not in ("canceled", "incomplete_expired") and s.get("cancel_at_period_end")
                   and s.get("cancel_at") and self.now() >= int(s["cancel_at"])]
            for subscription in due:
                self._end_subscription(subscription)
            return [s["id"] for s in due]

    # ------------------------------------------------------------------ refunds
    def create_refund(self, params: Json, key: str = "sk_test_x") -> Json:
        charge_id = params.get("charge")
        if not charge_id and params.get("payment_intent"):
            charge_id = self.get(str(params["payment_intent"]), "payment_intent").get("latest_charge")
        if not charge_id:
            raise StripeApiError(400, "charge or payment_intent is required", param="charge")
        with self._lock:
            charge = self.get(str(charge_id), "charge")
            if charge["refunded"]:  # Stripe refuses a fully refunded charge (code charge_already_refunded)
                raise StripeApiError(400, f"Charge {charge['id']} has already been refunded.")
            amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
            if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
                raise StripeApiError(400, "Refund amount exceeds the charge", param="amount")
            refund = {"id": self.new_id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
                      "payment_intent": charge["payment_intent"], "status": "succeeded", "created": self.now(),
                      "currency": charge["currency"], "metadata": dict(params.get("metadata") or {})}
            self.objects[refund["id"]] = refund
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            self.emit("refund.created", self.public(refund))
            self.emit("charge.refunded", self.public(charge))
            return self.public(refund)

    def refund_order_payment(self, *, payment_intent: str | None = None, invoice_id: str | None = None,
                             amount: int | None = None) -> Json:
        """Test helper: refund what a one-time session (payment intent) or an invoice charged."""
        if invoice_id:
            charge_id = self.get(invoice_id, "invoice")["_charge"]
            return self.create_refund({"charge": charge_id, "amount": amount})
        return self.create_refund({"payment_intent": payment_intent, "amount": amount})


# what a saved card set to fail answers: (code, message, decline_code), as Stripe's test cards 4000000000000002 and
# 4000002760003184 do off-session
_CARD_FAILURES = {
    "card_declined": ("card_declined", "Your card was declined.", "generic_decline"),
    "authentication_required": ("authentication_required", "Your card was declined. This transaction requires "
                                "authentication.", "authentication_required"),
}


def _money(amount: int, session: Json) -> str:
    currency = str(session.get("currency") or "jpy")
    return f"¥{amount:,}" if currency == "jpy" else f"{amount / 100:,.2f} {currency.upper()}"


def _period(interval: str) -> int:
    return {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}.get(interval, 30 * 86400)
