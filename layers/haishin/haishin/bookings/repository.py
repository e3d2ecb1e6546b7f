"""Bookings in WorkspaceTable (records described in ``haishin.bookings.models``): every DynamoDB read and write of
the bookings feature. Capacity is enforced here by conditional writes in one transaction, never by a lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from haishin.bookings.models import (
    BookingLookupModel,
    BookingModel,
    FriendBookingModel,
    MenuModel,
    StaffModel,
    UnitModel,
    day_pk,
    friend_pk,
    lookup_pk,
    menu_sk,
    staff_sk,
    unit_pk,
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

    # ------------------------------------------------------------------ bookings
    def book(self, booking: BookingModel, units: list[datetime], capacity: int) -> bool:
        """The booking, its lookup and +1 on every unit it covers, in one transaction; each unit only while it holds
        fewer than ``capacity`` bookings. False when a unit was full (the slot was taken meanwhile): nothing written."""
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
                for unit in units:
                    item = UnitModel(pk=unit_pk(booking.workspace_id, booking.staff_id), sk=iso(unit))
                    tx.update(
                        item,
                        actions=[UnitModel.held.add(1)],
                        condition=UnitModel.held.does_not_exist() | (UnitModel.held < capacity),
                    )
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def release(self, booking: BookingModel, units: list[datetime], status: str, *, now: datetime) -> bool:
        """Booking -> ``status`` (canceled) and -1 on its units, in one transaction, only while it is still booked:
        a second cancel (double click, retry) changes nothing. False when it was no longer booked."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    booking,
                    actions=[BookingModel.status.set(status), BookingModel.canceled_at.set(now)],
                    condition=BookingModel.status == "booked",
                )
                for unit in units:
                    item = UnitModel(pk=unit_pk(booking.workspace_id, booking.staff_id), sk=iso(unit))
                    tx.update(item, actions=[UnitModel.held.add(-1)], condition=UnitModel.held > 0)
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
        keep = {iso(u) for u in old_units} & {iso(u) for u in new_units} if same_staff else set()
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
                for unit in old_units:
                    if iso(unit) not in keep:
                        item = UnitModel(pk=unit_pk(old.workspace_id, old.staff_id), sk=iso(unit))
                        tx.update(item, actions=[UnitModel.held.add(-1)], condition=UnitModel.held > 0)
                for unit in new_units:
                    if iso(unit) not in keep:
                        item = UnitModel(pk=unit_pk(new.workspace_id, new.staff_id), sk=iso(unit))
                        tx.update(
                            item,
                            actions=[UnitModel.held.add(1)],
                            condition=UnitModel.held.does_not_exist() | (UnitModel.held < capacity),
                        )
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        old.status = "rescheduled"
        old.canceled_at = now
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
