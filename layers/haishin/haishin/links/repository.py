"""Tracked links in WorkspaceTable (the records are described in ``haishin.links.models``): every DynamoDB read and
write of the links feature. ``haishin.links.service`` decides what a click does; this module says how it is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from haishin.errors import Conflict, NotFound
from haishin.links.models import (
    LinkFriendClickModel,
    LinkLookupModel,
    LinkModel,
    LinkStatsModel,
    clicks_pk,
    link_sk,
    lookup_pk,
    stats_pk,
)
from haishin.storage.base import condition_failed, connection, delete_together, save_new_together
from haishin.workspaces.models import workspace_pk


class LinkRepository:
    # ------------------------------------------------------------------ definitions
    def create(self, workspace_id: str, link_id: str, *, name: str, target_url: str, inflow_route: str | None,
               actions: list[dict[str, Any]], now: datetime) -> LinkModel:
        """The link and its public lookup, in one transaction; neither may exist yet (Conflict otherwise)."""
        link = LinkModel(pk=workspace_pk(workspace_id), sk=link_sk(link_id), workspace_id=workspace_id,
                         link_id=link_id, name=name, target_url=target_url, inflow_route=inflow_route,
                         actions=actions, created_at=now, updated_at=now)
        lookup = LinkLookupModel(pk=lookup_pk(link.link_id), sk="link", workspace_id=link.workspace_id,
                                 link_id=link.link_id)
        if not save_new_together(link, lookup):  # pragma: no cover - IDs are random
            raise Conflict("リンク ID が重複しました。もう一度お試しください", where="link_id")
        return link

    def require(self, workspace_id: str, link_id: str) -> LinkModel:
        try:
            return LinkModel.get(workspace_pk(workspace_id), link_sk(link_id), consistent_read=True)
        except LinkModel.DoesNotExist as exc:
            raise NotFound("link not found", where=f"link {link_id}") from exc

    def all(self, workspace_id: str) -> list[LinkModel]:
        return list(LinkModel.query(workspace_pk(workspace_id), LinkModel.sk.startswith("link#")))

    def delete(self, link: LinkModel) -> None:
        """The link and its public lookup, in one transaction."""
        delete_together(link, LinkLookupModel(pk=lookup_pk(link.link_id), sk="link", workspace_id=link.workspace_id,
                                              link_id=link.link_id))

    def workspace_of(self, link_id: str) -> str | None:
        """The workspace behind a public link ID (``/c/<link_id>`` carries none); None for an unknown link."""
        try:
            return LinkLookupModel.get(lookup_pk(link_id), "link").workspace_id
        except LinkLookupModel.DoesNotExist:
            return None

    # ------------------------------------------------------------------ counters
    def stats(self, workspace_id: str, link_ids: list[str]) -> dict[str, LinkStatsModel]:
        """The stats item of each link that has one, by link ID (one BatchGetItem)."""
        keys = [(stats_pk(workspace_id, link_id), "stats") for link_id in link_ids]
        found: dict[str, LinkStatsModel] = {}
        for item in LinkStatsModel.batch_get(keys):
            found[item.pk.rsplit("#", 1)[1]] = item
        return found

    def count_click(self, workspace_id: str, link_id: str, *, friend: bool) -> None:
        """One click (ADD, so concurrent clicks never lose a count): total, and friend or anonymous."""
        which = LinkStatsModel.friend_clicks if friend else LinkStatsModel.anonymous_clicks
        LinkStatsModel(pk=stats_pk(workspace_id, link_id), sk="stats").update(
            actions=[LinkStatsModel.clicks.add(1), which.add(1)])

    def friend_clicks(self, workspace_id: str, link_id: str) -> Iterator[tuple[str, datetime | None]]:
        """(subscriber ID, first click) of every friend who clicked ``link_id`` through a per-friend URL."""
        for item in LinkFriendClickModel.query(clicks_pk(workspace_id, link_id)):
            yield item.sk, item.first_at

    # ------------------------------------------------------------------ one friend's first click
    def claim_first_click(self, workspace_id: str, link_id: str, subscriber_id: str, *, now: datetime,
                          epoch: int, lease_until: int) -> bool:
        """Count this friend's click; True when this call owns running the link's actions: the friend's first
        click, or taking over a claim whose lease (``lease_until`` < ``epoch``) ran out while in progress."""
        item = LinkFriendClickModel(pk=clicks_pk(workspace_id, link_id), sk=subscriber_id)
        try:
            item.update(
                actions=[LinkFriendClickModel.status.set("in_progress"),
                         LinkFriendClickModel.lease_until.set(lease_until),
                         LinkFriendClickModel.first_at.set(LinkFriendClickModel.first_at | now),
                         LinkFriendClickModel.clicks.add(1)],
                condition=LinkFriendClickModel.pk.does_not_exist()
                | ((LinkFriendClickModel.status == "in_progress") & (LinkFriendClickModel.lease_until < epoch)))
            return True
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
        item.update(actions=[LinkFriendClickModel.clicks.add(1)])
        return False

    def release_claim(self, workspace_id: str, link_id: str, subscriber_id: str) -> bool:
        """Ends the lease of an in-progress claim so the next click retries; False when it could not
        (best effort: the lease expires anyway)."""
        try:
            LinkFriendClickModel(pk=clicks_pk(workspace_id, link_id), sk=subscriber_id).update(
                actions=[LinkFriendClickModel.lease_until.set(0)],
                condition=LinkFriendClickModel.status == "in_progress")
        except (UpdateError, DeleteError):
            return False
        return True

    def complete_claim(self, workspace_id: str, link_id: str, subscriber_id: str) -> bool:
        """Marks the claim done and counts the friend in ``unique_friends``, in one transaction; False when the
        claim was no longer in progress (a concurrent take-over finished first and counted this friend)."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(LinkFriendClickModel(pk=clicks_pk(workspace_id, link_id), sk=subscriber_id),
                          actions=[LinkFriendClickModel.status.set("done"), LinkFriendClickModel.lease_until.set(0)],
                          condition=LinkFriendClickModel.status == "in_progress")
                tx.update(LinkStatsModel(pk=stats_pk(workspace_id, link_id), sk="stats"),
                          actions=[LinkStatsModel.unique_friends.add(1)])
        except TransactWriteError:
            return False
        return True


__all__ = ["LinkRepository"]
