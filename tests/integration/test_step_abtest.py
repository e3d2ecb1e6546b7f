"""A/B test on a scenario's first step through the running local system: a welcome scenario whose first step has
two variants (each with a URL), friends follow in the LINE emulator, each receives exactly one message, the variant
the results count them under (by reply, and once by push when the reply token is refused; later ticks send nothing
again); one friend opens their tracked URL twice, and GET /api/scenarios/{id}/steps/{step}/abtest shows the
recipients, the unique click on that friend's variant and the verdict. Adopting the winner ends the test: the next
friend gets the winner's content."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500719"
WS = "w_step_abtest"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d719"
TOKEN = "step-abtest-token-000000000000000000000719"
TARGET_A = "https://shop.example.jp/a"
TARGET_B = "https://shop.example.jp/b"
FRIENDS = ["U" + f"{n:04d}" * 8 for n in range(1, 9)]


def texts(emulator: Any, user: str) -> list[tuple[str, str]]:
    return [(str(d["endpoint"]), str((d.get("message") or {}).get("text"))) for d in emulator.received(user, CH)]


def test_each_friend_gets_one_variant_and_the_results_count_recipients_and_clicks(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, owner="owner@step-abtest.example.jp")
    status, scenario = json_request("POST", f"{api}/api/scenarios", {
        "name": "welcome A/B", "triggers": [{"type": "friend_added"}], "steps": [
            {"id": "hello", "variants": [
                {"content": {"line": [{"type": "text", "text": f"A: ようこそ {TARGET_A}"}]}, "weight": 1},
                {"content": {"line": [{"type": "text", "text": f"B: 特典つき {TARGET_B}"}]}, "weight": 1}]},
            {"id": "later", "timing": {"type": "after", "amount": 1, "unit": "hours"},
             "line": [{"type": "text", "text": "later"}]}]}, auth)
    assert status in (200, 201), scenario
    status, refused = json_request("PUT", f"{api}/api/scenarios/{scenario['id']}", {
        **{k: v for k, v in scenario.items() if k != "id"},
        "steps": [{**scenario["steps"][0], "variants": [scenario["steps"][0]["variants"][0],
                                                        {**scenario["steps"][0]["variants"][1], "weight": 0}]},
                  scenario["steps"][1]]}, auth)
    assert status == 422 and refused["where"] == "steps[0].variants[1].weight", refused

    for user in FRIENDS[:-1]:  # one after another, as people do (see docs/production/stepab.md on a burst)
        assert emulator.follow(CH, user) == 200
        system.drain()
    emulator.set_reply_token_ttl(timedelta(0))  # the last one: the token is refused, the variant goes by push
    try:
        assert emulator.follow(CH, FRIENDS[-1]) == 200
        system.drain()
    finally:
        emulator.set_reply_token_ttl(None)
    for _ in range(2):  # later ticks send the first step no second time
        system.advance(timedelta(minutes=1))

    got = {user: texts(emulator, user) for user in FRIENDS}
    for user, messages in got.items():
        assert len(messages) == 1 and messages[0][1][:2] in ("A:", "B:"), (user, messages)
        assert TARGET_A not in messages[0][1] and TARGET_B not in messages[0][1]  # rewritten, per friend
    assert got[FRIENDS[-1]][0][0] == "push" and all(m[0][0] == "reply" for m in list(got.values())[:-1])
    sent = {label: sum(1 for m in got.values() if m[0][1].startswith(label)) for label in ("A", "B")}

    clicker = FRIENDS[0]
    label = got[clicker][0][1][0]
    (url,) = re.findall(r"https?://\S+/c/\S+", got[clicker][0][1])
    for _ in range(2):
        status, headers, _ = raw_request("GET", url)
        assert status == 302 and headers["location"] == (TARGET_A if label == "A" else TARGET_B)

    path = f"{api}/api/scenarios/{scenario['id']}/steps/hello/abtest"
    status, results = json_request("GET", path, headers=auth)
    assert status == 200, results
    rows = {v["label"]: v for v in results["variants"]}
    assert {k: rows[k]["recipients"] for k in rows} == sent
    assert {k: (rows[k]["clicks"], rows[k]["total_clicks"]) for k in rows} == {
        k: ((1, 2) if k == label else (0, 0)) for k in rows}
    assert results["verdict"]["message"].startswith("まだ判定できません")

    winner = "B" if label == "A" else "A"
    status, adopted = json_request("POST", f"{path}/adopt", {"variant": winner}, auth)
    assert status == 200, adopted
    assert adopted["steps"][0]["variants"] is None
    newcomer = "U" + "0719" * 8
    assert emulator.follow(CH, newcomer) == 200
    system.drain()
    (only,) = texts(emulator, newcomer)
    assert only[1].startswith(f"{winner}:")
    status, results = json_request("GET", path, headers=auth)
    assert status == 200 and results["active"] is False
    assert sum(v["recipients"] for v in results["variants"]) == len(FRIENDS)  # the newcomer is no test recipient
