"""Stripe webhook handler: import time in a fresh process and in-process latency (p50/p99). Prints, never asserts.

Import: ``import app`` from functions/stripe_webhook with the venv's packages (median of 5 fresh interpreters, with
and without ``-B``), and whether ``stripe`` got imported (it must not: verification is stdlib).
Latency: the handler under moto's ``mock_aws`` (moto is slower than DynamoDB; compare runs, not absolute values),
N signed ``invoice.paid``-style events for an order that exists, plus duplicates.

    .venv/bin/python tests/bench/stripe_webhook_bench.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
N = int(os.environ.get("BENCH_EVENTS", "300"))

_PROBE = ("import sys,time; sys.path.insert(0, {path!r}); t=time.perf_counter(); import app; "
          "print(json.dumps({{'s': time.perf_counter()-t, 'stripe': 'stripe' in sys.modules, "
          "'pynamodb': 'pynamodb' in sys.modules, 'boto3': 'boto3' in sys.modules}}))")


def import_time() -> None:
    path = str(ROOT / "functions" / "stripe_webhook")
    for flags, label in ((["-B"], "no .pyc writes (-B)"), ([], "warm .pyc")):
        runs = []
        for _ in range(5):
            out = subprocess.run([sys.executable, *flags, "-c", "import json;" + _PROBE.format(path=path)],
                                 capture_output=True, text=True, check=True, cwd=ROOT,
                                 env={**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"})
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"import app ({label}): median {statistics.median(r['s'] for r in runs) * 1000:.0f} ms; "
              f"stripe imported: {runs[0]['stripe']}, pynamodb: {runs[0]['pynamodb']}, boto3: {runs[0]['boto3']}")


def latency() -> None:
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                       "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
                       "POWERTOOLS_METRICS_NAMESPACE": "Bench", "POWERTOOLS_SERVICE_NAME": "bench",
                       "POWERTOOLS_METRICS_DISABLED": "true"})
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from tests.support import template as tpl  # noqa: PLC0415

    with mock_aws():
        tpl.create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        sys.path.insert(0, str(ROOT / "functions" / "stripe_webhook"))
        import app  # noqa: PLC0415

        from haishin import wiring  # noqa: PLC0415
        from haishin.payments.keys import StripeKeys  # noqa: PLC0415
        from haishin.payments.products import ProductDefinition  # noqa: PLC0415
        from haishin.payments.signature import sign_header  # noqa: PLC0415
        from haishin.secrets import InMemorySecretStore  # noqa: PLC0415

        secrets = InMemorySecretStore()
        root = wiring.Services(secrets=secrets)
        service = root.payments
        StripeKeys(secrets).put("w_b", "test", secret_key="sk_test_b", webhook_secrets=["whsec_b"])
        product = service.create_product("w_b", ProductDefinition(name="b", amount=1000, kind="subscription"))
        from haishin import clock  # noqa: PLC0415
        from haishin.payments.models import OrderModel  # noqa: PLC0415

        OrderModel(pk="ws#w_b", sk="order#o_b", workspace_id="w_b", order_id="o_b", product_id=product.product_id,
                   kind="subscription", created_at=clock.now(), updated_at=clock.now(), facts={}).save()
        wiring.install(root)  # the handler's services().payments is this one
        timings = []
        for i in range(N):
            event = {"id": f"evt_{i % (N * 3 // 4)}", "type": "invoice.paid", "created": 1, "data": {"object": {
                "id": f"in_{i}", "object": "invoice", "created": 1000 + i, "amount_paid": 1000, "status": "paid",
                "parent": {"subscription_details": {"subscription": "sub_b", "metadata": {"order_id": "o_b"}}}}}}
            body = json.dumps(event)
            request = {"rawPath": "/stripe/webhook/w_b", "pathParameters": {"workspace_id": "w_b"}, "body": body,
                       "headers": {"stripe-signature": sign_header("whsec_b", body.encode())},
                       "requestContext": {"http": {"method": "POST", "sourceIp": "1.2.3.4"}}}
            start = time.perf_counter()
            answer = app.lambda_handler(request, _Context())
            timings.append(time.perf_counter() - start)
            assert answer["statusCode"] == 200, answer
        timings.sort()
        p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))] * 1000  # noqa: E731
        print(f"in-process handler under moto, {N} events (25% duplicates): p50 {p(0.5):.1f} ms, "
              f"p99 {p(0.99):.1f} ms, max {timings[-1] * 1000:.1f} ms")


class _Context:
    function_name = "StripeWebhookFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:StripeWebhookFunction"
    aws_request_id = "bench"


if __name__ == "__main__":
    import_time()
    latency()
