"""クロス分析 benchmark against DynamoDB Local: time, CPU, memory and DynamoDB reads of one analysis.

    .venv/bin/python tests/bench/cross_analysis.py              # 20,000 friends
    .venv/bin/python tests/bench/cross_analysis.py --friends 100000

Writes ``--friends`` (20,000) friends of one workspace (plus 2,000 of another workspace, never read) with tags, an
inflow route, a month added over two years, a choice and a number field, purchases and a LINE status (5% blocked),
and enrolls half of them in a 5-step scenario. Then runs, ``--runs`` (3) times each, the analyses a marketer runs:
タグ x 流入経路, 登録月 x シナリオ (one BatchGetItem per 100 friends), 得点 x 購入 through a saved segment, and
プラン x 流入経路 with blocked friends. Prints wall and CPU seconds, the process's RSS growth and peak (sampled every
10 ms), DynamoDB calls and read units (ConsumedCapacity), and the projection to the AdminApi Lambda (its memory
size from template.yaml, 30 s timeout). Prints figures, never asserts.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from step_fixture import arg, dynamodb_local, install_meter, load, memory_size

WS = "ws_bench_cross"
OTHER_WS = "ws_bench_cross_other"
ROUTES = ["店頭ポスター", "Instagram広告", "Google広告", "チラシ", "紹介", "YouTube", "セミナー", "X広告"]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Peak(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mb()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def populate(n: int, rng: random.Random) -> dict[str, Any]:
    import boto3  # noqa: PLC0415

    from haishin.config import table_name  # noqa: PLC0415
    from haishin.fields.models import FieldDefinition, FieldType  # noqa: PLC0415
    from haishin.fields.repository import FieldRepository  # noqa: PLC0415
    from haishin.payments.repository import PaymentRepository  # noqa: PLC0415
    from haishin.scenarios.models import parse_scenario  # noqa: PLC0415
    from haishin.segments.model import parse_segment  # noqa: PLC0415
    from haishin.storage.base import iso  # noqa: PLC0415
    from haishin.subscribers.models import line_account, subscriber_pk  # noqa: PLC0415
    from haishin.tags.repository import TagIn, TagRepository  # noqa: PLC0415
    from haishin.wiring import services  # noqa: PLC0415

    fields = FieldRepository()
    fields.create(WS, FieldDefinition(key="plan", label="プラン", type=FieldType.CHOICE, choices=["松", "竹", "梅"]))
    fields.create(WS, FieldDefinition(key="score", label="得点", type=FieldType.NUMBER))
    tags = [TagRepository().create(WS, TagIn(name=f"タグ{i:02d}")).tag_id for i in range(30)]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for product in ("p_a", "p_b", "p_c"):
        PaymentRepository().create_product(WS, product, {"name": f"講座{product[-1].upper()}"}, now=now)
    scenario = services().scenarios.save(WS, parse_scenario({"name": "ようこそ", "steps": [
        {"name": f"{d}日目", "line": [{"type": "text", "text": "x"}]} for d in range(1, 6)]}))
    segment = services().saved_segments.create(WS, "タグ00か01", parse_segment(
        {"conditions": [{"type": "tags", "match": "any", "tags": ["タグ00", "タグ01"]}]}))

    client = boto3.client("dynamodb")
    subscribers, enrollments = table_name("SUBSCRIBERS_TABLE"), table_name("ENROLLMENTS_TABLE")
    import json  # noqa: PLC0415

    def put_all(table: str, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            request = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    for workspace, count in ((WS, n), (OTHER_WS, 2000)):
        friends: list[dict[str, Any]] = []
        enrolled: list[dict[str, Any]] = []
        for i in range(count):
            sid = f"sub_{workspace[-5:]}{i:07d}"
            created = now - timedelta(days=rng.randint(0, 730), minutes=rng.randint(0, 1440))
            status = "blocked" if rng.random() < 0.05 else "following"
            item: dict[str, Any] = {
                "pk": {"S": subscriber_pk(workspace, sid)}, "sk": {"S": sid}, "workspace_id": {"S": workspace},
                "subscriber_id": {"S": sid}, "display_name": {"S": f"友だち{i}"},
                "line": {"S": json.dumps({"1650000000": line_account(f"U{i:032x}", status)})},
                "fields": {"S": json.dumps({"plan": rng.choice("松竹梅"), "score": rng.randint(0, 1000)},
                                           ensure_ascii=False)},
                "created_at": {"S": iso(created)}, "updated_at": {"S": iso(created)}, "version": {"N": "1"},
            }
            chosen = {t for t in tags if rng.random() < 0.08}
            if chosen:
                item["tags"] = {"SS": sorted(chosen)}
            if rng.random() < 0.8:
                item["inflow_route"] = {"S": rng.choice(ROUTES)}
            if rng.random() < 0.15:
                item["products"] = {"SS": sorted(rng.sample(["p_a", "p_b", "p_c"], rng.randint(1, 2)))}
                item["total_spent"] = {"N": str(rng.randint(1, 5) * 9800)}
            friends.append(item)
            if workspace == WS and rng.random() < 0.5:
                enrolled.append({"pk": {"S": f"enr#{workspace}#{sid}"}, "sk": {"S": scenario.id},
                                 "status": {"S": rng.choice(["active"] * 4 + ["completed", "stopped"])},
                                 "next_step": {"N": str(rng.randint(0, 4))}, "workspace_id": {"S": workspace},
                                 "subscriber_id": {"S": sid}, "scenario_id": {"S": scenario.id}})
        put_all(subscribers, friends)
        put_all(enrollments, enrolled)
    return {"scenario_id": scenario.id, "segment_id": segment.segment_id}


def main() -> None:
    friends = arg("friends", 20000)
    runs = arg("runs", 3)
    with dynamodb_local():
        from haishin.analysis.cross import CrossQuery  # noqa: PLC0415
        from haishin.wiring import services  # noqa: PLC0415

        print(f"cross_analysis: {friends:,} friends (+2,000 in another workspace), {runs} runs each {load()}",
              flush=True)
        started = time.monotonic()
        ids = populate(friends, random.Random(19))
        print(f"  written in {time.monotonic() - started:.1f} s {load()}", flush=True)
        meter = install_meter()
        analysis = services().cross_analysis
        cases = {
            "タグ x 流入経路": {"rows": {"kind": "tag"}, "columns": {"kind": "route"}},
            "登録月 x シナリオ": {"rows": {"kind": "month"}, "columns": {"kind": "scenario",
                                                                      "scenario_id": ids["scenario_id"]}},
            "得点 x 購入(商品別), セグメント": {"rows": {"kind": "field", "field_key": "score"},
                                       "columns": {"kind": "purchase", "by_product": True},
                                       "segment_id": ids["segment_id"]},
            "プラン x 流入経路, ブロック含む": {"rows": {"kind": "field", "field_key": "plan"},
                                      "columns": {"kind": "route"}, "include_blocked": True},
        }
        lambda_mb = memory_size("AdminApiFunction")
        worst = 0.0
        for label, body in cases.items():
            query = CrossQuery.model_validate(body)
            walls, cpus, grown, peaks = [], [], [], []
            result = None
            calls = units = 0.0
            for _ in range(runs):
                meter.reset()
                base = rss_mb()
                sampler = Peak()
                sampler.start()
                wall0, cpu0 = time.monotonic(), time.process_time()
                result = analysis.run(WS, query)
                walls.append(time.monotonic() - wall0)
                cpus.append(time.process_time() - cpu0)
                peaks.append(sampler.stop())
                grown.append(peaks[-1] - base)
                calls = sum(meter.calls.values())
                units = meter.read_units
            if result is None:
                continue
            worst = max(worst, *walls)
            print(f"  {label}: {result.friends_read:,} friends counted, {len(result.rows)} x {len(result.columns)} "
                  f"cells; wall median {statistics.median(walls):.2f} s (max {max(walls):.2f}), CPU median "
                  f"{statistics.median(cpus):.2f} s; RSS peak {max(peaks):.0f} MB (+{max(grown):.0f} MB during "
                  f"the run); DynamoDB {calls:.0f} calls, {units:.0f} read units {load()}", flush=True)
        per_10k = worst / friends * 10000
        print(f"  AdminApiFunction: {lambda_mb} MB, 30 s timeout (API Gateway HTTP API answers within 30 s): the "
              f"slowest case here took {worst:.2f} s, about {per_10k:.2f} s per 10,000 friends on this machine, so "
              f"about {int(25 / per_10k * 10000):,} friends fit in 25 s here {load()}", flush=True)


if __name__ == "__main__":
    main()
