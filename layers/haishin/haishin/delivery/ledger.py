"""The delivery ledger (LedgerTable): one row per delivery message, the final guard against sending twice.

- row: pk ``dlv#<delivery_id>`` sk ``ledger``. status: ``enqueued`` -> ``sending`` (claimed by one worker, with a
  lease) -> ``sent`` | ``failed`` | ``skipped_blocked`` | ``skipped_unsubscribed`` | ``skipped_condition`` |
  ``skipped_stopped`` | ``skipped_late`` | ``skipped_no_address``; ``retrying`` after a retryable failure.
- error log (配信エラーログ) on gsi1: gsi1pk ``dlverr#<workspace_id>`` gsi1sk ``<iso time>#<delivery_id>``, set
  while a row is ``failed`` or ``retrying`` with an error.
- frequency-cap counters: pk ``cap#<workspace_id>#<subscriber_id>#<local date>`` sk ``cap``: the friend's marketing
  messages that local day, steps and broadcasts alike; ``owners`` holds the broadcasts counted (a re-planned slice
  counts a friend once).
Rows expire (TTL ``expires_at``) after 180 days; LINE's retry-key window is 24 h, so the ledger outlives it.

Exactly once: a worker claims a row with a conditional update (only from enqueued/retrying/absent, or a ``sending``
whose lease ran out), sends with the deterministic retry key, then marks it ``sent`` conditional on its claim token.
A redelivered SQS message finds ``sent`` and does nothing, even without LINE's 409.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action as UpdateAction
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from haishin import clock
from haishin.delivery.counters import count_delivery
from haishin.storage.base import (
    HaishinModel,
    JSONTextAttribute,
    UTCDateTimeAttribute,
    condition_failed,
    iso,
    model_meta,
)

FINAL = frozenset({"sent", "failed", "skipped_blocked", "skipped_unsubscribed", "skipped_condition",
                   "skipped_stopped", "skipped_late", "skipped_no_address"})
CLAIMABLE = frozenset({"enqueued", "retrying"})
RETENTION = timedelta(days=180)


class ErrorLogIndex(GlobalSecondaryIndex["LedgerModel"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class LedgerModel(HaishinModel):
    Meta = model_meta("LEDGER_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="ledger")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    errors = ErrorLogIndex()

    delivery_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    subscriber_id = UnicodeAttribute(null=True)
    recipients = NumberAttribute(default=1)
    scenario_id = UnicodeAttribute(null=True)
    step_id = UnicodeAttribute(null=True)
    broadcast_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    scheduled_at = UTCDateTimeAttribute(null=True)
    enqueued_at = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    claim_token = UnicodeAttribute(null=True)
    claim_until = UTCDateTimeAttribute(null=True)
    line_request_id = UnicodeAttribute(null=True)
    via = UnicodeAttribute(null=True)  # LINE: "reply" (free, on an event's reply token) or "push" (counted)
    already_accepted = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    skipped = JSONTextAttribute(null=True)  # {subscriber_id: reason} for multi-recipient messages
    actions_done = NumberAttribute(default=0)  # a step's actions ran (once, after the send)
    expires_at = NumberAttribute(null=True)


class CapCounter(HaishinModel):
    Meta = model_meta("LEDGER_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="cap")
    count = NumberAttribute(default=0)  # type: ignore[assignment]
    owners = UnicodeSetAttribute(null=True)  # broadcast IDs counted here (idempotent broadcast takes)
    expires_at = NumberAttribute(null=True)


def cap_pk(workspace_id: str, subscriber_id: str, local_date: str) -> str:
    return f"cap#{workspace_id}#{subscriber_id}#{local_date}"


CAP_TTL_S = 3 * 86400


def ledger_pk(delivery_id: str) -> str:
    return f"dlv#{delivery_id}"


def error_log_pk(workspace_id: str) -> str:
    return f"dlverr#{workspace_id}"



@dataclass(frozen=True)
class LedgerWrite:
    """One conditional update of a ledger row, to run inside a caller's transaction."""

    row: LedgerModel
    actions: list[UpdateAction]
    condition: Condition | None


def _outcome_actions(delivery_id: str, status: str, *, workspace_id: str, now: datetime,
                     sent_at: datetime | None = None, line_request_id: str | None = None,
                     already_accepted: bool = False, error: str | None = None,
                     skipped: dict[str, str] | None = None, via: str | None = None) -> list[UpdateAction]:
    """The row's update for an outcome: status, no lease, the error log entry while failed/retrying with an error."""
    actions: list[UpdateAction] = [LedgerModel.status.set(status), LedgerModel.claim_until.remove()]
    if status == "sent":
        actions.append(LedgerModel.sent_at.set(sent_at or now))
    if line_request_id:
        actions.append(LedgerModel.line_request_id.set(line_request_id))
    if via:
        actions.append(LedgerModel.via.set(via))
    if already_accepted:
        actions.append(LedgerModel.already_accepted.set(1))
    if error:
        actions.append(LedgerModel.error.set(error[:1000]))
    if skipped:
        actions.append(LedgerModel.skipped.set(skipped))
    if status in ("failed", "retrying") and error:
        actions += [LedgerModel.gsi1pk.set(error_log_pk(workspace_id)),
                    LedgerModel.gsi1sk.set(f"{iso(now)}#{delivery_id}")]
    elif status in FINAL:
        actions += [LedgerModel.gsi1pk.remove(), LedgerModel.gsi1sk.remove()]
    return actions


@dataclass(frozen=True)
class Claim:
    outcome: str  # claimed | final | busy | unknown_outcome
    token: str | None = None
    row: LedgerModel | None = None


class Ledger:
    def _expires(self, now: datetime) -> int:
        return int((now + RETENTION).timestamp())

    def get(self, delivery_id: str) -> LedgerModel | None:
        try:
            return LedgerModel.get(ledger_pk(delivery_id), "ledger", consistent_read=True)
        except LedgerModel.DoesNotExist:
            return None

    def statuses(self, delivery_ids: list[str]) -> dict[str, str]:
        if not delivery_ids:
            return {}
        keys = [(ledger_pk(d), "ledger") for d in delivery_ids]
        found = {row.delivery_id: row.status for row in LedgerModel.batch_get(keys, consistent_read=True,
                                                                                 attributes_to_get=["delivery_id",
                                                                                                    "status"])}
        return found

    # ------------------------------------------------------------------ the tick
    def record_enqueued(self, *, delivery_id: str, workspace_id: str, kind: str, channel: str,
                        subscriber_id: str | None, scheduled_at: datetime | None, recipients: int = 1,
                        scenario_id: str | None = None, step_id: str | None = None,
                        broadcast_id: str | None = None, status: str = "enqueued", error: str | None = None) -> bool:
        """Write the row once. True when the message still needs to go on the queue (new, or an earlier enqueue
        that never reached a worker); False when a worker already settled or is handling it."""
        now = clock.now()
        row = LedgerModel(ledger_pk(delivery_id), "ledger", delivery_id=delivery_id, workspace_id=workspace_id,
                          kind=kind, channel=channel, subscriber_id=subscriber_id, recipients=recipients,
                          scenario_id=scenario_id, step_id=step_id, broadcast_id=broadcast_id, status=status,
                          scheduled_at=scheduled_at, enqueued_at=now, error=error, expires_at=self._expires(now))
        try:
            row.save(condition=LedgerModel.pk.does_not_exist())
            return True
        except PutError as exc:
            if not condition_failed(exc):
                raise
        existing = self.get(delivery_id)
        return existing is not None and existing.status == "enqueued"

    # ------------------------------------------------------------------ the worker
    def claim(self, delivery_id: str, *, lease: timedelta, channel: str, defaults: dict[str, Any],
              takeover: bool = False) -> Claim:
        """Take the row for one attempt: one conditional write, and a read only when the condition fails (a final
        row, a live lease, or an email/SMS attempt that stopped mid-send and is not repeated). The defaults fill a
        row that never had an enqueued record (e.g. a message replayed from elsewhere) and never overwrite.
        ``takeover``: an expired lease is taken over even for email/SMS (a row whose recipients have rows of their
        own, e.g. a planned broadcast batch, where the batch row itself sends nothing)."""
        now = clock.now()
        token = uuid.uuid4().hex
        actions: list[UpdateAction] = [
            LedgerModel.status.set("sending"),
            LedgerModel.claim_token.set(token),
            LedgerModel.claim_until.set(now + lease),
            LedgerModel.attempts.add(1),
            LedgerModel.delivery_id.set(delivery_id),
            LedgerModel.channel.set(LedgerModel.channel | channel),
            LedgerModel.enqueued_at.set(LedgerModel.enqueued_at | now),
            LedgerModel.expires_at.set(LedgerModel.expires_at | self._expires(now)),
        ]
        for name in ("workspace_id", "kind", "subscriber_id", "scenario_id", "step_id", "broadcast_id"):
            if defaults.get(name):
                attribute = getattr(LedgerModel, name)
                actions.append(attribute.set(attribute | defaults[name]))
        condition = LedgerModel.pk.does_not_exist() | LedgerModel.status.is_in(*CLAIMABLE)
        if takeover or channel not in ("email", "sms"):
            # an expired lease is taken over; SES/SNS have no retry key, so an email/SMS attempt is never repeated
            condition = condition | ((LedgerModel.status == "sending") & (LedgerModel.claim_until < now))
        try:
            LedgerModel(ledger_pk(delivery_id), "ledger").update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            row = self.get(delivery_id)
            if row is not None and row.status in FINAL:
                return Claim("final", row=row)
            if row is not None and row.status == "sending" and channel in ("email", "sms") and not takeover \
                    and not (row.claim_until and row.claim_until > now):
                return Claim("unknown_outcome", row=row)
            return Claim("busy", row=row)
        return Claim("claimed", token=token)

    def settle(self, delivery_id: str, token: str | None, status: str, *, workspace_id: str,
               line_request_id: str | None = None,
               already_accepted: bool = False, error: str | None = None, skipped: dict[str, str] | None = None,
               sent_at: datetime | None = None, recipients: int = 1, via: str | None = None) -> None:
        """Record the outcome of a claimed attempt (``token``), or of a message settled without a claim (None)."""
        now = clock.now()
        actions = _outcome_actions(delivery_id, status, workspace_id=workspace_id, now=now, sent_at=sent_at,
                                   line_request_id=line_request_id, already_accepted=already_accepted, error=error,
                                   skipped=skipped, via=via)
        condition = LedgerModel.claim_token == token if token else None
        row = LedgerModel(ledger_pk(delivery_id), "ledger")
        try:
            row.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            # Someone else's lease replaced ours (we were too slow); their outcome stands.
            return
        if status in FINAL:
            count_settled(workspace_id, status, recipients, via=via)

    def release(self, delivery_id: str, token: str, *, workspace_id: str, error: str) -> bool:
        """Give back a claim whose attempt sent nothing: ``retrying`` (claimable at once, the error logged), only
        while the row is still ``sending`` under this claim (a final row, or one another attempt took over after
        our lease, is left alone). False when the row was not ours any more."""
        now = clock.now()
        try:
            LedgerModel(ledger_pk(delivery_id), "ledger").update(
                actions=_outcome_actions(delivery_id, "retrying", workspace_id=workspace_id, now=now, error=error),
                condition=(LedgerModel.claim_token == token) & (LedgerModel.status == "sending"))
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            return False
        return True

    @staticmethod
    def final_write(delivery_id: str, token: str | None, status: str, *, workspace_id: str, now: datetime,
                    error: str | None = None, skipped: dict[str, str] | None = None) -> LedgerWrite:
        """``settle``'s write of a final ``status``, conditional on the claim ``token``, for a transaction that
        writes more than the row (a broadcast batch and its counters: ``BroadcastRepository.settle_batch``)."""
        return LedgerWrite(LedgerModel(ledger_pk(delivery_id), "ledger"),
                           _outcome_actions(delivery_id, status, workspace_id=workspace_id, now=now, error=error,
                                            skipped=skipped),
                           LedgerModel.claim_token == token)

    def mark_actions_done(self, delivery_id: str) -> None:
        LedgerModel(ledger_pk(delivery_id), "ledger").update(actions=[LedgerModel.actions_done.set(1)])

    def reset_for_replay(self, delivery_id: str) -> bool:
        """Make a failed row claimable again (DLQ replay). False when it was sent meanwhile."""
        try:
            LedgerModel(ledger_pk(delivery_id), "ledger").update(
                actions=[LedgerModel.status.set("retrying"), LedgerModel.claim_until.remove()],
                condition=LedgerModel.status.is_in("failed", "retrying", "sending", "enqueued"),
            )
            return True
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise

    def errors_page(self, workspace_id: str, *, limit: int = 50, cursor: str | None = None
                    ) -> tuple[list[LedgerModel], str | None]:
        condition = LedgerModel.gsi1sk < cursor if cursor else None
        rows = list(LedgerModel.errors.query(error_log_pk(workspace_id), condition, scan_index_forward=False,
                                             limit=limit))
        return rows, (rows[-1].gsi1sk if len(rows) == limit else None)

    # ------------------------------------------------------------------ frequency cap
    def take_cap(self, workspace_id: str, subscriber_id: str, local_date: str, cap: int) -> bool:
        """Count one step message for the friend's local day; False when the cap is already reached."""
        now = clock.now()
        try:
            CapCounter(cap_pk(workspace_id, subscriber_id, local_date), "cap").update(
                actions=[CapCounter.count.add(1), CapCounter.expires_at.set(int(now.timestamp()) + CAP_TTL_S)],
                condition=CapCounter.pk.does_not_exist() | (CapCounter.count < cap),
            )
            return True
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise

    def take_cap_once(self, workspace_id: str, subscriber_id: str, local_date: str, cap: int, owner: str) -> bool:
        """Count one broadcast message (``owner`` = the broadcast) for the friend's local day, at most once per
        owner: one conditional UpdateItem (1 WCU); True when counted now or by an earlier run of the same owner,
        False when the day's cap is reached. Only a refused condition costs a read (cap reached, or a re-run)."""
        now = clock.now()
        counter = CapCounter(cap_pk(workspace_id, subscriber_id, local_date), "cap")
        try:
            counter.update(
                actions=[CapCounter.count.add(1), CapCounter.owners.add({owner}),
                         CapCounter.expires_at.set(int(now.timestamp()) + CAP_TTL_S)],
                condition=(CapCounter.pk.does_not_exist() | (CapCounter.count < cap))
                & ~CapCounter.owners.contains(owner),
            )
            return True
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
        try:
            seen = CapCounter.get(counter.pk, "cap", consistent_read=True)
        except CapCounter.DoesNotExist:
            return False
        return owner in (seen.owners or set())

    def at_cap(self, workspace_id: str, subscriber_ids: list[str], local_date: str, cap: int) -> set[str]:
        """Which of these friends already reached ``cap`` messages on ``local_date`` (BatchGetItem, eventually
        consistent: 0.5 RCU per friend; for estimates, never for the decision itself)."""
        keys = [(cap_pk(workspace_id, sid, local_date), "cap") for sid in subscriber_ids]
        full: set[str] = set()
        prefix = len(f"cap#{workspace_id}#")
        for item in CapCounter.batch_get(keys, attributes_to_get=["pk", "count"]):
            if int(item.count or 0) >= cap:
                full.add(item.pk[prefix:].rsplit("#", 1)[0])
        return full


def count_settled(workspace_id: str, status: str, recipients: int, *, via: str | None = None) -> None:
    """Add a settled delivery to the dashboard's per-day counters. Statistics only: a failure here is logged and
    never fails a delivery (and a retried settle may count twice; the ledger, not this counter, is the record).
    Broadcast batches count inside their settle transaction instead (``BroadcastRepository.settle_batch``)."""
    try:
        count_delivery(workspace_id, status, recipients, via=via)
    except Exception:
        logging.getLogger(__name__).warning("delivery counter not updated", exc_info=True)
