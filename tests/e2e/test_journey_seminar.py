"""Journey (セミナー・イベント): a marketer creates a seminar with a session and a reminder scenario in the admin; the
friend asks for the sessions on LINE (a postback, as a rich menu area sends it), taps 申込む on the carousel in the
emulator's phone page and opens their own signed page from the answer, where the check-in QR and its code show;
the clock moves to an hour before the start and the reminder arrives on the phone, once; staff check the friend in
by the code on the phone-sized check-in page (a second scan is refused in Japanese); the roster shows the friend
attended and the friend has the attended tag. A friend also registers through a form with a セミナー日程 field built
in the admin's form editor, and applies for a paid seminar through such a form and pays at the Stripe stand-in.

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from haishin.seminars.models import seminar_data
from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000002171"
SECRET = "0123456789abcdef0123456789abc171"
TOKEN = "e2e-seminar-token-" + "s" * 40
WS = "ws_e2e_seminar"
OWNER = "owner@seminar.example.jp"
FRIEND = "U" + "5" * 31 + "1"
JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシンセミナー",
                      friends={FRIEND: "佐藤 花子"})
    yield s


def texts(system: Any) -> list[str]:
    return [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(FRIEND, CH)]


def one_seat_and_link(system: Any, token: str, event_id: str, days: int, venue: str) -> tuple[dict[str, Any], str]:
    """A one-seat session ``days`` ahead and the friend's signed page link."""
    now = datetime.fromisoformat(system.clock_state()["now"]).astimezone(JST)
    start = (now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    session = api_request(system, token, "POST", f"/api/seminars/{event_id}/sessions", {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "venue": venue, "capacity": 1})
    [friend] = [f for f in api_request(system, token, "GET", "/api/subscribers")["items"]
                if f.get("display_name") == "佐藤 花子"]
    link = api_request(system, token, "POST", f"/api/seminars/{event_id}/link",
                       {"subscriber_id": friend["subscriber_id"]})["url"]
    return session, link


def test_seminar_register_remind_check_in_roster_and_tag(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS)
    scenario = api_request(system, token, "POST", "/api/scenarios", {
        "name": "セミナー前日・直前リマインド", "steps": [
            {"id": "hour", "timing": {"type": "relative_to_date", "field": "seminar_start", "days": 0,
                                      "minutes": -60},
             "line": [{"type": "text", "text": "まもなく{{ fields.seminar_title }}が始まります"}]}]})
    now = datetime.fromisoformat(system.clock_state()["now"]).astimezone(JST)
    start = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)

    # the marketer creates the seminar and a session in the admin
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/seminars/new")
    page.get_by_test_id("seminar-editor").wait_for()
    page.locator("input[name=title]").fill("集客セミナー")
    page.locator("input[name=reminder_scenario_id]").fill("no-such-scenario")
    page.get_by_test_id("seminar-save").click()
    page.locator("[data-field-error=reminder_scenario_id]").wait_for()
    # refused at the API's door (another workspace's or an unknown scenario: "not in your workspace")
    assert "シナリオはワークスペースにありません" in page.locator("[data-field-error=reminder_scenario_id]").inner_text()
    page.locator("input[name=reminder_scenario_id]").fill(scenario["id"])
    page.get_by_test_id("seminar-save").click()
    page.wait_for_function("/#\\/seminars\\/sem_/.test(location.hash)")
    event_id = page.evaluate("location.hash").split("/")[2]
    page.get_by_test_id("session-add-open").click()
    form = page.get_by_test_id("session-add")
    form.locator("input[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=ends_at]").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=capacity]").fill("10")
    form.get_by_test_id("session-save").click()
    assert "会場" in page.locator(".notice--error").first.inner_text()  # neither a venue nor an online URL
    form.locator("input[name=venue]").fill("渋谷会議室")
    form.get_by_test_id("session-save").click()
    page.get_by_test_id("session-seats").wait_for()
    assert page.get_by_test_id("session-seats").inner_text() == "残り 10 席 / 定員 10 · キャンセル待ち 0 人"
    snap("seminar-editor")

    # the friend asks for the sessions (a rich menu postback) and taps 申込む on the carousel in the phone page
    emulator = system.line_emulator
    assert emulator.postback(CH, FRIEND, seminar_data("l", event_id)) == 200
    system.drain()
    phone = page.context.new_page()
    phone.goto(f"{emulator.base_url}/_emulator/phone?channel={CH}&user={FRIEND}")
    phone.locator(".carousel button", has_text="申込む").first.click()
    system.drain()
    answers = [t for t in texts(system) if "お申込みが完了しました" in t]
    assert len(answers) == 1, __import__("json").dumps(system.line_emulator.received(FRIEND, CH)[-1], ensure_ascii=False)[:1500]
    answer = answers[0]
    (link,) = re.findall(r"https?://\S+/sem/\S+", answer)
    phone.goto(link)
    phone.get_by_test_id("sem-qr").wait_for()
    code = phone.get_by_test_id("sem-code").inner_text()
    assert code.startswith(f"SEM1:{event_id}:")
    snap("friend-page")

    # the clock moves to an hour before the start: the reminder arrives once
    due = start - timedelta(minutes=60)
    system.advance(due - datetime.fromisoformat(system.clock_state()["now"]) - timedelta(minutes=2))
    for _ in range(3):
        system.advance(timedelta(minutes=1))
    system.advance(timedelta(minutes=5))
    reminders = [t for t in texts(system) if t.startswith("まもなく")]
    assert reminders == ["まもなく集客セミナーが始まります"], texts(system)

    # staff check the friend in on the phone-sized page by the code; the same code again is refused
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(admin + "#/seminars/check-in")
    page.get_by_test_id("checkin-code").fill(code)
    page.get_by_test_id("checkin-run").click()
    assert page.get_by_test_id("checkin-ok").inner_text() == "佐藤 花子 さんを受付しました"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap("check-in")
    page.get_by_test_id("checkin-code").fill(code)
    page.get_by_test_id("checkin-run").click()
    assert "すでに使用" in page.locator(".notice--error").first.inner_text()
    page.get_by_test_id("checkin-code").fill(code[:-4] + "AAAA")
    page.get_by_test_id("checkin-run").click()
    page.locator(".notice--error", has_text="受付コードが正しくありません").wait_for()

    # the roster shows the friend attended; the friend has the attended tag
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(admin + f"#/seminars/{event_id}")
    row = page.locator("[data-testid=roster-row][data-attendance=attended]")
    row.wait_for()
    assert "佐藤 花子" in row.inner_text()
    snap("roster")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("seminar-roster").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the seminar screen scrolls sideways on a phone ({width}px)"
    page.goto(admin + f"#/seminars/{event_id}/print")
    page.get_by_test_id("print-row").first.wait_for()
    assert "佐藤 花子" in page.get_by_test_id("print-row").first.inner_text()
    roster = api_request(system, token, "GET", f"/api/seminars/{event_id}/registrations")
    friend = api_request(system, token, "GET", f"/api/subscribers/{roster['items'][0]['subscriber_id']}")
    names = {t["name"] if isinstance(t, dict) else t for t in friend["tags"]}
    assert "集客セミナー 参加" in names
    assert [e for e in browser_errors if "status of 4" not in e] == []


def test_paid_seminar_seat_held_paid_at_stripe_then_refunded(system: Any, page: Any, browser_errors: list[str]) -> None:
    """A paid seminar: the friend's page holds the seat (お支払い待ち), the payment link goes through the product page
    to the Stripe stand-in's checkout, checkout.session.completed confirms the seat (QR shown), a refund cancels it."""
    token = system.login(email=OWNER, workspace_id=WS)
    whsec = "whsec_e2e_seminar_0001"
    api_request(system, token, "PUT", "/api/payments/stripe/keys",
                {"mode": "test", "secret_key": "sk_test_e2e_seminar_0001", "webhook_secrets": [whsec]})
    system.stripe_emulator.register_webhook(f"{system.base_url}/stripe/webhook/{WS}", whsec)
    product = api_request(system, token, "POST", "/api/products", {"name": "有料セミナー参加費", "amount": 3000})
    event = api_request(system, token, "POST", "/api/seminars", {
        "title": "有料セミナー", "price": {"kind": "product", "product_id": product["product_id"], "hold_minutes": 30}})
    event_id = event["event_id"]
    _, link = one_seat_and_link(system, token, event_id, 2, "新宿会議室")

    page.goto(link)
    page.get_by_text("参加費が必要です").wait_for()
    page.get_by_test_id("sem-register").click()
    page.get_by_text("お席を仮押さえしました").wait_for()
    assert "お支払い待ちです" in page.get_by_test_id("sem-registration").inner_text()
    assert "までに参加費をお支払いいただくと" in page.get_by_test_id("sem-hold").inner_text()
    page.get_by_test_id("sem-pay").click()
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_text("お支払いが完了しました").wait_for()
    system.drain()

    page.goto(link)
    page.get_by_test_id("sem-qr").wait_for()
    assert page.get_by_test_id("sem-registration").get_attribute("data-status") == "confirmed"
    assert page.get_by_test_id("sem-pay").count() == 0

    [session] = [o for o in system.stripe_emulator.made("checkout.session")
                 if o.get("payment_intent")
                 and str((o.get("metadata") or {}).get("ref", "")).startswith(f"sem:{event_id}:")]
    system.stripe_emulator.refund_order_payment(payment_intent=session["payment_intent"])
    system.drain()
    page.goto(link)
    page.get_by_text("日程を選んでお申込みください").wait_for()
    detail = api_request(system, token, "GET", f"/api/seminars/{event_id}")
    assert detail["sessions"][0]["taken"] == 0
    assert [e for e in browser_errors if "status of 4" not in e] == []


def test_paid_seminar_hold_set_in_the_editor_and_a_late_payment_for_a_refilled_seat_is_refunded(
    system: Any, page: Any, browser_errors: list[str]
) -> None:
    """The marketer sets the hold (5 minutes) and an own reminder in the editor; the friend holds the only seat and
    opens Stripe's checkout but pays only after the hold ran out and staff gave the seat to someone else: the
    payment is refunded through the Stripe stand-in once and the admin's roster says 返金済."""
    token = system.login(email=OWNER, workspace_id=WS)
    whsec = "whsec_e2e_seminar_0002"
    api_request(system, token, "PUT", "/api/payments/stripe/keys",
                {"mode": "test", "secret_key": "sk_test_e2e_seminar_0002", "webhook_secrets": [whsec]})
    system.stripe_emulator.register_webhook(f"{system.base_url}/stripe/webhook/{WS}", whsec)
    product = api_request(system, token, "POST", "/api/products", {"name": "返金テスト参加費", "amount": 4000})

    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/seminars/new")
    page.get_by_test_id("seminar-editor").wait_for()
    page.locator("input[name=title]").fill("返金テストセミナー")
    page.locator("select[name=price]").select_option("product")
    page.locator("input[name=product_id]").fill(product["product_id"])
    page.locator("input[name=hold_minutes]").fill("5")
    page.get_by_test_id("seminar-reminder-add").click()
    page.locator("textarea[name=reminder-text-0]").fill("明日は{{ fields.seminar_title }}です")
    page.get_by_test_id("seminar-save").click()
    page.wait_for_function("/#\\/seminars\\/sem_/.test(location.hash)")
    event_id = page.evaluate("location.hash").split("/")[2]
    saved = api_request(system, token, "GET", f"/api/seminars/{event_id}")
    assert saved["price"]["hold_minutes"] == 5 and saved["reminders"][0]["minutes_before"] == 1440

    session, link = one_seat_and_link(system, token, event_id, 3, "池袋会議室")
    page.goto(link)
    page.get_by_test_id("sem-register").click()
    page.get_by_text("お席を仮押さえしました").wait_for()
    page.get_by_test_id("sem-pay").click()
    page.get_by_role("button", name="購入手続きへ進む").click()
    page.get_by_role("button", name="支払う / Pay").wait_for()  # Stripe's checkout is open; the friend waits

    system.advance(timedelta(minutes=6))  # the hold ran out; staff give the seat to a walk-in guest
    guest = api_request(system, token, "POST", "/api/subscribers", {"display_name": "来場 一郎",
                                                                   "email": "walkin@seminar.example.jp"})
    seated = api_request(system, token, "POST", f"/api/seminars/{event_id}/registrations",
                         {"subscriber_id": guest["subscriber_id"], "session_id": session["session_id"]})
    assert seated["status"] == "confirmed"

    page.get_by_role("button", name="支払う / Pay").click()  # the friend pays late
    page.get_by_text("お支払いが完了しました").wait_for()
    system.drain()
    refunds = [o for o in system.stripe_emulator.made("refund")
               if str((o.get("metadata") or {}).get("ref", "")).startswith(f"sem:{event_id}:")]
    assert len(refunds) == 1 and refunds[0]["amount"] == 4000
    # told on LINE by the handler of the payment (which refunded it through the stand-in's API) before the checkout
    # page answered: the stand-in no longer holds its state lock while it delivers
    told = [t for t in texts(system) if "全額返金しました" in t and "返金テストセミナー" in t]
    assert len(told) == 1, texts(system)

    page.goto(admin + f"#/seminars/{event_id}")
    page.get_by_test_id("roster-list").wait_for()
    rows = page.get_by_test_id("roster-row")
    late = rows.filter(has_text="返金済")
    late.wait_for()
    assert late.get_attribute("data-status") == "cancelled"
    assert rows.filter(has_text="来場 一郎").get_attribute("data-status") == "confirmed"
    assert [e for e in browser_errors if "status of 4" not in e] == []


def test_a_waitlisted_friend_is_told_on_line_when_staff_cancel_and_they_move_up(
    system: Any, page: Any, browser_errors: list[str]
) -> None:
    """The only seat is a walk-in guest's; the friend joins the waitlist on their page; staff cancel the guest in
    the roster and the friend moves up: their page shows the QR and LINE tells them, once."""
    token = system.login(email=OWNER, workspace_id=WS)
    event = api_request(system, token, "POST", "/api/seminars", {"title": "繰り上げテストセミナー"})
    event_id = event["event_id"]
    session, link = one_seat_and_link(system, token, event_id, 5, "品川会議室")
    guest = api_request(system, token, "POST", "/api/subscribers", {"display_name": "当日 次郎",
                                                                   "email": "guest@seminar.example.jp"})
    api_request(system, token, "POST", f"/api/seminars/{event_id}/registrations",
                {"subscriber_id": guest["subscriber_id"], "session_id": session["session_id"]})
    page.goto(link)
    page.get_by_test_id("sem-register").click()
    page.get_by_test_id("sem-registration").wait_for()
    assert page.get_by_test_id("sem-registration").get_attribute("data-status") == "waitlisted"

    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/seminars/{event_id}")
    row = page.get_by_test_id("roster-row").filter(has_text="当日 次郎")
    row.wait_for()
    row.get_by_test_id("roster-cancel").click()
    row.get_by_test_id("roster-cancel-confirm").click()
    page.get_by_test_id("roster-row").filter(has_text="佐藤 花子").and_(
        page.locator("[data-status=confirmed]")).wait_for()
    system.drain()
    moved = [t for t in texts(system) if "繰り上げテストセミナー" in t and "空きが出た" in t]
    assert len(moved) == 1 and "お申込みが確定しました" in moved[0], texts(system)
    page.goto(link)
    page.get_by_test_id("sem-qr").wait_for()
    assert [e for e in browser_errors if "status of 4" not in e] == []


def seminar_form_built_in_the_admin(system: Any, token: str, page: Any, seminar: str) -> tuple[dict[str, Any], str]:
    """The marketer builds a form with a セミナー日程 field for ``seminar`` (its title) in the admin's form editor;
    the friend's LINE-signed link to it (the friend and the URL)."""
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/forms/new")
    page.get_by_test_id("form-builder").wait_for()
    page.locator("input[name=name]").fill(f"{seminar} 申込フォーム")
    page.locator("input[name=title]").fill(f"{seminar}お申込み")
    page.get_by_test_id("form-add-field").click()
    page.locator("input[name='fields.1.label']").fill("参加日程")
    page.locator("select[name='fields.1.type']").select_option("seminar_session")
    page.locator("select[name='fields.1.seminar_id'] option", has_text=seminar).wait_for(state="attached")
    page.locator("select[name='fields.1.seminar_id']").select_option(label=seminar)
    with page.expect_response(lambda r: r.url.endswith("/api/forms") and r.request.method == "POST") as saved:
        page.get_by_test_id("form-save").click()
    assert saved.value.status == 201, saved.value.text()
    form_id = saved.value.json()["form_id"]
    [friend] = [f for f in api_request(system, token, "GET", "/api/subscribers")["items"]
                if f.get("display_name") == "佐藤 花子"]
    link = api_request(system, token, "POST", f"/api/forms/{form_id}/link",
                       {"subscriber_id": friend["subscriber_id"]})["url"]
    return friend, link


def test_a_friend_registers_through_a_seminar_form_built_in_the_admin(
    system: Any, page: Any, browser_errors: list[str]
) -> None:
    """The marketer adds a セミナー日程 field to a form in the admin and sends the friend its link; the friend picks
    the session with seats left on the form page and is registered (on the roster); sending the form again is
    refused on the field in Japanese and registers nothing more."""
    token = system.login(email=OWNER, workspace_id=WS)
    event = api_request(system, token, "POST", "/api/seminars", {"title": "フォーム申込セミナー"})
    event_id = event["event_id"]
    session, _ = one_seat_and_link(system, token, event_id, 6, "横浜会議室")

    friend, link = seminar_form_built_in_the_admin(system, token, page, "フォーム申込セミナー")

    phone = page.context.new_page()
    phone.set_viewport_size({"width": 375, "height": 800})
    phone.goto(link)
    pick = phone.locator("select[name=q2]")
    assert "横浜会議室 (残り1席)" in pick.inner_text()
    phone.locator("input[name=name]").fill("佐藤 花子")
    pick.select_option(session["session_id"])
    phone.locator("button[type=submit]").click()
    phone.get_by_text("送信が完了しました").wait_for()
    roster = api_request(system, token, "GET", f"/api/seminars/{event_id}/registrations")["items"]
    assert [(r["subscriber_id"], r["status"]) for r in roster] == [(friend["subscriber_id"], "confirmed")]

    phone.goto(link)  # again: the session is full now and the friend is registered already
    assert "受付中の日程がありません" in phone.locator("select[name=q2]").inner_text()
    phone.evaluate(f"""() => {{ const s = document.querySelector("select[name=q2]");
        s.add(new Option("x", "{session['session_id']}")); s.value = "{session['session_id']}"; }}""")
    phone.locator("input[name=name]").fill("佐藤 花子")
    phone.locator("button[type=submit]").click()
    phone.locator(".error", has_text="すでにこのセミナーにお申し込み済みです。").wait_for()
    roster = api_request(system, token, "GET", f"/api/seminars/{event_id}/registrations")["items"]
    assert len(roster) == 1
    assert [e for e in browser_errors if "status of 4" not in e] == []


def test_a_friend_applies_for_a_paid_seminar_through_a_form_and_pays_at_stripe(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    """エキスパ's paid seminar application: the marketer puts a paid seminar in a form's セミナー日程 field in the
    admin; the friend applies on a phone-sized page, the seat is held (the thank-you page says until when) and
    「お支払いへ進む」 goes to the seminar's own payment (the product page, the Stripe stand-in's checkout); paid, the
    registration is confirmed in the admin's roster."""
    token = system.login(email=OWNER, workspace_id=WS)
    whsec = "whsec_e2e_seminar_0003"
    api_request(system, token, "PUT", "/api/payments/stripe/keys",
                {"mode": "test", "secret_key": "sk_test_e2e_seminar_0003", "webhook_secrets": [whsec]})
    system.stripe_emulator.register_webhook(f"{system.base_url}/stripe/webhook/{WS}", whsec)
    mark = system.stripe_emulator.mark()
    product = api_request(system, token, "POST", "/api/products", {"name": "フォーム申込の参加費", "amount": 6000})
    event = api_request(system, token, "POST", "/api/seminars", {
        "title": "有料フォーム申込セミナー",
        "price": {"kind": "product", "product_id": product["product_id"], "hold_minutes": 30}})
    event_id = event["event_id"]
    session, _ = one_seat_and_link(system, token, event_id, 8, "大宮会議室")
    friend, link = seminar_form_built_in_the_admin(system, token, page, "有料フォーム申込セミナー")

    phone = page  # the friend's phone-sized page (the marketer's admin comes back after paying)
    phone.set_viewport_size({"width": 375, "height": 800})
    phone.goto(link)
    phone.locator("input[name=name]").fill("佐藤 花子")
    phone.locator("select[name=q2]").select_option(session["session_id"])
    phone.locator("button[type=submit]").click()
    phone.get_by_text("「有料フォーム申込セミナー」のお席を仮押さえしました").wait_for()
    assert "までに参加費をお支払いいただくとお申込みが確定します" in phone.get_by_test_id("form-seat-hold").inner_text()
    assert phone.get_by_test_id("form-seat").get_attribute("data-status") == "pending_payment"
    snap("phone-thanks")
    [held] = api_request(system, token, "GET", f"/api/seminars/{event_id}/registrations")["items"]
    assert (held["subscriber_id"], held["status"], held["source"]) == (friend["subscriber_id"], "pending_payment",
                                                                      "form")
    phone.get_by_role("link", name="お支払いへ進む").click()
    phone.get_by_role("button", name="購入手続きへ進む").click()
    phone.get_by_role("button", name="支払う / Pay").click()
    phone.get_by_text("お支払いが完了しました").wait_for()
    system.drain()

    [checkout] = [o for o in system.stripe_emulator.made("checkout.session", since=mark) if o.get("payment_intent")]
    assert checkout["metadata"]["ref"] == f"sem:{event_id}:{held['registration_id']}"
    assert checkout["amount_total"] == 6000
    held_notes = [t for t in texts(system) if "有料フォーム申込セミナー" in t and "のお席を仮押さえしました" in t]
    assert len(held_notes) == 1 and f"r=sem:{event_id}:{held['registration_id']}" in held_notes[0], texts(system)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{system.base_url}/admin/#/seminars/{event_id}")
    row = page.get_by_test_id("roster-row").filter(has_text="佐藤 花子")
    row.and_(page.locator("[data-status=confirmed]")).wait_for()
    assert [e for e in browser_errors if "status of 4" not in e] == []
