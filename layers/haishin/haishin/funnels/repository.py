"""Funnels in WorkspaceTable (records in ``haishin.funnels.models``): every DynamoDB read and write of the feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from haishin.errors import Conflict, NotFound
from haishin.funnels.models import (
    FunnelModel,
    FunnelStatsModel,
    FunnelVisitorModel,
    funnel_sk,
    stats_pk,
    stats_sk,
    visitor_sk,
)
from haishin.storage.base import condition_failed
from haishin.workspaces.models import workspace_pk

Counter = Literal["visitors", "optins", "checkouts"]


class FunnelRepository:
    def create(self, workspace_id: str, funnel_id: str, definition: dict[str, Any], *, now: datetime) -> FunnelModel:
        item = FunnelModel(pk=workspace_pk(workspace_id), sk=funnel_sk(funnel_id), workspace_id=workspace_id,
                           funnel_id=funnel_id, definition=definition, created_at=now, updated_at=now)
        item.save(condition=FunnelModel.pk.does_not_exist())
        return item

    def get(self, workspace_id: str, funnel_id: str) -> FunnelModel | None:
        try:
            return FunnelModel.get(workspace_pk(workspace_id), funnel_sk(funnel_id), consistent_read=True)
        except FunnelModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, funnel_id: str) -> FunnelModel:
        item = self.get(workspace_id, funnel_id)
        if item is None:
            raise NotFound("ファネルが見つかりません", where=f"funnel {funnel_id}")
        return item

    def all(self, workspace_id: str) -> list[FunnelModel]:
        return list(FunnelModel.query(workspace_pk(workspace_id), FunnelModel.sk.startswith("fn#")))

    def save_definition(self, item: FunnelModel, definition: dict[str, Any], *, now: datetime) -> None:
        item.definition = definition
        item.updated_at = now
        try:
            item.save()
        except Exception as exc:
            if condition_failed(exc):
                raise Conflict("ファネルがほかの操作で変わりました。再読み込みしてからもう一度お試しください",
                               where=f"funnel {item.funnel_id}") from exc
            raise

    def delete(self, item: FunnelModel) -> None:
        for stat in self.stats(item.workspace_id, item.funnel_id):
            stat.delete()
        for visitor in FunnelVisitorModel.query(stats_pk(item.workspace_id, item.funnel_id),
                                                FunnelVisitorModel.sk.startswith("visitor#")):
            visitor.delete()
        item.delete()

    # ------------------------------------------------------------------ visitors
    def remember(self, workspace_id: str, funnel_id: str, visitor_id: str, *, expires_at: int,
                 subscriber_id: str | None = None, order_id: str | None = None,
                 offer_order_id: str | None = None) -> None:
        """Note who the visitor became (only the attributes given change; the TTL moves on). ``offer_order_id``
        joins the visitor's upsell / downsell orders."""
        item = FunnelVisitorModel(pk=stats_pk(workspace_id, funnel_id), sk=visitor_sk(visitor_id))
        actions: list[Any] = [FunnelVisitorModel.expires_at.set(expires_at)]
        if subscriber_id:
            actions.append(FunnelVisitorModel.subscriber_id.set(subscriber_id))
        if order_id:
            actions.append(FunnelVisitorModel.order_id.set(order_id))
        if offer_order_id:
            actions.append(FunnelVisitorModel.offer_orders.add({offer_order_id}))
        item.update(actions=actions)

    def visitor(self, workspace_id: str, funnel_id: str, visitor_id: str, *, now: int) -> FunnelVisitorModel | None:
        try:
            item = FunnelVisitorModel.get(stats_pk(workspace_id, funnel_id), visitor_sk(visitor_id),
                                          consistent_read=True)
        except FunnelVisitorModel.DoesNotExist:
            return None
        return item if int(item.expires_at or 0) > now else None

    # ------------------------------------------------------------------ stats
    def add(self, workspace_id: str, funnel_id: str, page_id: str, variant: str, counter: Counter) -> None:
        item = FunnelStatsModel(pk=stats_pk(workspace_id, funnel_id), sk=stats_sk(page_id, variant))
        item.update(actions=[getattr(FunnelStatsModel, counter).add(1), FunnelStatsModel.page_id.set(page_id),
                             FunnelStatsModel.variant.set(variant)])

    def stats(self, workspace_id: str, funnel_id: str) -> list[FunnelStatsModel]:
        return list(FunnelStatsModel.query(stats_pk(workspace_id, funnel_id),
                                           FunnelStatsModel.sk.startswith("stat#"), consistent_read=True))
