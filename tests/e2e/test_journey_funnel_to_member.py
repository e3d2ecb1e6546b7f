"""Journey (issue 22, "Done when"): a course seller's funnel, end to end. The marketer builds a funnel in the admin
builder (an opt-in page with the LINE button, a sales page selling a course, a one-click upsell that grants a second
course, a thanks page) and publishes it. On a phone-sized browser a visitor opens the opt-in page, taps the LINE button
and goes through LINE Login (the LINE emulator's consent and add-friend screens): the LINE friend is this visitor's
opt-in, so the funnel's scenario starts and its first message arrives in LINE. The visitor buys on the sales page
with the Stripe stand-in (the order names the LINE friend, not an e-mail reader), accepts the one-click upsell, and
the thanks page links both courses; 「LINEでログイン」 on the member site opens the course. The clock moves a day and the
dripped lesson opens. The seller refunds the sale from its order page in the admin (「返金する」, through Stripe): a
one-time purchase's paid period ends with its refund, so the course closes while the upsell's course stays open.

Built with the API, because the builder does not make them: the scenario, the inflow route, the courses and the
products (their own screens exist; the funnel journey and the member-site journey walk them).

Runs against the real local system (DynamoDB Local, moto, LINE and Stripe emulators, one clock shared by every journey
of the run), in its own workspace, LINE channel and Stripe objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, connect_line_login, consent_on_line, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000002261"
SECRET = "0123456789abcdef0123456789ab2261"
TOKEN = "e2e-funnel-member-token-" + "j" * 34
LOGIN_ID = "2000002262"
LOGIN_SECRET = "abcdef0123456789abcdef0123452262"
WS = "ws_e2e_funnel_member"
OWNER = "owner@funnel-member.example.jp"
USER = "U" + "6" * 31 + "1"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン集客アカデミー")
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    connect_line_login(s, token, WS, channel_id=CH, channel_secret=SECRET, access_token=TOKEN, login_channel_id=LOGIN_ID,
                       login_channel_secret=LOGIN_SECRET,
                       stripe=("sk_test_e2e_funnel_member_2261", "whsec_e2e_funnel_member_2261"))
    s.line_emulator.add_user(USER, "森 結衣")
    yield s


@pytest.mark.viewport(390, 844)
def test_opt_in_on_line_buy_accept_the_upsell_learn_drip_unlocks_refund_ends_access(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")

    def api(method: str, path: str, body: Any = None) -> Any:
        return api_request(system, token, method, path, body)

    scenario = api("POST", "/api/scenarios", {"name": "LINE無料講座", "steps": [
        {"id": "day1", "line": [{"type": "text", "text": "無料講座 1日目: LINE集客の全体像"}]}]})
    route = api("POST", "/api/inflow-routes", {"name": "ファネル LP ボタン", "channel_id": CH})
    course = api("POST", "/api/courses", {"title": "LINE集客 実践講座", "chapters": [{"title": "第1章", "lessons": [
        {"title": "ようこそ", "body": "ご受講ありがとうございます"},
        {"title": "配信を設計しよう", "body": "2日目のレッスンです", "drip_days": 1}]}]})
    bonus = api("POST", "/api/courses", {"title": "個別相談の準備講座", "chapters": [{"title": "準備", "lessons": [
        {"title": "相談の前に", "body": "質問をまとめておきましょう"}]}]})
    product = api("POST", "/api/products", {
        "name": "LINE集客 実践講座", "amount": 29800, "order_bump": {"name": "配信テンプレート集", "amount": 4980},
        "course_ids": [course["course_id"]]})
    upsell = api("POST", "/api/products", {"name": "個別相談 60分", "amount": 9800,
                                            "course_ids": [bonus["course_id"]]})
    code = route["url"].rstrip("/").rsplit("/", 1)[1]

    # the marketer builds the funnel in the admin builder and publishes it
    page.context.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    page.set_viewport_size({"width": 1280, "height": 900})
    dev_login(page, f"{system.base_url}/admin/", email=OWNER, workspace_id=WS, role="owner")
    page.goto(f"{system.base_url}/admin/#/funnels/new")
    page.get_by_test_id("funnel-name").fill("LINE集客講座ファネル")
    page.get_by_test_id("funnel-status").select_option("published")
    page.get_by_test_id("funnel-scenario").fill(scenario["id"])
    page.locator('input[name="pages.0.title"]').fill("LINEで学ぶ 3日間の無料講座")
    page.locator('select[name="pages.0.add"]').select_option("button")
    page.get_by_test_id("funnel-block-add").nth(0).click()
    page.locator('input[name="pages.0.blocks.0.label"]').fill("LINEで無料講座を受け取る")
    page.locator('select[name="pages.0.blocks.0.target"]').select_option("route")
    page.locator('input[name="pages.0.blocks.0.route_code"]').fill(code)
    for index, (page_id, kind, title) in enumerate([("sales", "sales", "実践講座のご案内"),
                                                    ("up", "upsell", "ご購入者さま限定のご案内"),
                                                    ("thanks", "thanks", "ご購入ありがとうございました")], start=1):
        page.get_by_test_id("funnel-page-add").click()
        page.locator(f'input[name="pages.{index}.page_id"]').fill(page_id)
        page.locator(f'select[name="pages.{index}.kind"]').select_option(kind)
        page.locator(f'input[name="pages.{index}.title"]').fill(title)
        if kind != "thanks":
            page.locator(f'select[name="pages.{index}.add"]').select_option("product")
            page.get_by_test_id("funnel-block-add").nth(index).click()
            page.locator(f'input[name="pages.{index}.blocks.0.product_id"]').fill(
                (product if kind == "sales" else upsell)["product_id"])
    page.get_by_test_id("funnel-save").click()
    page.get_by_test_id("funnel-detail").wait_for()
    page.get_by_test_id("funnel-preview").wait_for()
    links = page.get_by_test_id("funnel-public-url")
    urls = [str(links.nth(i).get_attribute("href")) for i in range(links.count())]
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["lp", "sales", "up", "thanks"], urls
    lp, sales, up, thanks = urls
    funnel_id = lp.split("/")[-2]
    snap("builder")

    # the visitor, on a phone: the opt-in page, the LINE button, LINE Login (consent, add the friend)
    page.set_viewport_size(PHONE)
    page.goto(lp)
    page.get_by_role("heading", name="LINEで学ぶ 3日間の無料講座").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = page.get_by_role("link", name="LINEで無料講座を受け取る")
    assert f"/r/{code}?fv={funnel_id}.lp.A." in str(button.get_attribute("href"))  # the visitor rides along
    snap("optin")
    button.click()
    consent_on_line(page, USER, add_friend=True)
    page.get_by_text("ありがとうございます").wait_for()
    system.drain()
    # the funnel's scenario (not the route's: it has no actions) sent its first message to this LINE friend
    texts = [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(USER, CH)]
    assert "無料講座 1日目: LINE集客の全体像" in texts, texts
    [friend] = [f for f in api("GET", "/api/subscribers")["items"] if f.get("display_name") == "森 結衣"]
    friend_id = friend["subscriber_id"]
    enrolled = [e["data"] for e in api("GET", f"/api/subscribers/{friend_id}/timeline?limit=100")["items"]
                if e["kind"] == "enrolled"]
    assert [(e["scenario_id"], e["trigger"]) for e in enrolled] == [(scenario["id"], "funnel")]

    # the sales page: the Stripe stand-in's checkout (course + bump, the card kept for the upsell)
    page.goto(sales)
    page.get_by_text("合計 ¥34,780").wait_for()
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_role("heading", name="ご購入者さま限定のご案内").wait_for()
    assert page.url == up
    [session] = [o for o in system.stripe_emulator.made("checkout.session")
                 if o.get("success_url") == up]
    assert session["metadata"]["subscriber_id"] == friend_id  # the LINE friend is the buyer
    snap("upsell")

    # one click on the saved card, then the thanks page with both courses once the orders are paid
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_role("heading", name="ご購入ありがとうございました").wait_for()
    assert page.url == thanks
    system.drain()
    orders = [o for o in api("GET", "/api/orders")["items"] if o["status"] == "paid"]
    assert sorted((o["paid_total"], o["subscriber_id"]) for o in orders) == [(9800, friend_id), (34780, friend_id)]
    page.reload()
    member_links = page.get_by_role("link", name="会員サイトで受講する")
    hrefs = [str(member_links.nth(i).get_attribute("href")) for i in range(member_links.count())]
    course_url = f"{system.base_url}/m/{WS}/{course['course_id']}/"
    bonus_url = f"{system.base_url}/m/{WS}/{bonus['course_id']}/"
    assert hrefs == [course_url, bonus_url]
    snap("thanks")
    stats = api("GET", f"/api/funnels/{funnel_id}/stats")["pages"]
    lp_stats = stats[0]["variants"][0]
    assert (lp_stats["visitors"], lp_stats["optins"]) == (1, 1)  # the LINE opt-in counted on its page

    # the member site: 「LINEでログイン」 (the same LINE account), the course; the dripped lesson still locked
    member_links.first.click()
    page.get_by_role("link", name="LINEでログイン").click()
    consent_on_line(page, USER)
    page.get_by_role("heading", name="LINE集客 実践講座").wait_for()
    assert page.url == course_url
    page.get_by_role("link", name="ようこそ").wait_for()
    locked = page.locator(".m-lesson", has_text="配信を設計しよう")
    assert "公開" in locked.inner_text() and locked.locator("a").count() == 0
    snap("member-course")

    # a day later (by the system's clock, shared by every journey) the dripped lesson is open
    system.advance(timedelta(days=1, minutes=1))
    system.drain(timeout=300)  # the step tick catches up on the day
    page.reload()
    page.get_by_role("link", name="配信を設計しよう").click()
    page.get_by_text("2日目のレッスンです").wait_for()
    snap("member-drip-open")

    # the seller refunds the sale on its order page in the admin (「返金する」, the amount prefilled, a confirm; an
    # amount above what was paid is refused at its field); a one-time purchase's paid period ends with the refund
    # (Stripe's charge.refunded), so the course closes now; the upsell's own course (another order) stays open
    sale = session["metadata"]["order_id"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{system.base_url}/admin/#/commerce/orders/{sale}")
    page.get_by_test_id("order-refund").click()
    amount = page.get_by_test_id("order-refund-amount")
    assert amount.input_value() == "34780"
    amount.fill("50000")
    page.get_by_test_id("order-refund-confirm").click()
    page.locator('[data-field-error="amount"]', has_text="34,780 円").wait_for()
    assert api("GET", f"/api/orders/{sale}")["refunded_total"] == 0
    amount.fill("34780")
    page.get_by_test_id("order-refund-confirm").click()
    page.get_by_test_id("order-refund-sent").wait_for()
    system.drain(timeout=120)
    page.reload()
    page.locator('[data-testid="order-detail"][data-status="refunded"]').wait_for()
    assert page.get_by_test_id("order-refund").count() == 0
    snap("order-refunded")
    refunds = [o for o in system.stripe_emulator.made("refund")
               if o.get("payment_intent") == session["payment_intent"]]
    assert [r["amount"] for r in refunds] == [34780]  # the refused try sent nothing to Stripe: one refund
    page.set_viewport_size(PHONE)
    members = api("GET", f"/api/courses/{course['course_id']}/members")["members"]
    assert [(m["subscriber_id"], m["active"]) for m in members] == [(friend_id, False)]
    page.goto(course_url)
    page.get_by_text("このコースの受講期間は終了しています。").wait_for()
    snap("member-ended")
    page.goto(bonus_url)
    page.get_by_role("link", name="相談の前に").wait_for()
    assert re.search(r"受講期間は終了", page.content()) is None
    # the builder's preview of the opt-in page: its inline script refused by the sandbox (nothing runs in the admin)
    sandboxed = "Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed"
    assert any(sandboxed in e for e in browser_errors)
    assert [e for e in browser_errors if "status of 4" not in e and sandboxed not in e] == [], browser_errors
