"""What every PynamoDB model shares: table naming from the environment, and the endpoint.

The endpoint comes from botocore's standard ``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL``
variables, so the same code talks to DynamoDB, DynamoDB Local or moto without a branch.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pynamodb.attributes import Attribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.constants import STRING
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from haishin.config import table_name
from haishin.errors import Conflict, NotFound


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")


_connections: dict[tuple[str, str | None], Connection] = {}
_connections_lock = threading.Lock()


def connection(region: str | None = None, host: str | None = None) -> Connection:
    """THE PynamoDB connection for an endpoint (default: the environment's), one per process: every model and every
    TransactWrite / TransactGet uses it. Building one builds a botocore session and client (loading the DynamoDB
    service model, ~0.1 s of CPU), which costs far more than any single call."""
    key = (region or _region(), host if region else _endpoint())
    with _connections_lock:
        found = _connections.get(key)
        if found is None:
            found = _connections[key] = Connection(region=key[0], host=key[1], max_retry_attempts=8)
    return found


class HaishinModel(Model):
    """The base of every model: all of them send through the botocore client of THE connection of their endpoint.

    PynamoDB gives each model class a connection of its own, and each connection its own botocore session and client:
    with 40 models a cold start would load the DynamoDB service model up to 40 times. The connections stay separate
    (each keeps its own table schema; several models share a table); the client, thread-safe, is shared."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        own = table.connection
        if own._client is None:
            shared = connection(own.region, own.host)
            if shared is not own:
                own._client = shared.client
        return table


def model_meta(table_env: str) -> Any:
    """Build a PynamoDB ``Meta`` for the table named by ``table_env`` (see ``haishin.config``)."""

    class Meta:
        pass

    Meta.table_name = table_name(table_env)  # type: ignore[attr-defined]
    Meta.region = _region()  # type: ignore[attr-defined]
    endpoint = _endpoint()
    if endpoint:
        Meta.host = endpoint  # type: ignore[attr-defined]
    Meta.max_retry_attempts = 8  # type: ignore[attr-defined]
    return Meta


class UTCDateTimeAttribute(Attribute[datetime]):
    """An aware UTC datetime stored as ISO-8601 text, so it sorts and reads well in the console."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(UTC)


class JSONTextAttribute(Attribute[Any]):
    """A JSON document stored as compact text (cheaper than nested maps for opaque payloads)."""

    attr_type = STRING

    def serialize(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def deserialize(self, value: str) -> Any:
        return json.loads(value)


def iso(dt: datetime) -> str:
    """The one text form of a time used in keys: UTC, microseconds, so keys sort by time."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def condition_failed(exc: BaseException) -> bool:
    """A conditional write refused because its condition did not hold (a race lost, a marker already there), as
    opposed to throttling or a transaction conflict, which the caller retries. For put/update/delete errors and for a
    transaction's cancellation reasons alike."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    if any(reason is not None and getattr(reason, "code", None) == "ConditionalCheckFailed" for reason in reasons):
        return True
    return "ConditionalCheckFailed" in str(exc) or "ConditionalCheckFailed" in repr(getattr(exc, "cause", ""))


def update_if(item: Model, actions: list[Any], condition: Any) -> bool:
    """Apply ``actions`` to ``item`` when ``condition`` holds: True when applied, False when the condition refused
    (the caller's race lost or state moved on); any other error is raised."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def save_if(item: Model, condition: Any) -> bool:
    """Save ``item`` when ``condition`` holds (e.g. ``Model.pk.does_not_exist()``): True when written, False when
    the condition refused; any other error is raised."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def save_new_together(*items: Model) -> bool:
    """Items that live together, e.g. a definition and its public lookup record (form, link, inflow route, conversion
    point: the public URL carries only the code), written in one transaction where none may exist yet: True when
    written, False when a key was taken (the caller names the conflict); any other error is raised."""
    try:
        with TransactWrite(connection=connection()) as tx:
            for item in items:
                tx.save(item, condition=type(item)._hash_key_attribute().does_not_exist())
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def add_once_per_marker(marker: Model, counter: Model, actions: list[Any]) -> bool:
    """Count a friend once: ``marker`` (e.g. "this friend clicked here") is saved only if new, and ``actions`` (an ADD
    on ``counter``) apply in the same transaction, so a retry or a second tap never counts twice. True when the
    marker was new (counted); False when it was there already; any other error is raised."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(marker, condition=type(marker)._hash_key_attribute().does_not_exist())
            tx.update(counter, actions=actions)
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def delete_together(*items: Model) -> None:
    """``save_new_together``'s items removed in one transaction (never a lookup left pointing at nothing)."""
    with TransactWrite(connection=connection()) as tx:
        for item in items:
            tx.delete(item)


M = TypeVar("M", bound=Model)


class DefinitionRows(Generic[M]):
    """Definition documents (booking staff and menus, forms, seminars, products): one row each under its owner's
    partition, sort key ``key(<id>)``, the definition as JSON with ``created_at`` / ``updated_at`` and a ``version``.
    The repositories keep what differs (lookups written alongside, what a delete takes with it); this is the shape
    they share: build, read or not found, list, save a new definition."""

    def __init__(self, model: type[M], *, partition: Callable[[str], str], key: Callable[[str], str], id_attr: str,
                 missing: str, label: str) -> None:
        self.model = model
        self.partition = partition
        self.key = key
        self.id_attr = id_attr  # the model's own ID attribute (staff_id, form_id, ...)
        self.missing = missing  # the NotFound message (Japanese), e.g. "フォームが見つかりません"
        self.label = label  # names the row in errors: "<label> <id>"

    def new(self, owner_id: str, item_id: str, definition: Any, *, now: datetime) -> M:
        """A row not yet saved (the caller chooses how: alone, conditionally or with its lookup)."""
        fields: dict[str, Any] = {"workspace_id": owner_id, self.id_attr: item_id, "definition": definition,
                                  "created_at": now, "updated_at": now}
        return self.model(self.partition(owner_id), self.key(item_id), **fields)

    def require(self, owner_id: str, item_id: str) -> M:
        """The row, read consistently; NotFound when it is not there (another workspace's ID included)."""
        try:
            return self.model.get(self.partition(owner_id), self.key(item_id), consistent_read=True)
        except self.model.DoesNotExist as exc:
            raise NotFound(self.missing, where=f"{self.label} {item_id}") from exc

    def all(self, owner_id: str) -> list[M]:
        """Every row of the owner, in key order."""
        return list(self.model.query(self.partition(owner_id), self.model._range_key_attribute().startswith(
            self.key(""))))

    def save_definition(self, item: M, definition: Any, *, now: datetime, conflict: str | None = None) -> None:
        """A new definition on the version read. A concurrent edit fails the save: with ``conflict`` (the message)
        as Conflict, without it as the storage error it is."""
        item.definition = definition  # type: ignore[attr-defined]
        item.updated_at = now  # type: ignore[attr-defined]
        try:
            item.save()
        except Exception as exc:
            if conflict is not None and condition_failed(exc):
                raise Conflict(conflict, where=f"{self.label} {getattr(item, self.id_attr)}") from exc
            raise


__all__ = ["DefinitionRows", "HaishinModel", "JSONTextAttribute", "UTCDateTimeAttribute", "UnicodeAttribute",
           "add_once_per_marker", "condition_failed", "delete_together", "iso", "model_meta", "save_if",
           "save_new_together", "update_if"]
