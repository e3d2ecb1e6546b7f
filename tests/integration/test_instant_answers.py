"""Issue 17 on the local system, beyond the follow: a keyword's auto-reply and the first step of the scenario its
action starts arrive in ONE reply (quota untouched); a form answered from a LINE-bound link sends the started
scenario's first step at once by push, in the same drain as the answer (no clock advance, no tick)."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500193"
WS = "w_instant_answers"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d193"
TOKEN = "instant-answers-token-000000000000000000193"
USER = "U" + "193c" * 8


def arrived(emulator: Any) -> list[tuple[str, str]]:
    return [(str(d["endpoint"]), str((d.get("message") or {}).get("text"))) for d in emulator.received(USER, CH)]


def post_form(url: str, data: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST",
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def test_keyword_reply_and_form_answer_answer_at_once(local_system: Any) -> None:
    system = local_system
    base = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    status, menu = json_request("POST", f"{base}/api/scenarios", {
        "name": "menu", "triggers": [], "steps": [{"id": "m1", "line": [{"type": "text", "text": "メニューです"}]}]},
        auth)
    assert status in (200, 201), menu
    status, rule = json_request("POST", f"{base}/api/auto-replies", {
        "name": "menu", "match_type": "exact", "keywords": ["メニュー"], "priority": 1,
        "messages": [{"type": "text", "text": "承知しました"}],
        "actions": [{"type": "start_scenario", "scenario_id": menu["id"]}]}, auth)
    assert status in (200, 201), rule
    assert emulator.follow(CH, USER) == 200
    system.drain()
    quota = emulator.quota_consumption(CH)

    assert emulator.send_text(CH, USER, "メニュー") == 200
    system.drain()
    assert arrived(emulator) == [("reply", "承知しました"), ("reply", "メニューです")]
    assert emulator.quota_consumption(CH) == quota

    # a form answered from the friend's LINE-bound link: the form_submitted scenario's first step, at once
    status, after = json_request("POST", f"{base}/api/scenarios", {
        "name": "after-form", "triggers": [{"type": "form_submitted"}],
        "steps": [{"id": "a1", "line": [{"type": "text", "text": "ご回答ありがとうございます"}]}]}, auth)
    assert status in (200, 201), after
    status, form = json_request("POST", f"{base}/api/forms", {
        "name": "感想", "title": "ご感想", "fields": [{"key": "q", "label": "ご感想", "type": "text",
                                                     "required": True}]}, auth)
    assert status == 201, form
    status, friends = json_request("GET", f"{base}/api/subscribers", None, auth)
    assert status == 200, friends
    sid = next(f["subscriber_id"] for f in friends["items"])
    status, link = json_request("POST", f"{base}/api/forms/{form['form_id']}/link", {"subscriber_id": sid}, auth)
    assert status == 200, link
    with urllib.request.urlopen(link["url"], timeout=30) as response:
        page = response.read().decode()
    nonce = re.search(r'name="_nonce"\s+value="([^"]+)"', page) or re.search(r'value="([^"]+)"\s+name="_nonce"', page)
    assert nonce, page[:1000]
    status, answer = post_form(f"{base}/f/{form['form_id']}", {"q": "よかった", "_nonce": nonce.group(1),
                                                                "website": "", "t": link["token"]})
    assert status == 200 and "送信が完了しました" in answer, answer[:500]
    # the delivery queue only, no advance; the local scheduler fires a tick only if a real minute boundary falls
    # in these second or two (tests/unit/scenarios/test_first_step_now.py shows the same with no tick at all)
    system.drain()
    assert arrived(emulator)[-1] == ("push", "ご回答ありがとうございます")
    assert arrived(emulator).count(("push", "ご回答ありがとうございます")) == 1
