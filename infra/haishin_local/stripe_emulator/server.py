"""``StripeEmulator``: ``StripeState`` behind a stdlib ThreadingHTTPServer.

Speaks form-encoded requests like the real API (``a[b][0][c]=v``), checks ``Authorization: Bearer sk_test_...``,
answers JSON (errors as ``{"error": {...}}``), and serves a tiny hosted checkout page where "支払う / Pay" completes
the session and redirects to its ``success_url``.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from haishin import clock as haishin_clock  # the system's clock: signatures age with the local system's time

from ..http_thread import ServedOnThread
from .core import CardError, Json, StripeApiError, StripeState

_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def decode_form(body: str) -> Json:
    """``line_items[0][price_data][currency]=jpy`` -> nested dicts; numeric keys become lists."""
    root: Json = {}
    for name, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = [a or b for a, b in _KEY.findall(name)]
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


class StripeEmulator(StripeState, ServedOnThread):
    thread_name = "stripe-emulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 clock: Callable[[], float] = haishin_clock.epoch_seconds, auto_deliver: bool = True) -> None:
        StripeState.__init__(self, clock=clock, auto_deliver=auto_deliver)
        ServedOnThread.__init__(self, host, port)

    @property
    def base_url(self) -> str:
        if self._server is None:
            return "http://127.0.0.1"
        return f"http://{self.host}:{self._server.server_address[1]}"

    @base_url.setter
    def base_url(self, value: str) -> None:
        pass

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    # ------------------------------------------------------------------ routing
    def api(self, method: str, path: str, params: Json, key: str) -> Json:
        self.requests.append((method, path, params))
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        match (method, parts):
            case ("POST", ["checkout", "sessions"]):
                return self.create_checkout_session(params, key)
            case ("GET", ["checkout", "sessions", sid]):
                return self.public(self.get(sid, "checkout.session"))
            case ("POST", ["customers"]):
                return self.create_customer(params, key)
            case ("GET", ["customers" | "products" | "prices" | "subscriptions" | "refunds" | "invoices"
                          | "charges" | "payment_intents" | "invoice_payments", oid]):
                return self.public(self.get(oid))
            case ("GET", ["invoice_payments"]):
                return self.list_invoice_payments(params)
            case ("POST", ["prices"]):
                return self.create_price(params, key)
            case ("POST", ["subscription_schedules"]):
                return self.create_schedule(params, key)
            case ("GET", ["subscription_schedules", sid]):
                return self.public(self.get(sid, "subscription_schedule"))
            case ("POST", ["subscription_schedules", sid, "cancel"]):
                return self.cancel_schedule(sid)
            case ("POST", ["subscription_schedules", sid]):
                return self.update_schedule(sid, params)
            case ("POST", ["subscriptions"]):
                return self.create_subscription(params, key)
            case ("POST", ["subscriptions", sid]):
                return self.update_subscription(sid, params)
            case ("DELETE", ["subscriptions", sid]) | ("POST", ["subscriptions", sid, "cancel"]):
                return self.cancel_subscription(sid)
            case ("POST", ["coupons"]):
                return self.create_coupon(params, key)
            case ("GET", ["coupons", cid]):
                return self.public(self.get(cid, "coupon"))
            case ("POST", ["coupons", cid]):
                return self.update_coupon(cid, params)
            case ("POST", ["promotion_codes"]):
                return self.create_promotion_code(params, key)
            case ("GET", ["promotion_codes"]):
                return self.list_promotion_codes(params)
            case ("GET", ["promotion_codes", pid]):
                return self.public(self.get(pid, "promotion_code"))
            case ("POST", ["promotion_codes", pid]):
                return self.update_promotion_code(pid, params)
            case ("POST", ["payment_intents"]):
                return self.create_payment_intent(params, key)
            case ("GET", ["payment_methods", pid]):
                return self.public(self.get(pid, "payment_method"))
            case ("POST", ["refunds"]):
                return self.create_refund(params, key)
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")


def _checkout_page(session: Json, error: str | None = None) -> str:
    items = "".join(f"<li>{html.escape(str(i['price']['unit_amount']))} {html.escape(i['price']['currency'])}</li>"
                    for i in session["_line_items"])
    promo = ""
    if session.get("_allow_promotion_codes"):
        discount = int((session.get("total_details") or {}).get("amount_discount") or 0)
        applied = (f'<p id="discount">割引 / Discount -{discount} {html.escape(session["currency"])}</p>'
                   if discount else "")
        alert = f'<p id="promo-error" role="alert">{html.escape(error)}</p>' if error else ""
        promo = f"""{applied}<form method="post" action="/checkout/{session['id']}/promo">
<label for="promotion_code">プロモーションコード / Add promotion code</label>
<input id="promotion_code" name="promotion_code" autocomplete="off">
<button type="submit">適用 / Apply</button></form>{alert}"""
    return f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Stripe Checkout (local)</title></head>
<body><main><h1>お支払い (テスト)</h1><ul>{items}</ul>{promo}
<p id="total">合計 {session['amount_total']} {session['currency']}</p>
<form method="post" action="/checkout/{session['id']}/pay"><label for="email">メールアドレス</label>
<input id="email" name="email" type="email" value="{html.escape(session.get('customer_email') or '')}">
<button type="submit">支払う / Pay</button></form>
<p><a href="{html.escape(session.get('cancel_url') or '/')}">キャンセル</a></p></main></body></html>"""


def _handler(emulator: StripeEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", f"req_{int(time.time() * 1000)}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: Json) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _body(self) -> str:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode() if length else ""

        def _dispatch(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            body = self._body()
            try:
                if url.path.startswith("/checkout/"):
                    self._checkout(method, url.path, body)
                    return
                if not url.path.startswith("/v1/"):
                    raise StripeApiError(404, "not found")
                key = emulator.check_key(self.headers.get("Authorization"))
                params = decode_form(url.query if method in ("GET", "DELETE") else body)
                idem = self.headers.get("Idempotency-Key") if method == "POST" else None
                with emulator._lock:
                    # Stripe replays the first answer to a retried POST with the same Idempotency-Key, a card
                    # decline (402) included: a retry never charges, nor tries the card, a second time
                    cache_key = (key, url.path, idem or "")
                    result = emulator.idempotent.get(cache_key) if idem else None
                    if result is None:
                        try:
                            result = emulator.api(method, url.path, params, key)
                        except CardError as exc:
                            result = {"_status": exc.status, **exc.body()}
                        if idem:
                            emulator.idempotent[cache_key] = result
                status = int(result.get("_status") or 200)
                self._json(status, {k: v for k, v in result.items() if k != "_status"})
            except StripeApiError as exc:
                self._json(exc.status, exc.body())

        def _checkout(self, method: str, path: str, body: str) -> None:
            parts = [p for p in path.split("/") if p]
            session = emulator.get(parts[1], "checkout.session")
            if method == "GET" and len(parts) == 2:
                self._send(200, _checkout_page(session).encode(), "text/html; charset=utf-8")
                return
            if method == "POST" and parts[2:] == ["promo"]:
                code = (urllib.parse.parse_qs(body).get("promotion_code") or [""])[0]
                try:
                    emulator.apply_promotion_code(session["id"], code)
                except StripeApiError as exc:  # shown on the page like Checkout does; nothing applied or charged
                    self._send(400, _checkout_page(session, exc.message).encode(), "text/html; charset=utf-8")
                    return
                self._send(303, b"", "text/plain", {"Location": f"/checkout/{session['id']}"})
                return
            if method == "POST" and parts[2:] == ["pay"]:
                email = (urllib.parse.parse_qs(body).get("email") or ["buyer@example.com"])[0]
                emulator.complete_checkout(session["id"], email=email or "buyer@example.com")
                location = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
                self._send(303, b"", "text/plain", {"Location": location})
                return
            raise StripeApiError(404, "not found")

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

    return Handler
