"""Through the running local system: the marketer's "send now" rides out a short LINE 429 burst on the quota read,
and a longer LINE outage answers 503 with a Japanese message (not a 502 with LINE's raw text). The LINE emulator
injects the faults."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500099"
WS = "w_resilience"
SECRET = "7c3c0a1b2d4e5f60718293a4b5c6d7e9"
TOKEN = "delivery-resilience-token-000000000000001"


def test_send_now_through_a_throttling_burst_and_a_clear_503_for_a_longer_outage(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, webhook=False)  # owner, sign-in, channel
    broadcast = {"name": "セール", "channel": "line", "everyone": True,
                 "content": {"line": [{"type": "text", "text": "本日限りのセールです"}]}}
    try:
        status, first = json_request("POST", f"{system.base_url}/api/broadcasts", broadcast, auth)
        assert status == 201, first
        emulator.set_faults(throttle_burst=2, endpoints=["quota"])
        status, sent = json_request("POST", f"{system.base_url}/api/broadcasts/{first['broadcast_id']}/send",
                                    None, auth)
        assert status == 202, sent  # one click, through the burst

        status, second = json_request("POST", f"{system.base_url}/api/broadcasts", broadcast, auth)
        assert status == 201, second
        emulator.set_faults(error_rate=1.0, status=500, endpoints=["quota"])
        status, answer = json_request("POST", f"{system.base_url}/api/broadcasts/{second['broadcast_id']}/send",
                                      None, auth)
        assert status == 503, answer
        assert answer["code"] == "line_unavailable" and "もう一度" in answer["message"]
        assert "Internal server error" not in str(answer)
    finally:
        emulator.clear_faults()
