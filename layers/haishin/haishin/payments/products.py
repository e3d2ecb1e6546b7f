"""Product definitions (one-time, installments 分割払い, subscription 継続課金) and their post-purchase actions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator


class OrderBump(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    amount: int = Field(ge=1)


class ProductDefinition(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["one_time", "installments", "subscription"] = "one_time"
    amount: int = Field(ge=50, description="per payment, in the currency's smallest unit (JPY: yen)")
    currency: Literal["jpy", "usd", "eur"] = "jpy"
    interval: Literal["day", "week", "month", "year"] = "month"
    installments: int = Field(default=0, ge=0, le=60, description="N payments (installments only)")
    order_bump: OrderBump | None = None
    actions: list[dict[str, Any]] = Field(default_factory=list)  # haishin.actions after a purchase
    dunning_scenario_id: str | None = None  # started on a failed payment (督促), stopped when paid or ended
    dunning_tag: str = Field(default="支払い失敗", min_length=1, max_length=100)
    thank_you_message: str | None = Field(default=None, max_length=5000)  # LINE text after purchase
    success_url: HttpUrl | None = None
    # member-site courses (haishin.members) a purchase grants; a refund or the subscription's end takes them back
    course_ids: list[str] = Field(default_factory=list, max_length=20)
    status: Literal["active", "archived"] = "active"

    @model_validator(mode="after")
    def _installments(self) -> ProductDefinition:
        if self.kind == "installments" and self.installments < 2:
            raise ValueError("installments need 2 or more payments")
        if self.kind != "installments" and self.installments:
            raise ValueError("installments is only for kind 'installments'")
        return self

    @property
    def payment_amount(self) -> int:
        return self.amount + (self.order_bump.amount if self.order_bump else 0)
