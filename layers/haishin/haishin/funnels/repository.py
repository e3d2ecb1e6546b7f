"""Funnels in WorkspaceTable (records in ``haishin.funnels.models``): every DynamoDB read and write of the feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from haishin.errors import Conflict, NotFound
from haishin.funnels.models import (
    FunnelModel,
    FunnelOrderModel,
    FunnelStatsModel,
    FunnelVisitorModel,
    funnel_sk,
    order_sk,
    stats_pk,
    stats_sk,
    visitor_sk,
)
from haishin.storage.base import condition_failed, connection
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
        for order in FunnelOrderModel.query(stats_pk(item.workspace_id, item.funnel_id),
                                            FunnelOrderModel.sk.startswith("order#")):
            order.delete()
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

    def add_purchase(self, workspace_id: str, funnel_id: str, order_id: str, page_id: str, variant: str,
                     amount: int) -> bool:
        """Count a paid order on the page's variant: the order's record and the counters' ADD in one transaction,
        on condition the order was not counted yet (False: it was)."""
        pk = stats_pk(workspace_id, funnel_id)
        order = FunnelOrderModel(pk=pk, sk=order_sk(order_id), page_id=page_id, variant=variant, amount=amount,
                                 refunded=0)
        stat = FunnelStatsModel(pk=pk, sk=stats_sk(page_id, variant))
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(order, condition=FunnelOrderModel.pk.does_not_exist())
                transaction.update(stat, actions=[
                    FunnelStatsModel.purchases.add(1), FunnelStatsModel.revenue.add(amount),
                    FunnelStatsModel.revenue_squares.add(amount * amount), FunnelStatsModel.page_id.set(page_id),
                    FunnelStatsModel.variant.set(variant)])
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def add_refund(self, workspace_id: str, funnel_id: str, order_id: str, refunded_total: int) -> int:
        """A counted order's refunds reached ``refunded_total``: ADD what is new to its variant's ``refunded`` (the
        order's record remembers how much was counted, the transaction's condition that nobody counted it
        meanwhile). Answers the amount added (0: not a counted order, or nothing new)."""
        pk = stats_pk(workspace_id, funnel_id)
        for _ in range(3):
            try:
                order = FunnelOrderModel.get(pk, order_sk(order_id), consistent_read=True)
            except FunnelOrderModel.DoesNotExist:
                return 0
            before = int(order.refunded or 0)
            new = min(refunded_total, int(order.amount or 0)) - before
            if new <= 0:
                return 0
            stat = FunnelStatsModel(pk=pk, sk=stats_sk(order.page_id, order.variant))
            try:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.update(order, actions=[FunnelOrderModel.refunded.set(before + new)],
                                       condition=FunnelOrderModel.refunded == before)
                    transaction.update(stat, actions=[FunnelStatsModel.refunded.add(new)])
            except TransactWriteError as exc:
                if condition_failed(exc):
                    continue  # another refund event counted meanwhile: read again
                raise
            return new
        return 0
