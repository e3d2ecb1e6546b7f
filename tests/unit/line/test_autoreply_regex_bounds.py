"""Auto-reply regular expressions cannot hang the events consumer: unsafe patterns are refused when saved, and a
stored pattern that still backtracks too long counts as no match."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.unit.line.conftest import Api

RULE = {"name": "予約", "match_type": "regex", "messages": [{"type": "text", "text": "こちらから"}]}


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"(a+)+$", "繰り返しの中の繰り返し"),
    (r"^(\w+\s?)*$", "繰り返しの中の繰り返し"),
    (r"(a|aa)+$", "照合が時間内に終わりません"),
    (r"(予約)\1", "後方参照"),
])
def test_a_pattern_that_could_hang_is_refused_at_the_field(api: Api, pattern: str, reason: str) -> None:
    status, body = api("POST", "/api/auto-replies", {**RULE, "keywords": ["予約", pattern]})
    assert status == 422, body
    assert body["where"] == "keywords.1"
    assert "照合が終わらなくなるおそれ" in body["message"] and reason in body["message"]


def test_an_invalid_pattern_is_refused_in_japanese(api: Api) -> None:
    status, body = api("POST", "/api/auto-replies", {**RULE, "keywords": ["(unclosed"]})
    assert status == 422 and body["where"] == "keywords.0"
    assert body["message"].startswith("正規表現として正しくありません")


@pytest.mark.parametrize("pattern", [r"^(予約|よやく)", r"\d{3}-\d{4}", r"(?i)^price\s+\d+$", r"(\d{3}-)+\d{4}",
                                     r"\p{Han}{2,}"])
def test_ordinary_patterns_are_saved_and_match(api: Api, pattern: str) -> None:
    status, body = api("POST", "/api/auto-replies", {**RULE, "keywords": [pattern]})
    assert status == 201, body


def test_a_stored_catastrophic_pattern_is_no_match_instead_of_a_hang() -> None:
    # In a child process: ``re`` holds the GIL while it backtracks, so a thread could not be given up on. The
    # timeout is a watchdog, not a timing assertion: unbounded, this search runs for years.
    script = (
        "from types import SimpleNamespace\n"
        "from haishin.autoreplies import rules as autoreplies\n"
        "rule = SimpleNamespace(match_type='regex', keywords=[r'(a+)+$', r'^x'])  # saved before the checks\n"
        "print(autoreplies.matches(rule, 'a' * 1500 + '!'), autoreplies.matches(rule, 'xyz'))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                              check=True, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        pytest.fail("matching a catastrophic pattern did not finish")
    assert done.stdout.split() == ["False", "True"]


def test_a_reply_template_over_the_sandbox_caps_is_refused_at_the_field(api: Api) -> None:
    rule = {**RULE, "match_type": "contains", "keywords": ["予約"],
            "messages": [{"type": "text", "text": "ok"}, {"type": "text", "text": "{{ name * 10**6 }}{{ 'x' * 10**6 }}"}]}
    status, body = api("POST", "/api/auto-replies", rule)
    assert status == 422, body
    assert body["where"] == "messages.1.text" and "長すぎます" in body["message"]
