"""Forms, tracked links and Stripe payments on the local system: everything through the HTTP routes of template.yaml.

- a form opened from a LINE-bound link (minted through the admin API) and posted to POST /f/{form_id} updates that
  friend, adds the tag and enrolls them in the scenario; posting the same page twice stores one submission; an
  unsigned POST with the friend's e-mail changes nothing of theirs (a separate unverified contact gets the answer);
- a per-friend tracked link (/c/{token}) records the click, sets the inflow route and runs its actions once;
- a Stripe Checkout through the stand-in (purchase link GET /p/{product_id} shows the product and creates nothing;
  its POST button -> Checkout -> "pay") delivers signed events
  to /stripe/webhook/{workspace_id}, held and then flushed newest first and each twice: the order is paid, the
  post-purchase tag and scenario happen once, and the thank-you message arrives once.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500077"
WS = "w_forms_pay"
SECRET = "7c3c0a1b2d4e5f60718293a4b5c6d7e1"
TOKEN = "forms-payments-token-0000000000000000001"
USER = "U" + "7" * 32
WHSEC = "whsec_forms_payments_local_0001"
AUTO_REPLY = "{{ name }}さん、お申込みありがとうございます。"
THANKS = "ご購入ありがとうございます!"



def _texts(emulator: Any) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in emulator.received(USER, CH)]


def _nonce(page: str) -> str:
    found = re.search(r'name="_nonce"\s+value="([^"]+)"', page) or re.search(r'value="([^"]+)"\s+name="_nonce"', page)
    assert found, page[:2000]
    return found.group(1)


def test_form_link_and_stripe_move_the_friend_once(local_system: Any) -> None:
    # imported once the local system has set the endpoints: PynamoDB models read them when their module loads
    from haishin.forms.models import FormAnswerModel, answers_pk  # noqa: PLC0415
    from haishin.scenarios.enrollments import EnrollmentRepository  # noqa: PLC0415
    from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415
    from haishin.tags.repository import TagRepository  # noqa: PLC0415
    from haishin.timeline.models import TimelineEntryModel, timeline_pk  # noqa: PLC0415

    system = local_system
    base = system.base_url
    emulator = system.line_emulator
    stripe = system.stripe_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)  # owner, sign-in, channel

    assert emulator.follow(CH, USER) == 200
    system.drain()
    subscribers = SubscriberRepository()
    friend = subscribers.find_by_line_user(WS, CH, USER)
    assert friend is not None
    sid = friend.subscriber_id

    scenario_ids = {}
    for name in ("seminar-followup", "after-purchase"):
        status, scenario = json_request("POST", f"{base}/api/scenarios", {
            "name": name, "steps": [{"id": "s1", "timing": {"type": "after", "amount": 1, "unit": "days"},
                                     "line": [{"type": "text", "text": f"{name} day 1"}]}]}, auth)
        assert status in (200, 201), scenario
        scenario_ids[name] = scenario.get("scenario_id") or scenario["id"]

    def tag_names() -> set[str]:
        by_id = {t.tag_id: t.name for t in TagRepository().all(WS)}
        return {by_id.get(t, t) for t in subscribers.require(WS, sid).tags or set()}

    def timeline(kind: str) -> list[TimelineEntryModel]:
        return [e for e in TimelineEntryModel.query(timeline_pk(WS, sid)) if e.kind == kind]

    # ------------------------------------------------------------------ form through the HTTP routes
    status, form = json_request("POST", f"{base}/api/forms", {
        "name": "セミナー申込", "title": "無料セミナーお申込み",
        "fields": [{"key": "name", "label": "お名前", "type": "text", "required": True, "maps_to": "display_name"},
                   {"key": "email", "label": "メールアドレス", "type": "email", "required": True},
                   {"key": "course", "label": "コース", "type": "radio", "options": ["初級", "上級"]}],
        "actions": [{"type": "add_tag", "tag": "セミナー申込"},
                    {"type": "start_scenario", "scenario_id": scenario_ids["seminar-followup"]}],
        "auto_reply": AUTO_REPLY}, auth)
    assert status == 201, form
    form_id = form["form_id"]
    status, link = json_request("POST", f"{base}/api/forms/{form_id}/link", {"subscriber_id": sid}, auth)
    assert status == 200, link

    status, _, page = raw_request("GET", link["url"])
    assert status == 200 and "無料セミナーお申込み" in page
    nonce = _nonce(page)
    body = urllib.parse.urlencode({"name": "山田 花子", "email": "hanako@example.jp", "course": "上級",
                                   "_nonce": nonce, "website": "", "t": link["token"]}).encode()
    post_headers = {"content-type": "application/x-www-form-urlencoded"}
    for _ in range(2):  # a double click posts the same page twice
        status, _, answer = raw_request("POST", f"{base}/f/{form_id}", body, post_headers)
        assert status == 200 and "送信が完了しました" in answer, answer[:500]
    system.drain()

    stored = list(FormAnswerModel.query(answers_pk(WS, form_id)))
    assert len(stored) == 1 and stored[0].subscriber_id == sid and stored[0].line_bound
    friend = subscribers.require(WS, sid)
    assert friend.email == "hanako@example.jp"
    assert (friend.fields or {}).get("course") == "上級"
    assert "セミナー申込" in tag_names()
    enrollment = EnrollmentRepository().get(WS, sid, scenario_ids["seminar-followup"])
    assert enrollment is not None and enrollment.status == "active"
    assert len(timeline("form_answered")) == 1
    # {{ name }} is the friend's name: the LINE profile name stays (the form only fills an empty display name)
    assert _texts(emulator).count(f"{friend.display_name}さん、お申込みありがとうございます。") == 1, _texts(emulator)

    # an unsigned POST that only knows the friend's e-mail changes nothing of theirs: a separate unverified contact
    before = subscribers.require(WS, sid)
    status, _, page = raw_request("GET", f"{base}/f/{form_id}")
    assert status == 200
    forged = urllib.parse.urlencode({"name": "なりすまし", "email": "HANAKO@example.jp", "course": "初級",
                                     "_nonce": _nonce(page), "website": ""}).encode()
    status, _, answer = raw_request("POST", f"{base}/f/{form_id}", forged, post_headers)
    assert status == 200 and "送信が完了しました" in answer, answer[:500]
    system.drain()
    after = subscribers.require(WS, sid)
    assert (after.fields, after.tags, after.email, after.display_name, after.version) == (
        before.fields, before.tags, before.email, before.display_name, before.version)
    assert len(timeline("form_answered")) == 1
    assert _texts(emulator).count(f"{friend.display_name}さん、お申込みありがとうございます。") == 1
    stored = list(FormAnswerModel.query(answers_pk(WS, form_id)))
    other = [a for a in stored if a.subscriber_id != sid]
    assert len(stored) == 2 and len(other) == 1 and not other[0].line_bound
    contact = subscribers.require(WS, other[0].subscriber_id)
    assert contact.unverified_match["matches"] == {"email": sid} and contact.email is None

    # ------------------------------------------------------------------ tracked link
    status, tracked = json_request("POST", f"{base}/api/links", {
        "name": "春のキャンペーン", "target_url": "https://shop.example.jp/spring", "inflow_route": "line_campaign",
        "actions": [{"type": "add_tag", "tag": "キャンペーン閲覧"}]}, auth)
    assert status == 201, tracked
    status, minted = json_request("POST", f"{base}/api/links/{tracked['link_id']}/friend-url", {"subscriber_id": sid}, auth)
    assert status == 200, minted
    for _ in range(2):
        status, headers, _ = raw_request("GET", minted["url"])
        assert status == 302 and headers["location"] == "https://shop.example.jp/spring"
    status, headers, page = raw_request("GET", minted["url"][:-3] + "AAA")  # tampered signature
    assert status == 403 and "location" not in headers and "このリンクは無効です" in page
    status, counted = json_request("GET", f"{base}/api/links/{tracked['link_id']}", headers=auth)
    assert status == 200 and (counted["clicks"], counted["unique_friends"]) == (2, 1), counted
    assert friend.inflow_route is None  # a LINE follow without a route: the first tracked link sets it
    assert subscribers.require(WS, sid).inflow_route == "line_campaign"
    assert "キャンペーン閲覧" in tag_names()
    assert len(timeline("link_clicked")) == 2

    # ------------------------------------------------------------------ Stripe Checkout through the stand-in
    status, keys = json_request("PUT", f"{base}/api/payments/stripe/keys",
                         {"mode": "test", "secret_key": "sk_test_forms_payments_0001", "webhook_secrets": [WHSEC]},
                         auth)
    assert status == 200, keys
    stripe.register_webhook(f"{base}/stripe/webhook/{WS}", WHSEC)
    status, product = json_request("POST", f"{base}/api/products", {
        "name": "LINE集客講座", "amount": 9800,
        "actions": [{"type": "add_tag", "tag": "講座購入者"},
                    {"type": "start_scenario", "scenario_id": scenario_ids["after-purchase"]}],
        "thank_you_message": THANKS}, auth)
    assert status == 201, product
    product_id = product["product_id"]
    status, purchase = json_request("POST", f"{base}/api/products/{product_id}/link", {"subscriber_id": sid}, auth)
    assert status == 200 and f"/p/{product_id}?s=" in purchase["url"], purchase

    stripe.auto_deliver = False  # hold the events, then deliver them newest first and each twice
    try:
        def sessions() -> int:
            return sum(1 for o in list(stripe.objects.values()) if o.get("object") == "checkout.session")

        before = sessions()
        for _ in range(2):  # a link preview, then the friend: a GET shows the product and starts nothing
            status, headers, page = raw_request("GET", purchase["url"])
            assert status == 200 and "location" not in headers and "LINE集客講座" in page, page[:500]
        assert sessions() == before
        token = re.search(r'name="s" value="([^"]+)"', page)
        assert token, page[:2000]
        status, headers, _ = raw_request("POST", purchase["url"], urllib.parse.urlencode({"s": token.group(1)}).encode(),
                                  {"content-type": "application/x-www-form-urlencoded"})
        assert status == 303, headers
        session_id = headers["location"].rstrip("/").rsplit("/", 1)[1]
        stripe.complete_checkout(session_id)
        flushed = stripe.flush(reverse=True, duplicate=True)
    finally:
        stripe.auto_deliver = True
    assert "checkout.session.completed" in [e["type"] for e in flushed]
    system.drain()
    statuses = [d.status for d in stripe.deliveries if d.url.endswith(f"/stripe/webhook/{WS}")]
    assert statuses and all(s == 200 for s in statuses), statuses

    status, orders = json_request("GET", f"{base}/api/orders?subscriber_id={sid}", headers=auth)
    assert status == 200, orders
    items = orders["items"] if isinstance(orders, dict) else orders
    assert len(items) == 1 and items[0]["status"] == "paid" and items[0]["paid_total"] == 9800, items
    assert "講座購入者" in tag_names()
    assert len([e for e in timeline("tag_added") if (e.data or {}).get("tag") == "講座購入者"]) == 1
    purchase_enrollment = EnrollmentRepository().get(WS, sid, scenario_ids["after-purchase"])
    assert purchase_enrollment is not None and purchase_enrollment.status == "active"
    assert len([e for e in timeline("enrolled")
                if (e.data or {}).get("scenario_id") == scenario_ids["after-purchase"]]) == 1, timeline("enrolled")
    assert _texts(emulator).count(THANKS) == 1

    # a late redelivery of every event changes nothing
    for event in flushed:
        stripe.resend(event["id"])
    system.drain()
    assert _texts(emulator).count(THANKS) == 1
    assert len([e for e in timeline("tag_added") if (e.data or {}).get("tag") == "講座購入者"]) == 1
