"""Funnels after the purchase: the opted-in reader is the buyer, the sale saves the card, an upsell page's button
charges it off-session once (a second click answers the same order), a refused card goes to Checkout without being
tried again, and 「いいえ」 leads to the downsell page. The thanks page links into the member site of the course the purchase
grants."""

from __future__ import annotations

import re
from typing import Any

from funnels_env import WS

from haishin.payments import state


def _funnel(env: Any) -> str:
    form_id = env.form()
    return str(env.funnel([
        {"page_id": "lp", "kind": "optin", "title": "無料講座", "blocks": [{"type": "form", "form_id": form_id}]},
        {"page_id": "sales", "kind": "sales", "title": "本講座", "blocks": [
            {"type": "product", "product_id": env.product(course_ids=["crs_main"])}]},
        {"page_id": "up", "kind": "upsell", "title": "特別なご案内", "blocks": [
            {"type": "product", "product_id": env.product(name="個別相談", amount=9800, order_bump=None),
             "button_label": "購入する"}]},
        {"page_id": "down", "kind": "downsell", "title": "こちらはいかがですか", "blocks": [
            {"type": "product", "product_id": env.product(name="動画講座", amount=3980, order_bump=None),
             "button_label": "購入する"}]},
        {"page_id": "thanks", "kind": "thanks", "title": "ありがとうございました", "blocks": [
            {"type": "text", "text": "ご購入ありがとうございました"}]},
    ]))


def _buy_after_opt_in(env: Any, funnel_id: str) -> tuple[str, Any]:
    """Opt in as a reader, then buy on the sales page through the Stripe stand-in; the webhook reaches payments."""
    env.stripe.register_webhook("http://local/stripe", "whsec_x", transport=lambda url, body, headers:
                                env.root.payments.handle_webhook(WS, body, headers["Stripe-Signature"])[0])
    page = env.request("GET", f"/f/{WS}/{funnel_id}/lp")
    cookie = page["cookies"][0]
    nonce = re.search(r'name="_nonce" value="([^"]+)"', page["body"]).group(1)
    env.request("POST", f"/f/{WS}/{funnel_id}/lp", {"action": "optin", "_nonce": nonce, "email": "buyer@example.jp",
                                                     "website": ""}, cookie)
    went = env.request("POST", f"/f/{WS}/{funnel_id}/sales", {"action": "buy"}, cookie)
    session_id = went["headers"]["location"].rsplit("/", 1)[1]
    session = env.stripe.objects[session_id]
    assert session["_payment_intent_data"]["setup_future_usage"] == "off_session"  # an upsell follows: card kept
    assert session["customer_email"] == "buyer@example.jp"  # the reader who opted in is the buyer
    env.stripe.complete_checkout(session_id)
    return cookie, env.root.subscribers.find_by_email(WS, "buyer@example.jp")


def _intents(env: Any) -> list[dict[str, Any]]:
    return [o for o in env.stripe.objects.values() if o.get("object") == "payment_intent" and o.get("off_session")]


def test_the_upsell_charges_the_saved_card_once_and_skips_the_downsell(env: Any) -> None:
    funnel_id = _funnel(env)
    cookie, reader = _buy_after_opt_in(env, funnel_id)
    first = env.root.payments.list_orders(WS, subscriber_id=reader.subscriber_id)
    assert [o.status for o in first] == ["paid"]  # the funnel purchase is the reader's
    page = env.request("GET", f"/f/{WS}/{funnel_id}/up", cookie=cookie)
    assert re.search(rf'href="[^"]*/f/{WS}/{funnel_id}/down">いいえ', page["body"])  # 「いいえ」: the downsell
    for _ in range(2):  # a second click (or a double submit) charges nothing more
        went = env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
        assert went["statusCode"] == 303 and went["headers"]["location"].endswith(f"/f/{WS}/{funnel_id}/thanks")
    customer = env.stripe.objects[first[0].checkout_session_id]["customer"]
    assert [(i["amount"], i["status"], i["customer"]) for i in _intents(env)] == [(9800, "succeeded", customer)]
    orders = env.root.payments.list_orders(WS, subscriber_id=reader.subscriber_id)
    upsell = next(o for o in orders if o.order_id != first[0].order_id)
    assert (upsell.status, upsell.paid_total, upsell.kind) == ("paid", 9800, "one_time")  # recorded by the webhook
    assert upsell.status in state.PURCHASED
    assert env.service.stats(WS, funnel_id)["pages"][2]["variants"][0]["checkouts"] == 1
    thanks = env.request("GET", f"/f/{WS}/{funnel_id}/thanks", cookie=cookie)["body"]
    assert re.search(rf'href="[^"]*/m/{WS}/crs_main/">会員サイトで受講する', thanks)  # the course the sale grants
    assert "/m/" not in env.request("GET", f"/f/{WS}/{funnel_id}/thanks")["body"]  # another visitor: no link


def test_a_refused_card_falls_back_to_checkout_without_trying_the_card_again(env: Any) -> None:
    funnel_id = _funnel(env)
    cookie, reader = _buy_after_opt_in(env, funnel_id)
    method = next(o for o in env.stripe.objects.values() if o.get("object") == "payment_method")
    env.stripe.set_card_failure(method["id"], "authentication_required")
    for _ in range(2):
        went = env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
        location = went["headers"]["location"]
        assert went["statusCode"] == 303 and location.startswith("http://stripe.local/checkout/")
        session = env.stripe.objects[location.rsplit("/", 1)[1]]
        assert session["success_url"].endswith(f"/f/{WS}/{funnel_id}/thanks")  # paid there: past the downsell
        assert [i["price"]["unit_amount"] for i in session["_line_items"]] == [9800]
    assert [i["status"] for i in _intents(env)] == ["requires_payment_method"]  # the card was tried once
    assert sum(1 for e in env.stripe.events if e["type"] == "payment_intent.payment_failed") == 1
    paid = [o for o in env.root.payments.list_orders(WS, subscriber_id=reader.subscriber_id) if o.status == "paid"]
    assert len(paid) == 1  # only the first purchase


def test_a_visitor_without_a_purchase_buys_the_upsell_on_checkout(env: Any) -> None:
    funnel_id = _funnel(env)
    went = env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"})
    assert went["headers"]["location"].startswith("http://stripe.local/checkout/") and _intents(env) == []
