"""Paid booking menus through the Stripe stand-in: a friend's booking of a menu with a product holds its place as
pending_payment (the slot counts it) until checkout.session.completed confirms it once (then the LINE confirmation
and the reminders); an unpaid hold is released on the next slot read and the slot's waitlist moves up; a refund
cancels the booking."""

from __future__ import annotations

import urllib.parse
from datetime import date, timedelta
from typing import Any

import pytest
from pay_env import WS
from test_seminar_checkout import S, s

from haishin.errors import ValidationFailed
from haishin.payments.products import ProductDefinition

__all__ = ["s"]  # the fixture, shared with the seminar checkout tests

TUE = date(2026, 1, 6)  # the clock starts Monday 2026-01-05 09:00 in Tokyo


def _paid_menu(s: S, hold_minutes: int = 30) -> tuple[str, str]:
    product = s.root.payments.create_product(
        WS, ProductDefinition.model_validate({"name": "カット代", "amount": 4400})
    ).product_id
    menu = s.root.bookings.save_menu(
        WS, {"name": "カット", "duration_minutes": 60, "product_id": product, "hold_minutes": hold_minutes}
    )
    s.root.bookings.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "11:00"]]}})
    return product, menu.menu_id


def _slot(s: S, menu_id: str) -> str:
    return s.root.bookings.slots(WS, menu_id, start_date=TUE, days=1)[0].start.isoformat()


def _pay(s: S, booking: Any) -> str:
    link = s.root.bookings.pay_url(booking)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    product_id = urllib.parse.urlsplit(link).path.rsplit("/", 1)[1]
    session_id = s.root.payments.start_checkout(product_id, query["s"], query.get("r")).rsplit("/", 1)[1]
    s.stripe.complete_checkout(session_id)
    return session_id


def test_a_menu_names_an_existing_product(s: S) -> None:
    with pytest.raises(ValidationFailed, match="商品「prd_missing」が見つかりません"):
        s.root.bookings.save_menu(WS, {"name": "x", "duration_minutes": 60, "product_id": "prd_missing"})


def test_the_place_is_held_until_paid_then_confirmed_once(s: S) -> None:
    product, menu_id = _paid_menu(s)
    a = s.friend()
    booking = s.root.bookings.book(WS, {"menu_id": menu_id, "start": _slot(s, menu_id)}, subscriber_id=a)
    assert booking.status == "pending_payment"
    assert s.root.bookings.slots(WS, menu_id, start_date=TUE, days=1) == []  # the hold takes the place
    (asked,) = [text for text, _ in s.messenger.sent]
    assert "仮押さえ" in asked and f"/p/{product}?s=" in asked and f"r=bkg:{booking.booking_id}" in asked
    checkout = _pay(s, booking)
    assert s.root.bookings.get(WS, booking.booking_id).status == "booked"
    assert s.stripe.objects[checkout]["metadata"]["ref"] == f"bkg:{booking.booking_id}"
    assert any("ご予約を承りました" in text for text, _ in s.messenger.sent)
    sent = len(s.messenger.sent)
    s.stripe.flush(duplicate=True)  # a redelivered event changes nothing and sends nothing
    assert s.root.bookings.get(WS, booking.booking_id).status == "booked" and len(s.messenger.sent) == sent


def test_staff_bookings_are_not_charged_here(s: S) -> None:
    _, menu_id = _paid_menu(s)
    a = s.friend()
    booking = s.root.bookings.book(
        WS, {"menu_id": menu_id, "start": _slot(s, menu_id)}, subscriber_id=a, booked_by="staff"
    )
    assert booking.status == "booked" and booking.hold_until is None


def test_an_unpaid_hold_is_released_and_the_waitlist_moves_up(s: S, manual_clock: Any) -> None:
    _, menu_id = _paid_menu(s, hold_minutes=30)
    a, b = s.friend(), s.friend()
    start = _slot(s, menu_id)
    held = s.root.bookings.book(WS, {"menu_id": menu_id, "start": start}, subscriber_id=a)
    s.root.bookings.join_waitlist(WS, {"menu_id": menu_id, "start": start}, subscriber_id=b)
    manual_clock.advance(timedelta(minutes=29))
    assert s.root.bookings.slots(WS, menu_id, start_date=TUE, days=1) == []
    assert s.root.bookings.get(WS, held.booking_id).status == "pending_payment"
    manual_clock.advance(timedelta(minutes=2))
    s.root.bookings.slots(WS, menu_id, start_date=TUE, days=1)  # any read releases it
    assert s.root.bookings.get(WS, held.booking_id).status == "expired"
    (moved_up,) = [x for x in s.root.bookings.calendar(WS, TUE, 1) if x.subscriber_id == b]
    assert moved_up.status == "pending_payment"  # b now holds the place, to pay in their own 30 minutes
    assert sum("仮押さえ" in text for text, _ in s.messenger.sent) == 2
    # a pays late: the place is b's; a's payment is refunded once and a is told
    checkout = _pay(s, held)
    s.stripe.flush(duplicate=True)  # a redelivery must not refund twice
    assert s.root.bookings.get(WS, held.booking_id).status == "refunded"
    refunds = [o for o in s.stripe.objects.values() if o.get("object") == "refund"]
    assert len(refunds) == 1 and refunds[0]["payment_intent"] == s.stripe.objects[checkout]["payment_intent"]
    assert refunds[0]["metadata"]["ref"] == f"bkg:{held.booking_id}"
    order = s.root.payments.list_orders(WS, subscriber_id=a)[0]
    assert order.status == "refunded"
    told = [text for text, _ in s.messenger.sent if "全額返金しました" in text]
    assert len(told) == 1 and "カット" in told[0]
    assert moved_up.booking_id != held.booking_id
    assert s.root.bookings.get(WS, moved_up.booking_id).status == "pending_payment"  # b keeps the place


def test_a_refund_cancels_the_booking(s: S) -> None:
    _, menu_id = _paid_menu(s)
    a = s.friend()
    booking = s.root.bookings.book(WS, {"menu_id": menu_id, "start": _slot(s, menu_id)}, subscriber_id=a)
    checkout = _pay(s, booking)
    s.stripe.refund_order_payment(payment_intent=s.stripe.objects[checkout]["payment_intent"], amount=None)
    s.stripe.flush(duplicate=True)
    assert s.root.bookings.get(WS, booking.booking_id).status == "canceled"
    assert s.root.bookings.slots(WS, menu_id, start_date=TUE, days=1) != []
