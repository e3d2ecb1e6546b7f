"""What the admin sends for staff (担当者) and menus (メニュー); messages in Japanese."""

from __future__ import annotations

import itertools
import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

UNIT_MINUTES = 15  # the grid every slot and duration sits on (haishin.bookings.models.UNIT_MINUTES)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
MENU_CAPACITY_MAX_MINUTES = 300
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def _ranges(value: list[list[str]], where: str) -> list[list[str]]:
    cleaned: list[tuple[int, int]] = []
    for pair in value:
        if len(pair) != 2 or not all(isinstance(p, str) and _HHMM.match(p) for p in pair):
            raise ValueError(f'{where}: 時間帯は ["10:00", "18:00"] の形で入力してください')
        start, end = minutes(pair[0]), minutes(pair[1])
        if start % UNIT_MINUTES or end % UNIT_MINUTES:
            raise ValueError(f"{where}: 時刻は {UNIT_MINUTES} 分刻みで入力してください ({pair[0]}〜{pair[1]})")
        if end <= start:
            raise ValueError(f"{where}: 終了 {pair[1]} は開始 {pair[0]} より後にしてください")
        cleaned.append((start, end))
    cleaned.sort()
    for (_, end1), (start2, _) in itertools.pairwise(cleaned):
        if start2 < end1:
            raise ValueError(f"{where}: 時間帯が重なっています")
    return [list(p) for p in value]


class StaffInput(BaseModel):
    """A staff member: open hours per weekday in the workspace's zone, exceptions per date, capacity."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    # "mon".."sun" -> [["10:00", "18:00"], ...]; a missing day is closed
    hours: dict[str, list[list[str]]] = Field(default_factory=dict)
    # "2026-12-24" -> hours for that date instead of the weekday's ([] = closed all day)
    exceptions: dict[str, list[list[str]]] = Field(default_factory=dict)
    capacity: int = Field(default=1, ge=1, le=100)  # friends served at once (a group lesson: more than 1)
    menu_ids: list[str] = Field(default_factory=list)  # menus this person offers; empty = every menu
    active: bool = True

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"曜日 '{day}' は mon, tue, wed, thu, fri, sat, sun のいずれかです")
            _ranges(ranges, f"営業時間 ({day})")
        return value

    @field_validator("exceptions")
    @classmethod
    def _exceptions(cls, value: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
        for day, ranges in value.items():
            try:
                date.fromisoformat(day)
            except ValueError as exc:
                raise ValueError(f"例外日 '{day}' は 2026-12-24 の形で入力してください") from exc
            _ranges(ranges, f"例外日 {day}")
        return value


class MenuInput(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    duration_minutes: int = Field(ge=UNIT_MINUTES, le=480)
    price: int | None = Field(default=None, ge=0)  # 円, shown only
    description: str = Field(default="", max_length=1000)
    book_lead_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)  # booking closes this long before the start
    cancel_cutoff_hours: int = Field(default=24, ge=0, le=24 * 30)  # friends cancel until this long before
    # bookings of this menu at once across every staff member (a room, a machine); None = only staff capacity
    capacity: int | None = Field(default=None, ge=1, le=100)
    # payment: a product of the payments feature (Stripe Checkout; its price is what is charged). A friend's booking
    # holds the place for ``hold_minutes`` until paid, then it is released; staff bookings are not charged here.
    product_id: str = Field(default="", max_length=64)
    hold_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # how far ahead a friend may move their booking on the cancel page (days)
    reschedule_days: int = Field(default=14, ge=1, le=90)
    active: bool = True

    @field_validator("duration_minutes")
    @classmethod
    def _grid(cls, value: int) -> int:
        if value % UNIT_MINUTES:
            raise ValueError(f"所要時間は {UNIT_MINUTES} 分単位で入力してください ({value} 分)")
        return value

    @model_validator(mode="after")
    def _capacity_fits_a_transaction(self) -> MenuInput:
        # a reschedule touches every unit of the old and new slot for staff and menu in one DynamoDB transaction
        # (at most 100 items): 5 hours = 20 units -> 4 x 20 + 5 items
        if self.capacity is not None and self.duration_minutes > MENU_CAPACITY_MAX_MINUTES:
            raise ValueError(
                f"メニューの同時予約数を設定できるのは所要時間 {MENU_CAPACITY_MAX_MINUTES // 60} 時間以内のメニューです"
            )
        return self


class BookInput(BaseModel):
    """A booking asked for by staff (for a friend) or by the friend's page."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    menu_id: str = Field(min_length=1)
    staff_id: str = Field(default="")  # "" = any staff member with the slot open
    start: str = Field(min_length=10)  # ISO time of the slot's start (as listed by the slots call)
    subscriber_id: str = Field(default="")
