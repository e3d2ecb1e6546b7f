"""CRM benchmark against DynamoDB Local: CSV import rows/s and peak RSS, segment count and first-page latency.

    .venv/bin/python tests/bench/crm_bench.py            # 100,000 rows (BENCH_ROWS to change)

Prints figures, never asserts. Starts its own in-memory DynamoDB Local (python -m haishin_local install-dynamodb
installs the jar under .local/).
"""

from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    rows = int(os.environ.get("BENCH_ROWS", "100000"))
    from haishin_local.dynamodb_local import DynamoDBLocal  # noqa: PLC0415

    ddb = DynamoDBLocal()
    ddb.start()
    try:
        os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint, "AWS_ACCESS_KEY_ID": "bench",
                           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                           "AWS_REGION": "us-east-1"})
        run(rows, ddb.endpoint)
    finally:
        ddb.stop()


def run(rows: int, endpoint: str) -> None:
    import boto3  # noqa: PLC0415

    from haishin.csvio.encoding import FileSource  # noqa: PLC0415
    from haishin.csvio.importer import ImportService  # noqa: PLC0415
    from haishin.csvio.jobs import ImportOptions, load_job  # noqa: PLC0415
    from haishin.fields.models import FieldDefinition, FieldType  # noqa: PLC0415
    from haishin.fields.repository import FieldRepository  # noqa: PLC0415
    from haishin.segments.engine import SegmentEngine  # noqa: PLC0415
    from haishin.segments.model import parse_segment  # noqa: PLC0415
    from haishin.tags.repository import TagIn, TagRepository  # noqa: PLC0415

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.support import template as tpl  # noqa: PLC0415

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
    print(f"CSV: {rows:,} rows, {os.path.getsize(path) / 1e6:.1f} MB (cp932)")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    service = ImportService(chunk_size=1000, writers=int(os.environ.get("BENCH_WRITERS", "12")))
    started = time.monotonic()
    job = service.create_job(ws, FileSource(path), filename="bench.csv", actor="bench", options=ImportOptions())
    prepared = time.monotonic()
    service.run(ws, job.job_id)
    elapsed = time.monotonic() - started
    state = load_job(ws, job.job_id)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {elapsed:.1f} s total ({prepared - started:.1f} s encoding check + row count), "
          f"{rows / elapsed:,.0f} rows/s overall, {rows / (elapsed - prepared + started):,.0f} rows/s writing; "
          f"created={state.created} errors={state.errors}")
    print(f"peak RSS: {rss_before:.0f} MB before the import, {rss_after:.0f} MB after")
    os.unlink(path)

    engine = SegmentEngine()
    segment = parse_segment({"match": "all", "conditions": [
        {"type": "tags", "match": "any", "tags": ["VIP"]},
        {"type": "field", "field": "score", "op": "gt", "value": 50}]})
    counts = []
    for _ in range(5):
        t0 = time.monotonic()
        count = engine.count(ws, segment)
        counts.append(time.monotonic() - t0)
    print(f"count(): {count:,} of {rows:,}; latency median {statistics.median(counts):.2f} s, "
          f"max {max(counts):.2f} s over {len(counts)} runs")
    pages = []
    for _ in range(10):
        t0 = time.monotonic()
        page = engine.search(ws, segment, limit=50, sort="field:score", order="desc")
        pages.append(time.monotonic() - t0)
    pages.sort()
    print(f"search first page (50, sorted by score): total {page.total:,}; "
          f"p50 {pages[len(pages) // 2]:.2f} s, p95 {pages[int(len(pages) * 0.95) - 1]:.2f} s over {len(pages)} runs")


if __name__ == "__main__":
    main()
