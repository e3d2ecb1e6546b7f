"""Step tick discovery cost against DynamoDB Local (prints figures; never asserts).

Population: ``--total`` enrollments (default 100,000) in the real EnrollmentsTable (schema from template.yaml), items
built with the real ``EnrollmentModel`` + ``set_due`` + ``due_pointer`` (a due pointer item ``due#<minute>#<shard>`` in
the same table for each waiting one), written with BatchWriteItem (25 per call) from parallel threads. ``--due`` of
them (default 1,000) are due in the current minute; 40 % of the rest are completed (no pointer), the others wait in
future minute buckets over the next 7 days. The watermark is set to the previous minute, so one tick covers exactly the current minute.

Measured (ConsumedCapacity and ScannedCount summed from every DynamoDB response):
1. discovery alone: the tick's consistent due-pointer queries for the minute (every shard) and the consistent
   BatchGetItem of their enrollments, items read per due step (target ~1.1: cost grows with what is due, never with
   everything enrolled) and wall time;
2. the real ``StepTick.run()`` for that minute (ledger rows, enrollment advance; queue = in-memory sender): wall time,
   items read, read/write units per due step.

Run: .venv/bin/python tests/bench/step_tick_discovery.py [--total 100000] [--due 1000] [--threads 8]
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from step_fixture import arg, dynamodb_local, install_meter, load

WS, SCENARIO = "w_bench", "scn_bench"


def build_items(total: int, due: int, now: datetime) -> list[dict[str, Any]]:
    """Every item is an ``EnrollmentModel`` serialised by PynamoDB for the ``due`` ones; the bulk copies one
    serialised item per kind and sets keys and due-index attributes with the same functions (serialising 100,000
    models costs about a minute on a loaded machine)."""
    from haishin.scenarios.enrollments import (  # noqa: PLC0415
        EnrollmentModel,
        clear_due,
        due_bucket,
        due_pointer,
        due_shard,
        enrollment_pk,
        set_due,
    )
    from haishin.scenarios.timing import floor_minute  # noqa: PLC0415
    from haishin.storage.base import iso  # noqa: PLC0415

    rng = random.Random(7)
    minute = floor_minute(now)

    def model(n: int) -> EnrollmentModel:
        sid = f"s_{n:08d}"
        enrolled = now - timedelta(days=rng.randint(0, 30), seconds=rng.randint(0, 86399))
        return EnrollmentModel(enrollment_pk(WS, sid), SCENARIO, workspace_id=WS, subscriber_id=sid,
                               scenario_id=SCENARIO, scenario_version=1, status="active", cycle=1, seq=1,
                               enrolled_at=enrolled, trigger="friend_added", next_step=1,
                               last_delivery_ids=[f"stp_{n:08d}_s1"], notes=[], updated_at=enrolled)

    items = []
    for n in range(due):  # due in the current minute, at or before "now"
        item = model(n)
        set_due(item, minute + timedelta(seconds=rng.randint(0, 49)), minute)
        items.append(item.serialize())
        pointer = due_pointer(item)
        assert pointer is not None
        items.append({"pk": {"S": pointer.pk}, "sk": {"S": pointer.sk}, **pointer.serialize()})
    done = model(0)
    done.status, done.next_step, done.ended_at = "completed", 3, now
    clear_due(done)
    completed = done.serialize()
    waiting = items[0] if items else model(0).serialize()
    expires = str(int((minute + timedelta(days=30)).timestamp()))
    for n in range(due, total):
        sid = f"s_{n:08d}"
        pk = enrollment_pk(WS, sid)
        if rng.random() < 0.4:  # completed: out of the due index
            item = {**completed, "pk": {"S": pk}, "subscriber_id": {"S": sid}}
        else:  # waiting: a future minute over the next 7 days
            at = minute + timedelta(minutes=rng.randint(1, 7 * 24 * 60), seconds=rng.randint(0, 59))
            bucket, sort = due_bucket(floor_minute(at), due_shard(pk, SCENARIO)), f"{iso(at)}#{pk}#{SCENARIO}"
            item = {**waiting, "pk": {"S": pk}, "subscriber_id": {"S": sid}, "next_due_at": {"S": iso(at)},
                    "gsi1pk": {"S": bucket}, "gsi1sk": {"S": sort},
                    "last_delivery_ids": {"S": f'["stp_{n:08d}_s1"]'}}
            items.append({"pk": {"S": bucket}, "sk": {"S": sort}, "enrollment_pk": {"S": pk},
                          "enrollment_sk": {"S": SCENARIO}, "expires_at": {"N": expires}})
        items.append(item)
    return items


def write_all(client: Any, table: str, items: list[dict[str, Any]], threads: int) -> None:
    chunks = [items[i:i + 25] for i in range(0, len(items), 25)]

    def put(chunk: list[dict[str, Any]]) -> None:
        request = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, chunks))


def main() -> None:
    total, due, threads = arg("total", 100_000), arg("due", 1_000), arg("threads", 8)
    meter = install_meter()
    with dynamodb_local() as endpoint:
        import boto3  # noqa: PLC0415

        from haishin import clock  # noqa: PLC0415
        from haishin.delivery.ledger import Ledger  # noqa: PLC0415
        from haishin.delivery.queue import InMemoryDeliverySender  # noqa: PLC0415
        from haishin.scenarios.enrollments import DUE_SHARDS, EnrollmentRepository, WatermarkModel  # noqa: PLC0415
        from haishin.scenarios.models import Scenario  # noqa: PLC0415
        from haishin.scenarios.repository import ScenarioRepository  # noqa: PLC0415
        from haishin.scenarios.schedule import WorkspaceRulesCache  # noqa: PLC0415
        from haishin.scenarios.tick import StepTick  # noqa: PLC0415
        from haishin.scenarios.timing import floor_minute, minute_key  # noqa: PLC0415
        from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415

        minute = floor_minute(datetime.now(UTC)).replace(hour=3)  # 12:xx JST: outside any quiet hours
        now = minute + timedelta(seconds=50)
        clock.install(clock.ManualClock(now))
        scenarios = ScenarioRepository()
        scenarios.save(WS, Scenario.model_validate({"id": SCENARIO, "name": "bench", "steps": [
            {"id": "s1", "line": [{"type": "text", "text": "ようこそ"}]},
            {"id": "s2", "timing": {"type": "after", "amount": 1, "unit": "days"},
             "line": [{"type": "text", "text": "{{ name }}さん、2日目です"}]},
            {"id": "s3", "timing": {"type": "after", "amount": 3, "unit": "days"},
             "line": [{"type": "text", "text": "3通目"}]}]}))
        t0 = time.perf_counter()
        items = build_items(total, due, now)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_all(boto3.client("dynamodb", endpoint_url=endpoint), "EnrollmentsTable", items, threads)
        wrote = time.perf_counter() - t0
        in_index = sum(1 for item in items if "gsi1pk" in item)
        print(f"population: {total:,} enrollments ({in_index:,} waiting, each with a due pointer; {due:,} due this "
              "minute); "
              f"built in {built:.1f} s, BatchWriteItem x{threads} threads in {wrote:.1f} s "
              f"({total / wrote:,.0f} items/s) {load()}")
        del items
        WatermarkModel(minute=minute_key(minute - timedelta(minutes=1)), updated_at=now).save()

        # 1. discovery alone: the same queries the tick makes for the minute
        enrollments = EnrollmentRepository()
        meter.reset()
        t0 = time.perf_counter()
        found = sum(1 for shard in range(DUE_SHARDS) for _ in enrollments.due_in_bucket(minute, shard, until=now))
        discovery = time.perf_counter() - t0
        d = meter.snapshot()
        print(f"discovery ({DUE_SHARDS} shard queries, {d.calls['dynamodb:Query']} Query pages, "
              f"{d.calls['dynamodb:BatchGetItem']} BatchGetItem): {found:,} due found, "
              f"items read (ScannedCount) {d.scanned:,} = {d.scanned / max(1, found):.3f} per due step "
              f"(target ~1.1), {d.read_units:.1f} RCU = {d.read_units / max(1, found):.3f} RCU per due step, "
              f"wall {discovery * 1000:.0f} ms {load()}")

        # 2. the real tick for that minute
        sender = InMemoryDeliverySender()
        tick = StepTick(scenarios, enrollments, Ledger(), sender, SubscriberRepository(), WorkspaceRulesCache())
        meter.reset()
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        report = tick.run()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        m = meter.snapshot()
        reads = m.scanned + m.items_got
        print(f"tick.run(): minutes={report.minutes} queries={report.queries} items_read={report.items_read:,} "
              f"enqueued={report.enqueued:,} raced={report.raced} failed={report.failed} "
              f"watermark={report.watermark}; wall {wall:.2f} s ({wall / max(1, report.enqueued) * 1000:.2f} ms "
              f"per step, tick CPU {cpu / max(1, report.enqueued) * 1e6:.0f} us per step) {load()}")
        print(f"tick.run(): items read per due step {reads / max(1, report.enqueued):.3f} (index {m.scanned:,} + "
              f"point reads {m.items_got:,}); RCU per step {m.read_units / max(1, report.enqueued):.3f}, "
              f"WCU per step {m.write_units / max(1, report.enqueued):.3f}; DynamoDB calls: "
              + ", ".join(f"{k.split(':')[1]} {v:,}" for k, v in sorted(m.calls.items()) if k.startswith("dynamodb")))
        print(f"tick.run(): SQS SendMessageBatch needed for {len(sender.sent):,} messages: "
              f"{-(-len(sender.sent) // 10):,} (in-memory sender here)")
        print(f"scaling: the index holds {in_index:,} waiting enrollments but the tick read {m.scanned:,} index items "
              f"for {found:,} due: reads follow what is due, not the {total:,} enrolled")


if __name__ == "__main__":
    main()
