"""A/B test broadcasts: validation, one variant per friend (the one assign.py says) under retries, counts per
variant, and the results with clicks and the verdict."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from haishin.abtests.assign import variant_index
from haishin.api.app import AdminApi
from haishin.broadcasts.abtest import BroadcastAbTests, choose_winner, in_cohort, link_ids, winner_id
from haishin.broadcasts.service import BroadcastInput
from haishin.errors import ValidationFailed
from tests.support.admin_api import call_admin_api
from tests.unit.broadcasts.harness import BroadcastWorld, QuotaLine, user_id


def _variant(text: str, weight: int = 1) -> dict:
    return {"content": {"line": [{"type": "text", "text": text}]}, "weight": weight}


def _create(world: BroadcastWorld, ws: str, variants: list, **extra) -> str:
    broadcast = world.service.create(ws, BroadcastInput(name="AB", channel="line", variants=variants,
                                                        everyone=True, **extra))
    return str(broadcast.broadcast_id)


class FakeClicks:
    def __init__(self) -> None:
        self.rows: dict[str, list] = {}

    def friend_clicks(self, workspace_id, link_id):
        return list(self.rows.get(link_id, []))


def test_each_friend_gets_exactly_the_variant_assign_says_even_with_faults_and_reruns(aws, manual_clock):
    line = QuotaLine(error_rate=0.2, throttle_rate=0.1, accepted_timeout_rate=0.2, seed=3)
    world = BroadcastWorld(line)
    ws = world.workspace()
    ids = world.friends(ws, 1_200)
    broadcast_id = _create(world, ws, [_variant("Aです", 70), _variant("Bです", 30)])
    world.service.send_now(ws, broadcast_id)
    world.plan(duplicate=True)  # every planner message twice
    world.waiting += list(world.waiting)  # every delivery message twice
    world.drain()
    got = Counter(r.user_id for r in line.received)
    assert len(got) == 1_200 and set(got.values()) == {1}
    texts = {r.user_id: r.messages[0]["text"] for r in line.received}
    expected = {user_id(i): ("Aです", "Bです")[variant_index(broadcast_id, sid, [70, 30])]
                for i, sid in enumerate(ids)}
    assert texts == expected
    share_b = sum(1 for t in texts.values() if t == "Bです") / 1_200
    assert 0.25 < share_b < 0.35
    # the planner's per-variant counts (on the slice items) are what was sent, once, despite the re-runs
    results = BroadcastAbTests(repository=world.service.repository, clicks=FakeClicks()).results(ws, broadcast_id)
    assert [v["recipients"] for v in results["variants"]] == [
        sum(1 for t in texts.values() if t == "Aです"), sum(1 for t in texts.values() if t == "Bです")]
    assert results["verdict"]["ready"] is False  # no clicks yet
    assert results["verdict"]["message"] == "まだ判定できません（各パターン最低100通・成果5件が必要です）"
    # the delivery messages say which variant each group is
    assert world.view(ws, broadcast_id)["status"] == "done"


def test_personalised_variants_render_per_friend(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    ids = world.friends(ws, 30, names=["Aoi", "Ren"])
    broadcast_id = _create(world, ws, [_variant("{{ name }}さん A"), _variant("{{ name }}さん B"),
                                       _variant("{{ name }}さん C")])
    world.service.send_now(ws, broadcast_id)
    world.plan()
    groups = [g for m in world.waiting for g in (m.broadcast or {})["groups"]]
    assert {g["variant"] for g in groups} <= {"A", "B", "C"}
    world.drain()
    for i, sid in enumerate(ids):
        label = "ABC"[variant_index(broadcast_id, sid, [1, 1, 1])]
        assert [r.messages[0]["text"] for r in world.line.of(user_id(i))] == [f"{('Aoi', 'Ren')[i % 2]}さん {label}"]


@pytest.mark.parametrize(("variants", "where"), [
    ([_variant("x")], "variants"),
    ([_variant("x")] * 5, "variants"),
    ([_variant("x"), {"content": {"line": [{"type": "text", "text": "y"}]}, "weight": 0}], "variants.1.weight"),
    ([_variant("x"), {"content": {"line": [{"type": "text", "text": " "}]}, "weight": 1}],
     "variants.1.content.line.0.text"),
    ([_variant("x"), {"weight": 1}], "variants.1.content"),
    ([_variant("x"), {"content": {"line": [{"type": "text", "text": "y"}]}, "weight": 1, "extra": 1}],
     "variants.1"),
])
def test_bad_variants_name_the_field(aws, manual_clock, variants, where):
    world = BroadcastWorld()
    ws = world.workspace()
    with pytest.raises(ValidationFailed) as caught:
        _create(world, ws, variants)
    assert caught.value.where == where


def test_content_and_variants_together_are_refused_and_the_view_shows_variants(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    with pytest.raises(ValidationFailed) as caught:
        _create(world, ws, [_variant("a"), _variant("b")], content={"line": [{"type": "text", "text": "c"}]})
    assert caught.value.where == "content"
    broadcast_id = _create(world, ws, [_variant("a", 2), _variant("b", 1)])
    broadcast = world.service.repository.require(ws, broadcast_id)
    view = world.service.view(broadcast, with_content=True)
    assert view["variants"] == [{"weight": 2, "content": {"line": [{"type": "text", "text": "a"}]}},
                                {"weight": 1, "content": {"line": [{"type": "text", "text": "b"}]}}]
    assert view["content"] == {"line": [{"type": "text", "text": "a"}]}  # variant A: what the quota check reads
    # plain content replaces the test
    world.service.update(ws, broadcast_id, BroadcastInput(variants=[],
                                                          content={"line": [{"type": "text", "text": "z"}]}))
    view = world.service.view(world.service.repository.require(ws, broadcast_id), with_content=True)
    assert view["variants"] is None and view["content"] == {"line": [{"type": "text", "text": "z"}]}


def test_results_count_clicks_per_variant_and_give_the_verdict(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    ids = world.friends(ws, 600)
    url = "https://example.com/c/l_sale"
    broadcast_id = _create(world, ws, [_variant(f"A {url}"), _variant(f"B {url}.tok")])
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    weights = [1, 1]
    by_variant: dict[int, list[str]] = {0: [], 1: []}
    for sid in ids:
        by_variant[variant_index(broadcast_id, sid, weights)].append(sid)
    started = world.service.repository.require(ws, broadcast_id).started_at
    clicks = FakeClicks()
    clicks.rows["l_sale"] = (
        [(sid, started + timedelta(minutes=5)) for sid in by_variant[0][:15]]
        + [(sid, started + timedelta(minutes=5)) for sid in by_variant[1][:45]]
        + [(sid, started - timedelta(days=1)) for sid in by_variant[0][100:150]])  # clicked before: not this send
    results = BroadcastAbTests(repository=world.service.repository, clicks=clicks).results(ws, broadcast_id)
    a, b = results["variants"]
    assert (a["label"], a["recipients"], a["clicks"]) == ("A", len(by_variant[0]), 15)
    assert (b["label"], b["recipients"], b["clicks"]) == ("B", len(by_variant[1]), 45)
    assert a["tracked_links"] == b["tracked_links"] == ["l_sale"]
    assert b["click_rate"] == pytest.approx(45 / len(by_variant[1]))
    assert results["verdict"]["ready"] and results["verdict"]["leader"] == "B"
    assert results["verdict"]["message"] == "B の方がクリック率が高い可能性 99%"
    assert results["verdict"]["significant"]


def test_results_of_a_plain_broadcast_are_refused(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    broadcast_id = world.create(ws)
    with pytest.raises(ValidationFailed) as caught:
        BroadcastAbTests(repository=world.service.repository, clicks=FakeClicks()).results(ws, broadcast_id)
    assert caught.value.where == "variants"


def test_link_ids_found_in_content():
    assert link_ids({"line": [{"text": "https://x/c/l_1 and https://x/c/l_2.abc"}]}) == {"l_1", "l_2"}


# ---------------------------------------------------------------------- test a share first, then the winner
def _share_world(clicks: FakeClicks) -> BroadcastWorld:
    world = BroadcastWorld()
    world.planner.abtests = BroadcastAbTests(repository=world.service.repository, clicks=clicks)
    world.planner.scheduler = world.scheduler
    return world


def test_a_share_gets_the_test_then_the_rest_gets_the_winner_after_the_delay(aws, manual_clock):
    clicks = FakeClicks()
    world = _share_world(clicks)
    ws = world.workspace()
    ids = world.friends(ws, 1_500)
    a_text, b_text = "Aです https://localhost/c/l_x", "Bです https://localhost/c/l_x"  # a haishin.links URL: never re-wrapped
    broadcast_id = _create(world, ws, [_variant(a_text), _variant(b_text)], ab_test_share=30,
                           ab_winner_after_minutes=60)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    test = world.service.repository.require(ws, broadcast_id)
    in_test = [sid for sid in ids if in_cohort(test, sid)]
    assert 0.25 < len(in_test) / 1_500 < 0.35
    texts = {r.user_id: r.messages[0]["text"] for r in world.line.received}
    assert len(world.line.received) == len(in_test)
    assert texts == {user_id(ids.index(sid)): (a_text, b_text)[variant_index(broadcast_id, sid, [1, 1])]
                     for sid in in_test}
    # the winner broadcast waits on its own one-time schedule, 60 minutes after the test started
    child_id = winner_id(broadcast_id)
    child = world.service.repository.require(ws, child_id)
    assert child.status == "scheduled" and child.ab_parent == broadcast_id
    assert child.send_at == test.started_at + timedelta(minutes=60)
    assert child_id in world.scheduler.schedules
    # B is clicked more
    started = test.started_at
    b_friends = [sid for sid in in_test if variant_index(broadcast_id, sid, [1, 1]) == 1]
    a_friends = [sid for sid in in_test if variant_index(broadcast_id, sid, [1, 1]) == 0]
    clicks.rows["l_x"] = [(sid, started) for sid in a_friends[:8] + b_friends[:40]]
    results = world.planner.abtests.results(ws, broadcast_id)
    assert results["verdict"]["leader"] == "B" and results["test_share"] == 30
    assert results["winner"]["broadcast_id"] == child_id and results["winner"]["variant"] is None
    # too early: nothing happens
    assert world.planner.start(ws, child_id) == "not_yet"
    manual_clock.advance(timedelta(minutes=61))
    world.planner_queue.bodies.append({"workspace_id": ws, "broadcast_id": child_id})  # the schedule fires
    world.plan()
    world.drain()
    per_user = Counter(r.user_id for r in world.line.received)
    assert len(per_user) == 1_500 and set(per_user.values()) == {1}  # everyone once: the test or the winner
    rest = [sid for sid in ids if sid not in set(in_test)]
    for sid in rest:
        assert [r.messages[0]["text"] for r in world.line.of(user_id(ids.index(sid)))] == [b_text]
    child = world.service.repository.require(ws, child_id)
    assert child.ab_winner == 1 and child.status == "done" and "B の方がクリック率が高い可能性" in child.ab_winner_note
    assert world.planner.abtests.results(ws, broadcast_id)["winner"]["variant"] == "B"


def test_the_winner_broadcast_of_a_cancelled_test_is_cancelled(aws, manual_clock):
    world = _share_world(FakeClicks())
    ws = world.workspace()
    world.friends(ws, 200)
    broadcast_id = _create(world, ws, [_variant("A"), _variant("B")], ab_test_share=50, ab_winner_after_minutes=30)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.service.cancel(ws, broadcast_id)  # cancelled while sending
    manual_clock.advance(timedelta(minutes=31))
    assert world.planner.start(ws, winner_id(broadcast_id)) == "ignored:test_cancelled"
    assert world.service.repository.require(ws, winner_id(broadcast_id)).status == "cancelled"


def test_without_a_winner_verdict_the_higher_click_rate_wins_and_says_so():
    results = {"variants": [{"label": "A", "click_rate": 0.01}, {"label": "B", "click_rate": 0.01}],
               "verdict": {"ready": False, "leader": None, "message": "まだ判定できません（…）"}}
    index, note = choose_winner(results)
    assert index == 0 and note.startswith("A を配信") and "クリック率が最も高い" in note


@pytest.mark.parametrize(("extra", "where"), [
    ({"ab_test_share": 30}, "ab_winner_after_minutes"),
    ({"ab_test_share": 100, "ab_winner_after_minutes": 60}, "ab_test_share"),
    ({"ab_test_share": 20, "ab_winner_after_minutes": 5}, "ab_winner_after_minutes"),
])
def test_bad_share_options_name_the_field(aws, manual_clock, extra, where):
    world = BroadcastWorld()
    ws = world.workspace()
    with pytest.raises(ValidationFailed) as caught:
        _create(world, ws, [_variant("a"), _variant("b")], **extra)
    assert caught.value.where == where
    with pytest.raises(ValidationFailed) as caught:
        world.service.create(ws, BroadcastInput(name="x", channel="line", everyone=True, ab_test_share=20,
                                                ab_winner_after_minutes=60,
                                                content={"line": [{"type": "text", "text": "x"}]}))
    assert caught.value.where == "ab_test_share"


def test_admin_routes_create_variants_and_read_results(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    api = AdminApi()
    status, bad = call_admin_api(api, "POST", "/api/broadcasts", workspace=ws, body={
        "name": "AB", "channel": "line", "everyone": True,
        "variants": [_variant("a"), {"content": {"line": [{"type": "text", "text": "b"}]}, "weight": "x"}]})
    assert status == 422 and bad["where"] == "variants.1.weight" and "配分" in bad["message"], bad
    status, made = call_admin_api(api, "POST", "/api/broadcasts", workspace=ws, body={
        "name": "AB", "channel": "line", "everyone": True, "ab_test_share": 20, "ab_winner_after_minutes": 120,
        "variants": [_variant("a", 3), _variant("b", 1)]})
    assert status == 201, made
    assert made["variants"][1] == {"weight": 1, "content": {"line": [{"type": "text", "text": "b"}]}}
    assert (made["ab_test_share"], made["ab_winner_after_minutes"]) == (20, 120)
    status, results = call_admin_api(api, "GET", f"/api/broadcasts/{made['broadcast_id']}/abtest", workspace=ws,
                                     role="viewer")
    assert status == 200, results
    assert [(v["label"], v["recipients"], v["share"]) for v in results["variants"]] == [("A", 0, 0.75),
                                                                                         ("B", 0, 0.25)]
    assert results["verdict"]["ready"] is False and results["winner"] is None
    plain = world.create(ws)
    status, refused = call_admin_api(api, "GET", f"/api/broadcasts/{plain}/abtest", workspace=ws)
    assert status == 422 and refused["where"] == "variants", refused
    status, missing = call_admin_api(api, "GET", "/api/broadcasts/bc_nope/abtest", workspace=ws)
    assert status == 404, missing
