"""The admin's schemas of a webhook endpoint (pydantic).

Apart from ``models.py`` so the webhook sender (which reads and writes only the items) does not import pydantic on
its cold start; the admin API and the service's type hints use these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from haishin.webhooks.models import EVENT_TYPES

EventType = Literal[
    "friend_added", "blocked", "tag_added", "tag_removed", "form_submitted", "purchase_completed",
    "subscription_created", "subscription_updated", "subscription_canceled", "subscription_payment_failed",
    "unsubscribed", "purchase_refunded", "coupon_redeemed", "booking_created", "seminar_registered",
    "seminar_attended", "lesson_completed", "course_completed", "subscription_invoice_paid",
]


class EndpointDefinition(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    url: HttpUrl
    description: str = Field(default="", max_length=200)
    enabled: bool = True
    events: list[EventType] = Field(default_factory=list, max_length=len(EVENT_TYPES))

    @field_validator("events")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    url: HttpUrl | None = None
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None
    events: list[EventType] | None = Field(default=None, max_length=len(EVENT_TYPES))
