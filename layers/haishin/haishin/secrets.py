"""The one secret store. Channel secrets, access tokens and Stripe keys live only here.

Values are JSON objects under names ``<SECRETS_PREFIX>/<workspace_id>/<kind>/<id>``. Nothing here logs values.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Protocol

from haishin.config import settings
from haishin.errors import NotFound
from haishin.observability import register_secret_values
from haishin.ttl_cache import TtlLru

CACHE_MAX_ITEMS = 1024
MISSING_TTL_S = 30.0  # a secret that does not exist (a random workspace in a webhook URL) is asked for once per 30 s


def secret_name(workspace_id: str, kind: str, object_id: str) -> str:
    return f"{settings().secrets_prefix}/{workspace_id}/{kind}/{object_id}"


def mask(value: str | None) -> str | None:
    """The only form in which a secret is ever shown again: its last four characters."""
    if not value:
        return None
    return "…" + value[-4:]


class SecretStore(Protocol):
    def get(self, name: str) -> dict[str, Any]: ...

    def put(self, name: str, value: dict[str, Any]) -> None: ...

    def create(self, name: str, value: dict[str, Any]) -> dict[str, Any]: ...

    def delete(self, name: str) -> None: ...


class SecretsManagerStore:
    """Secrets Manager through boto3, with a short, bounded cache of hits and misses (rotation: callers may
    ``invalidate`` and re-read; ``put`` and ``delete`` invalidate their own name)."""

    def __init__(self, client: Any = None, ttl_seconds: float = 300.0, *, missing_ttl_seconds: float = MISSING_TTL_S,
                 max_items: int = CACHE_MAX_ITEMS) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._missing_ttl = missing_ttl_seconds
        self._cache = TtlLru(max_items)

    def _sm(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415 - kept off import paths that never touch secrets

            self._client = boto3.client("secretsmanager")
        return self._client

    def get(self, name: str) -> dict[str, Any]:
        found, value = self._cache.get(name)
        if not found:
            try:
                response = self._sm().get_secret_value(SecretId=name)
            except self._sm().exceptions.ResourceNotFoundException:
                value = None
                self._cache.put(name, None, self._missing_ttl)
            else:
                value = json.loads(response["SecretString"])
                register_secret_values(*value.values())
                self._cache.put(name, value, self._ttl)
        if value is None:
            raise NotFound("secret not found", where=name)
        return dict(value)

    def put(self, name: str, value: dict[str, Any]) -> None:
        register_secret_values(*value.values())
        body = json.dumps(value)
        sm = self._sm()
        try:
            sm.put_secret_value(SecretId=name, SecretString=body)
        except sm.exceptions.ResourceNotFoundException:
            sm.create_secret(Name=name, SecretString=body)
        self.invalidate(name)

    def create(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        """Store ``value`` only when the secret does not exist yet; returns what is stored: ``value``, or the
        value a concurrent creator (another container) stored first, which is never overwritten. For values
        made once and then relied on, e.g. a workspace's signing key: a ``put`` racing another first use would
        replace a key the links already sent were signed with."""
        register_secret_values(*value.values())
        sm = self._sm()
        try:
            sm.create_secret(Name=name, SecretString=json.dumps(value))
        except sm.exceptions.ResourceExistsException:  # the first creator's value, read now (never a cached miss)
            stored = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
            register_secret_values(*stored.values())
            self._cache.put(name, stored, self._ttl)
            return dict(stored)
        self.invalidate(name)
        return dict(value)

    def delete(self, name: str) -> None:
        sm = self._sm()
        with contextlib.suppress(sm.exceptions.ResourceNotFoundException):
            sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        self.invalidate(name)

    def invalidate(self, name: str) -> None:
        self._cache.drop(name)


class InMemorySecretStore:
    """For unit tests: same behaviour, no AWS."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any]:
        if name not in self.values:
            raise NotFound("secret not found", where=name)
        return dict(self.values[name])

    def put(self, name: str, value: dict[str, Any]) -> None:
        register_secret_values(*value.values())
        self.values[name] = dict(value)

    def create(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        register_secret_values(*value.values())
        return dict(self.values.setdefault(name, dict(value)))

    def delete(self, name: str) -> None:
        self.values.pop(name, None)

    def invalidate(self, name: str) -> None:
        return None
