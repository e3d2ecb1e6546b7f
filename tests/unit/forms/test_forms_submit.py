"""Forms: LINE-bound links, tampering and expiry, double submits, validation with answers kept."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from forms_env import WS, Env

from haishin.forms.inputs import FormDefinition
from haishin.forms.models import FormAnswerModel
from haishin.pages.forms import respond
from haishin.storage.once import OnceModel
from haishin.tags.repository import TagRepository

DEFINITION = {
    "name": "セミナー申込",
    "title": "無料セミナーお申込み",
    "description": "<b>必要事項</b>をご記入ください",
    "fields": [
        {"key": "name", "label": "お名前", "type": "text", "required": True},
        {"key": "email", "label": "メールアドレス", "type": "email", "required": True},
        {"key": "age", "label": "年齢", "type": "number", "min": 0, "max": 130},
        {"key": "course", "label": "コース", "type": "radio", "options": ["初級", "上級"], "required": True},
        {"key": "topics", "label": "興味", "type": "checkboxes", "options": ["集客", "LINE", "決済"]},
        {"key": "note", "label": "ご質問", "type": "textarea"},
    ],
    "actions": [{"type": "add_tag", "tag": "セミナー申込"},
                {"type": "call_webhook", "endpoint_id": "whep_01JFORMSENDP0INTAAAAAAAAAA"}],
    "auto_reply": "{{ name }}さん、お申込みありがとうございます。",
}


def stored_answers() -> list[FormAnswerModel]:
    return list(FormAnswerModel.scan(FormAnswerModel.pk.startswith("answers#")))


def good_answers(nonce: str = "n-1", **extra: list[str]) -> dict[str, list[str]]:
    data = {"name": ["山田 花子"], "email": ["Hanako@Example.com"], "age": ["34"], "course": ["上級"],
            "topics": ["集客", "LINE"], "note": ["<script>alert(1)</script>"], "_nonce": [nonce], "website": [""]}
    data.update(extra)
    return data


@pytest.fixture
def form_id(env: Env) -> str:
    return env.service.create(WS, FormDefinition.model_validate(DEFINITION)).form_id


def test_line_bound_submit_updates_that_friend_tags_and_starts_scenario(env: Env, form_id: str,
                                                                        line_friend: str) -> None:
    link = env.service.mint_link(WS, form_id, line_friend)
    token = link["token"]
    assert link["url"].endswith(f"/f/{form_id}?t={token}")

    result = env.service.submit(form_id, good_answers(), ip="203.0.113.5", token=token)

    assert result.outcome == "thanks"
    assert result.subscriber_id == line_friend
    friend = env.collab.subscribers.require(WS, line_friend)
    assert "セミナー申込" in TagRepository().names(WS, friend.tags)
    assert friend.fields["name"] == "山田 花子"
    assert friend.fields["age"] == 34
    assert friend.fields["topics"] == ["集客", "LINE"]
    assert form_id in friend.forms_answered
    assert friend.email == "hanako@example.com"  # the email answer becomes the friend's address (and alias)
    assert env.collab.subscribers.find_by_email(WS, "hanako@example.com").subscriber_id == line_friend
    # the form's add_tag action fires tag_added (issue 16), then the form itself fires form_submitted
    assert [t[2] for t in env.scenarios.triggers] == ["tag_added", "form_submitted"]
    assert env.scenarios.triggers[0][3]["tag"] == "セミナー申込"
    assert env.scenarios.triggers[1][3]["form_id"] == form_id
    assert env.messenger.sent == [(line_friend, "花子さん、お申込みありがとうございます。", env.messenger.sent[0][2])]
    assert len(env.webhooks.calls) == 1
    entries, _ = env.collab.timeline.page(WS, line_friend)
    assert "form_answered" in [e.kind for e in entries]
    answers, _ = env.service.answers(WS, form_id)
    assert len(answers) == 1 and answers[0].line_bound and answers[0].answers["course"] == "上級"
    page = respond(result)
    assert page["statusCode"] == 200 and "ご回答ありがとうございました" in page["body"]


@pytest.mark.parametrize("mangle", ["tamper_sig", "other_form_token", "garbage"])
def test_tampered_token_is_refused_with_a_friendly_page_and_nothing_stored(env: Env, form_id: str, line_friend: str,
                                                                          mangle: str) -> None:
    token = env.service.mint_link(WS, form_id, line_friend)["token"]
    if mangle == "tamper_sig":
        sub, exp, sig = token.split(".")
        token = f"{sub}.{int(exp) + 86400}.{sig}"  # extend the expiry without the key
    elif mangle == "other_form_token":
        other = env.service.create(WS, FormDefinition.model_validate(DEFINITION)).form_id
        token = env.service.mint_link(WS, other, line_friend)["token"]
    else:
        token = "not-a-token"
    result = env.service.submit(form_id, good_answers(), token=token)
    assert result.outcome == "token_invalid"
    page = respond(result)
    assert page["statusCode"] == 403 and "このリンクは無効です" in page["body"] and "<html lang=\"ja\">" in page["body"]
    assert stored_answers() == []
    assert env.scenarios.triggers == [] and env.messenger.sent == []
    remaining = env.collab.subscribers.require(WS, line_friend).tags or set()
    assert "セミナー申込" not in TagRepository().names(WS, remaining)


def test_expired_token_is_refused(env: Env, form_id: str, line_friend: str, manual_clock: Any) -> None:
    token = env.service.mint_link(WS, form_id, line_friend, validity=timedelta(hours=1))["token"]
    manual_clock.advance(timedelta(hours=1, seconds=1))
    result = env.service.submit(form_id, good_answers(), token=token)
    assert result.outcome == "token_invalid" and result.token_reason == "expired"
    assert "有効期限が切れています" in respond(result)["body"]
    assert stored_answers() == []
    opened = env.service.open(form_id, token)
    assert opened.outcome == "token_invalid"


def test_double_submit_makes_one_submission(env: Env, form_id: str) -> None:
    first = env.service.submit(form_id, good_answers("same-nonce"), ip="198.51.100.1")
    second = env.service.submit(form_id, good_answers("same-nonce"), ip="198.51.100.1")
    assert first.outcome == second.outcome == "thanks"
    assert second.duplicate and second.subscriber_id == first.subscriber_id
    assert len(stored_answers()) == 1
    assert [t[2] for t in env.scenarios.triggers] == ["tag_added", "form_submitted"]  # once each
    assert len(env.webhooks.calls) == 1


def test_public_submit_creates_then_a_match_by_email_is_a_separate_unverified_contact(env: Env, form_id: str) -> None:
    first = env.service.submit(form_id, good_answers("a"))
    second = env.service.submit(form_id, good_answers("b", email=["hanako@example.com"]))
    assert not first.unverified and second.unverified
    assert first.subscriber_id != second.subscriber_id  # an unsigned POST never changes an existing friend
    contact = env.collab.subscribers.require(WS, second.subscriber_id or "")
    assert contact.unverified_match["matches"] == {"email": first.subscriber_id}
    assert len(stored_answers()) == 2


def test_missing_required_field_rerenders_with_error_and_other_answers_kept(env: Env, form_id: str) -> None:
    data = good_answers()
    data["name"] = [""]
    data["email"] = ["not-an-email"]
    result = env.service.submit(form_id, data)
    assert result.outcome == "invalid"
    assert set(result.errors) == {"name", "email"}
    page = respond(result)
    body = page["body"]
    assert page["statusCode"] == 422
    assert "「お名前」を入力してください。" in body
    assert re.search(r'id="f-name"[^>]*aria-invalid="true"[^>]*aria-describedby="f-name-error"', body)
    assert 'id="f-name-error"' in body
    assert 'value="not-an-email"' in body  # what was typed stays
    assert re.search(r'value="上級" checked', body)
    assert re.search(r'value="集客" checked', body) and re.search(r'value="LINE" checked', body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body  # autoescape
    assert "&lt;b&gt;必要事項" in body
    assert '<fieldset aria-required="true">' in body or "<fieldset" in body
    assert "<legend>コース" in body
    assert 'name="_nonce" value="n-1"' in body
    assert stored_answers() == []


def test_honeypot_stores_nothing(env: Env, form_id: str) -> None:
    result = env.service.submit(form_id, good_answers(website=["http://spam.example"]))
    assert result.outcome == "thanks"
    assert stored_answers() == []


def test_per_ip_throttle(env: Env, form_id: str) -> None:
    outcomes = [env.service.submit(form_id, good_answers(f"n{i}"), ip="192.0.2.9").outcome for i in range(12)]
    assert outcomes[:10] == ["thanks"] * 10
    assert outcomes[10:] == ["throttled", "throttled"]
    assert respond(env.service.submit(form_id, good_answers("x"), ip="192.0.2.9"))["statusCode"] == 429
    assert any(i.id.startswith("form-ip#") for i in OnceModel.scan())


def test_csv_export_has_bom_and_labels(env: Env, form_id: str) -> None:
    env.service.submit(form_id, good_answers(note=["=HYPERLINK(1)"]))
    text = env.service.answers_csv(WS, form_id)
    assert text.startswith("\ufeff回答日時,友だちID,LINE経由,お名前")
    assert "集客、LINE" in text
    assert "'=HYPERLINK(1)" in text
