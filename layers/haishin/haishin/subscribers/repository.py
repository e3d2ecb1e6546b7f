"""Reading and writing subscribers. Uniqueness of LINE user, email and phone is enforced by alias items."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from haishin import clock, ids
from haishin.errors import Conflict, NotFound
from haishin.phone import alias_form, legacy_key, to_e164
from haishin.storage.base import condition_failed, connection
from haishin.storage.shard_scan import iter_shard_pages
from haishin.storage.shards import SHARDS, shard_pk
from haishin.subscribers.models import (
    AliasModel,
    SubscriberModel,
    alias_pk,
    line_account,
    subscriber_pk,
)

_MAX_OPTIMISTIC_RETRIES = 8


def line_alias_kind(channel_id: str) -> str:
    return f"line:{channel_id}"


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def normalise_phone(phone: str) -> str:
    """The phone's alias key, E.164: ``090-1234-5678``, ``０９０（１２３４）５６７８`` and ``+819012345678`` match."""
    return alias_form(phone)


def aliases_of(subscriber: SubscriberModel) -> list[tuple[str, str]]:
    """Every alias a subscriber row implies: one per LINE channel, its email and its phone."""
    out = [
        (line_alias_kind(channel_id), str(account["user_id"]))
        for channel_id, account in sorted((subscriber.line or {}).items())
        if account and account.get("user_id")
    ]
    if subscriber.email:
        out.append(("email", normalise_email(subscriber.email)))
    if subscriber.phone:
        out.append(("phone", normalise_phone(subscriber.phone)))
    return out


class VersionConflict(Conflict):
    """Someone else saved the subscriber between our read and our write (retry from a fresh read)."""


_IDENTITY_LABEL = {"email": "メールアドレス", "phone": "電話番号", "line": "LINE ユーザー"}


class AliasTaken(Conflict):
    """An identity (LINE user, email, phone) already belongs to another subscriber."""


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
            raise NotFound(f"この友だちはワークスペースにいません: {subscriber_id}", where="subscriber_id")
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
        subscriber_id = self.find_id_by_alias(workspace_id, "phone", normalise_phone(phone))
        return self.get(workspace_id, subscriber_id) if subscriber_id else None

    # ------------------------------------------------------------------ create
    def new(
        self, workspace_id: str, *, source: str, now: datetime | None = None, subscriber_id: str | None = None
    ) -> SubscriberModel:
        """An unsaved subscriber with a fresh ID (or ``subscriber_id``: an import derives it from file and line so a
        resumed import rewrites the same friend instead of creating a second one)."""
        now = now or clock.now()
        subscriber_id = subscriber_id or ids.new_id("s_")
        return SubscriberModel(
            pk=subscriber_pk(workspace_id, subscriber_id),
            sk=subscriber_id,
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
            raise Conflict("同じ ID の友だちがすでにいます", where=str(aliases)) from exc
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
                if not condition_failed(exc):
                    raise
        raise Conflict("友だちの情報がほかの操作で変わり続けています。もう一度お試しください",
                       where=f"subscriber {subscriber_id}")

    # ------------------------------------------------------------------ read many
    def iter_shard(self, workspace_id: str, shard: int, page_size: int = 500) -> Iterator[SubscriberModel]:
        yield from SubscriberModel.query(shard_pk(workspace_id, shard), page_size=page_size)

    def iter_all(self, workspace_id: str) -> Iterator[SubscriberModel]:
        for shard in range(SHARDS):
            yield from self.iter_shard(workspace_id, shard)

    def ids_where(self, workspace_id: str, attributes: Iterable[str],
                  keep: Callable[[dict[str, Any]], bool]) -> list[str]:
        """IDs of the workspace's friends (merged-away rows left out) whose row, read with a projection of
        ``attributes``, passes ``keep``; the SHARDS slices are read in parallel (the scan of a segment count)."""
        wanted = list(attributes)

        def shard(index: int) -> list[str]:
            return [str(row["subscriber_id"]) for page in iter_shard_pages(workspace_id, index, wanted)
                    for row in page if not row.get("merged_into") and keep(row)]

        with ThreadPoolExecutor(max_workers=SHARDS, thread_name_prefix="subids") as pool:
            return [sid for ids_ in pool.map(shard, range(SHARDS)) for sid in ids_]

    # ------------------------------------------------------------------ identity-aware writes
    def save_with_aliases(
        self,
        subscriber: SubscriberModel,
        *,
        add: Iterable[tuple[str, str]] = (),
        remove: Iterable[tuple[str, str]] = (),
        new: bool = False,
    ) -> SubscriberModel:
        """One transaction: the subscriber row (must not exist when ``new``, else version-checked), the aliases it
        gains (free, or already its own) and the aliases it loses (only while they are its own).

        Raises ``AliasTaken`` naming the alias, or ``VersionConflict`` when the row changed since it was read.
        """
        add = list(add)
        remove = [alias for alias in remove if alias not in add]
        sid = subscriber.subscriber_id
        ws = subscriber.workspace_id
        try:
            with TransactWrite(connection=connection()) as transaction:
                if new:
                    transaction.save(subscriber, condition=SubscriberModel.pk.does_not_exist())
                else:
                    transaction.save(subscriber, condition=SubscriberModel.pk.exists())
                for kind, value in add:
                    transaction.save(
                        AliasModel(pk=alias_pk(ws, kind, value), sk="alias", subscriber_id=sid),
                        condition=AliasModel.pk.does_not_exist() | (AliasModel.subscriber_id == sid),
                    )
                for kind, value in remove:
                    transaction.delete(
                        AliasModel(pk=alias_pk(ws, kind, value), sk="alias", subscriber_id=sid),
                        condition=AliasModel.pk.does_not_exist() | (AliasModel.subscriber_id == sid),
                    )
        except TransactWriteError as exc:
            reasons = list(getattr(exc, "cancellation_reasons", None) or [])
            for index, reason in enumerate(reasons[1 : 1 + len(add)]):
                if reason is not None and getattr(reason, "code", "") == "ConditionalCheckFailed":
                    kind, value = add[index]
                    field = kind.split(":")[0]
                    label = _IDENTITY_LABEL.get(field, field)
                    raise AliasTaken(f"{label}「{value}」はすでに別の友だちに登録されています。"
                                     "同じ人なら友だちの統合を使ってください。", where=field) from exc
            if reasons and reasons[0] is not None and getattr(reasons[0], "code", "") == "ConditionalCheckFailed":
                raise VersionConflict("友だちの情報がほかの操作で変わりました。もう一度お試しください",
                                      where=f"subscriber {sid}") from exc
            raise Conflict("友だちを保存できませんでした。もう一度お試しください", where=f"subscriber {sid}") from exc
        return subscriber

    def mutate_identity(
        self, workspace_id: str, subscriber_id: str, change: Callable[[SubscriberModel], None]
    ) -> SubscriberModel:
        """Like ``mutate``, but when ``change`` alters LINE accounts, email or phone the aliases move in the same
        transaction (AliasTaken when a new identity belongs to someone else)."""
        for _ in range(_MAX_OPTIMISTIC_RETRIES):
            subscriber = self.require(workspace_id, subscriber_id)
            before = set(aliases_of(subscriber))
            change(subscriber)
            after = set(aliases_of(subscriber))
            subscriber.updated_at = clock.now()
            try:
                return self.save_with_aliases(subscriber, add=sorted(after - before), remove=sorted(before - after))
            except VersionConflict:
                continue
        raise Conflict("友だちの情報がほかの操作で変わり続けています。もう一度お試しください",
                       where=f"subscriber {subscriber_id}")

    def rekey_phone(self, workspace_id: str, subscriber_id: str) -> bool:
        """Backfill for rows written before phones were E.164: store ``to_e164(phone)`` and move the phone alias
        from its old digits key, in one transaction. False when there is nothing to change (or no valid number).
        Raises AliasTaken when another friend already owns the E.164 form (the admin merges the two)."""
        subscriber = self.require(workspace_id, subscriber_id)
        new = to_e164(subscriber.phone) if subscriber.phone else None
        if new is None or new == subscriber.phone:
            return False
        legacy = legacy_key(str(subscriber.phone))
        subscriber.phone = new
        subscriber.updated_at = clock.now()
        self.save_with_aliases(subscriber, add=[("phone", new)], remove=[("phone", legacy)])
        return True

    def mark_form_answered(self, workspace_id: str, subscriber_id: str, form_id: str) -> SubscriberModel:
        """For the forms area: remember that this friend answered ``form_id`` (segments read ``forms_answered``)."""

        def change(subscriber: SubscriberModel) -> None:
            subscriber.forms_answered = set(subscriber.forms_answered or set()) | {form_id}

        return self.mutate(workspace_id, subscriber_id, change)

    def record_purchase(
        self, workspace_id: str, subscriber_id: str, product_id: str, amount: float
    ) -> SubscriberModel:
        """For the payments area: add a product to ``products`` and ``amount`` to ``total_spent`` (a refund passes a
        negative amount). Callers dedupe on the Stripe event first; this method is not idempotent by itself."""

        def change(subscriber: SubscriberModel) -> None:
            subscriber.products = set(subscriber.products or set()) | {product_id}
            subscriber.total_spent = float(subscriber.total_spent or 0) + amount

        return self.mutate(workspace_id, subscriber_id, change)

    # ------------------------------------------------------------------ merge
    def merge(self, workspace_id: str, winner_id: str, loser_id: str) -> tuple[SubscriberModel, SubscriberModel]:
        """Fold ``loser`` into ``winner`` in one transaction; see ``merge_rows`` for the rule.

        Every alias of the loser is repointed to the winner (conditioned on still pointing at the loser), the loser
        keeps its data for history and gets ``merged_into``. Segments skip merged rows.
        """
        if winner_id == loser_id:
            raise Conflict("同じ友だちどうしは統合できません。別の友だちを選んでください。", where="loser_id")
        for _ in range(_MAX_OPTIMISTIC_RETRIES):
            winner = self.require(workspace_id, winner_id)
            loser = self.require(workspace_id, loser_id)
            for row, where in ((winner, "winner_id"), (loser, "loser_id")):
                if row.merged_into:
                    raise Conflict(f"友だち {row.subscriber_id} はすでに {row.merged_into} に統合されています。",
                                   where=where)
            loser_aliases = aliases_of(loser)
            merge_rows(winner, loser)
            now = clock.now()
            winner.updated_at = now
            loser.updated_at = now
            loser.merged_into = winner_id
            try:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.save(winner, condition=SubscriberModel.pk.exists())
                    transaction.save(loser, condition=SubscriberModel.pk.exists())
                    for kind, value in loser_aliases:
                        transaction.save(
                            AliasModel(pk=alias_pk(workspace_id, kind, value), sk="alias", subscriber_id=winner_id),
                            condition=AliasModel.pk.does_not_exist() | AliasModel.subscriber_id.is_in(
                                loser_id, winner_id),
                        )
                return winner, loser
            except TransactWriteError as exc:
                if "ConditionalCheckFailed" not in str(exc) and not getattr(exc, "cancellation_reasons", None):
                    raise
                continue
        raise Conflict("友だちの情報が同時に変わったため統合できませんでした。もう一度お試しください。",
                       where=f"subscriber {winner_id}")


def _is_empty(value: object) -> bool:
    return value is None or value in ("", [], {})


def merge_rows(winner: SubscriberModel, loser: SubscriberModel) -> None:
    """The merge rule, applied to ``winner`` in place.

    - tags, products, forms answered: union. Total spent: sum.
    - fields: the winner's filled value wins; the loser fills the winner's empty or missing fields; list values
      (multiple choice) are unioned, keeping the winner's order first. Range ends follow the value they belong to.
    - LINE accounts: union per channel (the winner's account wins on the same channel); email, phone, display name,
      picture, language and inflow route: the winner's when set, else the loser's.
    - consent: given if either gave it. Unsubscribe: unsubscribed if either unsubscribed (an opt-out is never lost).
    - created_at: the earlier; last_interaction_at: the later.
    """
    winner.tags = set(winner.tags or set()) | set(loser.tags or set())
    winner.products = set(winner.products or set()) | set(loser.products or set())
    winner.forms_answered = set(winner.forms_answered or set()) | set(loser.forms_answered or set())
    if winner.total_spent is not None or loser.total_spent is not None:
        winner.total_spent = float(winner.total_spent or 0) + float(loser.total_spent or 0)
    fields = dict(winner.fields or {})
    ends = dict(winner.field_ends or {})
    loser_ends = loser.field_ends or {}
    for key, value in (loser.fields or {}).items():
        mine = fields.get(key)
        if _is_empty(mine):
            fields[key] = value
            if key in loser_ends:
                ends[key] = loser_ends[key]
        elif isinstance(mine, list) and isinstance(value, list):
            fields[key] = mine + [item for item in value if item not in mine]
    winner.fields = fields
    winner.field_ends = ends
    line = dict(loser.line or {})
    line.update(winner.line or {})
    winner.line = line
    if not winner.inflow_route and loser.inflow_route:  # the first route and its ID go together
        winner.inflow_route_id = loser.inflow_route_id
    for attribute in ("email", "phone", "display_name", "picture_url", "language", "inflow_route"):
        if not getattr(winner, attribute) and getattr(loser, attribute):
            setattr(winner, attribute, getattr(loser, attribute))
    consent = dict(loser.consent or {})
    for key, value in (winner.consent or {}).items():
        consent[key] = bool(value) or bool(consent.get(key))
    winner.consent = consent
    unsubscribed = dict(loser.unsubscribed or {})
    for key, value in (winner.unsubscribed or {}).items():
        unsubscribed[key] = bool(value) or bool(unsubscribed.get(key))
    winner.unsubscribed = unsubscribed
    winner.unsubscribed_all = bool(winner.unsubscribed_all) or bool(loser.unsubscribed_all)
    winner.created_at = min(winner.created_at, loser.created_at)
    interactions = [t for t in (winner.last_interaction_at, loser.last_interaction_at) if t is not None]
    winner.last_interaction_at = max(interactions) if interactions else None
    winner.merged_from = set(winner.merged_from or set()) | {loser.subscriber_id}
