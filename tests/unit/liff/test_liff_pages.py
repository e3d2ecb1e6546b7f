"""LIFF: the channel's LIFF ID (format, its Login channel), ``liff_url``, the LIFF pages (the shell, the ID token
checked by LINE's verify endpoint on the LINE emulator in this process, forms and マイページ), refusals that store
nothing, the form's LIFF thank-you page, and the emulator's LIFF apps, opener and ``liff.sendMessages``."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from haishin import clock, config, wiring
from haishin.coupons.models import CouponIn
from haishin.errors import ValidationFailed
from haishin.forms import tokens
from haishin.forms.inputs import FormDefinition
from haishin.forms.models import FormAnswerModel
from haishin.liff import check_liff_id, liff_endpoint_url, liff_url
from haishin.pages.liff import SENT_MESSAGE, form_done_page
from haishin.payments.products import ProductDefinition
from haishin.secrets import InMemorySecretStore, secret_name
from haishin.seminars.inputs import SeminarIn, SessionIn
from haishin.subscribers.models import SubscriberModel, line_account
from haishin.wiring import Services
from haishin.workspaces.models import ChannelModel, channel_pk
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

WS = "w_liff"
CH = "1650000077"
LOGIN_ID = "2000000077"
LOGIN_SECRET = "0123456789abcdef0123456789abcdef"
OTHER_LOGIN_ID = "2000000078"
LIFF_ID = f"{LOGIN_ID}-AbCd1234"
TOKEN = "token-liff"
ALICE = "U" + "a" * 32  # a friend
CAROL = "U" + "c" * 32  # not a friend
DEFINITION = {
    "name": "アンケート", "title": "ご来店アンケート", "channel_id": CH,
    "fields": [{"key": "pref", "label": "お住まい", "type": "text", "required": True}],
    "actions": [{"type": "add_tag", "tag": "アンケート回答"}],
}


@dataclass
class Env:
    root: Services
    emulator: LineEmulator
    alice_id: str
    form_id: str


@pytest.fixture
def env(aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    emulator = LineEmulator().start()
    emulator.register_channel(CH, "f" * 32, TOKEN, basic_id="@cafe", display_name="カフェ")
    emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [], bot_channel_id=CH)
    emulator.login.register_login_channel(OTHER_LOGIN_ID, "9" * 32, [])
    emulator.add_user(ALICE, "アリス")
    emulator.add_user(CAROL, "キャロル")
    emulator.add_follower(CH, ALICE)
    monkeypatch.setenv("LINE_API_BASE", emulator.base_url)
    monkeypatch.delenv("LIFF_MOCK", raising=False)
    config.reset_settings_cache()
    secrets = InMemorySecretStore()
    secrets.put(secret_name(WS, "line", CH), {"channel_secret": "f" * 32, "access_token": TOKEN,
                                              "login_channel_id": LOGIN_ID, "login_channel_secret": LOGIN_SECRET})
    ChannelModel.for_channel(WS, CH, name="カフェ", basic_id="@cafe", secret_name=secret_name(WS, "line", CH),
                             status="connected", connected_at=clock.now(), login_channel_id=LOGIN_ID,
                             liff_id=LIFF_ID).save()
    root = Services(secrets=secrets)
    previous = wiring.install(root)
    alice = root.subscribers.new(WS, source="line")
    alice.line = {CH: line_account(ALICE, status="following")}
    alice.display_name = "アリス"
    root.subscribers.create(alice, [(f"line:{CH}", ALICE)])
    form_id = root.forms.create(WS, FormDefinition.model_validate(DEFINITION)).form_id
    try:
        yield Env(root, emulator, alice.subscriber_id, form_id)
    finally:
        wiring.install(previous)
        emulator.stop()
        config.reset_settings_cache()


def request(env: Env, method: str, path: str, form: dict[str, str] | None = None,
            query: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"rawPath": path, "requestContext": {"http": {"method": method}},
                             "queryStringParameters": query or None, "rawQueryString": urllib.parse.urlencode(query or {})}
    if form is not None:
        event["body"] = urllib.parse.urlencode(form)
        event["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    return env.root.pages.handle(event)


def hidden(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return found.group(1) if found else None


def stored() -> tuple[int, int]:
    answers = len(list(FormAnswerModel.scan(FormAnswerModel.pk.startswith("answers#"))))
    return answers, len(list(SubscriberModel.scan()))


# ---------------------------------------------------------------- the LIFF ID and URLs


def test_a_liff_id_is_its_login_channel_id_and_8_characters() -> None:
    assert check_liff_id(LIFF_ID, LOGIN_ID) == LIFF_ID
    for bad in ("abc", f"{LOGIN_ID}-short", f"{LOGIN_ID}_AbCd1234", f"{LOGIN_ID}-AbCd12345", f"{LOGIN_ID}-AbCd-234"):
        with pytest.raises(ValidationFailed, match="LIFF ID の形式が正しくありません"):
            check_liff_id(bad, LOGIN_ID)
    with pytest.raises(ValidationFailed, match=f"LINE ログインチャネル \\({LOGIN_ID}\\) のものではありません"):
        check_liff_id(f"{OTHER_LOGIN_ID}-AbCd1234", LOGIN_ID)
    with pytest.raises(ValidationFailed, match="先に LINE ログインチャネル"):
        check_liff_id(LIFF_ID, None)


def test_liff_urls_and_the_endpoint_to_register() -> None:
    channel = ChannelModel.for_channel(WS, CH, liff_id=LIFF_ID, secret_name="x", connected_at=clock.now())
    assert liff_url(channel, "/me") == f"https://liff.line.me/{LIFF_ID}/me"
    assert liff_url(channel, "/f/f_123?x=1") == f"https://liff.line.me/{LIFF_ID}/f/f_123?x=1"
    assert liff_endpoint_url("https://api.example.com/prod/", CH) == f"https://api.example.com/prod/liff/{CH}"
    assert liff_url(channel, "/sem/sem_1?ref=abc") == f"https://liff.line.me/{LIFF_ID}/sem/sem_1?ref=abc"
    with pytest.raises(ValueError, match="not a LIFF page path"):
        liff_url(channel, "/admin")
    with pytest.raises(ValueError, match="no LIFF app"):
        liff_url(ChannelModel.for_channel(WS, CH, secret_name="x", connected_at=clock.now()), "/me")


def test_the_admin_sets_and_removes_the_liff_id_with_japanese_errors(env: Env) -> None:
    channels = env.root.channels
    channels.set_liff(WS, CH, {"liff_id": ""})
    assert channels.require(WS, CH).liff_id is None
    with pytest.raises(ValidationFailed, match="LIFF ID の形式"):
        channels.set_liff(WS, CH, {"liff_id": "1234"})
    with pytest.raises(ValidationFailed, match="不明な項目です"):
        channels.set_liff(WS, CH, {"liffId": LIFF_ID})
    assert channels.require(WS, CH).liff_id is None  # refused: nothing stored
    view = channels.view(channels.set_liff(WS, CH, {"liff_id": LIFF_ID}), "https://api.example.com/prod")
    assert view["liff_id"] == LIFF_ID
    assert view["liff_endpoint_url"] == f"https://api.example.com/prod/liff/{CH}"
    assert ChannelModel.get(channel_pk(CH), "channel").liff_id == LIFF_ID


# ---------------------------------------------------------------- pages


def test_the_shell_page_loads_the_bundled_liff_script_with_its_config(env: Env) -> None:
    response = request(env, "GET", f"/liff/{CH}/f/{env.form_id}")
    assert response["statusCode"] == 200
    html = response["body"]
    assert f'data-liff-id="{LIFF_ID}"' in html and 'data-mode="shell"' in html and 'data-mock=""' in html
    assert '<script src="https://localhost/liff/app.js"></script>' in html
    assert f'action="https://localhost/liff/{CH}/f/{env.form_id}"' in html
    csp = response["headers"]["content-security-policy"]
    assert "script-src 'self' https://static.line-scdn.net " in csp  # the SDK's own extensions, inside LINE
    assert "connect-src 'self' https://api.line.me" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    # a signed link that came with the URL is the fallback outside LINE
    with_link = request(env, "GET", f"/liff/{CH}/f/{env.form_id}", query={"t": "abc"})["body"]
    assert f'data-fallback="https://localhost/f/{env.form_id}?t=abc"' in with_link


def test_the_mock_is_on_only_where_the_local_runtime_says(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFF_MOCK", "1")
    config.reset_settings_cache()
    response = request(env, "GET", f"/liff/{CH}/me")
    assert 'data-mock="1"' in response["body"] and f'data-emulator="{env.emulator.base_url}"' in response["body"]
    csp = response["headers"]["content-security-policy"]
    assert env.emulator.base_url in csp and "script-src 'self' 'sha256" in csp  # locally no script from outside


def test_unknown_channels_and_paths_are_404(env: Env) -> None:
    assert request(env, "GET", "/liff/1650009999/me")["statusCode"] == 404
    assert request(env, "GET", f"/liff/{CH}/admin")["statusCode"] == 404
    env.root.channels.set_liff(WS, CH, {"liff_id": ""})
    response = request(env, "GET", f"/liff/{CH}/me")
    assert response["statusCode"] == 404 and "LIFF アプリが設定されていません" in response["body"]


def test_a_friend_opens_a_form_with_the_emulators_id_token_and_sends_it(env: Env) -> None:
    token = env.emulator.login.issue_id_token(LOGIN_ID, ALICE)
    response = request(env, "POST", f"/liff/{CH}/f/{env.form_id}", {"id_token": token})
    assert response["statusCode"] == 200, response["body"]
    html = response["body"]
    assert "ご来店アンケート" in html and hidden(html, "_liff") == LIFF_ID
    signed = hidden(html, "t")
    assert signed and "?t=" not in html  # the friend's signed token is in the form body, never a URL
    binding = env.root.forms.signer().verify(tokens.FORM, WS, env.form_id, signed)
    assert binding.subscriber_id == env.alice_id

    result = env.root.forms.submit(env.form_id, {"pref": ["東京都"], "_nonce": [hidden(html, "_nonce") or ""],
                                                 "t": [signed], "_liff": [LIFF_ID]})
    assert result.outcome == "thanks" and result.subscriber_id == env.alice_id
    assert env.root.subscribers.require(WS, env.alice_id).fields["pref"] == "東京都"
    done = form_done_page(result, LIFF_ID)
    assert 'data-mode="done"' in done["body"] and f'data-send="{SENT_MESSAGE}"' in done["body"]
    assert "script-src 'self'" in done["headers"]["content-security-policy"]


@pytest.mark.parametrize(("case", "message"), [
    ("forged", "署名が正しくありません"),
    ("expired", "有効期限が切れています"),
    ("other_channel", "別のチャネルのもの"),
    ("not_a_friend", "友だち追加してから"),
    ("garbage", "形式が正しくありません"),
    ("missing", "形式が正しくありません"),
])
def test_a_bad_id_token_is_refused_in_japanese_and_stores_nothing(env: Env, case: str, message: str) -> None:
    login = env.emulator.login
    token = {
        "forged": lambda: login.issue_id_token(LOGIN_ID, ALICE, secret="e" * 32),
        "expired": lambda: login.issue_id_token(LOGIN_ID, ALICE, issued=clock.now() - timedelta(hours=2)),
        "other_channel": lambda: login.issue_id_token(OTHER_LOGIN_ID, ALICE),
        "not_a_friend": lambda: login.issue_id_token(LOGIN_ID, CAROL),
        "garbage": lambda: "not-a-token",
        "missing": lambda: "",
    }[case]()
    before = stored()
    for path in (f"/liff/{CH}/f/{env.form_id}", f"/liff/{CH}/me"):
        response = request(env, "POST", path, {"id_token": token, "op": "stop", "scope": "line"})
        assert response["statusCode"] == 403
        assert "LINE で本人確認ができませんでした" in response["body"] and message in response["body"]
        assert "何も保存されていません" in response["body"]
        assert hidden(response["body"], "t") is None
    assert stored() == before
    assert not env.root.subscribers.require(WS, env.alice_id).unsubscribed  # the opt-out was not applied


def test_my_page_shows_the_name_opt_out_and_no_bookings_or_coupons_yet(env: Env) -> None:
    token = env.emulator.login.issue_id_token(LOGIN_ID, ALICE)
    html = request(env, "POST", f"/liff/{CH}/me", {"id_token": token})["body"]
    assert "マイページ" in html and "アリス" in html
    assert "LINE でお知らせを受け取っています。" in html
    assert "予約はまだありません。" in html and "クーポンはまだありません。" in html
    assert hidden(html, "op") == "stop"

    stopped = request(env, "POST", f"/liff/{CH}/me", {"id_token": token, "op": "stop", "scope": "line"})["body"]
    assert "LINEの配信を停止しました。" in stopped and "LINE での配信を停止中です。" in stopped
    assert env.root.optout.state(WS, env.alice_id)["line"] is True
    resumed = request(env, "POST", f"/liff/{CH}/me", {"id_token": token, "op": "resume", "scope": "line"})["body"]
    assert "LINE でお知らせを受け取っています。" in resumed
    assert env.root.optout.state(WS, env.alice_id)["line"] is False
    bad = request(env, "POST", f"/liff/{CH}/me", {"id_token": token, "op": "stop", "scope": "email"})
    assert bad["statusCode"] == 400


def test_a_form_of_another_workspace_is_not_found(env: Env) -> None:
    other = env.root.forms.create("w_other", FormDefinition.model_validate(DEFINITION)).form_id
    token = env.emulator.login.issue_id_token(LOGIN_ID, ALICE)
    assert request(env, "POST", f"/liff/{CH}/f/{other}", {"id_token": token})["statusCode"] == 404


def test_the_bundle_route(env: Env) -> None:
    response = request(env, "GET", "/liff/app.js")
    assert response["statusCode"] in (200, 404)  # 404 until `make admin` built it
    if response["statusCode"] == 200:
        assert response["headers"]["content-type"].startswith("text/javascript")


# ---------------------------------------------------------------- the emulator's LIFF


def test_the_emulator_holds_30_liff_apps_per_login_channel(env: Env) -> None:
    apps = env.emulator.liff
    first = apps.add(LOGIN_ID, "https://localhost/liff/x", liff_id=LIFF_ID)
    assert first["liffId"] == LIFF_ID
    for _ in range(29):
        assert apps.add(LOGIN_ID, "https://localhost/liff/x")["liffId"].startswith(f"{LOGIN_ID}-")
    with pytest.raises(ValueError, match="maximum number of LIFF apps"):
        apps.add(LOGIN_ID, "https://localhost/liff/x")
    assert apps.add(OTHER_LOGIN_ID, "https://localhost/liff/y")["liffId"].startswith(f"{OTHER_LOGIN_ID}-")
    with pytest.raises(ValueError, match="not a registered LINE Login channel"):
        apps.add("2000000999", "https://localhost/liff/z")


def test_the_opener_and_send_messages_over_http(env: Env) -> None:
    base = env.emulator.base_url
    added = requests.post(f"{base}/_emulator/liff_apps", json={
        "login_channel_id": LOGIN_ID, "endpoint_url": f"https://localhost/liff/{CH}", "liff_id": LIFF_ID}, timeout=5)
    assert added.status_code == 200 and added.json()["liffId"] == LIFF_ID
    opened = requests.get(f"{base}/_emulator/liff/open", params={
        "user": ALICE, "url": f"https://liff.line.me/{LIFF_ID}/f/{env.form_id}?t=x"}, allow_redirects=False, timeout=5)
    assert opened.status_code == 302
    location = urllib.parse.urlsplit(opened.headers["Location"])
    assert (location.netloc, location.path, location.query) == ("localhost", f"/liff/{CH}/f/{env.form_id}", "t=x")
    assert location.fragment.startswith("liff-mock=")
    raw = location.fragment.removeprefix("liff-mock=")
    context = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    assert context["userId"] == ALICE and context["inClient"] is True and context["liffId"] == LIFF_ID
    # the token is a real emulator ID token: the page's POST opens the form for Alice
    page = request(env, "POST", f"/liff/{CH}/f/{env.form_id}", {"id_token": context["idToken"]})
    assert page["statusCode"] == 200 and hidden(page["body"], "_liff") == LIFF_ID

    unknown = requests.get(f"{base}/_emulator/liff/open", params={"user": ALICE, "url": "https://liff.line.me/1-x/me"},
                           allow_redirects=False, timeout=5)
    assert unknown.status_code == 404 and "LIFF アプリが見つかりません" in unknown.text

    sent = requests.post(f"{base}/_emulator/liff/send", data=json.dumps({
        "liff_id": LIFF_ID, "id_token": context["idToken"], "messages": [{"type": "text", "text": SENT_MESSAGE}]}),
        headers={"Content-Type": "text/plain"}, timeout=5)
    assert sent.status_code == 200 and sent.headers["Access-Control-Allow-Origin"] == "*"
    chat = env.emulator.phone_state(CH, ALICE)["items"]
    assert [i["text"] for i in chat if i["from"] == "user"] == [SENT_MESSAGE]
    forged = requests.post(f"{base}/_emulator/liff/send", data=json.dumps({
        "liff_id": LIFF_ID, "id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE, secret="e" * 32),
        "messages": [{"type": "text", "text": "x"}]}), timeout=5)
    assert forged.status_code == 401


def test_the_endpoint_itself_and_line_not_answering(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = request(env, "GET", f"/liff/{CH}")  # LINE's primary redirect (?liff.state=...): liff.init goes on
    assert endpoint["statusCode"] == 200 and 'data-mode="endpoint"' in endpoint["body"]
    assert 'id="liff-form"' in endpoint["body"]
    token = env.emulator.login.issue_id_token(LOGIN_ID, ALICE)
    monkeypatch.setenv("LINE_API_BASE", "http://127.0.0.1:9")  # nothing listens: LINE's verify does not answer
    config.reset_settings_cache()
    before = stored()
    response = request(env, "POST", f"/liff/{CH}/me", {"id_token": token, "op": "stop", "scope": "line"})
    assert response["statusCode"] == 502 and "ただいま混み合っています" in response["body"]
    assert stored() == before and not env.root.subscribers.require(WS, env.alice_id).unsubscribed


def test_the_booking_page_opens_in_line_for_the_friend_of_the_id_token(env: Env) -> None:
    menu = env.root.bookings.save_menu(WS, {"name": "カット", "duration_minutes": 60})
    env.root.bookings.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "12:00"]]}})
    shell = request(env, "GET", f"/liff/{CH}/b")
    assert shell["statusCode"] == 200 and 'data-mode="shell"' in shell["body"]
    response = request(env, "POST", f"/liff/{CH}/b", {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE)})
    assert response["statusCode"] == 200, response["body"]
    assert "ご予約" in response["body"] and menu.menu_id in response["body"]
    signed = urllib.parse.unquote(re.search(r"/b\?t=([^&\"]+)", response["body"]).group(1))  # type: ignore[union-attr]
    assert env.root.bookings.verify_link(signed).subscriber_id == env.alice_id
    forged = request(env, "POST", f"/liff/{CH}/b", {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, CAROL)})
    assert forged["statusCode"] == 403


def test_my_page_lists_the_friends_bookings_seminars_and_coupons(env: Env, manual_clock: Any) -> None:
    menu = env.root.bookings.save_menu(WS, {"name": "カット", "duration_minutes": 60, "cancel_cutoff_hours": 24})
    env.root.bookings.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "12:00"]]}})
    booking = env.root.bookings.book(WS, {"menu_id": menu.menu_id, "start": "2026-01-06T01:00:00+00:00"},
                                     subscriber_id=env.alice_id)
    event = env.root.seminars.create(WS, SeminarIn(title="集客セミナー"))
    session = env.root.seminars.add_session(WS, event.event_id, SessionIn(
        starts_at=datetime(2026, 1, 10, 19), ends_at=datetime(2026, 1, 10, 21),
        deadline=datetime(2026, 1, 10, 12), venue="渋谷会議室", capacity=5))
    env.root.seminars.register(WS, event.event_id, session.session_id, env.alice_id)
    fee = env.root.payments.create_product(WS, ProductDefinition.model_validate({"name": "参加費", "amount": 3000}))
    paid = env.root.seminars.create(WS, SeminarIn(title="有料講座", price={"kind": "product",
                                                                          "product_id": fee.product_id}))
    paid_session = env.root.seminars.add_session(WS, paid.event_id, SessionIn(
        starts_at=datetime(2026, 1, 11, 19), ends_at=datetime(2026, 1, 11, 21), venue="梅田", capacity=5))
    env.root.seminars.register(WS, paid.event_id, paid_session.session_id, env.alice_id, source="page")  # held
    coupon = env.root.coupons.create(WS, CouponIn(name="500円引き", discount_type="amount", discount_value=500,
                                                  mode="shared", shared_code="welcome500"))
    env.root.coupons.create(WS, CouponIn(name="配っていない", discount_type="percent", discount_value=10,
                                         mode="shared", shared_code="other10"))
    env.root.coupons.code_for(WS, coupon.coupon_id, env.alice_id)

    token = env.emulator.login.issue_id_token(LOGIN_ID, ALICE)
    html = request(env, "POST", f"/liff/{CH}/me", {"id_token": token})["body"]
    assert "予約はまだありません。" not in html and "クーポンはまだありません。" not in html
    assert "1月6日（火） 10:00〜11:00" in html and "カット（担当: 佐藤）" in html
    cancel = re.search(r'href="([^"]*/b/cancel/[^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert f"/b/cancel/{booking.booking_id}?t=" in cancel
    signed = urllib.parse.unquote(cancel.split("?t=")[1].replace("&amp;", "&"))
    assert env.root.bookings.verify_cancel(booking.booking_id, signed).subscriber_id == env.alice_id
    assert "集客セミナー" in html and "参加確定" in html and "1月10日 19:00〜21:00" in html and "渋谷会議室" in html
    assert f"/sem/{WS}/{event.event_id}?t=" in html and "受付用QRコード" in html
    assert "有料講座" in html and "お支払い待ち" in html and "までにお支払いください" in html
    pay = re.search(r'data-testid="me-seminar-pay"', html) and re.search(r'href="([^"]*/p/[^"]+)"', html)
    assert pay and f"/p/{fee.product_id}?s=" in pay.group(1) and f"r=sem:{paid.event_id}:" in pay.group(1)
    assert "WELCOME500" in html and "500円引き" in html and "未使用" in html and "配っていない" not in html

    env.root.coupons.redeem(WS, "WELCOME500", subscriber_id=env.alice_id)
    manual_clock.advance(timedelta(hours=2))  # past the 24-hour cancel cutoff: no link, the shop is named instead
    later = request(env, "POST", f"/liff/{CH}/me", {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE)})
    assert "/b/cancel/" not in later["body"] and "キャンセルの受付期限を過ぎました" in later["body"]
    assert "使用済み" in later["body"]

    env.root.bookings.cancel(WS, booking.booking_id, by_staff=True)  # a canceled booking leaves the list
    for row in env.root.seminars.of_friend(WS, env.alice_id):
        env.root.seminars.cancel(WS, event.event_id if row["title"] == "集客セミナー" else paid.event_id,
                                 row["registration_id"])
    empty = request(env, "POST", f"/liff/{CH}/me", {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE)})
    assert "予約はまだありません。" in empty["body"] and "セミナーのお申し込みはまだありません。" in empty["body"]
    # another friend sees none of Alice's
    assert env.root.bookings.upcoming_for(WS, "s_nobody") == [] and env.root.coupons.of_friend(WS, "s_nobody") == []


def test_the_seminar_page_opens_in_line_for_the_friend_of_the_id_token(env: Env) -> None:
    event = env.root.seminars.create(WS, SeminarIn(title="LIFFセミナー"))
    session = env.root.seminars.add_session(WS, event.event_id, SessionIn(
        starts_at=datetime(2030, 1, 10, 19), ends_at=datetime(2030, 1, 10, 21), venue="会場", capacity=2))
    path = f"/liff/{CH}/sem/{event.event_id}"
    shell = request(env, "GET", path)
    assert shell["statusCode"] == 200 and 'data-mode="shell"' in shell["body"]
    response = request(env, "POST", path, {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE)})
    assert response["statusCode"] == 200, response["body"]
    assert "LIFFセミナー" in response["body"] and "残り 2 席" in response["body"]
    action = re.search(r'action="([^"]+)"', response["body"]).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert f"/sem/{WS}/{event.event_id}?t=" in action
    token = action.split("?t=", 1)[1]
    assert env.root.seminars.friend_of(WS, event.event_id, token) == env.alice_id
    done = request(env, "POST", f"/sem/{WS}/{event.event_id}", {"action": "register", "session_id": session.session_id},
                   query={"t": token})
    assert "お申込みが完了しました" in done["body"]
    forged = request(env, "POST", path, {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, CAROL)})
    assert forged["statusCode"] == 403
    missing = request(env, "POST", f"/liff/{CH}/sem/sem_nosuch",
                      {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE)})
    assert missing["statusCode"] == 404 and "セミナーが見つかりません" in missing["body"]


def test_a_friend_opening_a_partners_seminar_link_registers_in_line_with_the_partner_named(env: Env) -> None:
    partner = env.root.partners.create(WS, {"name": "山田", "email": "y@example.com", "channel_id": CH,
                                            "rules": [{"kind": "percent", "percent": 10}]})
    code = env.root.routes.get(WS, partner.route_id).code
    event = env.root.seminars.create(WS, SeminarIn(title="紹介セミナー"))
    session = env.root.seminars.add_session(WS, event.event_id, SessionIn(
        starts_at=datetime(2030, 1, 10, 19), ends_at=datetime(2030, 1, 10, 21), venue="会場", capacity=2))
    landing = request(env, "GET", f"/s/{event.event_id}", query={"ref": code})
    entry = re.search(r'href="([^"]+)" data-testid="sem-liff"', landing["body"]).group(1)  # type: ignore[union-attr]
    assert entry.replace("&amp;", "&") == f"https://liff.line.me/{LIFF_ID}/sem/{event.event_id}?ref={code}"
    assert f"/r/{code}" in landing["body"]  # not a friend yet: the partner's route still adds them first
    # LIFF opens <endpoint>/sem/<event>?ref=<code>: the shell posts back with the code, the page carries it
    path = f"/liff/{CH}/sem/{event.event_id}"
    shell = request(env, "GET", path, query={"ref": code})
    shell_action = re.search(r'action="([^"]+)"', shell["body"]).group(1)  # type: ignore[union-attr]
    assert shell_action.endswith(f"{path}?ref={code}")
    opened = request(env, "POST", path, {"id_token": env.emulator.login.issue_id_token(LOGIN_ID, ALICE)},
                     query={"ref": code})
    action = re.search(r'action="([^"]+)"', opened["body"]).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert action.endswith(f"&ref={code}")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(action).query))
    done = request(env, "POST", f"/sem/{WS}/{event.event_id}", {"action": "register", "session_id": session.session_id},
                   query=query)
    assert "お申込みが完了しました" in done["body"]
    assert env.root.partners.report(WS, partner.partner_id)["months"][0]["registrations"] == 1
