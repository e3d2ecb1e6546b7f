"""The 配信停止 / 配信再開 LINE keywords are a workspace setting edited through the admin API: defaults, several
keywords, NFKC matching, and a keyword an auto-reply would also answer is refused with a Japanese error naming both."""

from __future__ import annotations

from typing import Any

from haishin.api.app import AdminApi
from haishin.autoreplies.rules import AutoReplyStore
from haishin.optout.keywords import Keywords, KeywordStore
from tests.support.admin_api import call_admin_api

WS = "w_optout_keywords"
PATH = "/api/workspace/optout-keywords"


def test_defaults_then_several_keywords_saved_and_read_back(aws: Any, manual_clock: Any) -> None:
    api = AdminApi()
    assert call_admin_api(api, "GET", PATH, workspace=WS) == (200, {"stop": ["配信停止"], "resume": ["配信再開"]})
    status, body = call_admin_api(api, "PUT", PATH, workspace=WS,
                                  body={"stop": ["配信停止", " ｽﾄｯﾌﾟ ", "ストップ"], "resume": ["配信再開"]})
    assert status == 200 and body == {"stop": ["配信停止", "ストップ"], "resume": ["配信再開"]}  # NFKC, deduped
    assert call_admin_api(api, "GET", PATH, workspace=WS)[1]["stop"] == ["配信停止", "ストップ"]
    assert KeywordStore().get(WS).action_of("スト ップ！") == "stop"
    status, _ = call_admin_api(api, "PUT", PATH, workspace=WS, role="viewer",
                               body={"stop": ["x"], "resume": ["y"]})
    assert status == 403


def test_a_keyword_an_auto_reply_answers_is_refused_naming_it(aws: Any, manual_clock: Any) -> None:
    AutoReplyStore().create(WS, {"name": "営業時間", "match_type": "contains", "keywords": ["停止"], "priority": 1,
                                 "messages": [{"type": "text", "text": "auto"}]})
    status, body = call_admin_api(AdminApi(), "PUT", PATH, workspace=WS,
                                  body={"stop": ["配信停止"], "resume": ["配信再開"]})
    assert status == 422
    assert "「配信停止」" in body["message"] and "「営業時間」" in body["message"]
    assert body["where"] == "stop.0"
    assert KeywordStore().get(WS).view() == {"stop": ["配信停止"], "resume": ["配信再開"]}  # nothing saved


def test_bad_keyword_lists_are_refused_in_japanese(aws: Any, manual_clock: Any) -> None:
    api = AdminApi()
    for body, where in (({"stop": [], "resume": ["a"]}, "stop"), ({"stop": ["a"], "resume": ["  "]}, "resume.0"),
                        ({"stop": ["同じ"], "resume": ["同じ"]}, "resume"), ({"stop": ["a"]}, "resume"),
                        ({"stop": ["a"], "resume": ["b"], "x": 1}, "x")):
        status, answer = call_admin_api(api, "PUT", PATH, workspace=WS, body=body)
        assert (status, answer["where"]) == (422, where), body
        assert not answer["message"].isascii()


def test_matching_ignores_width_spaces_and_trailing_punctuation() -> None:
    keywords = Keywords(["配信停止"], ["配信再開"])
    assert [keywords.action_of(t) for t in ("配信停止", "　配信 停止。", "配信停止！", "配信再開", "停止")] == [
        "stop", "stop", "stop", "resume", None]
