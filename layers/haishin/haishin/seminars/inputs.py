"""What the admin sends for a seminar and its sessions (validated; errors name the field)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Price(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["free", "product"] = "free"
    product_id: str | None = Field(default=None, max_length=64)  # a haishin.payments product (Stripe)
    hold_minutes: int = Field(default=30, ge=5, le=1440)  # how long an unpaid seat is held for the friend

    @model_validator(mode="after")
    def _product_named(self) -> Price:
        if self.kind == "product" and not self.product_id:
            raise ValueError("有料のセミナーには商品 (product_id) を選んでください")
        return self


class ReminderIn(BaseModel):
    """One reminder of the event: sent ``minutes_before`` its session's start to every friend holding a seat."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    minutes_before: int = Field(ge=5, le=43_200)  # 5 minutes .. 30 days
    channel: Literal["line", "email"] = "line"
    subject: str = Field(default="", max_length=200)  # e-mail only (blank: 「<title> のご案内」)
    text: str = Field(min_length=1, max_length=2000)  # the scenario engine's template ({{ fields.seminar_place }} ...)


class SeminarIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    price: Price = Field(default_factory=Price)
    attended_tag: str = Field(default="", max_length=100)  # default: "<title> 参加"
    no_show_tag: str = Field(default="", max_length=100)  # default: "<title> 欠席"
    # reminders: a scenario started for each confirmed friend, its steps timed from the field ``seminar_start``
    # (relative_to_date with ``minutes``, e.g. -1440 and -60); restarted when the friend moves, stopped on cancel
    reminder_scenario_id: str = Field(default="", max_length=64)
    # or the event's own reminders (a scenario kept for this event, timed from its own field): not both
    reminders: list[ReminderIn] = Field(default_factory=list, max_length=5)


class SessionIn(BaseModel):
    """Times: ISO 8601; without an offset they are read in the workspace's time zone (Asia/Tokyo by default)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    starts_at: datetime
    ends_at: datetime
    deadline: datetime | None = None  # default: the start
    venue: str = Field(default="", max_length=200)
    online_url: str = Field(default="", max_length=500, pattern=r"^(|https://\S+)$")
    capacity: int = Field(ge=1, le=100_000)


class RegisterIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    subscriber_id: str = Field(min_length=1, max_length=64)
    session_id: str = Field(min_length=1, max_length=64)


class MoveIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    session_id: str = Field(min_length=1, max_length=64)


class CheckInIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    code: str = Field(min_length=1, max_length=300)  # the text of the friend's QR


class AttendanceIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    attendance: Literal["attended", "no_show", ""]
