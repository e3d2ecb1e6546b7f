"""配信停止 through the local system: an e-mail step renders an absolute, signed /u/ URL and carries List-Unsubscribe
headers; GET shows the page and changes nothing; POST stops e-mail only; the next e-mail step is skipped and counted;
配信停止 typed in LINE (emulator) stops LINE steps; re-subscribing from the page brings e-mail back."""

from __future__ import annotations

import email
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import step_delivery_id
from haishin.scenarios.enrollments import enrollment_pk
from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500133"
WS = "w_optout"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d7f1"
TOKEN = "opt-out-token-0000000000000000000000000001"
USER = "U" + "7" * 32
SENDER = "shop@optout-salon.example.jp"  # the workspace's verified default sender
FRIEND_EMAIL = "hanako.optout@example.com"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def raw_emails(system: Any) -> list[email.message.Message]:
    with urllib.request.urlopen(f"{system.moto_endpoint}/moto-api/data.json", timeout=10) as response:
        data = json.loads(response.read())
    raws = (data.get("ses") or {}).get("RawMessage") or []
    messages = [email.message_from_string(str(r["raw_data"])) for r in raws]
    return [m for m in messages if m["To"] == FRIEND_EMAIL]


def body_of(message: email.message.Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return str(part.get_payload(decode=True).decode("utf-8"))


def page(method: str, url: str, form: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=form, method=method, headers=FORM if form is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def opt_out(api: str, sub: str, auth: dict[str, str]) -> dict[str, Any]:
    """The friend's state per channel (the answer's ``changes`` say when and how; checked separately)."""
    status, body = json_request("GET", f"{api}/api/subscribers/{sub}/opt-out", headers=auth)
    assert status == 200, body
    return {k: v for k, v in body.items() if k != "changes"}


def line_texts(emulator: Any) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in emulator.received(USER, CH)]


def test_opt_out_per_channel_page_headers_keyword_and_resubscribe(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)  # owner, sign-in, channel
    # a verified sender identity and the postal address every marketing e-mail needs (特定電子メール法)
    assert json_request("PATCH", f"{api}/api/workspace", {"postal_address": "東京都千代田区1-1"}, auth)[0] == 200
    assert json_request("POST", f"{api}/api/senders", {"from_address": SENDER, "kind": "address"}, auth)[0] == 201
    system.verify_ses_identity(SENDER)
    assert json_request("GET", f"{api}/api/senders?refresh=1", headers=auth)[1]["items"][0]["verified"] is True

    assert emulator.follow(CH, USER) == 200
    system.drain()
    status, friends = json_request("GET", f"{api}/api/subscribers", headers=auth)
    assert status == 200 and len(friends["items"]) == 1, friends
    sub = friends["items"][0]["subscriber_id"]
    status, _ = json_request("PATCH", f"{api}/api/subscribers/{sub}", {"email": FRIEND_EMAIL}, auth)
    assert status == 200

    mail = {"subject": "お知らせ", "text": "配信停止はこちら {{ unsubscribe_url }}"}
    status, scenario = json_request("POST", f"{api}/api/scenarios", {"name": "mail", "steps": [
        {"id": "m1", "email": mail},
        {"id": "m2", "timing": {"type": "after", "amount": 1, "unit": "hours"}, "email": mail},
        {"id": "l3", "timing": {"type": "after", "amount": 1, "unit": "hours"},
         "line": [{"type": "text", "text": "LINEのお知らせ"}]},
        {"id": "l4", "timing": {"type": "after", "amount": 1, "unit": "hours"},
         "line": [{"type": "text", "text": "LINEのお知らせ2"}]}]}, auth)
    assert status in (200, 201), scenario
    status, _ = json_request("POST", f"{api}/api/scenarios/{scenario['id']}/enrollments", {"subscriber_id": sub}, auth)
    assert status == 200
    system.advance(timedelta(minutes=1))
    system.drain()

    # the e-mail step: an absolute signed /u/ URL in the body and in List-Unsubscribe (RFC 8058 one-click)
    [first] = raw_emails(system)
    found = re.search(r"(https?://\S+/u/\S+)", body_of(first))
    assert found, body_of(first)
    url = found.group(1)
    assert " ".join(str(first["List-Unsubscribe"]).split()) == f"<{url}>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urllib.parse.urlparse(url).path

    # GET shows the page and changes nothing (a link preview must not unsubscribe)
    status, html = page("GET", f"{api}{path}")
    assert status == 200 and "配信を停止する" in html
    none = {"all": False, "line": False, "email": False, "sms": False}
    assert opt_out(api, sub, auth) == none

    # POST stops e-mail only
    status, html = page("POST", f"{api}{path}", b"action=stop&scope=email")
    assert status == 200 and "配信を停止しました" in html and "配信を再開する" in html
    assert opt_out(api, sub, auth) == {**none, "email": True}

    # the next e-mail step is skipped and counted; LINE goes on
    system.advance(timedelta(minutes=61))
    system.drain()
    assert len(raw_emails(system)) == 1
    row = Ledger().get(step_delivery_id(enrollment_pk(WS, sub), scenario["id"], 1, "m2", "email"))
    assert row is not None and row.status == "skipped_unsubscribed"
    system.advance(timedelta(minutes=61))
    system.drain()
    assert line_texts(emulator) == ["LINEのお知らせ"]

    # 配信停止 typed in LINE stops LINE, with a reply saying how to come back
    assert emulator.send_text(CH, USER, "配信停止") == 200
    system.drain()
    assert "配信再開" in line_texts(emulator)[-1]
    assert opt_out(api, sub, auth) == {**none, "email": True, "line": True}
    system.advance(timedelta(minutes=61))
    system.drain()
    assert "LINEのお知らせ2" not in line_texts(emulator)
    row = Ledger().get(step_delivery_id(enrollment_pk(WS, sub), scenario["id"], 1, "l4", "line"))
    assert row is not None and row.status == "skipped_unsubscribed"

    # re-subscribe from the page brings e-mail back
    status, html = page("POST", f"{api}{path}", b"action=resume")
    assert status == 200 and "配信を再開しました" in html
    assert opt_out(api, sub, auth) == {**none, "line": True}

    # the workspace's own keywords (settings): several, NFKC-matched; the reply names the resume keyword
    status, body = json_request("PUT", f"{api}/api/workspace/optout-keywords",
                                {"stop": ["ストップ", "配信停止"], "resume": ["スタート"]}, auth)
    assert status == 200, body
    assert emulator.send_text(CH, USER, "ｽﾀｰﾄ") == 200
    system.drain()
    assert opt_out(api, sub, auth)["line"] is False and "再開しました" in line_texts(emulator)[-1]
    assert emulator.send_text(CH, USER, "ストップ") == 200
    system.drain()
    assert opt_out(api, sub, auth)["line"] is True and "「スタート」" in line_texts(emulator)[-1]
    status, body = json_request("POST", f"{api}/api/auto-replies", {
        "name": "営業時間", "match_type": "contains", "keywords": ["スタ"], "priority": 1,
        "messages": [{"type": "text", "text": "10時から"}]}, auth)
    assert status in (200, 201), body
    status, body = json_request("PUT", f"{api}/api/workspace/optout-keywords",
                                {"stop": ["ストップ"], "resume": ["スタート"]}, auth)
    assert status == 422 and "「スタート」" in body["message"] and "「営業時間」" in body["message"], body

    # when and how each channel changed, for the friend page; opt-outs per day on the dashboard
    status, detail = json_request("GET", f"{api}/api/subscribers/{sub}/opt-out", headers=auth)
    assert detail["changes"]["line"]["via"] == "keyword" and detail["changes"]["email"]["via"] == "link"
    status, board = json_request("GET", f"{api}/api/dashboard?days=7", headers=auth)
    assert status == 200, board
    assert (board["opt_outs"]["stopped"], board["opt_outs"]["resumed"]) == (3, 2)  # e-mail, LINE twice
