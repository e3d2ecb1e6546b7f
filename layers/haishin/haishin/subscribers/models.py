"""Subscriber records in SubscribersTable.

Key layout:
- subscriber: pk ``sub#<workspace_id>#<shard>`` sk ``<subscriber_id>``. The shard (0..SHARDS-1) is derived from the
  subscriber ID, so a GetItem needs only the ID, writes spread over partitions (1,000 WCU each), and a broadcast
  planner reads the workspace in SHARDS parallel slices.
- alias: pk ``alias#<workspace_id>#<kind>#<value>`` sk ``alias`` -> subscriber_id, for kind ``line:<channel_id>``,
  ``email`` and ``phone``. Written with a condition, read strongly consistent: two concurrent follows of one LINE
  user can never create two subscribers (a GSI would be eventually consistent and could).
- no GSI: the table's generic gsi1..3 stay empty for subscribers. An ALL-projected index would copy every friend
  write (doubling the WCU of each follow, tag and field change); lists sort by reading the shards instead.

Summaries other areas maintain on the subscriber row (so a segment reads one row per friend, never a second table
for these):
- ``products`` (string set of product IDs bought) and ``total_spent`` (number, in the workspace currency's minor
  unit as Stripe reports it, e.g. yen) - written by the payments area via ``SubscriberRepository.record_purchase``.
- ``forms_answered`` (string set of form IDs) - written by the forms area via ``mark_form_answered`` (the timeline
  keeps each answer as a ``form_answered`` entry; the set is what segments read).
- ``field_ends``: field key -> ISO end of a datetime *range* (``11:00〜12:00``); ``fields[key]`` keeps the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.storage.shards import shard_of


def subscriber_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"sub#{workspace_id}#{shard_of(subscriber_id):02d}"


def alias_pk(workspace_id: str, kind: str, value: str) -> str:
    return f"alias#{workspace_id}#{kind}#{value}"


def line_account(user_id: str, status: str = "unknown", followed_at: str | None = None,
                 blocked_at: str | None = None) -> dict[str, str | None]:
    """The friend's relationship with one LINE channel, as stored in ``SubscriberModel.line[channel_id]``.

    status: following | blocked | unknown (seen, e.g. a message from a migrated friend, before any follow event).
    Times are ISO text (``haishin.storage.base.iso``).
    """
    return {"user_id": user_id, "status": status, "followed_at": followed_at, "blocked_at": blocked_at}


def follow_status(line: Mapping[str, Any] | None, channel_id: str | None = None) -> str:
    """following | blocked | unknown | no_line (see ``FollowCondition``)."""
    accounts = dict(line or {})
    if channel_id is not None:
        account = accounts.get(channel_id)
        return str(account.get("status") or "unknown") if account else "no_line"
    if not accounts:
        return "no_line"
    statuses = {str((a or {}).get("status") or "unknown") for a in accounts.values()}
    if "following" in statuses:
        return "following"
    if "blocked" in statuses:
        return "blocked"
    return "unknown"


class SubscriberModel(HaishinModel):
    Meta = model_meta("SUBSCRIBERS_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    workspace_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    picture_url = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    # channel_id -> line_account(...) dict
    line = JSONTextAttribute(default=dict)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(default=set)
    # field key -> value (text, number, ISO date/datetime text, list of choices, bool), typed by field definitions
    fields = JSONTextAttribute(default=dict)
    inflow_route = UnicodeAttribute(null=True)
    # the inflow route's ID when ``inflow_route`` was set by a route's attribution (routes are renamed; rich menu
    # route rules match the ID); None when the name came from elsewhere (a tracked link, an import, the admin)
    inflow_route_id = UnicodeAttribute(null=True)
    source = UnicodeAttribute(null=True)  # line | form | csv | api | stripe
    # channel kind ("line", "email", "sms") -> consent given
    consent = JSONTextAttribute(default=dict)
    # channel kind -> unsubscribed (配信停止); unsubscribed_all stops every scenario and broadcast
    unsubscribed = JSONTextAttribute(default=dict)
    unsubscribed_all = BooleanAttribute(default=False)
    # scope ("line", "email", "sms", "all") -> {"stopped", "at", "via"}: the last opt-out change (haishin.optout)
    unsubscribed_changes = JSONTextAttribute(null=True)
    # cause key -> {"at", "changes"}: tag changes of recent causes, so a retried cause re-fires its tag triggers
    # after a crash between the write and the trigger (haishin.tags.triggers.remember_tag_changes)
    tag_changes_by_cause = JSONTextAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    merged_from = UnicodeSetAttribute(default=set)
    # purchases summary (payments area) and forms answered (forms area); see the module docstring
    products = UnicodeSetAttribute(default=set)
    total_spent = NumberAttribute(null=True)
    forms_answered = UnicodeSetAttribute(default=set)
    field_ends = JSONTextAttribute(default=dict)
    # a friend an import created: {"import_id", "line", "actor"}; the timeline shows it as the "imported" entry
    # (``Timeline.page``), so an imported friend costs no timeline write
    imported_from = JSONTextAttribute(null=True)
    # an unverified contact: an unsigned form submission whose e-mail or phone already belonged to another friend
    # (``haishin.forms.service``). {"matches": {"email"|"phone": subscriber_id}, "email", "phone", "form_id",
    # "submission_id", "at"}. It owns no alias and has no address of its own (the claimed ones are kept here
    # only), so nothing is sent to it; merging it into the matched friend (admin merge) folds its answers in.
    unverified_match = JSONTextAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    last_interaction_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class AliasModel(HaishinModel):
    Meta = model_meta("SUBSCRIBERS_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="alias")
    subscriber_id = UnicodeAttribute()
