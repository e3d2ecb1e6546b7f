"""An A/B test broadcast through the running local system: created with two variants through the admin API, sent
(PlannerQueue -> planner -> DeliveryQueue -> worker -> LINE emulator), each friend receives exactly one variant,
the one haishin.abtests.assign says for (broadcast, friend); per-friend tracked-link clicks count for the clicker's
variant; GET /api/broadcasts/{id}/abtest shows the split, the clicks and the verdict."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from haishin.abtests.assign import position, variant_index
from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500219"
SECRET = "5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"
TOKEN = "ab-broadcast-token-000000000000000000001"
WS = "w_ab_broadcast"
USERS = {"U" + "a" * 30 + f"{n:02d}": f"友だち{n}" for n in range(20)}


@pytest.fixture(scope="module")
def workspace(local_system: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The workspace with its owner signed in and 20 following friends: (auth header, LINE user -> friend ID)."""
    from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415 - after the endpoints are set

    auth, _ = connect_workspace(local_system, WS, CH, SECRET, TOKEN, friends=USERS)
    subscribers = SubscriberRepository()
    sid_of = {}
    for user in USERS:
        friend = subscribers.find_by_line_user(WS, CH, user)
        assert friend is not None
        sid_of[user] = friend.subscriber_id
    return auth, sid_of


def test_two_variants_each_friend_gets_the_assigned_one_and_results_show_the_split(
        local_system: Any, workspace: tuple[dict[str, str], dict[str, str]]) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, sid_of = workspace

    status, link = json_request("POST", f"{api}/api/links", {
        "name": "セール", "target_url": "https://shop.example.jp/sale"}, auth)
    assert status == 201, link
    url = f"{api}/c/{link['link_id']}"
    texts = [f"A: 本日限りのセールです {url}", f"B: 50%オフは今日だけ {url}"]

    status, bad = json_request("POST", f"{api}/api/broadcasts", {
        "name": "AB", "channel": "line", "everyone": True,
        "variants": [{"content": {"line": [{"type": "text", "text": texts[0]}]}, "weight": 1}]}, auth)
    assert status == 422 and bad["where"] == "variants" and "2〜4" in bad["message"], bad

    status, made = json_request("POST", f"{api}/api/broadcasts", {
        "name": "セールA/B", "channel": "line", "everyone": True,
        "variants": [{"content": {"line": [{"type": "text", "text": t}]}, "weight": 1} for t in texts]}, auth)
    assert status == 201, made
    broadcast_id = made["broadcast_id"]
    assert [v["weight"] for v in made["variants"]] == [1, 1]
    status, sent = json_request("POST", f"{api}/api/broadcasts/{broadcast_id}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()

    expected = {user: variant_index(broadcast_id, sid_of[user], [1, 1]) for user in USERS}
    for user in USERS:
        got = [t for t in (str((d.get("message") or {}).get("text")) for d in emulator.received(user, CH))
               if t.startswith(("A: ", "B: "))]
        assert got == [texts[expected[user]]], (user, got)  # exactly one message: the assigned variant
    split = [sum(1 for v in expected.values() if v == i) for i in (0, 1)]
    assert 0 < split[0] < 20  # both variants were used

    # three friends of A and all friends of B click their per-friend tracked URL (twice: counted once)
    clickers = [u for u in USERS if expected[u] == 0][:3] + [u for u in USERS if expected[u] == 1]
    for user in clickers:
        status, minted = json_request("POST", f"{api}/api/links/{link['link_id']}/friend-url",
                                      {"subscriber_id": sid_of[user]}, auth)
        assert status == 200, minted
        for _ in range(2):
            status, headers, _ = raw_request("GET", minted["url"])
            assert status == 302 and headers["location"] == "https://shop.example.jp/sale"

    status, results = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}/abtest", headers=auth)
    assert status == 200, results
    a, b = results["variants"]
    assert (a["label"], a["recipients"], a["clicks"]) == ("A", split[0], min(3, split[0])), results
    assert (b["label"], b["recipients"], b["clicks"]) == ("B", split[1], split[1]), results
    assert a["tracked_links"] == [link["link_id"]]
    assert results["verdict"]["ready"] is False  # 20 friends: below the minimum sample
    assert results["verdict"]["message"] == "まだ判定できません（各パターン最低100通・成果5件が必要です）"

    status, view = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}", headers=auth)
    assert view["status"] == "done" and view["progress"]["sent"] == 20, view


def test_a_share_first_then_the_winner_to_the_rest_on_its_schedule(
        local_system: Any, workspace: tuple[dict[str, str], dict[str, str]]) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, sid_of = workspace
    texts = ["先行A: 新商品のご案内", "先行B: 新商品が入荷しました"]
    status, made = json_request("POST", f"{api}/api/broadcasts", {
        "name": "先行テスト", "channel": "line", "everyone": True, "ab_test_share": 50,
        "ab_winner_after_minutes": 10,
        "variants": [{"content": {"line": [{"type": "text", "text": t}]}, "weight": 1} for t in texts]}, auth)
    assert status == 201, made
    broadcast_id = made["broadcast_id"]
    status, sent = json_request("POST", f"{api}/api/broadcasts/{broadcast_id}/send", None, auth)
    assert status in (200, 202), sent
    system.drain()

    def got(user: str) -> list[str]:
        return [str((d.get("message") or {}).get("text")) for d in emulator.received(user, CH)
                if str((d.get("message") or {}).get("text")).startswith("先行")]

    in_test = {u for u in USERS if position(f"{broadcast_id}#share", sid_of[u]) < 0.5}
    for user in USERS:
        expected = [texts[variant_index(broadcast_id, sid_of[user], [1, 1])]] if user in in_test else []
        assert got(user) == expected, user
    status, results = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}/abtest", headers=auth)
    assert status == 200 and results["winner"]["status"] == "scheduled", results
    assert sum(v["recipients"] for v in results["variants"]) == len(in_test)

    system.advance(timedelta(minutes=11))  # the winner's one-time schedule fires
    system.drain()
    for user in USERS:
        if user not in in_test:  # no clicks: equal click rates, so A (said in the note)
            assert got(user) == [texts[0]], user
        else:
            assert len(got(user)) == 1, user
    status, results = json_request("GET", f"{api}/api/broadcasts/{broadcast_id}/abtest", headers=auth)
    assert results["winner"]["variant"] == "A" and results["winner"]["status"] == "done", results
    assert "クリック率が最も高いパターン" in results["winner"]["note"]
