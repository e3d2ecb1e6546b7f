"""LINE's per-unit statistics through the running local system: a broadcast to 25 friends goes out with its
aggregation unit; 21 friends open it on their phone and 20 tap its URL (the emulator's phone page reports both, as
LINE counts them); GET /api/broadcasts/{id}/line-stats shows LINE's 21 opens and 20 taps and no note. A scenario
step's statistics below 20 friends come back hidden with the Japanese note. Past the month's unit limit, a broadcast
is still delivered, without a unit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500271"
SECRET = "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"
TOKEN = "unit-stats-token-000000000000000000000001"
WS = "w_line_unit_stats"
USERS = {"U" + "d" * 30 + f"{n:02d}": f"ユニット{n}" for n in range(25)}
TARGET = "https://shop.example.jp/autumn"


def _send(system: Any, auth: dict[str, str], name: str) -> str:
    api = system.base_url
    status, made = json_request("POST", f"{api}/api/broadcasts", {
        "name": name, "channel": "line", "everyone": True,
        "content": {"line": [{"type": "text", "text": f"{name} {TARGET}"}]}}, auth)
    assert status == 201, made
    status, sent = json_request("POST", f"{api}/api/broadcasts/{made['broadcast_id']}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()
    return str(made["broadcast_id"])


def test_line_counts_opens_and_taps_per_unit_and_the_admin_reads_them(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends=USERS)
    broadcast_id = _send(system, auth, "秋のセール")

    users = list(USERS)
    for n, user in enumerate(users[:21]):
        [delivery] = [d for d in emulator.received(user, CH) if str(d["message"].get("text", "")).startswith("秋")]
        assert str(delivery.get("unit", "")).startswith("b_")
        emulator.phone_seen(CH, user, [delivery["seq"]])
        if n < 20:
            url = next(w for w in delivery["message"]["text"].split() if "/c/" in w)
            emulator.phone_open(CH, user, delivery["seq"], url)

    status, stats = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}/line-stats", headers=auth)
    assert status == 200, stats
    [unit] = stats["units"]
    assert (unit["unique_impressions"], unit["unique_clicks"], unit["hidden"]) == (21, 20, False)
    assert stats["note"] is None and stats["units_used_this_month"] == 1

    # a scenario step nobody received yet: LINE hides it, the admin says why in Japanese
    status, scenario = json_request("POST", f"{api}/api/scenarios", {
        "name": "ようこそ", "status": "draft", "triggers": [],
        "steps": [{"id": "hello", "timing": {"type": "immediately"}, "line": [{"type": "text", "text": "こんにちは"}]}]},
        auth)
    assert status in (200, 201), scenario
    status, steps = json_request("GET", f"{api}/api/scenarios/{scenario['id']}/line-stats", headers=auth)
    assert status == 200, steps
    assert [u["label"] for u in steps["units"]] == ["hello"] and steps["units"][0]["hidden"] is True
    assert "20 人未満" in steps["note"]
    status, bad = json_request("GET", f"{api}/api/scenarios/{scenario['id']}/line-stats?from=2026/01/01", headers=auth)
    assert status == 422 and bad["where"] == "from", bad

    # the month's unit names used up: the next broadcast is still delivered, without a unit
    emulator.units.monthly_limit = 1
    try:
        second = _send(system, auth, "冬の予告")
    finally:
        emulator.units.monthly_limit = 1000
    received = [d for d in emulator.received(users[0], CH) if str(d["message"].get("text", "")).startswith("冬")]
    assert len(received) == 1 and "unit" not in received[0]
    status, view = json_request("GET", f"{api}/api/broadcasts/{second}", headers=auth)
    assert status == 200 and view["status"] == "done" and view["progress"]["sent"] == 25, view
