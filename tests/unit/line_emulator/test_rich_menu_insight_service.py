"""RichMenuService.stats fills ``line_insight`` from LINE's rich menu insight, read by our LineClient (the real
line-bot-sdk) from the in-process emulator: LINE's figures per area matched to our areas by bounds, the note when
LINE hides them (below the privacy threshold, or not aggregated until the next day)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from le_helpers import CHANNEL_ID, TOKEN, call

from haishin import clock
from haishin.line.client import LineClient
from haishin.richmenus.repository import RichMenuModel
from haishin.richmenus.service import RichMenuService
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
WS = "ws_insight"
LEFT = {"x": 0, "y": 0, "width": 1250, "height": 843}
RIGHT = {"x": 1250, "y": 0, "width": 1250, "height": 843}


class _Repository:
    def __init__(self, menu: RichMenuModel) -> None:
        self.menu = menu

    def require(self, workspace_id: str, menu_id: str) -> RichMenuModel:
        assert (workspace_id, menu_id) == (WS, self.menu.menu_id)
        return self.menu

    def taps(self, *_args: Any) -> Iterator[tuple[str, int, int, int]]:
        return iter(())


class _Track:
    def counts(self, *_args: Any) -> dict[str, tuple[int, int]]:
        return {}


class _Clients:
    def __init__(self, client: LineClient) -> None:
        self.client = client

    def for_channel(self, workspace_id: str, channel_id: str) -> LineClient:
        assert (workspace_id, channel_id) == (WS, CHANNEL_ID)
        return self.client


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))  # 12:00 JST, 10 March
    previous = clock.install(manual)
    yield manual
    clock.install(previous)


def test_stats_fill_line_insight_from_the_emulator(emulator: LineEmulator, manual_clock: clock.ManualClock) -> None:
    line_menu = emulator.create_rich_menu(CHANNEL_ID, {
        "size": {"width": 2500, "height": 843}, "selected": True, "name": "main", "chatBarText": "メニュー",
        "areas": [{"bounds": LEFT, "action": {"type": "postback", "data": "haishin:rm:rmn_1:0"}},
                  {"bounds": RIGHT, "action": {"type": "message", "text": "予約"}}]})
    assert call(emulator, "POST", f"/v2/bot/user/all/richmenu/{line_menu}", None)[0] == 200
    menu = RichMenuModel(pk=f"ws#{WS}", sk="richmenu#rmn_1", workspace_id=WS, menu_id="rmn_1", name="main",
                         channel_id=CHANNEL_ID, width=2500, height=843, chat_bar_text="メニュー",
                         areas=[{"bounds": RIGHT, "action": {"type": "message", "text": "予約"}, "label": "予約"},
                                {"bounds": LEFT, "action": {"type": "postback", "actions": []}, "label": "クーポン"}],
                         line_rich_menu_id=line_menu, status="published", created_at=clock.now(),
                         updated_at=clock.now())
    client = LineClient(TOKEN, base_url=emulator.base_url)
    service = RichMenuService(line_clients=_Clients(client), track=_Track(), actions=object(),  # type: ignore[arg-type]
                              repository=_Repository(menu), liff_url=lambda *_: "")  # type: ignore[arg-type]
    users = [f"U{i:032x}" for i in range(200, 222)]
    for user in users:
        emulator.add_user(user, user[-3:])
        emulator.follow(CHANNEL_ID, user)
        emulator.rich_menu_seen(CHANNEL_ID, user, line_menu)
    for user in users[:19]:
        emulator.rich_menu_tap(CHANNEL_ID, user, line_menu, 1)  # the message area: our own counters never see it
    try:
        stats = service.stats(WS, "rmn_1", date(2026, 3, 1), date(2026, 3, 10))
        assert stats["line_insight"] is None and "翌日に集計" in stats["line_insight_note"]  # today's: not yet

        manual_clock.advance(timedelta(days=1))
        stats = service.stats(WS, "rmn_1", date(2026, 3, 1), date(2026, 3, 10))
        assert stats["line_insight"] is None and "プライバシー" in stats["line_insight_note"]  # 19 < 20 clickers
        assert "翌日" not in stats["line_insight_note"]

        manual_clock.advance(timedelta(hours=-24))
        emulator.rich_menu_tap(CHANNEL_ID, users[19], line_menu, 0)  # the 20th friend taps the other area
        emulator.rich_menu_tap(CHANNEL_ID, users[19], line_menu, 0)
        manual_clock.advance(timedelta(days=1))
        stats = service.stats(WS, "rmn_1", date(2026, 3, 1), date(2026, 3, 11))
    finally:
        client.close()
    assert stats["line_insight_note"] is None
    assert stats["line_insight"] == {
        "line_rich_menu_id": line_menu, "from": "20260301", "to": "20260310", "impressions": 22,
        "impression_users": 22,
        "areas": [{"index": 1, "bounds": LEFT, "clicks": 2, "unique_users": 1},  # our area 1 is LINE's left area
                  {"index": 0, "bounds": RIGHT, "clicks": 19, "unique_users": 19}],
    }
