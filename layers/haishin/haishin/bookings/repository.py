"""Bookings in WorkspaceTable (records described in ``haishin.bookings.models``): every DynamoDB read and write of
the bookings feature. Capacity is enforced here by conditional writes in one transaction, never by a lock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from haishin.bookings.models import (
    UNIT_MINUTES,
    BookingLookupModel,
    BookingModel,
    FriendBookingModel,
    MenuModel,
    StaffModel,
    UnitModel,
    WaitlistModel,
    day_pk,
    friend_pk,
    lookup_pk,
    menu_index_pk,
    menu_sk,
    menu_unit_pk,
    next_pk,
    pending_pk,
    staff_sk,
    unit_pk,
    waitlist_pk,
)
from haishin.storage.base import DefinitionRows, condition_failed, connection, iso
from haishin.workspaces.models import workspace_pk

_STAFF = DefinitionRows(StaffModel, partition=workspace_pk, key=staff_sk, id_attr="staff_id",
                        missing="担当者が見つかりません", label="staff")
_MENUS = DefinitionRows(MenuModel, partition=workspace_pk, key=menu_sk, id_attr="menu_id",
                        missing="メニューが見つかりません", label="menu")


def _friend_item(booking: BookingModel) -> FriendBookingModel:
    return FriendBookingModel(
        pk=friend_pk(booking.workspace_id, booking.subscriber_id),
        sk=f"{iso(booking.start)}#{booking.booking_id}",
        booking_id=booking.booking_id,
        day_pk=booking.pk,
        day_sk=booking.sk,
    )


UNIT_KEEP = timedelta(days=30)  # a unit counter's TTL after the unit ends (past units are never read)


def _expiry(unit: datetime) -> int:
    return int((unit + timedelta(minutes=UNIT_MINUTES) + UNIT_KEEP).timestamp())


def _hold(tx: TransactWrite, pk: str, unit: datetime, capacity: int) -> None:
    """+1 on one unit counter while it holds fewer than ``capacity`` (and its TTL, 30 days after the unit)."""
    tx.update(
        UnitModel(pk=pk, sk=iso(unit)),
        actions=[UnitModel.held.add(1), UnitModel.expires_at.set(_expiry(unit))],
        condition=UnitModel.held.does_not_exist() | (UnitModel.held < capacity),
    )


def _free(tx: TransactWrite, pk: str, unit: datetime) -> None:
    tx.update(
        UnitModel(pk=pk, sk=iso(unit)),
        actions=[UnitModel.held.add(-1), UnitModel.expires_at.set(_expiry(unit))],
        condition=UnitModel.held > 0,
    )


def _menu_item(booking: BookingModel) -> FriendBookingModel:
    item = _friend_item(booking)
    item.pk = menu_index_pk(booking.workspace_id, booking.menu_id)
    return item


def _pointed(rows: Any) -> Iterator[tuple[FriendBookingModel, BookingModel]]:
    """The bookings index items point at, read one by one as asked for (a caller may stop at the first it wants);
    an item whose booking is gone is skipped (they are written together)."""
    for row in rows:
        try:
            yield row, BookingModel.get(row.day_pk, row.day_sk, consistent_read=True)
        except BookingModel.DoesNotExist:  # pragma: no cover - written together
            continue


def _pending_item(booking: BookingModel) -> FriendBookingModel:
    assert booking.hold_until is not None
    item = _friend_item(booking)
    item.pk = pending_pk(booking.workspace_id)
    item.sk = f"{iso(booking.hold_until)}#{booking.booking_id}"
    return item


class BookingRepository:
    # ------------------------------------------------------------------ staff and menus
    def save_staff(
        self,
        workspace_id: str,
        staff_id: str,
        definition: dict[str, Any],
        *,
        now: datetime,
        existing: StaffModel | None = None,
    ) -> StaffModel:
        item = existing or _STAFF.new(workspace_id, staff_id, definition, now=now)
        _STAFF.save_definition(item, definition, now=now)
        return item

    def staff(self, workspace_id: str, staff_id: str) -> StaffModel:
        return _STAFF.require(workspace_id, staff_id)

    def all_staff(self, workspace_id: str) -> list[StaffModel]:
        return _STAFF.all(workspace_id)

    def save_menu(
        self,
        workspace_id: str,
        menu_id: str,
        definition: dict[str, Any],
        *,
        now: datetime,
        existing: MenuModel | None = None,
    ) -> MenuModel:
        item = existing or _MENUS.new(workspace_id, menu_id, definition, now=now)
        _MENUS.save_definition(item, definition, now=now)
        return item

    def menu(self, workspace_id: str, menu_id: str) -> MenuModel:
        return _MENUS.require(workspace_id, menu_id)

    def all_menus(self, workspace_id: str) -> list[MenuModel]:
        return _MENUS.all(workspace_id)

    def delete(self, item: StaffModel | MenuModel) -> None:
        item.delete()

    # ------------------------------------------------------------------ units (capacity)
    def unit_counts(self, workspace_id: str, staff_id: str, start: datetime, end: datetime) -> dict[str, int]:
        """How many bookings hold each unit of the staff member's time in [start, end) (unit start iso -> count)."""
        rows = UnitModel.query(
            unit_pk(workspace_id, staff_id), UnitModel.sk.between(iso(start), iso(end)), consistent_read=True
        )
        return {row.sk: int(row.held or 0) for row in rows}

    def menu_unit_counts(self, workspace_id: str, menu_id: str, start: datetime, end: datetime) -> dict[str, int]:
        """The same per unit of a menu with its own capacity (bookings of the menu at that time, any staff)."""
        rows = UnitModel.query(
            menu_unit_pk(workspace_id, menu_id), UnitModel.sk.between(iso(start), iso(end)), consistent_read=True
        )
        return {row.sk: int(row.held or 0) for row in rows}

    # ------------------------------------------------------------------ bookings
    def book(self, booking: BookingModel, units: list[datetime], capacity: int, menu_capacity: int = 0) -> bool:
        """The booking, its lookup and +1 on every unit it covers, in one transaction; each unit only while it holds
        fewer than ``capacity`` bookings (and, when ``menu_capacity`` is set, +1 on the menu's units while under
        it). False when a unit was full (the slot was taken meanwhile): nothing written."""
        lookup = BookingLookupModel(
            pk=lookup_pk(booking.booking_id),
            sk="booking",
            workspace_id=booking.workspace_id,
            booking_id=booking.booking_id,
            day_pk=booking.pk,
            day_sk=booking.sk,
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(booking, condition=BookingModel.pk.does_not_exist())
                tx.save(lookup, condition=BookingLookupModel.pk.does_not_exist())
                tx.save(_friend_item(booking))
                tx.save(_menu_item(booking))
                if booking.status == "pending_payment":
                    tx.save(_pending_item(booking))
                for unit in units:
                    _hold(tx, unit_pk(booking.workspace_id, booking.staff_id), unit, capacity)
                    if booking.menu_units:
                        _hold(tx, menu_unit_pk(booking.workspace_id, booking.menu_id), unit, menu_capacity)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def release(
        self, booking: BookingModel, units: list[datetime], status: str, *, now: datetime, expected: str = "booked"
    ) -> bool:
        """Booking -> ``status`` (canceled) and -1 on its units, in one transaction, only while it is still booked:
        a second cancel (double click, retry) changes nothing. False when it was no longer booked."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    booking,
                    actions=[BookingModel.status.set(status), BookingModel.canceled_at.set(now)],
                    condition=BookingModel.status == expected,
                )
                if expected == "pending_payment":
                    tx.delete(_pending_item(booking))
                for unit in units:
                    _free(tx, unit_pk(booking.workspace_id, booking.staff_id), unit)
                    if booking.menu_units:
                        _free(tx, menu_unit_pk(booking.workspace_id, booking.menu_id), unit)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        booking.status = status
        booking.canceled_at = now
        return True

    def move(
        self,
        old: BookingModel,
        old_units: list[datetime],
        new: BookingModel,
        new_units: list[datetime],
        capacity: int,
        *,
        now: datetime,
        menu_capacity: int = 0,
    ) -> bool:
        """A reschedule in one transaction: ``old`` -> rescheduled (only while booked), ``new`` and its lookup
        written, -1 on the units only the old booking held, +1 (each while ``held < capacity``) on the units only the
        new one needs; units both cover stay as they are (a transaction may touch an item once). False when the old
        booking was no longer booked or a new unit was full: nothing written."""
        lookup = BookingLookupModel(
            pk=lookup_pk(new.booking_id),
            sk="booking",
            workspace_id=new.workspace_id,
            booking_id=new.booking_id,
            day_pk=new.pk,
            day_sk=new.sk,
        )
        same_staff = old.staff_id == new.staff_id
        both = {iso(u) for u in old_units} & {iso(u) for u in new_units}
        keep = both if same_staff else set()
        keep_menu = both if old.menu_units and new.menu_units and old.menu_id == new.menu_id else set()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    old,
                    actions=[BookingModel.status.set("rescheduled"), BookingModel.canceled_at.set(now)],
                    condition=BookingModel.status == "booked",
                )
                tx.save(new, condition=BookingModel.pk.does_not_exist())
                tx.save(lookup, condition=BookingLookupModel.pk.does_not_exist())
                tx.save(_friend_item(new))
                tx.save(_menu_item(new))
                for unit in old_units:
                    if iso(unit) not in keep:
                        _free(tx, unit_pk(old.workspace_id, old.staff_id), unit)
                    if old.menu_units and iso(unit) not in keep_menu:
                        _free(tx, menu_unit_pk(old.workspace_id, old.menu_id), unit)
                for unit in new_units:
                    if iso(unit) not in keep:
                        _hold(tx, unit_pk(new.workspace_id, new.staff_id), unit, capacity)
                    if new.menu_units and iso(unit) not in keep_menu:
                        _hold(tx, menu_unit_pk(new.workspace_id, new.menu_id), unit, menu_capacity)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        old.status = "rescheduled"
        old.canceled_at = now
        return True

    def confirm_payment(self, booking: BookingModel, *, now: datetime) -> bool:
        """pending_payment -> booked (paid) and its pending item gone, in one transaction; False when it was not
        pending any more (released, or a replay of the payment)."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    booking,
                    actions=[BookingModel.status.set("booked"), BookingModel.paid_at.set(now)],
                    condition=BookingModel.status == "pending_payment",
                )
                tx.delete(_pending_item(booking))
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        booking.status = "booked"
        booking.paid_at = now
        return True

    def expired_holds(self, workspace_id: str, now: datetime) -> list[BookingModel]:
        """Pending bookings whose hold ended at or before ``now`` (oldest hold first)."""
        rows = FriendBookingModel.query(pending_pk(workspace_id), FriendBookingModel.sk <= f"{iso(now)}#~")
        return [booking for _, booking in _pointed(rows)]

    # ------------------------------------------------------------------ the booking the reminder fields name
    def mark_next(self, booking: BookingModel) -> None:
        item = _friend_item(booking)
        item.pk = next_pk(booking.workspace_id)
        item.sk = f"{iso(booking.end)}#{booking.booking_id}"
        item.save()

    def ended_nexts(self, workspace_id: str, now: datetime) -> list[tuple[FriendBookingModel, BookingModel]]:
        """The named bookings over at ``now`` (their index item and the booking)."""
        rows = FriendBookingModel.query(next_pk(workspace_id), FriendBookingModel.sk <= f"{iso(now)}#~")
        return list(_pointed(rows))

    def forget(self, item: FriendBookingModel) -> None:
        item.delete()

    # ------------------------------------------------------------------ waitlist
    def add_waiting(self, item: WaitlistModel) -> None:
        item.save(condition=WaitlistModel.pk.does_not_exist())

    def waiting(self, workspace_id: str, menu_id: str, start: datetime) -> list[WaitlistModel]:
        """The slot's waitlist, oldest first (any status)."""
        return list(WaitlistModel.query(waitlist_pk(workspace_id, menu_id, iso(start)), consistent_read=True))

    def set_waiting_status(self, item: WaitlistModel, status: str, *, expected: str, booking_id: str = "") -> bool:
        """``expected`` -> ``status`` (conditional: two cancels at once move one friend up once)."""
        actions: list[Action] = [WaitlistModel.status.set(status)]
        if booking_id:
            actions.append(WaitlistModel.booking_id.set(booking_id))
        try:
            item.update(actions=actions, condition=WaitlistModel.status == expected)
        except Exception as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def find(self, booking_id: str) -> BookingModel | None:
        try:
            lookup = BookingLookupModel.get(lookup_pk(booking_id), "booking", consistent_read=True)
        except BookingLookupModel.DoesNotExist:
            return None
        try:
            return BookingModel.get(lookup.day_pk, lookup.day_sk, consistent_read=True)
        except BookingModel.DoesNotExist:  # pragma: no cover - written together
            return None

    def of_friend(self, workspace_id: str, subscriber_id: str, since: datetime, limit: int = 20) -> list[BookingModel]:
        """The friend's bookings starting at or after ``since``, in time order (any status: the booking holds it)."""
        rows = FriendBookingModel.query(
            friend_pk(workspace_id, subscriber_id), FriendBookingModel.sk >= iso(since), limit=limit
        )
        out: list[BookingModel] = []
        for row in rows:
            try:
                out.append(BookingModel.get(row.day_pk, row.day_sk, consistent_read=True))
            except BookingModel.DoesNotExist:  # pragma: no cover - written together
                continue
        return out

    def staff_busy_after(self, workspace_id: str, staff_id: str, now: datetime) -> str | None:
        """The first unit at or after ``now`` that a booking of the staff member holds (None: no future booking).
        The unit counters are exact (+1 on book, -1 on cancel) and older than the menu index."""
        rows = UnitModel.query(
            unit_pk(workspace_id, staff_id),
            UnitModel.sk >= iso(now - timedelta(minutes=UNIT_MINUTES)),
            filter_condition=UnitModel.held > 0,
            consistent_read=True,
        )
        return next((row.sk for row in rows), None)

    def menu_booked_after(self, workspace_id: str, menu_id: str, now: datetime) -> BookingModel | None:
        """The menu's first booking still booked and not ended at ``now`` (the menu index; 8 hours back covers a
        booking already under way)."""
        rows = FriendBookingModel.query(
            menu_index_pk(workspace_id, menu_id), FriendBookingModel.sk >= iso(now - timedelta(hours=8))
        )
        for _, booking in _pointed(rows):
            if booking.status == "booked" and booking.end > now:
                return booking
        return None

    def day(self, workspace_id: str, local_date: str) -> list[BookingModel]:
        return list(BookingModel.query(day_pk(workspace_id, local_date), consistent_read=True))

    def set_status(self, booking: BookingModel, status: str, *, expected: tuple[str, ...]) -> bool:
        """Attendance: ``status`` when the booking is in one of ``expected`` (False otherwise)."""
        condition = BookingModel.status.is_in(*expected)
        try:
            booking.update(actions=[BookingModel.status.set(status)], condition=condition)
        except Exception as exc:
            if condition_failed(exc):
                return False
            raise
        return True


__all__ = ["BookingRepository"]
