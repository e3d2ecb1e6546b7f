"""Broadcasts respect the workspace's daily frequency cap (1日の配信上限) through the running local system: the quota
check says in Japanese how many friends are at the cap, those friends are skipped and counted, and an urgent
broadcast that opts out reaches them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500188"
SECRET = "6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"
TOKEN = "daily-cap-token-0000000000000000000000001"
WS = "w_daily_cap"
USERS = ["U" + "6" * 31 + str(n) for n in range(2)]


def test_friends_at_the_daily_cap_are_skipped_unless_the_broadcast_opts_out(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    for user in USERS:
        assert emulator.follow(CH, user) == 200
    system.drain()
    status, settings = json_request("PATCH", f"{api}/api/workspace",
                                    {"time_zone": "Asia/Tokyo", "frequency_cap_per_day": 1}, auth)
    assert status == 200, settings

    def received(text: str) -> int:
        return sum(1 for user in USERS for d in emulator.received(user, CH)
                   if (d.get("message") or {}).get("text") == text)

    def broadcast(name: str, text: str, **extra: Any) -> str:
        status, made = json_request("POST", f"{api}/api/broadcasts", {
            "name": name, "channel": "line", "everyone": True,
            "content": {"line": [{"type": "text", "text": text}]}, **extra}, auth)
        assert status == 201, made
        return str(made["broadcast_id"])

    first = broadcast("朝のお知らせ", "おはようございます")
    status, sent = json_request("POST", f"{api}/api/broadcasts/{first}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()
    assert received("おはようございます") == 2

    second = broadcast("昼のお知らせ", "ランチのご案内")
    status, check = json_request("GET", f"{api}/api/broadcasts/{second}/quota-check", headers=auth)
    assert status == 200, check
    assert check["daily_cap"]["skipped"] == 2 and "1日の配信上限（1通）" in check["daily_cap"]["reason"], check
    assert check["recipients"] == 0
    status, sent = json_request("POST", f"{api}/api/broadcasts/{second}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()
    assert received("ランチのご案内") == 0
    status, view = json_request("GET", f"{api}/api/broadcasts/{second}", headers=auth)
    assert view["progress"]["skipped_daily_cap"] == 2 and view["status"] == "done", view

    urgent = broadcast("臨時休業", "本日は臨時休業です", respect_daily_cap=False)
    status, check = json_request("GET", f"{api}/api/broadcasts/{urgent}/quota-check", headers=auth)
    assert check["daily_cap"] is None and check["recipients"] == 2, check
    json_request("POST", f"{api}/api/broadcasts/{urgent}/send", None, auth)
    system.drain()
    assert received("本日は臨時休業です") == 2
