"""Partners (haishin.partners): a friend who came by a partner's route buys through the Stripe stand-in; the
partner earns the rule's commission once per order (redeliveries count once), a refund writes a negative row, the
touch models and the window decide who earns, the signed report link works until rotated, and the payout CSV
is Excel-ready. Seminar registrations are attributed from ``seminar_registered`` events."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pay_env import WHSEC, WS, FakeMessenger, FakeScenarios, InProcessGateway

from haishin import clock, wiring
from haishin.api.app import AdminApi
from haishin.audit import AuditLog
from haishin.errors import NotFound, ValidationFailed
from haishin.partners.service import EmailReportMailer, PartnerService, ReportLinkInvalid
from haishin.payments.keys import StripeKeys
from haishin.payments.models import OrderModel
from haishin.payments.products import ProductDefinition
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.models import line_account
from haishin.wiring import Services
from haishin.workspaces.models import ChannelModel
from haishin_local.stripe_emulator import StripeState
from tests.support.admin_api import ensure_operator

CHANNEL = "1234567890"


class FakeChannels:
    def require(self, workspace_id: str, channel_id: str) -> Any:
        return {"channel_id": channel_id}


@dataclass
class P:
    root: Services
    partners: PartnerService
    stripe: StripeState
    friend: str

    def product(self, amount: int = 10000) -> str:
        definition = ProductDefinition.model_validate({"name": "講座", "amount": amount})
        return self.root.payments.create_product(WS, definition).product_id

    def partner(self, name: str = "山田", **rule: Any) -> Any:
        rules = [{"kind": "percent", "percent": 10, **rule}] if rule is not None else []
        return self.partners.create(WS, {"name": name, "email": "yamada@example.com", "channel_id": CHANNEL,
                                         "rules": rules})

    def arrive(self, partner: Any, friend: str | None = None, cause: str = "follow1") -> None:
        route = self.root.routes.get(WS, partner.route_id)
        self.root.routes.attribute(WS, friend or self.friend, route, cause=cause, first_follow=True)

    def buy(self, product_id: str, friend: str | None = None) -> tuple[str, str]:
        payments = self.root.payments
        link = payments.purchase_link(WS, product_id, friend or self.friend)
        session_id = payments.start_checkout(product_id, link.split("?s=")[1]).rsplit("/", 1)[1]
        self.stripe.complete_checkout(session_id)
        return self.stripe.objects[session_id]["metadata"]["order_id"], session_id

    def refund(self, session_id: str, amount: int | None = None) -> None:
        self.stripe.refund_order_payment(payment_intent=self.stripe.objects[session_id]["payment_intent"],
                                         amount=amount)


@pytest.fixture
def p(aws: Any, manual_clock: Any) -> Iterator[P]:
    secrets = InMemorySecretStore()
    state = StripeState(base_url="http://stripe.local", clock=clock.epoch_seconds)
    root = Services(secrets=secrets, scenario_service=FakeScenarios(), messenger=FakeMessenger(),
                    stripe=InProcessGateway(state), channels=FakeChannels())
    StripeKeys(secrets).put(WS, "test", secret_key="sk_test_123", webhook_secrets=[WHSEC])

    def transport(url: str, body: bytes, headers: dict[str, str]) -> int:
        status, _ = root.payments.handle_webhook(WS, body, headers["Stripe-Signature"])
        return status

    state.register_webhook(f"http://haishin.local/stripe/webhook/{WS}", WHSEC, transport=transport)
    repo = root.subscribers
    friend = repo.new(WS, source="line")
    friend.line = {CHANNEL: line_account("U" + "c" * 32, status="following")}
    repo.create(friend, [(f"line:{CHANNEL}", "U" + "c" * 32)])
    previous = wiring.install(root)
    try:
        yield P(root, root.partners, state, friend.subscriber_id)
    finally:
        wiring.install(previous)


def approve_all(p: P, decision: str = "approved") -> dict[str, Any]:
    rows = [{"partner_id": r["partner_id"], "key": r["key"]} for r in p.partners.commissions(WS)]
    return p.partners.decide(WS, {"decision": decision, "rows": rows}, by="staff@example.com")


def new_friend(p: P, n: int) -> str:
    repo = p.root.subscribers
    friend = repo.new(WS, source="line")
    uid = "U" + f"{n:x}".rjust(32, "d")
    friend.line = {CHANNEL: line_account(uid, status="following")}
    return repo.create(friend, [(f"line:{CHANNEL}", uid)]).subscriber_id


def test_a_referred_purchase_earns_the_commission_once_and_a_refund_reverses_it(p: P) -> None:
    partner = p.partner()
    p.arrive(partner)
    _, session = p.buy(p.product(10000))
    p.stripe.flush(duplicate=True)  # a redelivered checkout event counts once
    report = p.partners.report(WS, partner.partner_id)
    assert report["friends"] == 1
    month = report["months"][0]
    assert (month["sales"], month["sales_amount"], month["commission"]) == (1, 10000, 1000)

    p.refund(session, amount=4000)  # partial: 40% of the commission comes back
    p.stripe.flush(duplicate=True)
    month = p.partners.report(WS, partner.partner_id)["months"][0]
    assert (month["refunds"], month["refunded_amount"], month["commission"]) == (1, 4000, 600)
    p.refund(session)  # the rest
    month = p.partners.report(WS, partner.partner_id)["months"][0]
    assert month["commission"] == 0
    assert month["refunded_amount"] == 10000
    kinds = [r["kind"] for r in p.partners.report(WS, partner.partner_id)["rows"]]
    assert sorted(kinds) == ["reversal", "reversal", "sale"]  # never deleted: negative rows


def test_a_friend_who_did_not_come_by_a_partner_earns_nothing(p: P) -> None:
    partner = p.partner()
    p.buy(p.product())
    assert p.partners.report(WS, partner.partner_id)["months"] == []


def test_the_window_and_the_touch_model_decide_who_earns(p: P, manual_clock: Any) -> None:
    first = p.partner("最初", touch="first", window_days=30)
    last = p.partner("最後", touch="last", window_days=7)
    p.arrive(first)
    manual_clock.advance(timedelta(days=1))
    p.arrive(last)
    product = p.product(5000)
    p.buy(product)  # first: the first touch within 30 days; last: the last touch within 7
    assert p.partners.report(WS, first.partner_id)["total_commission"] == 500
    assert p.partners.report(WS, last.partner_id)["total_commission"] == 500

    other = new_friend(p, 2)
    p.arrive(last, other, "f2")
    manual_clock.advance(timedelta(days=8))  # beyond the last-touch window
    p.buy(product, other)
    assert p.partners.report(WS, last.partner_id)["total_commission"] == 500


def test_a_fixed_rule_per_product_wins_over_the_all_products_rule(p: P) -> None:
    special, plain = p.product(20000), p.product(3000)
    partner = p.partners.create(WS, {"name": "佐藤", "channel_id": CHANNEL, "rules": [
        {"kind": "percent", "percent": 10}, {"kind": "fixed", "yen": 3000, "product_id": special}]})
    p.arrive(partner)
    p.buy(special)
    other = new_friend(p, 3)
    p.arrive(partner, other, "f3")
    p.buy(plain, other)
    assert p.partners.report(WS, partner.partner_id)["total_commission"] == 3000 + 300


def test_the_report_link_works_until_rotated_and_a_forged_one_is_refused(p: P) -> None:
    partner = p.partner()
    token = p.partners.report_token(WS, partner)
    found, report = p.partners.open_report(token)
    assert found.partner_id == partner.partner_id and report["name"] == "山田"
    with pytest.raises(ReportLinkInvalid):
        p.partners.open_report(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(ReportLinkInvalid):
        p.partners.open_report(f"{WS}.{partner.partner_id}.1")
    for odd in (f"..%2F{WS}.{partner.partner_id}.1.x", f"{WS}/x.{partner.partner_id}.1.x", "ｗ.ｐ.1.x", "a.b.².c"):
        with pytest.raises(ReportLinkInvalid):
            p.partners.open_report(odd)
    p.partners.rotate_link(WS, partner.partner_id)
    with pytest.raises(ReportLinkInvalid, match="rotated"):
        p.partners.open_report(token)
    fresh = p.partners.report_token(WS, p.partners.get(WS, partner.partner_id))
    assert p.partners.open_report(fresh)[0].partner_id == partner.partner_id


def test_the_report_page_is_japanese_and_a_rotated_link_says_so(p: P) -> None:
    partner = p.partner()
    p.arrive(partner)
    p.buy(p.product(10000))
    token = p.partners.report_token(WS, partner)
    page = p.root.pages.handle({"rawPath": f"/partner/{token}", "requestContext": {"http": {"method": "GET"}}})
    assert page["statusCode"] == 200
    assert "山田 さまの成果レポート" in page["body"] and "¥1,000" in page["body"]
    p.partners.rotate_link(WS, partner.partner_id)
    page = p.root.pages.handle({"rawPath": f"/partner/{token}", "requestContext": {"http": {"method": "GET"}}})
    assert page["statusCode"] == 403 and "使えなくなりました" in page["body"]
    page = p.root.pages.handle({"rawPath": "/partner/forged.x.1.y", "requestContext": {"http": {"method": "GET"}}})
    assert page["statusCode"] == 403 and "無効" in page["body"]


def test_the_payout_csv_in_shift_jis_and_utf8_with_bom(p: P) -> None:
    partner = p.partner()
    p.arrive(partner)
    p.buy(p.product(10000))
    month = clock.now().astimezone().strftime("%Y-%m")
    month = p.partners.report(WS, partner.partner_id)["months"][0]["month"]
    pending = list(csv.reader(io.StringIO(p.partners.payout_csv(WS, month).decode("utf-8-sig"))))
    assert pending[1][-1] == "0" and pending[1][5] == "0"  # 未確定: nothing to pay yet
    approve_all(p)
    sjis = p.partners.payout_csv(WS, month, "cp932")
    rows = list(csv.reader(io.StringIO(sjis.decode("cp932"))))
    assert rows[0][:3] == ["対象月", "パートナーID", "パートナー名"]
    assert rows[1][2] == "山田" and rows[1][-1] == "1000" and rows[1][6] == "10000"
    bom = p.partners.payout_csv(WS, month)
    assert bom.startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValidationFailed, match="YYYY-MM"):
        p.partners.payout_csv(WS, "2026-13")


def test_seminar_registrations_are_attributed_by_code_or_last_touch(p: P) -> None:
    partner = p.partner()
    code = p.partners.view(WS, partner)["code"]
    events = p.partners  # the fanout listener (SEM adds seminar_registered to the outgoing EVENT_TYPES)
    events.publish(WS, "seminar_registered", {"subscriber_id": p.friend, "event_id": "sem_1",
                                              "registration_id": "reg_1", "partner_code": code},
                   idempotency_key="reg_1")
    events.publish(WS, "seminar_registered", {"subscriber_id": p.friend, "event_id": "sem_1",
                                              "registration_id": "reg_1", "partner_code": code},
                   idempotency_key="reg_1")  # twice: counted once
    other = new_friend(p, 4)
    p.arrive(partner, other, "f4")
    events.publish(WS, "seminar_registered", {"subscriber_id": other, "event_id": "sem_1",
                                              "registration_id": "reg_2"}, idempotency_key="reg_2")
    stranger = new_friend(p, 5)
    events.publish(WS, "seminar_registered", {"subscriber_id": stranger, "event_id": "sem_1",
                                              "registration_id": "reg_3"}, idempotency_key="reg_3")
    assert p.partners.report(WS, partner.partner_id)["months"][0]["registrations"] == 2


def test_bad_input_is_refused_in_japanese_and_changes_nothing(p: P) -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.partners.create(WS, {"name": "田中", "channel_id": CHANNEL, "rules": [{"kind": "percent"}]})
    assert "報酬率" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        p.partners.create(WS, {"name": "田中", "email": "not-an-email", "channel_id": CHANNEL})
    assert "メールアドレス" in caught.value.message
    assert p.partners.views(WS) == []


class Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def call(method: str, path: str, body: Any = None, role: str = "owner", query: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": query,
        "queryStringParameters": dict(p.split("=", 1) for p in query.split("&")) if query else None,
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(WS, f"{role}@example.jp", role)}}},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
    return AdminApi().handle(event, Context())


def test_the_admin_api_creates_reports_rotates_and_exports(p: P) -> None:
    ChannelModel.for_channel(WS, CHANNEL, connected_at=clock.now(), secret_name="test").save()  # the API checks the body's channel
    created = call("POST", "/api/partners", {"name": "鈴木", "channel_id": CHANNEL,
                                             "rules": [{"kind": "percent", "percent": 10}]})
    assert created["statusCode"] == 201, created
    partner = json.loads(created["body"])
    assert partner["referral_url"].endswith(f"/r/{partner['code']}") and "/partner/" in partner["report_url"]
    bad = call("POST", "/api/partners", {"name": "", "channel_id": CHANNEL})
    assert bad["statusCode"] == 422 and json.loads(bad["body"])["where"] == "name"
    viewer = call("POST", "/api/partners", {"name": "x", "channel_id": CHANNEL}, role="viewer")
    assert viewer["statusCode"] == 403
    rotated = json.loads(call("POST", f"/api/partners/{partner['partner_id']}/rotate-link")["body"])
    assert rotated["report_url"] != partner["report_url"]
    report = json.loads(call("GET", f"/api/partners/{partner['partner_id']}/report")["body"])
    assert report["friends"] == 0 and report["months"] == []
    csv_response = call("GET", "/api/partner-payouts", query="month=2026-12&encoding=cp932")
    assert csv_response["statusCode"] == 200 and "Shift_JIS" in csv_response["headers"]["Content-Type"]
    body = base64.b64decode(csv_response["body"]) if csv_response.get("isBase64Encoded") else \
        csv_response["body"].encode("latin-1")
    assert body.decode("cp932").splitlines()[1].startswith("2026-12,")
    wrong = call("GET", "/api/partner-payouts", query="month=december")
    assert wrong["statusCode"] == 422 and "YYYY-MM" in json.loads(wrong["body"])["message"]
    assert call("GET", "/api/partners/ptn_nope")["statusCode"] == 404
    assert call("DELETE", f"/api/partners/{partner['partner_id']}")["statusCode"] == 204


# ---------------------------------------------------------------------- approval, recurring, promotion codes, zones
def test_commissions_wait_for_approval_and_only_approved_ones_are_paid(p: P) -> None:
    yamada, sato = p.partner("山田"), p.partner("佐藤", kind="fixed", yen=3000)
    p.arrive(yamada)
    p.buy(p.product(10000))
    other = new_friend(p, 7)
    p.arrive(sato, other, "f7")
    p.buy(p.product(20000), other)
    pending = p.partners.commissions(WS)
    assert sorted((r["partner_name"], r["commission"], r["status"]) for r in pending) == [
        ("佐藤", 3000, "pending"), ("山田", 1000, "pending")]
    month = pending[0]["month"]
    # one unknown row refuses the whole bulk request: nothing changes
    with pytest.raises(NotFound):
        p.partners.decide(WS, {"decision": "approved", "rows": [
            {"partner_id": yamada.partner_id, "key": pending[0]["key"]}, {"partner_id": "ptn_x", "key": "nope"}]},
            by="staff@example.com")
    with pytest.raises(ValidationFailed, match="approved"):
        p.partners.decide(WS, {"decision": "maybe", "rows": []}, by="staff@example.com")
    assert len(p.partners.commissions(WS)) == 2
    by_name = {r["partner_name"]: r for r in pending}
    done = p.partners.decide(WS, {"decision": "approved", "rows": [
        {"partner_id": yamada.partner_id, "key": by_name["山田"]["key"]}]}, by="staff@example.com")
    assert done["changed"] == 1 and done["rows"][0]["decided_by"] == "staff@example.com"
    p.partners.decide(WS, {"decision": "rejected", "rows": [
        {"partner_id": sato.partner_id, "key": by_name["佐藤"]["key"]}]}, by="staff@example.com")
    assert p.partners.commissions(WS) == []
    assert [r["partner_name"] for r in p.partners.commissions(WS, status="rejected")] == ["佐藤"]
    lines = {r[2]: r for r in csv.reader(io.StringIO(p.partners.payout_csv(WS, month).decode("utf-8-sig")))}
    assert (lines["山田"][5], lines["山田"][-1]) == ("1", "1000")
    assert (lines["佐藤"][5], lines["佐藤"][-1]) == ("0", "0")  # 否認: not paid
    report = p.partners.report(WS, sato.partner_id)
    assert (report["total_commission"], report["approved_commission"], report["pending_commission"]) == (0, 0, 0)


def test_a_refund_after_approval_waits_for_approval_too_and_a_rejected_sale_reverses_nothing(p: P) -> None:
    partner = p.partner()
    p.arrive(partner)
    _, session = p.buy(p.product(10000))
    approve_all(p)
    p.refund(session)
    [reversal] = p.partners.commissions(WS)
    assert (reversal["kind"], reversal["commission"], reversal["status"]) == ("reversal", -1000, "pending")
    approve_all(p)
    month = reversal["month"]
    line = list(csv.reader(io.StringIO(p.partners.payout_csv(WS, month).decode("utf-8-sig"))))[1]
    assert (line[7], line[8], line[-1]) == ("1", "10000", "0")

    other = new_friend(p, 8)
    p.arrive(partner, other, "f8")
    _, second = p.buy(p.product(5000), other)
    approve_all(p, "rejected")
    p.refund(second)
    assert p.partners.commissions(WS) == []  # the rejected commission was never owed: nothing to take back


def test_every_invoice_of_a_subscription_earns_by_a_recurring_rule_and_refunds_reverse_it(p: P) -> None:
    partner = p.partner(recurring=True)
    once = p.partner("一回だけ", kind="fixed", yen=500)
    p.arrive(partner)
    definition = ProductDefinition.model_validate({"name": "月額講座", "amount": 3000, "kind": "subscription"})
    product = p.root.payments.create_product(WS, definition).product_id
    order_id, session = p.buy(product)
    subscription = p.stripe.objects[session]["subscription"]
    p.stripe.pay_invoice(subscription)
    invoice = p.stripe.pay_invoice(subscription)
    rows = p.partners.report(WS, partner.partner_id)["rows"]
    assert sorted((r["kind"], r["amount"], r["commission"]) for r in rows) == [
        ("invoice", 3000, 300), ("invoice", 3000, 300), ("sale", 3000, 300)]
    assert p.partners.report(WS, once.partner_id)["rows"] == []  # never came by its route
    p.stripe.refund_order_payment(invoice_id=invoice["id"])
    reversal = next(r for r in p.partners.report(WS, partner.partner_id)["rows"] if r["kind"] == "reversal")
    assert (reversal["amount"], reversal["commission"]) == (-3000, -300)  # a third of what was paid
    assert order_id == reversal["order_id"]


def test_a_first_only_rule_earns_once_and_the_signup_reward_stays_after_a_refund(p: P) -> None:
    partner = p.partner(signup_yen=2000)
    p.arrive(partner)
    definition = ProductDefinition.model_validate({"name": "月額", "amount": 1000, "kind": "subscription"})
    product = p.root.payments.create_product(WS, definition).product_id
    _, session = p.buy(product)
    p.stripe.flush(duplicate=True)
    p.stripe.pay_invoice(p.stripe.objects[session]["subscription"])  # not recurring: no commission
    rows = p.partners.report(WS, partner.partner_id)["rows"]
    assert sorted((r["kind"], r["commission"]) for r in rows) == [("sale", 100), ("signup", 2000)]
    p.stripe.refund_order_payment(invoice_id=p.stripe.objects[session]["invoice"])  # the first month back
    after = {r["kind"]: r["commission"] for r in p.partners.report(WS, partner.partner_id)["rows"]}
    assert after["reversal"] == -50 and after["signup"] == 2000  # 申し込み時 is earned at sign-up, as on UTAGE


def test_a_partners_promotion_code_attributes_a_purchase_with_no_referral_touch(p: P) -> None:
    promo = InProcessGateway(p.stripe).create_promotion_code(
        "sk_test_123", code="YAMADA", name="山田さん紹介", amount_off=1000, percent_off=None, currency="jpy",
        max_redemptions=None, expires_at=None, idempotency_key="promo-yamada")["promotion_code_id"]
    yamada = p.partners.create(WS, {"name": "山田", "channel_id": CHANNEL, "promotion_codes": [promo],
                                    "rules": [{"kind": "percent", "percent": 10}]})
    rival = p.partner("佐藤")
    p.arrive(rival)  # the friend came by another partner's link, but named 山田 at the checkout
    link = p.root.payments.purchase_link(WS, p.product(10000), p.friend)
    session_id = p.root.payments.start_checkout(link.split("/p/")[1].split("?")[0],
                                                link.split("?s=")[1]).rsplit("/", 1)[1]
    p.stripe.apply_promotion_code(session_id, "yamada")
    p.stripe.complete_checkout(session_id)
    [row] = p.partners.report(WS, yamada.partner_id)["rows"]
    assert (row["amount"], row["commission"]) == (9000, 900)
    assert p.partners.report(WS, rival.partner_id)["rows"] == []
    with pytest.raises(ValidationFailed, match="設定済み"):
        p.partners.replace(WS, rival.partner_id, {"name": "佐藤", "channel_id": CHANNEL, "promotion_codes": [promo]})
    with pytest.raises(ValidationFailed, match="promo_"):
        p.partners.create(WS, {"name": "x", "channel_id": CHANNEL, "promotion_codes": ["YAMADA"]})


def test_months_are_the_workspaces_own_time_zone(p: P, manual_clock: Any) -> None:
    manual_clock.set(datetime(2026, 12, 31, 20, 0, tzinfo=UTC))  # Jan 1 in Tokyo, Dec 31 in Los Angeles
    partner = p.partner()
    p.arrive(partner)
    p.buy(p.product(1000))
    assert p.partners.report(WS, partner.partner_id)["months"][0]["month"] == "2027-01"
    p.root.workspaces.patch(WS, {"time_zone": "America/Los_Angeles"})
    other = new_friend(p, 9)
    p.arrive(partner, other, "f9")
    p.buy(p.product(1000), other)
    assert [m["month"] for m in p.partners.report(WS, partner.partner_id)["months"]] == ["2027-01", "2026-12"]


def test_a_refund_finds_its_partner_through_the_order_index(p: P) -> None:
    partner = p.partner()
    p.arrive(partner)
    order_id, session = p.buy(p.product(10000))
    [indexed] = p.partners.repository.order_partners(WS, order_id)
    assert indexed.sk == partner.partner_id and len(indexed.row_keys or ()) == 1
    p.partners.delete(WS, partner.partner_id)  # no longer in the partner list: only the index leads to its rows
    p.refund(session)
    rows = p.partners.repository.rows(WS, partner.partner_id)
    assert sorted(int(r.commission) for r in rows) == [-1000, 1000]


def test_seminar_rewards_per_registration_and_attendance(p: P) -> None:
    partner = p.partners.create(WS, {"name": "講師仲間", "channel_id": CHANNEL, "seminar_rewards": [
        {"seminar_id": "sem_1", "on": "registration", "yen": 1000}, {"on": "attendance", "yen": 2000}]})
    code = p.partners.view(WS, partner)["code"]
    for _ in range(2):  # a redelivery counts once
        p.partners.publish(WS, "seminar_registered", {"subscriber_id": p.friend, "event_id": "sem_1",
                                                       "registration_id": "reg_1", "partner_code": code},
                           idempotency_key="r1")
        p.partners.publish(WS, "seminar_attended", {"subscriber_id": p.friend, "event_id": "sem_1",
                                                     "registration_id": "reg_1"}, idempotency_key="a1")
    p.partners.publish(WS, "seminar_registered", {"subscriber_id": p.friend, "event_id": "sem_2",
                                                   "registration_id": "reg_2", "partner_code": code},
                       idempotency_key="r2")  # no reward for sem_2's registration (only sem_1 has one)
    month = p.partners.report(WS, partner.partner_id)["months"][0]
    assert (month["registrations"], month["attendances"], month["pending_commission"]) == (2, 1, 3000)
    assert sorted(r["kind"] for r in p.partners.commissions(WS)) == ["attendance", "registration"]
    with pytest.raises(ValidationFailed):
        p.partners.create(WS, {"name": "x", "channel_id": CHANNEL, "seminar_rewards": [{"on": "registration"}]})


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send_report_link(self, workspace_id: str, *, to: str, name: str, url: str) -> str:
        self.sent.append({"to": to, "name": name, "url": url})
        return "msg-1"


def test_the_report_link_is_e_mailed_to_the_partner(p: P) -> None:
    mailer = FakeMailer()
    p.partners._mailer = lambda: mailer
    partner = p.partner()
    assert p.partners.email_report_link(WS, partner.partner_id)["sent_to"] == "yamada@example.com"
    assert mailer.sent[0]["url"] == p.partners.report_url(WS, partner)
    nameless = p.partners.create(WS, {"name": "無記名", "channel_id": CHANNEL})
    with pytest.raises(ValidationFailed, match="メールアドレス"):
        p.partners.email_report_link(WS, nameless.partner_id)


def test_the_report_mail_comes_from_the_workspaces_verified_sender() -> None:
    sent: dict[str, Any] = {}

    class Senders:
        def for_send(self, workspace_id: str, from_address: str | None) -> Any:
            assert from_address is None  # the default identity
            return type("S", (), {"source": "ショップ <shop@example.com>"})()

    class Email:
        def send(self, **kwargs: Any) -> str:
            sent.update(kwargs)
            return "m1"

    assert EmailReportMailer(Senders(), Email()).send_report_link(
        WS, to="p@example.com", name="山田", url="https://x/partner/t") == "m1"
    assert sent["source"] == "ショップ <shop@example.com>" and sent["to"] == "p@example.com"
    assert "https://x/partner/t" in sent["text"] and "山田 様" in sent["text"]


def page_request(method: str, path: str, query: dict[str, str] | None = None,
                 form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"rawPath": path, "queryStringParameters": query or None,
            "requestContext": {"http": {"method": method, "sourceIp": "203.0.113.9"}},
            "body": urllib.parse.urlencode(form or {}), "isBase64Encoded": False,
            "headers": {"content-type": "application/x-www-form-urlencoded"}}


def test_a_ref_on_the_product_page_credits_the_partner_as_a_signed_touch_at_the_visit(
        p: P, manual_clock: Any) -> None:
    partner = p.partner(touch="last", window_days=1)
    code = p.partners.view(WS, partner)["code"]
    product_id = p.product(8000)
    page = p.root.pages.handle(page_request("GET", f"/p/{product_id}", {"ref": code}))
    signed = re.search(r'name="pr" value="([^"]+)"', page["body"])
    assert page["statusCode"] == 200 and signed and signed.group(1).startswith(f"{code}.")
    # an unknown code still sells, crediting nobody; a forged visit time is ignored
    unknown = p.root.pages.handle(page_request("GET", f"/p/{product_id}", {"ref": "nobody"}))
    assert unknown["statusCode"] == 200 and 'name="pr"' not in unknown["body"]
    forged = signed.group(1).rsplit(".", 2)[0] + ".1.AAAA"
    p.root.pages.handle(page_request("POST", f"/p/{product_id}", form={"pr": forged}))
    p.root.pages.handle(page_request("POST", f"/p/{product_id}", form={"pr": signed.group(1)}))
    orders = {o.order_id: o for o in OrderModel.scan(OrderModel.sk.startswith("order#"))}
    credited = [o for o in orders.values() if o.partner_ref == code]
    assert len(orders) == 2 and len(credited) == 1  # the forged one carries no partner
    session_id = credited[0].checkout_session_id
    p.stripe.complete_checkout(session_id, email="new-buyer@example.com")  # a public link: no friend yet
    [row] = p.partners.report(WS, partner.partner_id)["rows"]
    assert (row["amount"], row["commission"], row["order_id"]) == (8000, 800, credited[0].order_id)

    # the window runs from the visit: a page opened 2 days before paying earns nothing under a 1-day window
    late = p.root.pages.handle(page_request("GET", f"/p/{product_id}", {"ref": code}))
    late_ref = re.search(r'name="pr" value="([^"]+)"', late["body"])
    assert late_ref
    manual_clock.advance(timedelta(days=2))
    before = set(orders)
    p.root.pages.handle(page_request("POST", f"/p/{product_id}", form={"pr": late_ref.group(1)}))
    [late_order] = [o for o in OrderModel.scan(OrderModel.sk.startswith("order#")) if o.order_id not in before]
    p.stripe.complete_checkout(late_order.checkout_session_id, email="late@example.com")
    assert len(p.partners.report(WS, partner.partner_id)["rows"]) == 1


def test_the_admin_api_approves_in_bulk_with_the_payments_permission_and_audits_it(p: P) -> None:
    partner = p.partner()
    p.arrive(partner)
    p.buy(p.product(10000))
    listed = call("GET", "/api/partner-commissions", query="status=pending")
    assert listed["statusCode"] == 200
    [row] = json.loads(listed["body"])["items"]
    request = {"decision": "approved", "rows": [{"partner_id": row["partner_id"], "key": row["key"]}]}
    assert call("POST", "/api/partner-commissions/decide", request, role="viewer")["statusCode"] == 403
    bad = call("POST", "/api/partner-commissions/decide", {"decision": "ok", "rows": []})
    assert bad["statusCode"] == 422 and json.loads(bad["body"])["where"] == "decision"
    done = call("POST", "/api/partner-commissions/decide", request)
    assert done["statusCode"] == 200 and json.loads(done["body"])["changed"] == 1
    assert json.loads(call("GET", "/api/partner-commissions", query="status=approved")["body"])["items"][0][
        "decided_by"] == "owner@example.jp"
    entries, _ = AuditLog().page(WS, target_kind="partner-commissions")
    assert [(e.method, e.route) for e in entries][:1] == [("POST", "/api/partner-commissions/decide")]
    mailer = FakeMailer()
    p.partners._mailer = lambda: mailer
    sent = call("POST", f"/api/partners/{partner.partner_id}/email-report-link")
    assert sent["statusCode"] == 200 and mailer.sent[0]["to"] == "yamada@example.com"
