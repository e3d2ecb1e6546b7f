"""Seminars and events (セミナー・イベント): what registering, cancelling and checking in do.

A friend holds at most one live registration per event (confirmed or waitlisted). Seats move only through the
repository's conditional transactions; a cancellation frees the seat and the oldest waitlisted friend of that session
moves up and is told on LINE. Friend-facing actions carry a signed token (``haishin.forms.tokens``): ``seminar`` binds
a friend to an event (their registration / cancel page), ``semqr`` binds a registration (their check-in QR).
Every refusal is Japanese, names what was wrong, and changes nothing.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.actions import AddTag, SetField, StartScenario, StopScenario
from haishin.errors import Conflict, HaishinError, NotFound, ValidationFailed
from haishin.forms.collab import Collaborators, FormSeat
from haishin.forms.tokens import LinkSigner, TokenInvalid
from haishin.ids import new_id, retry_key
from haishin.public_url import public_base
from haishin.seminars.inputs import SeminarIn, SessionIn
from haishin.seminars.models import (
    RegistrationModel,
    SeminarModel,
    SessionModel,
    event_pk,
    registration_sk,
    seminar_data,
    session_sk,
)
from haishin.seminars.repository import SeminarRepository
from haishin.storage.base import iso

log = logging.getLogger(__name__)

PAGE = "seminar"  # token purpose: the friend's page of one event (target: the event ID)
QR = "semqr"  # token purpose: the friend's check-in code (target: the registration ID)
DEFAULT_ZONE = "Asia/Tokyo"


def reminders_scenario_id(event_id: str) -> str:
    """The scenario kept for an event's own reminders (fixed by the event: saved again on every edit)."""
    return f"{event_id}-reminders"


def start_field(event_id: str) -> str:
    """The friend's field holding their seat's start for this event (per event: two events never share it)."""
    return f"seminar_start_{event_id}"


SEAT_FIELDS = ("seminar_start", "seminar_title", "seminar_place")  # the latest seat's; ``<name>_<event>`` per event


def _per_event_text(text: str, event_id: str) -> str:
    """An event's own reminder reads that event's seat fields: ``fields.seminar_title`` in its text becomes
    ``fields.seminar_title_<event>`` (a rename of the field, rendered by the one template renderer)."""
    for name in SEAT_FIELDS:
        text = re.sub(rf"\bfields\.{name}\b", f"fields.{name}_{event_id}", text)
    return text


def seminar_url(event_id: str, workspace_id: str, token: str) -> str:
    return f"{public_base()}/sem/{workspace_id}/{event_id}?t={token}"


def qr_code_text(event_id: str, registration_id: str, token: str) -> str:
    """What the friend's QR holds and staff type or paste: ``SEM1:<event>:<registration>:<token>``."""
    return f"SEM1:{event_id}:{registration_id}:{token}"


def _fmt_local(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


class SeminarService:
    def __init__(
        self, collab: Collaborators, repository: SeminarRepository | None = None, payments: Any = None
    ) -> None:
        self.payments = payments  # haishin.payments.service.PaymentService: a paid seminar's product and its link
        self.collab = collab
        self.repo = repository or SeminarRepository()
        self.signer = LinkSigner(collab.secrets)

    # ------------------------------------------------------------------ zone
    def zone(self, workspace_id: str) -> ZoneInfo:
        try:
            return ZoneInfo(self.collab.workspaces.get(workspace_id).get("time_zone") or DEFAULT_ZONE)
        except Exception:  # a workspace without settings yet: the default zone
            return ZoneInfo(DEFAULT_ZONE)

    def _aware(self, workspace_id: str, value: datetime) -> datetime:
        return value.replace(tzinfo=self.zone(workspace_id)) if value.tzinfo is None else value

    # ------------------------------------------------------------------ events
    def _check(self, workspace_id: str, body: SeminarIn) -> None:
        """The reminder scenario must exist (named at its field, in Japanese)."""
        if body.reminders and body.reminder_scenario_id:
            raise ValidationFailed(
                "リマインドは「リマインドシナリオ」か「このセミナーのリマインド」のどちらか一方にしてください",
                where="reminders",
            )
        if body.price.kind == "product" and body.price.product_id and self.payments is not None:
            try:
                self.payments.get_product(workspace_id, body.price.product_id)
            except NotFound as exc:
                raise ValidationFailed(f"決済商品「{body.price.product_id}」が見つかりません", where="price") from exc
        stored = getattr(self.collab.scenarios, "scenarios", None)  # ScenarioService's repository
        if body.reminder_scenario_id and stored is not None:
            try:
                stored.require(workspace_id, body.reminder_scenario_id)
            except NotFound as exc:
                raise ValidationFailed(
                    f"リマインドシナリオ「{body.reminder_scenario_id}」が見つかりません", where="reminder_scenario_id"
                ) from exc

    def create(self, workspace_id: str, body: SeminarIn) -> SeminarModel:
        self._check(workspace_id, body)
        event_id = new_id("sem_")
        self._save_reminders(workspace_id, event_id, body, had=False)
        return self.repo.create(workspace_id, event_id, body.model_dump(), now=clock.now())

    def get(self, workspace_id: str, event_id: str) -> SeminarModel:
        return self.repo.require(workspace_id, event_id)

    def all(self, workspace_id: str) -> list[SeminarModel]:
        return self.repo.all(workspace_id)

    def update(self, workspace_id: str, event_id: str, body: SeminarIn) -> SeminarModel:
        item = self.repo.require(workspace_id, event_id)
        self._check(workspace_id, body)
        if self._paid(item) and body.price.kind == "free":  # a free event never releases holds (not read then)
            self.release_expired(workspace_id, event_id, item)
            if any(r.status == "pending_payment" for r in self.repo.registrations(workspace_id, event_id)):
                raise Conflict(
                    "お支払い待ちの申込があるため無料にできません。支払期限が過ぎるか、申込をキャンセルしてから変更してください",
                    where="price",
                )
        self._save_reminders(workspace_id, event_id, body, had=bool(item.definition.get("reminders")))
        self.repo.save_definition(item, body.model_dump(), now=clock.now())
        return item

    def delete(self, workspace_id: str, event_id: str) -> None:
        item = self.repo.require(workspace_id, event_id)
        if any(r.status in ("confirmed", "waitlisted") for r in self.repo.registrations(workspace_id, event_id)):
            raise Conflict(
                "申込者がいるセミナーは削除できません。先に申込をキャンセルしてください", where=f"seminar {event_id}"
            )
        self.repo.delete(item)

    # ------------------------------------------------------------------ sessions
    def _session_fields(self, workspace_id: str, body: SessionIn) -> dict[str, Any]:
        starts, ends = self._aware(workspace_id, body.starts_at), self._aware(workspace_id, body.ends_at)
        deadline = self._aware(workspace_id, body.deadline) if body.deadline else starts
        if ends <= starts:
            raise ValidationFailed("終了日時は開始日時より後にしてください", where="ends_at")
        if deadline > starts:
            raise ValidationFailed("申込締切は開始日時以前にしてください", where="deadline")
        if not body.venue and not body.online_url:
            raise ValidationFailed("会場またはオンライン URL を入力してください", where="venue")
        return {
            "starts_at": starts,
            "ends_at": ends,
            "deadline": deadline,
            "venue": body.venue,
            "online_url": body.online_url,
        }

    def add_session(self, workspace_id: str, event_id: str, body: SessionIn) -> SessionModel:
        self.repo.require(workspace_id, event_id)
        session_id = new_id("ses_")
        session = SessionModel(
            pk=event_pk(workspace_id, event_id),
            sk=session_sk(session_id),
            workspace_id=workspace_id,
            event_id=event_id,
            session_id=session_id,
            capacity=body.capacity,
            taken=0,
            waiting=0,
            **self._session_fields(workspace_id, body),
        )
        self.repo.add_session(session)
        return session

    def sessions(self, workspace_id: str, event_id: str) -> list[SessionModel]:
        self.release_expired(workspace_id, event_id)
        return self.repo.sessions(workspace_id, event_id)

    def update_session(self, workspace_id: str, event_id: str, session_id: str, body: SessionIn) -> SessionModel:
        session = self.repo.session(workspace_id, event_id, session_id)
        fields = self._session_fields(workspace_id, body)
        if not self.repo.update_session(session, capacity=body.capacity, **fields):
            raise Conflict(f"定員を申込済みの人数 ({int(session.taken)} 人) より少なくはできません", where="capacity")
        self._promote(workspace_id, event_id, session_id)  # a larger capacity moves the waitlist up
        return self.repo.session(workspace_id, event_id, session_id)

    def delete_session(self, workspace_id: str, event_id: str, session_id: str) -> None:
        session = self.repo.session(workspace_id, event_id, session_id)
        if not self.repo.delete_session(session):
            raise Conflict("申込者・キャンセル待ちがいる日程は削除できません", where=f"session {session_id}")

    # ------------------------------------------------------------------ registration
    def register(
        self,
        workspace_id: str,
        event_id: str,
        session_id: str,
        subscriber_id: str,
        *,
        source: str = "staff",
        waitlist: bool = True,
        partner_code: str | None = None,
    ) -> RegistrationModel:
        """A seat, or a waitlist place when the session is full (``waitlist``; else a Conflict)."""
        event = self.repo.require(workspace_id, event_id)
        session = self.repo.session(workspace_id, event_id, session_id)
        if self.collab.subscribers.get(workspace_id, subscriber_id) is None:
            raise NotFound("友だちが見つかりません", where="subscriber_id")
        now = clock.now()
        if now > session.deadline:
            raise Conflict(
                f"申込締切 ({_fmt_local(session.deadline, self.zone(workspace_id))}) を過ぎています",
                where=f"session {session_id}",
            )
        self.release_expired(workspace_id, event_id, event)  # an unpaid seat past its hold is free again first
        registration_id = new_id("reg_")
        held = self._paid(event) and source != "staff"  # staff take payment themselves: their seat is confirmed
        reg = RegistrationModel(
            pk=event_pk(workspace_id, event_id),
            sk=registration_sk(registration_id),
            workspace_id=workspace_id,
            event_id=event_id,
            session_id=session_id,
            registration_id=registration_id,
            subscriber_id=subscriber_id,
            status="confirmed",
            attendance="",
            source=source,
            created_at=now,
            updated_at=now,
            hold_until=self._hold_until(event, now) if held else None,
        )
        outcome = self.repo.register(reg, session, waitlist=waitlist, seat="pending_payment" if held else "confirmed")
        if outcome == "duplicate":
            raise Conflict("この友だちはすでにこのセミナーに申し込んでいます", where="subscriber_id")
        if outcome == "full":
            raise Conflict("この日程は満席です", where=f"session {session_id}")
        self.collab.publish(
            workspace_id,
            "seminar_registered",
            {
                "subscriber_id": subscriber_id,
                "event_id": event_id,
                "session_id": session_id,
                "registration_id": registration_id,
                "status": reg.status,
                "source": source,
                "title": event.definition.get("title", ""),
                **({"partner_code": partner_code} if partner_code else {}),
            },
            idempotency_key=f"seminar_registered:{registration_id}",
        )
        if reg.status == "confirmed":
            self._seat_effects(workspace_id, event, reg, session, key=f"seminar_seat:{registration_id}")
        return reg

    def cancel(self, workspace_id: str, event_id: str, registration_id: str, *, by_friend: bool = False) -> bool:
        reg = self.repo.registration(workspace_id, event_id, registration_id)
        session = self.repo.session(workspace_id, event_id, reg.session_id)
        if by_friend and clock.now() > session.deadline:
            raise Conflict(
                f"キャンセル締切 ({_fmt_local(session.deadline, self.zone(workspace_id))}) を過ぎています。"
                "主催者に連絡してください",
                where=f"registration {registration_id}",
            )
        if reg.status == "cancelled":
            return False
        was = reg.status
        if not self.repo.cancel(reg, session, now=clock.now()):
            return False
        if was == "confirmed":
            self._unseat_effects(workspace_id, self.repo.require(workspace_id, event_id), reg)
        self._promote(workspace_id, event_id, reg.session_id)
        return True

    def move(self, workspace_id: str, event_id: str, registration_id: str, session_id: str) -> RegistrationModel:
        """Staff move a confirmed friend to another session; the reminders follow (restarted for the new start)."""
        event = self.repo.require(workspace_id, event_id)
        reg = self.repo.registration(workspace_id, event_id, registration_id)
        if reg.status != "confirmed":
            raise Conflict("確定している申込だけ日程を変更できます", where=f"registration {registration_id}")
        if reg.session_id == session_id:
            return reg
        old = self.repo.session(workspace_id, event_id, reg.session_id)
        new = self.repo.session(workspace_id, event_id, session_id)
        if not self.repo.move(reg, old, new, now=clock.now()):
            raise Conflict("変更先の日程は満席です", where="session_id")
        self._seat_effects(workspace_id, event, reg, new, key=f"seminar_seat:{registration_id}:{session_id}")
        self._promote(workspace_id, event_id, old.session_id)
        return reg

    def _seat_effects(
        self, workspace_id: str, event: SeminarModel, reg: RegistrationModel, session: SessionModel, *, key: str
    ) -> None:
        """A friend holds a seat: the fields ``seminar_start`` / ``seminar_title`` / ``seminar_place`` say which (the
        latest seat), the same fields suffixed ``_<event>`` say it for this event, and the event's reminder scenarios
        (re)start: a chosen one timed from ``seminar_start``, the event's own from ``seminar_start_<event>`` (the one
        scenario engine sends each step once per enrollment; a move restarts them for the new start)."""
        zone = self.zone(workspace_id)
        values = dict(
            zip(
                SEAT_FIELDS,
                (
                    session.starts_at.astimezone(zone).isoformat(),
                    str(event.definition.get("title", "")),
                    session.venue or session.online_url,
                ),
                strict=True,
            )
        )
        actions: list[Any] = [SetField(field=name, value=value) for name, value in values.items()]
        actions += [SetField(field=f"{name}_{event.event_id}", value=value) for name, value in values.items()]
        for scenario_id in self._reminder_scenarios(event):  # stopped first: a move restarts them for the new start
            actions += [StopScenario(scenario_id=scenario_id), StartScenario(scenario_id=scenario_id)]
        try:
            self.collab.actions.run(workspace_id, reg.subscriber_id, actions, actor="seminar", idempotency_key=key)
        except HaishinError as exc:  # e.g. the reminder scenario was deleted: the seat stands, the admin sees why
            log.warning("seminar %s: the seat's fields/reminders failed: %s", event.event_id, exc.message)

    def _unseat_effects(self, workspace_id: str, event: SeminarModel, reg: RegistrationModel) -> None:
        stops: list[Any] = [StopScenario(scenario_id=scenario_id) for scenario_id in self._reminder_scenarios(event)]
        if stops:
            try:
                self.collab.actions.run(
                    workspace_id,
                    reg.subscriber_id,
                    stops,
                    actor="seminar",
                    idempotency_key=f"seminar_unseat:{reg.registration_id}",
                )
            except HaishinError as exc:
                log.warning("seminar %s: stopping the reminders failed: %s", event.event_id, exc.message)

    @staticmethod
    def _reminder_scenarios(event: SeminarModel) -> list[str]:
        chosen = str(event.definition.get("reminder_scenario_id") or "")
        own = [reminders_scenario_id(event.event_id)] if event.definition.get("reminders") else []
        return ([chosen] if chosen else []) + own

    def _save_reminders(self, workspace_id: str, event_id: str, body: SeminarIn, *, had: bool) -> None:
        """The event's own reminders become a scenario kept for it (one step per reminder, earliest first, timed
        ``minutes_before`` the friend's ``seminar_start_<event>``; a reminder already past when the seat is taken is
        skipped), sent by the one scenario engine; none left: that scenario is removed (enrollments finish)."""
        scenarios = self.collab.scenarios
        if not body.reminders:
            if had:
                scenarios.delete_owned(workspace_id, reminders_scenario_id(event_id))
            return
        steps = []
        for index, reminder in enumerate(sorted(body.reminders, key=lambda r: -r.minutes_before)):
            step: dict[str, Any] = {
                "id": f"r{index + 1}",
                "name": f"{reminder.minutes_before} 分前",
                "timing": {
                    "type": "relative_to_date",
                    "field": start_field(event_id),
                    "days": 0,
                    "minutes": -reminder.minutes_before,
                    "if_past": "skip_step",
                },
            }
            if reminder.channel == "email":
                subject = _per_event_text(reminder.subject, event_id) or f"{body.title} のご案内"
                step["email"] = {"subject": subject, "text": _per_event_text(reminder.text, event_id)}
            else:
                step["line"] = [{"type": "text", "text": _per_event_text(reminder.text, event_id)}]
            steps.append(step)
        raw = {
            "id": reminders_scenario_id(event_id),
            "name": f"セミナーリマインド: {body.title}"[:200],
            "description": f"セミナー {event_id} の編集画面で設定したリマインド (ここでは編集しないでください)",
            "steps": steps,
        }
        try:
            scenarios.save_owned(workspace_id, raw, actor="seminar")
        except ValidationFailed as exc:  # e.g. a LINE text the engine refuses: said at the reminders
            raise ValidationFailed(f"リマインドの内容が正しくありません: {exc.message}", where="reminders") from exc

    def _promote(self, workspace_id: str, event_id: str, session_id: str) -> list[RegistrationModel]:
        """Waitlisted friends of the session take freed seats, oldest first; each is told on LINE once."""
        moved: list[RegistrationModel] = []
        event = self.repo.require(workspace_id, event_id)
        waiting = [
            r
            for r in self.repo.registrations(workspace_id, event_id)
            if r.session_id == session_id and r.status == "waitlisted"
        ]
        for reg in waiting:
            session = self.repo.session(workspace_id, event_id, session_id)
            if session.taken >= session.capacity:
                break
            now = clock.now()
            hold = self._hold_until(event, now) if self._paid(event) and reg.source != "staff" else None
            if self.repo.promote(reg, session, now=now, hold_until=hold):
                moved.append(reg)
                self._tell_promoted(workspace_id, event_id, reg, session)
                if reg.status == "confirmed":
                    self._seat_effects(workspace_id, event, reg, session, key=f"seminar_seat:{reg.registration_id}")
        return moved

    # ------------------------------------------------------------------ paid seminars
    @staticmethod
    def _paid(event: SeminarModel) -> bool:
        price = event.definition.get("price") or {}
        return price.get("kind") == "product" and bool(price.get("product_id"))

    @staticmethod
    def _hold_until(event: SeminarModel, now: datetime) -> datetime:
        minutes = int((event.definition.get("price") or {}).get("hold_minutes") or 30)
        return now + timedelta(minutes=minutes)

    def release_expired(self, workspace_id: str, event_id: str, event: SeminarModel | None = None) -> int:
        """Unpaid seats past their hold are cancelled and the waitlist moves up. Called on every read and
        registration of the event (the page, the admin's sessions and roster, a new registration): a held seat
        nobody looks at harms nobody, so no scheduler is needed; the cancel is conditional (one release). A free
        event holds no seat: its partition is not read (tests/bench/seminar_race.py measured that query as most of
        a registration's read units)."""
        if event is None:
            try:
                event = self.repo.require(workspace_id, event_id)
            except NotFound:  # a deleted event holds nothing (its sessions read empty)
                return 0
        if not self._paid(event):
            return 0
        now = clock.now()
        released = 0
        for reg in self.repo.registrations(workspace_id, event_id):
            if reg.status == "pending_payment" and reg.hold_until is not None and reg.hold_until <= now:
                session = self.repo.session(workspace_id, event_id, reg.session_id)
                if self.repo.cancel(reg, session, now=now):
                    released += 1
                    log.info("seminar %s: unpaid seat %s released", event_id, reg.registration_id)
                    self._promote(workspace_id, event_id, reg.session_id)
        return released

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        """EventFanout listener: a paid order whose ``ref`` names a seat (``sem:<event>:<registration>``)
        confirms it; its refund cancels it (and the waitlist moves up). Conditional writes make a replay a no-op."""
        ref = str(data.get("ref") or "")
        if event_type not in ("purchase_completed", "purchase_refunded") or not ref.startswith("sem:"):
            return 0
        parts = ref.split(":")
        if len(parts) != 3:
            return 0
        try:
            event = self.repo.require(workspace_id, parts[1])
            reg = self.repo.registration(workspace_id, parts[1], parts[2])
        except NotFound:
            log.warning("seminar payment %s: no such registration", ref)
            return 0
        price = event.definition.get("price") or {}
        if reg.subscriber_id != data.get("subscriber_id") or price.get("product_id") != data.get("product_id"):
            log.warning("seminar payment %s: the order's friend or product differs: ignored", ref)
            return 0
        if event_type == "purchase_refunded":
            self.cancel(workspace_id, event.event_id, reg.registration_id)
            return 0
        session = self.repo.session(workspace_id, event.event_id, reg.session_id)
        now = clock.now()
        if reg.status == "pending_payment":
            paid = self.repo.confirm_payment(reg, now=now)
        elif reg.status == "cancelled":  # paid after its hold was released: the seat again when one is free
            paid = self.repo.reinstate(reg, session, now=now)
            if not paid:
                self._refund_late_payment(workspace_id, event, reg, str(data.get("order_id") or ""))
        else:
            paid = False  # confirmed already (a replay) or waitlisted (no payment link is shown then)
        if paid:
            self._seat_effects(workspace_id, event, reg, session, key=f"seminar_seat:{reg.registration_id}")
        return 0

    def _refund_late_payment(
        self, workspace_id: str, event: SeminarModel, reg: RegistrationModel, order_id: str
    ) -> None:
        """The friend paid after their held seat was released and the seat went to someone else: the payment is
        refunded in full through Stripe (once: PaymentService.refund_order's run-once key and Stripe idempotency
        key), noted on the registration, and the friend is told on LINE (retry key per registration). A refusal
        by Stripe is logged for the staff; the order stays paid and the roster shows no refund."""
        if self.payments is None:
            return
        refund_id = self.payments.refund_late_payment(
            workspace_id, order_id, ref=f"sem:{event.event_id}:{reg.registration_id}"
        )
        if refund_id is None:
            return
        self.repo.record_refund(reg, refund_id, now=clock.now())
        title = event.definition.get("title", "")
        text = (
            f"「{title}」のお支払いを確認しましたが、お支払い期限を過ぎてお席が解放され、満席となっていたため"
            "お申込みを確定できませんでした。お支払いいただいた参加費は全額返金しました"
            " (カード会社により反映まで数日かかる場合があります)。"
        )
        self._tell(workspace_id, reg, text, cause="seminar-refund")

    def _tell(self, workspace_id: str, reg: RegistrationModel, text: str, *, cause: str) -> None:
        """A LINE text to the registration's friend, queued for the delivery worker (sent once, LINE's 429/5xx
        retried, a refusal in the delivery error log), retry key per cause and registration. The seat or refund is
        done already: a queue that refuses the notice is logged (and recorded failed), never undoes it."""
        subscriber = self.collab.subscribers.get(workspace_id, reg.subscriber_id)
        if subscriber is None or not subscriber.line:
            return
        try:
            self.collab.messenger.queue_text(
                workspace_id, subscriber, text, retry_key=retry_key(cause, workspace_id, reg.registration_id)
            )
        except Exception:
            log.exception("seminar %s: telling %s (%s) failed", reg.event_id, reg.registration_id, cause)

    def _tell_promoted(self, workspace_id: str, event_id: str, reg: RegistrationModel, session: SessionModel) -> None:
        event = self.repo.require(workspace_id, event_id)
        title = event.definition.get("title", "")
        when = _fmt_local(session.starts_at, self.zone(workspace_id))
        if reg.status == "pending_payment" and reg.hold_until is not None:
            # the payment link itself: a friend who applied through a form has no seminar page link to go back to
            pay = self.pay_url(workspace_id, event, reg.subscriber_id, reg)
            text = (
                f"キャンセル待ちの「{title}」({when}) に空きが出ました。"
                f"{_fmt_local(reg.hold_until, self.zone(workspace_id))} までに参加費をお支払いいただくと確定します。"
                + (f"\n▼参加費のお支払いはこちら\n{pay}" if pay else "お申込みページからお支払いください。")
            )
        else:
            text = f"キャンセル待ちの「{title}」({when}) に空きが出たため、お申込みが確定しました。"
        self._tell(workspace_id, reg, text, cause="seminar-promoted")

    # ------------------------------------------------------------------ the friend's signed page
    def friend_link(
        self, workspace_id: str, event_id: str, subscriber_id: str, validity: timedelta = timedelta(days=60)
    ) -> str:
        self.repo.require(workspace_id, event_id)
        return seminar_url(
            event_id, workspace_id, self.signer.mint(PAGE, workspace_id, subscriber_id, event_id, validity)
        )

    def friend_of(self, workspace_id: str, event_id: str, token: str) -> str:
        try:
            return self.signer.verify(PAGE, workspace_id, event_id, token).subscriber_id
        except TokenInvalid as exc:
            message = (
                "このリンクの有効期限が切れています"
                if exc.reason == "expired"
                else "このリンクは正しくありません (改ざんされたか、別のセミナーのものです)"
            )
            raise ValidationFailed(message, where="t") from exc

    def friend_register(
        self, workspace_id: str, event_id: str, token: str, session_id: str, partner_code: str | None = None
    ) -> RegistrationModel:
        return self.register(
            workspace_id,
            event_id,
            session_id,
            self.friend_of(workspace_id, event_id, token),
            source="page",
            partner_code=partner_code,
        )

    # ------------------------------------------------------------------ a form's session field (haishin.forms)
    def form_check(self, workspace_id: str, event_id: str) -> None:
        """A form may ask for a session of this seminar if it exists in the workspace (free or paid: a paid seat is
        held by the same ``register`` and the thank-you page links the seminar's own payment)."""
        self.repo.require(workspace_id, event_id)

    def form_choices(self, workspace_id: str, event_id: str) -> list[tuple[str, str]]:
        """The sessions a form offers: before their deadline and with seats left, as (session ID, label)."""
        event = self.repo.require(workspace_id, event_id)
        zone, now = self.zone(workspace_id), clock.now()
        self.release_expired(workspace_id, event_id, event)
        out = []
        for session in self.repo.sessions(workspace_id, event_id):
            left = int(session.capacity) - int(session.taken)
            if session.deadline >= now and left > 0:
                place = session.venue or "オンライン"
                out.append((session.session_id, f"{_fmt_local(session.starts_at, zone)} {place} (残り{left}席)"))
        return out

    def form_register(self, workspace_id: str, event_id: str, session_id: str, subscriber_id: str) -> FormSeat:
        """Register the friend who sent the form by the seminar's own rules (``register``, source ``form``): a seat,
        on a paid seminar a seat held until the payment deadline, or the waitlist when full meanwhile. Refusals in
        the friend's words (``ValidationFailed``; nothing stored): an unknown session, the deadline passed, already
        registered."""
        self.form_check(workspace_id, event_id)
        try:
            reg = self.register(workspace_id, event_id, session_id, subscriber_id, source="form")
        except NotFound as exc:
            raise ValidationFailed("この日程は選べません。もう一度お選びください。", where="session_id") from exc
        except Conflict as exc:
            if exc.where == "subscriber_id":
                raise ValidationFailed("すでにこのセミナーにお申し込み済みです。", where="session_id") from exc
            raise ValidationFailed(f"{exc.message}。別の日程をお選びください。", where="session_id") from exc
        event = self.repo.require(workspace_id, event_id)
        if reg.status == "pending_payment":  # the thank-you page may be closed: LINE keeps the payment link (once)
            session = self.repo.session(workspace_id, event_id, session_id)
            self._tell(workspace_id, reg, self._hold_text(workspace_id, event, session, reg), cause="seminar-form-hold")
        return self._form_seat(workspace_id, event, reg)

    def form_seat(self, workspace_id: str, event_id: str, subscriber_id: str) -> FormSeat | None:
        """The friend's live registration as the thank-you page shows it (a form sent twice shows the same page)."""
        try:
            event = self.repo.require(workspace_id, event_id)
        except NotFound:
            return None
        self.release_expired(workspace_id, event_id, event)
        reg = self.repo.live_registration_of(workspace_id, event_id, subscriber_id)
        return self._form_seat(workspace_id, event, reg) if reg else None

    def _form_seat(self, workspace_id: str, event: SeminarModel, reg: RegistrationModel) -> FormSeat:
        title = str(event.definition.get("title") or "")
        if reg.status != "pending_payment" or reg.hold_until is None:
            return FormSeat(status=str(reg.status), title=title)
        return FormSeat(
            status="pending_payment",
            title=title,
            pay_url=self.pay_url(workspace_id, event, reg.subscriber_id, reg) or "",
            pay_by=_fmt_local(reg.hold_until, self.zone(workspace_id)),
        )

    def friend_cancel(self, workspace_id: str, event_id: str, token: str) -> bool:
        subscriber_id = self.friend_of(workspace_id, event_id, token)
        reg = self.repo.live_registration_of(workspace_id, event_id, subscriber_id)
        if reg is None:
            raise NotFound("キャンセルできる申込がありません", where=f"seminar {event_id}")
        return self.cancel(workspace_id, event_id, reg.registration_id, by_friend=True)

    def friend_state(self, workspace_id: str, event_id: str, token: str) -> dict[str, Any]:
        """What the friend's page shows: the event, its sessions with seats left, their registration and QR."""
        subscriber_id = self.friend_of(workspace_id, event_id, token)
        event = self.repo.require(workspace_id, event_id)
        self.release_expired(workspace_id, event_id, event)
        reg = self.repo.live_registration_of(workspace_id, event_id, subscriber_id)
        zone = self.zone(workspace_id)
        pending = bool(reg and reg.status == "pending_payment")
        return {
            "event": self.event_view(event),
            "sessions": [self.session_view(s, zone) for s in self.repo.sessions(workspace_id, event_id)],
            "registration": self.registration_view(reg) if reg else None,
            "qr": self.qr_text(workspace_id, reg) if reg and reg.status == "confirmed" else None,
            "pay_url": self.pay_url(workspace_id, event, subscriber_id, reg) if pending and reg else None,
            "hold_until": reg.hold_until.astimezone(zone).isoformat() if pending and reg and reg.hold_until else None,
        }

    def of_friend(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        """The friend's live registrations (マイページ) whose session has not ended, in session order: the event, status
        (confirmed / waitlisted / pending_payment: a paid seat held until ``pay_by``, with its payment link
        ``pay_url``), session time and place, and their signed seminar page (with the check-in QR). Only the friend's
        own items: one query of their index partition, then their registrations, sessions and events by key (never
        every seminar of the workspace). A hold past its end is left out (the next read of the seminar releases it)."""
        zone = self.zone(workspace_id)
        now = clock.now()
        out: list[dict[str, Any]] = []
        for reg in self.repo.registrations_of_friend(workspace_id, subscriber_id):
            held = reg.status == "pending_payment" and reg.hold_until is not None and reg.hold_until > now
            if reg.status not in ("confirmed", "waitlisted") and not held:
                continue
            try:
                session = self.repo.session(workspace_id, reg.event_id, reg.session_id)
                event = self.repo.require(workspace_id, reg.event_id)
            except NotFound:
                continue
            if session.ends_at < now:
                continue
            out.append(
                {
                    "registration_id": reg.registration_id,
                    "title": str(event.definition.get("title") or ""),
                    "status": reg.status,
                    "starts_at": session.starts_at,
                    "when": f"{_fmt_local(session.starts_at, zone)}〜{session.ends_at.astimezone(zone):%H:%M}",
                    "place": session.venue or ("オンライン" if session.online_url else ""),
                    "url": self.friend_link(workspace_id, event.event_id, subscriber_id),
                    "pay_url": (self.pay_url(workspace_id, event, subscriber_id, reg) or "") if held else "",
                    "pay_by": _fmt_local(reg.hold_until, zone) if held and reg.hold_until else "",
                }
            )
        out.sort(key=lambda row: row["starts_at"])
        return out

    # ------------------------------------------------------------------ LINE: the carousel and its postbacks
    def line_carousel(self, workspace_id: str, event_id: str) -> dict[str, Any]:
        """A carousel (template message) of the sessions still open, up to 10 (LINE's limit for a template
        carousel): each column says when, where and the seats left, and its postback button
        (``haishin:sem:r:<event>:<session>``) registers the friend, or puts them on the waitlist when full."""
        event = self.repo.require(workspace_id, event_id)
        title = str(event.definition.get("title", "")) or "セミナー"
        zone = self.zone(workspace_id)
        now = clock.now()
        columns = []
        for session in [s for s in self.repo.sessions(workspace_id, event_id) if s.deadline >= now][:10]:
            left = max(0, int(session.capacity) - int(session.taken))
            seats = f"残り{left}席" if left else "満席・キャンセル待ち受付中"
            when = _fmt_local(session.starts_at, zone)
            place = session.venue or "オンライン"
            columns.append(
                {
                    "title": title[:40],
                    "text": f"{when}\n{place[:20]}\n{seats}"[:60],
                    "actions": [
                        {
                            "type": "postback",
                            "label": "申込む" if left else "キャンセル待ちで申込む",
                            "data": seminar_data("r", event_id, session.session_id),
                            "displayText": f"{when} に申込む",
                        }
                    ],
                }
            )
        if not columns:
            return {"type": "text", "text": f"「{title}」は現在受付中の日程がありません。"}
        return {
            "type": "template",
            "altText": f"{title} の日程 ({len(columns)} 件)"[:400],
            "template": {"type": "carousel", "columns": columns},
        }

    def line_postback(
        self, workspace_id: str, subscriber_id: str, verb: str, event_id: str, session_id: str
    ) -> list[dict[str, Any]]:
        """The answer to a seminar postback: the carousel (``l``), or the outcome of registering (``r``); a refusal is
        a Japanese text and changes nothing."""
        try:
            if verb == "l":
                return [self.line_carousel(workspace_id, event_id)]
            reg = self.register(workspace_id, event_id, session_id, subscriber_id, source="line")
        except HaishinError as exc:
            return [{"type": "text", "text": f"お申込みできませんでした: {exc.message}"}]
        session = self.repo.session(workspace_id, event_id, session_id)
        event = self.repo.require(workspace_id, event_id)
        if reg.status == "pending_payment":
            return [{"type": "text", "text": self._hold_text(workspace_id, event, session, reg)}]
        title = event.definition.get("title", "")
        when = _fmt_local(session.starts_at, self.zone(workspace_id))
        head = (
            f"「{title}」({when}) のお申込みが完了しました。"
            if reg.status == "confirmed"
            else f"「{title}」({when}) は満席のため、キャンセル待ちで受け付けました。空きが出たらお知らせします。"
        )
        link = self.friend_link(workspace_id, event_id, subscriber_id)
        return [{"type": "text", "text": f"{head}\n受付用 QR コードの表示・キャンセルはこちら:\n{link}"}]

    def _hold_text(self, workspace_id: str, event: SeminarModel, session: SessionModel, reg: RegistrationModel) -> str:
        """What a friend holding an unpaid seat is told on LINE: pay by when, the payment link itself (the friend's
        purchase token and this seat's ref: paying there confirms it), and their seminar page."""
        zone = self.zone(workspace_id)
        link = self.friend_link(workspace_id, event.event_id, reg.subscriber_id)
        pay = self.pay_url(workspace_id, event, reg.subscriber_id, reg) or link
        title, when = event.definition.get("title", ""), _fmt_local(session.starts_at, zone)
        return (
            f"「{title}」({when}) のお席を仮押さえしました。\n"
            f"{_fmt_local(reg.hold_until or clock.now(), zone)} までに参加費をお支払いください。"
            "お支払いが済むとお申込みが確定します(期限を過ぎるとお席は解放されます)。\n"
            f"▼参加費のお支払いはこちら\n{pay}\n"
            f"▼お申込み内容の確認・キャンセルはこちら\n{link}"
        )

    def pay_url(self, workspace_id: str, event: SeminarModel, subscriber_id: str, reg: RegistrationModel) -> str | None:
        """A held seat's purchase link for this friend (the payments product page, Stripe Checkout); the order
        carries ``sem:<event>:<registration>`` so its payment confirms this seat. None when free."""
        price = event.definition.get("price") or {}
        if not self._paid(event) or self.payments is None:
            return None
        ref = f"sem:{event.event_id}:{reg.registration_id}"
        return str(self.payments.purchase_link(workspace_id, price["product_id"], subscriber_id, ref))

    # ------------------------------------------------------------------ attendance
    def qr_text(self, workspace_id: str, reg: RegistrationModel) -> str:
        token = self.signer.mint(QR, workspace_id, reg.subscriber_id, reg.registration_id, timedelta(days=400))
        return qr_code_text(reg.event_id, reg.registration_id, token)

    def check_in(self, workspace_id: str, code: str) -> RegistrationModel:
        """Staff scanned or typed a friend's QR: attended once (a reused or forged code is refused)."""
        parts = code.strip().split(":")
        if len(parts) != 4 or parts[0] != "SEM1":
            raise ValidationFailed(
                "受付コードの形式が正しくありません (SEM1: で始まるコードを読み取ってください)", where="code"
            )
        _, event_id, registration_id, token = parts
        try:
            binding = self.signer.verify(QR, workspace_id, registration_id, token)
        except TokenInvalid as exc:
            raise ValidationFailed(
                "受付コードが正しくありません (偽造・改ざん、または別のワークスペースのコードです)", where="code"
            ) from exc
        try:
            reg = self.repo.registration(workspace_id, event_id, registration_id)
        except NotFound as exc:
            raise ValidationFailed("受付コードの申込が見つかりません", where="code") from exc
        if reg.subscriber_id != binding.subscriber_id:
            raise ValidationFailed("受付コードが正しくありません (別の友だちのコードです)", where="code")
        if reg.status != "confirmed":
            raise Conflict("この申込はキャンセル済み、またはキャンセル待ちのため受付できません", where="code")
        if reg.attendance == "attended" or not self.repo.mark_attendance(
            reg, "attended", now=clock.now(), only_if_unmarked=True
        ):
            raise Conflict("この受付コードはすでに使用されています (受付済み)", where="code")
        reg.attendance = "attended"
        self._attendance_effects(workspace_id, reg)
        return reg

    def set_attendance(
        self, workspace_id: str, event_id: str, registration_id: str, attendance: str
    ) -> RegistrationModel:
        """A roster tick: attended, no-show, or cleared."""
        reg = self.repo.registration(workspace_id, event_id, registration_id)
        if reg.status != "confirmed":
            raise Conflict("確定していない申込には出欠を付けられません", where=f"registration {registration_id}")
        if reg.attendance == attendance:
            return reg
        if not self.repo.mark_attendance(reg, attendance, now=clock.now(), only_if_unmarked=False):
            raise Conflict(
                "申込がほかの操作で変わりました。再読み込みしてください", where=f"registration {registration_id}"
            )
        reg.attendance = attendance
        self._attendance_effects(workspace_id, reg)
        return reg

    def mark_no_shows(self, workspace_id: str, event_id: str, session_id: str) -> int:
        """After a session: every confirmed friend not checked in becomes a no-show (tagged)."""
        session = self.repo.session(workspace_id, event_id, session_id)
        if clock.now() < session.starts_at:
            raise Conflict("開始前の日程には欠席を付けられません", where=f"session {session_id}")
        count = 0
        for reg in self.repo.registrations(workspace_id, event_id):
            unmarked = reg.session_id == session_id and reg.status == "confirmed" and not reg.attendance
            if unmarked and self.repo.mark_attendance(reg, "no_show", now=clock.now(), only_if_unmarked=True):
                reg.attendance = "no_show"
                self._attendance_effects(workspace_id, reg)
                count += 1
        return count

    def _attendance_effects(self, workspace_id: str, reg: RegistrationModel) -> None:
        if not reg.attendance:
            return
        event = self.repo.require(workspace_id, reg.event_id)
        title = event.definition.get("title", "")
        if reg.attendance == "attended":
            tag = event.definition.get("attended_tag") or f"{title} 参加"
        else:
            tag = event.definition.get("no_show_tag") or f"{title} 欠席"
        key = f"seminar_{reg.attendance}:{reg.registration_id}"
        self.collab.actions.run(
            workspace_id, reg.subscriber_id, [AddTag(tag=tag[:100])], actor="seminar", idempotency_key=key
        )
        if reg.attendance == "attended":
            self.collab.publish(
                workspace_id,
                "seminar_attended",
                {
                    "subscriber_id": reg.subscriber_id,
                    "event_id": reg.event_id,
                    "session_id": reg.session_id,
                    "registration_id": reg.registration_id,
                },
                idempotency_key=key,
            )

    # ------------------------------------------------------------------ roster
    def roster(self, workspace_id: str, event_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
        self.repo.require(workspace_id, event_id)  # another workspace's event: 404, not an empty roster
        self.release_expired(workspace_id, event_id)
        rows = []
        for reg in self.repo.registrations(workspace_id, event_id):
            if session_id and reg.session_id != session_id:
                continue
            friend = self.collab.subscribers.get(workspace_id, reg.subscriber_id)
            view = self.registration_view(reg)
            view["display_name"] = (friend.display_name or "") if friend else ""
            rows.append(view)
        return rows

    def roster_csv(self, workspace_id: str, event_id: str, session_id: str | None, *, encoding: str) -> bytes:
        """The roster for Japanese Excel: Shift_JIS (cp932; characters it lacks become ?) or UTF-8 with a BOM."""
        zone = self.zone(workspace_id)
        starts = {s.session_id: _fmt_local(s.starts_at, zone) for s in self.repo.sessions(workspace_id, event_id)}
        labels = {
            "confirmed": "確定",
            "pending_payment": "支払待ち",
            "waitlisted": "キャンセル待ち",
            "cancelled": "キャンセル",
        }
        marks = {"attended": "出席", "no_show": "欠席", "": ""}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["申込ID", "友だちID", "名前", "日程", "状態", "出欠", "申込日時"])
        for row in self.roster(workspace_id, event_id, session_id):
            name = row["display_name"]
            if name[:1] in ("=", "+", "-", "@"):
                name = "'" + name  # no formulas in Excel
            writer.writerow(
                [
                    row["registration_id"],
                    row["subscriber_id"],
                    name,
                    starts.get(row["session_id"], ""),
                    labels.get(row["status"], row["status"]) + ("・返金済" if row.get("refund_id") else ""),
                    marks.get(row["attendance"], ""),
                    datetime.fromisoformat(row["created_at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                ]
            )
        text = out.getvalue()
        if encoding == "shift_jis":
            return text.encode("cp932", errors="replace")
        return text.encode("utf-8-sig")

    # ------------------------------------------------------------------ views
    @staticmethod
    def event_view(item: SeminarModel) -> dict[str, Any]:
        return {
            "event_id": item.event_id,
            **item.definition,
            "created_at": iso(item.created_at),
            "updated_at": iso(item.updated_at),
        }

    @staticmethod
    def session_view(item: SessionModel, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "session_id": item.session_id,
            "event_id": item.event_id,
            "starts_at": item.starts_at.astimezone(zone).isoformat(),
            "ends_at": item.ends_at.astimezone(zone).isoformat(),
            "deadline": item.deadline.astimezone(zone).isoformat(),
            "venue": item.venue,
            "online_url": item.online_url,
            "capacity": int(item.capacity),
            "taken": int(item.taken),
            "waiting": int(item.waiting),
            "seats_left": max(0, int(item.capacity) - int(item.taken)),
        }

    @staticmethod
    def registration_view(item: RegistrationModel) -> dict[str, Any]:
        return {
            "registration_id": item.registration_id,
            "event_id": item.event_id,
            "session_id": item.session_id,
            "subscriber_id": item.subscriber_id,
            "status": item.status,
            "attendance": item.attendance,
            "source": item.source,
            "created_at": iso(item.created_at),
            "hold_until": iso(item.hold_until) if item.hold_until else None,
            "checked_in_at": iso(item.checked_in_at) if item.checked_in_at else None,
            "refund_id": item.refund_id or None,
        }


__all__ = ["SeminarService", "qr_code_text", "seminar_url"]
