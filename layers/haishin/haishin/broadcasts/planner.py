"""The broadcast planner: fan a broadcast out in SHARDS parallel slices that write delivery batches of up to 500.

Invocations (``functions/broadcast_planner``):
- ``{"workspace_id", "broadcast_id"}`` (EventBridge Scheduler, or "send now" through PlannerQueue): ``start``. Only
  the invocation that wins the conditional transition ``scheduled -> planning`` fans out (one PlannerQueue message
  per subscriber shard); a second invocation (Scheduler may invoke a target twice) finds ``planning`` and stops.
- ``{"workspace_id", "broadcast_id", "slice": n}``: ``run_slice``. Evaluates shard ``n`` with THE segment engine,
  resolves each friend's address, and groups friends by what they receive (identical content: one group per channel;
  personalised content: rendered here, grouped by the rendered messages). A group that reaches 500 becomes a batch
  at once; what is left over is stored on the slice item (past 300 KB of rendered content the slice sends it
  itself). The slice then marks itself done on the broadcast (ADD to
  a set, conditional: counted once). The slice that completes the set pools the leftovers of identical content
  across slices into full batches (so N identical recipients cost exactly ceil(N/500) multicasts) and sets
  ``planning_complete``. Pooled personalised groups with the same rendering merge across slices too.

A/B tests (``haishin.broadcasts.abtest``): each recipient's variant is a pure function of (broadcast, friend), so a
variant is one more grouping key (its group carries the variant's content, and its label in the delivery message);
a test sent to a share first plans only that share, and creates its winner broadcast (``<id>_w``) on fan-out.

Determinism: batch ``k`` of slice ``s`` has delivery ID ``bc_`` + retry_key("broadcast", id, s, k) and LINE retry
key retry_key("broadcast-send", id, s, k); rows are read in key order and ``now`` renders as the planning instant,
so a re-run of a slice produces the same batches and keys, and the ledger (``record_enqueued`` + the worker's claim)
and LINE's retry key make the repeat harmless. A re-run after a crash sees data that may have changed meanwhile
(a friend tagged since); such a friend can move between batches: LINE answers 409 to a reused key, so the change
can cost that friend the message, never a second one, except in a batch beyond the first run's last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.abtests.assign import variant_label
from haishin.broadcasts.abtest import choose_winner, in_cohort, variant_of, winner_id
from haishin.broadcasts.audience import Audience, RowView, address_for
from haishin.broadcasts.models import BroadcastModel
from haishin.broadcasts.repository import BroadcastRepository
from haishin.broadcasts.scheduling import BroadcastScheduler
from haishin.config import settings
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import MAX_RECIPIENTS, DeliveryMessage
from haishin.delivery.queue import DeliverySender, SqsDeliverySender
from haishin.errors import Conflict, ExternalServiceError
from haishin.ids import retry_key
from haishin.public_url import public_base
from haishin.render import Renderer, RenderError, renderer, variables_for
from haishin.sqs_limits import MAX_MESSAGE_BYTES, batches, utf8_size
from haishin.storage.base import iso
from haishin.storage.shards import SHARDS

log = logging.getLogger(__name__)
STUCK_PLANNING = timedelta(minutes=15)
# rendered personalised content per delivery message, in UTF-8 bytes; the rest of the queue's limit is headroom for
# the shared content, recipients and addresses (``_Emitter.emit`` still splits any message that would not fit)
MAX_BATCH_BYTES = MAX_MESSAGE_BYTES * 3 // 4
MAX_REMAINDER_BYTES = 300_000  # leftovers kept on a slice item for pooling (DynamoDB items: 400 KB)
SQS_BATCH = 10
CAP_CHUNK = 100  # recipients whose daily-cap takes run together
CAP_THREADS = 8  # below PynamoDB's 10 pooled connections


def batch_ids(broadcast_id: str, slice_label: str, number: int) -> tuple[str, str]:
    """(delivery ID, LINE retry key) of batch ``number`` of slice ``slice_label``: the same forever."""
    return (f"bc_{retry_key('broadcast', broadcast_id, slice_label, str(number))}",
            retry_key("broadcast-send", broadcast_id, slice_label, str(number)))


@dataclass
class _Group:
    channel: str
    content: Any  # rendered content for personalised broadcasts, None = the broadcast's content as is
    recipients: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    variant: int | None = None  # an A/B test's variant index (0 = A); its content is ``content``

    def size_bytes(self) -> int:
        """UTF-8 bytes this group adds to a delivery message (SQS counts bytes: Japanese is 3 per character)."""
        listed = utf8_size(json.dumps([self.recipients, self.to], ensure_ascii=False))
        return listed + (utf8_size(json.dumps(self.content, ensure_ascii=False)) if self.content else 0)


@dataclass
class SliceReport:
    slice: str
    matched: int = 0
    planned: int = 0
    batches: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    skipped_reason: str | None = None


class PlannerQueue:
    """Puts planner messages (start or slice) on PlannerQueue."""

    def __init__(self, client: Any = None, queue_url: str | None = None) -> None:
        self._client = client
        self._queue_url = queue_url

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("sqs")
        return self._client

    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        url = self._queue_url or settings().planner_queue_url
        texts = [json.dumps(b, ensure_ascii=False, separators=(",", ":")) for b in bodies]
        calls, too_large = batches(texts)
        if too_large:
            raise ExternalServiceError("a planner message is over the queue's message size", where="PlannerQueue")
        for call in calls:
            response = self.client.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "MessageBody": texts[i]} for n, i in enumerate(call)])
            if response.get("Failed"):
                raise ExternalServiceError("PlannerQueue refused a message", where="PlannerQueue")


class BroadcastPlanner:
    def __init__(self, *, repository: BroadcastRepository | None = None, audience: Audience | None = None,
                 ledger: Ledger | None = None, sender: DeliverySender | None = None,
                 planner_queue: Any = None, render: Renderer | None = None, optout: Any,
                 abtests: Any, track: Any, scheduler: BroadcastScheduler | None = None, coupons: Any = None) -> None:
        # haishin.coupons.service.CouponService: ``{{ coupon("cpn_...") }}`` assigns the friend's code while planning
        self.coupons = coupons
        # haishin.track.service.TrackService: URLs become per-friend tracked URLs (required: a planner that forgot it
        # would silently send untracked URLs; None only where a caller means it, the planning bench's baseline)
        self.track = track
        self._optout = optout  # haishin.optout.service.OptOutService: signs the /u/ 配信停止 URL
        # haishin.broadcasts.abtest.BroadcastAbTests: a test's results when its winner broadcast starts
        self.abtests = abtests
        self.scheduler = scheduler or BroadcastScheduler()  # the winner broadcast's one-time schedule
        self.repository = repository or BroadcastRepository()
        self.audience = audience or Audience()
        self.ledger = ledger or Ledger()
        self.sender = sender or SqsDeliverySender()
        self.planner_queue = planner_queue or PlannerQueue()
        self.renderer = render or renderer()

    # ------------------------------------------------------------------ entry
    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        workspace_id, broadcast_id = str(body["workspace_id"]), str(body["broadcast_id"])
        if body.get("slice") is not None:
            report = self.run_slice(workspace_id, broadcast_id, int(body["slice"]))
            return {"slice": report.slice, "planned": report.planned, "batches": report.batches,
                    "skipped": report.skipped_reason}
        return {"started": self.start(workspace_id, broadcast_id)}

    # ------------------------------------------------------------------ start
    def start(self, workspace_id: str, broadcast_id: str) -> str:
        """Fan out once. Returns what happened: fanned_out | refanned_out | ignored:<status> | not_yet."""
        broadcast = self.repository.find(workspace_id, broadcast_id)
        if broadcast is None:
            return "ignored:missing"
        now = clock.now()
        if broadcast.status == "scheduled":
            if broadcast.send_at is not None and broadcast.send_at > now + timedelta(minutes=1):
                return "not_yet"  # a schedule that fired after the broadcast was moved later
            if broadcast.ab_parent and broadcast.ab_winner is None and not self._decide_winner(broadcast, now):
                return "ignored:test_cancelled"
            # watched before the transition, so a crash right after it still leaves the broadcast findable
            self.repository.watch_planning(workspace_id, broadcast_id, now)
            cap = self.repository.daily_cap(broadcast)
            if not self.repository.mark_planning(broadcast, now, cap):
                return "ignored:raced"
            outcome = "fanned_out"
        elif broadcast.status == "planning" and not broadcast.planning_complete and broadcast.started_at \
                and broadcast.started_at < now - STUCK_PLANNING:
            outcome = "refanned_out"  # the winner stopped before its slices were queued; slices are idempotent
        else:
            return f"ignored:{broadcast.status}"
        self._fan_out(broadcast)
        return outcome

    def _fan_out(self, broadcast: BroadcastModel) -> None:
        """A slice message per shard not done yet; with every slice done, one for slice 0 (it pools the leftovers)."""
        if broadcast.ab_share and broadcast.variants and not broadcast.ab_parent:
            self._ensure_winner_broadcast(broadcast)
        done = set(broadcast.slices_done or set())
        shards = [n for n in range(SHARDS) if f"{n:02d}" not in done] or [0]
        self.planner_queue.send([{"workspace_id": broadcast.workspace_id, "broadcast_id": broadcast.broadcast_id,
                                  "slice": n} for n in shards])

    # ------------------------------------------------------------------ A/B: test a share first, then the winner
    def _ensure_winner_broadcast(self, test: BroadcastModel) -> None:
        """The broadcast that sends the test's winner to the rest of the audience, ``ab_winner_after`` minutes
        after the test started planning: a scheduled broadcast with a deterministic ID (``<id>_w``) and its own
        one-time schedule. Idempotent (a re-run fan-out finds it); an operator may cancel it like any other."""
        workspace_id = test.workspace_id
        child_id = winner_id(test.broadcast_id)
        child = self.repository.find(workspace_id, child_id)
        if child is None:
            now = clock.now()
            send_at = (test.started_at or now) + timedelta(minutes=int(test.ab_winner_after or 60))
            zone = test.time_zone or settings().default_time_zone
            child = self.repository.new_draft(workspace_id, child_id, channel=test.channel,
                                              created_by=test.created_by, now=now)
            child.name = f"{test.name}（勝者配信）"[:200]
            for name in ("line_channel_id", "segment_id", "segment", "personalised", "respect_quiet_hours",
                         "respect_daily_cap", "message_count", "variants", "ab_share", "estimate"):
                setattr(child, name, getattr(test, name))
            child.ab_parent = test.broadcast_id
            child.status, child.send_at, child.time_zone = "scheduled", send_at, zone
            child.send_at_local = send_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(
                timespec="minutes")
            self.repository.save_content(workspace_id, child_id,
                                         self.repository.content(workspace_id, test.broadcast_id))
            if not self.repository.insert_if_absent(child):
                child = self.repository.find(workspace_id, child_id)
        if child is None or child.status != "scheduled" or child.send_at is None:
            return
        zone = child.time_zone or settings().default_time_zone
        child.schedule_name = self.scheduler.put(workspace_id, child_id, child.send_at.astimezone(ZoneInfo(zone)),
                                                 zone)
        self.repository.save_if_status(child, frozenset({"scheduled"}))

    def _decide_winner(self, child: BroadcastModel, now: datetime) -> bool:
        """Pick the winner from the test's results when the winner broadcast starts (once: a conditional write);
        False when the test is gone or was cancelled (the winner broadcast is cancelled too)."""
        parent = self.repository.find(child.workspace_id, str(child.ab_parent))
        if parent is None or parent.status == "cancelled":
            with contextlib.suppress(Conflict):  # cancelled meanwhile too
                self.repository.mark_cancelled(child, now)
            return False
        index, note = choose_winner(self.abtests.results(child.workspace_id, parent.broadcast_id))
        if not self.repository.set_winner(child, index, note, now):
            self.repository.reload(child)
        return True

    # ------------------------------------------------------------------ the sweep for stuck planning
    def resume_stalled(self, *, stalled_after: timedelta = STUCK_PLANNING) -> dict[str, int]:
        """Find broadcasts in ``planning`` without progress (``updated_at``: every slice and every settled batch
        moves it) for ``stalled_after`` and resume them: the slices not done are queued again (slices and batches
        are idempotent). Exactly once per stall: the resume is a conditional write on the ``updated_at`` seen, so
        of two sweeps only one resumes, and the next sweep waits for a new stall. Called by the step tick."""
        now = clock.now()
        report = {"watched": 0, "resumed": 0, "finished": 0}
        for watch in self.repository.planning_watches():
            report["watched"] += 1
            broadcast = self.repository.find(watch.workspace_id, watch.broadcast_id)
            if broadcast is None or broadcast.status != "planning" or broadcast.planning_complete:
                self.repository.unwatch_planning(watch.workspace_id, watch.broadcast_id)
                report["finished"] += 1
                continue
            seen = broadcast.updated_at
            if seen is None or seen > now - stalled_after:
                continue
            if not self.repository.claim_resume(broadcast, seen, now):
                continue  # progress meanwhile, or another sweep resumed it
            log.warning("broadcast %s stalled in planning since %s; resumed", broadcast.broadcast_id, iso(seen))
            self._fan_out(broadcast)
            report["resumed"] += 1
        return report

    # ------------------------------------------------------------------ one slice
    def run_slice(self, workspace_id: str, broadcast_id: str, shard: int) -> SliceReport:
        label = f"{shard:02d}"
        report = SliceReport(slice=label)
        broadcast = self.repository.find(workspace_id, broadcast_id)
        if broadcast is None or broadcast.status not in ("planning", "sending"):
            report.skipped_reason = broadcast.status if broadcast else "missing"
            return report
        if label in (broadcast.slices_done or set()):
            report.skipped_reason = "already done"
            self._maybe_pool(broadcast)
            return report
        content = self.repository.content(workspace_id, broadcast_id)
        planned_at = broadcast.planned_at or clock.now()
        compiled = self.audience.compile(workspace_id, self.repository.segment_of(broadcast), now=planned_at)
        zone = ZoneInfo(broadcast.time_zone or settings().default_time_zone)
        personalised = bool(broadcast.personalised)
        base = public_base() if personalised else ""  # only personalised content renders per-friend URLs
        groups: dict[str, _Group] = {}
        emitter = _Emitter(self, broadcast, label, content, self.repository.line_channel(broadcast))
        counts: dict[str, int] = {}
        variants: list[dict[str, Any]] = list(content.get("variants") or []) if broadcast.variants else []

        def place(row: dict[str, Any], channel: str, address: str) -> None:
            subscriber_id = str(row["subscriber_id"])
            rendered: Any = None
            key = channel
            # an A/B test: the friend's variant is a pure function of (broadcast, friend), so a re-run plans the same
            variant = variant_of(broadcast, subscriber_id) if variants else None
            source = content if variant is None else variants[variant]
            if variant is not None:
                key = f"{channel}|v{variant}"
                rendered = {channel: source.get(channel)}
            if personalised:
                try:
                    rendered = self._render(source, channel, row, broadcast, planned_at, zone, base, variant)
                except RenderError as exc:
                    counts["failed"] = counts.get("failed", 0) + 1
                    self.repository.note_error(broadcast, f"{subscriber_id}: {exc.where}: {exc.message}")
                    return
                key = key + "|" + hashlib.blake2b(json.dumps(rendered, ensure_ascii=False, sort_keys=True)
                                               .encode(), digest_size=16).hexdigest()
            if variant is not None:
                counts[f"variant_{variant}"] = counts.get(f"variant_{variant}", 0) + 1
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(channel, rendered, variant=variant)
            group.recipients.append(subscriber_id)
            group.to.append(address)
            report.planned += 1
            if len(group.recipients) == MAX_RECIPIENTS:
                emitter.emit([group])
                del groups[key]

        cap = _CapGate(self.ledger, broadcast, planned_at.astimezone(zone).date().isoformat())
        try:
            for row in self.audience.shard_rows(compiled, shard, personalised=personalised):
                if not in_cohort(broadcast, str(row["subscriber_id"])):
                    continue  # an A/B test sent to a share first (or its winner broadcast): not this one's friend
                report.matched += 1
                channel, address, status = address_for(row, broadcast.channel, broadcast.line_channel_id)
                if address is None:
                    counts[status] = counts.get(status, 0) + 1
                    continue
                if not cap.active:
                    place(row, channel, address)
                    continue
                for ready in cap.offer(row, channel, address):
                    place(*ready)
            for ready in cap.drain():
                place(*ready)
        finally:
            cap.close()
        if cap.skipped:
            counts["skipped_daily_cap"] = cap.skipped
        leftovers = list(groups.values())
        remainder = {key: {"channel": g.channel, "content": g.content, "recipients": g.recipients, "to": g.to,
                           "variant": g.variant} for key, g in groups.items()}
        if len(json.dumps(remainder, ensure_ascii=False).encode()) > MAX_REMAINDER_BYTES:
            remainder = {}  # too much to keep on the slice item: this slice sends its own leftovers
            for batch in _pack(leftovers):
                emitter.emit(batch)
        emitter.flush()
        report.batches = emitter.count
        report.counts = counts
        self.repository.save_slice(workspace_id, broadcast_id, shard, batches=emitter.count, remainder=remainder,
                                   counts={**counts, "planned": report.planned})
        if not self.repository.count_slice(broadcast, label, planned=report.planned, batches=emitter.count,
                                           counts=counts):
            report.skipped_reason = "counted by a concurrent run"
            self.repository.reload(broadcast)
        self._maybe_pool(broadcast)
        return report

    def _render(self, content: dict[str, Any], channel: str, row: dict[str, Any], broadcast: BroadcastModel,
                planned_at: datetime, zone: ZoneInfo, base: str, variant: int | None = None) -> Any:
        view = RowView(row)
        unsubscribe = self._optout.url(broadcast.workspace_id, str(row["subscriber_id"]), channel)
        variables = variables_for(view, unsubscribe_url=unsubscribe, now=planned_at.astimezone(zone),
                                  broadcast={"name": broadcast.name, "id": broadcast.broadcast_id})
        if self.coupons is not None:
            variables["coupon"] = self.coupons.template_function(broadcast.workspace_id, str(row["subscriber_id"]))
        where = f"broadcast {broadcast.broadcast_id}"
        if channel == "line":
            tracker = None if self.track is None else self.track.tracker(
                broadcast.workspace_id, str(row["subscriber_id"]), "b", broadcast.broadcast_id,
                None if variant is None else str(variant))
            return {"line": self.renderer.line_messages(content["line"], variables, where=f"{where} line",
                                                        track=tracker)}
        if channel == "email":
            email = content["email"]
            rendered = self.renderer.email(email["subject"], email.get("html"), email.get("text"), variables,
                                           where=f"{where} email")
            if email.get("from"):
                rendered["from"] = email["from"]
            return {"email": rendered}
        return {"sms": {"text": self.renderer.sms(content["sms"]["text"], variables, where=f"{where} sms")}}

    # ------------------------------------------------------------------ pooling the slices' leftovers
    def _maybe_pool(self, broadcast: BroadcastModel) -> None:
        if broadcast.planning_complete or len(broadcast.slices_done or set()) < SHARDS:
            return
        if broadcast.status not in ("planning", "sending"):
            return
        content = self.repository.content(broadcast.workspace_id, broadcast.broadcast_id)
        emitter = _Emitter(self, broadcast, "pool", content, self.repository.line_channel(broadcast))
        pooled: dict[str, _Group] = {}
        for item in self.repository.slices(broadcast.workspace_id, broadcast.broadcast_id):
            for key, part in sorted((item.remainder or {}).items()):
                group = pooled.get(key)
                if group is None:
                    group = pooled[key] = _Group(part["channel"], part.get("content"), variant=part.get("variant"))
                group.recipients += part["recipients"]
                group.to += part["to"]
        leftovers = []
        for group in pooled.values():
            while len(group.recipients) >= MAX_RECIPIENTS:
                emitter.emit([_Group(group.channel, group.content, group.recipients[:MAX_RECIPIENTS],
                                     group.to[:MAX_RECIPIENTS], group.variant)])
                group.recipients, group.to = group.recipients[MAX_RECIPIENTS:], group.to[MAX_RECIPIENTS:]
            if group.recipients:
                leftovers.append(group)
        for batch in _pack(leftovers):
            emitter.emit(batch)
        emitter.flush()
        now = clock.now()
        if not self.repository.mark_sending(broadcast, emitter.count, now):
            return
        self.repository.unwatch_planning(broadcast.workspace_id, broadcast.broadcast_id)
        self.repository.maybe_finish(broadcast.workspace_id, broadcast.broadcast_id)


class _CapGate:
    """The workspace's daily frequency cap for one slice: each recipient with an address takes one unit of their
    local day's counter (the same counter steps use: one conditional UpdateItem, 1 WCU, at most once per broadcast),
    in chunks of ``CAP_CHUNK`` on ``CAP_THREADS`` threads; those at the cap are skipped (``skipped_daily_cap``).
    Recipients come out in their original order, so a re-run of a slice builds the same batches."""

    def __init__(self, ledger: Ledger, broadcast: BroadcastModel, local_date: str) -> None:
        self.ledger = ledger
        self.workspace_id = broadcast.workspace_id
        self.owner = broadcast.broadcast_id
        self.cap = int(broadcast.daily_cap or 0)
        self.local_date = local_date
        self.pending: list[tuple[dict[str, Any], str, str]] = []
        self.skipped = 0
        self._pool: ThreadPoolExecutor | None = None

    @property
    def active(self) -> bool:
        return self.cap > 0

    def offer(self, row: dict[str, Any], channel: str, address: str) -> list[tuple[dict[str, Any], str, str]]:
        self.pending.append((row, channel, address))
        return self.drain() if len(self.pending) >= CAP_CHUNK else []

    def drain(self) -> list[tuple[dict[str, Any], str, str]]:
        chunk, self.pending = self.pending, []
        if not chunk:
            return []

        def take(entry: tuple[dict[str, Any], str, str]) -> bool:
            return self.ledger.take_cap_once(self.workspace_id, str(entry[0]["subscriber_id"]), self.local_date,
                                             self.cap, self.owner)

        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=CAP_THREADS, thread_name_prefix="cap")
        allowed = list(self._pool.map(take, chunk))
        self.skipped += allowed.count(False)
        return [entry for entry, ok in zip(chunk, allowed, strict=True) if ok]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _pack(groups: list[_Group]) -> list[list[_Group]]:
    """Leftover groups into batches of one channel, up to 500 recipients and MAX_BATCH_BYTES each (groups whole)."""
    batches: list[list[_Group]] = []
    for channel in sorted({g.channel for g in groups}):
        current: list[_Group] = []
        size = count = 0
        for group in (g for g in groups if g.channel == channel):
            weight = group.size_bytes()
            if current and (count + len(group.recipients) > MAX_RECIPIENTS or size + weight > MAX_BATCH_BYTES):
                batches.append(current)
                current, size, count = [], 0, 0
            current.append(group)
            size += weight
            count += len(group.recipients)
        if current:
            batches.append(current)
    return batches


class _Emitter:
    """Numbers batches, writes their ledger rows and puts them on DeliveryQueue, 10 per SendMessageBatch."""

    def __init__(self, planner: BroadcastPlanner, broadcast: BroadcastModel, label: str,
                 content: dict[str, Any], line_channel_id: str | None) -> None:
        self.planner = planner
        self.line_channel_id = line_channel_id
        self.broadcast = broadcast
        self.label = label
        self.content = content
        self.count = 0
        self.pending: list[DeliveryMessage] = []

    def emit(self, groups: list[_Group]) -> None:
        """One delivery message for ``groups``; one that would exceed the queue's size limit (UTF-8 bytes) is split
        in halves (by groups, else by recipients) until every part fits. Deterministic for the same input."""
        message = self._message(groups, self.count)
        if utf8_size(message.to_json()) <= MAX_MESSAGE_BYTES:
            self.count += 1
            self.pending.append(message)
            if len(self.pending) >= SQS_BATCH:
                self.flush()
            return
        if len(groups) > 1:
            self.emit(groups[: len(groups) // 2])
            self.emit(groups[len(groups) // 2 :])
            return
        group = groups[0]
        if len(group.recipients) < 2:
            raise ExternalServiceError(f"one friend's message is over the queue's {MAX_MESSAGE_BYTES} bytes",
                                       where=f"broadcast {self.broadcast.broadcast_id}")
        half = len(group.recipients) // 2
        self.emit([_Group(group.channel, group.content, group.recipients[:half], group.to[:half], group.variant)])
        self.emit([_Group(group.channel, group.content, group.recipients[half:], group.to[half:], group.variant)])

    def _message(self, groups: list[_Group], number: int) -> DeliveryMessage:
        delivery_id, key = batch_ids(self.broadcast.broadcast_id, self.label, number)
        recipients: list[str] = []
        to: list[str] = []
        spans = []
        for group in groups:
            start = len(recipients)
            recipients += group.recipients
            to += group.to
            span: dict[str, Any] = {"content": group.content, "span": [start, len(recipients)]}
            if group.variant is not None:
                span["variant"] = variant_label(group.variant)  # the A/B variant these recipients receive
            spans.append(span)
        now = clock.now()
        channel = groups[0].channel
        shared = self.content if groups[0].content is None else {channel: self.content.get(channel)}
        return DeliveryMessage(
            kind="broadcast", workspace_id=self.broadcast.workspace_id, delivery_id=delivery_id, retry_key=key,
            channel=channel, recipients=recipients, content=shared,
            line_channel_id=self.line_channel_id,
            scheduled_at=iso(self.broadcast.planned_at or now), enqueued_at=iso(now),
            broadcast={"broadcast_id": self.broadcast.broadcast_id, "slice": self.label, "batch": number,
                       "to": to, "groups": spans})

    def flush(self) -> None:
        if not self.pending:
            return
        ready = []
        for message in self.pending:
            if self.planner.ledger.record_enqueued(
                    delivery_id=message.delivery_id, workspace_id=message.workspace_id, kind="broadcast",
                    channel=message.channel, subscriber_id=None, scheduled_at=self.broadcast.planned_at,
                    recipients=len(message.recipients), broadcast_id=self.broadcast.broadcast_id):
                ready.append(message)
        self.pending = []
        failed = self.planner.sender.send(ready) if ready else set()
        if failed:
            raise ExternalServiceError(f"{len(failed)} delivery batches could not be queued; the slice is retried",
                                       where="DeliveryQueue")
