"""Broadcasts respect the workspace's quiet hours (配信停止時間帯) through the running local system: "send now" inside
the window says when it will go instead and sends nothing until then; the Scheduler fires it at the window's end; an
urgent broadcast that opts out goes at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from haishin import clock
from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500177"
SECRET = "5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"
TOKEN = "quiet-hours-token-00000000000000000000001"
WS = "w_quiet_hours"
USER = "U" + "5" * 32


def test_send_now_in_quiet_hours_goes_out_at_their_end_and_urgent_goes_at_once(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    assert emulator.follow(CH, USER) == 200
    system.drain()
    tokyo = clock.now().astimezone(ZoneInfo("Asia/Tokyo"))
    start, end = (tokyo - timedelta(hours=1)), (tokyo + timedelta(hours=1, minutes=1))
    status, settings = json_request("PATCH", f"{api}/api/workspace", {
        "time_zone": "Asia/Tokyo", "quiet_hours_start": f"{start:%H:%M}", "quiet_hours_end": f"{end:%H:%M}"}, auth)
    assert status == 200, settings

    def texts() -> list[str]:
        return [str((d.get("message") or {}).get("text")) for d in emulator.received(USER, CH)]

    status, night = json_request("POST", f"{api}/api/broadcasts", {
        "name": "新メニューのお知らせ", "channel": "line", "everyone": True,
        "content": {"line": [{"type": "text", "text": "新メニューが始まりました"}]}}, auth)
    assert status == 201, night
    status, sent = json_request("POST", f"{api}/api/broadcasts/{night['broadcast_id']}/send", None, auth)
    assert status in (200, 202), sent
    assert sent["deferred"]["until_local"].endswith(f"{end:%H:%M}") and "配信停止時間帯" in sent["deferred"]["reason"]
    system.drain()
    assert "新メニューが始まりました" not in texts()  # nothing inside the window

    status, urgent = json_request("POST", f"{api}/api/broadcasts", {
        "name": "臨時休業", "channel": "line", "everyone": True, "respect_quiet_hours": False,
        "content": {"line": [{"type": "text", "text": "本日は臨時休業です"}]}}, auth)
    assert status == 201, urgent
    status, sent = json_request("POST", f"{api}/api/broadcasts/{urgent['broadcast_id']}/send", None, auth)
    assert status in (200, 202) and not sent.get("deferred"), sent
    system.drain()
    assert texts().count("本日は臨時休業です") == 1

    system.advance(timedelta(hours=1, minutes=2))  # the window ends: the Scheduler fires the deferred broadcast
    system.drain()
    assert texts().count("新メニューが始まりました") == 1
