"""Seminar records in WorkspaceTable.

- event:        pk ``ws#<workspace_id>`` sk ``sem#<event_id>`` (title, price, tags; the admin's list reads these)
- session:      pk ``sem#<workspace_id>#<event_id>`` sk ``ses#<session_id>`` (time, place, capacity, deadline and the
                counters ``taken`` / ``waiting`` that every registration changes with a conditional write)
- registration: same partition, sk ``reg#<registration_id>`` (registration IDs sort by creation: the waitlist order)
- friend mark:  same partition, sk ``friend#<subscriber_id>`` -> the friend's live registration (one per event; saved
                only if absent, in the same transaction as the registration, so a double tap registers once)

- friend index: pk ``semf#<workspace_id>#<subscriber_id>`` sk ``sem#<event_id>`` -> the friend's live registration of
                that event, written and deleted in the same transactions as the friend mark, so マイページ reads one
                partition of the friend's own items instead of every seminar of the workspace

One partition per event keeps the roster a single query and the counters next to the rows they count.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta

SEMINAR_PREFIX = "haishin:sem:"  # postback data (haishin.ingest.postback): a LINE postback's data is <= 300 chars


def seminar_data(verb: str, event_id: str, session_id: str = "") -> str:
    """Postback data: ``l`` (send the sessions' carousel) or ``r`` (register for ``session_id``)."""
    return SEMINAR_PREFIX + ":".join([verb, event_id] + ([session_id] if session_id else []))


def parse_seminar_data(data: str) -> tuple[str, str, str] | None:
    """(``l`` | ``r``, event ID, session ID or "") of a seminar postback; None for anything else."""
    data = (data or "").strip()
    if not data.startswith(SEMINAR_PREFIX):
        return None
    parts = data[len(SEMINAR_PREFIX) :].split(":")
    if len(parts) == 2 and parts[0] == "l" and parts[1]:
        return "l", parts[1], ""
    if len(parts) == 3 and parts[0] == "r" and parts[1] and parts[2]:
        return "r", parts[1], parts[2]
    return None


def friend_index_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"semf#{workspace_id}#{subscriber_id}"


def event_sk(event_id: str) -> str:
    return f"sem#{event_id}"


def event_pk(workspace_id: str, event_id: str) -> str:
    return f"sem#{workspace_id}#{event_id}"


def session_sk(session_id: str) -> str:
    return f"ses#{session_id}"


def registration_sk(registration_id: str) -> str:
    return f"reg#{registration_id}"


def friend_sk(subscriber_id: str) -> str:
    return f"friend#{subscriber_id}"


class SeminarModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    definition = JSONTextAttribute()  # haishin.seminars.inputs.SeminarIn as JSON
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class SessionModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    deadline = UTCDateTimeAttribute()  # registration and cancellation close then
    venue = UnicodeAttribute(default="")
    online_url = UnicodeAttribute(default="")
    capacity = NumberAttribute()
    taken = NumberAttribute(default=0)  # confirmed seats: changed only by conditional writes
    waiting = NumberAttribute(default=0)  # friends on the waitlist


class RegistrationModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    registration_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    # confirmed | pending_payment (a paid seat held until hold_until) | waitlisted | cancelled
    status = UnicodeAttribute()
    hold_until = UTCDateTimeAttribute(null=True)  # pending_payment: the seat is released after this
    attendance = UnicodeAttribute(default="")  # "" | attended | no_show
    source = UnicodeAttribute(default="staff")  # staff | page | line
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    checked_in_at = UTCDateTimeAttribute(null=True)
    # a payment that came after the held seat was released and refilled: refunded automatically (Stripe refund ID)
    refund_id = UnicodeAttribute(null=True)
    refunded_at = UTCDateTimeAttribute(null=True)


class FriendMarkModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    registration_id = UnicodeAttribute()


class FriendIndexModel(HaishinModel):
    """One per event the friend holds a live registration of, in the friend's own partition (マイページ)."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    registration_id = UnicodeAttribute()
