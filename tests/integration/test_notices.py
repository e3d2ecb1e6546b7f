"""Through the running local system: a seminar's one-off LINE notice (a waitlisted friend moved up) goes through
DeliveryQueue and the delivery worker. LINE answers the first push with a 500 (the emulator's fault injection, once):
the friend still gets the notice, exactly once, and nothing stays in the delivery error log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500121"
WS = "w_notices"
SECRET = "7c3c0a1b2d4e5f60718293a4b5c6d121"
TOKEN = "notices-token-0000000000000000000000000121"
SEATED, WAITING = "U" + "e1" * 16, "U" + "e2" * 16


def texts(emulator: Any, user: str) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in emulator.received(user, CH)]


def test_a_move_up_notice_survives_a_line_500_and_arrives_once(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    base = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends={SEATED: "先客", WAITING: "待ち人"})
    status, friends = json_request("GET", f"{base}/api/subscribers?limit=50", None, auth)
    assert status == 200, friends
    ids = {f.get("display_name"): f["subscriber_id"] for f in friends["items"]}
    seated, waiting = ids["先客"], ids["待ち人"]

    status, seminar = json_request("POST", f"{base}/api/seminars", {"title": "通知セミナー"}, auth)
    assert status == 201, seminar
    sid = seminar["event_id"]
    status, session = json_request("POST", f"{base}/api/seminars/{sid}/sessions", {
        "starts_at": "2031-03-10T19:00:00", "ends_at": "2031-03-10T21:00:00", "venue": "渋谷", "capacity": 1}, auth)
    assert status == 201, session
    status, held = json_request("POST", f"{base}/api/seminars/{sid}/registrations",
                                {"subscriber_id": seated, "session_id": session["session_id"]}, auth)
    assert status == 201 and held["status"] == "confirmed", held
    status, queued = json_request("POST", f"{base}/api/seminars/{sid}/registrations",
                                  {"subscriber_id": waiting, "session_id": session["session_id"]}, auth)
    assert status == 201 and queued["status"] == "waitlisted", queued
    system.drain()
    before = texts(emulator, WAITING)

    emulator.set_faults(error_burst=1, status=500, endpoints=["push"])
    try:
        status, answer = json_request("POST", f"{base}/api/seminars/{sid}/registrations/"
                                      f"{held['registration_id']}/cancel", None, auth)
        assert status == 200 and answer["cancelled"], answer
        system.drain()
        assert emulator.faults()["error_burst"] == 0  # LINE did answer the notice's first push with a 500
    finally:
        emulator.clear_faults()
    told = [t for t in texts(emulator, WAITING)[len(before):] if "空きが出たため" in t]
    assert told == ["キャンセル待ちの「通知セミナー」(3月10日 19:00) に空きが出たため、お申込みが確定しました。"]
    status, errors = json_request("GET", f"{base}/api/deliveries/errors", None, auth)
    assert status == 200 and errors["items"] == [], errors
