"""Issue 16 on the local system: adding a tag through the admin API enrolls the friend in the scenario whose
trigger is that tag (the step arrives in the LINE emulator), once; a form answer 090-... is stored as +8190...."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from datetime import timedelta
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500161"
WS = "w_tag_triggers"
SECRET = "8c3c0a1b2d4e5f60718293a4b5c6d716"
TOKEN = "tag-triggers-token-00000000000000000016"
USER = "U" + "a1" * 16


def _raw(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, str]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _texts(emulator: Any) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in emulator.received(USER, CH)]


def test_tag_added_trigger_and_form_phone_in_e164(local_system: Any) -> None:
    from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415 - models read endpoints on load

    system = local_system
    base = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)  # owner, sign-in, channel
    assert emulator.follow(CH, USER) == 200
    system.drain()
    subscribers = SubscriberRepository()
    friend = subscribers.find_by_line_user(WS, CH, USER)
    assert friend is not None
    sid = friend.subscriber_id

    # ------------------------------------------------------------------ tag_added trigger
    status, tag = json_request("POST", f"{base}/api/tags", {"name": "VIP"}, auth)
    assert status in (200, 201), tag
    status, scenario = json_request("POST", f"{base}/api/scenarios", {
        "name": "vip-welcome", "triggers": [{"type": "tag_added", "tag": "VIP"}],
        "steps": [{"id": "s1", "line": [{"type": "text", "text": "VIP限定のご案内です"}]}]}, auth)
    assert status in (200, 201), scenario
    status, patched = json_request("PATCH", f"{base}/api/subscribers/{sid}", {"add_tags": ["VIP"]}, auth)
    assert status == 200, patched
    status, patched = json_request("PATCH", f"{base}/api/subscribers/{sid}", {"add_tags": ["VIP"]}, auth)
    assert status == 200, patched  # already tagged: no second trigger
    system.drain()
    system.advance(timedelta(minutes=1))
    system.drain()
    system.advance(timedelta(minutes=1))
    system.drain()
    assert _texts(emulator).count("VIP限定のご案内です") == 1, _texts(emulator)

    # ------------------------------------------------------------------ form phone -> E.164
    status, form = json_request("POST", f"{base}/api/forms", {
        "name": "電話番号", "title": "お電話番号の登録",
        "fields": [{"key": "tel", "label": "電話番号", "type": "phone", "required": True}]}, auth)
    assert status == 201, form
    form_id = form["form_id"]
    status, link = json_request("POST", f"{base}/api/forms/{form_id}/link", {"subscriber_id": sid}, auth)
    assert status == 200, link
    status, page = _raw("GET", link["url"])
    assert status == 200, page[:500]
    found = re.search(r'name="_nonce"\s+value="([^"]+)"', page) or re.search(r'value="([^"]+)"\s+name="_nonce"', page)
    assert found, page[:2000]
    post_headers = {"content-type": "application/x-www-form-urlencoded"}
    bad = urllib.parse.urlencode({"tel": "12-34", "_nonce": found.group(1), "website": "",
                                  "t": link["token"]}).encode()
    status, answer = _raw("POST", f"{base}/f/{form_id}", bad, post_headers)
    assert "電話番号の形式が正しくありません" in answer, answer[:1000]
    good = urllib.parse.urlencode({"tel": "０９０-１２３４-５６７８", "_nonce": found.group(1), "website": "",
                                   "t": link["token"]}).encode()
    status, answer = _raw("POST", f"{base}/f/{form_id}", good, post_headers)
    assert status == 200 and "送信が完了しました" in answer, answer[:1000]
    system.drain()
    status, detail = json_request("GET", f"{base}/api/subscribers/{sid}", None, auth)
    assert status == 200, detail
    assert detail["phone"] == "+819012345678", detail
    assert subscribers.find_by_phone(WS, "+81 90 1234 5678").subscriber_id == sid
