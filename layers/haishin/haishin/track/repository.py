"""Every DynamoDB read and write of click tracking (records in ``haishin.track.models``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pynamodb.exceptions import PutError

from haishin.storage.base import add_once_per_marker, condition_failed
from haishin.track.models import (
    ClickFriendModel,
    ClickStatsModel,
    LastClickModel,
    TrackedTargetModel,
    friend_pk,
    last_click_pk,
    stats_pk,
    target_pk,
)


class TrackRepository:
    def ensure_target(self, link_id: str, workspace_id: str, target_url: str, now: datetime) -> None:
        """The target record, written once (a conditional put; an existing one is left as it is)."""
        try:
            TrackedTargetModel(pk=target_pk(link_id), sk="target", workspace_id=workspace_id, target_url=target_url,
                               created_at=now).save(condition=TrackedTargetModel.pk.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise

    def target(self, link_id: str) -> TrackedTargetModel | None:
        try:
            return TrackedTargetModel.get(target_pk(link_id), "target")
        except TrackedTargetModel.DoesNotExist:
            return None

    def count(self, workspace_id: str, scope: str, sub: str, subscriber_id: str, now: datetime) -> bool:
        """One click on (scope, sub); True when it is this friend's first there (``unique_friends`` grew with it,
        in the same transaction as the friend's marker)."""
        ClickStatsModel(pk=stats_pk(workspace_id, scope), sk=sub).update(actions=[ClickStatsModel.clicks.add(1)])
        return add_once_per_marker(
            ClickFriendModel(pk=friend_pk(workspace_id, scope, sub), sk=subscriber_id, first_at=now),
            ClickStatsModel(pk=stats_pk(workspace_id, scope), sk=sub), [ClickStatsModel.unique_friends.add(1)])

    def add(self, workspace_id: str, scope: str, sub: str) -> None:
        """One click on (scope, sub) by nobody known (a rich menu's shared URL): the total only."""
        ClickStatsModel(pk=stats_pk(workspace_id, scope), sk=sub).update(actions=[ClickStatsModel.clicks.add(1)])

    def note_last_click(self, workspace_id: str, subscriber_id: str, source: str, at: datetime) -> None:
        LastClickModel(pk=last_click_pk(workspace_id, subscriber_id), sk="click", source=source, at=at).save()

    def last_click(self, workspace_id: str, subscriber_id: str) -> tuple[str, datetime] | None:
        try:
            item = LastClickModel.get(last_click_pk(workspace_id, subscriber_id), "click")
        except LastClickModel.DoesNotExist:
            return None
        return item.source, item.at

    def friends(self, workspace_id: str, scope: str, sub: str) -> Iterator[str]:
        for item in ClickFriendModel.query(friend_pk(workspace_id, scope, sub)):
            yield item.sk

    def stats(self, workspace_id: str, scope: str) -> dict[str, tuple[int, int]]:
        """(clicks, unique friends) of every sub of a scope."""
        return {item.sk: (int(item.clicks or 0), int(item.unique_friends or 0))
                for item in ClickStatsModel.query(stats_pk(workspace_id, scope))}


__all__ = ["TrackRepository"]
