"""Booking records in WorkspaceTable.

- staff:    pk ``ws#<workspace_id>`` sk ``bks#<staff_id>``  (name, weekly hours, exceptions, capacity, menus)
- menu:     pk ``ws#<workspace_id>`` sk ``bkm#<menu_id>``   (name, duration in minutes, price)
- unit:     pk ``bkunit#<workspace_id>#<staff_id>`` sk ``<unit start iso>``: how many bookings hold this
            15-minute unit of the staff member's time. A booking adds 1 to every unit it covers, each on the
            condition ``held < capacity``, in the same transaction that writes the booking: two friends can never
            both take the last place, and a 60-minute booking blocks the 30-minute slots it overlaps.
- menu unit: pk ``bkmunit#<workspace_id>#<menu_id>`` sk ``<unit start iso>``: the same count per menu, for a
            menu with its own capacity (a room or machine shared by every staff member), raised in the same
            transaction on ``held < menu capacity``.
            Both unit rows carry ``expires_at`` (TTL, epoch seconds): 30 days after the unit ends DynamoDB removes
            them; past units are never read (open slots start after now).
- booking:  pk ``bkcal#<workspace_id>#<local date>`` sk ``<start iso>#<booking_id>``: one partition per day of
            the workspace's zone, so the day/week calendar is a query per day.
- lookup:   pk ``bkg#<booking_id>`` sk ``booking`` -> workspace and where the booking lives (signed cancel links
            carry only the booking ID).
- friend:   pk ``bkfr#<workspace_id>#<subscriber_id>`` sk ``<start iso>#<booking_id>`` -> where the booking lives:
            the friend's bookings in time order (マイページ), written in the booking's own transaction.
- pending:  pk ``bkpend#<workspace_id>`` sk ``<hold_until iso>#<booking_id>``, the same shape: a paid menu's booking
            holding its place until paid, in hold order, so the expired holds are one query (released on the next
            read: no scheduler); deleted when paid or released, in that transaction.
- next:     pk ``bknext#<workspace_id>`` sk ``<end iso>#<booking_id>``, the same shape: the bookings the friends'
            reminder fields name, by end, so when one is over the friend's fields move to their following booking
            (one query on the next slot read, as the unpaid holds).
- waitlist: pk ``bkwl#<workspace_id>#<menu_id>#<start iso>`` sk ``<created iso>#<wait_id>``: friends waiting for a
            full slot, oldest first; a cancel of that slot moves the oldest up (``status`` waiting -> promoted).
- menu index: pk ``bkmenu#<workspace_id>#<menu_id>`` sk ``<start iso>#<booking_id>``, the same shape: the menu's
            bookings in time order, so deleting a menu can see its future bookings (a staff member's are its unit
            counters).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta

UNIT_MINUTES = 15


def staff_sk(staff_id: str) -> str:
    return f"bks#{staff_id}"


def menu_sk(menu_id: str) -> str:
    return f"bkm#{menu_id}"


def unit_pk(workspace_id: str, staff_id: str) -> str:
    return f"bkunit#{workspace_id}#{staff_id}"


def menu_unit_pk(workspace_id: str, menu_id: str) -> str:
    return f"bkmunit#{workspace_id}#{menu_id}"


def day_pk(workspace_id: str, local_date: str) -> str:
    return f"bkcal#{workspace_id}#{local_date}"


def lookup_pk(booking_id: str) -> str:
    return f"bkg#{booking_id}"


def friend_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"bkfr#{workspace_id}#{subscriber_id}"


def menu_index_pk(workspace_id: str, menu_id: str) -> str:
    return f"bkmenu#{workspace_id}#{menu_id}"


def pending_pk(workspace_id: str) -> str:
    return f"bkpend#{workspace_id}"


def next_pk(workspace_id: str) -> str:
    return f"bknext#{workspace_id}"


def waitlist_pk(workspace_id: str, menu_id: str, start_iso: str) -> str:
    return f"bkwl#{workspace_id}#{menu_id}#{start_iso}"


class StaffModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    definition = JSONTextAttribute()  # haishin.bookings.inputs.StaffInput as JSON
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class MenuModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    menu_id = UnicodeAttribute()
    definition = JSONTextAttribute()  # haishin.bookings.inputs.MenuInput as JSON
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class UnitModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    held = NumberAttribute(default=0)  # bookings holding this unit
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds): 30 days after the unit ends


class BookingModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    menu_id = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    # booked | pending_payment (a paid menu's place held until paid) | canceled | expired (unpaid hold released)
    # | rescheduled | attended | no_show
    status = UnicodeAttribute(default="booked")
    booked_by = UnicodeAttribute(default="friend")  # friend | staff
    created_at = UTCDateTimeAttribute()
    canceled_at = UTCDateTimeAttribute(null=True)
    rescheduled_from = UnicodeAttribute(null=True)  # the booking this one replaced (a reschedule)
    # it holds the menu's unit counters (the menu had its own capacity when booked): a cancel frees exactly those
    menu_units = BooleanAttribute(null=True)
    # the names when booked: the calendar and CSV still name a menu or staff member deleted later
    menu_name = UnicodeAttribute(null=True)
    staff_name = UnicodeAttribute(null=True)
    hold_until = UTCDateTimeAttribute(null=True)  # pending_payment: released when unpaid by then
    paid_at = UTCDateTimeAttribute(null=True)


class BookingLookupModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="booking")
    workspace_id = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    day_pk = UnicodeAttribute()
    day_sk = UnicodeAttribute()


class FriendBookingModel(HaishinModel):
    """One of the friend's (or the menu's) bookings: an index item pointing at the booking, which holds the status."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    booking_id = UnicodeAttribute()
    day_pk = UnicodeAttribute()
    day_sk = UnicodeAttribute()


class WaitlistModel(HaishinModel):
    """A friend waiting for a full slot (a menu at a start; ``staff_id`` "" = anyone)."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    wait_id = UnicodeAttribute()
    menu_id = UnicodeAttribute()
    staff_id = UnicodeAttribute(default="")
    start = UTCDateTimeAttribute()
    subscriber_id = UnicodeAttribute()
    status = UnicodeAttribute(default="waiting")  # waiting | promoted | canceled
    created_at = UTCDateTimeAttribute()
    booking_id = UnicodeAttribute(null=True)  # the booking it became
    expires_at = NumberAttribute(null=True)  # TTL: 30 days after the slot
