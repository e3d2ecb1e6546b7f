"""Partner attribution cost: purchase and refund listeners against DynamoDB Local (prints, never asserts).

    python -m tests.bench.partner_attribution          # 500 partners (BENCH_PARTNERS), 40 orders (BENCH_ORDERS)

A workspace with P partners (each its own inflow route); one friend came by two of them. For each of N orders the
partners listener gets ``purchase_completed`` then ``purchase_refunded`` (a partial refund), as the EventFanout
delivers them. Printed for each: latency p50/p95 (in-process, DynamoDB Local in memory; compare runs, not absolute
values) and the DynamoDB calls and read units per event, for

- **before**: what the listeners did until the order index (one GetItem of the route-friend item per partner to
  find the friend's touches; a refund queried every partner's commission rows to find the order's), reproduced
  here from the same repository functions;
- **after**: the shipped code (one BatchGetItem per 100 partners for the touches and the order → partner index
  ``partnerorder#``: a refund reads one index item and its rows by key, whatever P is).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from tests.bench.step_fixture import dynamodb_local, install_meter, load, percentile

P = int(os.environ.get("BENCH_PARTNERS", "500"))
N = int(os.environ.get("BENCH_ORDERS", "40"))
WS = "w_bench_partners"
CHANNEL = "1700000009"


class Channels:
    def require(self, workspace_id: str, channel_id: str) -> Any:
        return {"channel_id": channel_id}


def seed(root: Any) -> tuple[Any, list[Any], str]:
    from haishin import clock  # noqa: PLC0415

    partners = root.partners
    made = [partners.create(WS, {"name": f"パートナー{i:04d}", "channel_id": CHANNEL,
                                 "rules": [{"kind": "percent", "percent": 10, "touch": "last"}]}) for i in range(P)]
    friend = "s_bench_friend"
    now = clock.now()
    for partner in (made[P // 3], made[P // 2]):  # the friend came by two partners' links
        partners.route_repository.record_friend(WS, partner.route_id, friend, at=now - timedelta(days=1))
    return partners, made, friend


def before_purchase(partners: Any, friend: str) -> None:
    """The listener's reads until the order index: every partner, one GetItem of its route-friend item each."""
    for partner in partners.repository.all(WS):
        partners.route_repository.friend_touch(WS, partner.route_id, friend)


def before_refund(partners: Any, order_id: str) -> dict[str, list[Any]]:
    """Until the order index: every partner's commission rows queried to find the order's."""
    found: dict[str, list[Any]] = defaultdict(list)
    for partner in partners.repository.all(WS):
        for row in partners.repository.rows(WS, partner.partner_id):
            if row.order_id == order_id:
                found[partner.partner_id].append(row)
    return found


def measure(label: str, calls: list[Any]) -> None:
    meter = install_meter()
    seconds: list[float] = []
    reads: list[float] = []
    ops: list[int] = []
    for call in calls:
        meter.reset()
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
        reads.append(meter.read_units)
        ops.append(meter.count("dynamodb"))
    print(f"  {label:<38} p50 {percentile(seconds, 0.5) * 1000:7.1f} ms  p95 {percentile(seconds, 0.95) * 1000:7.1f} ms"
          f"  DynamoDB calls/event {statistics.mean(ops):6.1f}  read units/event {statistics.mean(reads):7.1f}")


def main() -> None:
    with dynamodb_local():
        from haishin import wiring  # noqa: PLC0415
        from haishin.secrets import InMemorySecretStore  # noqa: PLC0415

        root = wiring.Services(secrets=InMemorySecretStore(), channels=Channels())
        previous = wiring.install(root)
        try:
            t0 = time.perf_counter()
            partners, _, friend = seed(root)
            print(f"partner attribution: {P} partners, {N} orders, seeded in {time.perf_counter() - t0:.1f} s "
                  f"{load()}")
            orders = [f"o_bench_{i:04d}" for i in range(N)]

            def purchase(order_id: str) -> Any:
                return lambda: partners.publish(WS, "purchase_completed", {
                    "order_id": order_id, "subscriber_id": friend, "product_id": "p_bench", "amount": 10000,
                    "kind": "one_time", "stripe_event_id": f"evt_{order_id}"}, idempotency_key=order_id)

            def refund(order_id: str) -> Any:
                return lambda: partners.publish(WS, "purchase_refunded", {
                    "order_id": order_id, "subscriber_id": friend, "product_id": "p_bench", "amount": 10000,
                    "refunded_total": 4000, "stripe_event_id": f"evt_r_{order_id}"}, idempotency_key=order_id)

            print("purchase_completed (the friend's touches: which partner earns):")
            measure("before: GetItem per partner", [lambda: before_purchase(partners, friend)] * N)
            measure("after: shipped listener (writes too)", [purchase(o) for o in orders])
            print("purchase_refunded (which partner earned on the order, and its rows):")
            measure("before: every partner's rows", [lambda o=o: before_refund(partners, o) for o in orders])
            measure("after: shipped listener (writes too)", [refund(o) for o in orders])
            earned = partners.report(WS, partners.repository.order_partners(WS, orders[0])[0].sk)
            print(f"  check: the last-touch partner's commission after {N} sales and 40% refunds: "
                  f"¥{earned['total_commission']:,} (expected ¥{N * 600:,})")
        finally:
            wiring.install(previous)


if __name__ == "__main__":
    main()
