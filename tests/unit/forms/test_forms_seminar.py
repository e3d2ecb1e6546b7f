"""A seminar registration form: a field that picks a session with seats left, and submitting registers the friend
with the seminar's rules (deadline, full -> waitlist, already registered), refusals in Japanese on the field and
nothing stored then. haishin.forms reaches haishin.seminars only through the late-bound collaborator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from forms_env import WS, Env

from haishin import clock
from haishin.errors import NotFound
from haishin.forms.inputs import FormDefinition
from haishin.forms.models import FormAnswerModel
from haishin.pages.forms import respond
from haishin.seminars.inputs import Price, SeminarIn, SessionIn
from haishin.subscribers.models import line_account
from haishin.wiring import services


def stored_answers() -> list[FormAnswerModel]:
    return list(FormAnswerModel.scan(FormAnswerModel.pk.startswith("answers#")))


def definition(seminar_id: str) -> FormDefinition:
    return FormDefinition.model_validate({
        "name": "セミナー申込", "title": "集客セミナーお申込み",
        "fields": [{"key": "name", "label": "お名前", "type": "text", "required": True},
                   {"key": "session", "label": "参加日程", "type": "seminar_session", "required": True,
                    "seminar_id": seminar_id}],
        "actions": [{"type": "add_tag", "tag": "フォーム申込"}]})


def friend(env: Env, n: int) -> str:
    repo = env.collab.subscribers
    subscriber = repo.new(WS, source="line")
    user = "U" + str(n) * 32
    subscriber.line = {"1234567890": line_account(user, status="following")}
    repo.create(subscriber, [("line:1234567890", user)])
    return subscriber.subscriber_id


@pytest.fixture
def seminar(env: Env) -> dict[str, Any]:
    seminars = services().seminars
    event = seminars.create(WS, SeminarIn(title="集客セミナー"))
    start = clock.now() + timedelta(days=10)
    roomy = seminars.add_session(WS, event.event_id, SessionIn(starts_at=start, ends_at=start + timedelta(hours=2),
                                                                venue="渋谷", capacity=1))
    later = start + timedelta(days=1)
    closes = seminars.add_session(WS, event.event_id, SessionIn(
        starts_at=later, ends_at=later + timedelta(hours=2), deadline=clock.now() + timedelta(days=1),
        venue="新宿", capacity=5))
    form = env.service.create(WS, definition(event.event_id))
    return {"event": event.event_id, "first": roomy.session_id, "closes": closes.session_id, "form": form.form_id}


def submit(env: Env, seminar: dict[str, Any], subscriber_id: str, session_id: str, nonce: str) -> Any:
    token = env.service.mint_link(WS, seminar["form"], subscriber_id)["token"]
    return env.service.submit(seminar["form"], {"name": ["花子"], "session": [session_id], "_nonce": [nonce],
                                                "website": [""]}, token=token)


def registrations(seminar: dict[str, Any]) -> dict[str, str]:
    return {r.subscriber_id: str(r.status) for r in services().seminars.repo.registrations(WS, seminar["event"])}


def test_the_page_offers_the_sessions_with_seats_and_submitting_registers(env: Env, seminar: dict[str, Any]) -> None:
    first = friend(env, 1)
    token = env.service.mint_link(WS, seminar["form"], first)["token"]
    opened = env.service.open(seminar["form"], token)
    assert [session_id for session_id, _ in opened.choices["session"]] == [seminar["first"], seminar["closes"]]
    assert "渋谷 (残り1席)" in opened.choices["session"][0][1]
    html = respond(opened)["body"]
    assert f'<option value="{seminar["first"]}">' in html and "残り1席" in html

    result = submit(env, seminar, first, seminar["first"], "n-1")
    assert result.outcome == "thanks" and result.registrations["session"].status == "confirmed"
    assert registrations(seminar) == {first: "confirmed"}
    assert len(stored_answers()) == 1
    assert "session" not in (env.collab.subscribers.require(WS, first).fields or {})  # a registration, not a field
    # the full session is no longer offered
    assert [s for s, _ in env.service.open(seminar["form"], token).choices["session"]] == [seminar["closes"]]


def test_a_full_session_puts_the_friend_on_the_waitlist(env: Env, seminar: dict[str, Any]) -> None:
    first, second = friend(env, 1), friend(env, 2)
    submit(env, seminar, first, seminar["first"], "n-1")
    result = submit(env, seminar, second, seminar["first"], "n-2")  # chosen while a seat was left, full now
    assert result.outcome == "thanks" and result.registrations["session"].status == "waitlisted"
    assert registrations(seminar)[second] == "waitlisted"
    assert "キャンセル待ちで承りました" in respond(result)["body"]


@pytest.mark.parametrize("case", ["already", "deadline", "unknown", "unsigned"])
def test_refusals_are_on_the_field_in_japanese_and_store_nothing(env: Env, seminar: dict[str, Any],
                                                                 manual_clock: Any, case: str) -> None:
    first = friend(env, 1)
    session, expected = seminar["closes"], ""
    if case == "already":
        submit(env, seminar, first, seminar["first"], "n-0")
        expected = "すでにこのセミナーにお申し込み済みです。"
    elif case == "deadline":
        manual_clock.advance(timedelta(days=2))
        expected = "を過ぎています。別の日程をお選びください。"
    elif case == "unknown":
        session, expected = "ses_forged", "この日程は選べません。もう一度お選びください。"
    before_answers, before_regs = len(stored_answers()), registrations(seminar)
    if case == "unsigned":
        result = env.service.submit(seminar["form"], {"name": ["花子"], "session": [session], "_nonce": ["n-9"],
                                                      "website": [""]})
        expected = "LINEで届いたリンク"
    else:
        result = submit(env, seminar, first, session, "n-1")
    assert result.outcome == "invalid" and expected in result.errors["session"]
    assert result.values["session"] == session  # kept for the re-rendered page
    page = respond(result)
    assert page["statusCode"] == 422 and expected in page["body"]
    assert len(stored_answers()) == before_answers and registrations(seminar) == before_regs
    if case in ("deadline", "unknown"):
        assert not env.collab.subscribers.require(WS, first).tags  # the form's add_tag action did not run
    if case == "unknown":  # the same page may be sent again with another session: its nonce was given back
        again = submit(env, seminar, first, seminar["first"], "n-1")
        assert again.outcome == "thanks" and registrations(seminar)[first] == "confirmed"


def test_the_editor_refuses_a_missing_or_foreign_seminar_and_takes_a_paid_one(env: Env) -> None:
    with pytest.raises(NotFound) as missing:
        env.service.create(WS, definition("sem_nope"))
    assert missing.value.where == "fields.1.seminar_id"
    foreign = services().seminars.create("w_other", SeminarIn(title="他社"))
    with pytest.raises(NotFound):
        env.service.create(WS, definition(foreign.event_id))
    seminars = services().seminars
    paid = seminars.create(WS, SeminarIn(title="有料"))  # then priced (the product's checks are the seminars' own)
    seminars.repo.save_definition(paid, {**paid.definition, "price": Price(kind="product", product_id="prod_1")
                                         .model_dump()}, now=clock.now())
    saved = env.service.create(WS, definition(paid.event_id))  # a paid seat is held and paid after the form
    assert saved.definition["fields"][1]["seminar_id"] == paid.event_id
    with pytest.raises(ValueError, match="セミナーの指定"):
        FormDefinition.model_validate({"name": "x", "title": "x", "fields": [
            {"key": "s", "label": "日程", "type": "seminar_session"}]})


def test_sessions_start_in_the_workspace_zone(env: Env, seminar: dict[str, Any]) -> None:
    label = env.service.open(seminar["form"], None).choices["session"][0][1]
    start = (clock.now() + timedelta(days=10)).astimezone(services().seminars.zone(WS))
    assert label.startswith(f"{start.month}月{start.day}日 {start:%H:%M} 渋谷")
