"""Unit tests: in-process, no sockets, moto's ``mock_aws`` for AWS, a manual clock.

Fixtures:
- ``manual_clock``: installs ``haishin.clock.ManualClock`` at 2026-01-05T00:00:00Z; restores the previous clock.
- ``aws``: ``moto.mock_aws()`` with every DynamoDB table and SQS queue of template.yaml created (names are the
  logical IDs, keys/GSIs/TTL/redrive as declared) and the settings env vars pointing at the queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import pytest_socket
from moto import mock_aws

from haishin import clock, config, public_url, wiring
from haishin.delivery import counters as delivery_counters
from tests.support import template as tpl

MANUAL_CLOCK_START = datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_sockets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Same as ``--disable-socket --allow-unix-socket`` for tests/unit only (asyncio needs socketpair).

    A test that truly needs the network asks for pytest-socket's ``socket_enabled`` fixture (or the
    ``enable_socket`` marker) and explains why.
    """
    if request.node.get_closest_marker("enable_socket") or "socket_enabled" in request.fixturenames:
        yield
        return
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        yield
    finally:
        pytest_socket.enable_socket()


@pytest.fixture(autouse=True)
def _recorded_public_base() -> Iterator[None]:
    """Unit tests run outside a deployment: paths without a request (delivery, planner) see this as the base the
    admin API recorded, and admin API calls from ``localhost`` have nothing new to record."""
    public_url.forget()
    public_url.remember("https://localhost")
    try:
        yield
    finally:
        public_url.forget()


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(MANUAL_CLOCK_START)
    previous = clock.install(manual)
    try:
        yield manual
    finally:
        clock.install(previous)


@dataclass
class AwsFixture:
    """What the ``aws`` fixture created: boto3 clients inside ``mock_aws`` and the template's resources."""

    dynamodb: Any
    sqs: Any
    tables: list[str]
    queue_urls: dict[str, str]  # logical ID -> URL

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name="us-east-1")

    def resource(self, service: str) -> Any:
        return boto3.resource(service, region_name="us-east-1")

    def receive_all(self, queue_logical_id: str, max_messages: int = 1000) -> list[dict[str, Any]]:
        """Drain a queue (messages are deleted); handy to assert what a handler enqueued."""
        url = self.queue_urls[queue_logical_id]
        out: list[dict[str, Any]] = []
        while len(out) < max_messages:
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                break
            out.extend(got)
            self.sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
            )
        return out


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsFixture]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        tables = tpl.create_tables(dynamodb)
        queue_urls = tpl.create_queues(sqs)
        for logical_id, env_var in tpl.env_refs(tpl.QUEUE_TYPE).items():
            monkeypatch.setenv(env_var, queue_urls[logical_id])
        for logical_id, env_var in tpl.env_refs(tpl.TABLE_TYPE).items():
            monkeypatch.setenv(env_var, logical_id)
        config.reset_settings_cache()
        delivery_counters.forget_zones()
        wiring.reset()  # services built for an earlier test hold its clients and caches
        try:
            yield AwsFixture(dynamodb=dynamodb, sqs=sqs, tables=tables, queue_urls=queue_urls)
        finally:
            monkeypatch.undo()
            config.reset_settings_cache()
            wiring.reset()
