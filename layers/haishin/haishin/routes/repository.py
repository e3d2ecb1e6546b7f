"""Inflow routes in WorkspaceTable (records described in ``haishin.routes.models``): every DynamoDB read and write
of the routes feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError

from haishin.errors import Conflict, NotFound
from haishin.routes.models import (
    PendingRouteModel,
    RouteCodeModel,
    RouteFriendModel,
    RouteModel,
    code_pk,
    friends_pk,
    pending_pk,
    route_sk,
)
from haishin.storage.base import condition_failed, delete_together, save_new_together
from haishin.workspaces.models import workspace_pk


class RouteRepository:
    # ------------------------------------------------------------------ definitions
    def create(self, workspace_id: str, route_id: str, code: str, now: datetime, **values: Any) -> RouteModel:
        """The route and its public code lookup, in one transaction; neither may exist yet."""
        route = RouteModel(pk=workspace_pk(workspace_id), sk=route_sk(route_id), workspace_id=workspace_id,
                           route_id=route_id, code=code, created_at=now, updated_at=now, **values)
        lookup = RouteCodeModel(pk=code_pk(code), sk="route", workspace_id=workspace_id, route_id=route_id)
        if not save_new_together(route, lookup):  # pragma: no cover - codes and IDs are random
            raise Conflict("経路コードが重複しました。もう一度お試しください", where="code")
        return route

    def save(self, route: RouteModel) -> RouteModel:
        route.save()
        return route

    def require(self, workspace_id: str, route_id: str) -> RouteModel:
        try:
            return RouteModel.get(workspace_pk(workspace_id), route_sk(route_id), consistent_read=True)
        except RouteModel.DoesNotExist as exc:
            raise NotFound("流入経路が見つかりません", where=f"route {route_id}") from exc

    def all(self, workspace_id: str) -> list[RouteModel]:
        return list(RouteModel.query(workspace_pk(workspace_id), RouteModel.sk.startswith("route#")))

    def delete(self, route: RouteModel) -> None:
        delete_together(route, RouteCodeModel(pk=code_pk(route.code), sk="route", workspace_id=route.workspace_id,
                                              route_id=route.route_id))

    def by_code(self, code: str) -> RouteModel | None:
        """The route behind a public short code; None for an unknown code (or a route deleted meanwhile)."""
        try:
            lookup = RouteCodeModel.get(code_pk(code), "route")
        except RouteCodeModel.DoesNotExist:
            return None
        try:
            return RouteModel.get(workspace_pk(lookup.workspace_id), route_sk(lookup.route_id))
        except RouteModel.DoesNotExist:
            return None

    # ------------------------------------------------------------------ pending attributions
    def put_pending(self, workspace_id: str, channel_id: str, line_user_id: str, route_id: str, *, at: datetime,
                    expires_at: int, visit: str | None = None) -> None:
        """The latest login wins: a friend who opens two routes before following is attributed to the last one."""
        PendingRouteModel(pk=pending_pk(workspace_id, channel_id, line_user_id), sk="pending", route_id=route_id,
                          login_at=at, expires_at=expires_at, visit=visit or None).save()

    def take_pending(self, workspace_id: str, channel_id: str, line_user_id: str, *,
                     now_epoch: int) -> tuple[str, str | None] | None:
        """The pending route's ID and the visit its login came from, removed; None when there is none, it expired,
        or another consumer took it."""
        try:
            pending = PendingRouteModel.get(pending_pk(workspace_id, channel_id, line_user_id), "pending",
                                            consistent_read=True)
        except PendingRouteModel.DoesNotExist:
            return None
        try:
            pending.delete(condition=PendingRouteModel.route_id == pending.route_id)
        except DeleteError as exc:
            if condition_failed(exc):
                return None
            raise
        return (pending.route_id, pending.visit) if int(pending.expires_at) > now_epoch else None

    # ------------------------------------------------------------------ friends who came by a route
    def record_friend(self, workspace_id: str, route_id: str, subscriber_id: str, *,
                      at: datetime) -> tuple[bool, bool]:
        """Counts the friend's arrival by the route (one atomic update). Returns (first arrival, the 'first time
        only' actions already ran for this friend)."""
        item = RouteFriendModel(pk=friends_pk(workspace_id, route_id), sk=subscriber_id)
        item.update(actions=[RouteFriendModel.arrivals.add(1),
                             RouteFriendModel.first_at.set(RouteFriendModel.first_at | at),
                             RouteFriendModel.last_at.set(at)])
        return int(item.arrivals or 0) == 1, bool(item.actions_done)

    def mark_actions_done(self, workspace_id: str, route_id: str, subscriber_id: str) -> None:
        RouteFriendModel(pk=friends_pk(workspace_id, route_id), sk=subscriber_id).update(
            actions=[RouteFriendModel.actions_done.set(True)])

    def friend_touch(self, workspace_id: str, route_id: str, subscriber_id: str
                     ) -> tuple[datetime, datetime] | None:
        """When the friend first and last came by the route; None when they never did."""
        try:
            item = RouteFriendModel.get(friends_pk(workspace_id, route_id), subscriber_id)
        except RouteFriendModel.DoesNotExist:
            return None
        if item.first_at is None:
            return None
        return item.first_at, item.last_at or item.first_at

    def friend_touches(self, workspace_id: str, route_ids: list[str], subscriber_id: str
                       ) -> dict[str, tuple[datetime, datetime]]:
        """``friend_touch`` for many routes at once (BatchGetItem, 100 keys a call): route ID → (first, last)."""
        keys = [(friends_pk(workspace_id, r), subscriber_id) for r in dict.fromkeys(route_ids)]
        found: dict[str, tuple[datetime, datetime]] = {}
        for item in RouteFriendModel.batch_get(keys, consistent_read=True,
                                               attributes_to_get=["pk", "sk", "first_at", "last_at"]):
            if item.first_at is not None:
                found[item.pk.removeprefix(f"routefriends#{workspace_id}#")] = (item.first_at,
                                                                                 item.last_at or item.first_at)
        return found

    def friend_count(self, workspace_id: str, route_id: str) -> int:
        return sum(1 for _ in RouteFriendModel.query(friends_pk(workspace_id, route_id),
                                                     attributes_to_get=["pk"]))
