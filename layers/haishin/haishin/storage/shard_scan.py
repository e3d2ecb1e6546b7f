"""Reading a workspace's subscribers in SHARDS parallel slices, with a projection, as plain dict rows.

The low-level client is used on purpose: a segment count reads every row of a workspace, and skipping PynamoDB's
model construction (and reading only the projected attributes) is most of what makes 100,000 rows take seconds.

Two more things matter at that size (profiled against DynamoDB Local with 100,000 friends):

- botocore's response parser walks the ``AttributeValue`` shape for every attribute of every item (about 70% of
  the Python time of a count). Queries here go through a client whose ``before-parse`` hook takes the ``Items``
  out of the raw JSON body (``json.loads``, in C) before botocore parses the rest (``Count``, ``LastEvaluatedKey``),
  and ``decode_row`` turns the DynamoDB JSON into plain values in one pass.
- clients are shared by every thread (botocore clients are thread-safe) instead of one per thread: a fresh thread
  pool per count used to build 16 clients per call, which costs more CPU than reading a shard.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import botocore.session
from botocore.config import Config

from haishin.config import table_name
from haishin.storage.shards import SHARDS, shard_pk

# Attributes stored as JSON text on SubscriberModel (JSONTextAttribute).
JSON_ATTRIBUTES = frozenset({"line", "fields", "consent", "unsubscribed", "field_ends"})
BASE_ATTRIBUTES = ("subscriber_id", "merged_into")
# Enough connections for the 16 shard readers and the import writers sharing one client.
MAX_POOL_CONNECTIONS = 64
RAW_ITEMS = "RawItems"

_lock = threading.Lock()
_clients: dict[tuple[Any, ...], Any] = {}
_botocore_session: Any = None


def _endpoint_and_region() -> tuple[str | None, str]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return endpoint, region


def _session() -> Any:
    global _botocore_session
    if _botocore_session is None:
        _botocore_session = botocore.session.get_session()
    return _botocore_session


def _client(raw_items: bool) -> Any:
    endpoint, region = _endpoint_and_region()
    key = (endpoint, region, os.getpid(), raw_items)
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            # A botocore session, not boto3: boto3 adds nothing to a low-level client and its import (s3transfer,
            # multiprocessing) costs ~30 ms of the admin API's cold start; botocore is loaded by PynamoDB anyway.
            client = _session().create_client(
                "dynamodb", region_name=region, endpoint_url=endpoint,
                config=Config(retries={"max_attempts": 10, "mode": "standard"},
                              max_pool_connections=MAX_POOL_CONNECTIONS,
                              # requests built here are well-formed; validation is pure Python per attribute
                              parameter_validation=False),
            )
            if raw_items:
                client.meta.events.register("before-parse.dynamodb.Query", _keep_raw_items)
                client.meta.events.register("before-parse.dynamodb.Scan", _keep_raw_items)
            _clients[key] = client
    return client


def dynamodb_client() -> Any:
    """The low-level client, shared by every thread (one per endpoint and region)."""
    return _client(False)


def raw_query_client() -> Any:
    """A client whose Query and Scan answers carry ``RawItems``: the items as DynamoDB JSON, unparsed by botocore
    (``Items`` is then empty). Only for ``query_pages``; everything else uses ``dynamodb_client``."""
    return _client(True)


def _keep_raw_items(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not body:
        return
    data = json.loads(body)
    items = data.pop("Items", None)
    if items is None:
        return
    customized_response_dict[RAW_ITEMS] = items
    response_dict["body"] = json.dumps(data).encode()


def reset_clients() -> None:
    """Tests that start a new moto mock call this so no client outlives its mock."""
    global _botocore_session
    with _lock:
        _clients.clear()
        _botocore_session = None


def _number(raw: str) -> int | float:
    try:
        return int(raw)
    except ValueError:
        return float(raw)


def plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as plain Python (numbers as int or float)."""
    for kind, raw in value.items():
        if kind == "S":
            return raw
        if kind == "N":
            return _number(raw)
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
            return {_number(n) for n in raw}
        return raw
    return None


def decode_row(item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in item.items():
        string = value.get("S")
        if string is not None:
            row[name] = json.loads(string) if name in JSON_ATTRIBUTES else string
            continue
        row[name] = plain(value)
    return row


def projection(attributes: Iterable[str]) -> tuple[str, dict[str, str]]:
    names = sorted(set(attributes) | set(BASE_ATTRIBUTES))
    placeholders = {f"#a{i}": name for i, name in enumerate(names)}
    return ", ".join(placeholders), placeholders


def query_pages(kwargs: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    """Every page of a Query (``kwargs`` as for ``client.query``) as raw DynamoDB JSON items."""
    client = raw_query_client()
    kwargs = dict(kwargs)
    while True:
        response = client.query(**kwargs)
        items = response.get(RAW_ITEMS)
        yield items if items is not None else response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last


def iter_shard_pages(
    workspace_id: str, shard: int, attributes: Iterable[str] | None, *, page_size: int | None = None,
    filter_expression: tuple[str, dict[str, str], dict[str, Any]] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of decoded rows of one shard (every attribute when ``attributes`` is None); ``filter_expression``
    (expression, names, values; placeholders other than ``#a<n>`` and ``:pk``) leaves rows out server-side, so a
    page may be empty while more follow."""
    kwargs: dict[str, Any] = {
        "TableName": table_name("SUBSCRIBERS_TABLE"),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": shard_pk(workspace_id, shard)}},
    }
    if attributes is not None:
        expression, names = projection(attributes)
        kwargs["ProjectionExpression"] = expression
        kwargs["ExpressionAttributeNames"] = names
    if filter_expression is not None:
        expression, names, values = filter_expression
        kwargs["FilterExpression"] = expression
        kwargs["ExpressionAttributeNames"] = {**kwargs.get("ExpressionAttributeNames", {}), **names}
        kwargs["ExpressionAttributeValues"] = {**kwargs["ExpressionAttributeValues"], **values}
    if page_size:
        kwargs["Limit"] = page_size
    for items in query_pages(kwargs):
        yield [decode_row(item) for item in items]


def all_shards() -> range:
    return range(SHARDS)
