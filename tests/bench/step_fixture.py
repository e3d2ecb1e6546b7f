"""Shared set-up for the step benchmarks (not a benchmark itself: ``run_all.py`` skips ``*_fixture.py``).

- ``dynamodb_local()``: a fresh in-memory DynamoDB Local JVM with every table of template.yaml (the real schemas,
  via the local runtime's template reader), the process env pointed at it (``AWS_ENDPOINT_URL_DYNAMODB``).
- ``Meter``: wraps ``botocore.client.BaseClient._make_api_call`` (boto3 and PynamoDB both go through it) to count
  calls per service/operation and to sum DynamoDB ``ConsumedCapacity`` (``ReturnConsumedCapacity=TOTAL`` is added
  where the caller did not ask) and ``ScannedCount`` of queries/scans.
- ``load()``: the load average, printed next to every figure (2 shared cores).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "infra"))  # haishin_local is installed editable too; this keeps the bench standalone

CAPACITY_OPS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                "BatchWriteItem", "TransactWriteItems", "TransactGetItems"}
WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}, {os.cpu_count()} cpus]"


def arg(name: str, default: int) -> int:
    """``--name N`` from the command line, else ``default``."""
    flag = f"--{name}"
    if flag in sys.argv:
        return int(sys.argv[sys.argv.index(flag) + 1])
    return default


@dataclass
class Meter:
    calls: Counter[str] = field(default_factory=Counter)  # "service:Operation"
    read_units: float = 0.0
    write_units: float = 0.0
    scanned: int = 0  # ScannedCount of Query/Scan
    returned: int = 0  # Count of Query/Scan
    items_got: int = 0  # items returned by GetItem/BatchGetItem
    capacity_by_op: Counter[str] = field(default_factory=Counter)
    clients_created: int = 0  # botocore clients created (each costs tens of ms of CPU: should be ~0 when warm)

    def reset(self) -> None:
        self.calls.clear()
        self.capacity_by_op.clear()
        self.read_units = self.write_units = 0.0
        self.scanned = self.returned = self.items_got = self.clients_created = 0

    def snapshot(self) -> Meter:
        return Meter(Counter(self.calls), self.read_units, self.write_units, self.scanned, self.returned,
                     self.items_got, Counter(self.capacity_by_op), self.clients_created)

    def minus(self, before: Meter) -> Meter:
        return Meter(self.calls - before.calls, self.read_units - before.read_units,
                     self.write_units - before.write_units, self.scanned - before.scanned,
                     self.returned - before.returned, self.items_got - before.items_got,
                     self.capacity_by_op - before.capacity_by_op, self.clients_created - before.clients_created)

    def count(self, service: str) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith(service + ":"))

    def record(self, service: str, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        self.calls[f"{service}:{operation}"] += 1
        if service != "dynamodb":
            return
        capacity = response.get("ConsumedCapacity")
        entries = capacity if isinstance(capacity, list) else [capacity] if capacity else []
        units = sum(float(e.get("CapacityUnits") or 0) for e in entries)
        if not entries:  # an endpoint that reports nothing: count 1 unit per operation (lower bound), flagged
            units = 0.0
        if operation in WRITE_OPS:
            self.write_units += units
        else:
            self.read_units += units
        self.capacity_by_op[operation] += units  # type: ignore[assignment]
        if operation in ("Query", "Scan"):
            self.scanned += int(response.get("ScannedCount") or 0)
            self.returned += int(response.get("Count") or 0)
        elif operation == "GetItem":
            self.items_got += 1 if response.get("Item") else 0
        elif operation == "BatchGetItem":
            self.items_got += sum(len(v) for v in (response.get("Responses") or {}).values())


METER = Meter()


def install_meter() -> Meter:
    from botocore.client import BaseClient  # noqa: PLC0415

    if getattr(BaseClient, "_bench_metered", False):
        return METER
    original = BaseClient._make_api_call

    def metered(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        if service == "dynamodb" and operation_name in CAPACITY_OPS and "ReturnConsumedCapacity" not in api_params:
            api_params = {**api_params, "ReturnConsumedCapacity": "TOTAL"}
        response = original(self, operation_name, api_params)
        METER.record(service, operation_name, api_params, response)
        return response

    from botocore.session import Session  # noqa: PLC0415

    original_create = Session.create_client

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        METER.clients_created += 1
        return original_create(self, *args, **kwargs)

    Session.create_client = counted  # type: ignore[method-assign]
    BaseClient._make_api_call = metered  # type: ignore[method-assign]
    BaseClient._bench_metered = True  # type: ignore[attr-defined]
    return METER


@contextlib.contextmanager
def dynamodb_local() -> Iterator[str]:
    """Start DynamoDB Local (in memory), create template.yaml's tables, point this process at it."""
    from haishin_local.dynamodb_local import DynamoDBLocal  # noqa: PLC0415
    from haishin_local.runtime.template import Template  # noqa: PLC0415

    os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    # full JIT (the local runtime's default stops at C1 to start fast): the bulk load is ~100,000 writes
    os.environ.setdefault("HAISHIN_DYNAMODB_JAVA_OPTS", "-XX:+UseSerialGC")
    ddb = DynamoDBLocal()
    ddb.start(timeout=60)
    try:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.endpoint
        template = Template(REPO / "template.yaml", root=REPO)
        for key, value in template.merged_environment().items():
            if key.endswith("_TABLE") or key in ("DEFAULT_TIME_ZONE",):
                os.environ[key] = value
        import boto3  # noqa: PLC0415

        client = boto3.client("dynamodb", endpoint_url=ddb.endpoint)
        for spec in template.tables:
            client.create_table(**spec.create_kwargs)
        from haishin.config import reset_settings_cache  # noqa: PLC0415

        reset_settings_cache()
        yield ddb.endpoint
    finally:
        ddb.stop()


def memory_size(function_id: str) -> int:
    from haishin_local.runtime.template import Template  # noqa: PLC0415

    return int(Template(REPO / "template.yaml", root=REPO).functions[function_id].memory_size)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")
