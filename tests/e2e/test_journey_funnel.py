"""Journey (ファネル, UTAGE): the marketer builds a 3-page funnel in the admin (an opt-in page whose button adds the
LINE friend through an inflow route, a sales page selling a product with an order bump, a thanks page) and
publishes it; on a phone-sized browser someone opens the opt-in page, goes through LINE's consent and add-friend
screens (the emulator's), and receives the funnel scenario's first message; they open the sales page, buy through
the Stripe stand-in's checkout (the bump is the second line item) and land on the funnel's thanks page. The
funnel's stats count the visitor, the opt-in and the checkout. An upsell page (added through the API between the
sales and thanks pages) follows the purchase: its 「購入する」 charges the card the sale saved, off-session, and lands
on the thanks page; a second click charges nothing more. The product grants a course: the thanks page links into
its member site, and the journey follows it to the login page.

Runs against the real local system (DynamoDB Local, moto, LINE and Stripe emulators), in its own workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, connect_line_login, consent_on_line, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000721"
SECRET = "0123456789abcdef0123456789abc721"
TOKEN = "e2e-funnel-token-" + "f" * 40
LOGIN_ID = "2000000722"
LOGIN_SECRET = "abcdef0123456789abcdef0123456722"
WS = "ws_e2e_funnel"
OWNER = "owner@funnel.example.jp"
USER = "U" + "7" * 31 + "2"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン集客講座")
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    connect_line_login(s, token, WS, channel_id=CH, channel_secret=SECRET, access_token=TOKEN, login_channel_id=LOGIN_ID,
                       login_channel_secret=LOGIN_SECRET, stripe=("sk_test_e2e_funnel_0001", "whsec_e2e_funnel_0001"))
    s.line_emulator.add_user(USER, "中村 葵")
    yield s


@pytest.mark.viewport(390, 844)
def test_build_a_funnel_opt_in_on_line_get_the_first_message_buy_and_land_on_thanks(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    scenario = api_request(system, token, "POST", "/api/scenarios", {
        "name": "無料講座", "steps": [{"id": "day1", "line": [{"type": "text", "text": "無料講座 1日目をお届けします"}]}]})
    route = api_request(system, token, "POST", "/api/inflow-routes", {
        "name": "ファネル LP", "channel_id": CH, "actions": [{"type": "start_scenario", "scenario_id": scenario["id"]}]})
    course = api_request(system, token, "POST", "/api/courses", {"title": "LINE集客講座 会員サイト", "chapters": [
        {"title": "はじめに", "lessons": [{"title": "ようこそ", "body": "ご受講ありがとうございます"}]}]})
    product = api_request(system, token, "POST", "/api/products", {
        "name": "LINE集客講座", "amount": 29800, "order_bump": {"name": "テンプレート集", "amount": 4980},
        "course_ids": [course["course_id"]]})
    upsell = api_request(system, token, "POST", "/api/products", {"name": "個別相談 60分", "amount": 9800})
    code = route["url"].rstrip("/").rsplit("/", 1)[1]

    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    dev_login(page, f"{system.base_url}/admin/", email=OWNER, workspace_id=WS, role="owner")
    page.goto(f"{system.base_url}/admin/#/funnels/new")
    page.get_by_test_id("funnel-name").fill("無料講座ファネル")
    page.get_by_test_id("funnel-status").select_option("published")
    page.locator('input[name="pages.0.title"]').fill("3日で学ぶLINE集客")
    page.locator('select[name="pages.0.add"]').select_option("button")
    page.get_by_test_id("funnel-block-add").nth(0).click()
    page.locator('input[name="pages.0.blocks.0.label"]').fill("LINEで無料講座を受け取る")
    page.locator('select[name="pages.0.blocks.0.target"]').select_option("route")
    page.locator('input[name="pages.0.blocks.0.route_code"]').fill(code)
    page.get_by_test_id("funnel-page-add").click()
    page.locator('input[name="pages.1.page_id"]').fill("sales")
    page.locator('select[name="pages.1.kind"]').select_option("sales")
    page.locator('input[name="pages.1.title"]').fill("本講座のご案内")
    page.locator('select[name="pages.1.add"]').select_option("product")
    page.get_by_test_id("funnel-block-add").nth(1).click()
    page.locator('input[name="pages.1.blocks.0.product_id"]').fill(product["product_id"])
    page.get_by_test_id("funnel-page-add").click()
    page.locator('input[name="pages.2.page_id"]').fill("thanks")
    page.locator('select[name="pages.2.kind"]').select_option("thanks")
    page.locator('input[name="pages.2.title"]').fill("ご購入ありがとうございました")
    page.get_by_test_id("funnel-save").click()
    page.get_by_test_id("funnel-detail").wait_for()
    page.get_by_test_id("funnel-preview").wait_for()
    assert page.get_by_test_id("funnel-preview").get_attribute("sandbox") == ""
    snap("builder")
    links = page.get_by_test_id("funnel-public-url")
    urls = [str(links.nth(i).get_attribute("href")) for i in range(links.count())]
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["lp", "sales", "thanks"], (
        urls, api_request(system, token, "GET", "/api/funnels"))
    lp, sales, thanks = urls
    funnel_id = lp.rstrip("/").split("/")[-2]
    built = api_request(system, token, "GET", f"/api/funnels/{funnel_id}")
    pages = built["pages"]
    pages.insert(2, {"page_id": "up", "kind": "upsell", "title": "購入者さま限定のご案内", "blocks": [
        {"type": "product", "product_id": upsell["product_id"], "button_label": "購入する"}]})
    api_request(system, token, "PUT", f"/api/funnels/{funnel_id}", {
        "name": built["name"], "status": built["status"], "scenario_id": built.get("scenario_id"), "pages": pages})
    up = lp.rsplit("/", 1)[0] + "/up"

    # the visitor, on the phone: the opt-in page, then LINE (consent, add friend) through the route
    page.goto(lp)
    page.get_by_role("heading", name="3日で学ぶLINE集客").wait_for()
    snap("optin")
    page.get_by_role("link", name="LINEで無料講座を受け取る").click()
    consent_on_line(page, USER, add_friend=True)
    page.get_by_text("ありがとうございます").wait_for()
    system.drain()
    texts = [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(USER, CH)]
    assert "無料講座 1日目をお届けします" in texts

    # the sales page: Stripe's checkout (product + bump, the card saved), back on the funnel's upsell page
    page.goto(sales)
    page.get_by_text("合計 ¥34,780").wait_for()
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_role("heading", name="購入者さま限定のご案内").wait_for()
    assert page.url == up
    [session] = [o for o in system.stripe_emulator.made("checkout.session")
                 if o.get("success_url") == up]
    assert [i["price"]["unit_amount"] for i in session["_line_items"]] == [29800, 4980]
    assert session["_payment_intent_data"]["setup_future_usage"] == "off_session"
    snap("upsell")

    # one click: the saved card, off-session; then the thanks page. A second click (back, again) charges nothing.
    for _ in range(2):
        page.goto(up)
        page.get_by_role("button", name="購入する").click()
        page.get_by_role("heading", name="ご購入ありがとうございました").wait_for()
        assert page.url == thanks
    system.drain()
    # the Stripe stand-in is shared by every journey of the run: only this buyer's off-session charges count
    charged = [o for o in system.stripe_emulator.made("payment_intent")
               if o.get("off_session")
               and o.get("customer") == session["customer"]]
    assert [(i["amount"], i["status"]) for i in charged] == [(9800, "succeeded")]
    rows = api_request(system, token, "GET", "/api/orders")["items"]
    paid = sorted(o["paid_total"] for o in rows if o["status"] == "paid")
    assert paid == [9800, 34780], rows  # the upsell is an order like any other, paid by Stripe's webhook

    # the thanks page links into the member site of the course the purchase grants: its login page
    page.get_by_role("link", name="会員サイトで受講する").click()
    page.get_by_label("ご購入時のメールアドレス").wait_for()
    assert page.url == f"{system.base_url}/m/{WS}/{course['course_id']}/"
    snap("member-login")

    stats = api_request(system, token, "GET", f"/api/funnels/{funnel_id}/stats")["pages"]
    assert stats[0]["variants"][0]["visitors"] == 1 and stats[1]["variants"][0]["checkouts"] == 1
    assert stats[2]["variants"][0]["checkouts"] == 1
    # the preview's own inline script was refused by the sandbox: nothing from a page runs in the admin
    sandboxed = "Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed"
    assert any(sandboxed in e for e in browser_errors)
    assert [e for e in browser_errors if "status of 4" not in e and sandboxed not in e] == []
