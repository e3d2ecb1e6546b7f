"""The only PynamoDB code of outgoing webhooks (items described in ``haishin.webhooks.models``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import PutError

from haishin.errors import NotFound
from haishin.webhooks.models import (
    WebhookDeliveryModel,
    WebhookEndpointModel,
    deliveries_gsi1pk,
    delivery_sk,
    endpoint_sk,
)
from haishin.workspaces.models import workspace_pk

MAX_ENDPOINTS = 20  # per workspace (Stripe allows 16 per account)
SCAN_CAP = 2000  # deliveries read at most for one filtered list


class WebhookRepository:
    # ------------------------------------------------------------------ endpoints
    def get_endpoint(self, workspace_id: str, endpoint_id: str) -> WebhookEndpointModel | None:
        try:
            return WebhookEndpointModel.get(workspace_pk(workspace_id), endpoint_sk(endpoint_id), consistent_read=True)
        except WebhookEndpointModel.DoesNotExist:
            return None

    def require_endpoint(self, workspace_id: str, endpoint_id: str) -> WebhookEndpointModel:
        found = self.get_endpoint(workspace_id, endpoint_id)
        if found is None:
            raise NotFound(f"この Webhook エンドポイントはワークスペースにありません: {endpoint_id}",
                           where="endpoint_id")
        return found

    def endpoints(self, workspace_id: str) -> list[WebhookEndpointModel]:
        return list(WebhookEndpointModel.query(
            workspace_pk(workspace_id), WebhookEndpointModel.sk.startswith("webhook#"), consistent_read=True))

    def save_endpoint(self, endpoint: WebhookEndpointModel) -> None:
        endpoint.save()

    def delete_endpoint(self, workspace_id: str, endpoint_id: str) -> None:
        self.require_endpoint(workspace_id, endpoint_id).delete()

    # ------------------------------------------------------------------ deliveries
    def new_delivery(self, workspace_id: str, delivery_id: str, created_at: datetime) -> WebhookDeliveryModel:
        return WebhookDeliveryModel(
            workspace_pk(workspace_id), delivery_sk(delivery_id), gsi1pk=deliveries_gsi1pk(workspace_id),
            gsi1sk=f"{created_at.isoformat()}#{delivery_id}", workspace_id=workspace_id, delivery_id=delivery_id,
            created_at=created_at, updated_at=created_at)

    def create_delivery(self, delivery: WebhookDeliveryModel) -> bool:
        """Store a new delivery; False when it already exists (the same event for the same endpoint)."""
        try:
            delivery.save(condition=WebhookDeliveryModel.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_delivery(self, workspace_id: str, delivery_id: str) -> WebhookDeliveryModel | None:
        try:
            return WebhookDeliveryModel.get(workspace_pk(workspace_id), delivery_sk(delivery_id),
                                            consistent_read=True)
        except WebhookDeliveryModel.DoesNotExist:
            return None

    def require_delivery(self, workspace_id: str, delivery_id: str) -> WebhookDeliveryModel:
        found = self.get_delivery(workspace_id, delivery_id)
        if found is None:
            raise NotFound(f"この配信記録はありません: {delivery_id}", where="delivery_id")
        return found

    def update_delivery(self, workspace_id: str, delivery_id: str,
                        change: Callable[[WebhookDeliveryModel], None]) -> WebhookDeliveryModel:
        delivery = self.require_delivery(workspace_id, delivery_id)
        change(delivery)
        delivery.save()
        return delivery

    def mark_enqueued(self, workspace_id: str, delivery_id: str) -> None:
        WebhookDeliveryModel(workspace_pk(workspace_id), delivery_sk(delivery_id)).update(
            actions=[WebhookDeliveryModel.enqueued.set(True)])

    def recent_deliveries(self, workspace_id: str, *, limit: int = 50,
                          endpoint_id: str | None = None) -> list[WebhookDeliveryModel]:
        """Newest first; with ``endpoint_id``, among the newest ``SCAN_CAP`` deliveries of the workspace (a bounded
        read: the list is for looking at what happened lately, not an archive)."""
        found: list[WebhookDeliveryModel] = []
        for seen, item in enumerate(WebhookDeliveryModel.by_time.query(
                deliveries_gsi1pk(workspace_id), scan_index_forward=False, page_size=100), start=1):
            if endpoint_id is None or item.endpoint_id == endpoint_id:
                found.append(item)
            if len(found) >= limit or seen >= SCAN_CAP:
                break
        return found
