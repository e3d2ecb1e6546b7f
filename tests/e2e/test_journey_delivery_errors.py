"""Journey: LINE is down while a broadcast goes out; every retry fails and the delivery lands in the dead-letter
queue (a real one: the planner's message, SQS's redrive after maxReceiveCount). The marketer opens 配信エラー, sees
the held delivery with LINE's error, LINE comes back, they resend it behind a confirm and see how many were
resent; the friend receives the message. The error log shows the failure. Then the screen on a phone (390 px).

Real local system (LocalSystem + LINE emulator), shared by the journeys of this process, in its own workspace. To
reach the DLQ in seconds (not the ~20 minutes of real backoff), the delivery worker runs with a short invocation
budget and the pump's 1 s redelivery: the same code, a shorter clock.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from haishin.delivery.worker import HAND_BACK_MARGIN_S
from tests.support.http import json_request
from tests.support.local import connect_workspace

from .helpers import dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000182"
SECRET = "0123456789abcdef0123456789ab0182"
TOKEN = "e2e-dead-letters-token-" + "d" * 40
WS = "ws_e2e_deadletters"
OWNER = "owner@ws-e2e-deadletters.example.com"  # what connect_workspace derives from WS
USER = "U" + "9" * 32
TEXT = "本日限りのクーポンです(e2e 配信エラー)"


class ShortContext:
    """The Lambda context the worker sees: little time left, so a LINE outage ends the attempt quickly."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_remaining_time_in_millis(self) -> int:
        return int((HAND_BACK_MARGIN_S + 1.5) * 1000)


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    auth, _ = connect_workspace(s, WS, CH, SECRET, TOKEN)
    s.line_emulator.add_user(USER, "鈴木 三郎")
    assert s.line_emulator.follow(CH, USER) == 200
    s.drain()
    real = importlib.import_module("functions.delivery_worker.app").lambda_handler
    s.override_handler("DeliveryWorkerFunction", lambda event, context: real(event, ShortContext(context)))
    s.line_emulator.set_faults(error_rate=1.0, status=500, endpoints=["push", "multicast"])
    try:
        broadcast = {"name": "障害中のセール", "channel": "line", "everyone": True,
                     "content": {"line": [{"type": "text", "text": TEXT}]}}
        status, created = json_request("POST", f"{s.base_url}/api/broadcasts", broadcast, auth)
        assert status == 201, created
        status, sent = json_request("POST", f"{s.base_url}/api/broadcasts/{created['broadcast_id']}/send", None, auth)
        assert status == 202, sent
        s.drain(timeout=120)  # every receive fails; SQS moves the message to the DLQ after maxReceiveCount
    finally:
        s.line_emulator.clear_faults()
        s.override_handler("DeliveryWorkerFunction", real)
    yield s


@pytest.mark.viewport(390, 844)
def test_a_held_delivery_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    """Runs first (file order): the delivery is still held."""
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.get_by_test_id("mobile-menu-button").click()
    page.locator("[data-nav='/deliveries']").last.click()
    page.get_by_test_id("dead-letters").wait_for()
    page.get_by_test_id("replay").wait_for()
    page.screenshot(path=str(snap("phone").with_name("test_a_held_delivery_on_a_phone-viewport.png")))
    assert browser_errors == []


def test_see_a_held_delivery_resend_it_and_the_friend_receives_it(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    assert not [r for r in system.line_emulator.received(USER) if TEXT in str(r)]
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.locator("nav.sidebar [data-nav='/deliveries']").click()
    held = page.get_by_test_id("dead-letters")
    held.wait_for()
    assert held.locator("tbody tr").count() == 1
    assert "HTTP 500" in held.inner_text()  # LINE's answer, as the ledger recorded it
    snap("held")

    # the error log names the same failure, with the friend it was for
    page.locator("[data-tab=errors]").click()
    log = page.get_by_test_id("delivery-errors")
    log.wait_for()
    assert "HTTP 500" in log.inner_text() and "一斉配信" in log.inner_text()
    snap("error-log")

    # LINE is back (the fixture cleared the faults): resend, behind a confirm
    page.locator("[data-tab=dead]").click()
    held.wait_for()
    page.get_by_test_id("replay").click()
    assert "保留中の配信 1 件を再送しますか?" in page.locator(".confirm").inner_text()
    assert held.locator("tbody tr").count() == 1  # nothing resent yet
    page.get_by_test_id("replay-confirm").click()
    assert "1 件を再送しました。" in page.get_by_test_id("replay-result").inner_text()
    page.get_by_test_id("list-empty").wait_for()
    snap("resent")
    system.drain()
    texts = [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(USER)]
    assert texts.count(TEXT) == 1, texts

    page.locator("[data-tab=errors]").click()
    page.get_by_test_id("list-empty").wait_for()  # sent now: no longer an error
    assert browser_errors == []
