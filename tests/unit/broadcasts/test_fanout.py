"""Fan-out: batches of 500, one multicast each; personalised rendering; retries and faults; counters; cancel."""

from __future__ import annotations

from collections import Counter

import pytest

from haishin.broadcasts.planner import batch_ids
from haishin.delivery.ledger import Ledger
from haishin.errors import Conflict
from haishin.tags.repository import TagIn, TagRepository
from tests.unit.broadcasts.harness import CHANNEL, BroadcastWorld, QuotaLine, user_id


def test_identical_content_is_ceil_n_over_500_multicasts(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 2_600)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    # the broadcast names no channel: the planner resolved the workspace's one, so no batch looks it up
    assert {m.line_channel_id for m in world.waiting} == {CHANNEL}
    world.drain()
    calls = Counter(kind for kind, _ in world.line.log)
    assert calls == {"multicast": 6}
    assert sorted(n for _, n in world.line.log) == [100] + [500] * 5
    assert len({r.user_id for r in world.line.received}) == 2_600
    view = world.view(ws, broadcast_id)
    assert view["status"] == "done"
    assert view["progress"]["planned"] == view["progress"]["sent"] == 2_600
    assert view["progress"]["pending"] == 0


def test_personalised_content_renders_per_friend_and_groups_identical_renderings(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    names = ["Aoi", "Ren", "Sora"] + [f"Solo{i}" for i in range(7)]
    ids = world.friends(ws, 40, names=names[:3])  # 40 friends sharing 3 names
    ids += world.friends(ws, 7, start=1000, names=names[3:])  # 7 friends with a name of their own
    broadcast_id = world.create(ws, content={"line": [{"type": "text", "text": "{{ name }}さん、こんにちは"}]})
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    assert len(world.line.received) == 47
    for i in range(40):
        got = world.line.of(user_id(i))
        assert [r.messages[0]["text"] for r in got] == [f"{names[i % 3]}さん、こんにちは"]
    for i in range(7):
        assert [r.messages[0]["text"] for r in world.line.of(user_id(1000 + i))] == [f"Solo{i}さん、こんにちは"]
    kinds = Counter(kind for kind, _ in world.line.log)
    assert kinds["push"] == 7  # a rendering of its own goes by push
    assert kinds["multicast"] >= 3 and sum(n for k, n in world.line.log if k == "multicast") == 40
    assert world.view(ws, broadcast_id)["progress"]["sent"] == 47


def test_faults_and_throttling_still_deliver_exactly_once_and_blocked_are_skipped(aws, manual_clock):
    line = QuotaLine(error_rate=0.2, throttle_rate=0.2, accepted_timeout_rate=0.3, seed=1)
    world = BroadcastWorld(line)
    ws = world.workspace()
    world.friends(ws, 2_300)
    world.friends(ws, 40, start=50_000, status="blocked")
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan(duplicate=True)  # every planner message delivered twice
    world.waiting += list(world.waiting)  # and every delivery message twice
    world.drain()
    per_user = Counter(r.user_id for r in line.received)
    assert len(per_user) == 2_300 and set(per_user.values()) == {1}
    assert not any(user_id(50_000 + i) in per_user for i in range(40))
    assert line.faults["5xx"] > 0 and line.faults["429"] > 0 and line.faults["accepted_then_timeout"] > 0
    view = world.view(ws, broadcast_id)
    assert view["progress"]["sent"] == view["progress"]["planned"] == 2_300
    assert view["progress"]["skipped_blocked"] == 40
    assert view["status"] == "done"
    assert not world.dlq


def test_a_second_start_and_a_rerun_slice_plan_nothing_new(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 1_200)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    start = world.planner_queue.bodies.pop(0)
    assert world.planner.start(ws, broadcast_id) == "fanned_out"
    assert world.planner.start(ws, broadcast_id) == "ignored:planning"  # Scheduler invoked the target twice
    slices = list(world.planner_queue.bodies)
    assert len(slices) == 16
    world.planner_queue.bodies.clear()
    for body in slices:
        world.planner.handle(body)
    first = {m.delivery_id: (m.retry_key, tuple(m.recipients)) for m in world.delivery.take()}
    # the slices run again (redelivered after a crash): same batches, same keys; nothing counted twice
    for n in range(16):
        world.planner.run_slice(ws, broadcast_id, n)
    again = {m.delivery_id: (m.retry_key, tuple(m.recipients)) for m in world.delivery.take()}
    assert set(again) <= set(first)
    assert all(again[d] == first[d] for d in again)
    view = world.view(ws, broadcast_id)
    assert view["progress"]["planned"] == 1_200
    assert start == {"workspace_id": ws, "broadcast_id": broadcast_id}
    assert sum(len(r) for _, r in first.values()) == 1_200
    assert len(first) == 3  # ceil(1200 / 500): the slices' leftovers were pooled


def test_batch_ids_are_deterministic():
    assert batch_ids("bc_1", "03", 2) == batch_ids("bc_1", "03", 2)
    assert batch_ids("bc_1", "03", 2) != batch_ids("bc_1", "03", 3)


def test_cancel_stops_within_one_batch(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 2_500)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    assert len(world.waiting) == 5
    world.drain(stop_after=3)
    world.service.cancel(ws, broadcast_id)
    world.drain()
    assert len(world.line.log) == 3
    view = world.view(ws, broadcast_id)
    assert view["status"] == "cancelled"
    assert view["progress"]["sent"] == 1_500 and view["progress"]["cancelled"] == 1_000
    with pytest.raises(Conflict) as raised:
        world.service.cancel(ws, broadcast_id)
    assert raised.value.where == "status"
    statuses = Counter(Ledger().get(m).status for m in world.receives)  # type: ignore[union-attr]
    assert statuses == {"sent": 3, "skipped_stopped": 2}


def test_segment_recipients_equal_the_estimate_and_the_count(aws, manual_clock):
    world = BroadcastWorld()
    ws = world.workspace()
    vip = TagRepository().create(ws, TagIn(name="VIP")).tag_id
    world.friends(ws, 300, tags={vip})
    world.friends(ws, 200, start=1000)
    world.friends(ws, 30, start=5000, tags={vip}, status="blocked")
    segment = {"match": "all", "conditions": [{"type": "tags", "match": "any", "tags": ["VIP"]}]}
    broadcast_id = world.create(ws, segment=segment)
    count = world.service.audience.count(ws, segment)
    quota = world.service.quota_check(ws, broadcast_id)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    view = world.view(ws, broadcast_id)
    assert count == 330 == quota["matched"]
    assert quota["recipients"] == view["progress"]["planned"] == view["progress"]["sent"] == 300
    assert view["progress"]["skipped_blocked"] == 30
    assert {r.user_id for r in world.line.received} == {user_id(i) for i in range(300)}
    assert CHANNEL
