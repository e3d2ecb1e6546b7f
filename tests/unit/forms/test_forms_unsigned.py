"""An unsigned form POST that only knows a friend's e-mail or phone never changes that friend: the answer goes to a
new, unverified contact that records the match (and owns no address), which the admin's merge folds in later."""

from __future__ import annotations

from typing import Any

import pytest
from forms_env import WS, Env

from haishin.forms.inputs import FormDefinition
from haishin.tags.repository import TagRepository
from haishin.wiring import services

DEFINITION = {
    "name": "資料請求", "title": "資料請求",
    "fields": [
        {"key": "name", "label": "お名前", "type": "text", "maps_to": "display_name"},
        {"key": "email", "label": "メール", "type": "email"},
        {"key": "phone", "label": "電話", "type": "phone"},
        {"key": "budget", "label": "ご予算", "type": "text"},
    ],
    "actions": [{"type": "add_tag", "tag": "資料請求"}, {"type": "start_scenario", "scenario_id": "sc_sales"},
                {"type": "stop_all_scenarios"}],
    "auto_reply": "{{ name }}さん、ありがとうございます。",
}


@pytest.fixture
def form_id(env: Env) -> str:
    return env.service.create(WS, FormDefinition.model_validate(DEFINITION)).form_id


@pytest.fixture
def known_friend(env: Env, line_friend: str) -> str:
    """The LINE friend, with an e-mail and phone they gave through a signed link earlier."""
    repo = env.collab.subscribers

    def give(s: Any) -> None:
        s.email = "hanako@example.com"
        s.phone = "09012345678"
        s.fields = {"budget": "10万円"}

    repo.mutate_identity(WS, line_friend, give)
    return line_friend


def answers(nonce: str, **extra: list[str]) -> dict[str, list[str]]:
    data = {"name": ["なりすまし"], "budget": ["0円"], "_nonce": [nonce], "website": [""]}
    data.update(extra)
    return data


def snapshot(env: Env, subscriber_id: str) -> dict[str, Any]:
    s = env.collab.subscribers.require(WS, subscriber_id)
    return {"fields": s.fields, "tags": set(s.tags or ()), "email": s.email, "phone": s.phone,
            "name": s.display_name, "forms": set(s.forms_answered or ()), "version": s.version}


@pytest.mark.parametrize("claimed", [{"email": ["ＨＡＮＡＫＯ@example.com"]}, {"phone": ["090-1234-5678"]},
                                     {"email": ["hanako@example.com"], "phone": ["09012345678"]}])
def test_unsigned_post_with_a_friends_address_changes_nothing_of_theirs(env: Env, form_id: str, known_friend: str,
                                                                        claimed: dict[str, list[str]]) -> None:
    before = snapshot(env, known_friend)
    result = env.service.submit(form_id, answers("n-1", **claimed), ip="198.51.100.7")
    assert result.outcome == "thanks" and result.unverified
    assert result.subscriber_id != known_friend
    assert snapshot(env, known_friend) == before  # fields, tags, forms and address untouched
    assert not [t for t in env.scenarios.triggers if t[1] == known_friend]
    assert not [s for s in env.scenarios.started if s[1] == known_friend]
    assert not [s for s in env.scenarios.stopped if s[1] == known_friend]
    assert env.messenger.sent == []  # no auto-reply reaches the friend's LINE
    entries, _ = env.collab.timeline.page(WS, known_friend)
    assert "form_answered" not in [e.kind for e in entries]

    contact = env.collab.subscribers.require(WS, result.subscriber_id or "")
    match = contact.unverified_match
    assert set(match["matches"].values()) == {known_friend} and set(match["matches"]) == set(claimed)
    assert match["form_id"] == form_id and match["submission_id"] == result.submission_id
    assert contact.email is None and contact.phone is None and not contact.line  # nothing can be sent to it
    assert contact.fields["budget"] == "0円" and "資料請求" in TagRepository().names(WS, contact.tags)
    assert env.collab.subscribers.find_by_email(WS, "hanako@example.com").subscriber_id == known_friend
    assert env.collab.subscribers.find_by_phone(WS, "09012345678").subscriber_id == known_friend
    answers_stored, _ = env.service.answers(WS, form_id)
    assert [(a.subscriber_id, a.line_bound) for a in answers_stored] == [(contact.subscriber_id, False)]


def test_a_repeated_unsigned_page_is_one_contact_and_the_admin_merge_folds_it_in(env: Env, form_id: str,
                                                                                known_friend: str) -> None:
    first = env.service.submit(form_id, answers("n-2", email=["hanako@example.com"]))
    again = env.service.submit(form_id, answers("n-2", email=["hanako@example.com"]))
    assert again.duplicate and again.subscriber_id == first.subscriber_id
    winner = services().crm.merge(WS, known_friend, first.subscriber_id or "", actor="operator:o1")
    assert form_id in winner.forms_answered and "資料請求" in TagRepository().names(WS, winner.tags)
    assert winner.fields["budget"] == "10万円"  # the friend's own value wins the merge


def test_signed_line_bound_submission_still_updates_that_friend(env: Env, form_id: str, known_friend: str) -> None:
    token = env.service.mint_link(WS, form_id, known_friend)["token"]
    result = env.service.submit(form_id, answers("n-3", email=["hanako@example.com"]), token=token)
    assert result.subscriber_id == known_friend and not result.unverified
    friend = env.collab.subscribers.require(WS, known_friend)
    assert friend.fields["budget"] == "0円" and "資料請求" in TagRepository().names(WS, friend.tags)


def test_unsigned_post_with_a_new_address_creates_a_normal_contact_once(env: Env, form_id: str) -> None:
    result = env.service.submit(form_id, answers("n-4", email=["new@example.com"], phone=["080-0000-1111"]))
    assert not result.unverified
    contact = env.collab.subscribers.require(WS, result.subscriber_id or "")
    assert contact.unverified_match is None and contact.email == "new@example.com"
    assert env.collab.subscribers.find_by_phone(WS, "08000001111").subscriber_id == contact.subscriber_id
