"""Seminars in WorkspaceTable (records in ``haishin.seminars.models``): every DynamoDB read and write of the feature.

Seats are counted on the session item and changed only inside transactions whose conditions hold the rule
(``taken < capacity`` to take a seat, the friend mark absent to register, the registration's status to move it), so
200 friends racing for 10 seats get exactly 10 seats: no lock in memory, no read-then-write.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from haishin.errors import NotFound
from haishin.seminars.models import (
    FriendIndexModel,
    FriendMarkModel,
    RegistrationModel,
    SeminarModel,
    SessionModel,
    event_pk,
    event_sk,
    friend_index_pk,
    friend_sk,
    registration_sk,
    session_sk,
)
from haishin.storage.base import DefinitionRows, condition_failed, connection
from haishin.workspaces.models import workspace_pk

Outcome = Literal["confirmed", "waitlisted", "duplicate", "full"]

_SEMINARS = DefinitionRows(SeminarModel, partition=workspace_pk, key=event_sk, id_attr="event_id",
                           missing="セミナーが見つかりません", label="seminar")


def _index_entry(reg: RegistrationModel) -> FriendIndexModel:
    """The friend's own partition points at this registration (saved and deleted beside the friend mark)."""
    return FriendIndexModel(
        pk=friend_index_pk(reg.workspace_id, reg.subscriber_id),
        sk=event_sk(reg.event_id),
        event_id=reg.event_id,
        registration_id=reg.registration_id,
    )


def _unindex(tx: TransactWrite, reg: RegistrationModel) -> None:
    """Delete the friend's index entry if it names this registration (one written before the index existed is
    absent: that is fine too)."""
    tx.delete(
        _index_entry(reg),
        condition=FriendIndexModel.pk.does_not_exist() | (FriendIndexModel.registration_id == reg.registration_id),
    )


def _transact(write: Callable[[TransactWrite], None]) -> bool:
    """One transaction: True when written, False when a condition refused it. A conflict with a concurrent
    transaction on the same items (TransactionConflict, not a refusal) is retried with jitter."""
    for attempt in range(30):
        try:
            with TransactWrite(connection=connection()) as tx:
                write(tx)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            if (
                "TransactionConflict" not in str(exc)
                and "TransactionConflict" not in repr(getattr(exc, "cancellation_reasons", ""))
            ) or attempt == 29:
                raise
            time.sleep(random.uniform(0.005, 0.05) * (1 + attempt))
            continue
        return True
    return False  # pragma: no cover


class SeminarRepository:
    # ------------------------------------------------------------------ events
    def create(self, workspace_id: str, event_id: str, definition: dict[str, Any], *, now: datetime) -> SeminarModel:
        item = _SEMINARS.new(workspace_id, event_id, definition, now=now)
        item.save(condition=SeminarModel.pk.does_not_exist())
        return item

    def require(self, workspace_id: str, event_id: str) -> SeminarModel:
        return _SEMINARS.require(workspace_id, event_id)

    def all(self, workspace_id: str) -> list[SeminarModel]:
        return _SEMINARS.all(workspace_id)

    def save_definition(self, item: SeminarModel, definition: dict[str, Any], *, now: datetime) -> None:
        _SEMINARS.save_definition(item, definition, now=now,
                                  conflict="セミナーがほかの操作で変わりました。再読み込みしてからもう一度お試しください")

    def delete(self, item: SeminarModel) -> None:
        """The event and its sessions (the caller checked nobody holds a seat; cancelled registrations stay)."""
        for session in self.sessions(item.workspace_id, item.event_id):
            session.delete()
        item.delete()

    # ------------------------------------------------------------------ sessions
    def add_session(self, session: SessionModel) -> None:
        session.save(condition=SessionModel.pk.does_not_exist())

    def sessions(self, workspace_id: str, event_id: str) -> list[SessionModel]:
        items = list(
            SessionModel.query(
                event_pk(workspace_id, event_id), SessionModel.sk.startswith("ses#"), consistent_read=True
            )
        )
        return sorted(items, key=lambda s: s.starts_at)

    def session(self, workspace_id: str, event_id: str, session_id: str) -> SessionModel:
        try:
            return SessionModel.get(event_pk(workspace_id, event_id), session_sk(session_id), consistent_read=True)
        except SessionModel.DoesNotExist as exc:
            raise NotFound("日程が見つかりません", where=f"session {session_id}") from exc

    def update_session(self, session: SessionModel, *, capacity: int, **fields: Any) -> bool:
        """New details; the capacity never below the seats already taken (False then, nothing changed)."""
        actions = [SessionModel.capacity.set(capacity)] + [getattr(SessionModel, k).set(v) for k, v in fields.items()]
        return _transact(lambda tx: tx.update(session, actions=actions, condition=SessionModel.taken <= capacity))

    def delete_session(self, session: SessionModel) -> bool:
        """Only a session nobody holds a seat or waitlist place in."""
        return _transact(
            lambda tx: tx.delete(session, condition=(SessionModel.taken == 0) & (SessionModel.waiting == 0))
        )

    # ------------------------------------------------------------------ registrations
    def registrations(self, workspace_id: str, event_id: str) -> list[RegistrationModel]:
        """Every registration of the event, oldest first (the waitlist order)."""
        return list(
            RegistrationModel.query(
                event_pk(workspace_id, event_id), RegistrationModel.sk.startswith("reg#"), consistent_read=True
            )
        )

    def registration(self, workspace_id: str, event_id: str, registration_id: str) -> RegistrationModel:
        try:
            return RegistrationModel.get(
                event_pk(workspace_id, event_id), registration_sk(registration_id), consistent_read=True
            )
        except RegistrationModel.DoesNotExist as exc:
            raise NotFound("申込が見つかりません", where=f"registration {registration_id}") from exc

    def live_registration_of(self, workspace_id: str, event_id: str, subscriber_id: str) -> RegistrationModel | None:
        try:
            mark = FriendMarkModel.get(event_pk(workspace_id, event_id), friend_sk(subscriber_id), consistent_read=True)
        except FriendMarkModel.DoesNotExist:
            return None
        return self.registration(workspace_id, event_id, mark.registration_id)

    def registrations_of_friend(self, workspace_id: str, subscriber_id: str) -> list[RegistrationModel]:
        """The friend's live registrations, one per event (マイページ): one query of the friend's index partition,
        then each registration by key."""
        entries = FriendIndexModel.query(
            friend_index_pk(workspace_id, subscriber_id), FriendIndexModel.sk.startswith("sem#"), consistent_read=True
        )
        out = []
        for entry in entries:
            try:
                out.append(self.registration(workspace_id, entry.event_id, entry.registration_id))
            except NotFound:
                continue
        return out

    def register(
        self, reg: RegistrationModel, session: SessionModel, *, waitlist: bool, seat: str = "confirmed"
    ) -> Outcome:
        """Take a seat (or, when full and ``waitlist``, a waitlist place) for a friend not yet registered; the seat
        is ``seat``: confirmed, or pending_payment (held, counted against the capacity, until paid or released)."""
        seat_status = seat
        mark = FriendMarkModel(pk=reg.pk, sk=friend_sk(reg.subscriber_id), registration_id=reg.registration_id)
        mark_free = FriendMarkModel.pk.does_not_exist()

        def take(tx: TransactWrite) -> None:
            reg.status = seat_status
            tx.save(mark, condition=mark_free)
            tx.save(_index_entry(reg))
            tx.update(
                session, actions=[SessionModel.taken.add(1)], condition=SessionModel.taken < SessionModel.capacity
            )
            tx.save(reg, condition=RegistrationModel.pk.does_not_exist())

        if _transact(take):
            return "confirmed"
        if self._marked(mark):
            return "duplicate"
        if not waitlist:
            return "full"

        def place(tx: TransactWrite) -> None:
            reg.status = "waitlisted"
            reg.hold_until = None
            tx.save(mark, condition=mark_free)
            tx.save(_index_entry(reg))
            tx.update(session, actions=[SessionModel.waiting.add(1)], condition=SessionModel.pk.exists())
            tx.save(reg, condition=RegistrationModel.pk.does_not_exist())

        if _transact(place):
            return "waitlisted"
        return "duplicate"

    @staticmethod
    def _marked(mark: FriendMarkModel) -> bool:
        try:
            FriendMarkModel.get(mark.pk, mark.sk, consistent_read=True)
        except FriendMarkModel.DoesNotExist:
            return False
        return True

    def cancel(self, reg: RegistrationModel, session: SessionModel, *, now: datetime) -> bool:
        """Give the seat (or waitlist place) back and free the friend to register again; False when the
        registration was no longer live (a second cancel changes nothing)."""
        was = reg.status
        counter = SessionModel.taken if was in ("confirmed", "pending_payment") else SessionModel.waiting
        mark = FriendMarkModel(pk=reg.pk, sk=friend_sk(reg.subscriber_id), registration_id=reg.registration_id)

        def write(tx: TransactWrite) -> None:
            tx.update(
                reg,
                actions=[RegistrationModel.status.set("cancelled"), RegistrationModel.updated_at.set(now)],
                condition=RegistrationModel.status == was,
            )
            tx.update(session, actions=[counter.add(-1)])
            tx.delete(mark, condition=FriendMarkModel.registration_id == reg.registration_id)
            _unindex(tx, reg)

        if was not in ("confirmed", "pending_payment", "waitlisted") or not _transact(write):
            return False
        reg.status = "cancelled"
        return True

    def promote(
        self, reg: RegistrationModel, session: SessionModel, *, now: datetime, hold_until: datetime | None = None
    ) -> bool:
        """A waitlisted friend takes a freed seat (True), unless someone else took it first; with ``hold_until``
        (a paid seminar) the seat is held as pending_payment until then."""
        to = "pending_payment" if hold_until else "confirmed"
        actions: list[Any] = [RegistrationModel.status.set(to), RegistrationModel.updated_at.set(now)]
        if hold_until:
            actions.append(RegistrationModel.hold_until.set(hold_until))

        def write(tx: TransactWrite) -> None:
            tx.update(
                reg,
                actions=actions,
                condition=RegistrationModel.status == "waitlisted",
            )
            tx.update(
                session,
                actions=[SessionModel.taken.add(1), SessionModel.waiting.add(-1)],
                condition=SessionModel.taken < SessionModel.capacity,
            )

        if not _transact(write):
            return False
        reg.status, reg.hold_until = to, hold_until
        return True

    def confirm_payment(self, reg: RegistrationModel, *, now: datetime) -> bool:
        """A held seat is paid: pending_payment -> confirmed (False when it was not pending: a replayed event)."""
        ok = _transact(
            lambda tx: tx.update(
                reg,
                actions=[RegistrationModel.status.set("confirmed"), RegistrationModel.updated_at.set(now)],
                condition=RegistrationModel.status == "pending_payment",
            )
        )
        if ok:
            reg.status = "confirmed"
        return ok

    def reinstate(self, reg: RegistrationModel, session: SessionModel, *, now: datetime) -> bool:
        """A payment arrived after its hold was released: the seat again, if one is free and the friend holds no
        other registration of the event (False otherwise: nothing changed)."""
        mark = FriendMarkModel(pk=reg.pk, sk=friend_sk(reg.subscriber_id), registration_id=reg.registration_id)

        def write(tx: TransactWrite) -> None:
            tx.update(
                reg,
                actions=[RegistrationModel.status.set("confirmed"), RegistrationModel.updated_at.set(now)],
                condition=RegistrationModel.status == "cancelled",
            )
            tx.save(mark, condition=FriendMarkModel.pk.does_not_exist())
            tx.save(_index_entry(reg))
            tx.update(
                session, actions=[SessionModel.taken.add(1)], condition=SessionModel.taken < SessionModel.capacity
            )

        if not _transact(write):
            return False
        reg.status = "confirmed"
        return True

    def record_refund(self, reg: RegistrationModel, refund_id: str, *, now: datetime) -> bool:
        """Note the automatic refund of a late payment on the registration (False: one is noted already)."""
        ok = _transact(
            lambda tx: tx.update(
                reg,
                actions=[
                    RegistrationModel.refund_id.set(refund_id),
                    RegistrationModel.refunded_at.set(now),
                    RegistrationModel.updated_at.set(now),
                ],
                condition=RegistrationModel.refund_id.does_not_exist(),
            )
        )
        if ok:
            reg.refund_id, reg.refunded_at = refund_id, now
        return ok

    def move(self, reg: RegistrationModel, old: SessionModel, new: SessionModel, *, now: datetime) -> bool:
        """A confirmed friend's seat moves to another session of the event (False: the new one is full, or the
        registration changed meanwhile)."""

        def write(tx: TransactWrite) -> None:
            tx.update(
                reg,
                actions=[RegistrationModel.session_id.set(new.session_id), RegistrationModel.updated_at.set(now)],
                condition=(RegistrationModel.status == "confirmed") & (RegistrationModel.session_id == old.session_id),
            )
            tx.update(old, actions=[SessionModel.taken.add(-1)])
            tx.update(new, actions=[SessionModel.taken.add(1)], condition=SessionModel.taken < SessionModel.capacity)

        if not _transact(write):
            return False
        reg.session_id = new.session_id
        return True

    def mark_attendance(
        self, reg: RegistrationModel, attendance: str, *, now: datetime, only_if_unmarked: bool
    ) -> bool:
        """Record attended / no-show (False when ``only_if_unmarked`` and it was already recorded: a reused QR)."""
        condition = RegistrationModel.status == "confirmed"
        if only_if_unmarked:
            condition = condition & (RegistrationModel.attendance == "")
        actions: list[Any] = [RegistrationModel.attendance.set(attendance), RegistrationModel.updated_at.set(now)]
        if attendance == "attended":
            actions.append(RegistrationModel.checked_in_at.set(now))
        elif not attendance:
            actions.append(RegistrationModel.checked_in_at.remove())
        return _transact(lambda tx: tx.update(reg, actions=actions, condition=condition))


__all__ = ["Outcome", "SeminarRepository"]
