"""A/B broadcasts judged by conversion rate or revenue per recipient (the broadcast chooses its metric)."""

from __future__ import annotations

import pytest

from haishin.abtests.assign import variant_index
from haishin.broadcasts.abtest import BroadcastAbTests, choose_winner
from haishin.broadcasts.service import BroadcastInput
from haishin.errors import ValidationFailed
from tests.unit.broadcasts.harness import BroadcastWorld


class NoClicks:
    def friend_clicks(self, workspace_id, link_id):
        return []


class FakeConversions:
    def __init__(self, revenue: dict[str, int]) -> None:
        self.revenue = revenue

    def converters(self, workspace_id, broadcast_id):
        return dict(self.revenue)


def _setup(metric: str | None):
    world = BroadcastWorld()
    ws = world.workspace()
    ids = world.friends(ws, 600)
    variants = [{"content": {"line": [{"type": "text", "text": t}]}, "weight": 1} for t in ("A", "B")]
    broadcast = world.service.create(ws, BroadcastInput(name="AB", channel="line", variants=variants, everyone=True,
                                                        ab_metric=metric))
    broadcast_id = str(broadcast.broadcast_id)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    by_variant: dict[int, list[str]] = {0: [], 1: []}
    for sid in ids:
        by_variant[variant_index(broadcast_id, sid, [1, 1])].append(sid)
    return world, ws, broadcast_id, by_variant


def test_conversion_rate_metric_uses_the_converting_friends_of_each_variant(aws, manual_clock):
    world, ws, broadcast_id, by_variant = _setup("conversion_rate")
    revenue = {sid: 0 for sid in by_variant[0][:6]} | {sid: 0 for sid in by_variant[1][:30]}
    results = BroadcastAbTests(repository=world.service.repository, clicks=NoClicks(),
                               conversions=FakeConversions(revenue)).results(ws, broadcast_id)
    a, b = results["variants"]
    assert results["metric"] == "conversion_rate"
    assert (a["conversions"], b["conversions"]) == (6, 30)
    assert b["conversion_rate"] == pytest.approx(30 / len(by_variant[1]))
    assert results["verdict"]["leader"] == "B"
    assert results["verdict"]["message"] == "B の方がコンバージョン率が高い可能性 99%"
    assert world.service.view(world.service.repository.require(ws, broadcast_id))["ab_metric"] == "conversion_rate"


def test_revenue_per_recipient_metric_uses_welch_and_picks_the_richer_variant(aws, manual_clock):
    world, ws, broadcast_id, by_variant = _setup("revenue_per_recipient")
    # A: many small orders; B: fewer but large ones (a higher conversion rate is not the higher revenue)
    revenue = {sid: 1000 for sid in by_variant[0][:40]} | {sid: 20000 for sid in by_variant[1][:20]}
    results = BroadcastAbTests(repository=world.service.repository, clicks=NoClicks(),
                               conversions=FakeConversions(revenue)).results(ws, broadcast_id)
    a, b = results["variants"]
    assert (a["revenue"], b["revenue"]) == (40_000, 400_000)
    assert b["revenue_per_recipient"] == pytest.approx(400_000 / len(by_variant[1]))
    assert results["verdict"]["leader"] == "B" and results["verdict"]["significant"]
    assert results["verdict"]["message"].startswith("B の方が1通あたりの売上が高い（")
    index, note = choose_winner(results)
    assert index == 1 and note == results["verdict"]["message"]


def test_before_a_verdict_the_winner_is_the_best_value_of_the_chosen_metric():
    results = {"metric": "revenue_per_recipient",
               "verdict": {"ready": False, "leader": None, "message": "まだ判定できません"},
               "variants": [{"label": "A", "click_rate": 0.5, "revenue_per_recipient": 10.0},
                            {"label": "B", "click_rate": 0.1, "revenue_per_recipient": 30.0}]}
    index, note = choose_winner(results)
    assert index == 1 and "1通あたりの売上が最も高いパターン" in note


def test_an_unknown_metric_is_refused_at_the_field(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    with pytest.raises(ValidationFailed) as caught:
        world.service.create(ws, BroadcastInput(name="AB", channel="line", everyone=True, ab_metric="opens",
                                                variants=[{"content": {"line": [{"type": "text", "text": t}]},
                                                           "weight": 1} for t in ("A", "B")]))
    assert caught.value.where == "ab_metric"
