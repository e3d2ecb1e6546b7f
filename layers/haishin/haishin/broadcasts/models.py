"""Broadcast records (一斉配信 / セグメント配信) in WorkspaceTable.

Key layout (all under the workspace's partition, pk ``ws#<workspace_id>``):
- broadcast:  sk ``broadcast#<broadcast_id>``: name, status, channel, segment, timing and the live progress counters.
  Kept small on purpose (no message content): the delivery worker ADDs to its counters once per batch, and a
  write costs one unit per KB of the item.
- content:    sk ``broadcast#<broadcast_id>#content``: the 1-5 LINE messages / email / SMS templates (an A/B test:
  variant A's, plus ``variants``: every variant's content, A first).
- slice:      sk ``broadcast#<broadcast_id>#slice#<nn>``: what planner slice ``nn`` (one subscriber shard) left over
  (recipients not filling a 500 batch), pooled by the last slice into full batches.

Status: ``draft`` -> ``scheduled`` (a one-time schedule waits, or "send now" queued it) -> ``planning`` (exactly one
planner invocation won the conditional transition) -> ``sending`` (every batch is on the delivery queue) -> ``done``;
``cancelled`` from any state before ``done``.

Counters (numbers of recipients): ``planned`` (put in delivery batches), ``sent``, ``failed``, ``cancelled_n``
(batches dropped by a cancel), ``skipped_blocked``, ``skipped_unsubscribed``, ``skipped_no_address``,
``skipped_daily_cap`` (the friend already had the workspace's daily number of marketing messages); ``settled`` =
sent + failed + cancelled_n, so ``settled >= planned`` with ``planning_complete`` means the broadcast is done.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta

STATUSES = ("draft", "scheduled", "planning", "sending", "done", "cancelled")
EDITABLE = frozenset({"draft", "scheduled"})
CANCELLABLE = frozenset({"draft", "scheduled", "planning", "sending"})
CHANNELS = ("line", "email", "sms", "line_email")
COUNTERS = ("planned", "sent", "failed", "cancelled_n", "skipped_blocked", "skipped_unsubscribed",
            "skipped_no_address", "skipped_daily_cap", "settled")


def broadcast_sk(broadcast_id: str) -> str:
    return f"broadcast#{broadcast_id}"


def content_sk(broadcast_id: str) -> str:
    return f"broadcast#{broadcast_id}#content"


PLANNING_WATCH_PK = "system#broadcasts_planning"


class PlanningWatchModel(HaishinModel):
    """One small item per broadcast in ``planning`` (pk ``system#broadcasts_planning``, sk ``<workspace>#<id>``), so
    the sweep for stuck planning reads only the broadcasts being planned (one partition), never every broadcast."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True, default=PLANNING_WATCH_PK)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    broadcast_id = UnicodeAttribute()
    since = UTCDateTimeAttribute()


def slice_sk(broadcast_id: str, slice_no: int) -> str:
    return f"broadcast#{broadcast_id}#slice#{slice_no:02d}"


class BroadcastModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    broadcast_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="draft")
    channel = UnicodeAttribute(default="line")
    line_channel_id = UnicodeAttribute(null=True)
    segment_id = UnicodeAttribute(null=True)
    segment = JSONTextAttribute(null=True)  # inline segment definition; None with no segment_id = everyone
    personalised = BooleanAttribute(default=False)
    # False: an urgent notice goes out even in the workspace's quiet hours (default: deferred to their end)
    respect_quiet_hours = BooleanAttribute(null=True)
    # False: the workspace's daily frequency cap does not apply (default: friends at the cap are skipped)
    respect_daily_cap = BooleanAttribute(null=True)
    # the cap in force for this send, read once when planning starts (0: none), so every slice applies the same
    daily_cap = NumberAttribute(null=True)
    message_count = NumberAttribute(default=1)
    # A/B test (haishin.broadcasts.abtest): the variants' relative weights, A first (2-4); None = no test. Their
    # contents are on the content item under ``variants`` (its top-level parts are variant A's).
    variants = JSONTextAttribute(null=True)
    # test share first (as Mautic does): only ``ab_share`` % of the audience gets the variants; ``ab_winner_after``
    # minutes after planning starts, the winner broadcast (ID ``<id>_w``, ``ab_parent`` = this one) sends the
    # variant that won (``ab_winner``, index; ``ab_winner_note`` = the verdict then) to the rest
    ab_share = NumberAttribute(null=True)
    ab_winner_after = NumberAttribute(null=True)
    ab_parent = UnicodeAttribute(null=True)
    ab_winner = NumberAttribute(null=True)
    ab_winner_note = UnicodeAttribute(null=True)
    ab_metric = UnicodeAttribute(null=True)  # click_rate (None) | conversion_rate | revenue_per_recipient
    # timing: local wall time as the marketer typed it, its zone, and the UTC instant
    send_at_local = UnicodeAttribute(null=True)
    time_zone = UnicodeAttribute(null=True)
    send_at = UTCDateTimeAttribute(null=True)
    schedule_name = UnicodeAttribute(null=True)
    # estimate and quota at the time of the last check / send
    estimate = NumberAttribute(null=True)
    quota_warning = UnicodeAttribute(null=True)
    # the last audience count ({"fingerprint", "counts", "line_ok"}) and when it was taken: "send now" / "schedule"
    # right after the confirm step's quota check reuse it instead of reading every friend again (see
    # BroadcastService.REACH_FRESH)
    reach = JSONTextAttribute(null=True)
    reach_at = UTCDateTimeAttribute(null=True)
    test_sent_at = UTCDateTimeAttribute(null=True)
    # planning
    planned_at = UTCDateTimeAttribute(null=True)  # the instant variables like ``now`` render with
    slices_done = UnicodeSetAttribute(default=set)
    planning_complete = BooleanAttribute(default=False)
    batches = NumberAttribute(default=0)
    # counters (ADDed atomically)
    planned = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    cancelled_n = NumberAttribute(default=0)
    skipped_blocked = NumberAttribute(default=0)
    skipped_unsubscribed = NumberAttribute(default=0)
    skipped_no_address = NumberAttribute(default=0)
    skipped_daily_cap = NumberAttribute(default=0)
    settled = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)


class BroadcastContentModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    content = JSONTextAttribute()


class BroadcastSliceModel(HaishinModel):
    """A finished planner slice: its counts and the recipients that did not fill a 500 batch (pooled later)."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    batches = NumberAttribute(default=0)
    # {"<channel>|<group key>": {"content": ... | None, "recipients": [...], "to": [...]}}
    remainder = JSONTextAttribute(default=dict)
    counts = JSONTextAttribute(default=dict)
