"""Caches on public endpoints (IDs chosen by whoever calls us) are bounded and remember misses.

A flood of random channel or workspace IDs must cost neither unbounded memory nor one Secrets Manager / DynamoDB
call per request: the LINE webhook's channel lookup and secret reader, and the secret store behind the Stripe
webhook (``StripeKeys.webhook_secrets``) and signed links.
"""

from __future__ import annotations

import json
import secrets as pysecrets
from typing import Any

import pytest

from haishin.errors import NotFound
from haishin.ingest.webhook import CACHE_MAX_ITEMS, DynamoChannelLookup, SecretsManagerReader, WebhookService
from haishin.payments.keys import StripeKeys
from haishin.secrets import SecretsManagerStore
from haishin.ttl_cache import TtlLru


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ttl_lru_is_bounded_evicts_least_recent_and_expires() -> None:
    clock = Clock()
    cache = TtlLru(3, monotonic=clock)
    for key in "abc":
        cache.put(key, key.upper(), 10)
    assert cache.get("a") == (True, "A")  # a is now the most recent
    cache.put("d", None, 10)  # a miss is an entry too
    assert len(cache) == 3
    assert cache.get("b") == (False, None)  # the least recently used went
    assert cache.get("d") == (True, None)
    clock.now += 10
    assert cache.get("a") == (False, None) and len(cache) == 2  # expired entries leave when seen
    with pytest.raises(ValueError):
        TtlLru(0)


# ---------------------------------------------------------------------------------------------- Secrets Manager
class NotFoundError(Exception):
    pass


class CountingSecretsManager:
    """boto3's secretsmanager client surface the store uses, counting calls."""

    class exceptions:
        ResourceNotFoundException = NotFoundError

    def __init__(self, values: dict[str, dict[str, Any]] | None = None) -> None:
        self.values = dict(values or {})
        self.calls: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.calls.append(SecretId)
        if SecretId not in self.values:
            raise NotFoundError(SecretId)
        return {"SecretString": json.dumps(self.values[SecretId])}

    def put_secret_value(self, SecretId: str, SecretString: str) -> None:
        if SecretId not in self.values:
            raise NotFoundError(SecretId)
        self.values[SecretId] = json.loads(SecretString)

    def create_secret(self, Name: str, SecretString: str) -> None:
        self.values[Name] = json.loads(SecretString)


def test_stripe_webhook_for_an_unknown_workspace_costs_secrets_manager_calls_once() -> None:
    client = CountingSecretsManager()
    keys = StripeKeys(SecretsManagerStore(client))
    assert keys.webhook_secrets("w_random_1") == []
    first = len(client.calls)
    assert first == 2  # test and live, once each
    for _ in range(5):
        assert keys.webhook_secrets("w_random_1") == []
    assert len(client.calls) == first  # the repeated unknown workspace cost no second call


def test_random_workspaces_keep_the_secret_cache_bounded() -> None:
    client = CountingSecretsManager()
    store = SecretsManagerStore(client, max_items=64)
    for _ in range(500):
        with pytest.raises(NotFound):
            store.get(f"haishin/local/w_{pysecrets.token_hex(8)}/stripe/test")
    assert len(store._cache) == 64


def test_a_cached_miss_is_forgotten_by_put_and_hits_are_copies() -> None:
    client = CountingSecretsManager()
    store = SecretsManagerStore(client)
    with pytest.raises(NotFound):
        store.get("n")
    store.put("n", {"key": "v"})
    assert store.get("n") == {"key": "v"}
    store.get("n")["key"] = "changed"  # a caller cannot change what the cache holds
    assert store.get("n") == {"key": "v"}
    assert client.calls == ["n", "n"]


# ---------------------------------------------------------------------------------------------- LINE webhook
class CountingDynamo:
    def __init__(self) -> None:
        self.calls = 0

    def get_item(self, table: str, key: dict[str, str], attributes: list[str]) -> dict[str, Any] | None:
        self.calls += 1
        return None


class CountingSm:
    def __init__(self) -> None:
        self.calls = 0

    def get_secret_string(self, name: str) -> str | None:
        self.calls += 1
        return None


class NoSender:
    def send(self, body: str) -> None:  # pragma: no cover - nothing may be enqueued
        raise AssertionError("enqueued for an unknown channel")


def test_random_line_channels_are_404_with_bounded_cache_and_one_lookup_each() -> None:
    dynamo = CountingDynamo()
    lookup = DynamoChannelLookup(dynamo, table="WorkspaceTable")
    service = WebhookService(lookup, SecretsManagerReader(CountingSm()), NoSender(), max_body_bytes=1024)
    for index in range(CACHE_MAX_ITEMS + 500):
        event = {"pathParameters": {"channel_id": str(2_000_000_000 + index)}, "headers": {}, "body": "{}"}
        assert service.handle(event)["statusCode"] == 404
    assert len(lookup._cache) == CACHE_MAX_ITEMS
    calls = dynamo.calls
    repeated = {"pathParameters": {"channel_id": str(2_000_000_000 + CACHE_MAX_ITEMS + 499)}, "headers": {},
                "body": "{}"}
    assert service.handle(repeated)["statusCode"] == 404
    assert dynamo.calls == calls  # a repeated unknown channel: no second lookup


def test_a_missing_channel_secret_is_read_once_not_per_request() -> None:
    sm = CountingSm()
    reader = SecretsManagerReader(sm)
    assert reader.channel_secret("haishin/local/w/line/1") is None
    assert reader.channel_secret("haishin/local/w/line/1") is None
    assert sm.calls == 1
    assert reader.channel_secret("haishin/local/w/line/1", fresh=True) is None  # rotation re-read still asks
    assert sm.calls == 2
