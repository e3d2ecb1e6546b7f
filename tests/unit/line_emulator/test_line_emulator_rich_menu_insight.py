"""LINE's rich menu insight in the emulator, read with the real line-bot-sdk: impressions when the phone shows the menu
open, clicks per area when tapped, LINE's rules (figures by the next day, only ``richMenuId`` below 20 unique
clickers, period limits, unknown menus) and the control API's way to make "tomorrow" come now."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from le_helpers import CHANNEL_ID, TOKEN, call
from linebot.v3.insight import ApiClient as InsightClient
from linebot.v3.insight import Configuration as InsightConfiguration
from linebot.v3.insight import Insight

from haishin import clock
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
SUMMARY = "/v2/bot/insight/richmenu/{}/summary"
AREAS = [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843}, "action": {"type": "uri", "uri": "https://a.example/"}},
         {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
          "action": {"type": "message", "text": "予約"}}]


@pytest.fixture
def manual_clock() -> Any:
    manual = clock.ManualClock(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))  # 12:00 JST, 10 March
    previous = clock.install(manual)
    yield manual
    clock.install(previous)


def _menu(emulator: LineEmulator) -> str:
    menu_id = emulator.create_rich_menu(CHANNEL_ID, {
        "size": {"width": 2500, "height": 843}, "selected": True, "name": "main", "chatBarText": "メニュー",
        "areas": AREAS})
    status, _, _ = call(emulator, "POST", f"/v2/bot/user/all/richmenu/{menu_id}", None)
    assert status == 200
    return menu_id


def _friends(emulator: LineEmulator, n: int) -> list[str]:
    users = [f"U{i:032x}" for i in range(100, 100 + n)]
    for user in users:
        emulator.add_user(user, f"友だち{user[-3:]}")
        emulator.follow(CHANNEL_ID, user)
    return users


def _summary(emulator: LineEmulator, menu_id: str, since: str, until: str) -> tuple[int, Any]:
    status, body, _ = call(emulator, "GET", SUMMARY.format(menu_id) + f"?from={since}&to={until}")
    return status, body


def test_impressions_and_clicks_per_area_next_day_with_the_sdk(emulator: LineEmulator, manual_clock: Any) -> None:
    menu_id = _menu(emulator)
    users = _friends(emulator, 21)
    for user in users:  # 21 see the menu; 20 tap the left area, one of them twice; 3 tap the right one
        emulator.rich_menu_seen(CHANNEL_ID, user, menu_id)
    for user in users[:20]:
        emulator.rich_menu_tap(CHANNEL_ID, user, menu_id, 0)
    emulator.rich_menu_tap(CHANNEL_ID, users[0], menu_id, 0)
    for user in users[:3]:
        emulator.rich_menu_tap(CHANNEL_ID, user, menu_id, 1)

    # today's figures are not aggregated yet: only the rich menu ID
    assert _summary(emulator, menu_id, "20260301", "20260310") == (200, {"richMenuId": menu_id})

    manual_clock.advance(timedelta(days=1))  # 11 March: yesterday's figures are there, the period clipped to it
    status, body = _summary(emulator, menu_id, "20260301", "20260331")
    assert status == 200
    assert body == {
        "richMenuId": menu_id, "metricsFrom": "20260301", "metricsTo": "20260310",
        "impression": {"metrics": {"count": 21, "uniqueUsers": 21}},
        "clicks": [{"bounds": AREAS[0]["bounds"], "metrics": {"count": 21, "uniqueUsers": 20}},
                   {"bounds": AREAS[1]["bounds"], "metrics": {"count": 3, "uniqueUsers": 3}}],
    }
    # the real SDK reads it (Insight.get_rich_menu_insight_summary, as LineClient.rich_menu_insight calls it)
    with InsightClient(InsightConfiguration(host=emulator.base_url, access_token=TOKEN)) as client:
        read = Insight(client).get_rich_menu_insight_summary(menu_id, "20260301", "20260331")
    assert read.rich_menu_id == menu_id
    assert (read.impression.metrics.count, read.impression.metrics.unique_users) == (21, 21)
    assert [(c.bounds.x, c.metrics.count, c.metrics.unique_users) for c in read.clicks] == [(0, 21, 20), (1250, 3, 3)]

    # a period that ends before the taps covers nothing above the threshold
    assert _summary(emulator, menu_id, "20260301", "20260309") == (200, {"richMenuId": menu_id})


def test_fewer_than_20_unique_clickers_answer_only_the_menu_id(emulator: LineEmulator, manual_clock: Any) -> None:
    menu_id = _menu(emulator)
    users = _friends(emulator, 25)
    for user in users:
        emulator.rich_menu_seen(CHANNEL_ID, user, menu_id)
    for user in users[:19]:  # 19 unique clickers, many taps
        for _ in range(3):
            emulator.rich_menu_tap(CHANNEL_ID, user, menu_id, 0)
    manual_clock.advance(timedelta(days=1))
    assert _summary(emulator, menu_id, "20260310", "20260310") == (200, {"richMenuId": menu_id})


def test_control_api_ages_the_events_so_they_count_now(emulator: LineEmulator, manual_clock: Any) -> None:
    menu_id = _menu(emulator)
    users = _friends(emulator, 20)
    for user in users:
        emulator.rich_menu_tap(CHANNEL_ID, user, menu_id, 1)
    request = urllib.request.Request(emulator.base_url + "/_emulator/richmenu_insight/age", method="POST",
                                     data=json.dumps({"days": 1}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read()) == {"events": 20}
    status, body = _summary(emulator, menu_id, "20260309", "20260310")
    assert status == 200
    assert (body["metricsFrom"], body["metricsTo"]) == ("20260309", "20260309")
    assert body["impression"] == {"metrics": {"count": 0, "uniqueUsers": 0}}
    assert [c["metrics"]["uniqueUsers"] for c in body["clicks"]] == [0, 20]


def test_phone_page_reports_impressions_and_only_for_the_menu_shown(emulator: LineEmulator) -> None:
    menu_id = _menu(emulator)
    other = emulator.create_rich_menu(CHANNEL_ID, {"size": {"width": 2500, "height": 843}, "selected": False,
                                                   "name": "other", "chatBarText": "ほか", "areas": AREAS})
    user = _friends(emulator, 1)[0]
    request = urllib.request.Request(emulator.base_url + "/_emulator/phone/richmenu_seen", method="POST",
                                     data=json.dumps({"channel_id": CHANNEL_ID, "user_id": user,
                                                      "menu_id": menu_id}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert [(e.menu_id, e.kind) for e in emulator.menu_insight.events] == [(menu_id, "impression")]
    with pytest.raises(ValueError, match="not the one the friend sees"):
        emulator.rich_menu_seen(CHANNEL_ID, user, other)


@pytest.mark.parametrize(("since", "until", "message"), [
    ("", "20260310", "from is required"),
    ("2026031", "20260310", "yyyyMMdd"),
    ("20260310", "20260309", "same as or later"),
    ("20250101", "20260202", "396 days"),
    ("20230309", "20230310", "3 years"),
])
def test_period_rules(emulator: LineEmulator, manual_clock: Any, since: str, until: str, message: str) -> None:
    menu_id = _menu(emulator)
    status, body = _summary(emulator, menu_id, since, until)
    assert status == 400
    assert message in body["message"]


def test_unknown_menu_is_not_found(emulator: LineEmulator, manual_clock: Any) -> None:
    status, body = _summary(emulator, "richmenu-" + "0" * 32, "20260301", "20260310")
    assert (status, body["message"]) == (404, "richmenu not found")
