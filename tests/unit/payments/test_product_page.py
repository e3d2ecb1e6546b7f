"""GET /p/{product_id} shows the product page and creates nothing (link previews and crawlers fetch URLs); only the
page's POST creates the order and the Stripe Checkout Session."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from pay_env import WS, Env

from haishin.forms import tokens
from haishin.payments.models import OrderModel


def request(method: str, path: str, *, query: dict[str, str] | None = None,
            form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"rawPath": path, "queryStringParameters": query or None,
            "requestContext": {"http": {"method": method, "sourceIp": "203.0.113.9"}},
            "body": urllib.parse.urlencode(form or {}), "isBase64Encoded": False,
            "headers": {"content-type": "application/x-www-form-urlencoded"}}


def orders() -> list[OrderModel]:
    return list(OrderModel.scan(OrderModel.sk.startswith("order#")))


def test_get_shows_the_page_and_creates_nothing_post_starts_checkout(env: Env) -> None:
    product_id = env.product(order_bump={"name": "特典PDF", "amount": 1200})
    pages = env.pages
    link = env.service.purchase_link(WS, product_id, env.friend)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["s"][0]

    for _ in range(3):  # a LINE link preview, a crawler, the friend
        page = pages.handle(request("GET", f"/p/{product_id}", query={"s": token}))
        assert page["statusCode"] == 200 and "location" not in page["headers"]
    body = page["body"]
    assert "オンライン講座" in body and "¥9,800" in body and "特典PDF" in body
    form = re.search(r"<form[^>]*>", body)
    assert form and 'method="post"' in form.group(0) and "action=" not in form.group(0)  # posts to this URL
    assert f'name="s" value="{token}"' in body
    assert orders() == [] and env.gateway.calls == []

    answer = pages.handle(request("POST", f"/p/{product_id}", form={"s": token}))
    assert answer["statusCode"] == 303
    assert answer["headers"]["location"].startswith("http://stripe.local/")
    made = orders()
    assert len(made) == 1 and made[0].subscriber_id == env.friend
    assert env.gateway.calls == ["checkout"]


def test_public_page_without_token_and_refusals(env: Env) -> None:
    product_id = env.product()
    pages = env.pages
    assert pages.handle(request("GET", f"/p/{product_id}"))["statusCode"] == 200
    assert pages.handle(request("GET", "/p/p_unknown"))["statusCode"] == 404
    bad = tokens.LinkSigner(env.service.collab.secret_store()).mint(tokens.PURCHASE, WS, env.friend, "p_other")
    assert pages.handle(request("GET", f"/p/{product_id}", query={"s": bad}))["statusCode"] == 403
    assert pages.handle(request("POST", f"/p/{product_id}", form={"s": bad}))["statusCode"] == 403
    assert orders() == []
    answer = pages.handle(request("POST", f"/p/{product_id}"))  # a public purchase link: no friend yet
    assert answer["statusCode"] == 303 and len(orders()) == 1 and orders()[0].subscriber_id is None
