"""LIFF through the running local system: the channel's LIFF ID set in the admin API (refused when malformed), the
bundled LIFF script served by the pages function, LINE (the emulator) opening a LIFF URL for a friend with a real
ID token in the LIFF context, the page posting it (checked by the emulator's /oauth2/v2.1/verify), the form sent with
the token it got (no token in any URL), ``liff.sendMessages`` posting into the chat with the webhook message event,
and forged / other-channel ID tokens refused in Japanese with nothing stored."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500297"
SECRET = "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e97"
TOKEN = "liff-token-00000000000000000000000000297"
LOGIN_ID = "2234500297"
LOGIN_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e197"
WS = "w_liff"
USER = "U" + "8" * 31 + "7"


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    return raw_request("POST", url, urllib.parse.urlencode(fields).encode(),
                       {"content-type": "application/x-www-form-urlencoded"})


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, page
    return match.group(1)


def test_a_form_opened_as_liff_is_sent_as_the_friend_line_knows(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends={USER: "木村 蓮"})
    status, channel = json_request("PUT", f"{api}/api/channels/{CH}/login", {
        "login_channel_id": LOGIN_ID, "login_channel_secret": LOGIN_SECRET}, auth)
    assert status == 200, channel
    assert channel["liff_endpoint_url"] == f"{api}/liff/{CH}" and channel["liff_id"] is None
    system.line_emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [], bot_channel_id=CH)
    liff_id = system.line_emulator.liff.add(LOGIN_ID, channel["liff_endpoint_url"])["liffId"]

    status, refused = json_request("PUT", f"{api}/api/channels/{CH}/liff", {"liff_id": "2234500297_bad"}, auth)
    assert status == 422 and refused["where"] == "liff_id" and "LIFF ID の形式" in refused["message"], refused
    status, refused = json_request("PUT", f"{api}/api/channels/{CH}/liff", {"liff_id": "1111111111-AbCd1234"}, auth)
    assert status == 422 and "ものではありません" in refused["message"], refused
    status, channel = json_request("PUT", f"{api}/api/channels/{CH}/liff", {"liff_id": liff_id}, auth)
    assert status == 200 and channel["liff_id"] == liff_id, channel

    status, headers, script = raw_request("GET", f"{api}/liff/app.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript"), script[:200]
    assert "liff.line.me" in script  # the official SDK, bundled: the page loads nothing from the internet

    status, form = json_request("POST", f"{api}/api/forms", {
        "name": "予約前アンケート", "title": "予約前アンケート", "channel_id": CH,
        "fields": [{"key": "name_kana", "label": "お名前 (カナ)", "type": "text", "required": True}]}, auth)
    assert status == 201, form

    # LINE opens the LIFF URL for the friend: the endpoint + path, the LIFF context (ID token) in the fragment
    opener = (f"{system.line_emulator.base_url}/_emulator/liff/open?user={USER}&url="
              + urllib.parse.quote(f"https://liff.line.me/{liff_id}/f/{form['form_id']}", safe=""))
    status, headers, _ = raw_request("GET", opener)
    assert status == 302
    location = urllib.parse.urlsplit(headers["location"])
    page_url = urllib.parse.urlunsplit(location._replace(fragment=""))
    assert page_url == f"{api}/liff/{CH}/f/{form['form_id']}"
    raw = location.fragment.removeprefix("liff-mock=")
    context = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))

    status, headers, shell = raw_request("GET", page_url)
    assert status == 200 and f'data-liff-id="{liff_id}"' in shell and 'data-mock="1"' in shell
    assert f'src="{api}/liff/app.js"' in shell
    assert system.line_emulator.base_url in headers["content-security-policy"]

    # forged, other channel's: refused in Japanese, nothing stored
    forged = system.line_emulator.login.issue_id_token(LOGIN_ID, USER, secret="0" * 32)
    for bad in (forged, "x.y.z"):
        status, _, page = post_form(page_url, {"id_token": bad})
        assert status == 403 and "LINE で本人確認ができませんでした" in page and 'name="t"' not in page

    status, _, page = post_form(page_url, {"id_token": context["idToken"]})
    assert status == 200 and "お名前 (カナ)" in page, page
    status, headers, done = post_form(f"{api}/f/{form['form_id']}", {
        "name_kana": "キムラ レン", "_nonce": hidden(page, "_nonce"), "t": hidden(page, "t"),
        "_liff": hidden(page, "_liff"), "website": ""})
    assert status == 200 and 'data-mode="done"' in done and 'data-send="フォームを送信しました"' in done, done

    # liff.sendMessages (the mock plugin sends it to the emulator): the friend's message, with the webhook event
    status, headers, sent = raw_request("POST", f"{system.line_emulator.base_url}/_emulator/liff/send", json.dumps({
        "liff_id": liff_id, "id_token": context["idToken"],
        "messages": [{"type": "text", "text": "フォームを送信しました"}]}).encode(), {"content-type": "text/plain"})
    assert status == 200 and json.loads(sent)["status"] == 200, sent
    system.drain()

    status, listed = json_request("GET", f"{api}/api/subscribers", headers=auth)
    [friend] = [f for f in listed["items"] if f.get("display_name") == "木村 蓮"]
    status, detail = json_request("GET", f"{api}/api/subscribers/{friend['subscriber_id']}", headers=auth)
    assert detail["forms_answered"] == [form["form_id"]]
    status, chat = json_request("GET", f"{api}/api/subscribers/{friend['subscriber_id']}/chat", headers=auth)
    assert "フォームを送信しました" in json.dumps(chat, ensure_ascii=False)
    status, listed = json_request("GET", f"{api}/api/subscribers", headers=auth)
    assert len(listed["items"]) == 1  # the refusals made no contact
