"""One-click offers of subscription (継続課金) and installments (分割払い) products: 「購入する」 on the upsell page starts
the Stripe subscription on the card the sale saved (once, however often it is clicked), the first invoice's
``invoice.paid`` pays the order (active, its course granted, one purchase counted on the upsell page), installments
get their schedule; a card that is declined or needs authentication leaves the subscription incomplete, which is
canceled, and the buyer goes to the offer's Checkout (the card tried once, no dunning)."""

from __future__ import annotations

from typing import Any

import pytest
from funnels_env import WS
from test_one_click import _buy_after_opt_in

from haishin.members.inputs import CourseIn
from haishin.subscribers.http import validate


def _course(env: Any) -> str:
    members = env.root.members
    return str(members.create_course(WS, members.definition(validate(CourseIn, {
        "title": "月額サロン", "chapters": [{"title": "第1章", "lessons": [{"title": "ようこそ", "body": "本文"}]}]}))
    ).course_id)


def _funnel(env: Any, **offer: Any) -> tuple[str, str]:
    form_id = env.form()
    offer_id = env.product(**{"name": "月額サロン", "amount": 4980, "order_bump": None, "kind": "subscription",
                              "interval": "month", "course_ids": [_course(env)], **offer})
    funnel_id = env.funnel([
        {"page_id": "lp", "kind": "optin", "title": "無料講座", "blocks": [{"type": "form", "form_id": form_id}]},
        {"page_id": "sales", "kind": "sales", "title": "本講座", "blocks": [
            {"type": "product", "product_id": env.product()}]},
        {"page_id": "up", "kind": "upsell", "title": "月額サロンのご案内", "blocks": [
            {"type": "product", "product_id": offer_id, "button_label": "購入する"}]},
        {"page_id": "thanks", "kind": "thanks", "title": "ありがとうございました", "blocks": [
            {"type": "text", "text": "ご購入ありがとうございました"}]},
    ])
    return str(funnel_id), offer_id


def _subscriptions(env: Any) -> list[dict[str, Any]]:
    return [o for o in env.stripe.objects.values() if o.get("object") == "subscription"]


def _offer_orders(env: Any, reader: Any, offer_id: str) -> list[Any]:
    return [o for o in env.root.payments.list_orders(WS, subscriber_id=reader.subscriber_id)
            if o.product_id == offer_id]


def test_a_monthly_upsell_starts_one_subscription_on_the_saved_card(env: Any) -> None:
    funnel_id, offer_id = _funnel(env)
    cookie, reader = _buy_after_opt_in(env, funnel_id)
    for _ in range(2):  # a double click makes one subscription
        went = env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
        assert went["statusCode"] == 303 and went["headers"]["location"].endswith(f"/f/{WS}/{funnel_id}/thanks")
    [subscription] = _subscriptions(env)
    method = next(o for o in env.stripe.objects.values() if o.get("object") == "payment_method")
    assert (subscription["status"], subscription["customer"], subscription["default_payment_method"]) == (
        "active", method["customer"], method["id"])
    assert [(i["price"]["unit_amount"], i["price"]["recurring"]["interval"])
            for i in subscription["items"]["data"]] == [(4980, "month")]
    [order] = _offer_orders(env, reader, offer_id)
    assert subscription["metadata"]["order_id"] == order.order_id  # the invoice webhooks find the order
    assert (order.kind, order.status, order.paid_total, order.subscription_id) == (
        "subscription", "active", 4980, subscription["id"])
    course_id = env.root.payments.get_product(WS, offer_id).definition["course_ids"][0]
    assert env.root.members.access_view(WS, course_id, reader.subscriber_id)["active"] is True  # the course granted
    up = env.service.stats(WS, funnel_id)["pages"][2]["variants"][0]
    assert (up["checkouts"], up["purchases"], up["revenue"]) == (1, 1, 4980)
    assert not any(e["type"] == "invoice.payment_failed" for e in env.stripe.events)


def test_the_order_bump_is_a_line_of_the_first_invoice_only(env: Any) -> None:
    funnel_id, offer_id = _funnel(env, order_bump={"name": "入会特典", "amount": 1000})
    cookie, reader = _buy_after_opt_in(env, funnel_id)
    env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
    [subscription] = _subscriptions(env)
    [order] = _offer_orders(env, reader, offer_id)
    assert order.paid_total == 5980  # 4980 + the bump on the first invoice
    env.stripe.pay_invoice(subscription["id"])  # the next month: the plan alone
    assert env.root.payments.get_order(WS, order.order_id).paid_total == 5980 + 4980


def test_installments_get_their_schedule(env: Any) -> None:
    funnel_id, offer_id = _funnel(env, kind="installments", installments=3, name="分割講座")
    cookie, reader = _buy_after_opt_in(env, funnel_id)
    env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
    [order] = _offer_orders(env, reader, offer_id)
    assert (order.kind, order.status, order.payments_made) == ("installments", "active", 1)
    schedule = env.stripe.objects[order.schedule_id]
    assert (schedule["end_behavior"], schedule["phases"][0]["duration"]["interval_count"]) == ("cancel", 3)
    subscription_id = order.subscription_id
    env.stripe.pay_invoice(subscription_id)
    env.stripe.pay_invoice(subscription_id)
    order = env.root.payments.get_order(WS, order.order_id)
    assert (order.status, order.payments_made) == ("completed", 3)


@pytest.mark.parametrize(("failure", "event"), [("card_declined", "invoice.payment_failed"),
                                                ("authentication_required", "invoice.payment_action_required")])
def test_a_refused_card_cancels_the_incomplete_subscription_and_goes_to_checkout(env: Any, failure: str,
                                                                                 event: str) -> None:
    funnel_id, offer_id = _funnel(env, dunning_scenario_id="sc_dunning")
    cookie, reader = _buy_after_opt_in(env, funnel_id)
    method = next(o for o in env.stripe.objects.values() if o.get("object") == "payment_method")
    env.stripe.set_card_failure(method["id"], failure)
    for _ in range(2):  # the refusal is remembered: the second click goes to Checkout without trying the card
        went = env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
        location = went["headers"]["location"]
        assert location.startswith("http://stripe.local/checkout/")
        session = env.stripe.objects[location.rsplit("/", 1)[1]]
        assert session["mode"] == "subscription" and session["success_url"].endswith(f"/f/{WS}/{funnel_id}/thanks")
    [subscription] = _subscriptions(env)
    assert subscription["status"] == "canceled"  # was incomplete; canceled so nothing more is tried on it
    invoice = env.stripe.objects[subscription["latest_invoice"]]
    intent = env.stripe.objects[invoice["payments"]["data"][0]["payment"]["payment_intent"]]
    assert intent["status"] == ("requires_action" if failure == "authentication_required"
                                else "requires_payment_method")
    assert sum(1 for e in env.stripe.events if e["type"] == event) == 1
    refused = next(o for o in _offer_orders(env, reader, offer_id) if o.subscription_id == subscription["id"])
    assert refused.status == "canceled" and refused.paid_total == 0
    assert refused.facts["card_refused"] == "subscription_incomplete"
    assert "sc_dunning" not in env.scenarios.started  # a first invoice never paid is not 督促
    assert env.service.stats(WS, funnel_id)["pages"][2]["variants"][0]["purchases"] == 0
