"""Seminars on LINE: a ``haishin:sem:l:<event>`` postback answers the carousel of sessions with seats left; a
carousel button's ``haishin:sem:r:<event>:<session>`` registers the friend once (a redelivery does not register
twice) and answers with the page link; a full session puts the friend on the waitlist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from haishin.ingest import postback
from haishin.seminars.inputs import SeminarIn, SessionIn
from haishin.seminars.models import seminar_data
from haishin.wiring import services
from tests.unit.line.conftest import WS, Ingest, envelope, line_event


def test_the_seminar_data_format() -> None:
    assert postback.seminar_postback("haishin:sem:l:sem_1") == ("l", "sem_1", "")
    assert postback.seminar_postback("haishin:sem:r:sem_1:ses_2") == ("r", "sem_1", "ses_2")
    assert postback.seminar_postback("haishin:sem:x") is None
    assert postback.seminar_postback("haishin:rm:m:1") is None
    assert len(seminar_data("r", "sem_" + "X" * 26, "ses_" + "X" * 26)) <= 300


def test_carousel_then_register_once_then_waitlist(ingest: Ingest, fake_line: Any) -> None:
    seminars = services().seminars
    event = seminars.create(WS, SeminarIn(title="集客セミナー"))
    session = seminars.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 10, 19), ends_at=datetime(2026, 1, 10, 21), venue="渋谷", capacity=1),
    )
    ingest.processor.process_record(
        envelope([line_event("postback", postback={"data": seminar_data("l", event.event_id)})])
    )
    (_, (carousel,)) = fake_line.replies[-1]
    assert carousel["type"] == "template" and carousel["template"]["type"] == "carousel"
    column = carousel["template"]["columns"][0]
    assert column["text"] == "1月10日 19:00\n渋谷\n残り1席" and column["title"] == "集客セミナー"
    data = column["actions"][0]["data"]
    assert data == seminar_data("r", event.event_id, session.session_id)
    tap = line_event("postback", postback={"data": data})
    ingest.processor.process_record(envelope([tap]))
    ingest.processor.process_record(envelope([{**tap, "deliveryContext": {"isRedelivery": True}}]))
    (_, (answer,)) = fake_line.replies[-1]
    assert "お申込みが完了しました" in answer["text"] and f"/sem/{WS}/{event.event_id}?t=" in answer["text"]
    regs = seminars.repo.registrations(WS, event.event_id)
    assert len(regs) == 1 and regs[0].source == "line"
    # another friend: the session is full, a waitlist place
    other = line_event("postback", user="U" + "2" * 32, postback={"data": data})
    ingest.processor.process_record(envelope([other]))
    (_, (answer,)) = fake_line.replies[-1]
    assert "キャンセル待ち" in answer["text"]
    (s,) = seminars.sessions(WS, event.event_id)
    assert (s.taken, s.waiting) == (1, 1)
    # the same friend again: refused in Japanese, nothing changes
    ingest.processor.process_record(envelope([line_event("postback", postback={"data": data})]))
    (_, (answer,)) = fake_line.replies[-1]
    assert answer["text"].startswith("お申込みできませんでした") and "すでに" in answer["text"]
    assert len(seminars.repo.registrations(WS, event.event_id)) == 2
