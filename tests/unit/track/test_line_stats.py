"""LINE's per-unit statistics on Haishin's side: a scenario step goes out with its step's unit, and the reader
shapes LINE's answer for the admin with the Japanese note when LINE hides figures below 20 friends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from haishin.line.client import LineApiError
from haishin.line.units import step_unit
from haishin.track.line_stats import BELOW_FLOOR_JA, LineUnitStats


class _Client:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str, str]] = []

    def unit_statistics(self, unit: str, since: str, until: str) -> dict[str, Any]:
        self.asked.append((unit, since, until))
        answer = self.answers[unit]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def units_used_this_month(self) -> int:
        return 3


class _Clients:
    def __init__(self, client: _Client) -> None:
        self.client = client

    def for_channel(self, workspace_id: str, channel_id: str) -> _Client:
        return self.client


HIDDEN = {"overview": {"uniqueImpression": None, "uniqueClick": None}, "messages": [],
          "clicks": [{"seq": 1, "url": "https://a.example.jp", "click": None, "uniqueClick": None}]}
SHOWN = {"overview": {"uniqueImpression": 40, "uniqueClick": 21},
         "messages": [{"seq": 1, "impression": 44, "uniqueImpression": 40}],
         "clicks": [{"seq": 1, "url": "https://a.example.jp", "click": 25, "uniqueClick": 21}]}


def test_figures_and_the_below_20_note(manual_clock: Any) -> None:
    manual_clock.set(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    client = _Client({"b_a": SHOWN, "b_b": HIDDEN})
    answer = LineUnitStats(line_clients=_Clients(client)).read(
        "ws", "123", [("A", "b_a"), ("B", "b_b")], since=datetime(2026, 1, 1).date())
    assert (answer["from"], answer["to"]) == ("2026-01-01", "2026-01-31")  # LINE's 30 days at most
    assert client.asked[0] == ("b_a", "20260101", "20260131")
    a, b = answer["units"]
    assert (a["unique_impressions"], a["unique_clicks"], a["hidden"]) == (40, 21, False)
    assert a["urls"] == [{"seq": 1, "url": "https://a.example.jp", "clicks": 25, "unique_clicks": 21}]
    assert (b["unique_impressions"], b["hidden"]) == (None, True)
    assert answer["note"] == BELOW_FLOOR_JA and "20 人未満" in answer["note"]
    assert answer["units_used_this_month"] == 3


def test_a_unit_line_cannot_read_says_so_and_the_others_still_show(manual_clock: Any) -> None:
    manual_clock.set(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    client = _Client({"b_a": LineApiError(400, "to must be within 30 days after from"), "b_b": SHOWN})
    answer = LineUnitStats(line_clients=_Clients(client)).read("ws", "123", [("A", "b_a"), ("B", "b_b")],
                                                               since=datetime(2026, 3, 9).date())
    assert answer["units"][0]["error"].startswith("LINE から統計を取得できませんでした")
    assert answer["units"][1]["unique_clicks"] == 21 and answer["note"] is None
    assert (answer["from"], answer["to"]) == ("2026-03-09", "2026-03-10")


def test_a_scenario_step_goes_out_with_its_steps_unit(aws: Any, manual_clock: Any) -> None:
    from tests.unit.scenarios.step_harness import StepWorld  # noqa: PLC0415

    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    world = StepWorld()
    ws = world.workspace()
    sub = world.friend(ws, "U1")
    scenario = world.scenario(ws, {"name": "welcome", "steps": [
        {"id": "hello", "timing": {"type": "immediately"}, "line": [{"type": "text", "text": "ようこそ"}]}]})
    world.enroll(ws, sub, scenario)
    world.tick()
    world.drain()
    assert len(world.line.of("U1")) == 1
    assert world.line.units == [step_unit(scenario.id, "hello")]


class _StatsLine:
    """A broadcast world's fake LINE that also answers the statistics reads (LINE hides everything: < 20 friends)."""

    asked: list[str]

    def unit_statistics(self, unit: str, since: str, until: str) -> dict[str, Any]:
        self.asked.append(unit)
        return HIDDEN

    def units_used_this_month(self) -> int:
        return len(set(self.asked))


def test_broadcasts_carry_their_unit_per_variant_and_the_admin_reads_them(aws: Any, manual_clock: Any) -> None:
    from haishin.api.app import AdminApi  # noqa: PLC0415
    from haishin.broadcasts.service import BroadcastInput  # noqa: PLC0415
    from haishin.line.units import broadcast_unit  # noqa: PLC0415
    from tests.support.admin_api import call_admin_api  # noqa: PLC0415
    from tests.unit.broadcasts.harness import BroadcastWorld, QuotaLine  # noqa: PLC0415

    class Line(_StatsLine, QuotaLine):
        pass

    line = Line()
    line.asked = []
    world = BroadcastWorld(line)
    ws = world.workspace()
    world.friends(ws, 40)
    text = {"line": [{"type": "text", "text": "春のセール https://shop.example.jp"}]}
    plain = str(world.service.create(ws, BroadcastInput(name="plain", channel="line", everyone=True,
                                                        content=text)).broadcast_id)
    ab = str(world.service.create(ws, BroadcastInput(name="AB", channel="line", everyone=True, variants=[
        {"content": text, "weight": 1}, {"content": text, "weight": 1}])).broadcast_id)
    for broadcast_id in (plain, ab):
        world.service.send_now(ws, broadcast_id)
        world.plan()
        world.drain()
    assert set(line.units) == {broadcast_unit(plain), broadcast_unit(ab, "A"), broadcast_unit(ab, "B")}

    from haishin import wiring  # noqa: PLC0415

    previous = wiring.install(world.services)
    try:
        api = AdminApi()
        status, stats = call_admin_api(api, "GET", f"/api/broadcasts/{ab}/line-stats", workspace=ws, role="viewer")
        status_other, _ = call_admin_api(api, "GET", f"/api/broadcasts/{ab}/line-stats", workspace="ws_other")
    finally:
        wiring.install(previous)
    assert status == 200, stats
    assert [(u["label"], u["unit"], u["hidden"]) for u in stats["units"]] == [
        ("A", broadcast_unit(ab, "A"), True), ("B", broadcast_unit(ab, "B"), True)]
    assert stats["note"] == BELOW_FLOOR_JA
    assert status_other == 404
