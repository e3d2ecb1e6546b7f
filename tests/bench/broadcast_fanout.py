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
from haishin_local.runtime import LocalSystem
from tests.integration.test_broadcasts import create, multicasts, setup_workspace

PRICES = {  # DESIGN.md, us-east-1 list prices
    "lambda_request": 0.20 / 1e6, "lambda_gb_s_arm": 0.0000133334, "lambda_gb_s_x86": 0.0000166667,
    "wcu": 0.625 / 1e6, "rcu": 0.125 / 1e6, "sqs_request": 0.40 / 1e6, "scheduler": 1.00 / 1e6,
}
LINE_LATENCY_S = 0.15  # assumed LINE multicast round trip from Lambda (not measured here)
PLANNER_GB = 1.0  # template.yaml MemorySize of BroadcastPlannerFunction
WORKER_GB = 0.5


class _NullLine:
    def multicast(self, to: list[str], messages: list[dict[str, Any]], *, retry_key: str | None = None) -> Any:
        return SendResult(request_id=uuid.uuid4().hex)

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None) -> Any:
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
        service = BroadcastService()

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
        sender = InMemoryDeliverySender()
        planner = BroadcastPlanner(sender=sender, planner_queue=_ListQueue())
        third = create(service, workspace_id, "cpu-inprocess")
        repo = service.repository
        item = repo.require(workspace_id, third)
        item.update(actions=[type(item).status.set("scheduled")])
        cpu0 = time.thread_time()
        planner.start(workspace_id, third)
        for shard in range(SHARDS):
            planner.run_slice(workspace_id, third, shard)
        planner_cpu = time.thread_time() - cpu0
        messages: list[DeliveryMessage] = sender.take()
        services = Services(sender=InMemoryDeliverySender(), line_clients=_NullLine())
        worker = services.worker
        cpu1 = time.thread_time()
        for message in messages:
            worker.process(message)
        worker_cpu = time.thread_time() - cpu1
        planner_us = planner_cpu / n * 1e6
        worker_us = worker_cpu / n * 1e6
        print(f"planner CPU {planner_us:.1f} µs/recipient ({planner_cpu:.2f} s for {n:,}); "
              f"worker CPU {worker_us:.1f} µs/recipient ({worker_cpu:.2f} s for {len(messages)} batches, LINE stubbed)")

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
