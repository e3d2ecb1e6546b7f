"""The emulator's aggregation units as LINE has them: the monthly limit on unit names, opens and URL taps reported by
the phone page, and the three read endpoints (statistics per unit with LINE's below-20 privacy rule and period rules,
units used this month, their names)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from le_helpers import ALICE, CHANNEL_ID, call, text
from linebot.v3.insight import ApiClient as InsightClient
from linebot.v3.insight import Configuration as InsightConfiguration
from linebot.v3.insight import Insight
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi

from haishin import clock
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
TOKEN = "token-channel-1"
URL = "https://shop.example.jp/spring"
STATS = "/v2/bot/insight/message/event/aggregation"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    previous = clock.install(clock.ManualClock(datetime(2026, 3, 10, 3, 0, tzinfo=UTC)))  # 12:00 JST, 10 March
    yield
    clock.install(previous)


def _friends(emulator: LineEmulator, n: int) -> list[str]:
    users = [f"U{i:032x}" for i in range(1, n + 1)]
    for user in users:
        emulator.add_user(user, f"友だち{user[-3:]}")
        emulator.follow(CHANNEL_ID, user)
    return users


def _multicast(emulator: LineEmulator, users: list[str], unit: str | None) -> int:
    body: dict[str, Any] = {"to": users, "messages": [text(f"春のセール {URL}"), text("2通目")]}
    if unit is not None:
        body["customAggregationUnits"] = [unit]
    status, _, _ = call(emulator, "POST", "/v2/bot/message/multicast", body)
    return status


def _seqs(emulator: LineEmulator, user: str) -> list[int]:
    return [int(r["seq"]) for r in emulator.received(user, CHANNEL_ID)]


def test_statistics_count_opens_and_taps_and_hide_figures_below_20_users(emulator: LineEmulator) -> None:
    users = _friends(emulator, 25)
    assert _multicast(emulator, users, "spring_2026") == 200
    for user in users[:21]:  # 21 open the message, 20 tap the URL in its first bubble
        emulator.phone_seen(CHANNEL_ID, user, _seqs(emulator, user))
    for user in users[:20]:
        emulator.phone_open(CHANNEL_ID, user, _seqs(emulator, user)[0], URL)
    emulator.phone_open(CHANNEL_ID, users[0], _seqs(emulator, users[0])[0], URL)  # a second tap, same friend
    status, body, _ = call(emulator, "GET", f"{STATS}?customAggregationUnit=spring_2026&from=20260301&to=20260310")
    assert status == 200
    assert body["overview"] == {"uniqueImpression": 21, "uniqueClick": 20, "uniqueMediaPlayed": None,
                                "uniqueMediaPlayed100Percent": None}
    assert [(m["seq"], m["impression"], m["uniqueImpression"]) for m in body["messages"]] == [(1, 21, 21), (2, 21, 21)]
    assert body["clicks"] == [{"seq": 1, "url": URL, "click": 21, "uniqueClick": 20, "uniqueClickOfRequest": 20}]

    # the real SDK reads it too
    with InsightClient(InsightConfiguration(host=emulator.base_url, access_token=TOKEN)) as client:
        read = Insight(client).get_statistics_per_unit("spring_2026", "20260301", "20260310")
    assert (read.overview.unique_impression, read.overview.unique_click) == (21, 20)


def test_fewer_than_20_recipients_answer_null_everywhere(emulator: LineEmulator) -> None:
    assert _multicast(emulator, [ALICE], "tiny_unit") == 200
    emulator.phone_seen(CHANNEL_ID, ALICE, _seqs(emulator, ALICE))
    emulator.phone_open(CHANNEL_ID, ALICE, _seqs(emulator, ALICE)[0], URL)
    status, body, _ = call(emulator, "GET", f"{STATS}?customAggregationUnit=tiny_unit&from=20260310&to=20260310")
    assert status == 200
    assert set(body["overview"].values()) == {None}
    assert body["clicks"] == [{"seq": 1, "url": URL, "click": None, "uniqueClick": None, "uniqueClickOfRequest": None}]


@pytest.mark.parametrize(("query", "message"), [
    ("from=20260301&to=20260401", "to must be within 30 days after from"),
    ("from=20260310&to=20260309", "to must be the same as or later than from"),
    ("from=2026-03-01&to=20260310", "from must be in yyyyMMdd format"),
    ("from=20260231&to=20260310", "from must be a valid date in yyyyMMdd format"),
    ("to=20260310", "from is required"),
])
def test_statistics_refuse_bad_periods(emulator: LineEmulator, query: str, message: str) -> None:
    status, body, _ = call(emulator, "GET", f"{STATS}?customAggregationUnit=u&{query}")
    assert (status, body) == (400, {"message": message})


def test_the_month_allows_1000_unit_names_then_refuses_new_ones(emulator: LineEmulator) -> None:
    emulator.units.monthly_limit = 2
    assert _multicast(emulator, [ALICE], "unit_a") == 200
    assert _multicast(emulator, [ALICE], "unit_b") == 200
    before = len(emulator.received(ALICE))
    status, body, _ = call(emulator, "POST", "/v2/bot/message/push",
                           {"to": ALICE, "messages": [text("x")], "customAggregationUnits": ["unit_c"]})
    assert status == 400 and body["details"][0]["property"] == "customAggregationUnits"
    assert len(emulator.received(ALICE)) == before  # nothing sent
    assert _multicast(emulator, [ALICE], "unit_a") == 200  # a name already used this month still works
    assert _multicast(emulator, [ALICE], None) == 200
    with ApiClient(Configuration(host=emulator.base_url, access_token=TOKEN)) as client:
        api = MessagingApi(client)
        assert api.get_aggregation_unit_usage().num_of_custom_aggregation_units == 2
        page = api.get_aggregation_unit_name_list(limit="1")
        assert (page.custom_aggregation_units, page.next) == (["unit_a"], "1")
        rest = api.get_aggregation_unit_name_list(limit="1", start=page.next)
        assert (rest.custom_aggregation_units, rest.next) == (["unit_b"], None)
    clock.install(clock.ManualClock(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)))  # 1 April 00:00 JST: a new month
    assert _multicast(emulator, [ALICE], "unit_c") == 200


def test_the_phone_opens_only_urls_the_message_carries(emulator: LineEmulator) -> None:
    assert _multicast(emulator, [ALICE], "u1") == 200
    seq = _seqs(emulator, ALICE)[0]
    assert emulator.phone_open(CHANNEL_ID, ALICE, seq, URL) == URL
    status, _ = emulator.handle_control("POST", "/_emulator/phone/open",
                                        {}, {"channel_id": CHANNEL_ID, "user_id": ALICE, "seq": seq,
                                             "url": "https://evil.example.com/"})
    assert status == 400
