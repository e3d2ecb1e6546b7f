"""Broadcast use cases: create / edit / delete, schedule, send now, cancel, test send, quota check, views.

Errors name the field (``where``) the admin highlights: ``name``, ``channel``, ``content.line.2.text``, ``at`` ...
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from haishin import clock, ids
from haishin.abtests.variants import parse_variants
from haishin.broadcasts.abtest import check_metric, check_share
from haishin.broadcasts.audience import Audience
from haishin.broadcasts.models import CANCELLABLE, CHANNELS, EDITABLE, BroadcastModel
from haishin.broadcasts.planner import PlannerQueue
from haishin.broadcasts.repository import BroadcastRepository
from haishin.broadcasts.scheduling import BroadcastScheduler
from haishin.config import settings
from haishin.delivery.ledger import Ledger
from haishin.errors import Conflict, ValidationFailed, pydantic_message
from haishin.line.client import MAX_MESSAGES_PER_SEND
from haishin.render import Renderer, RenderError, is_personalised, renderer, sample_coupon, variables_for
from haishin.scenarios.timing import QuietHours
from haishin.segments.model import parse_segment
from haishin.senders.compose import require_postal_address
from haishin.senders.service import SenderService
from haishin.storage.base import iso
from haishin.subscribers.line_reach import choose_line_account
from haishin.subscribers.repository import SubscriberRepository
from haishin.track.rewrite import has_trackable_url
from haishin.workspaces.models import WorkspaceModel

MAX_TEST_RECIPIENTS = 20
_STATUS_JA = {"draft": "下書き", "scheduled": "予約済み", "planning": "準備中", "sending": "送信中", "done": "送信済み",
              "sent": "送信済み", "cancelled": "取り消し済み", "failed": "失敗した"}


def _status_ja(status: str) -> str:
    return _STATUS_JA.get(status, status)


@dataclass
class BroadcastInput:
    name: str | None = None
    channel: str | None = None
    line_channel_id: str | None = None
    content: dict[str, Any] | None = None
    segment: dict[str, Any] | None = None
    segment_id: str | None = None
    everyone: bool | None = None
    respect_quiet_hours: bool | None = None
    respect_daily_cap: bool | None = None
    variants: list[dict[str, Any]] | None = None  # A/B test: 2-4 of {"content", "weight"}; [] ends the test
    ab_test_share: int | None = None  # A/B: percent of the audience tested first (with ab_winner_after_minutes)
    ab_winner_after_minutes: int | None = None
    ab_metric: str | None = None  # A/B winner metric (haishin.abtests.stats.METRICS); None keeps it


def _public(deferred: dict[str, Any] | None) -> dict[str, Any] | None:
    """A deferral as the API shows it (no datetime objects)."""
    return None if deferred is None else {k: v for k, v in deferred.items() if k != "until_utc"}


def _cap_notice(cap: int, skipped: int) -> dict[str, Any] | None:
    """The daily frequency cap as the confirm dialog shows it (None: no cap applies to this broadcast)."""
    if not cap:
        return None
    reason = (f"1日の配信上限（{cap}通）に達している友だち{skipped:,}人には送信されません（配信停止ではなくスキップ）。"
              "上限を超えても送るには「1日の配信上限を守る」をオフにしてください" if skipped
              else f"1日の配信上限（{cap}通）に達している友だちはいません")
    return {"cap": cap, "skipped": skipped, "reason": reason}


def _fail(message: str, where: str) -> ValidationFailed:
    return ValidationFailed(message, where=where)


def validate_content(channel: str, content: Any, render: Renderer) -> dict[str, Any]:
    if not isinstance(content, dict):
        raise _fail("content is an object with line / email / sms", "content")
    needs = {"line": ["line"], "email": ["email"], "sms": ["sms"], "line_email": ["line", "email"]}[channel]
    out: dict[str, Any] = {}
    for part in needs:
        if content.get(part) in (None, "", [], {}):
            raise _fail(f"the {part} content is missing", f"content.{part}")
    if "line" in needs:
        messages = content["line"]
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES_PER_SEND:
            raise _fail(f"1 to {MAX_MESSAGES_PER_SEND} LINE messages", "content.line")
        for index, message in enumerate(messages):
            where = f"content.line.{index}"
            if not isinstance(message, dict) or not message.get("type"):
                raise _fail("each LINE message is an object with a type", where)
            if message["type"] == "text" and not str(message.get("text") or "").strip():
                raise _fail("a text message needs text", f"{where}.text")
            _check_templates(message, render, where)
        out["line"] = messages
    if "email" in needs:
        email = content["email"]
        if not isinstance(email, dict) or not str(email.get("subject") or "").strip():
            raise _fail("an email needs a subject", "content.email.subject")
        if not (email.get("html") or email.get("text")):
            raise _fail("an email needs a text or HTML body", "content.email.text")
        _check_templates(email, render, "content.email")
        out["email"] = {k: email.get(k) for k in ("subject", "html", "text", "from") if email.get(k) is not None}
    if "sms" in needs:
        sms = content["sms"]
        if not isinstance(sms, dict) or not str(sms.get("text") or "").strip():
            raise _fail("an SMS needs text", "content.sms.text")
        _check_templates(sms, render, "content.sms")
        out["sms"] = {"text": sms["text"]}
    if len(json.dumps(out, ensure_ascii=False).encode()) > 300_000:
        raise _fail("the content is too large (300 KB at most)", "content")
    return out


def _check_templates(value: Any, render: Renderer, where: str) -> None:
    if isinstance(value, str):
        if "{" in value:
            render.check(value, where=where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_templates(item, render, f"{where}.{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_templates(item, render, f"{where}.{key}")


def parse_local(text: str, zone: str) -> tuple[datetime, datetime]:
    """'2026-01-10T09:30' (local wall time in ``zone``; an offset is converted) -> (local naive, UTC)."""
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise _fail("a date and time like 2026-01-10T09:30", "at") from None
    tz = ZoneInfo(zone)
    local = value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)
    local = local.replace(microsecond=0)
    return local, local.astimezone(UTC)


class BroadcastService:
    REACH_FRESH = timedelta(minutes=5)  # how long an audience count is reused by quota checks (send, schedule)

    def __init__(self, *, repository: BroadcastRepository | None = None, audience: Audience | None = None,
                 scheduler: BroadcastScheduler | None = None, planner_queue: Any = None, line_clients: Any,
                 subscribers: SubscriberRepository | None = None, render: Renderer | None = None,
                 senders: SenderService,
                 ledger: Ledger | None = None) -> None:
        self.repository = repository or BroadcastRepository()
        self.ledger = ledger or Ledger()  # the daily-cap counters the quota check reads
        self.audience = audience or Audience()
        self.scheduler = scheduler or BroadcastScheduler()
        self.planner_queue = planner_queue or PlannerQueue()
        self.line_clients = line_clients  # haishin.line.client.LineClients: the quota check reads LINE's quota
        self.subscribers = subscribers or SubscriberRepository()
        self.renderer = render or renderer()
        self.senders = senders  # the workspace's verified e-mail identities (From) and footer details

    # ------------------------------------------------------------------ workspace
    def workspace(self, workspace_id: str) -> WorkspaceModel | None:
        return self.repository.workspace(workspace_id)

    def _zone(self, workspace_id: str) -> str:
        found = self.workspace(workspace_id)
        zone = (found.time_zone if found else None) or settings().default_time_zone
        try:
            ZoneInfo(zone)
        except ZoneInfoNotFoundError:
            zone = settings().default_time_zone
        return zone

    def _check_email_ready(self, broadcast: BroadcastModel) -> None:
        """Before an e-mail broadcast goes out: its From is still a verified identity of the workspace and the
        workspace has the postal address the 特定電子メール法 footer needs."""
        if broadcast.channel not in ("email", "line_email"):
            return
        senders = self.senders
        content = self.repository.content(broadcast.workspace_id, broadcast.broadcast_id)
        senders.require_verified(broadcast.workspace_id, (content.get("email") or {}).get("from"),
                                 where="content.email.from")
        require_postal_address(senders.workspace(broadcast.workspace_id))

    # ------------------------------------------------------------------ CRUD
    def _apply(self, broadcast: BroadcastModel, data: BroadcastInput, *, creating: bool) -> dict[str, Any] | None:
        if data.name is not None or creating:
            name = (data.name or "").strip()
            if not name or len(name) > 200:
                raise _fail("a name of 1 to 200 characters", "name")
            broadcast.name = name
        if data.channel is not None:
            if data.channel not in CHANNELS:
                raise _fail(f"channel is one of {', '.join(CHANNELS)}", "channel")
            broadcast.channel = data.channel
        if data.line_channel_id is not None:
            broadcast.line_channel_id = data.line_channel_id or None
        if data.respect_quiet_hours is not None:
            broadcast.respect_quiet_hours = data.respect_quiet_hours
        if data.respect_daily_cap is not None:
            broadcast.respect_daily_cap = data.respect_daily_cap
        if data.segment is not None and data.segment_id:
            raise _fail("give a saved segment or an inline segment, not both", "segment_id")
        if data.everyone:
            broadcast.segment, broadcast.segment_id = None, None
        elif data.segment is not None:
            try:
                parsed = parse_segment(data.segment)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = "segment." + ".".join(str(p) for p in first.get("loc", ()))
                raise _fail(pydantic_message(first), where.rstrip(".")) from None
            self.audience.compile(broadcast.workspace_id, parsed)  # names unknown tags/fields/lists (``where``)
            broadcast.segment, broadcast.segment_id = parsed.model_dump(mode="json"), None
        elif data.segment_id:
            broadcast.segment, broadcast.segment_id = None, data.segment_id
        content = self._apply_content(broadcast, data, creating=creating)
        if data.ab_test_share is not None or data.ab_winner_after_minutes is not None or not broadcast.variants:
            broadcast.ab_share, broadcast.ab_winner_after = check_share(
                data.ab_test_share, data.ab_winner_after_minutes, has_variants=bool(broadcast.variants))
        if data.ab_metric is not None:
            broadcast.ab_metric = check_metric(data.ab_metric)
        return content

    def _apply_content(self, broadcast: BroadcastModel, data: BroadcastInput, *, creating: bool
                       ) -> dict[str, Any] | None:
        content = None
        if data.variants or (data.variants is None and broadcast.variants and data.channel is not None
                             and data.content is None):
            return self._apply_variants(broadcast, data)
        if data.content is not None or creating or data.channel is not None or data.variants == []:
            if data.content is None:
                if creating:
                    raise _fail("the content is missing", "content")
                data.content = self.repository.content(broadcast.workspace_id, broadcast.broadcast_id)
                data.content.pop("variants", None)
            content = self._validated(broadcast, data.content)
            broadcast.variants = None  # new content without variants ends an A/B test
            # a URL to track makes each friend's messages their own (push, not multicast): haishin.track
            broadcast.personalised = is_personalised(content) or has_trackable_url(content.get("line"))
            broadcast.message_count = len(content.get("line") or []) or 1
        return content

    def _validated(self, broadcast: BroadcastModel, raw: Any) -> dict[str, Any]:
        content = validate_content(broadcast.channel, raw, self.renderer)
        if "email" in content:
            self.senders.require_verified(broadcast.workspace_id, content["email"].get("from"),
                                          where="content.email.from")
        return content

    def _apply_variants(self, broadcast: BroadcastModel, data: BroadcastInput) -> dict[str, Any]:
        """An A/B test: the content item keeps variant A's parts at the top (what quota checks, test sends and
        the e-mail checks read) and every variant under ``variants``; the weights go on the broadcast."""
        raw = data.variants
        if raw is None:  # the channel changed: check the stored variants against it
            stored = self.repository.content(broadcast.workspace_id, broadcast.broadcast_id)
            raw = [{"content": c, "weight": w}
                   for c, w in zip(stored.get("variants") or [], broadcast.variants or [], strict=False)]
        if data.content is not None:
            raise _fail("A/Bテストでは content ではなく各パターンの内容（variants）を指定してください", "content")
        weights, contents = parse_variants(raw, lambda value: self._validated(broadcast, value))
        broadcast.variants = weights
        broadcast.personalised = any(is_personalised(c) or has_trackable_url(c.get("line")) for c in contents)
        broadcast.message_count = max(len(c.get("line") or []) or 1 for c in contents)
        content = {**contents[0], "variants": contents}
        if len(json.dumps(content, ensure_ascii=False).encode()) > 350_000:
            raise _fail("A/Bテストの内容が大きすぎます（合計350KBまで）", "variants")
        return content

    def create(self, workspace_id: str, data: BroadcastInput, *, created_by: str | None = None) -> BroadcastModel:
        now = clock.now()
        broadcast_id = ids.new_id("bc_")
        broadcast = self.repository.new_draft(workspace_id, broadcast_id, channel=data.channel or "line",
                                              created_by=created_by, now=now)
        content = self._apply(broadcast, data, creating=True)
        assert content is not None
        self.repository.save_content(workspace_id, broadcast_id, content)
        self.repository.insert(broadcast)
        return broadcast

    def update(self, workspace_id: str, broadcast_id: str, data: BroadcastInput) -> BroadcastModel:
        broadcast = self.repository.require(workspace_id, broadcast_id)
        if broadcast.status not in EDITABLE:
            raise Conflict(f"{_status_ja(broadcast.status)}の配信は編集できません", where="status")
        content = self._apply(broadcast, data, creating=False)
        if content is not None:
            self.repository.save_content(workspace_id, broadcast_id, content)
        broadcast.updated_at = clock.now()
        self._save_if(broadcast, EDITABLE)
        return broadcast

    def _save_if(self, broadcast: BroadcastModel, statuses: frozenset[str]) -> None:
        if not self.repository.save_if_status(broadcast, statuses):
            raise Conflict("配信がほかの操作で変わりました (送信中かもしれません)。再読み込みしてください",
                           where="status")

    def delete(self, workspace_id: str, broadcast_id: str) -> None:
        broadcast = self.repository.require(workspace_id, broadcast_id)
        if broadcast.status in ("planning", "sending"):
            raise Conflict("削除する前に配信を取り消してください", where="status")
        if broadcast.status == "scheduled":
            self.scheduler.delete(workspace_id, broadcast_id)
        self.repository.delete(workspace_id, broadcast_id)

    # ------------------------------------------------------------------ timing
    def schedule(self, workspace_id: str, broadcast_id: str, at: str, *, accept_warning: bool = True
                 ) -> dict[str, Any]:
        broadcast = self.repository.require(workspace_id, broadcast_id)
        if broadcast.status not in EDITABLE:
            raise Conflict(f"{_status_ja(broadcast.status)}の配信は予約できません", where="status")
        self._check_email_ready(broadcast)
        zone = self._zone(workspace_id)
        _, utc = parse_local(at, zone)
        if utc <= clock.now():
            raise _fail("the time is in the past", "at")
        quota = self.quota_check(workspace_id, broadcast_id, broadcast=broadcast)
        self._enforce_quota(quota)
        deferred = self._deferral(broadcast, utc)
        return self._put_schedule(broadcast, deferred["until_utc"] if deferred else utc, zone, quota, deferred)

    def _put_schedule(self, broadcast: BroadcastModel, utc: datetime, zone: str, quota: dict[str, Any],
                      deferred: dict[str, Any] | None) -> dict[str, Any]:
        """One EventBridge schedule for ``utc`` (the quota already checked), for a chosen time and for a send-now
        deferred by quiet hours alike."""
        local = utc.astimezone(ZoneInfo(zone))
        broadcast.schedule_name = self.scheduler.put(broadcast.workspace_id, broadcast.broadcast_id, local, zone)
        broadcast.status = "scheduled"
        broadcast.send_at, broadcast.send_at_local, broadcast.time_zone = utc, local.replace(tzinfo=None).isoformat(
            timespec="minutes"), zone
        broadcast.quota_warning = quota.get("warning")
        broadcast.estimate = quota["recipients"]
        broadcast.updated_at = clock.now()
        self._save_if(broadcast, EDITABLE)
        return {"broadcast": self.view(broadcast), "quota": quota, "deferred": _public(deferred)}

    def send_now(self, workspace_id: str, broadcast_id: str) -> dict[str, Any]:
        broadcast = self.repository.require(workspace_id, broadcast_id)
        if broadcast.status not in EDITABLE:
            raise Conflict(f"{_status_ja(broadcast.status)}の配信は送信できません", where="status")
        self._check_email_ready(broadcast)
        quota = self.quota_check(workspace_id, broadcast_id, broadcast=broadcast)
        self._enforce_quota(quota)
        deferred = self._deferral(broadcast, clock.now())
        if deferred is not None:  # in the workspace's quiet hours: sent at their end, as steps are
            return self._put_schedule(broadcast, deferred["until_utc"], deferred["zone"], quota, deferred)
        if broadcast.status == "scheduled":
            self.scheduler.delete(workspace_id, broadcast_id)
        now = clock.now()
        broadcast.status, broadcast.send_at, broadcast.schedule_name = "scheduled", now, None
        broadcast.time_zone = broadcast.time_zone or self._zone(workspace_id)
        broadcast.send_at_local = None
        broadcast.quota_warning = quota.get("warning")
        broadcast.estimate = quota["recipients"]
        broadcast.updated_at = now
        self._save_if(broadcast, EDITABLE)
        self.planner_queue.send([{"workspace_id": workspace_id, "broadcast_id": broadcast_id}])
        return {"broadcast": self.view(broadcast), "quota": quota}

    def cancel(self, workspace_id: str, broadcast_id: str) -> BroadcastModel:
        broadcast = self.repository.require(workspace_id, broadcast_id)
        if broadcast.status not in CANCELLABLE:
            raise Conflict(f"{_status_ja(broadcast.status)}の配信は取り消せません", where="status")
        was = broadcast.status
        now = clock.now()
        self.repository.mark_cancelled(broadcast, now)  # Conflict when it finished meanwhile
        if was == "scheduled":
            self.scheduler.delete(workspace_id, broadcast_id)
        return broadcast

    def _deferral(self, broadcast: BroadcastModel, at: datetime) -> dict[str, Any] | None:
        """Where ``at`` falls in the workspace's quiet hours (and the broadcast respects them, the default), when
        it goes out instead: the end of the quiet window, with the reason in Japanese for the confirm dialog."""
        if broadcast.respect_quiet_hours is False:
            return None
        workspace = self.workspace(broadcast.workspace_id)
        if workspace is None:
            return None
        quiet = QuietHours.parse(workspace.quiet_hours_start, workspace.quiet_hours_end)
        zone = self._zone(broadcast.workspace_id)
        moved, was_moved = quiet.adjust(at, ZoneInfo(zone))
        if not was_moved:
            return None
        local = moved.astimezone(ZoneInfo(zone))
        return {"until_utc": moved, "zone": zone, "until": iso(moved),
                "until_local": local.replace(tzinfo=None).isoformat(timespec="minutes"),
                "reason": (f"配信停止時間帯（{workspace.quiet_hours_start}〜{workspace.quiet_hours_end}）のため、"
                           f"{local:%m/%d %H:%M} に送信します。"
                           "急ぎのお知らせは「配信停止時間帯を守る」をオフにしてください")}

    # ------------------------------------------------------------------ quota
    def quota_check(self, workspace_id: str, broadcast_id: str, *, broadcast: BroadcastModel | None = None
                    ) -> dict[str, Any]:
        """Estimated LINE messages (LINE recipients x messages) against this month's quota, with the numbers.

        The audience count is reused when it was taken within ``REACH_FRESH`` for the same segment definition,
        channel and LINE channel (``estimated_at`` says when): the confirm dialog counts, and "send now" right
        after it does not read every friend a second time (at 1,000,000 friends that read would take most of API
        Gateway's 29 s). The quota itself is always read from LINE again."""
        broadcast = broadcast or self.repository.require(workspace_id, broadcast_id)
        workspace = self.workspace(workspace_id)
        cap = int(workspace.frequency_cap_per_day or 0) if workspace and broadcast.respect_daily_cap is not False \
            else 0
        reach, line_ok, counted_at = self._reach(broadcast, cap)
        policy = (workspace.quota_policy if workspace else None) or "refuse"
        result: dict[str, Any] = {
            "matched": reach.get("matched", 0), "recipients": reach.get("ok", 0),
            "skipped": {k: v for k, v in reach.items() if k.startswith("skipped_")},
            "messages_per_recipient": int(broadcast.message_count or 1), "policy": policy,
            "estimated_at": iso(counted_at),
            "deferred": _public(self._deferral(broadcast, clock.now())),  # what "send now" would do
            "daily_cap": _cap_notice(cap, int(reach.get("skipped_daily_cap", 0))),
        }
        if broadcast.channel not in ("line", "line_email"):
            result.update({"estimated_messages": 0, "ok": True})
            return result
        estimated = int(line_ok) * int(broadcast.message_count or 1)
        result["estimated_messages"] = estimated
        channel_id = self.repository.line_channel(broadcast)
        if channel_id is None:
            raise _fail("the workspace has no LINE channel", "line_channel_id")
        quota = self.line_clients.for_channel(workspace_id, channel_id).quota()
        limit = quota.get("value") if quota.get("type") == "limited" else None
        used = int(quota.get("totalUsage") or 0)
        result.update({"limit": limit, "used": used})
        if limit is None:
            result.update({"remaining": None, "ok": True})
            return result
        remaining = int(limit) - used
        result["remaining"] = remaining
        result["ok"] = estimated <= remaining
        if not result["ok"]:
            result["warning"] = (f"about {estimated:,} messages but {remaining:,} left this month "
                                 f"(limit {int(limit):,}, used {used:,})")
        return result

    def _reach(self, broadcast: BroadcastModel, cap: int = 0) -> tuple[dict[str, int], int, datetime]:
        """(matches by outcome, recipients reached on LINE, when counted): the stored count when fresh, else a new
        count over every shard, stored on the broadcast for the next call. With a daily ``cap``, the friends already
        at it today (workspace-local day) are counted as ``skipped_daily_cap`` (their counters read in batches of
        100, eventually consistent: an estimate, as the planner decides for each friend when it sends)."""
        segment = self.repository.segment_of(broadcast)
        now = clock.now()
        day = now.astimezone(ZoneInfo(self._zone(broadcast.workspace_id))).date().isoformat() if cap else ""
        fingerprint = hashlib.sha256(json.dumps(
            [segment, broadcast.channel, broadcast.line_channel_id, cap, day], sort_keys=True, default=str
        ).encode()).hexdigest()
        stored = broadcast.reach or {}
        if stored.get("fingerprint") == fingerprint and broadcast.reach_at is not None \
                and timedelta(0) <= now - broadcast.reach_at <= self.REACH_FRESH:
            return dict(stored["counts"]), int(stored["line_ok"]), broadcast.reach_at
        ledger = self.ledger
        capped = (lambda ids_: ledger.at_cap(broadcast.workspace_id, ids_, day, cap)) if cap else None
        counts, line_ok = self.audience.reachable(broadcast.workspace_id, segment, broadcast.channel,
                                                  broadcast.line_channel_id, capped=capped)
        broadcast.reach = {"fingerprint": fingerprint, "counts": counts, "line_ok": line_ok}
        broadcast.reach_at = now
        self.repository.store_reach(broadcast, broadcast.reach, now)  # a cache: a deleted broadcast is fine
        return counts, int(line_ok), now

    @staticmethod
    def _enforce_quota(quota: dict[str, Any]) -> None:
        if not quota.get("ok", True) and quota.get("policy") != "warn":
            raise Conflict(f"LINE の送信数の上限: {quota.get('warning')}", where="quota", details=quota)

    # ------------------------------------------------------------------ test send
    def test_send(self, workspace_id: str, broadcast_id: str, *, line_user_ids: list[str] | None = None,
                  subscriber_ids: list[str] | None = None) -> dict[str, Any]:
        """Push the broadcast (rendered) to a few chosen LINE users or friends; never counted, never in the ledger."""
        broadcast = self.repository.require(workspace_id, broadcast_id)
        targets: list[tuple[str, Any]] = [(u, None) for u in (line_user_ids or [])]
        for index, subscriber_id in enumerate(subscriber_ids or []):
            subscriber = self.subscribers.get(workspace_id, subscriber_id)
            if subscriber is None:
                raise _fail(f"no friend '{subscriber_id}'", f"subscriber_ids.{index}")
            reach = choose_line_account(subscriber.line, broadcast.line_channel_id)
            if reach is None or reach.user_id is None:
                raise _fail(f"friend '{subscriber_id}' has no LINE account", f"subscriber_ids.{index}")
            targets.append((reach.user_id, subscriber))
        if not targets:
            raise _fail("choose at least one LINE user or friend", "line_user_ids")
        if len(targets) > MAX_TEST_RECIPIENTS:
            raise _fail(f"at most {MAX_TEST_RECIPIENTS} test recipients", "line_user_ids")
        content = self.repository.content(workspace_id, broadcast_id)
        if "line" not in content:
            raise _fail("test sends go to LINE; this broadcast has no LINE content", "channel")
        channel_id = self.repository.line_channel(broadcast)
        if channel_id is None:
            raise _fail("the workspace has no LINE channel", "line_channel_id")
        client = self.line_clients.for_channel(workspace_id, channel_id)
        zone = ZoneInfo(self._zone(workspace_id))
        results = []
        request = uuid.uuid4().hex
        for user_id, subscriber in targets:
            sample = subscriber or _Sample(user_id)
            variables = variables_for(sample, now=clock.now().astimezone(zone), coupon=sample_coupon,
                                      broadcast={"name": broadcast.name, "id": broadcast_id})
            try:
                messages = self.renderer.line_messages(content["line"], variables, where="content.line")
            except RenderError as exc:
                results.append({"line_user_id": user_id, "ok": False, "error": exc.message, "where": exc.where})
                continue
            try:
                client.push(user_id, messages, retry_key=ids.retry_key("broadcast-test", request, user_id))
                results.append({"line_user_id": user_id, "ok": True})
            except Exception as exc:
                results.append({"line_user_id": user_id, "ok": False, "error": str(getattr(exc, "message", exc))})
        self.repository.mark_test_sent(broadcast, clock.now())
        return {"results": results, "sent": sum(1 for r in results if r["ok"])}

    # ------------------------------------------------------------------ views
    def view(self, broadcast: BroadcastModel, *, with_content: bool = False) -> dict[str, Any]:
        planned = int(broadcast.planned or 0)
        settled = int(broadcast.settled or 0)
        out: dict[str, Any] = {
            "broadcast_id": broadcast.broadcast_id, "name": broadcast.name, "status": broadcast.status,
            "channel": broadcast.channel, "line_channel_id": broadcast.line_channel_id,
            "segment_id": broadcast.segment_id, "segment": broadcast.segment,
            "everyone": not broadcast.segment_id and not broadcast.segment,
            "personalised": bool(broadcast.personalised), "message_count": int(broadcast.message_count or 1),
            "variants": [{"weight": w} for w in broadcast.variants] if broadcast.variants else None,
            "ab_test_share": int(broadcast.ab_share) if broadcast.ab_share else None,
            "ab_winner_after_minutes": int(broadcast.ab_winner_after) if broadcast.ab_winner_after else None,
            "ab_test_of": broadcast.ab_parent, "ab_metric": broadcast.ab_metric or "click_rate",
            "respect_quiet_hours": broadcast.respect_quiet_hours is not False,
            "respect_daily_cap": broadcast.respect_daily_cap is not False,
            "send_at": broadcast.send_at.isoformat() if broadcast.send_at else None,
            "send_at_local": broadcast.send_at_local, "time_zone": broadcast.time_zone,
            "estimate": int(broadcast.estimate) if broadcast.estimate is not None else None,
            "quota_warning": broadcast.quota_warning,
            "progress": {
                "planned": planned, "sent": int(broadcast.sent or 0), "failed": int(broadcast.failed or 0),
                "cancelled": int(broadcast.cancelled_n or 0),
                "skipped_blocked": int(broadcast.skipped_blocked or 0),
                "skipped_unsubscribed": int(broadcast.skipped_unsubscribed or 0),
                "skipped_no_address": int(broadcast.skipped_no_address or 0),
                "skipped_daily_cap": int(broadcast.skipped_daily_cap or 0),
                "pending": max(0, planned - settled), "slices_done": len(broadcast.slices_done or set()),
                "planning_complete": bool(broadcast.planning_complete), "batches": int(broadcast.batches or 0),
            },
            "last_error": broadcast.last_error,
            "created_at": broadcast.created_at.isoformat(), "updated_at": broadcast.updated_at.isoformat(),
            "started_at": broadcast.started_at.isoformat() if broadcast.started_at else None,
            "finished_at": broadcast.finished_at.isoformat() if broadcast.finished_at else None,
            "test_sent_at": broadcast.test_sent_at.isoformat() if broadcast.test_sent_at else None,
        }
        if with_content:
            content = self.repository.content(broadcast.workspace_id, broadcast.broadcast_id)
            contents = content.pop("variants", None)
            out["content"] = content
            if out["variants"] and contents:
                out["variants"] = [{"weight": w, "content": c}
                                   for w, c in zip(broadcast.variants or [], contents, strict=False)]
        return out


class _Sample:
    """Variables for a test recipient who is not a known friend."""

    def __init__(self, user_id: str) -> None:
        self.subscriber_id = ""
        self.display_name = "テスト"
        self.email = self.phone = None
        self.fields: dict[str, Any] = {}
        self.tags: set[str] = set()
        self.line_user_id = user_id
