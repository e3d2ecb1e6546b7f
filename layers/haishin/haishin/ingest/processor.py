"""Applying LINE webhook events, each exactly once (see ``idempotency``).

One SQS record is one webhook body (``{"channel_id", "workspace_id", "received_at", "body"}``) holding 0..n events.
Events are applied in order; a failing event fails the record (SQS retries it) and the events already applied are
skipped on the retry because their claim says ``done``.

Per event type:
- follow: subscriber created or found by LINE user, profile fetched (a failed profile call is logged, not fatal),
  ``line[channel]`` following + ``followed_at`` (unless a newer block is already recorded: events may arrive out
  of order), timeline ``follow``, trigger ``friend_added``, the inflow route a LINE Login left pending attributed
  (``haishin.routes``), greeting (the route's, else the channel setting) by reply, then the
  "immediately" first steps the trigger started, at once (on the reply token when the greeting left it unused).
- unfollow: blocked + ``blocked_at`` (unless a newer follow is recorded), scenarios ``stop_all(reason="blocked")``,
  timeline ``unfollow``; history is kept.
- message: timeline ``message_in`` (entry_id = webhookEventId); text is matched against auto-replies, answered by
  reply, or by push with ``retry_key("autoreply", webhookEventId)`` when the reply token expired or was used.
  The message's ``markAsReadToken`` (the newest by event time) is kept on ``line[channel]["read_token"]`` in the
  same write that sets ``last_interaction_at`` (no extra write); opening the 1:1 chat marks the chat read with it
  (``channels.chat``). An auto-reply with actions (work beyond the reply) shows LINE's loading animation first,
  runs the actions, then answers in one reply with the "immediately" first step of a scenario they started.
- postback of a rich menu area (``haishin:rm:`` / ``haishin:rmtab:``): the tap is counted once per event (the
  ``rmtap`` step marker), in standby too; a postback area's stored actions run through ``ActionRunner`` (actor
  "rich_menu:<menu_id>", idempotency_key "postback:<webhookEventId>"); a tab area runs nothing (LINE switched).
- postback: ``haishin.ingest.postback`` payload -> ``ActionRunner`` (actor "postback",
  idempotency_key "postback:<webhookEventId>"); a bad payload is logged and skipped. A scenario started by those
  actions (or an auto-reply's) sends its "immediately" first step at once, on the reply token when it is unused.
- join, leave, memberJoined, memberLeft, accountLink, unsend, videoPlayComplete, beacon...: timeline ``event`` for a
  user source, else a log line; unknown types are logged and skipped.

``mode: "standby"`` (another bot holds the chat): state is recorded, nothing is sent, no scenario trigger or action
runs (both can cause sends). Every user event sets ``last_interaction_at``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from haishin import clock, ids
from haishin.actions import ActionRunner, parse_actions
from haishin.delivery.messages import ReplyLead
from haishin.ingest import postback
from haishin.ingest.triggers import FRIEND_ADDED, ROUTE_STARTED, ScenarioTriggers
from haishin.line.client import LineApiError, is_reply_token_gone
from haishin.optout.keywords import KeywordStore
from haishin.optout.service import RESUME_REPLY, OptOutService, keyword_of, stop_reply
from haishin.render import renderer, variables_for
from haishin.storage.base import iso
from haishin.storage.once import event_key
from haishin.subscribers.models import SubscriberModel, line_account
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from haishin.webhook_events import WebhookEvents

log = logging.getLogger("haishin.ingest")

RECORDED_TYPES = frozenset(
    {"join", "leave", "memberJoined", "memberLeft", "accountLink", "unsend", "videoPlayComplete", "beacon", "things",
     "activated", "deactivated", "botSuspended", "botResumed", "membership", "module"}
)


class Ledger(Protocol):
    def claim(self, key: str) -> str: ...

    def steps(self, key: str) -> set[str]: ...

    def mark_step(self, key: str, step: str) -> None: ...

    def done(self, key: str) -> None: ...

    def release(self, key: str) -> None: ...


class LineSender(Protocol):
    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> Any: ...

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None) -> Any: ...

    def profile(self, user_id: str) -> dict[str, Any]: ...

    def show_loading(self, user_id: str, seconds: int = ...) -> None: ...


class LineClientsLike(Protocol):
    def for_channel(self, workspace_id: str, channel_id: str) -> LineSender: ...


class AutoReplies(Protocol):
    def match(self, workspace_id: str, channel_id: str, text: str) -> Any: ...


class FirstSteps(Protocol):
    """``haishin.scenarios.instant.InstantFirstSteps``: the "immediately" first steps an event's trigger started."""

    def answer(self, workspace_id: str, subscriber_id: str, *, trigger: str | tuple[str, ...], line_channel_id: str,
               reply_token: str | None, lead: ReplyLead | None = None) -> object: ...


class InflowRoutes(Protocol):
    """Inflow routes (``haishin.routes.service.RouteService``): a LINE Login that named a route before the follow."""

    def take_pending(self, workspace_id: str, channel_id: str, line_user_id: str) -> Any: ...

    def remember_login(self, workspace_id: str, channel_id: str, line_user_id: str, route: Any, *,
                       visit: str | None = None) -> None: ...

    def attribute(self, workspace_id: str, subscriber_id: str, route: Any, *, cause: str,
                  first_follow: bool, visit: str | None = None) -> Any: ...


class FriendMenus(Protocol):
    """The rich menu rules (``haishin.richmenus.relink.FriendMenus``): a new friend's menu, after the route."""

    def relink(self, workspace_id: str, subscriber_id: str, *, channel_id: str | None = None) -> Any: ...


class RichMenuTaps(Protocol):
    """``haishin.richmenus.service.RichMenuService``: taps on our rich menus."""

    def count_tap(self, workspace_id: str, data: str, subscriber_id: str, at: datetime) -> bool: ...

    def tap_actions(self, workspace_id: str, data: str) -> list[Any]: ...


class Channels(Protocol):
    def touch(self, channel_id: str, at: datetime) -> None: ...

    def verified(self, channel_id: str, at: datetime) -> None: ...

    def greeting(self, workspace_id: str, channel_id: str) -> list[dict[str, Any]]: ...


def render_messages(messages: list[dict[str, Any]], subscriber: SubscriberModel | None, *, track: Any = None
                    ) -> list[dict[str, Any]]:
    """Variables in reply messages, through the one renderer (jinja2 sandbox); ``track``: URLs become tracked."""

    return renderer().line_messages(messages, variables_for(subscriber), where="auto-reply", track=track)


def event_time(event: dict[str, Any]) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and stamp > 0:
        return datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return clock.now()


def event_id(event: dict[str, Any]) -> str:
    """``webhookEventId``; for a (very old) event without one, a hash of its content, which is as stable."""
    value = event.get("webhookEventId")
    if value:
        return str(value)
    return "h" + hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class RecordOutcome:
    channel_id: str
    applied: int = 0
    skipped: int = 0
    latest: datetime | None = None
    verify: bool = False


@dataclass
class _Ctx:
    workspace_id: str
    channel_id: str
    event: dict[str, Any]
    webhook_event_id: str
    key: str
    at: datetime
    standby: bool
    user_id: str | None
    redelivery: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class LineEventProcessor:
    def __init__(
        self,
        *,
        subscribers: SubscriberRepository,
        timeline: Timeline,
        ledger: Ledger,
        line: LineClientsLike,
        triggers: ScenarioTriggers,
        auto_replies: AutoReplies,
        channels: Channels,
        actions: ActionRunner,
        optout: OptOutService,
        events: WebhookEvents,
        optout_keywords: KeywordStore,
        first_steps: FirstSteps,
        routes: InflowRoutes,
        rich_menus: RichMenuTaps,
        track: Any = None,
        menu_rules: FriendMenus | None = None,
        seminars: Callable[[], Any] | None = None,
    ) -> None:
        # builds haishin.seminars.service.SeminarService on first use (a seminar postback); None in unit tests of
        # other areas, the wiring always passes it
        self.seminars = seminars
        self.menu_rules = menu_rules  # None: no menu rules (unit tests of other areas); the wiring always passes it
        self.rich_menus = rich_menus
        self.track = track  # haishin.track.service.TrackService: URLs in auto-replies become tracked URLs
        self.first_steps = first_steps
        self.routes = routes
        self.subscribers = subscribers
        self.events = events  # outgoing webhooks: friend_added, blocked
        self.timeline = timeline
        self.ledger = ledger
        self.line = line
        self.triggers = triggers
        self.auto_replies = auto_replies
        self.channels = channels
        self.actions = actions
        self.optout = optout
        self.optout_keywords = optout_keywords  # the workspace's 配信停止 / 配信再開 words (cached briefly)
        self._handlers: dict[str, Callable[[_Ctx], None]] = {
            "follow": self._follow,
            "unfollow": self._unfollow,
            "message": self._message,
            "postback": self._postback,
        }

    # ------------------------------------------------------------------ records
    def process_record(self, message_body: str) -> RecordOutcome:
        envelope = json.loads(message_body)
        channel_id = str(envelope["channel_id"])
        workspace_id = str(envelope["workspace_id"])
        outcome = RecordOutcome(channel_id=channel_id)
        try:
            body = json.loads(envelope["body"])
        except (TypeError, ValueError):
            log.error("a queued webhook body is not JSON; dropped (the webhook checks this before enqueueing)")
            return outcome
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            log.error("a queued webhook body has no events list; dropped")
            return outcome
        if not events:
            outcome.verify = True
            received = envelope.get("received_at")
            self.channels.verified(channel_id, datetime.fromisoformat(received) if received else clock.now())
            return outcome
        for event in events:
            if not isinstance(event, dict):
                log.warning("skipped a webhook event that is not an object")
                continue
            applied, at = self.process_event(workspace_id, channel_id, event)
            if applied:
                outcome.applied += 1
            else:
                outcome.skipped += 1
            outcome.latest = at if outcome.latest is None or at > outcome.latest else outcome.latest
        return outcome

    def process_event(self, workspace_id: str, channel_id: str, event: dict[str, Any]) -> tuple[bool, datetime]:
        """Apply one event unless it was already applied. Returns (applied now, event time)."""
        webhook_event_id = event_id(event)
        key = event_key(channel_id, webhook_event_id)
        at = event_time(event)
        if self.ledger.claim(key) == "done":
            return False, at
        source = event.get("source") or {}
        ctx = _Ctx(
            workspace_id=workspace_id, channel_id=channel_id, event=event, webhook_event_id=webhook_event_id,
            key=key, at=at, standby=event.get("mode") == "standby",
            user_id=source.get("userId") if source.get("type") == "user" else None,
            redelivery=bool((event.get("deliveryContext") or {}).get("isRedelivery")),
        )
        try:
            handler = self._handlers.get(str(event.get("type")))
            if handler is not None:
                handler(ctx)
            elif event.get("type") in RECORDED_TYPES:
                self._other(ctx)
            else:
                log.warning("unknown LINE event type %r skipped", event.get("type"))
        except BaseException:
            self.ledger.release(key)
            raise
        self.ledger.done(key)
        return True, at

    # ------------------------------------------------------------------ helpers
    def _subscriber(self, ctx: _Ctx) -> SubscriberModel:
        assert ctx.user_id
        subscriber, _created = self.subscribers.get_or_create_for_line_user(
            ctx.workspace_id, ctx.channel_id, ctx.user_id
        )
        return subscriber

    def _touch_interaction(self, subscriber: SubscriberModel, ctx: _Ctx,
                           change: Callable[[SubscriberModel], None] | None = None) -> SubscriberModel:
        def apply(s: SubscriberModel) -> None:
            if change is not None:
                change(s)
            if s.last_interaction_at is None or s.last_interaction_at < ctx.at:
                s.last_interaction_at = ctx.at

        return self.subscribers.mutate(ctx.workspace_id, subscriber.subscriber_id, apply)

    def _account(self, s: SubscriberModel, ctx: _Ctx) -> dict[str, Any]:
        assert ctx.user_id
        return dict((s.line or {}).get(ctx.channel_id) or line_account(ctx.user_id))

    def _send(self, ctx: _Ctx, messages: list[dict[str, Any]], *, step: str, retry_key: str) -> str | None:
        """Reply (free, uses the event's token); push with a deterministic retry key when the token is gone.

        Returns "reply", "push", "already" (done by an earlier attempt), or None when LINE refused for good.
        """
        assert ctx.user_id
        if step in self.ledger.steps(ctx.key):
            return "already"
        client = self.line.for_channel(ctx.workspace_id, ctx.channel_id)
        via = "push"
        try:
            token = ctx.event.get("replyToken")
            sent = False
            if token:
                try:
                    client.reply(str(token), messages)
                    via, sent = "reply", True
                except LineApiError as error:
                    if not is_reply_token_gone(error):
                        raise
                    log.info("reply token expired or used; falling back to push")
            if not sent:
                client.push(ctx.user_id, messages, retry_key=retry_key)
        except LineApiError as error:
            if error.retryable:
                raise
            log.error("LINE refused a %s (HTTP %s): %s", step, error.status, error.message)
            return None
        self.ledger.mark_step(ctx.key, step)
        return via

    # ------------------------------------------------------------------ event types
    def _follow(self, ctx: _Ctx) -> None:
        if not ctx.user_id:
            log.info("follow without a user source skipped")
            return
        subscriber = self._subscriber(ctx)
        profile: dict[str, Any] = {}
        try:
            profile = self.line.for_channel(ctx.workspace_id, ctx.channel_id).profile(ctx.user_id) or {}
        except Exception as exc:  # the profile is nice to have; the follow must be recorded anyway
            log.warning("profile fetch failed (%s); the follow is recorded without it", type(exc).__name__)
        is_unblocked = bool((ctx.event.get("follow") or {}).get("isUnblocked"))
        state = {"current": True}

        def change(s: SubscriberModel) -> None:
            account = self._account(s, ctx)
            blocked_at = account.get("blocked_at")
            state["current"] = not blocked_at or str(blocked_at) <= iso(ctx.at)
            if state["current"]:
                account["status"] = "following"
                if not account.get("followed_at") or str(account["followed_at"]) < iso(ctx.at):
                    account["followed_at"] = iso(ctx.at)
            account["is_unblocked"] = is_unblocked
            s.line = {**(s.line or {}), ctx.channel_id: account}
            name = profile.get("displayName") or profile.get("display_name")
            picture = profile.get("pictureUrl") or profile.get("picture_url")
            language = profile.get("language")
            if name:
                s.display_name = str(name)
            if picture:
                s.picture_url = str(picture)
            if language:
                s.language = str(language)
            consent = dict(s.consent or {})
            consent.setdefault("line", True)
            s.consent = consent

        subscriber = self._touch_interaction(subscriber, ctx, change)
        self.timeline.append(
            ctx.workspace_id, subscriber.subscriber_id, "follow",
            {"channel_id": ctx.channel_id, "is_unblocked": is_unblocked, "standby": ctx.standby},
            actor="friend", at=ctx.at, entry_id=ctx.webhook_event_id,
        )
        if state["current"]:  # a fact, reported in standby mode too (nothing is sent to the friend)
            self._publish(ctx, "friend_added", subscriber, {"is_unblocked": is_unblocked})
        if ctx.standby or not state["current"]:
            return
        # An inflow route the friend opened (LINE Login) just before following: attributed to this follow, its
        # actions run, and its greeting (when it has one) replaces the channel's. A route that replaces the
        # friend-added scenarios (a scenario's own friend-add link) leaves them out: its actions start its own.
        pending = self.routes.take_pending(ctx.workspace_id, ctx.channel_id, ctx.user_id)
        route, visit = (pending.route, pending.visit) if pending is not None else (None, None)
        try:
            replacing = {"enroll": False} if route is not None and route.replace_friend_added else {}
            self.triggers.on_trigger(
                ctx.workspace_id, subscriber.subscriber_id, FRIEND_ADDED,
                {"channel_id": ctx.channel_id, "is_unblocked": is_unblocked},
                idempotency_key=f"follow:{ctx.webhook_event_id}", **replacing,
            )
            if route is not None:
                self.routes.attribute(ctx.workspace_id, subscriber.subscriber_id, route, cause=ctx.webhook_event_id,
                                      first_follow=True, visit=visit)
        except Exception:  # given back, so the event's retry attributes it (the attribution is keyed)
            if route is not None:
                self.routes.remember_login(ctx.workspace_id, ctx.channel_id, ctx.user_id, route, visit=visit)
            raise
        if self.menu_rules is not None:  # a new friend has no per-user menu yet; the rules may give one (never raises)
            self.menu_rules.relink(ctx.workspace_id, subscriber.subscriber_id, channel_id=ctx.channel_id)
        # The greeting and the "immediately" first steps the trigger started answer this event together: one reply
        # (greeting first, LINE's order; 5 objects per reply, the rest by push), or by push with their own retry
        # keys when the token is refused; the steps exactly once through the delivery ledger
        # (haishin.scenarios.instant), the greeting through this event's step marker.
        greeting = (route.greeting if route is not None and route.greeting
                    else self.channels.greeting(ctx.workspace_id, ctx.channel_id))
        lead: ReplyLead | None = None
        if greeting and "greeting" not in self.ledger.steps(ctx.key):
            lead = ReplyLead(render_messages(greeting[:5], subscriber),
                             ids.retry_key("greeting", ctx.webhook_event_id))
        token = ctx.event.get("replyToken")
        self.first_steps.answer(ctx.workspace_id, subscriber.subscriber_id, trigger=(FRIEND_ADDED, ROUTE_STARTED),
                                line_channel_id=ctx.channel_id, reply_token=str(token) if token else None,
                                lead=lead)
        if lead is None:
            return
        if lead.via is not None:  # sent with a step
            self.ledger.mark_step(ctx.key, "greeting")
            via: str | None = lead.via
        else:
            via = self._send(ctx, lead.messages, step="greeting", retry_key=lead.retry_key)
        if via and via != "already":
            self.timeline.append(
                ctx.workspace_id, subscriber.subscriber_id, "message_out",
                {"channel_id": ctx.channel_id, "messages": lead.messages, "via": via, "cause": "greeting"},
                actor="system", at=clock.now(), entry_id=f"greeting:{ctx.webhook_event_id}",
            )

    def _unfollow(self, ctx: _Ctx) -> None:
        if not ctx.user_id:
            log.info("unfollow without a user source skipped")
            return
        subscriber = self._subscriber(ctx)

        def change(s: SubscriberModel) -> None:
            account = self._account(s, ctx)
            followed_at = account.get("followed_at")
            if not followed_at or str(followed_at) <= iso(ctx.at):
                account["status"] = "blocked"
                if not account.get("blocked_at") or str(account["blocked_at"]) < iso(ctx.at):
                    account["blocked_at"] = iso(ctx.at)
            s.line = {**(s.line or {}), ctx.channel_id: account}

        subscriber = self._touch_interaction(subscriber, ctx, change)
        self.timeline.append(
            ctx.workspace_id, subscriber.subscriber_id, "unfollow", {"channel_id": ctx.channel_id},
            actor="friend", at=ctx.at, entry_id=ctx.webhook_event_id,
        )
        if (subscriber.line or {}).get(ctx.channel_id, {}).get("status") == "blocked":
            # Stopping sends is never a send: done in standby mode too.
            self.triggers.stop_all(ctx.workspace_id, subscriber.subscriber_id, reason="blocked")
            self._publish(ctx, "blocked", subscriber, {})

    def _publish(self, ctx: _Ctx, event_type: str, subscriber: SubscriberModel, extra: dict[str, Any]) -> None:
        self.events.publish(
            ctx.workspace_id, event_type,
            {"subscriber_id": subscriber.subscriber_id, "channel_id": ctx.channel_id, "line_user_id": ctx.user_id,
             "display_name": subscriber.display_name, "at": iso(ctx.at), **extra},
            idempotency_key=f"{event_type}:{ctx.webhook_event_id}")

    def _message(self, ctx: _Ctx) -> None:
        if not ctx.user_id:
            log.info("message from a %s source recorded in the log only", (ctx.event.get("source") or {}).get("type"))
            return
        message = ctx.event.get("message") or {}
        read_token = message.get("markAsReadToken")

        def keep_read_token(s: SubscriberModel) -> None:
            """The newest message's token marks it and every earlier one read: keep only the newest."""
            account = self._account(s, ctx)
            if str(account.get("read_token_at") or "") <= iso(ctx.at):
                account["read_token"], account["read_token_at"] = str(read_token), iso(ctx.at)
                s.line = {**(s.line or {}), ctx.channel_id: account}

        subscriber = self._touch_interaction(self._subscriber(ctx), ctx,
                                             keep_read_token if isinstance(read_token, str) and read_token else None)
        kind = str(message.get("type") or "unknown")
        data: dict[str, Any] = {"channel_id": ctx.channel_id, "message_id": message.get("id"), "type": kind}
        if kind == "text":
            data["text"] = message.get("text", "")
            if message.get("emojis"):
                data["emojis"] = message["emojis"]
        elif kind == "sticker":
            data["sticker"] = {k: message.get(k) for k in ("packageId", "stickerId", "stickerResourceType", "keywords")
                               if message.get(k) is not None}
        elif kind in ("image", "video", "audio", "file"):
            data["content"] = {k: message.get(k) for k in ("contentProvider", "duration", "fileName", "fileSize",
                                                           "imageSet") if message.get(k) is not None}
        elif kind == "location":
            data["location"] = {k: message.get(k) for k in ("title", "address", "latitude", "longitude")}
        if message.get("quoteToken"):
            data["quote_token"] = message["quoteToken"]
        self.timeline.append(ctx.workspace_id, subscriber.subscriber_id, "message_in", data, actor="friend",
                             at=ctx.at, entry_id=ctx.webhook_event_id)
        if kind == "text" and self._keyword(ctx, subscriber, str(message.get("text") or "")):
            return
        if kind != "text" or ctx.standby:
            return
        rule = self.auto_replies.match(ctx.workspace_id, ctx.channel_id, str(message.get("text") or ""))
        if rule is None:
            return
        rule_id = getattr(rule, "auto_reply_id", None)
        tracker = None if self.track is None or not rule_id else self.track.tracker(
            ctx.workspace_id, subscriber.subscriber_id, "a", str(rule_id))
        messages = render_messages(list(rule.messages or [])[:5], subscriber, track=tracker)
        retry_key = ids.retry_key("autoreply", ctx.webhook_event_id)
        # The auto-reply and the "immediately" first step of a scenario its actions start answer the event together:
        # one reply, the auto-reply first (5 objects per reply, the rest by push), as the greeting with the welcome.
        lead: ReplyLead | None = None
        if messages and "autoreply" not in self.ledger.steps(ctx.key):
            lead = ReplyLead(messages, retry_key)
        if rule.actions:
            self._show_loading(ctx)
            self._run_actions(ctx, subscriber, rule.actions, actor=f"auto_reply:{rule.auto_reply_id}",
                              idempotency_key=f"autoreply:{ctx.webhook_event_id}", lead=lead)
        if lead is None:
            return
        if lead.via is not None:  # went out with a step
            self.ledger.mark_step(ctx.key, "autoreply")
            via: str | None = lead.via
        else:
            via = self._send(ctx, messages, step="autoreply", retry_key=retry_key)
        if via and via != "already":
            self.timeline.append(
                ctx.workspace_id, subscriber.subscriber_id, "message_out",
                {"channel_id": ctx.channel_id, "messages": messages, "via": via, "auto_reply_id": rule.auto_reply_id},
                actor=f"auto_reply:{rule.auto_reply_id}", at=clock.now(), entry_id=f"autoreply:{ctx.webhook_event_id}",
            )

    def _show_loading(self, ctx: _Ctx) -> None:
        """LINE's loading animation in the friend's chat before an answer that does more than reply (an auto-reply
        with actions: tags, scenarios, fields, webhooks). It ends when the answer arrives. A courtesy: a failure is
        logged, never retried, and an event whose answer already went out shows nothing again."""
        assert ctx.user_id
        if "autoreply" in self.ledger.steps(ctx.key):
            return
        try:
            self.line.for_channel(ctx.workspace_id, ctx.channel_id).show_loading(ctx.user_id)
        except Exception as exc:  # never worth failing (and redelivering) the event for
            log.warning("the loading animation was not shown (%s)", getattr(exc, "message", type(exc).__name__))

    def _keyword(self, ctx: _Ctx, subscriber: SubscriberModel, text: str) -> bool:
        """The workspace's 配信停止 / 配信再開 keywords typed in the chat: LINE broadcasts and steps stop (or resume)
        for this friend, with a reply saying so and how to come back. Stopping is never a send, so it applies in
        standby too (no reply)."""
        keywords = self.optout_keywords.cached(ctx.workspace_id)
        action = keyword_of(text, keywords)
        if action is None:
            return False
        self.optout.set(
            ctx.workspace_id, subscriber.subscriber_id, "line", action == "stop", reason="keyword")
        self.timeline.append(ctx.workspace_id, subscriber.subscriber_id, "opt_out" if action == "stop" else "opt_in",
                             {"channel": "line", "via": "keyword"}, actor="friend", at=ctx.at,
                             entry_id=f"optout:{ctx.webhook_event_id}")
        if not ctx.standby:
            text = stop_reply(keywords) if action == "stop" else RESUME_REPLY
            self._send(ctx, [{"type": "text", "text": text}], step="optout",
                       retry_key=ids.retry_key("optout", ctx.webhook_event_id))
        return True

    def _run_actions(self, ctx: _Ctx, subscriber: SubscriberModel, raw: Any, *, actor: str,
                     idempotency_key: str, lead: ReplyLead | None = None) -> None:
        try:
            actions = raw if raw and not isinstance(raw[0], dict) else parse_actions(raw)
        except ValidationError as exc:
            log.error("stored actions are invalid (%s); skipped", exc.errors()[0].get("msg"))
            return
        try:
            self.actions.run(ctx.workspace_id, subscriber.subscriber_id, actions, actor=actor,
                             idempotency_key=idempotency_key)
        except RuntimeError as exc:  # an action needing a collaborator this function does not have
            log.error("an action could not run: %s", exc)
            return
        # a scenario these actions started (trigger = the actor) whose first step is "immediately": sent now, on
        # the reply token (behind ``lead``, the auto-reply, when there is one), else by push
        token = ctx.event.get("replyToken")
        self.first_steps.answer(ctx.workspace_id, subscriber.subscriber_id, trigger=actor,
                                line_channel_id=ctx.channel_id, reply_token=str(token) if token else None,
                                lead=lead)

    def _postback(self, ctx: _Ctx) -> None:
        if not ctx.user_id:
            log.info("postback without a user source skipped")
            return
        subscriber = self._touch_interaction(self._subscriber(ctx), ctx)
        data = str((ctx.event.get("postback") or {}).get("data") or "")
        params = (ctx.event.get("postback") or {}).get("params")
        self.timeline.append(
            ctx.workspace_id, subscriber.subscriber_id, "event",
            {"type": "postback", "channel_id": ctx.channel_id, "data": data[:300], "params": params},
            actor="friend", at=ctx.at, entry_id=ctx.webhook_event_id,
        )
        tap = postback.rich_menu_tap(data)
        if tap is not None:
            self._rich_menu_tap(ctx, subscriber, data, tap[1])
            return
        if ctx.standby:
            return
        seminar = postback.seminar_postback(data)
        if seminar is not None and self.seminars is not None:
            self._seminar(ctx, subscriber, *seminar)
            return
        try:
            actions = postback.parse(data)
        except postback.NotOurs:
            log.info("postback not in a Haishin format; recorded only")
            return
        except (ValueError, ValidationError) as exc:
            log.warning("bad postback payload skipped: %s", str(exc)[:200])
            return
        self._run_actions(ctx, subscriber, actions, actor="postback",
                          idempotency_key=f"postback:{ctx.webhook_event_id}")

    def _seminar(self, ctx: _Ctx, subscriber: SubscriberModel, verb: str, event_id: str, session_id: str) -> None:
        """A seminar postback: the carousel of sessions with seats left, or a registration for the session chosen.
        Done once per webhook event (a LINE redelivery only re-sends the answer, never registers twice)."""
        assert self.seminars is not None
        if "seminar" in self.ledger.steps(ctx.key):
            return
        messages = self.seminars().line_postback(ctx.workspace_id, subscriber.subscriber_id, verb, event_id,
                                                 session_id)
        self.ledger.mark_step(ctx.key, "seminar")
        self._send(ctx, messages, step="seminar_reply", retry_key=ids.retry_key("seminar", ctx.webhook_event_id))

    def _rich_menu_tap(self, ctx: _Ctx, subscriber: SubscriberModel, data: str, menu_id: str) -> None:
        """A tap on one of our rich menus: counted once per event; a postback area's actions run (not in standby)."""
        if "rmtap" not in self.ledger.steps(ctx.key):
            self.rich_menus.count_tap(ctx.workspace_id, data, subscriber.subscriber_id, ctx.at)
            self.ledger.mark_step(ctx.key, "rmtap")
        if ctx.standby:
            return
        try:
            actions = self.rich_menus.tap_actions(ctx.workspace_id, data)
        except ValidationError as exc:
            log.error("the rich menu area's stored actions are invalid (%s); skipped", exc.errors()[0].get("msg"))
            return
        if actions:
            self._run_actions(ctx, subscriber, actions, actor=f"rich_menu:{menu_id}",
                              idempotency_key=f"postback:{ctx.webhook_event_id}")

    def _other(self, ctx: _Ctx) -> None:
        kind = str(ctx.event.get("type"))
        if not ctx.user_id:
            source = ctx.event.get("source") or {}
            log.info("LINE %s event from a %s source", kind, source.get("type"))
            return
        subscriber = self._touch_interaction(self._subscriber(ctx), ctx)
        data: dict[str, Any] = {"type": kind, "channel_id": ctx.channel_id}
        for name in ("link", "unsend", "videoPlayComplete", "beacon", "joined", "left", "things", "membership"):
            if name in ctx.event:
                data[name] = ctx.event[name]
        self.timeline.append(ctx.workspace_id, subscriber.subscriber_id, "event", data, actor="friend",
                             at=ctx.at, entry_id=ctx.webhook_event_id)
