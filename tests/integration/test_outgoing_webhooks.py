"""Issue 16, outgoing webhooks on the running local system: a friend follows and answers a form whose actions call a
webhook; the local receiver gets signed friend_added, action and form_submitted deliveries exactly once. An
endpoint answering 500 is retried (same event ID) until it answers 200; a permanently refused delivery is replayed
from the admin API."""

from __future__ import annotations

import re
import urllib.parse
from collections import Counter
from typing import Any

import pytest

from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500181"
WS = "w_outgoing_hooks"
SECRET = "9d4c1b2a3e5f60718293a4b5c6d7e816"
TOKEN = "outgoing-hooks-token-000000000000000016"
USER = "U" + "b7" * 16


def _endpoint(system: Any, auth: dict[str, str], name: str, events: list[str]) -> str:
    receiver = system.webhook_receiver
    status, created = json_request("POST", f"{system.base_url}/api/webhooks",
                                   {"url": receiver.url(name), "description": name, "events": events}, auth)
    assert status == 201, created
    receiver.set_secret(name, created["secret"])
    return str(created["endpoint_id"])


def _deliveries(system: Any, auth: dict[str, str], endpoint_id: str) -> list[dict[str, Any]]:
    status, listed = json_request("GET", f"{system.base_url}/api/webhooks/deliveries?endpoint={endpoint_id}",
                                  None, auth)
    assert status == 200, listed
    return list(listed["items"])


def test_signed_deliveries_once_retry_and_replay(local_system: Any) -> None:
    system = local_system
    base = system.base_url
    receiver = system.webhook_receiver
    assert receiver is not None, "the local system starts a webhook receiver"
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    crm = _endpoint(system, auth, "it-crm", ["friend_added", "form_submitted"])

    # ------------------------------------------------------------------ friend_added, once
    assert system.line_emulator.follow(CH, USER) == 200
    system.drain()
    arrived = receiver.deliveries("it-crm")
    assert [d["type"] for d in arrived] == ["friend_added"], arrived
    assert arrived[0]["signature_valid"] is True
    assert arrived[0]["body"]["data"]["line_user_id"] == USER
    assert arrived[0]["headers"]["haishin-event-id"] == arrived[0]["body"]["id"]

    # ------------------------------------------------------------------ a form with call_webhook, once
    status, form = json_request("POST", f"{base}/api/forms", {
        "name": "資料請求", "title": "資料請求フォーム",
        "fields": [{"key": "email", "label": "メール", "type": "email", "required": True}],
        "actions": [{"type": "call_webhook", "endpoint_id": crm}]}, auth)
    assert status == 201, form
    status, _, text = raw_request("GET", f"{base}/f/{form['form_id']}")
    assert status == 200, text[:500]
    nonce = re.search(r'name="_nonce"\s+value="([^"]+)"', text) or re.search(r'value="([^"]+)"\s+name="_nonce"', text)
    assert nonce, text[:2000]
    answer = urllib.parse.urlencode({"email": "buyer@example.com", "_nonce": nonce.group(1), "website": ""}).encode()
    for _ in range(2):  # a double click: one submission
        status, _, text = raw_request("POST", f"{base}/f/{form['form_id']}", answer,
                                      {"content-type": "application/x-www-form-urlencoded"})
        assert status == 200, text[:1000]
    system.drain()
    arrived = receiver.deliveries("it-crm")
    assert Counter(d["type"] for d in arrived) == {"friend_added": 1, "action": 1, "form_submitted": 1}, arrived
    assert all(d["signature_valid"] is True for d in arrived)
    form_event = next(d for d in arrived if d["type"] == "form_submitted")
    assert form_event["body"]["data"]["answers"] == {"email": "buyer@example.com"}
    assert {d["status"] for d in _deliveries(system, auth, crm)} == {"delivered"}

    # ------------------------------------------------------------------ 500: retried with the same event ID
    flaky = _endpoint(system, auth, "it-flaky", [])
    receiver.respond("it-flaky", 500, times=1)
    status, test = json_request("POST", f"{base}/api/webhooks/{flaky}/test", {}, auth)
    assert status == 202, test
    system.drain(timeout=90)  # the retry waits its backoff (about 30 s) in the queue, then arrives
    arrived = receiver.deliveries("it-flaky")
    assert [d["answered"] for d in arrived] == [500, 200], arrived
    assert len({d["event_id"] for d in arrived}) == 1
    assert [d["headers"]["haishin-delivery-attempt"] for d in arrived] == ["1", "2"]
    [delivery] = _deliveries(system, auth, flaky)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 200]

    # ------------------------------------------------------------------ 400: not retried; replayed from the admin
    refusing = _endpoint(system, auth, "it-refusing", [])
    receiver.respond("it-refusing", 400, times=1)
    status, test = json_request("POST", f"{base}/api/webhooks/{refusing}/test", {}, auth)
    assert status == 202, test
    system.drain()
    [delivery] = _deliveries(system, auth, refusing)
    assert (delivery["status"], delivery["last_status_code"]) == ("failed", 400)
    status, replayed = json_request("POST", f"{base}/api/webhooks/deliveries/{delivery['delivery_id']}/replay",
                                    {}, auth)
    assert status == 202, replayed
    system.drain()
    arrived = receiver.deliveries("it-refusing")
    assert [d["answered"] for d in arrived] == [400, 200] and len({d["event_id"] for d in arrived}) == 1
    [delivery] = _deliveries(system, auth, refusing)
    assert delivery["status"] == "delivered"
