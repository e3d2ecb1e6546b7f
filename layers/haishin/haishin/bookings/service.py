"""Slot booking (予約): staff, menus, open slots, booking and cancelling, attendance.

Slots: a staff member's hours for the weekday (or the date's exception) in the workspace's zone, split into slots of
the menu's duration from each range's start. A slot is open while every 15-minute unit it covers holds fewer
bookings than the staff member's capacity (``haishin.bookings.models``: unit counters, raised in the booking's own
transaction on ``count < capacity``), so a slot can never be booked twice over its capacity, and a 60-minute booking
closes the 30-minute slots it overlaps.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from haishin import clock, ids
from haishin.actions import AddTag, SetField
from haishin.bookings.inputs import UNIT_MINUTES, WEEKDAYS, BookInput, MenuInput, StaffInput, minutes
from haishin.bookings.mail import BookingMail
from haishin.bookings.models import BookingModel, MenuModel, StaffModel, WaitlistModel, day_pk, waitlist_pk
from haishin.bookings.repository import BookingRepository
from haishin.csvio.cells import encode_csv, neutralise_row
from haishin.csvio.exporter import ExportEncoding
from haishin.errors import Conflict, HaishinError, NotFound, ValidationFailed, pydantic_message
from haishin.forms import tokens
from haishin.forms.collab import Collaborators
from haishin.public_url import public_base
from haishin.storage.base import iso

log = logging.getLogger(__name__)

BOOK = "booking"  # token purpose: the friend's booking page (target "book")
CANCEL = "booking_cancel"  # token purpose: cancelling one booking (target: the booking ID)
BOOK_TARGET = "book"
MAX_DAYS = 31
ATTENDED_TAG = "予約:来店"
NO_SHOW_TAG = "予約:無断キャンセル"
# The friend's NEXT booking (the earliest still to come, whichever was made last), as custom fields a reminder
# scenario reads: a step timed ``relative_to_date`` on
# BOOKING_DATE (e.g. days -1 at 18:00 = the evening before), text with {{ fields.booking_time }}. Scenarios start on
# the trigger ``booking_created`` and stop on ``booking_canceled`` (docs/production/bookings.md).
BOOKING_DATE = "booking_date"
BOOKING_TIME = "booking_time"
BOOKING_MENU = "booking_menu"
BOOKING_ID = "booking_id"  # which booking the fields name (the friend's next one)
CREATED = "booking_created"
CANCELED = "booking_canceled"
PAYMENT_REF = "bkg:"  # an order's ref for a held booking: ``bkg:<booking_id>`` (haishin.payments carries it)
STATUSES = ("booked", "canceled", "attended", "no_show")
STATUS_LABELS = {
    "booked": "予約中",
    "canceled": "キャンセル",
    "rescheduled": "日時変更済み",
    "attended": "来店",
    "no_show": "無断キャンセル",
    "pending_payment": "支払い待ち",
    "expired": "支払い期限切れ",
    "refunded": "期限後の支払い・返金済",
}
DELETED_MENU = "（削除されたメニュー）"
DELETED_STAFF = "（削除された担当者）"
CSV_HEADERS = [
    "日付",
    "開始",
    "終了",
    "メニュー",
    "担当者",
    "友だち",
    "友だちID",
    "状態",
    "予約した人",
    "予約ID",
    "受付日時",
]


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    staff_id: str
    remaining: int

    def view(self, zone: ZoneInfo) -> dict[str, Any]:
        local = self.start.astimezone(zone)
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "staff_id": self.staff_id,
            "remaining": self.remaining,
            "local_date": local.date().isoformat(),
            "local_time": local.strftime("%H:%M"),
        }


def book_url(token: str) -> str:
    return f"{public_base()}/b?t={token}"


def cancel_path(booking_id: str) -> str:
    return f"{public_base()}/b/cancel/{booking_id}"


def cancel_url(booking_id: str, token: str) -> str:
    return f"{cancel_path(booking_id)}?t={token}"


def _parse(model: type[Any], body: Any) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(pydantic_message(first), where=".".join(str(p) for p in first["loc"])) from exc


def _start_of(text: str) -> datetime:
    try:
        start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed("予約枠の開始時刻が読めません", where="start") from exc
    if start.tzinfo is None:
        raise ValidationFailed("予約枠の開始時刻にタイムゾーンがありません", where="start")
    return start


def _units(start: datetime, end: datetime) -> list[datetime]:
    out, at = [], start
    while at < end:
        out.append(at)
        at += timedelta(minutes=UNIT_MINUTES)
    return out


def _local(day: date, mins: int, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(day, time(0)) + timedelta(minutes=mins)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def staff_ranges(definition: dict[str, Any], day: date) -> list[tuple[int, int]]:
    """The staff member's open minutes-of-day ranges on ``day`` (the date's exception wins over the weekday)."""
    exceptions = definition.get("exceptions") or {}
    ranges = (
        exceptions[day.isoformat()]
        if day.isoformat() in exceptions
        else (definition.get("hours") or {}).get(WEEKDAYS[day.weekday()], [])
    )
    return sorted((minutes(a), minutes(b)) for a, b in ranges)


class BookingService:
    def __init__(
        self,
        collab: Collaborators,
        repository: BookingRepository | None = None,
        mail: BookingMail | None = None,
        payments: Any = None,
    ) -> None:
        self.collab = collab
        self.repository = repository or BookingRepository()
        self.mail = mail  # the confirmation by e-mail (None: LINE only)
        self.payments = payments  # haishin.payments.service.PaymentService: a paid menu's product and its link

    def zone(self, workspace_id: str) -> ZoneInfo:
        return ZoneInfo(self.collab.workspaces.get(workspace_id).get("time_zone") or "Asia/Tokyo")

    # ------------------------------------------------------------------ staff and menus
    def list_staff(self, workspace_id: str) -> list[StaffModel]:
        return sorted(self.repository.all_staff(workspace_id), key=lambda s: s.created_at)

    def save_staff(self, workspace_id: str, body: Any, staff_id: str | None = None) -> StaffModel:
        data = _parse(StaffInput, body)
        for menu_id in data.menu_ids:
            self.repository.menu(workspace_id, menu_id)
        existing = self.repository.staff(workspace_id, staff_id) if staff_id else None
        return self.repository.save_staff(
            workspace_id,
            staff_id or ids.new_id("bks_"),
            data.model_dump(mode="json"),
            now=clock.now(),
            existing=existing,
        )

    def delete_staff(self, workspace_id: str, staff_id: str) -> None:
        """Refused while the staff member has a booking not yet over (cancel or move it first; past bookings keep
        the name they were booked with)."""
        staff = self.repository.staff(workspace_id, staff_id)
        busy = self.repository.staff_busy_after(workspace_id, staff_id, clock.now())
        if busy is not None:
            when = self._label(workspace_id, datetime.fromisoformat(busy))
            raise Conflict(
                f"担当者「{staff.definition.get('name')}」には今後の予約があります（{when} など）。"
                "予約をキャンセルするか別の担当者に変更してから削除してください。受付を止めるだけなら「受付中」を外してください",
                where=f"staff {staff_id}",
            )
        self.repository.delete(staff)

    def _label(self, workspace_id: str, at: datetime) -> str:
        local = at.astimezone(self.zone(workspace_id))
        return f"{local.month}月{local.day}日 {local.strftime('%H:%M')}"

    def list_menus(self, workspace_id: str) -> list[MenuModel]:
        return sorted(self.repository.all_menus(workspace_id), key=lambda m: m.created_at)

    def save_menu(self, workspace_id: str, body: Any, menu_id: str | None = None) -> MenuModel:
        data = _parse(MenuInput, body)
        if data.product_id:
            if self.payments is None:
                raise ValidationFailed("決済が設定されていません", where="product_id")
            try:
                self.payments.get_product(workspace_id, data.product_id)
            except NotFound as exc:
                raise ValidationFailed(f"商品「{data.product_id}」が見つかりません", where="product_id") from exc
        existing = self.repository.menu(workspace_id, menu_id) if menu_id else None
        return self.repository.save_menu(
            workspace_id,
            menu_id or ids.new_id("bkm_"),
            data.model_dump(mode="json"),
            now=clock.now(),
            existing=existing,
        )

    def delete_menu(self, workspace_id: str, menu_id: str) -> None:
        """Refused while the menu has a booking not yet over (past bookings keep the menu's name)."""
        menu = self.repository.menu(workspace_id, menu_id)
        booked = self.repository.menu_booked_after(workspace_id, menu_id, clock.now())
        if booked is not None:
            raise Conflict(
                f"メニュー「{menu.definition.get('name')}」には今後の予約があります"
                f"（{self._label(workspace_id, booked.start)} など）。"
                "予約をキャンセルまたは変更してから削除してください。受付を止めるだけなら「受付中」を外してください",
                where=f"menu {menu_id}",
            )
        self.repository.delete(menu)

    # ------------------------------------------------------------------ slots
    def _staff_for(self, workspace_id: str, menu: MenuModel, staff_id: str) -> list[StaffModel]:
        staff = [self.repository.staff(workspace_id, staff_id)] if staff_id else self.list_staff(workspace_id)
        return [
            s
            for s in staff
            if s.definition.get("active", True)
            and (not s.definition.get("menu_ids") or menu.menu_id in s.definition["menu_ids"])
        ]

    def _active_menu(self, workspace_id: str, menu_id: str) -> MenuModel:
        menu = self.repository.menu(workspace_id, menu_id)
        if not menu.definition.get("active", True):
            raise NotFound("このメニューは現在予約を受け付けていません", where=f"menu {menu_id}")
        return menu

    def slots(
        self,
        workspace_id: str,
        menu_id: str,
        *,
        staff_id: str = "",
        start_date: date,
        days: int = 7,
        ignoring: BookingModel | None = None,
        include_full: bool = False,
    ) -> list[Slot]:
        """Open slots for ``menu_id`` from ``start_date`` (the workspace's zone) for ``days`` days, earliest first;
        for every staff member offering the menu unless ``staff_id`` names one. ``include_full`` adds the full ones
        (``remaining`` 0: the booking page offers キャンセル待ち there). Unpaid holds past their time are released
        first."""
        self.release_expired(workspace_id)
        self.advance_ended(workspace_id)
        days = max(1, min(days, MAX_DAYS))
        menu = self._active_menu(workspace_id, menu_id)
        zone = self.zone(workspace_id)
        duration = timedelta(minutes=int(menu.definition["duration_minutes"]))
        earliest = clock.now() + timedelta(minutes=int(menu.definition.get("book_lead_minutes") or 0))
        first = _local(start_date, 0, zone)
        last = _local(start_date + timedelta(days=days), 0, zone)
        menu_capacity = int(menu.definition.get("capacity") or 0)
        menu_counts = self.repository.menu_unit_counts(workspace_id, menu_id, first, last) if menu_capacity else {}
        if menu_capacity and ignoring is not None and ignoring.menu_units and ignoring.menu_id == menu_id:
            for unit in _units(ignoring.start, ignoring.end):
                if menu_counts.get(iso(unit)):
                    menu_counts[iso(unit)] -= 1
        out: list[Slot] = []
        for staff in self._staff_for(workspace_id, menu, staff_id):
            capacity = int(staff.definition.get("capacity") or 1)
            counts = self.repository.unit_counts(workspace_id, staff.staff_id, first, last)
            if ignoring is not None and ignoring.staff_id == staff.staff_id:  # a reschedule may overlap itself
                for unit in _units(ignoring.start, ignoring.end):
                    if counts.get(iso(unit)):
                        counts[iso(unit)] -= 1
            for offset in range(days):
                day = start_date + timedelta(days=offset)
                for lo, hi in staff_ranges(staff.definition, day):
                    at = lo
                    while at + duration.total_seconds() / 60 <= hi:
                        start = _local(day, at, zone)
                        at += int(duration.total_seconds() // 60)
                        if start < earliest:
                            continue
                        covered = _units(start, start + duration)
                        left = capacity - max(counts.get(iso(u), 0) for u in covered)
                        if menu_capacity:
                            left = min(left, menu_capacity - max(menu_counts.get(iso(u), 0) for u in covered))
                        if left > 0 or include_full:
                            out.append(Slot(start, start + duration, staff.staff_id, max(left, 0)))
        out.sort(key=lambda s: (s.start, s.staff_id))
        return out

    # ------------------------------------------------------------------ booking
    def book(
        self,
        workspace_id: str,
        body: Any,
        *,
        subscriber_id: str | None = None,
        booked_by: str = "friend",
        heading: str = "ご予約を承りました。",
    ) -> BookingModel:
        """Book the slot for the friend: the named staff member, or the first with the slot open. Conflict (in
        Japanese) when it was taken; nothing is written then."""
        data = _parse(BookInput, body)
        subscriber_id = subscriber_id or data.subscriber_id
        if not subscriber_id:
            raise ValidationFailed("予約する友だちを選んでください", where="subscriber_id")
        subscriber = self.collab.subscribers.get(workspace_id, subscriber_id)
        if subscriber is None:
            raise NotFound("友だちが見つかりません", where=f"subscriber {subscriber_id}")
        start = _start_of(data.start)
        menu = self._active_menu(workspace_id, data.menu_id)
        zone = self.zone(workspace_id)
        day = start.astimezone(zone).date()
        lead = int(menu.definition.get("book_lead_minutes") or 0)
        if start < clock.now() + timedelta(minutes=lead):
            raise ValidationFailed("この枠は予約の受付を締め切りました", where="start")
        if data.staff_id:
            named = self.repository.staff(workspace_id, data.staff_id)
            if named.definition.get("menu_ids") and data.menu_id not in named.definition["menu_ids"]:
                raise ValidationFailed("この担当者はこのメニューを担当していません", where="staff_id")
        offered = [s for s in self._candidates(workspace_id, data.menu_id, data.staff_id, day) if s.start == start]
        if not offered:
            raise Conflict("この枠はすでに埋まりました。別の日時を選んでください", where="start")
        paid = bool(menu.definition.get("product_id")) and booked_by == "friend"  # staff take payment themselves
        for slot in offered:
            staff = self.repository.staff(workspace_id, slot.staff_id)
            now = clock.now()
            booking_id = ids.new_id("bkg_")
            booking = BookingModel(
                pk=day_pk(workspace_id, day.isoformat()),
                sk=f"{iso(start)}#{booking_id}",
                workspace_id=workspace_id,
                booking_id=booking_id,
                subscriber_id=subscriber_id,
                staff_id=slot.staff_id,
                menu_id=data.menu_id,
                start=slot.start,
                end=slot.end,
                status="pending_payment" if paid else "booked",
                booked_by=booked_by,
                created_at=now,
                hold_until=now + timedelta(minutes=int(menu.definition.get("hold_minutes") or 30)) if paid else None,
                menu_units=bool(menu.definition.get("capacity")) or None,
                menu_name=str(menu.definition["name"]),
                staff_name=str(staff.definition["name"]),
            )
            capacity = int(staff.definition.get("capacity") or 1)
            menu_capacity = int(menu.definition.get("capacity") or 0)
            if self.repository.book(booking, _units(slot.start, slot.end), capacity, menu_capacity):
                if paid:
                    self._ask_payment(workspace_id, booking, menu, staff, subscriber, zone)
                else:
                    self._after_booking(workspace_id, booking, menu, staff, subscriber, zone, heading=heading)
                return booking
        raise Conflict("この枠はすでに埋まりました。別の日時を選んでください", where="start")

    def reschedule(self, workspace_id: str, booking_id: str, body: Any, *, booked_by: str = "staff") -> BookingModel:
        """Move a booking to another slot (staff; body: ``start``, optional ``staff_id``): one transaction marks the old
        booking ``rescheduled``, writes the new one and moves the unit counts, so the old place is never freed
        before the new one is held. The friend gets 「ご予約を変更しました」 and the reminder follows the new date
        (``booking_created`` restarts the reminder scenario with the new fields)."""
        old = self.get(workspace_id, booking_id)
        if old.status != "booked":
            raise Conflict(
                "この予約は変更できません（キャンセル済みか来店記録があります）", where=f"booking {booking_id}"
            )
        if not isinstance(body, dict):
            raise ValidationFailed("変更先の枠を選んでください", where="start")
        start = _start_of(str(body.get("start") or ""))
        staff_id = str(body.get("staff_id") or "")
        menu = self._active_menu(workspace_id, old.menu_id)
        zone = self.zone(workspace_id)
        day = start.astimezone(zone).date()
        if start < clock.now() + timedelta(minutes=int(menu.definition.get("book_lead_minutes") or 0)):
            raise ValidationFailed("この枠は予約の受付を締め切りました", where="start")
        subscriber = self.collab.subscribers.get(workspace_id, old.subscriber_id)
        offered = [
            s
            for s in self.slots(workspace_id, old.menu_id, staff_id=staff_id, start_date=day, days=1, ignoring=old)
            if s.start == start
        ]
        for slot in offered:
            staff = self.repository.staff(workspace_id, slot.staff_id)
            new_id = ids.new_id("bkg_")
            new = BookingModel(
                pk=day_pk(workspace_id, day.isoformat()),
                sk=f"{iso(start)}#{new_id}",
                workspace_id=workspace_id,
                booking_id=new_id,
                subscriber_id=old.subscriber_id,
                staff_id=slot.staff_id,
                menu_id=old.menu_id,
                start=slot.start,
                end=slot.end,
                status="booked",
                booked_by=booked_by,
                created_at=clock.now(),
                rescheduled_from=old.booking_id,
                menu_units=bool(menu.definition.get("capacity")) or None,
                menu_name=str(menu.definition["name"]),
                staff_name=str(staff.definition["name"]),
            )
            if self.repository.move(
                old,
                _units(old.start, old.end),
                new,
                _units(slot.start, slot.end),
                int(staff.definition.get("capacity") or 1),
                now=clock.now(),
                menu_capacity=int(menu.definition.get("capacity") or 0),
            ):
                self._after_booking(workspace_id, new, menu, staff, subscriber, zone, heading="ご予約を変更しました。")
                self.promote(workspace_id, old.menu_id, old.start)
                return new
        raise Conflict("この枠はすでに埋まりました。別の日時を選んでください", where="start")

    def _candidates(self, workspace_id: str, menu_id: str, staff_id: str, day: date) -> list[Slot]:
        return self.slots(workspace_id, menu_id, staff_id=staff_id, start_date=day, days=1)

    def _after_booking(
        self,
        workspace_id: str,
        booking: BookingModel,
        menu: MenuModel,
        staff: StaffModel,
        subscriber: Any,
        zone: ZoneInfo,
        heading: str = "ご予約を承りました。",
    ) -> None:
        """The confirmation on LINE and ``booking_created``; each keyed on the booking, so a repeat sends nothing
        twice. A failure here never undoes the booking (it is logged)."""
        local = booking.start.astimezone(zone)
        token = self.cancel_token(booking)
        text = (
            f"{heading}\n{menu.definition['name']}（担当: {staff.definition['name']}）\n"
            f"{local.strftime('%Y年%m月%d日 %H:%M')}〜{booking.end.astimezone(zone).strftime('%H:%M')}\n"
            f"キャンセル: {cancel_url(booking.booking_id, token)}"
        )
        self._tell(
            workspace_id, subscriber, text, ids.retry_key("booking", booking.booking_id), booking, "confirmation"
        )
        self._mail(workspace_id, booking, subscriber, text, heading)
        try:
            self.collab.publish(
                workspace_id,
                "booking_created",
                self.view(booking, zone),
                idempotency_key=f"booking_created:{booking.booking_id}",
            )
        except Exception:
            log.exception("booking %s: booking_created not published", booking.booking_id)
        try:
            self._remind(workspace_id, booking, menu, zone)
        except Exception:
            log.exception("booking %s: reminder scenarios not started", booking.booking_id)

    def _mail(self, workspace_id: str, booking: BookingModel, subscriber: Any, text: str, heading: str) -> None:
        """The same confirmation by e-mail when the friend has an address (once per booking; logged on failure)."""
        address = str(getattr(subscriber, "email", "") or "")
        if self.mail is None or not address:
            return
        shop = str(self.collab.workspaces.get(workspace_id).get("name") or "")
        subject = f"【{shop}】{heading.rstrip('。')}" if shop else heading.rstrip("。")
        try:
            key = f"booking-mail:{booking.booking_id}"
            self.mail.send(workspace_id, to=address, subject=subject, text=text, key=key)
        except Exception:
            log.exception("booking %s: confirmation e-mail not sent", booking.booking_id)

    def _remind(self, workspace_id: str, booking: BookingModel, menu: MenuModel, zone: ZoneInfo) -> None:
        """Reminders through the scenario engine: the friend's fields name their next booking (a step timed
        ``relative_to_date`` on ``booking_date`` is due relative to it), then the ``booking_created`` trigger
        (re)starts the scenarios that start on it. With two future bookings the fields stay on the earlier one;
        when it is over, canceled or marked, they move to the following one and the reminder restarts for it
        (``_follow_next``). Keyed on the booking: a retry enrolls nobody twice."""
        self._sync_next(workspace_id, booking.subscriber_id, reason=booking.booking_id)
        self.collab.trigger(
            workspace_id,
            booking.subscriber_id,
            CREATED,
            {"booking_id": booking.booking_id, "menu_id": booking.menu_id, "staff_id": booking.staff_id},
            idempotency_key=f"booking:{booking.booking_id}:created",
        )

    def _sync_next(self, workspace_id: str, subscriber_id: str, *, reason: str) -> BookingModel | None:
        """Point the friend's booking fields at their next booking (not started, still booked). Returns it when
        the fields changed to it (None: unchanged, or no booking to come)."""
        now = clock.now()
        upcoming = [b for b in self.repository.of_friend(workspace_id, subscriber_id, now) if b.status == "booked"]
        if not upcoming:
            return None
        nxt = upcoming[0]
        subscriber = self.collab.subscribers.get(workspace_id, subscriber_id)
        if subscriber is None or (subscriber.fields or {}).get(BOOKING_ID) == nxt.booking_id:
            return None
        local = nxt.start.astimezone(self.zone(workspace_id))
        name = nxt.menu_name
        if not name:
            try:
                name = str(self.repository.menu(workspace_id, nxt.menu_id).definition.get("name") or "")
            except NotFound:
                name = ""
        actions = [
            SetField(field=BOOKING_DATE, value=local.date().isoformat()),
            SetField(field=BOOKING_TIME, value=local.strftime("%H:%M")),
            SetField(field=BOOKING_MENU, value=name),
            SetField(field=BOOKING_ID, value=nxt.booking_id),
        ]
        key = f"booking:{nxt.booking_id}:fields:{reason}"
        self.collab.action_runner().run(workspace_id, subscriber_id, actions, actor=key, idempotency_key=key)
        self.repository.mark_next(nxt)
        return nxt

    def _follow_next(self, workspace_id: str, subscriber_id: str, *, after: str, always: bool = False) -> None:
        """The friend's named booking is over, canceled or marked: the fields move to the following booking and
        ``booking_created`` restarts its reminder (``always``: restart even when the fields did not change, as a
        cancel of another booking has stopped the reminder scenario)."""
        try:
            moved = self._sync_next(workspace_id, subscriber_id, reason=after)
            if moved is None and always:
                upcoming = [
                    b
                    for b in self.repository.of_friend(workspace_id, subscriber_id, clock.now())
                    if b.status == "booked"
                ]
                moved = upcoming[0] if upcoming else None
            if moved is not None:
                self.collab.trigger(
                    workspace_id,
                    subscriber_id,
                    CREATED,
                    {"booking_id": moved.booking_id, "menu_id": moved.menu_id, "staff_id": moved.staff_id},
                    idempotency_key=f"booking:{moved.booking_id}:after:{after}",
                )
        except Exception:
            log.exception("bookings: the reminder did not move on for %s after %s", subscriber_id, after)

    def advance_ended(self, workspace_id: str) -> int:
        """Named bookings that are over: each friend's fields move to their following booking (and its reminder
        starts). Run on every slot read, as the unpaid holds; a friend's fields are synced once per booking."""
        moved = 0
        for item, booking in self.repository.ended_nexts(workspace_id, clock.now()):
            self._follow_next(workspace_id, booking.subscriber_id, after=booking.booking_id)
            self.repository.forget(item)
            moved += 1
        return moved

    # ------------------------------------------------------------------ payment (a menu with a product)
    def pay_url(self, booking: BookingModel) -> str:
        """The held booking's purchase link for its friend (the payments product page -> Stripe Checkout); the order
        carries ``bkg:<booking_id>`` so its payment confirms this booking."""
        menu = self.repository.menu(booking.workspace_id, booking.menu_id)
        product_id = str(menu.definition.get("product_id") or "")
        if not product_id or self.payments is None:
            return ""
        ref = f"{PAYMENT_REF}{booking.booking_id}"
        return str(self.payments.purchase_link(booking.workspace_id, product_id, booking.subscriber_id, ref))

    def _ask_payment(
        self,
        workspace_id: str,
        booking: BookingModel,
        menu: MenuModel,
        staff: StaffModel,
        subscriber: Any,
        zone: ZoneInfo,
    ) -> None:
        """The place is held: the friend is told on LINE until when and where to pay (once per booking)."""
        assert booking.hold_until is not None
        local = booking.start.astimezone(zone)
        text = (
            f"ご予約枠を仮押さえしました。\n{menu.definition['name']}（担当: {staff.definition['name']}）\n"
            f"{local.strftime('%Y年%m月%d日 %H:%M')}〜{booking.end.astimezone(zone).strftime('%H:%M')}\n"
            f"{self._label(workspace_id, booking.hold_until)} までにお支払いいただくと予約が確定します。\n"
            f"お支払い: {self.pay_url(booking)}"
        )
        self._tell(
            workspace_id,
            subscriber,
            text,
            ids.retry_key("booking-hold", booking.booking_id),
            booking,
            "payment request",
        )

    def _tell(
        self, workspace_id: str, subscriber: Any, text: str, retry_key: str, booking: BookingModel, what: str
    ) -> None:
        """One LINE text to the friend, queued for the delivery worker (sent once under the retry key, LINE's 429/5xx
        retried, a refusal in the delivery error log); a queue that refuses it is logged, never undoes anything."""
        try:
            if getattr(subscriber, "line", None):
                self.collab.line_messenger().queue_text(workspace_id, subscriber, text, retry_key=retry_key)
        except Exception:
            log.exception("booking %s: %s not sent", booking.booking_id, what)

    def release_expired(self, workspace_id: str) -> int:
        """Unpaid holds past their time become ``expired`` and free their place (and the slot's waitlist moves up).
        Run before every slot listing and booking: a hold nobody looks at harms nobody, so no scheduler is needed;
        the release is conditional (one release, whoever runs it)."""
        released = 0
        now = clock.now()
        for booking in self.repository.expired_holds(workspace_id, now):
            units = _units(booking.start, booking.end)
            if self.repository.release(booking, units, "expired", now=now, expected="pending_payment"):
                released += 1
                log.info("booking %s: unpaid hold released", booking.booking_id)
                self.promote(workspace_id, booking.menu_id, booking.start)
        return released

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        """EventFanout listener: a paid order whose ``ref`` is ``bkg:<booking_id>`` confirms the held booking (then
        the confirmation, booking_created and the reminders); its refund cancels it. Conditional writes make a
        replay a no-op."""
        ref = str(data.get("ref") or "")
        if event_type not in ("purchase_completed", "purchase_refunded") or not ref.startswith(PAYMENT_REF):
            return 0
        booking = self.repository.find(ref[len(PAYMENT_REF) :])
        if booking is None or booking.workspace_id != workspace_id:
            log.warning("booking payment %s: no such booking", ref)
            return 0
        menu = self.repository.menu(workspace_id, booking.menu_id)
        if booking.subscriber_id != data.get("subscriber_id") or menu.definition.get("product_id") != data.get(
            "product_id"
        ):
            log.warning("booking payment %s: the order's friend or product differs: ignored", ref)
            return 0
        if event_type == "purchase_refunded":
            if booking.status in ("booked", "pending_payment"):
                self.cancel(workspace_id, booking.booking_id, by_staff=True)
            return 0
        if booking.status != "pending_payment":
            if booking.status == "expired":  # paid after the hold was released: the place may be gone
                self._refund_late_payment(workspace_id, booking, menu, str(data.get("order_id") or ""))
            return 0
        if self.repository.confirm_payment(booking, now=clock.now()):
            staff = self.repository.staff(workspace_id, booking.staff_id)
            subscriber = self.collab.subscribers.get(workspace_id, booking.subscriber_id)
            self._after_booking(workspace_id, booking, menu, staff, subscriber, self.zone(workspace_id))
        return 0

    def _refund_late_payment(self, workspace_id: str, booking: BookingModel, menu: MenuModel, order_id: str) -> None:
        """Paid after the hold was released (the place may have gone to the waitlist): the payment is refunded in
        full through Stripe, once (PaymentService.refund_order's run-once and idempotency keys), the booking becomes
        ``refunded`` and the friend is told on LINE (retry key per booking). A refusal by Stripe is logged for the
        staff and the booking stays ``expired``."""
        if self.payments is None:
            return
        if self.payments.refund_late_payment(workspace_id, order_id, ref=f"{PAYMENT_REF}{booking.booking_id}") is None:
            return
        self.repository.set_status(booking, "refunded", expected=("expired",))
        when = booking.start.astimezone(self.zone(workspace_id)).strftime("%Y/%m/%d %H:%M")
        text = (
            f"「{menu.definition.get('name', '')}」({when}) のお支払いを確認しましたが、お支払い期限を過ぎて"
            "予約枠が解放されていたため、予約を確定できませんでした。お支払いいただいた料金は全額返金しました"
            " (カード会社により反映まで数日かかる場合があります)。"
        )
        subscriber = self.collab.subscribers.get(workspace_id, booking.subscriber_id)
        self._tell(
            workspace_id,
            subscriber,
            text,
            ids.retry_key("booking-refund", booking.booking_id),
            booking,
            "late payment refund notice",
        )

    # ------------------------------------------------------------------ waitlist (キャンセル待ち)
    def join_waitlist(self, workspace_id: str, body: Any, *, subscriber_id: str) -> WaitlistModel:
        """The friend waits for a full slot (menu, start, the staff member or anyone). Refused when the slot is
        open (book it instead), not a slot, past, or the friend already waits for it."""
        data = _parse(BookInput, body)
        start = _start_of(data.start)
        menu = self._active_menu(workspace_id, data.menu_id)
        if start < clock.now() + timedelta(minutes=int(menu.definition.get("book_lead_minutes") or 0)):
            raise ValidationFailed("この枠は予約の受付を締め切りました", where="start")
        day = start.astimezone(self.zone(workspace_id)).date()
        around = [
            s
            for s in self.slots(
                workspace_id, data.menu_id, staff_id=data.staff_id, start_date=day, days=1, include_full=True
            )
            if s.start == start
        ]
        if not around:
            raise ValidationFailed("この日時は予約枠ではありません", where="start")
        if any(s.remaining > 0 for s in around):
            raise Conflict("この枠は空いています。キャンセル待ちではなく予約してください", where="start")
        waiting = self.repository.waiting(workspace_id, data.menu_id, start)
        if any(w.subscriber_id == subscriber_id and w.status == "waiting" for w in waiting):
            raise Conflict("この枠はすでにキャンセル待ちに登録されています", where="start")
        now = clock.now()
        wait_id = ids.new_id("bkw_")
        item = WaitlistModel(
            pk=waitlist_pk(workspace_id, data.menu_id, iso(start)),
            sk=f"{iso(now)}#{wait_id}",
            workspace_id=workspace_id,
            wait_id=wait_id,
            menu_id=data.menu_id,
            staff_id=data.staff_id,
            start=start,
            subscriber_id=subscriber_id,
            status="waiting",
            created_at=now,
            expires_at=int((start + timedelta(days=30)).timestamp()),
        )
        self.repository.add_waiting(item)
        return item

    def promote(self, workspace_id: str, menu_id: str, start: datetime) -> list[BookingModel]:
        """A place of the slot was freed: the friends waiting for it are booked, oldest first, while it has room
        (each claimed waiting -> promoted first, so two cancels at once book one friend once; a booking that fails
        gives the claim back). Each gets the booking's own confirmation (or the payment request of a paid menu)."""
        made: list[BookingModel] = []
        if start <= clock.now():
            return made
        for item in self.repository.waiting(workspace_id, menu_id, start):
            if item.status != "waiting" or not self.repository.set_waiting_status(item, "promoted", expected="waiting"):
                continue
            body = {"menu_id": menu_id, "staff_id": item.staff_id, "start": iso(start)}
            try:
                booking = self.book(
                    workspace_id,
                    body,
                    subscriber_id=item.subscriber_id,
                    heading="キャンセル待ちの枠が空いたため、ご予約が確定しました。",
                )
            except HaishinError:
                self.repository.set_waiting_status(item, "waiting", expected="promoted")
                continue
            self.repository.set_waiting_status(item, "promoted", expected="promoted", booking_id=booking.booking_id)
            made.append(booking)
        return made

    def waitlist(self, workspace_id: str, start_date: date, days: int = 7) -> list[dict[str, Any]]:
        """The waiting friends of the menus' slots in the days (the admin's calendar), with names."""
        zone = self.zone(workspace_id)
        out: list[dict[str, Any]] = []
        first = _local(start_date, 0, zone)
        last = _local(start_date + timedelta(days=max(1, min(days, MAX_DAYS))), 0, zone)
        seen: set[tuple[str, datetime]] = set()
        for booking in self.calendar(workspace_id, start_date, days):
            seen.add((booking.menu_id, booking.start))
        for menu_id, start in sorted(seen, key=lambda k: k[1]):
            if not first <= start < last:
                continue
            for item in self.repository.waiting(workspace_id, menu_id, start):
                if item.status != "waiting":
                    continue
                friend = self.collab.subscribers.get(workspace_id, item.subscriber_id)
                local = start.astimezone(zone)
                out.append(
                    {
                        "wait_id": item.wait_id,
                        "menu_id": menu_id,
                        "staff_id": item.staff_id,
                        "subscriber_id": item.subscriber_id,
                        "friend_name": str(getattr(friend, "display_name", "") or "") if friend else "",
                        "start": iso(start),
                        "local_date": local.date().isoformat(),
                        "local_time": local.strftime("%H:%M"),
                        "created_at": iso(item.created_at),
                    }
                )
        return out

    def get(self, workspace_id: str, booking_id: str) -> BookingModel:
        booking = self.repository.find(booking_id)
        if booking is None or booking.workspace_id != workspace_id:
            raise NotFound("予約が見つかりません", where=f"booking {booking_id}")
        return booking

    def cancel(self, workspace_id: str, booking_id: str, *, by_staff: bool) -> BookingModel:
        """Cancel: by the friend only before the menu's cutoff; by staff at any time while booked."""
        booking = self.get(workspace_id, booking_id)
        if booking.status not in ("booked", "pending_payment"):
            raise Conflict("この予約はすでにキャンセルされているか、来店記録があります", where=f"booking {booking_id}")
        if not by_staff and booking.status == "booked":  # an unpaid hold may be let go at any time
            self._before_cutoff(workspace_id, booking)
        units = _units(booking.start, booking.end)
        if not self.repository.release(booking, units, "canceled", now=clock.now(), expected=booking.status):
            raise Conflict("この予約はすでにキャンセルされています", where=f"booking {booking_id}")
        self.promote(workspace_id, booking.menu_id, booking.start)
        try:  # the scenarios that stop on booking_canceled stop (the reminder of this booking is not sent)
            self.collab.trigger(
                workspace_id,
                booking.subscriber_id,
                CANCELED,
                {"booking_id": booking_id, "menu_id": booking.menu_id},
                idempotency_key=f"booking:{booking_id}:canceled",
            )
        except Exception:
            log.exception("booking %s: booking_canceled trigger failed", booking_id)
        # the stop above ended the reminder scenario: it restarts for the friend's next booking, if any
        self._follow_next(workspace_id, booking.subscriber_id, after=booking_id, always=True)
        return booking

    def _before_cutoff(self, workspace_id: str, booking: BookingModel, what: str = "キャンセル") -> None:
        """The friend's own cancel or change: only until the menu's cutoff before the start."""
        menu = self.repository.menu(workspace_id, booking.menu_id)
        cutoff = booking.start - timedelta(hours=int(menu.definition.get("cancel_cutoff_hours") or 0))
        if clock.now() > cutoff:
            raise ValidationFailed(
                f"{what}の受付期限を過ぎています。お店に直接ご連絡ください", where=f"booking {booking.booking_id}"
            )

    def reschedule_horizon(self, booking: BookingModel) -> tuple[date, date]:
        """The days a friend may move the booking to: today up to (not including) today + the menu's
        ``reschedule_days`` (14 unless the menu allows more), in the workspace's zone."""
        ws = booking.workspace_id
        days = int(self.repository.menu(ws, booking.menu_id).definition.get("reschedule_days") or 14)
        today = clock.now().astimezone(self.zone(ws)).date()
        return today, today + timedelta(days=days)

    def reschedule_options(
        self,
        booking: BookingModel,
        days: int = 14,
        limit: int = 60,
        *,
        staff_id: str = "",
        first: date | None = None,
    ) -> list[Slot]:
        """The open slots of the booking's menu the friend may move to: ``days`` days from ``first`` (today by
        default) within the menu's horizon, one staff member's when ``staff_id`` names one (else one per time),
        its own slot left out; empty once the cutoff has passed or the booking is not booked."""
        ws = booking.workspace_id
        if booking.status != "booked":
            return []
        try:
            self._before_cutoff(ws, booking)
            self._active_menu(ws, booking.menu_id)
        except (ValidationFailed, NotFound):
            return []
        today, end = self.reschedule_horizon(booking)
        start = min(max(first or today, today), end)
        days = min(days, (end - start).days)
        if days <= 0:
            return []
        found = self.slots(ws, booking.menu_id, staff_id=staff_id, start_date=start, days=days, ignoring=booking)
        seen: set[datetime] = set()
        out: list[Slot] = []
        for slot in found:
            own_time = slot.start == booking.start and (not staff_id or slot.staff_id == booking.staff_id)
            if own_time or slot.start in seen:  # another staff member at the same time is a real change
                continue
            seen.add(slot.start)
            out.append(slot)
        return out[:limit]

    def friend_reschedule(self, booking: BookingModel, start: str, staff_id: str = "") -> BookingModel:
        """The friend moves their own booking (from the signed cancel page) to another open slot of the same menu,
        with the staff member they chose or anyone: the same cutoff as a cancel, within the menu's horizon, then
        the staff reschedule's one transaction, message and reminder."""
        ws = booking.workspace_id
        if booking.status != "booked":
            raise Conflict("この予約は変更できません（キャンセル済みです）", where=f"booking {booking.booking_id}")
        self._before_cutoff(ws, booking, "変更")
        _, end = self.reschedule_horizon(booking)
        if _start_of(start).astimezone(self.zone(ws)).date() >= end:
            days = int(self.repository.menu(ws, booking.menu_id).definition.get("reschedule_days") or 14)
            raise ValidationFailed(f"変更できるのは {days} 日先までです", where="start")
        return self.reschedule(ws, booking.booking_id, {"start": start, "staff_id": staff_id}, booked_by="friend")

    def mark(self, workspace_id: str, booking_id: str, status: str) -> BookingModel:
        """Attendance: attended or no_show (from booked, or switching between the two); the friend gets the tag."""
        if status not in ("attended", "no_show"):
            raise ValidationFailed("来店状況は attended か no_show です", where="status")
        booking = self.get(workspace_id, booking_id)
        if not self.repository.set_status(booking, status, expected=("booked", "attended", "no_show")):
            raise Conflict("キャンセルされた予約には来店記録をつけられません", where=f"booking {booking_id}")
        booking.status = status
        tag = ATTENDED_TAG if status == "attended" else NO_SHOW_TAG
        self.collab.action_runner().run(
            workspace_id,
            booking.subscriber_id,
            [AddTag(tag=tag)],
            actor=f"booking:{booking_id}",
            idempotency_key=f"booking:{booking_id}:{status}",
        )
        self._follow_next(workspace_id, booking.subscriber_id, after=booking_id)
        return booking

    def calendar(self, workspace_id: str, start_date: date, days: int = 7) -> list[BookingModel]:
        days = max(1, min(days, MAX_DAYS))
        out: list[BookingModel] = []
        for offset in range(days):
            out.extend(self.repository.day(workspace_id, (start_date + timedelta(days=offset)).isoformat()))
        return out

    def calendar_views(self, workspace_id: str, start_date: date, days: int = 7) -> list[dict[str, Any]]:
        """The calendar's bookings as views with names: the menu and staff names they were booked with (for older
        bookings the current ones, or 「削除された…」), and the friend's display name."""
        zone = self.zone(workspace_id)
        menus = {m.menu_id: str(m.definition.get("name") or "") for m in self.repository.all_menus(workspace_id)}
        staff = {s.staff_id: str(s.definition.get("name") or "") for s in self.repository.all_staff(workspace_id)}
        friends: dict[str, str] = {}
        out: list[dict[str, Any]] = []
        for booking in self.calendar(workspace_id, start_date, days):
            view = self.view(booking, zone)
            view["menu_name"] = view["menu_name"] or menus.get(booking.menu_id) or DELETED_MENU
            view["staff_name"] = view["staff_name"] or staff.get(booking.staff_id) or DELETED_STAFF
            if booking.subscriber_id not in friends:
                friend = self.collab.subscribers.get(workspace_id, booking.subscriber_id)
                friends[booking.subscriber_id] = str(getattr(friend, "display_name", "") or "") if friend else ""
            view["friend_name"] = friends[booking.subscriber_id]
            out.append(view)
        return out

    def calendar_csv(
        self, workspace_id: str, start_date: date, days: int = 7, encoding: ExportEncoding = "utf-8-sig"
    ) -> bytes:
        """The bookings of the days as the spreadsheet a shop opens in Excel (UTF-8 with BOM or Shift_JIS), names
        rather than IDs, times in the workspace's zone; cells neutralised against CSV injection."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_HEADERS)
        for view in self.calendar_views(workspace_id, start_date, days):
            created = datetime.fromisoformat(view["created_at"]).astimezone(self.zone(workspace_id))
            writer.writerow(
                neutralise_row(
                    [
                        view["local_date"],
                        view["local_time"],
                        view["end_time"],
                        view["menu_name"],
                        view["staff_name"],
                        view["friend_name"],
                        view["subscriber_id"],
                        STATUS_LABELS.get(view["status"], view["status"]),
                        "友だち" if view["booked_by"] == "friend" else "スタッフ",
                        view["booking_id"],
                        created.strftime("%Y/%m/%d %H:%M"),
                    ]
                )
            )
        return encode_csv(buffer.getvalue(), encoding)

    def upcoming_for(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        """The friend's upcoming bookings (マイページ), in time order: date and time in the workspace's zone, menu,
        staff, and the signed cancel link while the menu's cancel cutoff has not passed."""
        zone = self.zone(workspace_id)
        now = clock.now()
        out: list[dict[str, Any]] = []
        for booking in self.repository.of_friend(workspace_id, subscriber_id, now - timedelta(hours=1)):
            if booking.status != "booked" or booking.end < now:
                continue
            try:
                menu = self.repository.menu(workspace_id, booking.menu_id).definition
            except NotFound:
                menu = {}
            try:
                staff_name = str(self.repository.staff(workspace_id, booking.staff_id).definition.get("name") or "")
            except NotFound:
                staff_name = ""
            cutoff = booking.start - timedelta(hours=int(menu.get("cancel_cutoff_hours") or 0))
            local = booking.start.astimezone(zone)
            out.append(
                {
                    "booking_id": booking.booking_id,
                    "local_date": local.date().isoformat(),
                    "date_label": f"{local.month}月{local.day}日（{'月火水木金土日'[local.weekday()]}）",
                    "local_time": local.strftime("%H:%M"),
                    "end_time": booking.end.astimezone(zone).strftime("%H:%M"),
                    "menu": str(menu.get("name") or ""),
                    "staff": staff_name,
                    "cancel_url": cancel_url(booking.booking_id, self.cancel_token(booking)) if now <= cutoff else "",
                }
            )
        return out

    # ------------------------------------------------------------------ friend links
    def mint_link(self, workspace_id: str, subscriber_id: str, validity: timedelta = tokens.DEFAULT_VALIDITY) -> str:
        token = tokens.LinkSigner(self.collab.secret_store()).mint(
            BOOK, workspace_id, subscriber_id, BOOK_TARGET, validity=validity
        )
        return book_url(f"{workspace_id}.{token}")

    def verify_link(self, signed: str) -> tokens.LinkBinding:
        """``<workspace>.<token>`` from the friend's booking link; TokenInvalid when forged or expired."""
        workspace_id, _, token = signed.partition(".")
        if not workspace_id or not token:
            raise tokens.TokenInvalid("malformed")
        return tokens.LinkSigner(self.collab.secret_store()).verify(BOOK, workspace_id, BOOK_TARGET, token)

    def cancel_token(self, booking: BookingModel) -> str:
        """The friend's signed cancel link token for one booking (valid a year: the link is in the confirmation)."""
        return tokens.LinkSigner(self.collab.secret_store()).mint(
            CANCEL, booking.workspace_id, booking.subscriber_id, booking.booking_id, validity=timedelta(days=366)
        )

    def verify_cancel(self, booking_id: str, token: str) -> BookingModel:
        booking = self.repository.find(booking_id)
        if booking is None:
            raise tokens.TokenInvalid("signature")
        binding = tokens.LinkSigner(self.collab.secret_store()).verify(CANCEL, booking.workspace_id, booking_id, token)
        if binding.subscriber_id != booking.subscriber_id:
            raise tokens.TokenInvalid("signature")
        return booking

    # ------------------------------------------------------------------ views
    def view(self, booking: BookingModel, zone: ZoneInfo) -> dict[str, Any]:
        local = booking.start.astimezone(zone)
        return {
            "booking_id": booking.booking_id,
            "subscriber_id": booking.subscriber_id,
            "staff_id": booking.staff_id,
            "menu_id": booking.menu_id,
            "start": iso(booking.start),
            "end": iso(booking.end),
            "local_date": local.date().isoformat(),
            "local_time": local.strftime("%H:%M"),
            "end_time": booking.end.astimezone(zone).strftime("%H:%M"),
            "menu_name": booking.menu_name or "",
            "staff_name": booking.staff_name or "",
            "status": booking.status,
            "booked_by": booking.booked_by,
            "created_at": iso(booking.created_at),
            "rescheduled_from": booking.rescheduled_from,
            "hold_until": iso(booking.hold_until) if booking.hold_until else None,
        }


__all__ = [
    "ATTENDED_TAG",
    "BOOK",
    "CANCEL",
    "NO_SHOW_TAG",
    "BookingService",
    "Slot",
    "book_url",
    "cancel_path",
    "cancel_url",
    "staff_ranges",
]
