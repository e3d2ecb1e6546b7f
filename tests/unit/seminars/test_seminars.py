"""Seminars: sessions in the workspace zone, registration, capacity and waitlist under concurrency, cancel and
move-up, the signed page link, check-in by signed QR, attendance tags, roster CSV."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from seminars_env import WS

from haishin import clock
from haishin.errors import Conflict, ValidationFailed
from haishin.seminars.inputs import SeminarIn, SessionIn


def _seminar(env: Any, capacity: int = 2, **kw: Any) -> tuple[str, str]:
    event = env.service.create(WS, SeminarIn(title="集客セミナー", **kw))
    # 2026-01-10 19:00 in Tokyo, naive: read in the workspace's zone
    session = env.service.add_session(
        WS,
        event.event_id,
        SessionIn(
            starts_at=datetime(2026, 1, 10, 19, 0),
            ends_at=datetime(2026, 1, 10, 21, 0),
            deadline=datetime(2026, 1, 10, 12, 0),
            venue="渋谷会議室",
            capacity=capacity,
        ),
    )
    return event.event_id, session.session_id


def test_session_times_are_read_in_the_workspace_zone(env: Any) -> None:
    event_id, _ = _seminar(env)
    (session,) = env.service.sessions(WS, event_id)
    assert session.starts_at.isoformat() == "2026-01-10T10:00:00+00:00"  # 19:00 JST
    view = env.service.session_view(session, env.service.zone(WS))
    assert view["starts_at"] == "2026-01-10T19:00:00+09:00" and view["seats_left"] == 2


def test_session_validation_is_japanese(env: Any) -> None:
    event = env.service.create(WS, SeminarIn(title="t"))
    with pytest.raises(ValidationFailed, match="終了日時") as info:
        env.service.add_session(
            WS,
            event.event_id,
            SessionIn(starts_at=datetime(2026, 1, 10, 19), ends_at=datetime(2026, 1, 10, 18), venue="x", capacity=1),
        )
    assert info.value.where == "ends_at"
    with pytest.raises(ValidationFailed, match="会場"):
        env.service.add_session(
            WS,
            event.event_id,
            SessionIn(starts_at=datetime(2026, 1, 10, 19), ends_at=datetime(2026, 1, 10, 20), capacity=1),
        )


def test_full_goes_to_waitlist_and_moves_up_on_cancel(env: Any, friends: Any) -> None:
    event_id, session_id = _seminar(env, capacity=2)
    a, b, c = friends(3)
    ra = env.service.register(WS, event_id, session_id, a)
    env.service.register(WS, event_id, session_id, b)
    rc = env.service.register(WS, event_id, session_id, c)
    assert (ra.status, rc.status) == ("confirmed", "waitlisted")
    with pytest.raises(Conflict, match="すでに"):
        env.service.register(WS, event_id, session_id, a)
    with pytest.raises(Conflict, match="満席"):
        env.service.register(WS, event_id, session_id, friends(1)[0], waitlist=False)
    assert [e[0] for e in env.webhooks.events].count("seminar_registered") == 3
    assert env.service.cancel(WS, event_id, ra.registration_id) is True
    assert env.service.cancel(WS, event_id, ra.registration_id) is False  # twice changes nothing
    moved = env.service.repo.registration(WS, event_id, rc.registration_id)
    assert moved.status == "confirmed"
    (session,) = env.service.sessions(WS, event_id)
    assert (session.taken, session.waiting) == (2, 0)
    assert len(env.messenger.sent) == 1 and "確定" in env.messenger.sent[0][1]
    # the cancelled friend may register again (waitlisted now: the seat went to c)
    assert env.service.register(WS, event_id, session_id, a).status == "waitlisted"


def test_after_the_deadline_nothing_changes(env: Any, friends: Any, manual_clock: Any) -> None:
    event_id, session_id = _seminar(env)
    (a, b) = friends(2)
    reg = env.service.register(WS, event_id, session_id, a)
    token = env.service.friend_link(WS, event_id, a).split("?t=")[1]
    manual_clock.set(datetime.fromisoformat("2026-01-10T04:00:00+00:00"))  # 13:00 JST, deadline 12:00
    with pytest.raises(Conflict, match="申込締切"):
        env.service.register(WS, event_id, session_id, b)
    with pytest.raises(Conflict, match="キャンセル締切"):
        env.service.friend_cancel(WS, event_id, token)
    assert env.service.repo.registration(WS, event_id, reg.registration_id).status == "confirmed"
    (session,) = env.service.sessions(WS, event_id)
    assert session.taken == 1


def test_friend_page_link_registers_and_cancels_and_refuses_forgery(env: Any, friends: Any) -> None:
    event_id, session_id = _seminar(env)
    (a,) = friends(1)
    token = env.service.friend_link(WS, event_id, a).split("?t=")[1]
    reg = env.service.friend_register(WS, event_id, token, session_id)
    assert reg.source == "page" and reg.subscriber_id == a
    state = env.service.friend_state(WS, event_id, token)
    assert state["registration"]["status"] == "confirmed" and state["qr"].startswith("SEM1:")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(ValidationFailed, match="正しくありません"):
        env.service.friend_cancel(WS, event_id, forged)
    assert env.service.friend_cancel(WS, event_id, token) is True


def test_check_in_by_qr_once_tags_and_publishes(env: Any, friends: Any) -> None:
    event_id, session_id = _seminar(env, attended_tag="セミナー参加")
    (a, b) = friends(2)
    reg = env.service.register(WS, event_id, session_id, a)
    other = env.service.register(WS, event_id, session_id, b)
    code = env.service.qr_text(WS, reg)
    with pytest.raises(ValidationFailed, match="受付コードが正しくありません"):
        env.service.check_in(WS, code[:-3] + "xyz")
    # b's token on a's registration: refused
    swapped = code.rsplit(":", 1)[0] + ":" + env.service.qr_text(WS, other).rsplit(":", 1)[1]
    with pytest.raises(ValidationFailed):
        env.service.check_in(WS, swapped)
    with pytest.raises(ValidationFailed, match="形式"):
        env.service.check_in(WS, "hello")
    assert env.service.check_in(WS, code).attendance == "attended"
    with pytest.raises(Conflict, match="すでに使用"):
        env.service.check_in(WS, code)
    friend = env.root.subscribers.get(WS, a)
    assert env.root.tags.names(WS, friend.tags) == {"セミナー参加"}
    assert "seminar_attended" in [e[0] for e in env.webhooks.events]
    # after the start, the rest become no-shows
    clock.current().set(datetime.fromisoformat("2026-01-10T12:30:00+00:00"))  # type: ignore[attr-defined]
    assert env.service.mark_no_shows(WS, event_id, session_id) == 1
    assert env.root.tags.names(WS, env.root.subscribers.get(WS, b).tags) == {"集客セミナー 欠席"}


def test_roster_csv_shift_jis_and_bom(env: Any, friends: Any) -> None:
    event_id, session_id = _seminar(env)
    (a,) = friends(1)
    env.service.register(WS, event_id, session_id, a)
    sjis = env.service.roster_csv(WS, event_id, None, encoding="shift_jis")
    assert "友だち0".encode("cp932") in sjis and "確定".encode("cp932") in sjis
    bom = env.service.roster_csv(WS, event_id, session_id, encoding="utf-8")
    assert bom.startswith(b"\xef\xbb\xbf") and "1月10日 19:00" in bom.decode("utf-8-sig")


def test_200_friends_race_for_10_seats(env: Any, friends: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """16 threads, no lock in our code: only the conditional transactions decide. moto's backend is not
    thread-safe (it deep-copies tables mid-transaction), so each request is made atomic as a real server's is;
    requests of different threads still interleave freely between one another (tests/integration/
    test_seminar_race.py runs the same race against DynamoDB Local)."""
    event_id, session_id = _seminar(env, capacity=10)
    ids = friends(200)
    server = threading.Lock()
    original = BaseClient._make_api_call

    def atomic(self: Any, operation: str, params: Any) -> Any:
        with server:
            return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", atomic)
    env.webhooks.events.clear()

    def go(subscriber_id: str) -> str:
        return str(env.service.register(WS, event_id, session_id, subscriber_id, source="line").status)

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(go, ids))
    assert outcomes.count("confirmed") == 10 and outcomes.count("waitlisted") == 190
    (session,) = env.service.sessions(WS, event_id)
    assert (session.taken, session.waiting) == (10, 190)
    regs = env.service.repo.registrations(WS, event_id)
    assert sum(r.status == "confirmed" for r in regs) == 10 and len(regs) == 200
    assert len({r.subscriber_id for r in regs}) == 200


def test_capacity_cannot_go_below_taken_and_raising_it_moves_the_waitlist(env: Any, friends: Any) -> None:
    event_id, session_id = _seminar(env, capacity=1)
    a, b = friends(2)
    env.service.register(WS, event_id, session_id, a)
    rb = env.service.register(WS, event_id, session_id, b)
    base = dict(starts_at=datetime(2026, 1, 10, 19), ends_at=datetime(2026, 1, 10, 21), venue="x")
    env.service.update_session(WS, event_id, session_id, SessionIn(capacity=2, **base))
    assert env.service.repo.registration(WS, event_id, rb.registration_id).status == "confirmed"
    with pytest.raises(Conflict, match="定員"):
        env.service.update_session(WS, event_id, session_id, SessionIn(capacity=1, **base))
    assert timedelta(0) == timedelta(0)


def test_delete_refused_while_friends_hold_seats_then_removes_the_sessions(env: Any, friends: Any) -> None:
    event_id, session_id = _seminar(env)
    (a,) = friends(1)
    reg = env.service.register(WS, event_id, session_id, a)
    with pytest.raises(Conflict, match="削除できません"):
        env.service.delete(WS, event_id)
    env.service.cancel(WS, event_id, reg.registration_id)
    env.service.delete(WS, event_id)
    assert env.service.sessions(WS, event_id) == []


def test_my_page_reads_only_the_friends_own_registrations(
    env: Any, friends: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, first_session = _seminar(env, capacity=1)
    second, second_session = _seminar(env, capacity=1)
    _seminar(env, capacity=1)  # a third seminar the friend never registered for
    a, b = friends(2)
    env.service.register(WS, first, first_session, b)  # b holds the only seat of the first: a is waitlisted there
    env.service.register(WS, first, first_session, a)
    reg_second = env.service.register(WS, second, second_session, a)

    def every_seminar(*_: Any, **__: Any) -> None:
        raise AssertionError("マイページ must not read every seminar of the workspace")

    monkeypatch.setattr(env.service.repo, "all", every_seminar)
    rows = env.service.of_friend(WS, a)
    assert sorted(row["status"] for row in rows) == ["confirmed", "waitlisted"]
    assert [row["title"] for row in env.service.of_friend(WS, b)] == ["集客セミナー"]
    env.service.cancel(WS, second, reg_second.registration_id)  # a cancelled item leaves マイページ
    assert [row["status"] for row in env.service.of_friend(WS, a)] == ["waitlisted"]
    again = env.service.register(WS, second, second_session, a)  # registering again shows the new registration
    assert {row["registration_id"] for row in env.service.of_friend(WS, a)} >= {again.registration_id}
    assert env.service.of_friend(WS, "s_nobody") == []
