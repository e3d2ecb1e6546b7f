"""Journey (パートナー・アフィリエイト, issue 21): the marketer registers a partner with a 10% commission rule on the
partners screen and copies its referral link and its own report URL; someone opens the referral link, goes through
LINE's consent and add-friend screens (the emulator's) and becomes a friend attributed to the partner; the friend
buys a product through the Stripe stand-in's checkout page; the partner opens their report URL in the browser (no
admin login) and sees the friend, the sale and the commission, 未確定 until the shop approves it (確定) on the
partners list. The rule earns on every payment of a subscription too (継続課金): the friend subscribes, a second
month is paid, both show on the partner's page. A refund in Stripe shows the reversal (a negative row), which the
shop approves as well. The payout CSV (Shift_JIS) holds only approved commissions. The shop rotates the report URL:
the old one answers a Japanese error. The partners screen on a phone does not scroll sideways.

Runs against the real local system (DynamoDB Local, moto, LINE emulator, Stripe emulator), in its own workspace
and LINE channel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, connect_line_login, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000791"
SECRET = "0123456789abcdef0123456789abc791"
TOKEN = "e2e-partner-token-" + "p" * 40
LOGIN_ID = "2000000792"
LOGIN_SECRET = "abcdef0123456789abcdef0123456792"
WS = "ws_e2e_partner"
OWNER = "owner@partner.example.jp"
USER = "U" + "9" * 31 + "7"
WHSEC = "whsec_e2e_partner_0001"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン講座")
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    connect_line_login(s, token, WS, channel_id=CH, channel_secret=SECRET, access_token=TOKEN, login_channel_id=LOGIN_ID,
                       login_channel_secret=LOGIN_SECRET, stripe=("sk_test_e2e_partner_0001", WHSEC))
    s.line_emulator.add_user(USER, "木村 蓮")
    yield s


def _download(page: Any, test_id: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    return Path(info.value.path()).read_bytes()


def _buy(system: Any, page: Any, token: str, product_id: str, subscriber_id: str) -> None:
    """The friend's purchase link (sent to them in LINE), the product page and the Stripe checkout page."""
    link = api_request(system, token, "POST", f"/api/products/{product_id}/link", {"subscriber_id": subscriber_id})
    page.goto(link["url"])
    # the page's form posts and is redirected to Stripe's checkout (locally the plain-http Stripe stand-in, which
    # the pages' CSP form-action allows only when it is configured as the Stripe API)
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_text("お支払いが完了しました").wait_for()
    system.drain()


def test_a_sale_through_a_partners_link_shows_on_the_partners_own_page(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    product = api_request(system, token, "POST", "/api/products", {"name": "LINE集客講座", "amount": 10000})
    admin = f"{system.base_url}/admin/"
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # the marketer registers the partner; the default rule is 10% of the sale, last touch within 30 days
    page.goto(admin + "#/partners")
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("partner-new").click()
    page.get_by_test_id("partner-editor").wait_for()
    page.locator("input[name=email]").fill("not-an-email")
    page.locator("input[name=name]").fill("山田アフィリエイト")
    page.get_by_test_id("partner-save").click()  # a bad e-mail: refused at the field, in Japanese
    page.locator("input[name=email][aria-invalid=true]").wait_for()
    assert "メールアドレス" in page.locator("[data-field-error=email]").inner_text()
    page.locator("input[name=email]").fill("yamada@affiliate.example.jp")
    assert page.locator("input[name='rules.0.amount']").input_value() == "10"
    page.get_by_test_id("partner-rule-recurring").check()  # 継続課金: every later payment earns too
    page.get_by_test_id("partner-save").click()
    page.get_by_test_id("partner-links").wait_for()
    referral = page.get_by_test_id("partner-referral-url").inner_text()
    report_url = page.get_by_test_id("partner-report-url").inner_text()
    assert referral.startswith(f"{system.base_url}/r/") and report_url.startswith(f"{system.base_url}/partner/")
    snap("partner")

    # someone opens the partner's link: LINE's consent, then add the friend
    page.goto(referral)
    page.get_by_role("button", name="許可する").wait_for()
    page.locator("input[name=user_id]").fill(USER)
    page.get_by_role("button", name="許可する").click()
    page.get_by_role("button", name="追加", exact=True).click()
    page.get_by_text("ありがとうございます").wait_for()
    system.drain()
    [friend] = [f for f in api_request(system, token, "GET", "/api/subscribers")["items"]
                if f.get("display_name") == "木村 蓮"]

    # the friend buys through the purchase link (sent to them in LINE) and the Stripe checkout page
    _buy(system, page, token, product["product_id"], friend["subscriber_id"])

    # the partner's own page (no admin login): the friend, the sale, the commission
    partner_page = page.context.browser.new_context().new_page()
    partner_page.goto(report_url)
    partner_page.get_by_text("山田アフィリエイト さまの成果レポート").wait_for()
    assert partner_page.get_by_test_id("friends").inner_text() == "1人"
    assert partner_page.get_by_test_id("total-commission").inner_text() == "¥1,000"
    month = partner_page.locator("[data-testid^=month-]").first
    assert "売上: 1件 ¥10,000" in month.inner_text() and "報酬: ¥1,000" in month.inner_text()
    assert partner_page.get_by_test_id("pending-commission").inner_text() == "¥1,000"
    assert partner_page.get_by_test_id("row-status").first.inner_text() == "(未確定)"
    snap("report")

    # the shop approves the commission on the partners list (確定); the partner's page says so
    page.goto(admin + "#/partners")
    page.get_by_test_id("partner-commission").wait_for()
    assert "山田アフィリエイト" in page.get_by_test_id("partner-commission").inner_text()
    page.get_by_test_id("partner-approve-all").check()
    page.get_by_test_id("partner-approve").click()
    assert page.get_by_test_id("partner-approve-done").inner_text() == "1件を更新しました。"
    page.get_by_text("未確定の報酬はありません。").wait_for()
    partner_page.reload()
    assert partner_page.get_by_test_id("approved-commission").inner_text() == "¥1,000"
    assert partner_page.get_by_test_id("row-status").first.inner_text() == "(確定)"

    # a subscription through the same partner: the first month and the next one both earn (継続課金)
    monthly = api_request(system, token, "POST", "/api/products",
                          {"name": "月額コミュニティ", "amount": 3000, "kind": "subscription"})
    _buy(system, page, token, monthly["product_id"], friend["subscriber_id"])
    [subscription] = [o for o in system.stripe_emulator.made("subscription")
                      if (o.get("metadata") or {}).get("workspace_id") == WS]
    system.stripe_emulator.pay_invoice(subscription["id"])
    system.drain()
    partner_page.reload()
    partner_page.get_by_text("継続課金 ¥3,000 → 報酬 ¥300").wait_for()
    assert partner_page.get_by_test_id("total-commission").inner_text() == "¥1,600"
    assert partner_page.get_by_test_id("pending-commission").inner_text() == "¥600"

    # a refund in Stripe: the reversal shows (a negative row), the commission goes back to ¥0
    [session] = [o for o in system.stripe_emulator.made("checkout.session")  # this workspace's (journeys share Stripe)
                 if o.get("payment_intent")
                 and (o.get("metadata") or {}).get("workspace_id") == WS]
    system.stripe_emulator.refund_order_payment(payment_intent=session["payment_intent"])
    system.drain()
    partner_page.reload()
    partner_page.get_by_text("返金(報酬取消)").first.wait_for()
    assert partner_page.get_by_test_id("total-commission").inner_text() == "¥600"
    assert "返金: 1件 ¥10,000" in partner_page.locator("[data-testid^=month-]").first.inner_text()

    # the shop approves the rest (the subscription's commissions and the reversal) in one go
    page.goto(admin + "#/partners")
    page.get_by_test_id("partner-commission").first.wait_for()
    assert page.get_by_test_id("partner-commission").count() == 3
    page.get_by_test_id("partner-approve-all").check()
    page.get_by_test_id("partner-approve").click()
    assert page.get_by_test_id("partner-approve-done").inner_text() == "3件を更新しました。"

    # the payout CSV in Shift_JIS, from the list: approved commissions only
    page.get_by_test_id("partner-row").wait_for()
    assert "紹介した友だち 1人" in page.get_by_test_id("partner-row").inner_text()
    page.locator("input[name=month]").fill(month.get_attribute("data-testid").removeprefix("month-"))
    rows = list(csv.reader(io.StringIO(_download(page, "partner-payout-download").decode("cp932"))))
    assert rows[0][2] == "パートナー名" and rows[1][2] == "山田アフィリエイト"
    assert (rows[1][5], rows[1][6], rows[1][8], rows[1][10]) == ("3", "16000", "10000", "600")

    # the shop rotates the report URL: the old one stops, in Japanese
    page.get_by_test_id("partner-row").get_by_role("link").click()
    page.get_by_test_id("partner-rotate").click()
    page.get_by_test_id("partner-rotate-confirm").click()
    page.wait_for_function("(old) => document.querySelector('[data-testid=partner-report-url]').textContent !== old",
                           arg=report_url)
    partner_page.goto(report_url)
    partner_page.get_by_text("このリンクは使えなくなりました").wait_for()
    partner_page.goto(report_url[:-4] + "AAAA")
    partner_page.get_by_text("このリンクは無効です").wait_for()
    partner_page.context.close()
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_the_partners_screens_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    partner = api_request(system, token, "POST", "/api/partners", {
        "name": "スマホで見るパートナー", "channel_id": CH, "seminar_ids": ["sem_demo"],
        "rules": [{"kind": "fixed", "yen": 2000, "touch": "first", "window_days": 60}]})
    admin = f"{system.base_url}/admin/"
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/partners/{partner['partner_id']}")
    page.get_by_test_id("partner-links").wait_for()
    page.get_by_test_id("partner-report").wait_for()
    for where in ("editor", "list"):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the partners {where} scrolls sideways on a phone ({width}px)"
        page.goto(admin + "#/partners")
        page.get_by_test_id("partner-payout").wait_for()
        page.get_by_test_id("partner-approvals").wait_for()
    page.goto(partner["report_url"])
    page.get_by_text("まだ成果はありません。").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the partner's report page scrolls sideways on a phone ({width}px)"
    snap("phone-report")
    assert browser_errors == []
