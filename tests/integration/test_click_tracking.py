"""Click tracking through the running local system: a broadcast with a URL to 3 friends is planned per friend (each
friend's URL is a signed tracked /c/ URL carrying the broadcast), the LINE emulator receives it, two friends click
(one twice), the redirect lands on the original URL, and GET /api/broadcasts/{id}/clicks shows total 3, unique 2,
rate 2/3. A forged URL gets the Japanese page and counts nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500231"
SECRET = "6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"
TOKEN = "click-tracking-token-0000000000000000001"
WS = "w_click_tracking"
USERS = {"U" + "c" * 30 + f"{n:02d}": f"クリック{n}" for n in range(3)}
TARGET = "https://shop.example.jp/spring?utm_source=line"


def test_a_broadcast_url_is_tracked_per_friend_and_clicks_are_counted(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends=USERS)

    status, made = json_request("POST", f"{api}/api/broadcasts", {
        "name": "春のセール", "channel": "line", "everyone": True,
        "content": {"line": [{"type": "text", "text": f"春のセールはこちら {TARGET}"}]}}, auth)
    assert status == 201, made
    broadcast_id = made["broadcast_id"]
    status, sent = json_request("POST", f"{api}/api/broadcasts/{broadcast_id}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()

    urls = {}
    for user in USERS:
        texts = [str((d.get("message") or {}).get("text")) for d in system.line_emulator.received(user, CH)]
        texts = [t for t in texts if t.startswith("春のセール")]
        assert len(texts) == 1, (user, texts)
        assert TARGET not in texts[0]  # rewritten
        (url,) = re.findall(r"https?://\S+/c/\S+", texts[0])
        urls[user] = url
    assert len(set(urls.values())) == 3  # one URL per friend

    first, second, _third = list(USERS)
    for user in (first, first, second):
        status, headers, _ = raw_request("GET", urls[user])
        assert status == 302 and headers["location"] == TARGET, (status, headers)

    forged = urls[second][:-1] + ("A" if urls[second][-1] != "A" else "B")
    status, _, body = raw_request("GET", forged)
    assert status == 403 and "このリンクは無効です" in body, (status, body)

    status, clicks = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}/clicks", headers=auth)
    assert status == 200, clicks
    assert (clicks["clicks"], clicks["unique_clicks"], clicks["delivered"]) == (3, 2, 3), clicks
    assert clicks["click_rate"] == round(2 / 3, 4)
