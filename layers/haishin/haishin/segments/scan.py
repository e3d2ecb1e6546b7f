"""Reading a workspace's subscribers in SHARDS parallel slices, with a projection, as plain dict rows.

The low-level client is used on purpose: a segment count reads every row of a workspace, and skipping PynamoDB's
model construction (and reading only the projected attributes) is most of what makes 100,000 rows take seconds.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
from botocore.config import Config

from haishin.config import table_name
from haishin.subscribers.models import SHARDS, shard_pk

# Attributes stored as JSON text on SubscriberModel (JSONTextAttribute).
JSON_ATTRIBUTES = frozenset({"line", "fields", "consent", "unsubscribed", "field_ends"})
BASE_ATTRIBUTES = ("subscriber_id", "merged_into")

_local = threading.local()


def dynamodb_client() -> Any:
    """One low-level client per thread and endpoint (clients are thread-safe, but cheap to keep per thread)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    key = (endpoint, region)
    cached = getattr(_local, "clients", None)
    if cached is None:
        cached = _local.clients = {}
    client = cached.get(key)
    if client is None:
        client = boto3.client(
            "dynamodb", region_name=region, endpoint_url=endpoint,
            config=Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=64),
        )
        cached[key] = client
    return client


def reset_clients() -> None:
    """Tests that start a new moto mock call this so no client outlives its mock."""
    _local.clients = {}


def plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as plain Python (numbers as int or float)."""
    (kind, raw), = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "SS":
        return set(raw)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "L":
        return [plain(v) for v in raw]
    if kind == "M":
        return {k: plain(v) for k, v in raw.items()}
    if kind == "NS":
        return {int(n) if n.lstrip("-").isdigit() else float(n) for n in raw}
    return raw


def decode_row(item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in item.items():
        decoded = plain(value)
        if name in JSON_ATTRIBUTES and isinstance(decoded, str):
            decoded = json.loads(decoded)
        row[name] = decoded
    return row


def projection(attributes: Iterable[str]) -> tuple[str, dict[str, str]]:
    names = sorted(set(attributes) | set(BASE_ATTRIBUTES))
    placeholders = {f"#a{i}": name for i, name in enumerate(names)}
    return ", ".join(placeholders), placeholders


def iter_shard_pages(
    workspace_id: str, shard: int, attributes: Iterable[str] | None, *, page_size: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Pages of decoded rows of one shard (every attribute when ``attributes`` is None)."""
    client = dynamodb_client()
    kwargs: dict[str, Any] = {
        "TableName": table_name("SUBSCRIBERS_TABLE"),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": shard_pk(workspace_id, shard)}},
    }
    if attributes is not None:
        expression, names = projection(attributes)
        kwargs["ProjectionExpression"] = expression
        kwargs["ExpressionAttributeNames"] = names
    if page_size:
        kwargs["Limit"] = page_size
    while True:
        response = client.query(**kwargs)
        yield [decode_row(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last


def all_shards() -> range:
    return range(SHARDS)
