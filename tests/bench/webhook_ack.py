"""Webhook acknowledgement latency (prints figures; never asserts times). Load average printed with each figure.

1. in-process, fake queue sender (excludes the queue call): target p99 <= 10 ms
2. with the local queue: aws_lite to a moto server running in a SEPARATE process (``python -m moto.server``), so
   the server does not share the client's GIL (SQS SendMessage per request; Secrets Manager and DynamoDB lookups
   cached after the first request): target p99 <= 50 ms
3. the line_webhook handler module's import time in fresh processes (with .pyc): target <= 150 ms

Run: .venv/bin/python tests/bench/webhook_ack.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from haishin.aws_lite import AwsJsonClient, DynamoDb, SecretsManager, Sqs
from haishin.ingest.webhook import ChannelRef, DynamoChannelLookup, SecretsManagerReader, SqsSender, WebhookService
from haishin.line.signature import sign
from haishin_local.moto_process import MotoServer

REPO = Path(__file__).resolve().parents[2]
CH, WS, SECRET = "1234567890", "w_bench", "8c3c0a1b2d4e5f60718293a4b5c6d7e8"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}, {os.cpu_count()} cpus]"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return (f"n={len(ordered)} p50={p(0.50):.3f} ms p90={p(0.90):.3f} ms p99={p(0.99):.3f} ms "
            f"max={ordered[-1] * 1000:.3f} ms")


def body(n: int) -> str:
    return json.dumps({"destination": "U", "events": [{
        "type": "message", "mode": "active", "timestamp": 1767571200000 + n, "webhookEventId": f"E{n}",
        "deliveryContext": {"isRedelivery": False}, "replyToken": "r", "source": {"type": "user", "userId": "U1"},
        "message": {"id": str(n), "type": "text", "text": "予約したいです"}}]}, ensure_ascii=False)


def run(service: WebhookService, count: int) -> list[float]:
    requests = []
    for n in range(count):
        raw = body(n)
        requests.append({"pathParameters": {"channel_id": CH}, "body": raw, "isBase64Encoded": False,
                         "headers": {"x-line-signature": sign(SECRET, raw.encode())}})
    samples = []
    for event in requests:
        start = time.perf_counter()
        status = service.handle(event)["statusCode"]
        samples.append(time.perf_counter() - start)
        assert status == 200
    return samples


class _Channels:
    def get(self, channel_id: str) -> ChannelRef:
        return ChannelRef(CH, WS, "s")


class _Secrets:
    def channel_secret(self, name: str, *, fresh: bool = False) -> str:
        return SECRET


class _Sender:
    def __init__(self) -> None:
        self.n = 0

    def send(self, body: str) -> None:
        self.n += 1


def fake_queue() -> None:
    service = WebhookService(_Channels(), _Secrets(), _Sender())
    run(service, 200)  # warm
    print("ack in-process, fake queue (target p99 <= 10 ms):", percentiles(run(service, 5000)), load())


def moto_queue() -> None:
    server = MotoServer()  # the local system's moto process: its own interpreter, so no shared GIL
    server.launch()
    server.wait_ready(timeout=60)
    endpoint = server.endpoint
    try:
        kw: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": endpoint,
                              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        queue_url = boto3.client("sqs", **kw).create_queue(QueueName="BenchEvents")["QueueUrl"]
        boto3.client("secretsmanager", **kw).create_secret(Name="bench/s",
                                                           SecretString=json.dumps({"channel_secret": SECRET}))
        ddb = boto3.client("dynamodb", **kw)
        ddb.create_table(TableName="BenchWs", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}])
        ddb.put_item(TableName="BenchWs", Item={"pk": {"S": f"channel#{CH}"}, "sk": {"S": "channel"},
                                               "workspace_id": {"S": WS}, "secret_name": {"S": "bench/s"}})

        def lite(service: str) -> AwsJsonClient:
            return AwsJsonClient(service, region="us-east-1", endpoint=endpoint,
                                 credentials=__import__("haishin.aws_lite").aws_lite.Credentials("testing", "testing"))

        service = WebhookService(DynamoChannelLookup(DynamoDb(lite("dynamodb")), table="BenchWs"),
                                 SecretsManagerReader(SecretsManager(lite("secretsmanager"))),
                                 SqsSender(Sqs(lite("sqs")), queue_url=queue_url))
        first = run(service, 1)
        print("ack with local queue (moto server process), first request (lookups uncached):",
              f"{first[0] * 1000:.1f} ms", load())
        run(service, 50)
        count = int(os.environ.get("BENCH_ACK_CALLS", "500"))
        print("ack with local queue (moto server in its own process, loopback; target p99 <= 50 ms):",
              percentiles(run(service, count)), load())
        depth = boto3.client("sqs", **kw).get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        print(f"  messages on the queue afterwards: {depth['ApproximateNumberOfMessages']} (expected {count + 51})")
    finally:
        server.stop()


def import_time(runs: int = 7) -> None:
    code = ("import sys, time; sys.path.insert(0, 'functions/line_webhook'); t = time.perf_counter(); import app; "
            "print((time.perf_counter() - t) * 1000)")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True)  # writes .pyc
    values = [float(subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True,
                                   text=True).stdout) for _ in range(runs)]
    bare = ("import time; t = time.perf_counter(); import json, logging, hmac, hashlib, base64, http.client; "
            "print((time.perf_counter() - t) * 1000)")
    stdlib = [float(subprocess.run([sys.executable, "-c", bare], cwd=REPO, check=True, capture_output=True,
                                   text=True).stdout) for _ in range(runs)]
    print(f"line_webhook app import, fresh process with .pyc: median {statistics.median(values):.1f} ms "
          f"(min {min(values):.1f}, max {max(values):.1f}); of which stdlib it needs: median "
          f"{statistics.median(stdlib):.1f} ms {load()}")


if __name__ == "__main__":
    fake_queue()
    moto_queue()
    import_time()
