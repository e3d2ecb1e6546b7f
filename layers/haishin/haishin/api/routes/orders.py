"""Orders and revenue (per product and per day), cancelling an order (remaining installments included), refunding a
one-time order or one payment of a subscription / installments order (in full or in part), and the Stripe events
kept for review (unmatched or refused for their livemode) with a replay for an unmatched one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin import clock
from haishin.api.bodies import idempotency_key
from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.payments.service import order_view
from haishin.wiring import services

router = APIGatewayHttpRouter()


def _date(value: str | None, default: date, where: str) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed("use YYYY-MM-DD", where=where) from exc


@router.get("/orders")
@requires(Permission.VIEW_PAYMENTS)
def list_orders() -> dict[str, Any]:
    params = router.current_event.query_string_parameters or {}
    orders = services().payments.list_orders(current_caller().workspace_id, subscriber_id=params.get("subscriber_id"))
    return {"items": [order_view(o) for o in orders]}


@router.get("/orders/<order_id>")
@requires(Permission.VIEW_PAYMENTS)
def get_order(order_id: str) -> dict[str, Any]:
    return order_view(services().payments.get_order(current_caller().workspace_id, order_id))


@router.post("/orders/<order_id>/cancel")
@requires(Permission.MANAGE_PAYMENTS)
def cancel_order(order_id: str) -> dict[str, Any]:
    """Without a body: cancel now (the subscription / remaining installments end in Stripe at once).
    ``{"at_period_end": true}`` on a subscription: 「期間終了時に解約」 (Stripe's ``cancel_at_period_end``; the view
    then says ``cancel_at_period_end`` and ``current_period_end``); ``false`` undoes it (「解約予約を取り消す」)."""
    body = _json_object()
    for name in body:  # a misspelt field must not fall through to the immediate cancel
        if name != "at_period_end":
            raise ValidationFailed(f"解約で指定できるのは at_period_end だけです ({name} は使えません)", where=name)
    payments, workspace_id = services().payments, current_caller().workspace_id
    if "at_period_end" not in body:
        return order_view(payments.cancel_order(workspace_id, order_id))
    at_period_end = body["at_period_end"]
    if not isinstance(at_period_end, bool):
        raise ValidationFailed("期間終了時に解約するか (at_period_end) は true か false で指定してください",
                               where="at_period_end")
    return order_view(payments.set_cancel_at_period_end(workspace_id, order_id, at_period_end=at_period_end))


def _json_object() -> dict[str, Any]:
    try:
        body = router.current_event.json_body or {}
    except ValueError as exc:
        raise ValidationFailed("本文が JSON ではありません", where="body") from exc
    if not isinstance(body, dict):
        raise ValidationFailed("本文は JSON オブジェクトにしてください", where="body")
    return body


@router.post("/orders/<order_id>/refund")
@requires(Permission.MANAGE_PAYMENTS)
def refund_order(order_id: str) -> dict[str, Any]:
    """Refund a paid one-time order, or one paid invoice of a subscription / installments order
    (``{"invoice_id": ...}``, default the latest paid one), in full or ``{"amount": <yen>}`` of what is left of that
    payment. Refunding does not cancel the subscription (the cancel route does). The admin sends one
    ``Idempotency-Key`` per confirmed refund: a double click or a retry is the same refund, never a second."""
    caller = current_caller()
    body = _json_object()
    invoice_id = body.get("invoice_id")
    if invoice_id is not None and (not isinstance(invoice_id, str) or not 0 < len(invoice_id) <= 255):
        raise ValidationFailed("返金する支払い (invoice_id) は Stripe の請求書 ID で指定してください",
                               where="invoice_id")
    amount = body.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise ValidationFailed("返金額は円の整数で指定してください", where="amount")
    key = idempotency_key(router.current_event.headers)
    payments = services().payments
    refund_id = payments.refund_order(caller.workspace_id, order_id, metadata={"by": "admin"}, amount=amount,
                                      request_key=key, invoice_id=invoice_id)
    return {**order_view(payments.get_order(caller.workspace_id, order_id)), "refund_id": refund_id}


@router.get("/revenue")
@requires(Permission.VIEW_PAYMENTS)
def revenue() -> dict[str, Any]:
    params = router.current_event.query_string_parameters or {}
    today = clock.now().date()
    start = _date(params.get("from"), today - timedelta(days=30), "from")
    end = _date(params.get("to"), today, "to")
    if end < start:
        raise ValidationFailed("'to' is before 'from'", where="to")
    return services().payments.revenue(current_caller().workspace_id, start, end)


@router.get("/payments/stripe/events")
@requires(Permission.VIEW_PAYMENTS)
def stripe_events_for_review() -> dict[str, Any]:
    """Stripe events kept for review: ``unmatched`` (no order found) and ``refused_livemode``."""
    params = router.current_event.query_string_parameters or {}
    return {"items": services().payments.review_events(current_caller().workspace_id, outcome=params.get("outcome"))}


@router.post("/payments/stripe/events/<event_id>/replay")
@requires(Permission.MANAGE_PAYMENTS)
def replay_stripe_event(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "outcome": services().payments.replay_event(current_caller().workspace_id, event_id)}
