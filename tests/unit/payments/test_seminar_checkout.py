"""Paid seminars through the Stripe stand-in: the seat is held as pending_payment (counted against the capacity)
until checkout.session.completed confirms it (a redelivery changes nothing); an unpaid hold past its expiry is
released on the next read and the waitlist moves up; a refund cancels the seat and moves the waitlist up. The
friend's page says each state in Japanese. A partner's ``ref`` on the page is carried as ``partner_code``."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from pay_env import WHSEC, WS, FakeMessenger, FakeScenarios, InProcessGateway

from haishin import clock, wiring
from haishin.errors import Conflict
from haishin.forms.inputs import FormDefinition
from haishin.ids import retry_key
from haishin.pages.forms import respond
from haishin.pages.liff import form_done_page
from haishin.payments.keys import StripeKeys
from haishin.payments.products import ProductDefinition
from haishin.public_url import public_base
from haishin.secrets import InMemorySecretStore
from haishin.seminars.inputs import SeminarIn, SessionIn
from haishin.subscribers.models import line_account
from haishin.wiring import Services
from haishin_local.stripe_emulator import StripeState

CHANNEL = "1234567890"


class FakeChannels:
    def require(self, workspace_id: str, channel_id: str) -> Any:
        return {"channel_id": channel_id}

    def find(self, channel_id: str) -> Any:
        return None  # no LIFF app: the partner's page offers only the route (/r/<code>)


@dataclass
class S:
    root: Services
    stripe: StripeState
    messenger: FakeMessenger
    n: int = 0

    def friend(self) -> str:
        self.n += 1
        repo = self.root.subscribers
        friend = repo.new(WS, source="line")
        uid = "U" + f"{self.n:x}".rjust(32, "e")
        friend.line = {CHANNEL: line_account(uid, status="following")}
        return repo.create(friend, [(f"line:{CHANNEL}", uid)]).subscriber_id

    def paid_event(self, capacity: int = 1, hold_minutes: int = 30) -> tuple[str, str, str]:
        product = self.root.payments.create_product(
            WS, ProductDefinition.model_validate({"name": "セミナー参加費", "amount": 5000})
        ).product_id
        price = {"kind": "product", "product_id": product, "hold_minutes": hold_minutes}
        event = self.root.seminars.create(WS, SeminarIn(title="有料セミナー", price=price))
        session = self.root.seminars.add_session(
            WS,
            event.event_id,
            SessionIn(starts_at=datetime(2026, 3, 1, 19), ends_at=datetime(2026, 3, 1, 21), venue="会場",
                      capacity=capacity),
        )
        return product, event.event_id, session.session_id

    def page(self, event_id: str, friend: str, form: dict[str, str] | None = None, ref: str = "") -> dict[str, Any]:
        url = self.root.seminars.friend_link(WS, event_id, friend)
        path, token = urllib.parse.urlsplit(url).path, url.split("?t=")[1]
        query = {"t": token, **({"ref": ref} if ref else {})}
        event: dict[str, Any] = {
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": urllib.parse.urlencode(query),
            "queryStringParameters": query,
            "headers": {"host": "localhost", "content-type": "application/x-www-form-urlencoded"},
            "requestContext": {"http": {"method": "POST" if form else "GET", "path": path}, "stage": "$default",
                               "domainName": "localhost"},
            "isBase64Encoded": False,
        }
        if form:
            event["body"] = urllib.parse.urlencode(form)
        return self.root.pages.handle(event)

    def pay(self, event_id: str, friend: str) -> str:
        """The friend follows the page's payment link (product page POST with s and r) and pays at Stripe."""
        state = self.root.seminars.friend_state(WS, event_id, self.root.seminars.friend_link(
            WS, event_id, friend).split("?t=")[1])
        link = state["pay_url"]
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
        product_id = urllib.parse.urlsplit(link).path.rsplit("/", 1)[1]
        url = self.root.payments.start_checkout(product_id, query["s"], query.get("r"))
        session_id = url.rsplit("/", 1)[1]
        self.stripe.complete_checkout(session_id)
        return session_id


@pytest.fixture
def s(aws: Any, manual_clock: Any) -> Iterator[S]:
    secrets = InMemorySecretStore()
    state = StripeState(base_url="http://stripe.local", clock=clock.epoch_seconds)
    messenger = FakeMessenger()
    root = Services(secrets=secrets, scenario_service=FakeScenarios(), messenger=messenger,
                    stripe=InProcessGateway(state), channels=FakeChannels())
    StripeKeys(secrets).put(WS, "test", secret_key="sk_test_123", webhook_secrets=[WHSEC])

    def transport(url: str, body: bytes, headers: dict[str, str]) -> int:
        return root.payments.handle_webhook(WS, body, headers["Stripe-Signature"])[0]

    state.register_webhook(f"http://haishin.local/stripe/webhook/{WS}", WHSEC, transport=transport)
    previous = wiring.install(root)
    try:
        yield S(root, state, messenger)
    finally:
        wiring.install(previous)


def status(s: S, event_id: str, friend: str) -> str | None:
    reg = s.root.seminars.repo.live_registration_of(WS, event_id, friend)
    return reg.status if reg else None


def test_a_paid_seat_is_held_then_confirmed_by_checkout_once(s: S) -> None:
    product, event_id, session_id = s.paid_event(capacity=1)
    a, b = s.friend(), s.friend()
    held = s.page(event_id, a, {"action": "register", "session_id": session_id})
    assert held["statusCode"] == 200 and "仮押さえ" in held["body"] and 'data-testid="sem-hold"' in held["body"]
    assert 'data-testid="sem-qr"' not in held["body"] and "&amp;r=sem%3A" not in held["body"]
    assert f"/p/{product}?s=" in held["body"] and f"r=sem:{event_id}:" in held["body"]
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert session.taken == 1  # the hold counts against the capacity
    waiting = s.page(event_id, b, {"action": "register", "session_id": session_id})
    assert "キャンセル待ち" in waiting["body"]
    checkout = s.pay(event_id, a)
    assert status(s, event_id, a) == "confirmed"
    s.stripe.flush(duplicate=True)  # a redelivered event changes nothing
    assert status(s, event_id, a) == "confirmed"
    metadata = s.stripe.objects[checkout]["metadata"]
    assert metadata["ref"].startswith(f"sem:{event_id}:reg_")
    shown = s.page(event_id, a)
    assert "お申込み済みです" in shown["body"] and 'data-testid="sem-qr"' in shown["body"]
    assert 'data-testid="sem-pay"' not in shown["body"]
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert (session.taken, session.waiting) == (1, 1)


def test_an_unpaid_hold_is_released_on_the_next_read_and_the_waitlist_moves_up(s: S, manual_clock: Any) -> None:
    _, event_id, session_id = s.paid_event(capacity=1, hold_minutes=30)
    a, b = s.friend(), s.friend()
    s.root.seminars.register(WS, event_id, session_id, a, source="page")
    s.root.seminars.register(WS, event_id, session_id, b, source="page")
    assert (status(s, event_id, a), status(s, event_id, b)) == ("pending_payment", "waitlisted")
    manual_clock.advance(timedelta(minutes=29))
    s.root.seminars.sessions(WS, event_id)
    assert status(s, event_id, a) == "pending_payment"
    manual_clock.advance(timedelta(minutes=2))
    page = s.page(event_id, b)  # b's own page read releases a's hold; b now holds the seat, to pay
    assert status(s, event_id, a) is None and status(s, event_id, b) == "pending_payment"
    assert "お支払い待ちです" in page["body"] and 'data-testid="sem-pay"' in page["body"]
    assert any("までに参加費をお支払い" in text for text, _ in s.messenger.sent)
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert (session.taken, session.waiting) == (1, 0)
    gone = s.page(event_id, a)
    assert "日程を選んでお申込みください" in gone["body"]


def test_a_payment_after_the_release_takes_a_free_seat_again(s: S, manual_clock: Any) -> None:
    _, event_id, session_id = s.paid_event(capacity=2, hold_minutes=10)
    a = s.friend()
    s.root.seminars.register(WS, event_id, session_id, a, source="page")
    link_state = s.root.seminars.friend_state(WS, event_id, s.root.seminars.friend_link(
        WS, event_id, a).split("?t=")[1])
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link_state["pay_url"]).query))
    product_id = urllib.parse.urlsplit(link_state["pay_url"]).path.rsplit("/", 1)[1]
    checkout = s.root.payments.start_checkout(product_id, query["s"], query["r"]).rsplit("/", 1)[1]
    manual_clock.advance(timedelta(minutes=11))
    s.root.seminars.sessions(WS, event_id)
    assert status(s, event_id, a) is None
    s.stripe.complete_checkout(checkout)  # the friend finished paying late: a seat is free, it is theirs
    assert status(s, event_id, a) == "confirmed"
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert session.taken == 1


def test_a_refund_cancels_the_seat_and_moves_the_waitlist_up(s: S) -> None:
    _, event_id, session_id = s.paid_event(capacity=1)
    a, b = s.friend(), s.friend()
    s.root.seminars.register(WS, event_id, session_id, a, source="page")
    s.root.seminars.register(WS, event_id, session_id, b, source="page")
    checkout = s.pay(event_id, a)
    assert status(s, event_id, a) == "confirmed"
    s.stripe.refund_order_payment(payment_intent=s.stripe.objects[checkout]["payment_intent"], amount=None)
    s.stripe.flush(duplicate=True)
    assert status(s, event_id, a) is None and status(s, event_id, b) == "pending_payment"
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert (session.taken, session.waiting) == (1, 0)


def test_a_forged_ref_confirms_nothing(s: S) -> None:
    product, event_id, session_id = s.paid_event(capacity=2)
    a, b = s.friend(), s.friend()
    reg_a = s.root.seminars.register(WS, event_id, session_id, a, source="page")
    s.root.seminars.register(WS, event_id, session_id, b, source="page")
    # b pays with a ref naming a's registration: the order's friend differs, a's seat stays unpaid
    link = s.root.payments.purchase_link(WS, product, b, f"sem:{event_id}:{reg_a.registration_id}")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    s.stripe.complete_checkout(s.root.payments.start_checkout(product, query["s"], query["r"]).rsplit("/", 1)[1])
    assert (status(s, event_id, a), status(s, event_id, b)) == ("pending_payment", "pending_payment")


def test_the_partner_ref_on_the_page_is_carried_as_partner_code(s: S) -> None:
    partner = s.root.partners.create(WS, {"name": "山田", "email": "y@example.com", "channel_id": CHANNEL,
                                          "rules": [{"kind": "percent", "percent": 10}]})
    code = s.root.routes.get(WS, partner.route_id).code
    event = s.root.seminars.create(WS, SeminarIn(title="無料セミナー"))
    session = s.root.seminars.add_session(
        WS, event.event_id,
        SessionIn(starts_at=datetime(2026, 3, 1, 19), ends_at=datetime(2026, 3, 1, 21), venue="会場", capacity=5),
    )
    a = s.friend()
    done = s.page(event.event_id, a, {"action": "register", "session_id": session.session_id}, ref=code)
    assert "お申込みが完了しました" in done["body"]
    report = s.root.partners.report(WS, partner.partner_id)
    assert report["months"][0]["registrations"] == 1


def test_the_partners_seminar_link_is_served_and_sends_through_the_partners_route(s: S) -> None:
    partner = s.root.partners.create(WS, {"name": "山田", "email": "y@example.com", "channel_id": CHANNEL,
                                          "rules": [{"kind": "percent", "percent": 10}], "seminar_ids": []})
    code = s.root.routes.get(WS, partner.route_id).code
    _, event_id, _ = s.paid_event(capacity=3)
    link = s.root.partners.seminar_url(event_id, code)
    path = urllib.parse.urlsplit(link).path
    assert path == f"/s/{event_id}"

    def get(query: dict[str, str]) -> dict[str, Any]:
        return s.root.pages.handle({
            "version": "2.0", "rawPath": path, "rawQueryString": urllib.parse.urlencode(query),
            "queryStringParameters": query, "headers": {"host": "localhost"},
            "requestContext": {"http": {"method": "GET", "path": path}, "stage": "$default",
                               "domainName": "localhost"},
            "isBase64Encoded": False})

    shown = get({"ref": code})
    assert shown["statusCode"] == 200 and "有料セミナー" in shown["body"] and "残り 3 席" in shown["body"]
    assert f"/r/{code}" in shown["body"] and "参加費が必要です" in shown["body"]
    assert 'data-testid="sem-liff"' not in shown["body"]  # the channel has no LIFF app
    assert get({"ref": "nosuchcode"})["statusCode"] == 404
    assert get({})["statusCode"] == 404


def test_registering_on_line_for_a_paid_seminar_holds_the_seat_and_says_to_pay(s: S) -> None:
    product, event_id, session_id = s.paid_event(capacity=1, hold_minutes=30)
    a = s.friend()
    (answer,) = s.root.seminars.line_postback(WS, a, "r", event_id, session_id)
    assert "仮押さえ" in answer["text"] and "までに参加費をお支払いください" in answer["text"]
    assert status(s, event_id, a) == "pending_payment"
    # the message links the purchase page itself (the friend's token and this seat's ref), then the seat's page
    pay_line = answer["text"].split("▼参加費のお支払いはこちら\n")[1].split("\n")[0]
    assert pay_line.startswith(f"{public_base()}/p/{product}?s=") and f"&r=sem:{event_id}:reg_" in pay_line
    assert f"/sem/{WS}/{event_id}?t=" in answer["text"].split("▼お申込み内容の確認・キャンセルはこちら\n")[1]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pay_line).query))
    checkout = s.root.payments.start_checkout(product, query["s"], query["r"]).rsplit("/", 1)[1]
    s.stripe.complete_checkout(checkout)  # following that link and paying confirms this seat
    assert status(s, event_id, a) == "confirmed"


def test_a_late_payment_for_a_refilled_seat_is_refunded_once_and_the_friend_told(
    s: S, manual_clock: Any
) -> None:
    _, event_id, session_id = s.paid_event(capacity=1, hold_minutes=10)
    a, b = s.friend(), s.friend()
    reg_a = s.root.seminars.register(WS, event_id, session_id, a, source="page")
    link_state = s.root.seminars.friend_state(WS, event_id, s.root.seminars.friend_link(
        WS, event_id, a).split("?t=")[1])
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link_state["pay_url"]).query))
    product_id = urllib.parse.urlsplit(link_state["pay_url"]).path.rsplit("/", 1)[1]
    checkout = s.root.payments.start_checkout(product_id, query["s"], query["r"]).rsplit("/", 1)[1]
    manual_clock.advance(timedelta(minutes=11))
    s.root.seminars.register(WS, event_id, session_id, b, source="page")  # a's hold released, b takes the seat
    assert (status(s, event_id, a), status(s, event_id, b)) == (None, "pending_payment")
    s.stripe.complete_checkout(checkout)  # a pays late: no seat is free
    s.stripe.flush(duplicate=True)  # a redelivery must not refund twice
    assert status(s, event_id, a) is None and status(s, event_id, b) == "pending_payment"
    refunds = [o for o in s.stripe.objects.values() if o.get("object") == "refund"]
    assert len(refunds) == 1 and refunds[0]["payment_intent"] == s.stripe.objects[checkout]["payment_intent"]
    assert refunds[0]["metadata"]["ref"] == f"sem:{event_id}:{reg_a.registration_id}"
    stored = s.root.seminars.repo.registration(WS, event_id, reg_a.registration_id)
    assert stored.status == "cancelled" and stored.refund_id == refunds[0]["id"]
    order = s.root.payments.list_orders(WS, subscriber_id=a)[0]
    assert order.status == "refunded" and int(order.refunded_total) == 5000
    told = [text for text, _ in s.messenger.sent if "全額返金しました" in text]
    assert len(told) == 1 and "満席" in told[0]
    # the purchase event replayed (e.g. a Stripe event replayed from the review list): still one refund
    data = {"ref": f"sem:{event_id}:{reg_a.registration_id}", "subscriber_id": a, "product_id": product_id,
            "order_id": order.order_id}
    s.root.seminars.publish(WS, "purchase_completed", data, idempotency_key="again")
    assert len([o for o in s.stripe.objects.values() if o.get("object") == "refund"]) == 1
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert (session.taken, session.waiting) == (1, 0)
    csv_text = s.root.seminars.roster_csv(WS, event_id, None, encoding="utf-8").decode("utf-8-sig")
    assert "キャンセル・返金済" in csv_text


def test_a_paid_event_with_held_seats_cannot_become_free(s: S) -> None:
    product, event_id, session_id = s.paid_event(capacity=2)
    s.root.seminars.register(WS, event_id, session_id, s.friend(), source="page")
    with pytest.raises(Conflict, match="お支払い待ちの申込があるため無料にできません") as info:
        s.root.seminars.update(WS, event_id, SeminarIn(title="有料セミナー"))
    assert info.value.where == "price"
    assert s.root.seminars.get(WS, event_id).definition["price"]["product_id"] == product


# ---------------------------------------------------------------- a paid seminar through an application form
def paid_form(s: S, event_id: str, **extra: Any) -> str:
    definition = FormDefinition.model_validate({
        "name": "有料セミナー申込", "title": "有料セミナーお申込み", **extra,
        "fields": [{"key": "name", "label": "お名前", "type": "text", "required": True},
                   {"key": "session", "label": "参加日程", "type": "seminar_session", "required": True,
                    "seminar_id": event_id}]})
    return s.root.forms.create(WS, definition).form_id


def send_form(s: S, form_id: str, friend: str, session_id: str, nonce: str) -> Any:
    token = s.root.forms.mint_link(WS, form_id, friend)["token"]
    return s.root.forms.submit(form_id, {"name": ["花子"], "session": [session_id], "_nonce": [nonce],
                                         "website": [""]}, token=token)


def pay_button(html: str) -> str:
    found = re.search(r'<a class="pay" href="([^"]+)" data-testid="form-seat-pay">お支払いへ進む</a>', html)
    assert found, html
    return found.group(1).replace("&amp;", "&")


def test_a_paid_seminar_form_holds_the_seat_and_its_thank_you_page_pays_for_it(s: S) -> None:
    """The form registers by the seminar's own paid rules (the seat held as pending_payment until the deadline);
    the thank-you page's 「お支払いへ進む」 is the seminar's own payment link for that seat, also when the form is
    sent twice; paying it at Stripe confirms the seat. A friend who finds it full is waitlisted, no button."""
    product, event_id, session_id = s.paid_event(capacity=1, hold_minutes=30)
    form_id = paid_form(s, event_id)
    a, b = s.friend(), s.friend()
    result = send_form(s, form_id, a, session_id, "n-a")
    seat = result.registrations["session"]
    assert (result.outcome, seat.status, seat.title) == ("thanks", "pending_payment", "有料セミナー")
    reg = s.root.seminars.repo.live_registration_of(WS, event_id, a)
    assert reg is not None and reg.status == "pending_payment" and reg.source == "form"
    assert reg.hold_until == clock.now() + timedelta(minutes=30)
    (session,) = s.root.seminars.sessions(WS, event_id)
    assert session.taken == 1  # the hold counts against the capacity, as on the seminar's page
    page = respond(result)
    assert page["statusCode"] == 200 and "のお席を仮押さえしました" in page["body"]
    assert "までに参加費をお支払いいただくとお申込みが確定します" in page["body"]
    link = pay_button(page["body"])
    in_line = form_done_page(result, "1234567890-AbCd1234")  # sent from LIFF: the button still comes first
    assert pay_button(in_line["body"]) == link
    assert link.startswith(f"{public_base()}/p/{product}?s=") and link.endswith(f"&r=sem:{event_id}:{reg.registration_id}")

    again = respond(send_form(s, form_id, a, session_id, "n-a"))  # a double tap: the same page, the same seat
    assert pay_button(again["body"]).endswith(f"&r=sem:{event_id}:{reg.registration_id}")
    assert len(s.root.seminars.repo.registrations(WS, event_id)) == 1
    # LINE keeps the payment link too (the page may be closed): told once, with the seat's link and page
    (told,) = [(text, key) for text, key in s.messenger.sent if "のお席を仮押さえしました" in text]
    assert "までに参加費をお支払いください" in told[0] and f"&r=sem:{event_id}:{reg.registration_id}" in told[0]
    assert f"/sem/{WS}/{event_id}?t=" in told[0]
    assert told[1] == retry_key("seminar-form-hold", WS, reg.registration_id)

    full = send_form(s, form_id, b, session_id, "n-b")
    assert full.registrations["session"].status == "waitlisted"
    shown = respond(full)["body"]
    assert "キャンセル待ちで承りました" in shown and "お支払いへ進む" not in shown

    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    s.stripe.complete_checkout(s.root.payments.start_checkout(product, query["s"], query["r"]).rsplit("/", 1)[1])
    assert (status(s, event_id, a), status(s, event_id, b)) == ("confirmed", "waitlisted")


def test_an_unpaid_form_seat_is_released_and_the_waitlisted_friend_is_sent_the_payment_link(
    s: S, manual_clock: Any
) -> None:
    product, event_id, session_id = s.paid_event(capacity=1, hold_minutes=10)
    form_id = paid_form(s, event_id)
    a, b = s.friend(), s.friend()
    send_form(s, form_id, a, session_id, "n-a")
    send_form(s, form_id, b, session_id, "n-b")
    manual_clock.advance(timedelta(minutes=11))
    s.root.seminars.sessions(WS, event_id)  # any read releases the unpaid hold; b moves up to a held seat
    assert (status(s, event_id, a), status(s, event_id, b)) == (None, "pending_payment")
    (told,) = [text for text, _ in s.messenger.sent if "空きが出ました" in text]
    pay = told.split("▼参加費のお支払いはこちら\n")[1].strip()  # b applied by form: the link itself, not a page
    assert pay.startswith(f"{public_base()}/p/{product}?s=") and f"&r=sem:{event_id}:reg_" in pay
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pay).query))
    s.stripe.complete_checkout(s.root.payments.start_checkout(product, query["s"], query["r"]).rsplit("/", 1)[1])
    assert status(s, event_id, b) == "confirmed"


@pytest.mark.parametrize("case", ["already", "deadline", "forged"])
def test_a_paid_form_refuses_on_the_field_in_japanese_and_stores_nothing(
    s: S, manual_clock: Any, case: str
) -> None:
    _, event_id, session_id = s.paid_event(capacity=3)
    form_id = paid_form(s, event_id)
    a = s.friend()
    chosen = session_id
    if case == "already":
        send_form(s, form_id, a, session_id, "n-0")
        expected = "すでにこのセミナーにお申し込み済みです。"
    elif case == "deadline":
        manual_clock.set(datetime(2026, 3, 1, 19, 1, tzinfo=s.root.seminars.zone(WS)))  # past the start (deadline)
        expected = "を過ぎています。別の日程をお選びください。"
    else:
        chosen, expected = "ses_forged", "この日程は選べません。もう一度お選びください。"
    before = [(r.registration_id, r.status) for r in s.root.seminars.repo.registrations(WS, event_id)]
    answers = len(s.root.forms.answers(WS, form_id)[0])
    result = send_form(s, form_id, a, chosen, "n-1")
    assert result.outcome == "invalid" and expected in result.errors["session"]
    page = respond(result)
    assert page["statusCode"] == 422 and expected in page["body"] and "お支払いへ進む" not in page["body"]
    assert [(r.registration_id, r.status) for r in s.root.seminars.repo.registrations(WS, event_id)] == before
    assert len(s.root.forms.answers(WS, form_id)[0]) == answers
    assert [o for o in s.stripe.objects.values() if o.get("object") == "checkout.session"] == []


def test_a_held_seat_comes_before_the_forms_redirect(s: S) -> None:
    _, event_id, session_id = s.paid_event(capacity=1)
    form_id = paid_form(s, event_id, redirect_url="https://example.com/thanks")
    held = send_form(s, form_id, s.friend(), session_id, "n-a")
    assert held.outcome == "redirect" and respond(held)["statusCode"] == 200  # the page with its button, no 303
    assert pay_button(respond(held)["body"])
    waitlisted = send_form(s, form_id, s.friend(), session_id, "n-b")  # nothing to pay: the form's own redirect
    assert respond(waitlisted)["headers"]["location"] == "https://example.com/thanks"


def test_my_page_lists_a_held_seat_with_its_payment_link_until_the_hold_ends(s: S, manual_clock: Any) -> None:
    """A friend who closed the thank-you page finds the held seat on マイページ, with the seat's own payment link and
    pay-by time; a hold past its end is not offered for payment."""
    product, event_id, session_id = s.paid_event(capacity=1, hold_minutes=30)
    a = s.friend()
    s.root.seminars.register(WS, event_id, session_id, a, source="page")
    reg = s.root.seminars.repo.live_registration_of(WS, event_id, a)
    assert reg is not None
    (row,) = s.root.seminars.of_friend(WS, a)
    assert row["status"] == "pending_payment"
    assert row["pay_url"].startswith(f"{public_base()}/p/{product}?s=")
    assert row["pay_url"].endswith(f"&r=sem:{event_id}:{reg.registration_id}")
    assert row["pay_by"] and row["url"].startswith(f"{public_base()}/sem/{WS}/{event_id}?t=")
    manual_clock.advance(timedelta(minutes=31))
    assert s.root.seminars.of_friend(WS, a) == []
