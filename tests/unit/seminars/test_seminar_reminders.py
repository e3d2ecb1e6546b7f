"""Reminders through the one scenario engine: the event's reminder scenario has steps timed from the friend's
``seminar_start`` field (relative_to_date with ``minutes``: a day and an hour before). Each arrives once, at its
time; a friend moved to another session gets them for the new start; a cancelled friend gets none."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from haishin import clock, wiring
from haishin.delivery.email_sms import SesEmailSender
from haishin.errors import ValidationFailed
from haishin.seminars.inputs import SeminarIn, SessionIn
from tests.unit.scenarios import step_harness
from tests.unit.scenarios.step_harness import StepWorld

WS = "w_sem_rem"

REMINDERS = {
    "id": "sem-reminders",
    "name": "セミナーリマインド",
    "steps": [
        {
            "id": "day",
            "timing": {"type": "relative_to_date", "field": "seminar_start", "days": 0, "minutes": -1440},
            "line": [{"type": "text", "text": "明日は{{ fields.seminar_title }}です"}],
        },
        {
            "id": "hour",
            "timing": {"type": "relative_to_date", "field": "seminar_start", "days": 0, "minutes": -60},
            "line": [{"type": "text", "text": "1時間後に開始します"}],
        },
    ],
}


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> Iterator[StepWorld]:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))  # 12:00 JST
    built = StepWorld()
    built.workspace(WS)
    previous = wiring.install(built.services)
    try:
        yield built
    finally:
        wiring.install(previous)


def received(world: StepWorld, user: str) -> list[tuple[str, str]]:
    return [(r.at.astimezone(UTC).strftime("%m-%d %H:%M"), r.messages[0]["text"]) for r in world.line.of(user)]


def test_reminders_once_at_their_times_and_they_follow_a_move(world: StepWorld) -> None:
    world.scenario(WS, REMINDERS)
    seminars = world.services.seminars
    event = seminars.create(WS, SeminarIn(title="集客セミナー", reminder_scenario_id="sem-reminders"))
    first = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 7, 19), ends_at=datetime(2026, 1, 7, 21), venue="渋谷", capacity=5),
    )
    later = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 9, 19), ends_at=datetime(2026, 1, 9, 21), venue="渋谷", capacity=5),
    )
    stays = world.friend(WS, "U" + "1" * 32)
    moves = world.friend(WS, "U" + "2" * 32)
    quits = world.friend(WS, "U" + "3" * 32)
    seminars.register(WS, event.event_id, first.session_id, stays)
    moving = seminars.register(WS, event.event_id, first.session_id, moves)
    quitting = seminars.register(WS, event.event_id, first.session_id, quits)
    seminars.cancel(WS, event.event_id, quitting.registration_id)
    world.run_for(timedelta(hours=12))
    seminars.move(WS, event.event_id, moving.registration_id, later.session_id)
    world.run_for(timedelta(days=5))
    # 19:00 JST = 10:00 UTC: a day before at 01-06 10:00 UTC, an hour before at 01-07 09:00 UTC
    assert received(world, "U" + "1" * 32) == [
        ("01-06 10:00", "明日は集客セミナーです"),
        ("01-07 09:00", "1時間後に開始します"),
    ]
    assert received(world, "U" + "2" * 32) == [
        ("01-08 10:00", "明日は集客セミナーです"),
        ("01-09 09:00", "1時間後に開始します"),
    ]
    assert received(world, "U" + "3" * 32) == []
    assert clock.now() > datetime(2026, 1, 9, 10, tzinfo=UTC)


def _two_sessions(world: StepWorld, scenario_id: str, capacity: int = 1) -> tuple[str, str, str]:
    seminars = world.services.seminars
    event = seminars.create(WS, SeminarIn(title="集客セミナー", reminder_scenario_id=scenario_id))
    first = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(
            starts_at=datetime(2026, 1, 7, 19), ends_at=datetime(2026, 1, 7, 21), venue="渋谷", capacity=capacity
        ),
    )
    later = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 9, 19), ends_at=datetime(2026, 1, 9, 21), venue="新宿", capacity=5),
    )
    return event.event_id, first.session_id, later.session_id


def test_a_waitlisted_friend_gets_reminders_only_from_the_move_up_and_they_follow_a_move_once(
    world: StepWorld,
) -> None:
    world.scenario(WS, REMINDERS)
    seminars = world.services.seminars
    event_id, first, later = _two_sessions(world, "sem-reminders", capacity=1)
    seated = world.friend(WS, "U" + "4" * 32)
    waiting = world.friend(WS, "U" + "5" * 32)
    held = seminars.register(WS, event_id, first, seated)
    moved_up = seminars.register(WS, event_id, first, waiting)
    assert moved_up.status == "waitlisted"
    world.run_for(timedelta(hours=12))  # 01-06 00:00 JST: nothing due yet for anybody
    assert received(world, "U" + "5" * 32) == []
    seminars.cancel(WS, event_id, held.registration_id)  # the seat frees: the waitlisted friend moves up
    world.run_for(timedelta(days=1))  # 01-06 15:00 UTC: the first session's day-before reminder went out
    seminars.move(WS, event_id, moved_up.registration_id, later)  # then staff move them to the later session
    seminars.move(WS, event_id, moved_up.registration_id, later)  # a second identical move changes nothing
    world.run_for(timedelta(days=5))
    # told of the seat at once; the day-before reminder of the first session (01-06 10:00 UTC) after the move-up;
    # the move restarted the reminders for 01-09 19:00 JST (the first session's hour-before never went), each once
    assert received(world, "U" + "5" * 32) == [
        ("01-05 15:00", "キャンセル待ちの「集客セミナー」(1月7日 19:00) に空きが出たため、お申込みが確定しました。"),
        ("01-06 10:00", "明日は集客セミナーです"),
        ("01-08 10:00", "明日は集客セミナーです"),
        ("01-09 09:00", "1時間後に開始します"),
    ]
    assert received(world, "U" + "4" * 32) == []  # cancelled before any reminder was due


def test_an_email_reminder_goes_through_the_local_email_stand_in(
    aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario engine's e-mail step for a seminar reminder, sent by the real SES sender to moto's SES (the
    local system's e-mail stand-in), rendered with the seat's fields, once."""
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    ses = aws.client("ses")
    monkeypatch.setattr(step_harness, "FakeEmail", lambda: SesEmailSender(ses))  # the harness builds its sender
    built = StepWorld()
    built.workspace(WS)
    ses.verify_email_identity(EmailAddress=step_harness.sender_of(WS))
    previous = wiring.install(built.services)
    try:
        built.scenario(WS, {
            "id": "sem-mail",
            "name": "セミナーメールリマインド",
            "steps": [{
                "id": "day",
                "timing": {"type": "relative_to_date", "field": "seminar_start", "days": 0, "minutes": -1440},
                "email": {"subject": "明日は{{ fields.seminar_title }}です",
                          "html": "<p>会場: {{ fields.seminar_place }}</p>"},
            }],
        })
        event_id, first, _ = _two_sessions(built, "sem-mail", capacity=5)
        friend = built.friend(WS, "U" + "6" * 32, email="hanako@example.com")
        built.services.seminars.register(WS, event_id, first, friend)
        built.run_for(timedelta(days=3))
    finally:
        wiring.install(previous)
    backend = get_backend("ses")[DEFAULT_ACCOUNT_ID]["us-east-1"]
    raws = [m.raw_data for m in backend.sent_messages if hasattr(m, "raw_data")]
    mails = [  # moto keeps the raw message as text; its 8-bit UTF-8 body parses right only from bytes
        email.message_from_bytes(raw.encode("utf-8"), policy=email.policy.default)
        for raw in raws
        if "hanako@example.com" in raw
    ]
    assert len(mails) == 1
    mail = mails[0]
    assert str(mail["Subject"]) == "明日は集客セミナーです" and step_harness.sender_of(WS) in str(mail["From"])
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert "会場: 渋谷" in html.get_content()  # type: ignore[attr-defined]


def test_the_events_own_reminders_are_kept_per_event_and_edited_in_the_event(world: StepWorld) -> None:
    """Reminders set on the event itself (no scenario to pick): each friend gets them for the session they hold,
    timed from a field of that event, so a friend at two events gets both events' reminders at their own times."""
    seminars = world.services.seminars
    own = [
        {"minutes_before": 60, "text": "1時間後に開始です"},
        {"minutes_before": 1440, "text": "明日は{{ fields.seminar_title }}です"},
    ]
    first = seminars.create(WS, SeminarIn.model_validate({"title": "集客セミナー", "reminders": own}))
    other = seminars.create(
        WS, SeminarIn.model_validate({"title": "個別相談会", "reminders": [{"minutes_before": 120, "text": "2時間後"}]})
    )
    one = seminars.add_session(
        WS, first.event_id,
        SessionIn(starts_at=datetime(2026, 1, 7, 19), ends_at=datetime(2026, 1, 7, 21), venue="渋谷", capacity=5),
    )
    two = seminars.add_session(
        WS, other.event_id,
        SessionIn(starts_at=datetime(2026, 1, 8, 12), ends_at=datetime(2026, 1, 8, 13), venue="新宿", capacity=5),
    )
    friend = world.friend(WS, "U" + "7" * 32)
    seminars.register(WS, first.event_id, one.session_id, friend)
    seminars.register(WS, other.event_id, two.session_id, friend)  # a later seat elsewhere changes nothing above
    world.run_for(timedelta(days=5))
    assert received(world, "U" + "7" * 32) == [
        ("01-06 10:00", "明日は集客セミナーです"),  # the event's own fields, though the friend's latest seat is elsewhere
        ("01-07 09:00", "1時間後に開始です"),
        ("01-08 01:00", "2時間後"),
    ]
    with pytest.raises(ValidationFailed, match="どちらか一方") as info:
        seminars.update(WS, first.event_id, SeminarIn.model_validate(
            {"title": "集客セミナー", "reminders": own, "reminder_scenario_id": "sem-reminders"}))
    assert info.value.where == "reminders"
    seminars.update(WS, first.event_id, SeminarIn(title="集客セミナー"))  # reminders removed: their scenario goes
    assert world.services.scenarios.get_head(WS, f"{first.event_id}-reminders") is None
    assert world.services.scenarios.get_head(WS, f"{other.event_id}-reminders") is not None
