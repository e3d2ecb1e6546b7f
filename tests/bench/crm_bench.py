"""CRM benchmark against DynamoDB Local: CSV import rows/s and memory, segment count and first-page latency.

    .venv/bin/python tests/bench/crm_bench.py            # 100,000 rows (BENCH_ROWS to change)

Prints figures, never asserts. Starts its own in-memory DynamoDB Local (python -m haishin_local install-dynamodb
installs the jar under .local/) with the JVM's full JIT (HAISHIN_DYNAMODB_JAVA_OPTS, default "" here: the
fast-start options the local system uses cost throughput on a long run).

Every figure comes with the machine's load average, and with CPU seconds (this process, and the DynamoDB Local JVM):
on a shared machine the wall time moves with the neighbours, the CPU time much less.

Environment: BENCH_ROWS (100000), BENCH_WRITERS (import writer threads, 12), BENCH_CHUNK (rows per import chunk,
1000), BENCH_COUNT_RUNS (5), BENCH_SEARCH_RUNS (10), BENCH_PROFILE=1 (cProfile of one count and one search, top 25).
"""

from __future__ import annotations

import cProfile
import csv
import os
import pstats
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process (the JVM), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


@dataclass
class Meter:
    """Wall time, this process's CPU and the JVM's CPU over a block."""

    jvm_pid: int
    wall: float = 0.0
    cpu: float = 0.0
    jvm: float = 0.0
    _t: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))

    def __enter__(self) -> Meter:
        self._t = (time.perf_counter(), time.process_time(), process_cpu(self.jvm_pid))
        return self

    def __exit__(self, *_: object) -> None:
        wall, cpu, jvm = self._t
        self.wall = time.perf_counter() - wall
        self.cpu = time.process_time() - cpu
        self.jvm = process_cpu(self.jvm_pid) - jvm


class RssSampler(threading.Thread):
    """Samples this process's RSS every 0.2 s, so flat memory shows as the same peak in each quarter of a run."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append((time.perf_counter(), rss_mb()))
            self._stop_event.wait(0.2)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def quarters(self) -> list[float]:
        if not self.samples:
            return []
        start, end = self.samples[0][0], self.samples[-1][0]
        span = max(end - start, 1e-9)
        peaks = [0.0] * 4
        for at, mb in self.samples:
            index = min(int((at - start) / span * 4), 3)
            peaks[index] = max(peaks[index], mb)
        return peaks


def main() -> None:
    rows = int(os.environ.get("BENCH_ROWS", "100000"))
    os.environ.setdefault("HAISHIN_DYNAMODB_JAVA_OPTS", "")
    from haishin_local.dynamodb_local import DynamoDBLocal  # noqa: PLC0415

    ddb = DynamoDBLocal()
    ddb.start(timeout=180)  # a loaded shared machine can take a while to start a JVM
    try:
        os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint, "AWS_ACCESS_KEY_ID": "bench",
                           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                           "AWS_REGION": "us-east-1"})
        proc = getattr(ddb, "_proc", None)
        run(rows, ddb.endpoint, proc.pid if proc is not None else -1)
    finally:
        ddb.stop()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timed_runs(label: str, runs: int, jvm_pid: int, call: Callable[[], Any]) -> tuple[list[Meter], Any]:
    meters: list[Meter] = []
    result: Any = None
    for _ in range(runs):
        with Meter(jvm_pid) as meter:
            result = call()
        meters.append(meter)
    walls = sorted(m.wall for m in meters)
    print(f"  {label}: median {statistics.median(walls):.2f} s, p50 {percentile(walls, 0.5):.2f} s, "
          f"p95 {percentile(walls, 0.95):.2f} s, max {walls[-1]:.2f} s, min {walls[0]:.2f} s over {runs} runs; "
          f"CPU per run: python {statistics.median(m.cpu for m in meters):.2f} s, "
          f"DynamoDB Local {statistics.median(m.jvm for m in meters):.2f} s; {load()}", flush=True)
    return meters, result


def run(rows: int, endpoint: str, jvm_pid: int) -> None:
    import boto3  # noqa: PLC0415

    from haishin.csvio.encoding import FileSource  # noqa: PLC0415
    from haishin.csvio.importer import ImportService  # noqa: PLC0415
    from haishin.csvio.jobs import ImportOptions, load_job  # noqa: PLC0415
    from haishin.fields.models import FieldDefinition, FieldType  # noqa: PLC0415
    from haishin.fields.repository import FieldRepository  # noqa: PLC0415
    from haishin.segments.engine import SegmentEngine  # noqa: PLC0415
    from haishin.segments.model import parse_segment  # noqa: PLC0415
    from haishin.tags.repository import TagIn, TagRepository  # noqa: PLC0415
    from haishin.wiring import Services  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from tests.support import template as tpl  # noqa: PLC0415

    print(f"crm_bench: {rows:,} friends, DynamoDB Local JVM options {os.environ['HAISHIN_DYNAMODB_JAVA_OPTS']!r}, "
          f"{load()}", flush=True)
    tpl.create_tables(boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1"))
    ws = "ws_bench"
    fields = FieldRepository()
    fields.create(ws, FieldDefinition(key="name", label="名前", type=FieldType.TEXT))
    fields.create(ws, FieldDefinition(key="score", label="得点", type=FieldType.NUMBER))
    fields.create(ws, FieldDefinition(key="birthday", label="誕生日", type=FieldType.DATE))
    fields.create(ws, FieldDefinition(key="plan", label="プラン", type=FieldType.CHOICE, choices=["松", "竹", "梅"]))
    tags = TagRepository()
    for name in ("VIP", "常連", "休眠"):
        tags.create(ws, TagIn(name=name))

    rng = random.Random(7)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="cp932", newline="", delete=False) as handle:
        writer = csv.writer(handle)
        writer.writerow(["メールアドレス", "名前", "得点", "誕生日", "プラン", "タグ"])
        for i in range(rows):
            writer.writerow([f"user{i}@example.jp", f"髙橋{i}", rng.randint(0, 100),
                             f"{rng.randint(1960, 2005)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
                             rng.choice("松竹梅"), rng.choice(["VIP", "常連", "休眠", "VIP,常連", ""])])
        path = handle.name
    print(f"CSV: {rows:,} rows, {os.path.getsize(path) / 1e6:.1f} MB (cp932)", flush=True)

    # ------------------------------------------------------------------ import
    writers = int(os.environ.get("BENCH_WRITERS", "12"))
    chunk = int(os.environ.get("BENCH_CHUNK", "1000"))
    service = ImportService(chunk_size=chunk, writers=writers, triggers=Services().scenario_service)
    rss_before = rss_mb()
    sampler = RssSampler()
    sampler.start()
    load_before = load()
    with Meter(jvm_pid) as prepare:
        job = service.create_job(ws, FileSource(path), filename="bench.csv", actor="bench",
                                 options=ImportOptions())
    with Meter(jvm_pid) as write:
        service.run(ws, job.job_id)
    sampler.stop()
    state = load_job(ws, job.job_id)
    total = prepare.wall + write.wall
    print(f"import ({writers} writers, chunks of {chunk}): {total:.1f} s = {prepare.wall:.1f} s encoding check + "
          f"row count, {write.wall:.1f} s writing -> {rows / total:,.0f} rows/s overall, "
          f"{rows / write.wall:,.0f} rows/s writing; created={state.created} errors={state.errors}", flush=True)
    print(f"  CPU while writing: python {write.cpu:.1f} s ({write.cpu / rows * 1e3:.2f} ms/row), "
          f"DynamoDB Local {write.jvm:.1f} s ({write.jvm / rows * 1e3:.2f} ms/row); before: {load_before}; "
          f"after: {load()}")
    quarters = " / ".join(f"{mb:.0f}" for mb in sampler.quarters())
    print(f"  memory: RSS {rss_before:.0f} MB before; peak RSS in each quarter of the import {quarters} MB; "
          f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)
    os.unlink(path)

    # ------------------------------------------------------------------ segments
    engine = SegmentEngine()
    segment = parse_segment({"match": "all", "conditions": [
        {"type": "tags", "match": "any", "tags": ["VIP"]},
        {"type": "field", "field": "score", "op": "gt", "value": 50}]})
    print("segment: tag VIP and score > 50", flush=True)
    _, count = timed_runs("count()", int(os.environ.get("BENCH_COUNT_RUNS", "5")), jvm_pid,
                          lambda: engine.count(ws, segment))
    print(f"  count = {count:,} of {rows:,}")
    from haishin.segments import engine as engine_module  # noqa: PLC0415

    prefilter = engine_module.tags_prefilter
    engine_module.tags_prefilter = lambda *_: None  # type: ignore[assignment]
    try:
        _, plain_count = timed_runs("count() without the tags pre-filter (every row sent to Python)",
                                    int(os.environ.get("BENCH_COUNT_RUNS", "5")), jvm_pid,
                                    lambda: engine.count(ws, segment))
    finally:
        engine_module.tags_prefilter = prefilter
    print(f"  count = {plain_count:,}")
    _, page = timed_runs("search first page (50, sorted by score desc)", int(os.environ.get("BENCH_SEARCH_RUNS", "10")),
                         jvm_pid, lambda: engine.search(ws, segment, limit=50, sort="field:score", order="desc"))
    print(f"  search total = {page.total:,} (equal to count: {page.total == count}); {len(page.items)} rows, "
          f"next cursor {'yes' if page.next_cursor else 'no'}")
    everyone = parse_segment({})
    _, all_count = timed_runs("count() of everyone", 3, jvm_pid, lambda: engine.count(ws, everyone))
    print(f"  count = {all_count:,}", flush=True)

    if os.environ.get("BENCH_PROFILE"):
        for label, call in (("count", lambda: engine.count(ws, segment)),
                            ("search", lambda: engine.search(ws, segment, limit=50, sort="field:score"))):
            profile = cProfile.Profile()
            profile.enable()
            call()
            profile.disable()
            print(f"--- cProfile: {label} (main thread and the shard threads it waits on show as waits)")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
