"""Delivery worker cost per sent step, in-process against DynamoDB Local and a fake LINE client (prints; never asserts).

Set-up (real code, DynamoDB Local with template.yaml's tables): ``--n`` friends (default 300) with a LINE account,
enrolled in a 2-step scenario (first step personalised: ``{{ name }}``) by ``ScenarioService.enroll``; the real
``StepTick`` enqueues the first step (ledger ``enqueued`` rows; queue = in-memory sender). Then the deployed handler
``functions/delivery_worker/app.py`` (Powertools BatchProcessor, the wired ``DeliveryWorker``) takes the messages as
SQS events of 10 records, sending through a fake LINE client (no network).

Printed per sent step: worker CPU (``time.process_time``), wall, DynamoDB read/write units (ConsumedCapacity summed
from every response) and calls, SQS calls; the same for the tick's share; then the projected AWS cost per 1 million
steps (Lambda arm64 at each function's MemorySize in template.yaml, DynamoDB on-demand, SQS) from DESIGN.md's prices.

Run: .venv/bin/python tests/bench/step_worker_cost.py [--n 300]
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from step_fixture import REPO, Meter, arg, dynamodb_local, install_meter, load, memory_size

WS, CH = "w_bench", "1234567890"
# DESIGN.md (us-east-1 list prices as reported by third parties)
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_S_ARM = 0.0000133334
DDB_WRITE_UNIT = 0.625 / 1e6
DDB_READ_UNIT = 0.125 / 1e6
SQS_REQUEST = 0.40 / 1e6
BATCH = 10  # DeliveryQueue BatchSize in template.yaml (records per invocation) and SendMessageBatch size


class FakeLine:
    def __init__(self) -> None:
        self.pushes = 0
        self._ids = itertools.count()

    def for_channel(self, workspace_id: str, channel_id: str) -> FakeLine:
        return self

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
             unit: str | None = None) -> Any:
        from haishin.line.client import SendResult  # noqa: PLC0415

        json.dumps(messages)  # what the SDK would serialise
        self.pushes += 1
        return SendResult(request_id=f"req-{next(self._ids)}")


class Context:
    function_name = "DeliveryWorkerFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:DeliveryWorkerFunction"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 120_000


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": f"h{i}", "body": b,
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:DeliveryQueue",
                         "awsRegion": "us-east-1"} for i, b in enumerate(bodies)]}


def units(m: Meter, steps: int) -> str:
    ddb = ", ".join(f"{k.split(':')[1]} {v / steps:.2f}" for k, v in sorted(m.calls.items())
                    if k.startswith("dynamodb:"))
    return (f"RCU {m.read_units / steps:.3f}, WCU {m.write_units / steps:.3f}; DynamoDB calls per step: {ddb}; "
            f"SQS calls per step {m.count('sqs') / steps:.2f}")


def main() -> None:
    n = arg("n", 300)
    warnings.filterwarnings("ignore", message="No application metrics")
    meter = install_meter()
    with dynamodb_local():
        import os  # noqa: PLC0415

        os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Haishin"
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        os.environ["DELIVERY_QUEUE_URL"] = ""  # no visibility changes (none happen on success anyway)
        from haishin import clock, wiring  # noqa: PLC0415
        from haishin.delivery.ledger import Ledger  # noqa: PLC0415
        from haishin.delivery.queue import InMemoryDeliverySender  # noqa: PLC0415
        from haishin.scenarios.enrollments import WatermarkModel  # noqa: PLC0415
        from haishin.scenarios.models import Scenario  # noqa: PLC0415
        from haishin.scenarios.timing import floor_minute, minute_key  # noqa: PLC0415
        from haishin.subscribers.models import line_account  # noqa: PLC0415

        minute = floor_minute(datetime.now(UTC)).replace(hour=3)  # 12:xx JST: outside quiet hours
        now = minute + timedelta(seconds=5)
        clock.install(clock.ManualClock(now))
        line = FakeLine()
        sender = InMemoryDeliverySender()
        services = wiring.Services(line_clients=line, sender=sender, ledger=Ledger())
        wiring.install(services)
        scenario = services.scenarios.save(WS, Scenario.model_validate({"name": "bench", "line_channel_id": CH,
                                                                        "steps": [
            {"id": "s1", "line": [{"type": "text", "text": "{{ name }}さん、友だち追加ありがとうございます！"}]},
            {"id": "s2", "timing": {"type": "after", "amount": 1, "unit": "days"},
             "line": [{"type": "text", "text": "2通目"}]}]}))
        t0 = time.perf_counter()
        for i in range(n):
            sub = services.subscribers.new(WS, source="line", now=now, subscriber_id=f"s_{i:08d}")
            sub.display_name = f"友だち{i}"
            sub.line = {CH: line_account(f"U{i:032x}", status="following")}
            sub.save()  # set-up only (not measured): a plain put, no alias rows (the worker reads neither)
            services.scenario_service.enroll(WS, sub.subscriber_id, scenario, trigger="admin", idempotency_key=None,
                                             now=now)
        print(f"set-up: {n} friends created and enrolled in {time.perf_counter() - t0:.1f} s {load()}")
        WatermarkModel(minute=minute_key(minute - timedelta(minutes=1)), updated_at=now).save()
        clock.install(clock.ManualClock(minute + timedelta(seconds=50)))

        # the tick's share
        meter.reset()
        cpu0, t0 = time.process_time(), time.perf_counter()
        report = services.tick.run()
        tick_cpu, tick_wall = time.process_time() - cpu0, time.perf_counter() - t0
        tick = meter.snapshot()
        messages = sender.take()
        steps = len(messages)
        print(f"tick: {steps} steps enqueued (report.enqueued={report.enqueued}); per step: CPU "
              f"{tick_cpu / steps * 1e6:.0f} us, wall {tick_wall / steps * 1000:.2f} ms; {units(tick, steps)}; "
              f"SendMessageBatch {1 / BATCH:.2f} per step (in-memory sender here) {load()}")

        # the worker, through the deployed handler
        spec = importlib.util.spec_from_file_location("delivery_worker_app",
                                                      REPO / "functions" / "delivery_worker" / "app.py")
        assert spec and spec.loader
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        bodies = [m.to_json() for m in messages]
        events = [sqs_event(bodies[i:i + BATCH]) for i in range(0, len(bodies), BATCH)]
        warm = events.pop(0)  # first batch: lazy imports (jinja2, renderer cache) and caches, reported apart
        meter.reset()
        cpu0, t0 = time.process_time(), time.perf_counter()
        failures = app.lambda_handler(warm, Context())["batchItemFailures"]
        first_cpu, first_wall = time.process_time() - cpu0, time.perf_counter() - t0
        meter.reset()
        cpu0, t0 = time.process_time(), time.perf_counter()
        for event in events:
            failures += app.lambda_handler(event, Context())["batchItemFailures"]
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        worker = meter.snapshot()
        sent = sum(len(e["Records"]) for e in events)
        print(f"worker: first batch of {len(warm['Records'])} (warm-up) CPU {first_cpu * 1000:.0f} ms, wall "
              f"{first_wall * 1000:.0f} ms; then {sent} steps in {len(events)} invocations, failures "
              f"{len(failures)}, LINE pushes {line.pushes} {load()}")
        print(f"worker per sent step: CPU {cpu / sent * 1e6:.0f} us, wall {wall / sent * 1000:.2f} ms "
              f"(DynamoDB Local round trips on a loaded host); {units(worker, sent)} {load()}")

        # projection per 1 million steps
        mem_worker = memory_size("DeliveryWorkerFunction") / 1024
        mem_tick = memory_size("StepTickFunction") / 1024
        million = 1e6
        rcu = (tick.read_units / steps + worker.read_units / sent) * million
        wcu = (tick.write_units / steps + worker.write_units / sent) * million
        sqs_requests = million * (1 / BATCH + 1 / BATCH + 1 / BATCH) + worker.count("sqs") / sent * million
        cost = {
            "Lambda worker requests (1 per 10 steps)": million / BATCH * LAMBDA_REQUEST,
            f"Lambda worker duration, CPU-bound ({mem_worker:.2f} GB)": cpu / sent * million * mem_worker
            * LAMBDA_GB_S_ARM,
            f"Lambda tick duration, CPU-bound ({mem_tick:.2f} GB)": tick_cpu / steps * million * mem_tick
            * LAMBDA_GB_S_ARM,
            f"DynamoDB writes ({wcu / million:.2f} WCU/step)": wcu * DDB_WRITE_UNIT,
            f"DynamoDB reads ({rcu / million:.2f} RCU/step)": rcu * DDB_READ_UNIT,
            f"SQS ({sqs_requests / million:.2f} requests/step: send+receive+delete batches)": sqs_requests
            * SQS_REQUEST,
        }
        total = sum(cost.values())
        print(f"projected AWS cost per 1,000,000 step deliveries: US${total:.2f} (Lambda arm64, DynamoDB on-demand, "
              f"SQS; DESIGN.md prices) {load()}")
        for what, usd in cost.items():
            print(f"  {what:<72} US${usd:7.3f}  ({usd / total * 100:4.1f} %)")
        wall_worker = wall / sent * million * mem_worker * LAMBDA_GB_S_ARM
        print(f"  if the worker's billed duration were this host's wall time ({wall / sent * 1000:.1f} ms/step, "
              f"DynamoDB Local latency) instead of its CPU: worker duration US${wall_worker:.2f}; LINE's push "
              f"latency in AWS adds (ms per step) x {mem_worker * LAMBDA_GB_S_ARM * 1e3:.4f} US$ per million")
        print("  not included: the tick's fixed 1,440 invocations/day, CloudWatch logs/metrics, data transfer, the "
              "SQS poller's empty receives on an idle queue")


if __name__ == "__main__":
    main()
