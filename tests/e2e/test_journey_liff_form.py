"""Journey (LIFF) in the browser: the marketer reads the LIFF endpoint URL on the channel screen, adds the LIFF app
(the LINE emulator stands in for the LINE Developers console) and saves its LIFF ID (a malformed one is refused at
the field); the friend gets the form's LIFF URL in the chat, taps it on the emulator's phone page, the form opens
as a LIFF app (the page's @line/liff script with LINE's mock plugin, the emulator's real ID token checked by the
server through LINE's verify endpoint: no token in any URL), they send it, "フォームを送信しました" appears in the
chat as their own message, and their field is updated. The same friend's マイページ stops and resumes delivery.
A forged ID token shows the Japanese refusal.

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000293"
SECRET = "0123456789abcdef0123456789abcd93"
TOKEN = "e2e-liff-token-" + "l" * 40
LOGIN_ID = "2000000294"
LOGIN_SECRET = "abcdef0123456789abcdef0123456794"
WS = "ws_e2e_liff"
JST = ZoneInfo("Asia/Tokyo")
OWNER = "owner@liff.example.jp"
USER = "U" + "7" * 32
SENT = "フォームを送信しました"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシンカフェ", friends={USER: "佐藤 葵"})
    token = s.login(email=OWNER, workspace_id=WS, role="owner")
    api_request(s, token, "PUT", f"/api/channels/{CH}/login", {"login_channel_id": LOGIN_ID,
                                                                "login_channel_secret": LOGIN_SECRET})
    s.line_emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [f"{s.base_url}/login/callback"],
                                                 bot_channel_id=CH)
    yield s


def friend_id(system: Any, token: str) -> str:
    friends = api_request(system, token, "GET", "/api/subscribers")["items"]
    [friend] = [f for f in friends if f.get("display_name") == "佐藤 葵"]
    return str(friend["subscriber_id"])


def test_set_the_liff_app_open_a_form_in_line_send_it_and_see_the_chat_and_the_field(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/channels")
    card = page.get_by_test_id("liff-app")
    card.wait_for()
    endpoint = page.get_by_test_id("liff-endpoint-url").inner_text()
    assert endpoint == f"{system.api_url}/liff/{CH}"
    # the LINE Developers console: a LIFF app on the Login channel with that endpoint URL issues the LIFF ID
    liff_id = system.line_emulator.liff.add(LOGIN_ID, endpoint)["liffId"]
    card.locator("input[name=liff_id]").fill("1234")
    page.get_by_test_id("liff-save").click()
    card.locator("[data-field-error='liff_id']").wait_for()
    assert "LIFF ID の形式が正しくありません" in card.locator("[data-field-error='liff_id']").inner_text()
    card.locator("input[name=liff_id]").fill(liff_id)
    page.get_by_test_id("liff-save").click()
    page.get_by_test_id("liff-saved").wait_for()
    assert page.get_by_test_id("liff-status").inner_text() == f"設定済み ({liff_id})"
    assert page.get_by_test_id("liff-url-me").inner_text() == f"https://liff.line.me/{liff_id}/me"
    snap("admin")

    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    api_request(system, token, "POST", "/api/fields", {"key": "favorite", "label": "好きなメニュー", "type": "text"})
    form = api_request(system, token, "POST", "/api/forms", {
        "name": "来店アンケート", "title": "ご来店アンケート", "channel_id": CH,
        "fields": [{"key": "favorite", "label": "お好きなメニュー", "type": "text", "required": True}]})
    friend = friend_id(system, token)
    liff_url = f"https://liff.line.me/{liff_id}/f/{form['form_id']}"
    api_request(system, token, "POST", f"/api/subscribers/{friend}/chat", {"text": f"アンケートはこちら {liff_url}"})
    system.drain()

    # the friend's phone: tap the LIFF URL; LINE (the emulator) opens it as the LIFF app
    phone = page.context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={USER}")
    link = phone.locator("a.link", has_text=liff_url)
    link.wait_for()
    with page.context.expect_page() as opened:
        link.click()
    liff = opened.value
    liff.get_by_label("お好きなメニュー").wait_for()  # the ID token was checked: the form shows
    assert liff.url == f"{system.api_url}/liff/{CH}/f/{form['form_id']}"  # no token in the URL
    assert "id_token" not in liff.url and "?t=" not in liff.url
    liff.get_by_label("お好きなメニュー").fill("抹茶ラテ")
    liff.screenshot(path=str(snap("liff-form")))  # the LIFF page's own window, over the admin's
    liff.get_by_role("button").click()
    liff.get_by_text("送信が完了しました").wait_for()
    liff.get_by_text("トーク画面にメッセージを送信しました。").wait_for()  # liff.sendMessages, inside LINE only

    # the chat shows the friend's message, and the webhook message event reached Haishin
    phone.locator(".row.user .bubble", has_text=SENT).wait_for()
    system.drain()
    detail = api_request(system, token, "GET", f"/api/subscribers/{friend}")
    assert {f["key"]: f["value"] for f in detail["fields"]}["favorite"] == "抹茶ラテ"
    assert detail["forms_answered"] == [form["form_id"]]
    history = api_request(system, token, "GET", f"/api/subscribers/{friend}/chat")
    assert any(SENT in json.dumps(item, ensure_ascii=False) for item in history["messages"])
    phone.screenshot(path=str(snap("phone")))
    assert [e for e in browser_errors if "status of 422" not in e] == []  # the refused LIFF ID, on purpose


def test_my_page_in_line_and_a_forged_id_token(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    apps = system.line_emulator.liff.list(LOGIN_ID)["apps"]
    if not apps:  # this test alone: the LIFF app the first journey set through the channel screen
        apps = [system.line_emulator.liff.add(LOGIN_ID, f"{system.api_url}/liff/{CH}")]
        api_request(system, token, "PUT", f"/api/channels/{CH}/liff", {"liff_id": apps[0]["liffId"]})
    [app] = apps
    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    opener = (f"{system.line_emulator.base_url}/_emulator/liff/open?user={USER}"
              f"&url=https://liff.line.me/{app['liffId']}/me")
    page.goto(opener)
    page.get_by_test_id("me-optout-button").wait_for()
    assert page.locator("#me-name").inner_text() == "佐藤 葵"
    assert page.locator("#me-bookings-empty").inner_text() == "予約はまだありません。"
    assert page.locator("#me-coupons-empty").inner_text() == "クーポンはまだありません。"
    page.get_by_test_id("me-optout-button").click()
    page.locator("#me-notice").wait_for()
    assert page.locator("#me-optout-state").inner_text() == "LINE での配信を停止中です。"
    friend = friend_id(system, token)
    assert api_request(system, token, "GET", f"/api/subscribers/{friend}")["unsubscribed"]["line"] is True
    snap("me")
    page.get_by_test_id("me-optout-button").click()
    page.get_by_text("LINE でお知らせを受け取っています。").wait_for()

    # outside LINE (a desktop tab, no LIFF context) with today's signed link in the URL: the signed form page
    form = next(iter(api_request(system, token, "GET", "/api/forms")["items"]), None) or api_request(
        system, token, "POST", "/api/forms", {"name": "来店アンケート", "title": "ご来店アンケート", "channel_id": CH,
                                              "fields": [{"key": "favorite", "label": "お好きなメニュー", "type": "text"}]})
    link = api_request(system, token, "POST", f"/api/forms/{form['form_id']}/link", {"subscriber_id": friend})
    desktop = page.context.new_page()
    desktop.goto(f"{system.api_url}/liff/{CH}/f/{form['form_id']}?t={link['token']}")
    desktop.wait_for_url(f"{system.api_url}/f/{form['form_id']}?t={link['token']}")
    desktop.get_by_label("お好きなメニュー").wait_for()
    desktop.close()

    # a forged ID token (signed with another secret) in the LIFF context: the Japanese refusal, nothing stored
    forged = system.line_emulator.login.issue_id_token(LOGIN_ID, USER, secret="0" * 32)
    context = {"idToken": forged, "userId": USER, "liffId": app["liffId"], "inClient": True, "displayName": "x"}
    fragment = base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("=")
    page.goto("about:blank")  # a new document (the same URL with another fragment would not load the page again)
    page.goto(f"{system.api_url}/liff/{CH}/me#liff-mock={fragment}")
    page.get_by_text("LINE で本人確認ができませんでした").wait_for()
    assert "署名が正しくありません" in page.content()
    snap("forged")
    # the one failed load is the refusal page itself, answered 403 on purpose
    assert browser_errors == ["console: Failed to load resource: the server responded with a status of 403 (Forbidden)"]


@pytest.mark.viewport(390, 844)
def test_my_page_shows_the_friends_booking_and_seminar_on_a_phone(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    apps = system.line_emulator.liff.list(LOGIN_ID)["apps"]
    if not apps:  # this test alone
        apps = [system.line_emulator.liff.add(LOGIN_ID, f"{system.api_url}/liff/{CH}")]
        api_request(system, token, "PUT", f"/api/channels/{CH}/liff", {"liff_id": apps[0]["liffId"]})
    [app] = apps
    friend = friend_id(system, token)
    # staff book the friend's next open cut and register them for a seminar (admin API)
    menu = api_request(system, token, "POST", "/api/booking-menus",
                       {"name": "カット", "duration_minutes": 60, "cancel_cutoff_hours": 1})
    days = {d: [["10:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    api_request(system, token, "POST", "/api/booking-staff", {"name": "佐藤", "hours": days})
    now = datetime.fromisoformat(system.clock_state()["now"])
    tomorrow = (now + timedelta(days=1)).astimezone(JST).date().isoformat()
    slots = api_request(system, token, "GET", f"/api/booking-slots?menu_id={menu['menu_id']}&date={tomorrow}&days=3")
    slot = slots["items"][0]
    api_request(system, token, "POST", "/api/bookings",
                {"menu_id": menu["menu_id"], "start": slot["start"], "subscriber_id": friend})
    event = api_request(system, token, "POST", "/api/seminars", {"title": "集客セミナー"})
    start = (now + timedelta(days=2)).astimezone(JST).replace(hour=19, minute=0, second=0, microsecond=0)
    session = api_request(system, token, "POST", f"/api/seminars/{event['event_id']}/sessions", {
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
        "venue": "渋谷会議室", "capacity": 10})
    api_request(system, token, "POST", f"/api/seminars/{event['event_id']}/registrations",
                {"session_id": session["session_id"], "subscriber_id": friend})

    # a broadcast hands the friend a coupon's code (the message variable assigns it)
    coupon = api_request(system, token, "POST", "/api/coupons", {
        "name": "来店500円引き", "discount_type": "amount", "discount_value": 500, "mode": "shared",
        "shared_code": "LIFF500"})
    made = api_request(system, token, "POST", "/api/broadcasts", {
        "name": "クーポン配布", "channel": "line", "everyone": True,
        "content": {"line": [{"type": "text", "text": f'コード: {{{{ coupon("{coupon["coupon_id"]}") }}}}'}]}})
    api_request(system, token, "POST", f"/api/broadcasts/{made['broadcast_id']}/send")
    system.drain()

    page.route("**/favicon.ico", lambda r: r.fulfill(status=204, body=""))
    page.goto(f"{system.line_emulator.base_url}/_emulator/liff/open?user={USER}"
              f"&url=https://liff.line.me/{app['liffId']}/me")
    booking = page.get_by_test_id("me-booking")
    booking.wait_for()
    assert f"{slot['local_time']}〜" in booking.inner_text() and "カット（担当: 佐藤）" in booking.inner_text()
    seminar = page.get_by_test_id("me-seminar")
    assert "集客セミナー" in seminar.inner_text() and "参加確定" in seminar.inner_text()
    assert "渋谷会議室" in seminar.inner_text()
    coupon_row = page.get_by_test_id("me-coupon")
    assert "LIFF500" in coupon_row.inner_text() and "500円引き" in coupon_row.inner_text()
    assert "未使用" in coupon_row.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"マイページ scrolls sideways on a phone ({width}px)"
    snap("me-lists")
    # the cancel link is the signed cancel page of that booking
    booking.get_by_test_id("me-booking-cancel").click()
    page.wait_for_url("**/b/cancel/**")
    assert "カット" in page.inner_text("body")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the cancel page scrolls sideways on a phone ({width}px)"
    snap("cancel-page")
    # the friend moves it themselves to another open slot of the same menu
    move = page.locator("[data-booking-move]").first
    new_start = move.get_attribute("data-booking-move")
    move.click()
    page.get_by_text("ご予約を変更しました").wait_for()
    snap("rescheduled")
    moved = api_request(system, token, "GET", f"/api/bookings?date={tomorrow}&days=7")["items"]
    assert new_start
    mine = [b for b in moved if b["subscriber_id"] == friend]
    booked = [datetime.fromisoformat(b["start"]) for b in mine if b["status"] == "booked"]
    assert booked == [datetime.fromisoformat(new_start)]
    assert [b["status"] for b in mine].count("rescheduled") == 1
    page.goto(f"{system.line_emulator.base_url}/_emulator/liff/open?user={USER}"
              f"&url=https://liff.line.me/{app['liffId']}/me")
    page.get_by_test_id("me-booking").wait_for()
    assert page.get_by_test_id("me-booking").count() == 1
    page.get_by_test_id("me-seminar-link").click()
    page.wait_for_url(f"**/sem/{WS}/{event['event_id']}?t=*")
    page.get_by_text("集客セミナー").first.wait_for()
    assert browser_errors == []
