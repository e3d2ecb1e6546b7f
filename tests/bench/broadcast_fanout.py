"""Broadcast fan-out benchmark (prints, never asserts).

    python -m tests.bench.broadcast_fanout            # N = 100,000 (BENCH_N to change)

1. LINE calls for N identical-content recipients (== ceil(N/500)) through the local system against the LINE
   emulator's real rate limits (multicast 200/s), total time from "send now" to "done" vs the multicast floor.
2. Planner and worker CPU per recipient (in-process, thread CPU time, DynamoDB Local; the worker with a LINE stub so
   the figure is our code plus boto/pynamodb, not the emulator), DynamoDB units per recipient (from the access
   pattern and the measured item size), and the projection to 1,000,000 friends: time and AWS cost from DESIGN.md's
   list prices.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from typing import Any

from haishin.broadcasts.planner import BroadcastPlanner
from haishin.broadcasts.service import BroadcastService
from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.queue import InMemoryDeliverySender
from haishin.line.client import SendResult
from haishin.storage.shards import SHARDS
from haishin.subscribers.models import SubscriberModel
from haishin.wiring import Services
from haishin.workspaces.models import WorkspaceModel, workspace_pk
from haishin_local.runtime import LocalSystem
from tests.integration.test_broadcasts import create, multicasts, setup_workspace

PRICES = {  # DESIGN.md, us-east-1 list prices
    "lambda_request": 0.20 / 1e6, "lambda_gb_s_arm": 0.0000133334, "lambda_gb_s_x86": 0.0000166667,
    "wcu": 0.625 / 1e6, "rcu": 0.125 / 1e6, "sqs_request": 0.40 / 1e6, "scheduler": 1.00 / 1e6,
}
LINE_LATENCY_S = 0.15  # assumed LINE multicast round trip from Lambda (not measured here)
PLANNER_GB = 1.0  # template.yaml MemorySize of BroadcastPlannerFunction
WORKER_GB = 0.5


class _UnitMeter:
    """Measured DynamoDB capacity units: every request on the shared PynamoDB client and the segment scan client
    asks for ``ReturnConsumedCapacity=TOTAL`` and the answers' units are summed per table (DynamoDB Local reports
    them as DynamoDB would: 1 WCU per KB written, 2x in a transaction, a refused conditional write still costs)."""

    OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                  "BatchWriteItem", "TransactWriteItems", "TransactGetItems")

    def __init__(self) -> None:
        self.wcu: dict[str, float] = {}
        self.rcu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.on = False

    def attach(self, client: Any) -> None:
        for op in self.OPERATIONS:
            client.meta.events.register(f"before-parameter-build.dynamodb.{op}", self._ask)
            client.meta.events.register(f"after-call.dynamodb.{op}", self._count)

    def _ask(self, params: dict[str, Any], **_: Any) -> None:
        if self.on:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.on:
            return
        self.calls[model.name] = self.calls.get(model.name, 0) + 1
        consumed = parsed.get("ConsumedCapacity") or []
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            table = str(entry.get("TableName", "?"))
            total = float(entry.get("CapacityUnits") or 0)
            write = entry.get("WriteCapacityUnits")
            read = entry.get("ReadCapacityUnits")
            if write is None and read is None:  # only a total: writes for write calls, reads for the rest
                is_write = model.name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
                                          "TransactWriteItems")
                write, read = (total, 0.0) if is_write else (0.0, total)
            self.wcu[table] = self.wcu.get(table, 0.0) + float(write or 0)
            self.rcu[table] = self.rcu.get(table, 0.0) + float(read or 0)

    def reset(self) -> None:
        self.wcu, self.rcu, self.calls = {}, {}, {}

    def report(self, label: str, recipients: int, batches: int) -> str:
        wcu, rcu = sum(self.wcu.values()), sum(self.rcu.values())
        per = max(1, batches)
        tables = ", ".join(f"{t}: {self.wcu.get(t, 0):.0f} WCU {self.rcu.get(t, 0):.0f} RCU"
                           for t in sorted(set(self.wcu) | set(self.rcu)))
        return (f"{label}: measured {wcu:,.0f} WCU + {rcu:,.0f} RCU for {recipients:,} recipients in {batches} "
                f"batches = {wcu / per:.1f} WCU + {rcu / per:.1f} RCU per batch of 500 "
                f"({wcu / max(1, recipients):.4f} WCU, {rcu / max(1, recipients):.4f} RCU per recipient) [{tables}]")


def _attach_meter(meter: _UnitMeter) -> None:
    from haishin.storage import shard_scan as scan  # noqa: PLC0415
    from haishin.storage.base import connection  # noqa: PLC0415

    meter.attach(connection().client)
    meter.attach(scan.dynamodb_client())
    raw = getattr(scan, "_client", None)
    if raw is not None:
        meter.attach(raw(True))


def _in_process(service: BroadcastService, workspace_id: str, name: str, meter: _UnitMeter
                ) -> tuple[float, float, int, int, dict[str, Any]]:
    """Plan and send one broadcast in-process (LINE stubbed); (planner CPU, worker CPU, batches, recipients,
    progress), with the DynamoDB units of planning and sending in ``meter``."""
    sender = InMemoryDeliverySender()
    services = Services()
    planner = BroadcastPlanner(sender=sender, planner_queue=_ListQueue(), optout=services.optout,
                               abtests=services.broadcast_abtests, track=services.track)
    broadcast_id = create(service, workspace_id, name)
    repo = service.repository
    item = repo.require(workspace_id, broadcast_id)
    item.update(actions=[type(item).status.set("scheduled")])
    services = Services(sender=InMemoryDeliverySender(), line_clients=_NullLine())
    worker = services.worker
    meter.reset()
    meter.on = True
    cpu0 = time.thread_time()
    planner.start(workspace_id, broadcast_id)
    for shard in range(SHARDS):
        planner.run_slice(workspace_id, broadcast_id, shard)
    planner_cpu = time.thread_time() - cpu0
    messages: list[DeliveryMessage] = sender.take()
    cpu1 = time.thread_time()
    for message in messages:
        worker.process(message)
    worker_cpu = time.thread_time() - cpu1
    meter.on = False
    progress = service.view(repo.require(workspace_id, broadcast_id))["progress"]
    return planner_cpu, worker_cpu, len(messages), sum(len(m.recipients) for m in messages), progress


class _NullLine:
    def multicast(self, to: list[str], messages: list[dict[str, Any]], *, retry_key: str | None = None,
                  unit: str | None = None) -> Any:
        return SendResult(request_id=uuid.uuid4().hex)

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
             unit: str | None = None) -> Any:
        return SendResult(request_id=uuid.uuid4().hex)

    def for_channel(self, workspace_id: str, channel_id: str) -> _NullLine:
        return self


def main() -> None:
    n = int(os.environ.get("BENCH_N", "100000"))
    # DynamoDB Local with the JVM's full JIT, as crm_bench: the local system's fast-start options (C1 only) start
    # 0.5 s sooner but serve a long run 20-25% slower
    os.environ.setdefault("HAISHIN_DYNAMODB_JAVA_OPTS", "-XX:+UseSerialGC")
    print(f"broadcast_fanout: DynamoDB Local JVM options {os.environ['HAISHIN_DYNAMODB_JAVA_OPTS']!r}; "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with LocalSystem(port=0, seed=False, strict=False) as system:
        started = time.monotonic()
        workspace_id, _channel, _users = setup_workspace(system, n)
        print(f"seeded {n:,} friends in {time.monotonic() - started:.1f} s")
        service = Services().broadcasts

        # ---------------------------------------------------------------- 1. end to end, real rate limits
        before = multicasts(system)
        broadcast_id = create(service, workspace_id, "bench")
        t_check = time.monotonic()
        service.quota_check(workspace_id, broadcast_id)  # the composer's confirm dialog: counts the audience
        check = time.monotonic() - t_check
        t0 = time.monotonic()
        service.send_now(workspace_id, broadcast_id)  # reuses that count (fresh for 5 minutes)
        accepted = time.monotonic() - t0
        system.drain(timeout=1800)
        total = time.monotonic() - t0
        calls = multicasts(system) - before
        view = service.view(service.repository.require(workspace_id, broadcast_id))
        floor = math.ceil(n / 500) / 200
        print(f"N={n:,}: LINE multicast calls {calls:,} (ceil(N/500) = {math.ceil(n / 500):,}); "
              f"status {view['status']}, sent {view['progress']['sent']:,}")
        print(f"N={n:,}: confirm-step quota check (audience count) {check:.2f} s; send-now answered in "
              f"{accepted:.2f} s")
        print(f"N={n:,}: send-now to done {total:.2f} s; multicast floor {floor:.2f} s (200 req/s); "
              f"{total / floor:.1f}x the floor (goal 1.5x)")

        # ---------------------------------------------------------------- 2. CPU per recipient, in-process
        meter = _UnitMeter()
        _attach_meter(meter)
        planner_cpu, worker_cpu, batch_count, recipients, _progress = _in_process(service, workspace_id,
                                                                                 "cpu-inprocess", meter)
        planner_us = planner_cpu / n * 1e6
        worker_us = worker_cpu / n * 1e6
        print(f"planner CPU {planner_us:.1f} µs/recipient ({planner_cpu:.2f} s for {n:,}); "
              f"worker CPU {worker_us:.1f} µs/recipient ({worker_cpu:.2f} s for {batch_count} batches, LINE stubbed)")
        print(meter.report("no daily cap", recipients, batch_count))

        # ---------------------------------------------------------------- 2b. the same with a daily cap
        cap = int(os.environ.get("BENCH_CAP", "3"))
        workspace = WorkspaceModel.get(workspace_pk(workspace_id), "workspace")
        workspace.frequency_cap_per_day = cap
        workspace.save()
        capped_planner, capped_worker, capped_batches, capped_recipients, progress = _in_process(
            service, workspace_id, "cpu-inprocess-capped", meter)
        print(f"daily cap {cap}: planner CPU {capped_planner / n * 1e6:.1f} µs/recipient "
              f"({capped_planner:.2f} s), worker CPU {capped_worker / n * 1e6:.1f} µs/recipient; "
              f"skipped_daily_cap {progress.get('skipped_daily_cap', 0):,}")
        print(meter.report(f"daily cap {cap}", capped_recipients, capped_batches))
        workspace.frequency_cap_per_day = 0
        workspace.save()

        # ---------------------------------------------------------------- DynamoDB units per recipient
        sample = next(iter(SubscriberModel.query(f"sub#{workspace_id}#00", limit=1)))
        row_bytes = len(json.dumps(sample.serialize(), ensure_ascii=False)) + 50
        rcu_read = 0.5 * row_bytes / 4096  # Query, eventually consistent: 0.5 RCU per 4 KB read
        # per batch: ledger enqueued (1 WCU), claim (1 WCU, a conditional write), cancel check (1 RCU, consistent),
        # settle transaction of ledger row + broadcast counters + dashboard day counter (3 x 2 WCU), done check (1 WCU)
        per_batch_wcu, per_batch_rcu = 9, 1
        wcu = per_batch_wcu / 500
        rcu = rcu_read + per_batch_rcu / 500
        print(f"DynamoDB per recipient: {wcu:.4f} WCU, {rcu:.4f} RCU (row ~{row_bytes} B; "
              f"{per_batch_wcu} WCU + {per_batch_rcu} RCU per batch of 500)")

        # ---------------------------------------------------------------- projection to 1,000,000
        m = 1_000_000
        batches = math.ceil(m / 500)
        slice_s = planner_us * (m / SHARDS) / 1e6 + 0.05 * math.ceil(m / SHARDS * row_bytes / 1_000_000)
        send_floor = batches / 200
        per_call = worker_us * 500 / 1e6 + LINE_LATENCY_S
        needed = math.ceil(200 * per_call)  # concurrent workers that keep 200 multicasts/s in flight
        projected = {w: slice_s + max(send_floor, batches * per_call / w) for w in (10, needed)}
        gb_s = planner_us * m / 1e6 * PLANNER_GB + batches * (worker_us * 500 / 1e6 + LINE_LATENCY_S) * WORKER_GB
        cost = {
            "lambda": (SHARDS + 2 + batches / 10) * PRICES["lambda_request"] + gb_s * PRICES["lambda_gb_s_x86"],
            "dynamodb": m * (wcu * PRICES["wcu"] + rcu * PRICES["rcu"]),
            "sqs": (SHARDS * 3 + batches / 10 + batches * 2 / 10 + batches / 10) * PRICES["sqs_request"],
            "scheduler": PRICES["scheduler"],
        }
        print(f"1,000,000 friends: planning slices in parallel {slice_s:.1f} s, multicast floor {send_floor:.1f} s; "
              f"{per_call * 1000:.0f} ms per batch ({LINE_LATENCY_S * 1000:.0f} ms assumed LINE round trip)")
        for workers, seconds in projected.items():
            print(f"1,000,000 friends: projected {seconds:.1f} s with {workers} concurrent workers - goal < 60 s")
        print("1,000,000 friends: projected AWS cost US$" + f"{sum(cost.values()):.4f} "
              + ", ".join(f"{k} {v:.4f}" for k, v in cost.items()) + " - goal < US$1")


class _ListQueue:
    def send(self, bodies: list[dict[str, Any]]) -> None:
        self.bodies = bodies


if __name__ == "__main__":
    main()
