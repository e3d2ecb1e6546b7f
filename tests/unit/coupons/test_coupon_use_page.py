"""The friend's 使う page (/cpn/<ws>/<coupon>?t=): the message variable ``coupon("cpn_...", "url")`` hands the friend
their code and a signed link; the page shows the code, 「使う」 turns it into the staff's check, 「店員が確認しました」
records one redemption (source friend); a second press, a forged or another coupon's link are refused in Japanese and
change nothing. マイページ links each usable coupon to it."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from haishin import clock, wiring
from haishin.coupons.models import CouponIn, GenerateIn
from haishin.render import RenderError, renderer, sample_coupon, variables_for
from haishin.secrets import InMemorySecretStore
from haishin.wiring import Services

WS = "ws_cpn_page"


@pytest.fixture
def root(aws: Any, manual_clock: clock.ManualClock) -> Iterator[Services]:
    services = Services(secrets=InMemorySecretStore())
    previous = wiring.install(services)
    try:
        yield services
    finally:
        wiring.install(previous)


def page(root: Services, method: str, url: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    parsed = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    event: dict[str, Any] = {"rawPath": parsed.path, "requestContext": {"http": {"method": method}},
                             "queryStringParameters": query or None, "rawQueryString": parsed.query}
    if form is not None:
        event["body"] = urllib.parse.urlencode(form)
        event["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    return root.pages.handle(event)


def _pool(root: Services, **extra: Any) -> str:
    coupon = root.coupons.create(WS, CouponIn(name="来店500円引き", discount_type="amount", discount_value=500,
                                              mode="pool", **extra))
    root.coupons.generate_codes(WS, coupon.coupon_id, GenerateIn(count=3))
    return coupon.coupon_id


def test_the_variable_gives_the_friends_signed_page_and_the_friend_redeems_it_once(root: Services) -> None:
    coupon_id = _pool(root)
    coupon = root.coupons.template_function(WS, "s_alice")
    url = coupon(coupon_id, "url")
    code = coupon(coupon_id)
    assert f"/cpn/{WS}/{coupon_id}?t=" in url
    with pytest.raises(RenderError, match='"code" か "url"'):
        coupon(coupon_id, "qr")

    shown = page(root, "GET", url)
    assert shown["statusCode"] == 200
    assert code in shown["body"] and "500円引き" in shown["body"] and 'data-testid="cpn-use"' in shown["body"]
    confirm = page(root, "POST", url, {"action": "confirm"})
    assert "この画面を店員さんにお見せください" in confirm["body"] and 'data-testid="cpn-redeem"' in confirm["body"]
    assert root.coupons.view(WS, root.coupons.get(WS, coupon_id))["stats"]["redeemed"] == 0  # showing changes nothing

    done = page(root, "POST", url, {"action": "redeem"})
    assert done["statusCode"] == 200 and "利用済みにしました" in done["body"]
    [row] = root.coupons.redemptions(WS, coupon_id)
    assert (row["source"], row["subscriber_id"], row["code"], row["actor"]) == ("friend", "s_alice", code,
                                                                                "friend:s_alice")
    again = page(root, "POST", url, {"action": "redeem"})
    assert again["statusCode"] in (409, 422) and "使用済み" in again["body"]
    assert root.coupons.view(WS, root.coupons.get(WS, coupon_id))["stats"]["redeemed"] == 1
    assert 'data-testid="cpn-use"' not in page(root, "GET", url)["body"]


def test_forged_other_coupon_and_expired_links_are_refused(root: Services, manual_clock: clock.ManualClock) -> None:
    first, second = _pool(root), _pool(root)
    url = root.coupons.template_function(WS, "s_alice")(first, "url")
    token = url.split("?t=")[1]
    forged = page(root, "GET", url[:-3] + "AAA")
    assert forged["statusCode"] == 403 and "このリンクは正しくありません" in forged["body"]
    other = page(root, "POST", f"/cpn/{WS}/{second}?t={token}", {"action": "redeem"})
    assert other["statusCode"] == 403
    assert page(root, "GET", f"/cpn/ws_other/{first}?t={token}")["statusCode"] == 403
    assert root.coupons.view(WS, root.coupons.get(WS, second))["stats"]["redeemed"] == 0
    manual_clock.advance(timedelta(days=401))
    assert "有効期限が切れています" in page(root, "GET", url)["body"]


def test_an_expired_coupon_shows_why_and_offers_no_button(root: Services, manual_clock: clock.ManualClock) -> None:
    coupon_id = _pool(root, valid_until=clock.now() + timedelta(days=1))
    url = root.coupons.template_function(WS, "s_alice")(coupon_id, "url")
    manual_clock.advance(timedelta(days=2))
    html = page(root, "GET", url)["body"]
    assert "有効期限" in html and "が過ぎています" in html and 'data-testid="cpn-use"' not in html
    refused = page(root, "POST", url, {"action": "redeem"})
    assert refused["statusCode"] == 422 and root.coupons.redemptions(WS, coupon_id) == []


def test_my_page_links_each_usable_coupon_to_its_page(root: Services) -> None:
    coupon_id = _pool(root)
    root.coupons.code_for(WS, coupon_id, "s_alice")
    [card] = root.coupons.of_friend(WS, "s_alice")
    assert re.search(rf"/cpn/{WS}/{coupon_id}\?t=s_alice\.", card["use_url"])
    assert page(root, "GET", card["use_url"])["statusCode"] == 200


def test_a_coupon_card_in_a_test_send_renders_the_sample_link() -> None:
    card = {"type": "flex", "altText": "クーポン", "contents": {"type": "bubble", "footer": {
        "type": "box", "layout": "vertical", "contents": [{"type": "button", "action": {
            "type": "uri", "label": "クーポンを使う", "uri": '{{ coupon("cpn_1", "url") }}'}}]}}}
    [rendered] = renderer().line_messages([card], variables_for(None, coupon=sample_coupon), where="test")
    assert rendered["contents"]["footer"]["contents"][0]["action"]["uri"] == "https://example.com/coupon-sample"
