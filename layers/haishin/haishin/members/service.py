"""Member sites (会員サイト): courses (chapters -> lessons), who may read them, drip, member login, progress.

Access is a set of grants per friend and course: ``order:<id>`` (a paid order whose product names the course),
``tag`` (the course's grant tag), ``manual`` (staff). Each grant is open until its ``ends_at``: a refund or a
cancelled subscription sets it to the end of what was paid (a one-time purchase: the refund itself), so access
ends then by the one clock, with nothing scheduled. A lesson with ``drip_days`` unlocks that many days after the
member's first access.

Members log in by an e-mail magic link (signed with the workspace's LinkSigner, 15 minutes, single use through the
one run-once ledger) or by LINE Login (the workspace's LINE channel's Login channel, the same signed, browser-bound
state as inflow routes, ``haishin.line.login``; the friend is the channel's LINE user) and hold a server-side
session (a random secret in an HttpOnly cookie; only its SHA-256 is stored), which the member ("log out
everywhere") or staff can revoke.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import secrets as pysecrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from haishin import clock
from haishin.assets.models import AssetModel
from haishin.assets.service import AssetService
from haishin.channels.service import member_login_callback_url
from haishin.errors import ExternalServiceError, HaishinError, NotFound, PermissionDenied, ValidationFailed
from haishin.forms.collab import Collaborators
from haishin.forms.tokens import LinkSigner, TokenInvalid
from haishin.ids import new_id
from haishin.line import login as line_login
from haishin.line.login import LoginRefused, LoginStart
from haishin.members.inputs import CourseIn, embed_url
from haishin.members.models import AccessModel, CourseModel
from haishin.members.repository import MemberRepository
from haishin.payments import state
from haishin.public_url import public_base
from haishin.secrets import secret_name
from haishin.storage.base import iso
from haishin.storage.once import Once

log = logging.getLogger(__name__)

LOGIN_PURPOSE = "member_login"
LOGIN_VALIDITY = timedelta(minutes=15)
SESSION_VALIDITY = timedelta(days=30)
LINE_STATE_TTL = timedelta(minutes=10)
LINE_STATE_PURPOSE = "member-state"  # a member login's state is not an inflow route's, and the other way round
LESSON_COMPLETED = "lesson_completed"
COURSE_COMPLETED = "course_completed"
MANUAL, TAG = "manual", "tag"


class Refused(HaishinError):
    """A member may not do this (a forged, expired or used login link; no access to the course)."""

    code = "forbidden"
    http_status = 403


@dataclass(frozen=True)
class Member:
    workspace_id: str
    subscriber_id: str
    session_digest: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _add_interval(start: datetime, interval: str, count: int = 1) -> datetime:
    if interval == "day":
        return start + timedelta(days=count)
    if interval == "week":
        return start + timedelta(weeks=count)
    months = count * (12 if interval == "year" else 1)
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def paid_until(kind: str, interval: str, facts: dict[str, Any], now: datetime) -> datetime:
    """The end of the period an order has paid for: a one-time purchase ends when refunded (now); a subscription
    or installments run to the paid period's end Stripe sent (``state.paid_period_end``: the subscription's
    ``current_period_end``, or the paid invoice's line period), else one interval after the latest paid invoice
    (Stripe starts each period at its invoice)."""
    if kind == "one_time":
        return now
    stripe_end = state.paid_period_end(facts)
    if stripe_end:
        return max(now, datetime.fromtimestamp(stripe_end, tz=now.tzinfo))
    paid = [int(i.get("created") or 0) for i in (facts.get("invoices") or {}).values() if i.get("paid")]
    if not paid or not max(paid):
        return now
    start = datetime.fromtimestamp(max(paid), tz=now.tzinfo)
    return max(now, _add_interval(start, interval))


def lessons_of(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [lesson for chapter in definition.get("chapters") or [] for lesson in chapter.get("lessons") or []]


@dataclass(frozen=True)
class LineLoggedIn:
    workspace_id: str
    course_id: str
    cookie: str  # the session cookie's value


def line_callback_url() -> str:
    return member_login_callback_url(public_base())


class MemberService:
    def __init__(self, collab: Collaborators, *, payments: Any, email: Any, senders: Any, channels: Any = None,
                 repository: MemberRepository | None = None, once: Once | None = None,
                 assets: AssetService | None = None) -> None:
        self.collab = collab
        self.assets = assets or AssetService()  # uploaded lesson attachments
        self.payments = payments  # haishin.payments.service.PaymentService: products name the courses they grant
        self.email = email  # haishin.delivery.email_sms.EmailSender: the login link
        self.senders = senders  # haishin.senders.service.SenderService: the workspace's verified From
        self.channels = channels  # haishin.channels.service.ChannelService: LINE channels with a Login channel
        self.repo = repository or MemberRepository()
        self.once = once or Once()
        self.signer = LinkSigner(collab.secrets)

    # ------------------------------------------------------------------ courses (admin)
    @staticmethod
    def definition(course: CourseIn) -> dict[str, Any]:
        """The stored definition: lessons keep the IDs they were sent with (progress stays attached), new ones
        get an ID."""
        definition = course.model_dump()
        for chapter in definition["chapters"]:
            for lesson in chapter["lessons"]:
                lesson["id"] = lesson["id"] or new_id("les_")
        return definition

    def _check_attachments(self, workspace_id: str, definition: dict[str, Any]) -> None:
        """Every uploaded attachment a lesson names is this workspace's (refused at its place otherwise)."""
        for c, chapter in enumerate(definition["chapters"]):
            for i, lesson in enumerate(chapter["lessons"]):
                for j, attachment in enumerate(lesson.get("attachments") or []):
                    if attachment.get("asset_id"):
                        self.assets.require(workspace_id, attachment["asset_id"], "attachment",
                                            f"chapters.{c}.lessons.{i}.attachments.{j}")

    def create_course(self, workspace_id: str, definition: dict[str, Any]) -> CourseModel:
        self._check_attachments(workspace_id, definition)
        return self.repo.create_course(workspace_id, new_id("crs_"), definition, now=clock.now())

    def update_course(self, workspace_id: str, course_id: str, definition: dict[str, Any]) -> CourseModel:
        item = self.repo.require_course(workspace_id, course_id)
        self._check_attachments(workspace_id, definition)
        self.repo.save_course(item, definition, now=clock.now())
        return item

    def course(self, workspace_id: str, course_id: str) -> CourseModel:
        return self.repo.require_course(workspace_id, course_id)

    def courses(self, workspace_id: str) -> list[CourseModel]:
        return sorted(self.repo.courses(workspace_id), key=lambda c: c.created_at)

    def asset_uses(self, workspace_id: str, asset_id: str) -> list[str]:
        """The lessons whose attachments name this uploaded file: the assets' delete check
        (``haishin.assets.service.AssetUsers``). Reads the workspace's courses whole (a handful, one query)."""
        return [f"コース「{course.definition.get('title') or course.course_id}」のレッスン「{lesson.get('title')}」"
                for course in self.courses(workspace_id) for lesson in lessons_of(course.definition)
                if any(a.get("asset_id") == asset_id for a in lesson.get("attachments") or [])]

    def delete_course(self, workspace_id: str, course_id: str) -> None:
        self.repo.delete_course(self.repo.require_course(workspace_id, course_id))

    @staticmethod
    def view(item: CourseModel) -> dict[str, Any]:
        d = item.definition
        return {"course_id": item.course_id, **d, "lesson_count": len(lessons_of(d)),
                "member_url": f"{public_base()}/m/{item.workspace_id}/{item.course_id}/",
                "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}

    # ------------------------------------------------------------------ access
    def _grant(self, workspace_id: str, course_id: str, subscriber_id: str, source: str) -> AccessModel | None:
        now = clock.now()

        def change(grants: dict[str, Any]) -> bool:
            current = grants.get(source)
            if current is not None and current.get("ends_at") is None:
                return False
            grants[source] = {"at": iso(now), "ends_at": None}
            return True

        return self.repo.change_access(workspace_id, course_id, subscriber_id, now=now, change=change)

    def _end(self, workspace_id: str, course_id: str, subscriber_id: str, source: str, ends_at: datetime) -> None:
        def change(grants: dict[str, Any]) -> bool:
            current = grants.get(source)
            if current is None:
                return False
            if current.get("ends_at") and current["ends_at"] <= iso(ends_at):
                return False  # already ending as early or earlier: a redelivered refund changes nothing
            grants[source] = {**current, "ends_at": iso(ends_at)}
            return True

        self.repo.change_access(workspace_id, course_id, subscriber_id, now=clock.now(), change=change)

    def grant_manually(self, workspace_id: str, course_id: str, subscriber_id: str) -> dict[str, Any]:
        self.repo.require_course(workspace_id, course_id)
        self.collab.subscribers.require(workspace_id, subscriber_id)  # another workspace's friend: not found
        self._grant(workspace_id, course_id, subscriber_id, MANUAL)
        return self.access_view(workspace_id, course_id, subscriber_id)

    def revoke_manually(self, workspace_id: str, course_id: str, subscriber_id: str) -> dict[str, Any]:
        self.repo.require_course(workspace_id, course_id)
        self.collab.subscribers.require(workspace_id, subscriber_id)
        self._end(workspace_id, course_id, subscriber_id, MANUAL, clock.now())
        return self.access_view(workspace_id, course_id, subscriber_id)

    @staticmethod
    def open_grants(item: AccessModel | None, now: datetime) -> list[str]:
        if item is None:
            return []
        return sorted(source for source, g in (item.grants or {}).items()
                      if g.get("ends_at") is None or g["ends_at"] > iso(now))

    def access_view(self, workspace_id: str, course_id: str, subscriber_id: str) -> dict[str, Any]:
        item = self.repo.access(workspace_id, course_id, subscriber_id)
        now = clock.now()
        return {"subscriber_id": subscriber_id, "course_id": course_id,
                "active": bool(self.open_grants(item, now)), "sources": self.open_grants(item, now),
                "grants": dict(item.grants or {}) if item else {},
                "started_at": iso(item.started_at) if item else None}

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        """EventFanout listener: a paid order grants the courses its product names; its refund or the end of its
        subscription ends that grant at the end of the paid period (a subscription's current payment refunded in
        full: at once; an older or partial one: not at all); the course's grant tag grants and ends too.
        A redelivered event finds the grant as it left it and changes nothing."""
        subscriber_id = str(data.get("subscriber_id") or "")
        if not subscriber_id:
            return 0
        if event_type in ("tag_added", "tag_removed"):
            names = {_key(str(data.get(k) or "")) for k in ("tag", "name", "tag_id")} - {""}
            for course in self.repo.courses(workspace_id):
                tag = _key(str(course.definition.get("grant_tag") or ""))
                if tag and tag in names:
                    if event_type == "tag_added":
                        self._grant(workspace_id, course.course_id, subscriber_id, TAG)
                    else:
                        self._end(workspace_id, course.course_id, subscriber_id, TAG, clock.now())
            return 0
        if event_type not in ("purchase_completed", "purchase_refunded", "subscription_canceled"):
            return 0
        try:
            product = self.payments.get_product(workspace_id, str(data.get("product_id") or ""))
        except NotFound:
            return 0
        course_ids = [c for c in product.definition.get("course_ids") or []
                      if self.repo.find_course(workspace_id, c) is not None]
        source = f"order:{data.get('order_id')}"
        if event_type == "purchase_completed":
            for course_id in course_ids:
                self._grant(workspace_id, course_id, subscriber_id, source)
            return 0
        order = self.payments.get_order(workspace_id, str(data.get("order_id") or ""))
        ends = paid_until(order.kind, str(product.definition.get("interval") or "month"), order.facts or {},
                          clock.now())
        if event_type == "purchase_refunded" and order.kind != "one_time":
            # this period's payment refunded in full: the friend has not paid for now, access ends at once; an older
            # payment's refund or a partial one leaves the paid period (and the running subscription) as it is
            latest = state.latest_payment_refunded(order.facts or {})
            if latest is False:
                return 0
            if latest:
                ends = clock.now()
        for course_id in course_ids:
            self._end(workspace_id, course_id, subscriber_id, source, ends)
        return 0

    # ------------------------------------------------------------------ what a member sees
    def member_course(self, workspace_id: str, course_id: str, subscriber_id: str) -> dict[str, Any]:
        """The course as this member sees it: each lesson open, locked until a date, or done. NotFound for an
        unknown or draft course; ``active`` False when the member has no open grant."""
        course = self.repo.require_course(workspace_id, course_id)
        if course.definition.get("status") != "published":
            raise NotFound("コースが見つかりません", where=f"course {course_id}")
        access = self.repo.access(workspace_id, course_id, subscriber_id)
        now = clock.now()
        active = bool(self.open_grants(access, now))
        done = self.repo.completed(workspace_id, course_id, subscriber_id) if active else {}
        chapters = []
        for chapter in course.definition["chapters"]:
            lessons = []
            for lesson in chapter["lessons"]:
                opens = (access.started_at + timedelta(days=int(lesson.get("drip_days") or 0))) if access else None
                lessons.append({**lesson, "opens_at": opens, "open": bool(active and opens and opens <= now),
                                "done": lesson["id"] in done,
                                "embed": embed_url(lesson["video_url"]) if lesson.get("video_url") else ""})
            chapters.append({"title": chapter["title"], "lessons": lessons})
        total = sum(len(c["lessons"]) for c in chapters)
        return {"course_id": course_id, "title": course.definition["title"],
                "description": course.definition.get("description", ""), "chapters": chapters, "active": active,
                "done": len([x for x in done if any(x == lesson["id"] for c in chapters for lesson in c["lessons"])]),
                "total": total}

    def member_courses(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        """The member's home: every published course of the workspace this member has an open grant to, with the
        progress (one read per course: a workspace holds a handful of courses)."""
        out = []
        for course in self.courses(workspace_id):
            if course.definition.get("status") != "published":
                continue
            view = self.member_course(workspace_id, course.course_id, subscriber_id)
            if view["active"]:
                out.append({"course_id": course.course_id, "title": view["title"], "done": view["done"],
                            "total": view["total"]})
        return sorted(out, key=lambda c: str(c["title"]))

    def member_lesson(self, workspace_id: str, course_id: str, subscriber_id: str,
                      lesson_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        view = self.member_course(workspace_id, course_id, subscriber_id)
        for chapter in view["chapters"]:
            for lesson in chapter["lessons"]:
                if lesson["id"] == lesson_id:
                    return view, lesson
        raise NotFound("レッスンが見つかりません", where=f"lesson {lesson_id}")

    def attachment(self, workspace_id: str, course_id: str, subscriber_id: str, lesson_id: str,
                   asset_id: str) -> tuple[AssetModel, bytes]:
        """An uploaded attachment of a lesson, for a member with access to that lesson while it is open; anything
        else is refused (PermissionDenied) or not found (an asset the lesson does not name)."""
        view, lesson = self.member_lesson(workspace_id, course_id, subscriber_id, lesson_id)
        if not any(a.get("asset_id") == asset_id for a in lesson.get("attachments") or []):
            raise NotFound("添付ファイルが見つかりません", where=f"attachment {asset_id}")
        if not view["active"]:
            raise PermissionDenied("受講期間は終了しています", where="access")
        if not lesson["open"]:
            raise PermissionDenied("このレッスンはまだ公開されていません", where=f"lesson {lesson_id}")
        return self.assets.content(workspace_id, asset_id)

    def complete_lesson(self, workspace_id: str, course_id: str, subscriber_id: str, lesson_id: str) -> bool:
        """Record the lesson as done (only an open lesson of a member with access); the first time fires
        ``lesson_completed``, and the last lesson of the course ``course_completed`` (once per member)."""
        view, lesson = self.member_lesson(workspace_id, course_id, subscriber_id, lesson_id)
        if not view["active"]:
            raise Refused("このコースを受講する権限がありません", where="course")
        if not lesson["open"]:
            raise ValidationFailed("このレッスンはまだ公開されていません", where=f"lesson {lesson_id}")
        if not self.repo.complete(workspace_id, course_id, subscriber_id, lesson_id, now=clock.now()):
            return False
        detail = {"course_id": course_id, "lesson_id": lesson_id, "course_title": view["title"],
                  "lesson_title": lesson["title"]}
        key = f"member:{workspace_id}:{course_id}:{subscriber_id}"
        self._fire(workspace_id, subscriber_id, LESSON_COMPLETED, detail, f"{key}:lesson:{lesson_id}")
        done = self.repo.completed(workspace_id, course_id, subscriber_id)
        ids = [x["id"] for c in view["chapters"] for x in c["lessons"]]
        if all(i in done for i in ids):
            self._fire(workspace_id, subscriber_id, COURSE_COMPLETED,
                       {"course_id": course_id, "course_title": view["title"]}, f"{key}:course")
        return True

    def _fire(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any], key: str) -> None:
        """The scenario trigger, then the event for webhooks; keyed, so a retry enrolls and publishes once."""
        self.collab.trigger(workspace_id, subscriber_id, trigger, detail, idempotency_key=key)
        self.collab.publish(workspace_id, trigger, {"subscriber_id": subscriber_id, **detail}, idempotency_key=key)

    # ------------------------------------------------------------------ members, progress, drop-off (admin)
    def members(self, workspace_id: str, course_id: str) -> dict[str, Any]:
        course = self.repo.require_course(workspace_id, course_id)
        lessons = lessons_of(course.definition)
        ids = [x["id"] for x in lessons]
        access, progress = self.repo.members(workspace_id, course_id)
        done: dict[str, set[str]] = {}
        for p in progress:
            done.setdefault(p.subscriber_id, set()).add(p.lesson_id)
        now = clock.now()
        rows = []
        for item in access:
            finished = [i for i in ids if i in done.get(item.subscriber_id, set())]
            friend = self.collab.subscribers.get(workspace_id, item.subscriber_id)
            rows.append({"subscriber_id": item.subscriber_id,
                         "name": (getattr(friend, "display_name", None) or getattr(friend, "email", None) or "")
                         if friend else "",
                         "active": bool(self.open_grants(item, now)), "sources": self.open_grants(item, now),
                         "grants": dict(item.grants or {}), "started_at": iso(item.started_at),
                         "completed": len(finished), "total": len(ids),
                         "percent": round(100 * len(finished) / len(ids)) if ids else 0})
        # drop-off: of the members who started, how many reached each lesson, and where the last one stopped
        reached = [sum(1 for s in done.values() if i in s) for i in ids]
        stopped: dict[str, int] = {}
        for finished_ids in done.values():
            last = max((ids.index(i) for i in finished_ids if i in ids), default=-1)
            if 0 <= last < len(ids) - 1:
                stopped[ids[last + 1]] = stopped.get(ids[last + 1], 0) + 1
        drop = [{"lesson_id": x["id"], "title": x["title"], "completed": reached[n],
                 "stopped_before": stopped.get(x["id"], 0)} for n, x in enumerate(lessons)]
        return {"course_id": course_id, "members": sorted(rows, key=lambda r: r["started_at"]), "drop_off": drop}

    # ------------------------------------------------------------------ login and sessions
    def request_login(self, workspace_id: str, course_id: str, email: str) -> None:
        """Send the login link to a member with access (anyone else gets nothing; the page says the same either
        way, so it never tells who is a member). The link's target binds the course and a one-time nonce."""
        course = self.repo.require_course(workspace_id, course_id)
        address = email.strip().lower()
        if "@" not in address or len(address) > 254:
            raise ValidationFailed("メールアドレスの形式が正しくありません", where="email")
        friend = self.collab.subscribers.find_by_email(workspace_id, address)
        if friend is None or not self.open_grants(
                self.repo.access(workspace_id, course_id, friend.subscriber_id), clock.now()):
            log.info("member login asked for an address without access to %s", course_id)
            return
        nonce = pysecrets.token_urlsafe(12)
        token = self.signer.mint(LOGIN_PURPOSE, workspace_id, friend.subscriber_id, f"{course_id}:{nonce}",
                                 validity=LOGIN_VALIDITY)
        url = f"{public_base()}/m/{workspace_id}/{course_id}/auth?t={token}&n={nonce}"
        sender = self.senders.for_send(workspace_id, None)
        title = course.definition["title"]
        text = (f"「{title}」のログイン用リンクです。15分以内に一度だけ使えます。\n\n{url}\n\n"
                "このメールに心当たりがない場合は、破棄してください。")
        self.email.send(source=sender.source, to=address, subject=f"【{title}】ログイン用リンク", html=None, text=text)

    def login(self, workspace_id: str, course_id: str, token: str, nonce: str) -> tuple[str, str]:
        """A login link spent: (subscriber ID, the session's cookie value). Forged, expired or used: refused."""
        try:
            binding = self.signer.verify(LOGIN_PURPOSE, workspace_id, f"{course_id}:{nonce}", token)
        except TokenInvalid as exc:
            message = "ログイン用リンクの有効期限が切れています" if exc.reason == "expired" else \
                "ログイン用リンクが正しくありません"
            raise Refused(message, where="link") from exc
        claim = self.once.claim(f"member_login#{workspace_id}#{nonce}", ttl=LOGIN_VALIDITY * 2)
        if not claim.acquired:
            raise Refused("このログイン用リンクはすでに使われています", where="link")
        self.once.complete(f"member_login#{workspace_id}#{nonce}", ttl=LOGIN_VALIDITY * 2)
        return binding.subscriber_id, self.start_session(workspace_id, binding.subscriber_id, via="email")

    def start_session(self, workspace_id: str, subscriber_id: str, *, via: str) -> str:
        secret = pysecrets.token_urlsafe(32)
        now = clock.now()
        self.repo.create_session(workspace_id, subscriber_id, _digest(secret), via=via, now=now,
                                 expires_at=int(now.timestamp() + SESSION_VALIDITY.total_seconds()))
        return f"{subscriber_id}.{secret}"

    def member(self, workspace_id: str, cookie: str | None) -> Member | None:
        """The member a session cookie names, while the session exists and has not expired."""
        subscriber_id, _, secret = (cookie or "").partition(".")
        if not subscriber_id or not secret or not cookie or not cookie.isascii():
            return None
        item = self.repo.session(workspace_id, subscriber_id, _digest(secret))
        if item is None or item.expires_at < clock.epoch_seconds():
            return None
        return Member(workspace_id, subscriber_id, item.sk)

    def logout(self, member: Member, *, everywhere: bool) -> int:
        if not everywhere:
            item = self.repo.session(member.workspace_id, member.subscriber_id, member.session_digest)
            if item is not None:
                self.repo.delete_session(item)
            return 1 if item is not None else 0
        return self.revoke_sessions(member.workspace_id, member.subscriber_id)

    def revoke_sessions(self, workspace_id: str, subscriber_id: str) -> int:
        """Staff or the member: every session of the member ends (each device must log in again)."""
        items = self.repo.sessions(workspace_id, subscriber_id)
        for item in items:
            self.repo.delete_session(item)
        return len(items)

    def sessions(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        now = clock.epoch_seconds()
        return [{"via": s.via, "created_at": iso(s.created_at)}
                for s in self.repo.sessions(workspace_id, subscriber_id) if s.expires_at >= now]

    # ------------------------------------------------------------------ LINE Login
    def _login_channel(self, workspace_id: str, channel_id: str) -> tuple[str, str]:
        try:
            stored = self.collab.secrets.get(secret_name(workspace_id, "line", channel_id))
        except NotFound:
            stored = {}
        login_id, secret = stored.get("login_channel_id"), stored.get("login_channel_secret")
        if not login_id or not secret:
            raise LoginRefused("この会員サイトでは LINE ログインを使えません", where="login_channel_id")
        return str(login_id), str(secret)

    def line_channels(self, workspace_id: str) -> list[str]:
        """The workspace's LINE channels that members may log in with (those with a LINE Login channel)."""
        if self.channels is None:
            return []
        return [c.channel_id for c in self.channels.list_channels(workspace_id)
                if c.login_channel_id and c.status == "connected"]

    def line_login_start(self, workspace_id: str, course_id: str, channel_id: str) -> LoginStart:
        """LINE's authorize URL for a member of the course, and the cookie binding its state to this browser."""
        self.repo.require_course(workspace_id, course_id)
        if channel_id not in self.line_channels(workspace_id):
            raise LoginRefused("この会員サイトでは LINE ログインを使えません", where="channel")
        login_id, secret = self._login_channel(workspace_id, channel_id)
        nonce = pysecrets.token_urlsafe(16)
        state, name, value = line_login.new_state({
            "w": workspace_id, "c": course_id, "ch": channel_id, "j": pysecrets.token_urlsafe(16), "n": nonce,
            "e": int(clock.epoch_seconds() + LINE_STATE_TTL.total_seconds())}, secret, purpose=LINE_STATE_PURPOSE)
        url = line_login.authorize_url(channel_id=login_id, redirect_uri=line_callback_url(), state=state,
                                       nonce=nonce, bot_prompt="normal")
        return LoginStart(url, name, value)

    def line_login(self, query: dict[str, str], cookies: dict[str, str]) -> LineLoggedIn:
        """LINE's redirect back: the friend of the channel's LINE user, with access to the course, gets a session.
        A cancelled, forged, expired, replayed or other-browser login, or someone without access: ``LoginRefused``
        or ``Refused``, and nothing is stored."""
        if query.get("error"):
            raise LoginRefused("LINE ログインがキャンセルされました", where=f"LINE Login ({query['error']})")
        refused = LoginRefused("ログインの確認に失敗しました。もう一度ログインページから開いてください", where="state")
        parsed = line_login.state_claims(query.get("state", ""))
        if parsed is None:
            raise refused
        payload, signature, claims = parsed
        if not all(isinstance(claims.get(k), str) for k in ("w", "c", "ch", "j", "n", "b")):
            raise refused
        ws, course_id, channel_id = claims["w"], claims["c"], claims["ch"]
        login_id, secret = self._login_channel(ws, channel_id)
        if not line_login.state_signed(payload, signature, secret, purpose=LINE_STATE_PURPOSE):
            raise refused
        if not isinstance(claims.get("e"), int) or claims["e"] <= clock.epoch_seconds():
            raise LoginRefused("ログインの有効期限が切れました。もう一度ログインページから開いてください",
                               where="state (expired)")
        if not line_login.same_browser(claims["b"], cookies):
            raise LoginRefused("ログインを始めたブラウザと違うブラウザで開かれたため、確認できませんでした",
                               where="state (browser)")
        if not query.get("code"):
            raise LoginRefused("LINE ログインの認可コードがありません", where="code")
        key = f"member_line_login#{ws}#{claims['j']}"
        if not self.once.claim(key, ttl=LINE_STATE_TTL * 2, lease=LINE_STATE_TTL * 2).acquired:
            raise LoginRefused("このログインはすでに使われています。もう一度ログインページから開いてください",
                               where="state (replayed)")
        try:
            tokens = line_login.exchange_code(code=query["code"], redirect_uri=line_callback_url(),
                                              channel_id=login_id, channel_secret=secret)
            # LINE's own check of the ID token (the pages function carries no JWT library): ours, this login's
            id_claims = line_login.verify_with_line(tokens["id_token"], channel_id=login_id, nonce=claims["n"])
        except ExternalServiceError:  # LINE did not answer: the member may reload and try the same state again
            self.once.release(key)
            raise
        self.once.complete(key, ttl=LINE_STATE_TTL * 2)
        friend = self.collab.subscribers.find_by_line_user(ws, channel_id, str(id_claims.get("sub") or ""))
        if friend is None or not self.open_grants(self.repo.access(ws, course_id, friend.subscriber_id), clock.now()):
            raise Refused("この LINE アカウントでは、このコースを受講できません。ご購入時の LINE アカウントか、"
                          "メールアドレスでログインしてください", where="LINE user")
        return LineLoggedIn(ws, course_id, self.start_session(ws, friend.subscriber_id, via="line"))
