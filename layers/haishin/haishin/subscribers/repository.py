"""Reading and writing subscribers. Uniqueness of LINE user, email and phone is enforced by alias items."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from haishin import clock, ids
from haishin.errors import Conflict, NotFound
from haishin.storage.base import connection, iso
from haishin.subscribers.models import (
    SHARDS,
    AliasModel,
    SubscriberModel,
    alias_pk,
    line_account,
    shard_of,
    shard_pk,
    subscriber_pk,
)

_MAX_OPTIMISTIC_RETRIES = 8


def line_alias_kind(channel_id: str) -> str:
    return f"line:{channel_id}"


def normalise_email(email: str) -> str:
    return email.strip().lower()


class SubscriberRepository:
    def get(self, workspace_id: str, subscriber_id: str) -> SubscriberModel | None:
        try:
            return SubscriberModel.get(
                subscriber_pk(workspace_id, subscriber_id), subscriber_id, consistent_read=True
            )
        except SubscriberModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, subscriber_id: str) -> SubscriberModel:
        found = self.get(workspace_id, subscriber_id)
        if found is None:
            raise NotFound("subscriber not found", where=f"subscriber {subscriber_id}")
        return found

    # ------------------------------------------------------------------ aliases
    def find_id_by_alias(self, workspace_id: str, kind: str, value: str) -> str | None:
        try:
            return AliasModel.get(alias_pk(workspace_id, kind, value), "alias", consistent_read=True).subscriber_id
        except AliasModel.DoesNotExist:
            return None

    def find_by_line_user(self, workspace_id: str, channel_id: str, line_user_id: str) -> SubscriberModel | None:
        subscriber_id = self.find_id_by_alias(workspace_id, line_alias_kind(channel_id), line_user_id)
        return self.get(workspace_id, subscriber_id) if subscriber_id else None

    def find_by_email(self, workspace_id: str, email: str) -> SubscriberModel | None:
        subscriber_id = self.find_id_by_alias(workspace_id, "email", normalise_email(email))
        return self.get(workspace_id, subscriber_id) if subscriber_id else None

    def find_by_phone(self, workspace_id: str, phone: str) -> SubscriberModel | None:
        subscriber_id = self.find_id_by_alias(workspace_id, "phone", phone)
        return self.get(workspace_id, subscriber_id) if subscriber_id else None

    # ------------------------------------------------------------------ create
    def new(self, workspace_id: str, *, source: str, now: datetime | None = None) -> SubscriberModel:
        """An unsaved subscriber with a fresh ID."""
        now = now or clock.now()
        subscriber_id = ids.new_id("s_")
        return SubscriberModel(
            pk=subscriber_pk(workspace_id, subscriber_id),
            sk=subscriber_id,
            gsi1pk=f"wsub#{workspace_id}#{shard_of(subscriber_id):02d}",
            gsi1sk=f"{iso(now)}#{subscriber_id}",
            workspace_id=workspace_id,
            subscriber_id=subscriber_id,
            source=source,
            created_at=now,
            updated_at=now,
        )

    def create(self, subscriber: SubscriberModel, aliases: list[tuple[str, str]]) -> SubscriberModel:
        """Save a new subscriber together with its aliases, atomically.

        Raises Conflict naming the alias when one is already taken (the caller then reads the existing one).
        """
        alias_items = [
            AliasModel(pk=alias_pk(subscriber.workspace_id, kind, value), sk="alias",
                       subscriber_id=subscriber.subscriber_id)
            for kind, value in aliases
        ]
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(subscriber, condition=SubscriberModel.pk.does_not_exist())
                for alias in alias_items:
                    transaction.save(alias, condition=AliasModel.pk.does_not_exist())
        except TransactWriteError as exc:
            raise Conflict("a subscriber with this identity already exists", where=str(aliases)) from exc
        return subscriber

    def get_or_create_for_line_user(
        self,
        workspace_id: str,
        channel_id: str,
        line_user_id: str,
        *,
        init: Callable[[SubscriberModel], None] | None = None,
    ) -> tuple[SubscriberModel, bool]:
        """The subscriber for a LINE user, created on first sight (a friend migrated from another tool too)."""
        existing = self.find_by_line_user(workspace_id, channel_id, line_user_id)
        if existing is not None:
            return existing, False
        subscriber = self.new(workspace_id, source="line")
        subscriber.line = {channel_id: line_account(line_user_id)}
        if init is not None:
            init(subscriber)
        try:
            return self.create(subscriber, [(line_alias_kind(channel_id), line_user_id)]), True
        except Conflict:
            winner = self.find_by_line_user(workspace_id, channel_id, line_user_id)
            if winner is None:  # pragma: no cover - the alias exists, so its subscriber does too
                raise
            return winner, False

    def add_alias(self, workspace_id: str, subscriber_id: str, kind: str, value: str) -> bool:
        """Point an alias at a subscriber; False when another subscriber already owns it."""
        try:
            AliasModel(pk=alias_pk(workspace_id, kind, value), sk="alias", subscriber_id=subscriber_id).save(
                condition=AliasModel.pk.does_not_exist() | (AliasModel.subscriber_id == subscriber_id)
            )
            return True
        except PutError:
            return False

    def remove_alias(self, workspace_id: str, kind: str, value: str) -> None:
        AliasModel(pk=alias_pk(workspace_id, kind, value), sk="alias", subscriber_id="").delete()

    # ------------------------------------------------------------------ update
    def mutate(
        self, workspace_id: str, subscriber_id: str, change: Callable[[SubscriberModel], None]
    ) -> SubscriberModel:
        """Read, apply ``change``, save with optimistic locking; re-read and re-apply on a concurrent write."""
        for _ in range(_MAX_OPTIMISTIC_RETRIES):
            subscriber = self.require(workspace_id, subscriber_id)
            change(subscriber)
            subscriber.updated_at = clock.now()
            try:
                subscriber.save()
                return subscriber
            except (PutError, UpdateError) as exc:
                if "ConditionalCheckFailed" not in str(exc):
                    raise
        raise Conflict("subscriber kept changing; try again", where=f"subscriber {subscriber_id}")

    # ------------------------------------------------------------------ read many
    def iter_shard(self, workspace_id: str, shard: int, page_size: int = 500) -> Iterator[SubscriberModel]:
        yield from SubscriberModel.query(shard_pk(workspace_id, shard), page_size=page_size)

    def iter_all(self, workspace_id: str) -> Iterator[SubscriberModel]:
        for shard in range(SHARDS):
            yield from self.iter_shard(workspace_id, shard)
