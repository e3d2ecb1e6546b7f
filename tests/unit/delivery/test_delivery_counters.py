"""Settled deliveries feed the dashboard's per-day counters (what the admin charts)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.delivery.counters import DailyDeliveryStats, stats_pk
from haishin.delivery.ledger import Ledger
from haishin.workspaces.models import WorkspaceModel

WS = "ws_counters"


def day_stats() -> DailyDeliveryStats:
    local_day = clock.now().astimezone(ZoneInfo("Asia/Tokyo")).date()
    return DailyDeliveryStats.get(stats_pk(WS, local_day), "stats")


def test_settled_deliveries_are_counted_by_outcome(aws: Any, manual_clock: clock.ManualClock) -> None:
    WorkspaceModel(pk=f"ws#{WS}", sk="workspace", workspace_id=WS, name="counters", created_at=clock.now()).save()
    ledger = Ledger()
    for index, outcome in enumerate(["sent", "sent", "failed", "skipped_blocked"]):
        delivery_id = f"d{index}"
        assert ledger.record_enqueued(delivery_id=delivery_id, workspace_id=WS, kind="step", channel="line",
                                      subscriber_id=f"s{index}", scheduled_at=clock.now())
        ledger.settle(delivery_id, None, outcome, workspace_id=WS, error="boom" if outcome == "failed" else None)
    stats = day_stats()
    assert (stats.sent, stats.failed, stats.skipped) == (2, 1, 1)


def test_a_settle_that_lost_its_lease_is_not_counted(aws: Any, manual_clock: clock.ManualClock) -> None:
    WorkspaceModel(pk=f"ws#{WS}", sk="workspace", workspace_id=WS, name="counters", created_at=clock.now()).save()
    ledger = Ledger()
    ledger.record_enqueued(delivery_id="d1", workspace_id=WS, kind="step", channel="line", subscriber_id="s1",
                           scheduled_at=clock.now())
    ledger.settle("d1", "not-our-token", "sent", workspace_id=WS)
    assert ledger.get("d1").status == "enqueued"
    try:
        stats = day_stats()
    except DailyDeliveryStats.DoesNotExist:
        return
    assert not stats.sent


def test_broadcast_batches_are_counted_once_even_when_a_batch_is_processed_twice(aws: Any,
                                                                               manual_clock: clock.ManualClock) -> None:
    from tests.unit.broadcasts.harness import BroadcastWorld  # noqa: PLC0415 - the broadcast test world

    world = BroadcastWorld()
    ws = world.workspace(WS)
    world.friends(ws, 1_200)
    broadcast_id = world.create(ws)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    batches = list(world.waiting)
    world.drain()
    for message in batches:  # SQS delivers again: the settled ledger rows make these no-ops
        world.worker.process(message)
    stats = day_stats()
    assert (stats.sent, stats.failed) == (1_200, 0)
    assert world.view(ws, broadcast_id)["progress"]["sent"] == 1_200
