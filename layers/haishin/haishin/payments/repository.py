"""Products, orders, Stripe references and Stripe events kept for review in WorkspaceTable (the records are
described in ``haishin.payments.models``): every DynamoDB read and write of ``haishin.payments.service``.
The service decides what a Stripe event means; this module says how it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from haishin import clock
from haishin.errors import Conflict, NotFound
from haishin.payments.models import (
    OrderModel,
    ProductLookupModel,
    ProductModel,
    RefModel,
    StripeEventRecordModel,
)
from haishin.storage.base import DefinitionRows, condition_failed, connection, iso
from haishin.workspaces.models import workspace_pk

MAX_ORDER_RETRIES = 8


def product_sk(product_id: str) -> str:
    return f"product#{product_id}"


def order_sk(order_id: str) -> str:
    return f"order#{order_id}"


def ref_pk(workspace_id: str, stripe_id: str) -> str:
    return f"stripe#{workspace_id}#{stripe_id}"


def subscriber_orders_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"ordersub#{workspace_id}#{subscriber_id}"


def set_buyer(order: OrderModel, subscriber_id: str) -> None:
    """Names the friend who bought an order, and files it under that friend's orders (gsi1); in memory only
    (for a new order before ``create_order``, or inside a ``mutate_order`` change)."""
    order.subscriber_id = subscriber_id
    order.gsi1pk = subscriber_orders_pk(order.workspace_id, subscriber_id)
    order.gsi1sk = f"{iso(order.created_at)}#{order.order_id}"

_PRODUCTS = DefinitionRows(ProductModel, partition=workspace_pk, key=product_sk, id_attr="product_id",
                           missing="product not found", label="product")


class PaymentRepository:
    # ------------------------------------------------------------------ products
    def create_product(self, workspace_id: str, product_id: str, definition: dict[str, Any], *,
                       now: datetime) -> ProductModel:
        """The product (version 1) and its public lookup, in one transaction (the product may not exist yet)."""
        product = _PRODUCTS.new(workspace_id, product_id, definition, now=now)
        with TransactWrite(connection=connection()) as tx:
            tx.save(product, condition=ProductModel.pk.does_not_exist())
            tx.save(ProductLookupModel(pk=f"product#{product_id}", sk="product", workspace_id=workspace_id,
                                       product_id=product_id))
        product.version = 1
        return product

    def require_product(self, workspace_id: str, product_id: str) -> ProductModel:
        return _PRODUCTS.require(workspace_id, product_id)

    def products(self, workspace_id: str) -> list[ProductModel]:
        return _PRODUCTS.all(workspace_id)

    def save_product_definition(self, product: ProductModel, definition: dict[str, Any], *,
                                now: datetime) -> None:
        """A new definition on the version read (``version`` makes a concurrent edit fail)."""
        _PRODUCTS.save_definition(product, definition, now=now)

    def product_workspace(self, product_id: str) -> str | None:
        """The workspace behind a public product ID (``/p/<product_id>`` carries none); None when unknown."""
        try:
            return ProductLookupModel.get(f"product#{product_id}", "product").workspace_id
        except ProductLookupModel.DoesNotExist:
            return None

    # ------------------------------------------------------------------ orders
    def create_order(self, workspace_id: str, order_id: str, *, product_id: str, subscriber_id: str | None,
                     kind: str, mode: str, amount: int, installments: int, now: datetime,
                     ref: str | None = None, partner_ref: tuple[str, datetime] | None = None,
                     funnel_ref: str | None = None) -> OrderModel:
        """A new pending order (no facts yet), filed under its friend's orders when the friend is known."""
        order = OrderModel(pk=workspace_pk(workspace_id), sk=order_sk(order_id), workspace_id=workspace_id,
                           order_id=order_id, product_id=product_id, subscriber_id=subscriber_id,
                           kind=kind, mode=mode, amount=amount, installments=installments, created_at=now,
                           updated_at=now, facts={}, ref=ref or None,
                           partner_ref=partner_ref[0] if partner_ref else None,
                           partner_ref_at=partner_ref[1] if partner_ref else None, funnel_ref=funnel_ref or None)
        if subscriber_id:
            set_buyer(order, subscriber_id)
        order.save()
        return order

    def require_order(self, workspace_id: str, order_id: str) -> OrderModel:
        try:
            return OrderModel.get(workspace_pk(workspace_id), order_sk(order_id), consistent_read=True)
        except OrderModel.DoesNotExist as exc:
            raise NotFound("order not found", where=f"order {order_id}") from exc

    def orders(self, workspace_id: str) -> list[OrderModel]:
        """The workspace's orders, newest first."""
        return list(OrderModel.query(workspace_pk(workspace_id), OrderModel.sk.startswith("order#"),
                                     scan_index_forward=False))

    def subscriber_orders(self, workspace_id: str, subscriber_id: str, *, newest_first: bool
                          ) -> Iterator[OrderModel]:
        """One friend's orders (gsi1), read page by page as the caller iterates."""
        yield from OrderModel.by_subscriber.query(subscriber_orders_pk(workspace_id, subscriber_id),
                                                  scan_index_forward=False if newest_first else None)

    def mutate_order(self, workspace_id: str, order_id: str, change: Callable[[OrderModel], Any]) -> OrderModel:
        """Read the order, apply ``change``, save on the version read; re-read and re-apply when another writer
        saved first (Conflict after ``MAX_ORDER_RETRIES`` tries)."""
        for _ in range(MAX_ORDER_RETRIES):
            order = self.require_order(workspace_id, order_id)
            change(order)
            order.updated_at = clock.now()
            try:
                order.save()
                return order
            except (PutError, TransactWriteError) as exc:
                if not condition_failed(exc):
                    raise
        raise Conflict("order kept changing; try again", where=f"order {order_id}")

    # ------------------------------------------------------------------ Stripe object -> order references
    def link_stripe_ids(self, workspace_id: str, order_id: str, stripe_ids: Iterable[str]) -> None:
        """Points each Stripe object ID (payment intent, subscription, charge) at the order (one put each)."""
        for stripe_id in stripe_ids:
            RefModel(pk=ref_pk(workspace_id, stripe_id), sk="ref", order_id=order_id).save()

    def order_id_for_stripe_ids(self, workspace_id: str, stripe_ids: Iterable[str]) -> str | None:
        """The order the first known Stripe object ID points at (read one by one, stopping at the first)."""
        for stripe_id in stripe_ids:
            try:
                return RefModel.get(ref_pk(workspace_id, stripe_id), "ref", consistent_read=True).order_id
            except RefModel.DoesNotExist:
                continue
        return None

    # ------------------------------------------------------------------ Stripe events kept for review
    def keep_event_for_review(self, workspace_id: str, event: dict[str, Any], *, outcome: str,
                              order_id: str | None, order_mode: str | None, now: datetime,
                              expires_at: int) -> StripeEventRecordModel:
        """Records (or, delivered again, updates and counts) a Stripe event kept for review."""
        event_id = str(event["id"])
        livemode = event.get("livemode")
        try:
            record = StripeEventRecordModel.get(workspace_pk(workspace_id), f"stripe_event#{event_id}",
                                                consistent_read=True)
            record.deliveries = int(record.deliveries or 0) + 1
        except StripeEventRecordModel.DoesNotExist:
            record = StripeEventRecordModel(pk=workspace_pk(workspace_id), sk=f"stripe_event#{event_id}",
                                            workspace_id=workspace_id, event_id=event_id, first_received_at=now)
        record.event_type = str(event.get("type") or "")
        record.livemode = None if livemode is None else str(bool(livemode)).lower()
        record.outcome = outcome
        record.order_id = order_id
        record.order_mode = order_mode
        record.event = event
        record.last_received_at = now
        record.expires_at = expires_at
        record.save()
        return record

    def review_events(self, workspace_id: str) -> Iterator[StripeEventRecordModel]:
        """Every kept event of the workspace, expired ones included (TTL deletion is lazy: callers filter)."""
        yield from StripeEventRecordModel.query(workspace_pk(workspace_id),
                                                StripeEventRecordModel.sk.startswith("stripe_event#"))

    def require_review_event(self, workspace_id: str, event_id: str) -> StripeEventRecordModel:
        try:
            return StripeEventRecordModel.get(workspace_pk(workspace_id), f"stripe_event#{event_id}",
                                              consistent_read=True)
        except StripeEventRecordModel.DoesNotExist as exc:
            raise NotFound("no such Stripe event kept for review", where=f"event {event_id}") from exc

    def set_review_outcome(self, record: StripeEventRecordModel, outcome: str) -> None:
        record.outcome = outcome
        record.save()


__all__ = ["MAX_ORDER_RETRIES", "PaymentRepository", "order_sk", "product_sk", "ref_pk", "set_buyer"]
