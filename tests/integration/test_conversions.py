"""Conversions through the running local system: a conversion point (URL kind) made in the admin API; a broadcast
whose landing URL opts in with ``hs_cv=``; a friend taps the tracked URL (the redirect fills in the signed friend
token), then the thank-you page's pixel ``/cv/<code>?f=<token>&txn=`` records the conversion once, attributed to
that broadcast (last click and last message); the point's detail and the broadcast's conversions show it. Bad
input: an unknown code (Japanese 404), a forged token (403), another workspace's friend: nothing stored."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500947"
SECRET = "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"
TOKEN = "conversions-token-000000000000000000001"
WS = "w_conversions_it"
USERS = {"U" + "d" * 30 + f"{n:02d}": f"成果{n}" for n in range(2)}
LANDING = "https://shop.example.jp/lp?hs_cv=&utm_source=line"


def _pixel(url: str) -> tuple[int, str, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        connection.close()


def test_a_click_then_the_thank_you_pixel_is_a_conversion_of_the_broadcast(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends=USERS)

    status, point = json_request("POST", f"{api}/api/conversion-points",
                                 {"name": "購入完了", "kind": "url", "window_days": 7, "value": 4980}, auth)
    assert status == 201, point
    code = point["code"]
    assert point["url"].endswith(f"/cv/{code}")

    status, made = json_request("POST", f"{api}/api/broadcasts", {
        "name": "新商品", "channel": "line", "everyone": True,
        "content": {"line": [{"type": "text", "text": f"新商品のご案内 {LANDING}"}]}}, auth)
    assert status == 201, made
    broadcast_id = made["broadcast_id"]
    status, sent = json_request("POST", f"{api}/api/broadcasts/{broadcast_id}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()

    buyer = next(iter(USERS))
    (text,) = [str((d.get("message") or {}).get("text")) for d in system.line_emulator.received(buyer, CH)
               if str((d.get("message") or {}).get("text")).startswith("新商品")]
    (tracked,) = re.findall(r"https?://\S+/c/\S+", text)
    status, headers, _ = raw_request("GET", tracked)
    assert status == 302, (status, headers)
    landing = urllib.parse.urlsplit(headers["location"])
    assert landing.netloc == "shop.example.jp"
    token = urllib.parse.parse_qs(landing.query)["hs_cv"][0]

    pixel = f"{point['url']}?f={token}&txn=order-1"  # the URL the screen shows, as the thank-you page loads it
    status, content_type, body = _pixel(pixel)
    assert (status, content_type) == (200, "image/gif") and body.startswith(b"GIF89a")
    assert _pixel(pixel)[0] == 200  # the thank-you page reloaded: still one conversion

    # bad input: nothing stored
    status, _, page = raw_request("GET", pixel.replace(f"/cv/{code}", "/cv/nosuchcode"))
    assert status == 404 and "ページが見つかりません" in page
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    status, _, page = raw_request("GET", pixel.replace(token, forged).replace("order-1", "order-2"))
    assert status == 403 and "このURLは無効です" in page

    status, detail = json_request("GET", f"{api}/api/conversion-points/{code}", headers=auth)
    assert status == 200, detail
    assert (detail["conversions"], detail["unique_conversions"], detail["revenue"]) == (1, 1, 4980), detail
    credited = {(b["attribution"], b["source"]["kind"], b["source"]["id"]) for b in detail["breakdown"]}
    assert ("click", "broadcast", broadcast_id) in credited, detail["breakdown"]
    # broadcast batches write no per-friend timeline entry: a broadcast is credited by its clicks (docs/production/conv.md)
    assert credited == {("click", "broadcast", broadcast_id)}, detail["breakdown"]

    status, by_broadcast = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}/conversions", headers=auth)
    assert status == 200, by_broadcast
    assert by_broadcast["by_click"] == {"conversions": 1, "unique_conversions": 1, "revenue": 4980}
    assert by_broadcast["conversion_rate"] == 0.5  # 1 of the 2 friends it was sent to
