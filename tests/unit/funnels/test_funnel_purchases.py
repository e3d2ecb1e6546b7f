"""Purchases and revenue per funnel page and A/B variant: the order carries the page and variant that sold it
(``funnel_ref``), its ``purchase_completed`` counts one purchase and its amount there once, a refund shows apart and
takes nothing back, and the stats judge variants with the broadcast A/B tests' statistics (haishin.abtests)."""

from __future__ import annotations

import re
from typing import Any

from funnels_env import WS

from haishin.abtests.stats import Arm, Sample, revenue_verdict, verdict
from haishin.funnels.models import FunnelStatsModel, stats_pk, stats_sk


def _webhooks(env: Any) -> None:
    env.stripe.register_webhook("http://local/stripe", "whsec_x", transport=lambda url, body, headers:
                                env.root.payments.handle_webhook(WS, body, headers["Stripe-Signature"])[0])


def _sales_funnel(env: Any) -> str:
    product_id = env.product()
    upsell_id = env.product(name="個別相談", amount=9800, order_bump=None)
    return env.funnel([
        {"page_id": "sales", "kind": "sales", "title": "本講座A", "blocks": [
            {"type": "product", "product_id": product_id}], "variants": [
            {"title": "本講座B", "blocks": [{"type": "product", "product_id": product_id}]}]},
        {"page_id": "up", "kind": "upsell", "title": "特別なご案内", "blocks": [
            {"type": "product", "product_id": upsell_id, "button_label": "購入する"}]},
        {"page_id": "thanks", "kind": "thanks", "title": "ありがとうございました", "blocks": []},
    ])


def _visit_and_buy(env: Any, funnel_id: str) -> tuple[str, str, str]:
    """A new visitor opens the sales page, buys through the Stripe stand-in; (cookie, variant title, session)."""
    page = env.request("GET", f"/f/{WS}/{funnel_id}/sales")
    cookie = page["cookies"][0]
    title = re.search(r"<h1>([^<]+)</h1>", page["body"]).group(1)
    went = env.request("POST", f"/f/{WS}/{funnel_id}/sales", {"action": "buy"}, cookie)
    session_id = went["headers"]["location"].rsplit("/", 1)[1]
    env.stripe.complete_checkout(session_id)
    return cookie, title, session_id


def _row(env: Any, funnel_id: str, page: int, variant: str) -> dict[str, Any]:
    rows = env.service.stats(WS, funnel_id)["pages"][page]["variants"]
    return next(r for r in rows if r["variant"] == variant)


def test_a_paid_order_counts_once_on_the_variant_that_sold_it_and_a_refund_shows_apart(env: Any) -> None:
    _webhooks(env)
    funnel_id = _sales_funnel(env)
    _, title, session_id = _visit_and_buy(env, funnel_id)
    variant = "A" if title == "本講座A" else "B"
    order = env.root.payments.get_order(WS, env.stripe.objects[session_id]["client_reference_id"])
    assert order.funnel_ref == f"{funnel_id}:sales:{variant}"
    row = _row(env, funnel_id, 0, variant)
    assert (row["visitors"], row["checkouts"], row["purchases"], row["revenue"]) == (1, 1, 1, 34780)
    assert row["purchase_rate"] == 1.0 and row["revenue_per_visitor"] == 34780
    other = _row(env, funnel_id, 0, "B" if variant == "A" else "A")
    assert (other["purchases"], other["revenue"]) == (0, 0)

    # payments publishes purchase_completed again with each later event of a paid order: still one purchase
    for _ in range(2):
        env.root.events.publish(WS, "purchase_completed", {"order_id": order.order_id, "amount": 34780,
                                                           "funnel_ref": order.funnel_ref},
                                idempotency_key=f"order:{order.order_id}:purchase")
    env.stripe.refund_order_payment(payment_intent=env.stripe.objects[session_id]["payment_intent"], amount=4780)
    row = _row(env, funnel_id, 0, variant)
    assert (row["purchases"], row["revenue"], row["refunded"]) == (1, 34780, 4780)
    env.stripe.refund_order_payment(payment_intent=env.stripe.objects[session_id]["payment_intent"], amount=None)
    row = _row(env, funnel_id, 0, variant)
    assert (row["purchases"], row["revenue"], row["refunded"]) == (1, 34780, 34780)  # the purchase stays counted


def test_a_one_click_upsell_counts_its_purchase_on_the_upsell_page(env: Any) -> None:
    _webhooks(env)
    funnel_id = _sales_funnel(env)
    cookie, _, _ = _visit_and_buy(env, funnel_id)
    env.request("GET", f"/f/{WS}/{funnel_id}/up", cookie=cookie)
    for _ in range(2):  # a double click: one charge, one purchase
        env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)
    row = _row(env, funnel_id, 1, "A")
    assert (row["visitors"], row["checkouts"], row["purchases"], row["revenue"]) == (1, 1, 1, 9800)


def test_an_unpaid_checkout_counts_no_purchase(env: Any) -> None:
    funnel_id = _sales_funnel(env)
    page = env.request("GET", f"/f/{WS}/{funnel_id}/sales")
    env.request("POST", f"/f/{WS}/{funnel_id}/sales", {"action": "buy"}, page["cookies"][0])
    rows = env.service.stats(WS, funnel_id)["pages"][0]["variants"]
    assert sum(r["checkouts"] for r in rows) == 1 and sum(r["purchases"] for r in rows) == 0


def test_a_foreign_or_unknown_funnel_ref_counts_nothing(env: Any) -> None:
    funnel_id = _sales_funnel(env)
    for ref in ("fnl_nope:sales:A", "garbage", f"{funnel_id}:sales"):
        env.service.publish(WS, "purchase_completed", {"order_id": "o_x", "amount": 100, "funnel_ref": ref},
                            idempotency_key="k")
    env.service.publish("w_other", "purchase_completed", {"order_id": "o_y", "amount": 100,
                                                          "funnel_ref": f"{funnel_id}:sales:A"}, idempotency_key="k")
    rows = env.service.stats(WS, funnel_id)["pages"][0]["variants"]
    assert sum(r["purchases"] for r in rows) == 0


def test_the_verdicts_are_the_broadcast_tests_statistics_on_purchases_and_revenue(env: Any) -> None:
    funnel_id = _sales_funnel(env)
    counts = {"A": (1000, 20, 20 * 30000), "B": (1000, 45, 45 * 30000)}
    for label, (visitors, purchases, revenue) in counts.items():
        FunnelStatsModel(pk=stats_pk(WS, funnel_id), sk=stats_sk("sales", label), page_id="sales", variant=label,
                         visitors=visitors, purchases=purchases, revenue=revenue,
                         revenue_squares=purchases * 30000 * 30000).save()
    page = env.service.stats(WS, funnel_id)["pages"][0]
    expected = verdict([Arm(1000, 20), Arm(1000, 45)], "conversion_rate", unit="人")
    assert page["abtest"]["goal"] == "purchases"
    assert (page["abtest"]["message"], page["abtest"]["leader"]) == (expected.message, "B")
    assert page["abtest"]["significant"] is True
    money = revenue_verdict([Sample(1000, 600000.0, 20 * 9e8), Sample(1000, 1350000.0, 45 * 9e8)], [20, 45],
                            unit="人")
    assert page["revenue_abtest"]["message"] == money.message and page["revenue_abtest"]["leader"] == "B"
    assert "B の方が1人あたりの売上が高い" in money.message  # visitors, not messages (通) as in broadcasts
    assert [r["revenue_per_visitor"] for r in page["variants"]] == [600.0, 1350.0]
    assert "abtest" not in env.service.stats(WS, funnel_id)["pages"][1]  # no variants: no verdict
