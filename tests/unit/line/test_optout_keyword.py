"""配信停止 / 配信再開 typed in LINE: the friend's LINE opt-out flag changes, a reply confirms it and says how to come
back, e-mail stays as it was, auto-replies do not also answer; standby opts out without a reply."""

from __future__ import annotations

from typing import Any

from haishin.autoreplies.rules import AutoReplyStore
from haishin.optout.keywords import KeywordStore
from haishin.optout.service import RESUME_KEYWORD, state_of

from .conftest import CH, WS, Ingest, envelope, line_event, text_event

U1 = "U00000000000000000000000000000001"


def state(ingest: Ingest) -> dict[str, Any]:
    return state_of(ingest.subscribers.find_by_line_user(WS, CH, U1))


def test_stop_keyword_opts_out_of_line_and_replies_with_the_way_back(ingest: Ingest) -> None:
    AutoReplyStore().create(WS, {"name": "c", "match_type": "contains", "keywords": ["配信"], "priority": 1,
                                 "messages": [{"type": "text", "text": "auto"}]})
    ingest.processor.process_record(envelope([line_event("follow"), text_event(" 配信停止 ")]))
    assert state(ingest) == {"all": False, "line": True, "email": False, "sms": False}
    [(_token, messages)] = ingest.line.replies
    assert "停止しました" in messages[0]["text"] and RESUME_KEYWORD in messages[0]["text"]
    ingest.processor.process_record(envelope([text_event("配信再開")]))
    assert state(ingest)["line"] is False
    assert "再開しました" in ingest.line.replies[-1][1][0]["text"]
    assert all(m[0]["text"] != "auto" for _t, m in ingest.line.replies)


def test_keyword_in_standby_still_opts_out_but_sends_nothing(ingest: Ingest) -> None:
    ingest.processor.process_record(envelope([text_event("配信停止", mode="standby")]))
    assert state(ingest)["line"] is True
    assert ingest.line.replies == [] and ingest.line.pushes == []


def test_workspace_keywords_replace_the_defaults_and_match_after_nfkc(ingest: Ingest) -> None:
    KeywordStore().put(WS, {"stop": ["ストップ", "STOP"], "resume": ["スタート"]}, auto_replies=AutoReplyStore())
    ingest.processor.process_record(envelope([line_event("follow"), text_event(" ＳＴＯＰ。")]))
    assert state(ingest)["line"] is True
    assert "「スタート」" in ingest.line.replies[-1][1][0]["text"]  # the way back names the workspace's keyword
    ingest.processor.process_record(envelope([text_event("ｽﾀｰﾄ")]))  # half-width kana, NFKC
    assert state(ingest)["line"] is False
    ingest.processor.process_record(envelope([text_event("配信停止")]))  # the default no longer applies
    assert state(ingest)["line"] is False
