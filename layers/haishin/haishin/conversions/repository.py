"""Every DynamoDB read and write of conversions (records in ``haishin.conversions.models``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from haishin.conversions.models import (
    ConversionCodeModel,
    ConversionFriendModel,
    ConversionLogModel,
    ConversionPointModel,
    ConversionStatsModel,
    code_pk,
    friend_pk,
    log_pk,
    points_pk,
    stats_pk,
)
from haishin.errors import Conflict, NotFound
from haishin.storage.base import add_once_per_marker, delete_together, iso, save_new_together


class ConversionRepository:
    # ------------------------------------------------------------------ points
    def create(self, point: ConversionPointModel, workspace_id: str) -> None:
        """The point and its global code record together (a code already taken is a Conflict)."""
        if not save_new_together(ConversionCodeModel(pk=code_pk(point.sk), sk="code", workspace_id=workspace_id),
                                 point):
            raise Conflict("このコードは使われています", where="code")

    def save(self, point: ConversionPointModel) -> None:
        point.save()

    def delete(self, workspace_id: str, code: str) -> None:
        delete_together(ConversionPointModel(pk=points_pk(workspace_id), sk=code),
                        ConversionCodeModel(pk=code_pk(code), sk="code"))

    def get(self, workspace_id: str, code: str) -> ConversionPointModel | None:
        try:
            return ConversionPointModel.get(points_pk(workspace_id), code)
        except ConversionPointModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, code: str) -> ConversionPointModel:
        point = self.get(workspace_id, code)
        if point is None:
            raise NotFound("コンバージョンポイントが見つかりません", where="code")
        return point

    def points(self, workspace_id: str) -> list[ConversionPointModel]:
        return list(ConversionPointModel.query(points_pk(workspace_id)))

    def workspace_of(self, code: str) -> str | None:
        try:
            return ConversionCodeModel.get(code_pk(code), "code").workspace_id
        except ConversionCodeModel.DoesNotExist:
            return None

    # ------------------------------------------------------------------ counting
    def add(self, workspace_id: str, scope: str, sub: str, subscriber_id: str, value: int, now: datetime) -> bool:
        """One conversion worth ``value`` on (scope, sub): ADD conversions and revenue; unique friends once per
        friend (its marker and the ADD in one transaction); the friend's revenue there grows by ``value``.
        True when it is this friend's first conversion there."""
        ConversionStatsModel(pk=stats_pk(workspace_id, scope), sk=sub).update(
            actions=[ConversionStatsModel.conversions.add(1), ConversionStatsModel.revenue.add(value)])
        first = add_once_per_marker(
            ConversionFriendModel(pk=friend_pk(workspace_id, scope, sub), sk=subscriber_id, first_at=now, revenue=0),
            ConversionStatsModel(pk=stats_pk(workspace_id, scope), sk=sub),
            [ConversionStatsModel.unique_friends.add(1)])
        if value:
            ConversionFriendModel(pk=friend_pk(workspace_id, scope, sub), sk=subscriber_id).update(
                actions=[ConversionFriendModel.revenue.add(value)])
        return first

    def stats(self, workspace_id: str, scope: str) -> dict[str, tuple[int, int, int]]:
        """(conversions, unique friends, revenue) of every sub of a scope."""
        return {item.sk: (int(item.conversions or 0), int(item.unique_friends or 0), int(item.revenue or 0))
                for item in ConversionStatsModel.query(stats_pk(workspace_id, scope))}

    def friends(self, workspace_id: str, scope: str, sub: str) -> Iterator[tuple[str, int]]:
        """(friend, revenue) of every friend who converted on (scope, sub)."""
        for item in ConversionFriendModel.query(friend_pk(workspace_id, scope, sub)):
            yield item.sk, int(item.revenue or 0)

    # ------------------------------------------------------------------ log
    def log(self, workspace_id: str, code: str, conversion_id: str, *, subscriber_id: str, value: int, cause: str,
            attribution: dict[str, Any], at: datetime) -> None:
        ConversionLogModel(pk=log_pk(workspace_id, code), sk=f"{iso(at)}#{conversion_id}", subscriber_id=subscriber_id,
                           value=value, cause=cause, attribution=attribution, at=at).save()

    def recent(self, workspace_id: str, code: str, limit: int = 20) -> list[ConversionLogModel]:
        return list(ConversionLogModel.query(log_pk(workspace_id, code), scan_index_forward=False, limit=limit))


__all__ = ["ConversionRepository"]
