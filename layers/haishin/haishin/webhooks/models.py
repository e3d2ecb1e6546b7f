"""Webhook endpoints and deliveries: the items in WorkspaceTable (the admin's schemas are in ``schemas.py``).

- endpoint: pk ``ws#<workspace_id>`` sk ``webhook#<endpoint_id>``. Its signing secret is NOT here: it lives in the
  secret store under ``<prefix>/<workspace_id>/webhooks/<endpoint_id>`` and is shown once, when created or rotated.
- delivery: pk ``ws#<workspace_id>`` sk ``whdelivery#<delivery_id>`` (deterministic: one per event and endpoint, so
  a retried cause finds it instead of sending twice), gsi1pk ``whdeliveries#<workspace_id>``
  gsi1sk ``<created iso>#<delivery_id>`` (recent deliveries, newest first); kept ``DELIVERY_TTL`` (expires_at).
"""

from __future__ import annotations

from typing import Literal

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta

# What an endpoint may subscribe to (the admin offers these; docs/production/webhooks.md describes each payload).
EVENT_TYPES: tuple[str, ...] = (
    "friend_added", "blocked", "tag_added", "tag_removed", "form_submitted", "purchase_completed",
    "subscription_created", "subscription_updated", "subscription_canceled", "subscription_payment_failed",
    "unsubscribed", "purchase_refunded", "coupon_redeemed", "booking_created", "seminar_registered",
    "seminar_attended", "lesson_completed", "course_completed", "subscription_invoice_paid",
)
# Sent only to the endpoint named: the call_webhook action and the admin's test button.
DIRECT_TYPES: tuple[str, ...] = ("action", "test")
Status = Literal["queued", "retrying", "delivered", "failed"]


def endpoint_sk(endpoint_id: str) -> str:
    return f"webhook#{endpoint_id}"


def delivery_sk(delivery_id: str) -> str:
    return f"whdelivery#{delivery_id}"


def deliveries_gsi1pk(workspace_id: str) -> str:
    return f"whdeliveries#{workspace_id}"


class WebhookEndpointModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    url = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    enabled = BooleanAttribute(default=True)
    events = UnicodeSetAttribute(null=True)
    secret_hint = UnicodeAttribute(null=True)  # "…abcd": the only form the secret is shown in again
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class DeliveryGsi1(GlobalSecondaryIndex["WebhookDeliveryModel"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class WebhookDeliveryModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_time = DeliveryGsi1()
    workspace_id = UnicodeAttribute()
    delivery_id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    event = JSONTextAttribute()  # the JSON body sent (the same bytes on every attempt)
    status = UnicodeAttribute(default="queued")
    enqueued = BooleanAttribute(default=False)  # set once its first queue message was sent
    attempts = NumberAttribute(default=0)
    attempt_log = JSONTextAttribute(default=list)  # the last few attempts: at, status code, duration, error
    next_attempt_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute(null=True)
