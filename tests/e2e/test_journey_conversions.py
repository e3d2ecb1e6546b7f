"""Journey (CV ポイント): a marketer creates a conversion point on the screen (a tag point without its tag is refused
at the field; then a URL point worth 4,980 円), copies its URL; a broadcast with a button to the shop's page (its URL
opted in with ``hs_cv=``) goes to the friends; one friend taps the button in the LINE emulator's phone page, the
tracked redirect lands on the shop's thank-you page with the signed friend token, and that page loads the
conversion pixel; the point's page then shows the conversion and its revenue attributed to that broadcast (last
click). The point on a phone (390 px).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel;
only the shop's thank-you page is served by the test itself (a small HTTP server on this machine).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000953"
SECRET = "0123456789abcdef0123456789abcd53"
TOKEN = "e2e-conversions-token-" + "c" * 40
WS = "ws_e2e_conversions"
OWNER = "owner@conversions.example.jp"
BUYER = "U" + "9" * 31 + "0"
USERS = {BUYER: "岡田 結衣", "U" + "9" * 31 + "1": "木村 陸"}


class Shop:
    """The shop's site: every path answers its thank-you page, which loads the conversion pixel ``point_url``."""

    def __init__(self) -> None:
        shop = self
        self.point_url = ""

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                body = _thank_you_page(shop.point_url).encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    server = Shop()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン雑貨店", friends=USERS)
    yield s


def _thank_you_page(point_url: str) -> str:
    """The shop's thank-you page: it passes the friend token it arrived with to the conversion pixel."""
    return ("<!doctype html><meta charset=utf-8><title>ご購入ありがとうございます</title><h1>ご購入ありがとうございます</h1>"
            "<script>const f = new URLSearchParams(location.search).get('hs_cv');"
            f"const img = new Image(1, 1); img.id = 'pixel'; img.src = {json.dumps(point_url)} + '?f=' + "
            "encodeURIComponent(f) + '&txn=order-1'; document.body.appendChild(img);</script>")


def test_create_a_point_then_a_click_and_the_thank_you_page_are_a_conversion_of_the_broadcast(
    system: Any, shop: Shop, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/conversions/new")
    page.get_by_test_id("cv-editor").wait_for()
    page.get_by_label("ポイント名").fill("購入完了")
    # a tag point needs its tag: refused at the field, what was typed stays
    page.get_by_label("タグ追加").check()
    page.get_by_test_id("cv-save").click()
    page.locator("[data-field-error='tag_id']").wait_for()
    assert page.locator("[data-field-error='tag_id']").inner_text() == "タグを選んでください"
    assert page.get_by_label("ポイント名").input_value() == "購入完了"
    page.get_by_label("URL・API(サンクスページ)").check()
    page.locator("input[name=value]").fill("4980")
    page.get_by_test_id("cv-save").click()
    page.get_by_test_id("cv-panel").wait_for()
    point_url = page.get_by_test_id("cv-url").inner_text()
    assert "/cv/" in point_url and "<img" in page.get_by_test_id("cv-snippet").inner_text()
    assert page.get_by_test_id("cv-breakdown-empty").is_visible()

    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    made = api_request(system, token, "POST", "/api/broadcasts", {
        "name": "新商品のご案内", "channel": "line", "everyone": True,
        "content": {"line": [{"type": "template", "altText": "新商品のご案内", "template": {
            "type": "buttons", "text": "新商品が入荷しました", "actions": [
                {"type": "uri", "label": "購入ページへ", "uri": f"{shop.base}/thanks?hs_cv=&utm_source=line"}]}}]}})
    api_request(system, token, "POST", f"/api/broadcasts/{made['broadcast_id']}/send")
    system.drain()

    # the friend's phone: tap the button; the shop's page (served here) loads the pixel with the token
    shop.point_url = point_url
    phone = page.context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={BUYER}")
    button = phone.get_by_role("button", name="購入ページへ")
    button.wait_for()
    with page.context.expect_page() as opened:
        button.click()
    landed = opened.value
    landed.wait_for_load_state()
    assert landed.url.startswith(f"{shop.base}/thanks?hs_cv=")
    landed.wait_for_function("document.getElementById('pixel') && document.getElementById('pixel').complete")

    page.reload()
    page.get_by_test_id("cv-panel").wait_for()
    assert page.get_by_test_id("cv-conversions").inner_text() == "1"
    assert page.get_by_test_id("cv-revenue").inner_text() == "¥4,980"
    row = page.locator("[data-testid=cv-breakdown-row][data-attribution=click]")
    assert row.get_attribute("data-source-id") == made["broadcast_id"]
    assert "最後のクリック" in row.inner_text()
    page.goto(admin + "#/conversions")
    assert page.get_by_test_id("cv-row-totals").inner_text() == "1件 / ¥4,980"
    snap("conversions")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_a_conversion_point_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    [point] = api_request(system, token, "GET", "/api/conversion-points")["items"]
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/conversions/{point['code']}")
    page.get_by_test_id("cv-breakdown").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the conversion point scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(snap("phone").with_name("test_a_conversion_point_on_a_phone-viewport.png")))
    assert browser_errors == []
