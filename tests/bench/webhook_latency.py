"""In-process latency of the LINE webhook handler (p50/p90/p99), with a fake queue. Prints figures only.

The handler is called directly (no HTTP) inside moto's ``mock_aws`` with the template's tables and queues,
so the figure is our code's cost: signature check, parsing, the enqueue call into the fake queue.

What a call needs (a channel and its secret, a signed event) is the webhook's business: this script asks
``tests/bench/webhook_fixture.py`` for it. That module defines ``prepare(aws) -> Callable[[], tuple[dict, object]]``,
called inside ``mock_aws`` after the tables/queues exist; the callable returns (event, context) for one call.
Until the handler and that fixture exist, the script says "not available yet" and exits 0.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import tests.conftest  # noqa: E402,F401  (safe fake AWS env before boto3 is imported)

HANDLER = ROOT / "functions" / "line_webhook" / "app.py"
FIXTURE = Path(__file__).with_name("webhook_fixture.py")
CALLS = int(os.environ.get("BENCH_WEBHOOK_CALLS", "2000"))
WARMUP = 50


def _load(path: Path, name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    if not HANDLER.exists():
        print("webhook_latency: not available yet (functions/line_webhook/app.py is missing)")
        return 0
    if not FIXTURE.exists():
        print("webhook_latency: not available yet (tests/bench/webhook_fixture.py with prepare(aws) is missing)")
        return 0

    # Imported here so "not available yet" answers at once.
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from haishin import config  # noqa: PLC0415
    from tests.support import template as tpl  # noqa: PLC0415

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        tpl.create_tables(dynamodb)
        urls = tpl.create_queues(sqs)
        for logical_id, env_var in tpl.env_refs(tpl.QUEUE_TYPE).items():
            os.environ[env_var] = urls[logical_id]
        config.reset_settings_cache()
        aws = SimpleNamespace(dynamodb=dynamodb, sqs=sqs, queue_urls=urls)
        make_call = _load(FIXTURE, "webhook_fixture").prepare(aws)
        app = _load(HANDLER, "line_webhook_app")

        statuses: Counter[object] = Counter()
        for _ in range(WARMUP):
            event, context = make_call()
            app.lambda_handler(event, context)
        samples = []
        for _ in range(CALLS):
            event, context = make_call()
            t0 = time.perf_counter()
            result = app.lambda_handler(event, context)
            samples.append((time.perf_counter() - t0) * 1000)
            statuses[result.get("statusCode") if isinstance(result, dict) else type(result).__name__] += 1

    samples.sort()
    q = statistics.quantiles(samples, n=100)
    print(f"webhook_latency: {CALLS} calls in-process (moto fake queue), after {WARMUP} warm-up calls")
    print(f"  p50 {q[49]:.2f} ms   p90 {q[89]:.2f} ms   p99 {q[98]:.2f} ms   max {samples[-1]:.2f} ms")
    print(f"  status codes: {dict(statuses)}")
    if set(statuses) != {200}:
        print("  note: not every call answered 200; the figures include rejected calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
