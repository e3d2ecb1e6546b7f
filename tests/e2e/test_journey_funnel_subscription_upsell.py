"""Journey (ファネル, UTAGE: 継続課金のアップセル): a course sale, then a monthly membership offered on the upsell page and
accepted with one click on the card the sale saved. On a phone: the sales page, the Stripe stand-in's checkout, the
upsell page, 「購入する」 twice (back, and again): one Stripe subscription on the saved card, active, its first invoice
paid; the order active; the membership's course granted (the course's members, the thanks page's link into its
member site); the upsell page counts one checkout and one purchase of ¥4,980.

Runs against the real local system (DynamoDB Local, moto, LINE and Stripe emulators), in its own workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, connect_line_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000731"
SECRET = "0123456789abcdef0123456789abc731"
TOKEN = "e2e-funnel-subs-token-" + "a" * 36
LOGIN_ID = "2000000732"
LOGIN_SECRET = "abcdef0123456789abcdef0123456732"
WS = "ws_e2e_funnel_subs"
OWNER = "owner@funnel-subs.example.jp"
BUYER = "salon-buyer@example.jp"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン集客サロン")
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    connect_line_login(s, token, WS, channel_id=CH, channel_secret=SECRET, access_token=TOKEN, login_channel_id=LOGIN_ID,
                       login_channel_secret=LOGIN_SECRET, stripe=("sk_test_e2e_funnel_subs_01", "whsec_e2e_funnel_subs_01"))
    yield s


@pytest.mark.viewport(390, 844)
def test_a_monthly_upsell_is_one_click_once_and_grants_its_course(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")

    def api(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return api_request(system, token, method, path, body)

    salon = api("POST", "/api/courses", {"title": "月額 LINE集客サロン", "chapters": [
        {"title": "今月のテーマ", "lessons": [{"title": "サロンへようこそ", "body": "毎月の講義です"}]}]})
    product = api("POST", "/api/products", {"name": "LINE集客講座", "amount": 29800})
    monthly = api("POST", "/api/products", {"name": "月額 LINE集客サロン", "amount": 4980, "kind": "subscription",
                                            "interval": "month", "course_ids": [salon["course_id"]]})
    funnel = api("POST", "/api/funnels", {"name": "サロン付き講座", "status": "published", "pages": [
        {"page_id": "sales", "kind": "sales", "title": "本講座のご案内", "blocks": [
            {"type": "product", "product_id": product["product_id"]}]},
        {"page_id": "up", "kind": "upsell", "title": "月額サロンのご案内", "blocks": [
            {"type": "product", "product_id": monthly["product_id"], "button_label": "購入する"}]},
        {"page_id": "thanks", "kind": "thanks", "title": "ご購入ありがとうございました", "blocks": [
            {"type": "text", "text": "会員サイトからご受講ください"}]}]})
    funnel_id = funnel["funnel_id"]
    base = f"{system.base_url}/f/{WS}/{funnel_id}"
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))

    # the sale on the Stripe stand-in: the card is kept for the upsell
    page.goto(f"{base}/sales")
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_label("メールアドレス").fill(BUYER)
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_role("heading", name="月額サロンのご案内").wait_for()
    assert page.url == f"{base}/up"
    [session] = [o for o in system.stripe_emulator.made("checkout.session")
                 if o.get("success_url") == f"{base}/up"]
    snap("upsell")

    # one click, twice (back, and again): one subscription on the saved card, then the thanks page
    for _ in range(2):
        page.goto(f"{base}/up")
        page.get_by_role("button", name="購入する").click()
        page.get_by_role("heading", name="ご購入ありがとうございました").wait_for()
        assert page.url == f"{base}/thanks"
    system.drain()
    subscriptions = [o for o in system.stripe_emulator.made("subscription")
                     if o.get("customer") == session["customer"]]
    assert [(s["status"], s["items"]["data"][0]["price"]["unit_amount"]) for s in subscriptions] == [
        ("active", 4980)]
    method = system.stripe_emulator.objects[session["payment_intent"]]["payment_method"]
    assert subscriptions[0]["default_payment_method"] == method  # the card the sale saved
    orders = api("GET", "/api/orders")["items"]
    assert sorted((o["kind"], o["status"], o["paid_total"]) for o in orders) == [
        ("one_time", "paid", 29800), ("subscription", "active", 4980)], orders
    buyer = next(o["subscriber_id"] for o in orders if o["kind"] == "subscription")
    members = api("GET", f"/api/courses/{salon['course_id']}/members")["members"]
    assert [(m["subscriber_id"], m["active"]) for m in members] == [(buyer, True)]

    # the thanks page links into the membership's member site
    page.reload()
    link = page.get_by_role("link", name="会員サイトで受講する")
    assert link.get_attribute("href") == f"{system.base_url}/m/{WS}/{salon['course_id']}/"
    snap("thanks")
    stats = api("GET", f"/api/funnels/{funnel_id}/stats")["pages"]
    up = stats[1]["variants"][0]
    assert (up["checkouts"], up["purchases"], up["revenue"]) == (1, 1, 4980)
    assert [e for e in browser_errors if "status of 4" not in e] == []
