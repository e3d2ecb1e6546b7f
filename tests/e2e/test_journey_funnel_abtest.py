"""Journey (ファネル A/B テスト): the marketer builds a sales page in the admin builder and adds a variant B with its
own heading (the product block copied from A), publishes; phone visitors (each a browser without the funnel's
cookie) are split between A and B by the broadcast A/B tests' assignment; one visitor on each variant buys through
the Stripe stand-in; the builder's stats show visitors, purchases and revenue per variant, with the A/B verdict.

Runs against the real local system (DynamoDB Local, moto, Stripe emulator), in its own workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

WS = "ws_e2e_funnel_ab"
OWNER = "owner@funnel-ab.example.jp"
TITLES = {"本講座のご案内": "A", "本講座のご案内 (実績つき)": "B"}


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    s.create_owner(WS, OWNER)
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    whsec = "whsec_e2e_funnel_ab_01"
    api_request(s, token, "PUT", "/api/payments/stripe/keys",
                {"mode": "test", "secret_key": "sk_test_e2e_funnel_ab_01", "webhook_secrets": [whsec]})
    s.stripe_emulator.register_webhook(f"{s.base_url}/stripe/webhook/{WS}", whsec)
    yield s


@pytest.mark.viewport(390, 844)
def test_a_variant_added_in_the_builder_splits_visitors_and_the_stats_show_purchases_per_variant(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    product = api_request(system, token, "POST", "/api/products", {"name": "LINE集客講座 A/B", "amount": 19800})

    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/funnels/new")
    page.get_by_test_id("funnel-name").fill("本講座 A/B テスト")
    page.get_by_test_id("funnel-status").select_option("published")
    page.locator('input[name="pages.0.page_id"]').fill("sales")
    page.locator('select[name="pages.0.kind"]').select_option("sales")
    page.locator('input[name="pages.0.title"]').fill("本講座のご案内")
    page.locator('select[name="pages.0.add"]').select_option("product")
    page.get_by_test_id("funnel-block-add").nth(0).click()
    page.locator('input[name="pages.0.blocks.0.product_id"]').fill(product["product_id"])
    # variant B: A's blocks copied, its own heading, the same weight
    page.get_by_test_id("funnel-variant-add").click()
    assert page.get_by_test_id("funnel-variant").get_attribute("data-label") == "B"
    page.locator('input[name="pages.0.variants.0.title"]').fill("本講座のご案内 (実績つき)")
    assert page.locator('input[name="pages.0.variants.0.blocks.0.product_id"]').input_value() == product["product_id"]
    page.get_by_test_id("funnel-page-add").click()
    page.locator('input[name="pages.1.page_id"]').fill("thanks")
    page.locator('input[name="pages.1.title"]').fill("ご購入ありがとうございました")
    page.get_by_test_id("funnel-save").click()
    page.get_by_test_id("funnel-detail").wait_for()
    snap("builder")
    sales = str(page.get_by_test_id("funnel-public-url").nth(0).get_attribute("href"))
    funnel_id = sales.rstrip("/").split("/")[-2]

    # phone visitors: each a browser without the funnel's cookie; the first visitor on each variant buys
    seen: dict[str, int] = {"A": 0, "B": 0}
    for _ in range(16):
        page.context.clear_cookies(name="hfv")
        page.goto(sales)
        variant = TITLES[page.locator("h1").inner_text().strip()]
        seen[variant] += 1
        if seen[variant] == 1:
            snap(f"visitor-{variant}")
            page.get_by_role("button", name="購入手続きへ進む").click()
            page.get_by_role("button", name="支払う / Pay").click()
            page.get_by_role("heading", name="ご購入ありがとうございました").wait_for()
        if seen["A"] and seen["B"]:
            break
    assert seen["A"] and seen["B"], seen  # 2^-15 odds of 16 visitors all on one side
    system.drain()

    # the builder's stats: visitors, purchases and revenue per variant, the verdict (too few visitors yet)
    page.goto(admin + f"#/funnels/{funnel_id}")
    page.get_by_test_id("funnel-stats").wait_for()
    for variant, visitors in seen.items():
        row = page.locator(f'[data-testid="funnel-stat-row"][data-page="sales"][data-variant="{variant}"]')
        row.get_by_test_id("funnel-stat-purchases").filter(has_text="1").wait_for()
        assert row.get_by_test_id("funnel-stat-visitors").inner_text() == str(visitors)
        assert row.get_by_test_id("funnel-stat-revenue").inner_text() == "¥19,800"
    assert "まだ判定できません" in page.get_by_test_id("funnel-verdict").inner_text()
    page.get_by_test_id("funnel-stats").scroll_into_view_if_needed()
    snap("stats")
    stats = api_request(system, token, "GET", f"/api/funnels/{funnel_id}/stats")["pages"][0]
    assert [(r["variant"], r["purchases"], r["revenue"]) for r in stats["variants"]] == [("A", 1, 19800),
                                                                                         ("B", 1, 19800)]
    assert [e for e in browser_errors if "status of 4" not in e and "sandboxed" not in e] == []
