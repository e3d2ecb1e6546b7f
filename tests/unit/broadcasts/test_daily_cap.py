"""Broadcasts respect the workspace's daily frequency cap (1日の配信上限) by default: a friend who already had the
day's number of marketing messages (steps and broadcasts share one counter per friend and local day) is skipped and
counted as ``skipped_daily_cap``; the confirm dialog's quota check says how many, in Japanese; a broadcast may opt
out (``respect_daily_cap: false``); a re-planned slice counts a friend once."""

from __future__ import annotations

from typing import Any

from haishin.broadcasts.models import BroadcastModel
from haishin.broadcasts.service import BroadcastInput
from haishin.delivery.ledger import CapCounter, Ledger, cap_pk
from haishin.storage.shards import SHARDS
from haishin.workspaces.models import WorkspaceModel, workspace_pk
from tests.unit.broadcasts.harness import BroadcastWorld, user_id

TODAY = "2026-01-05"  # the manual clock's day in Tokyo (09:00)


def capped_world(cap: int) -> tuple[BroadcastWorld, str]:
    world = BroadcastWorld()
    ws = world.workspace()
    workspace = WorkspaceModel.get(workspace_pk(ws), "workspace")
    workspace.frequency_cap_per_day = cap
    workspace.save()
    return world, ws


def count_of(ws: str, sid: str) -> int:
    try:
        return int(CapCounter.get(cap_pk(ws, sid, TODAY), "cap").count)
    except CapCounter.DoesNotExist:
        return 0


def test_friends_at_the_cap_are_skipped_and_the_check_says_so_in_japanese(aws: Any, manual_clock: Any) -> None:
    world, ws = capped_world(1)
    first, *_others = world.friends(ws, 3)
    assert Ledger().take_cap(ws, first, TODAY, 1)  # a step message already went out to friend 0 today
    broadcast_id = world.create(ws)

    check = world.service.quota_check(ws, broadcast_id)
    assert (check["recipients"], check["skipped"]["skipped_daily_cap"]) == (2, 1)
    assert check["estimated_messages"] == 2  # the capped friend costs no LINE quota
    assert check["daily_cap"]["cap"] == 1 and check["daily_cap"]["skipped"] == 1
    assert "1日の配信上限（1通）" in check["daily_cap"]["reason"] and "1人" in check["daily_cap"]["reason"]

    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    assert sorted(r.user_id for r in world.line.received) == [user_id(1), user_id(2)]
    progress = world.view(ws, broadcast_id)["progress"]
    assert (progress["sent"], progress["skipped_daily_cap"]) == (2, 1)
    assert [count_of(ws, f"s_{i:08d}") for i in range(3)] == [1, 1, 1]

    second = world.create(ws, name="午後のお知らせ")  # the same day: everyone is at the cap now
    assert world.service.quota_check(ws, second)["daily_cap"]["skipped"] == 3
    world.service.send_now(ws, second)
    world.plan()
    world.drain()
    assert len(world.line.received) == 2
    assert world.view(ws, second)["progress"]["skipped_daily_cap"] == 3
    assert world.view(ws, second)["status"] == "done"


def test_an_urgent_broadcast_may_ignore_the_cap(aws: Any, manual_clock: Any) -> None:
    world, ws = capped_world(1)
    for sid in world.friends(ws, 2):
        Ledger().take_cap(ws, sid, TODAY, 1)
    urgent = world.service.create(ws, BroadcastInput(name="臨時休業", channel="line", everyone=True,
                                                     content={"line": [{"type": "text", "text": "本日休業"}]},
                                                     respect_daily_cap=False))
    assert world.service.quota_check(ws, urgent.broadcast_id)["daily_cap"] is None
    world.service.send_now(ws, urgent.broadcast_id)
    world.plan()
    world.drain()
    assert len(world.line.received) == 2
    assert world.view(ws, urgent.broadcast_id)["respect_daily_cap"] is False


def test_no_cap_means_no_counter_writes(aws: Any, manual_clock: Any) -> None:
    world, ws = capped_world(0)
    world.friends(ws, 2)
    broadcast_id = world.create(ws)
    assert world.service.quota_check(ws, broadcast_id)["daily_cap"] is None
    world.service.send_now(ws, broadcast_id)
    world.plan()
    world.drain()
    assert len(world.line.received) == 2
    assert [c for c in CapCounter.scan() if c.pk.startswith("cap#")] == []


def test_a_replanned_slice_counts_each_friend_once(aws: Any, manual_clock: Any) -> None:
    world, ws = capped_world(2)
    sids = world.friends(ws, 6)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.planner.handle(world.planner_queue.bodies.pop(0))  # start: the slices are queued
    slices = list(world.planner_queue.bodies)
    for body in slices:
        world.planner.handle(body)
    # a crash after a slice's batches were queued but before it was marked done: every slice runs again
    item = world.service.repository.require(ws, broadcast_id)
    item.update(actions=[BroadcastModel.slices_done.set(set()), BroadcastModel.planning_complete.set(False),
                         BroadcastModel.status.set("planning")])
    world.planner_queue.bodies = []
    for body in slices:
        world.planner.handle(body)
    assert len(slices) == SHARDS
    assert [count_of(ws, sid) for sid in sids] == [1] * 6  # not 2: the second run did not take again
    world.waiting.extend(world.delivery.take())
    world.drain()
    assert sorted(r.user_id for r in world.line.received) == [user_id(i) for i in range(6)]
