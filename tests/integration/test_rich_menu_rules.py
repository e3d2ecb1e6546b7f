"""Issue 20 on the local system: rich menu rules. Saving the rules starts a bulk re-link job (PlannerQueue -> the
planner Lambda) that links the tagged friend on the LINE emulator; tagging another friend through the admin API
links them at once (one call, inside the request); removing the tag gives the default back; the job's progress and
a friend's menu are read through the admin API.

The menus themselves are the rich menus package's (helper RM); until it is merged the rules read them through a
stand-in ``PublishedMenus`` holding two menus created directly in the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500201"
WS = "w_rich_menu_rules"
SECRET = "8c3c0a1b2d4e5f60718293a4b5c6d720"
TOKEN = "rich-menu-rules-token-000000000000000020"
ALICE = "U" + "a2" * 16
BOB = "U" + "b2" * 16
CAROL = "U" + "c2" * 16


@dataclass
class StandInMenus:
    line_ids: dict[str, str]
    defaults: list[str | None] = field(default_factory=list)

    def menu_channel(self, workspace_id: str, menu_id: str) -> str | None:
        return CH if workspace_id == WS and menu_id in self.line_ids else None

    def line_menu_id(self, workspace_id: str, menu_id: str) -> str | None:
        return self.line_ids.get(menu_id) if workspace_id == WS else None

    def set_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        self.defaults.append(menu_id)


@pytest.fixture
def menus(local_system: Any) -> Iterator[StandInMenus]:
    from haishin.wiring import services  # noqa: PLC0415 - the local system's own composition root

    stand_in = StandInMenus({})
    built = services()
    previous = (built.rule_books.menus, built.rich_menu_rules.menus)
    built.rule_books.menus = built.rich_menu_rules.menus = stand_in
    try:
        yield stand_in
    finally:
        built.rule_books.menus, built.rich_menu_rules.menus = previous


def test_rules_relink_in_bulk_then_one_friend_per_tag_change(local_system: Any, menus: StandInMenus) -> None:
    system = local_system
    base = system.base_url
    emulator = system.line_emulator
    from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415 - models read endpoints on load

    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN, friends={ALICE: "アリス", BOB: "ボブ"})
    menus.line_ids.update({"rmn_VIP": emulator.create_rich_menu(CH), "rmn_BASE": emulator.create_rich_menu(CH)})
    found = [SubscriberRepository().find_by_line_user(WS, CH, user) for user in (ALICE, BOB)]
    assert all(found)
    alice, bob = (f.subscriber_id for f in found if f is not None)
    status, tag = json_request("POST", f"{base}/api/tags", {"name": "VIP"}, auth)
    assert status in (200, 201), tag
    status, patched = json_request("PATCH", f"{base}/api/subscribers/{alice}", {"add_tags": ["VIP"]}, auth)
    assert status == 200, patched
    assert emulator.rich_menu_of(CH, ALICE) is None  # no rules yet: nothing linked

    status, saved = json_request("PUT", f"{base}/api/rich-menu-rules", {
        "channel_id": CH, "default_menu_id": "rmn_BASE",
        "rules": [{"menu_id": "rmn_VIP", "condition": {"type": "tag", "tag_id": tag["tag_id"]}}]}, auth)
    assert status == 200, saved
    assert saved["job"]["status"] == "queued" and saved["rules"][0]["menu_id"] == "rmn_VIP"
    system.drain()
    assert emulator.rich_menu_of(CH, ALICE) == menus.line_ids["rmn_VIP"]
    assert menus.defaults == ["rmn_BASE"]
    status, job = json_request("GET", f"{base}/api/rich-menu-rules/jobs/{saved['job']['id']}", None, auth)
    assert status == 200, job
    assert {k: job[k] for k in ("status", "total", "done", "linked", "unlinked", "calls")} == {
        "status": "done", "total": 2, "done": 2, "linked": 1, "unlinked": 0, "calls": 1}
    status, view = json_request("GET", f"{base}/api/rich-menu-rules?channel_id={CH}", None, auth)
    assert status == 200 and view["job"]["id"] == saved["job"]["id"], view

    # a tag change re-links that friend inside the request (no queue in between)
    status, patched = json_request("PATCH", f"{base}/api/subscribers/{bob}", {"add_tags": ["VIP"]}, auth)
    assert status == 200, patched
    assert emulator.rich_menu_of(CH, BOB) == menus.line_ids["rmn_VIP"]
    status, mine = json_request("GET", f"{base}/api/subscribers/{bob}/rich-menu", None, auth)
    assert status == 200 and (mine["menu_id"], mine["reason"]) == ("rmn_VIP", "rule 1"), mine
    status, patched = json_request("PATCH", f"{base}/api/subscribers/{alice}", {"remove_tags": ["VIP"]}, auth)
    assert status == 200, patched
    assert emulator.rich_menu_of(CH, ALICE) is None  # the per-user link removed: LINE shows the default
    status, mine = json_request("GET", f"{base}/api/subscribers/{alice}/rich-menu", None, auth)
    assert status == 200 and (mine["menu_id"], mine["reason"]) == ("rmn_BASE", "default"), mine

    # a rule naming something that is not this workspace's is refused with the rule's number, nothing stored
    status, refused = json_request("PUT", f"{base}/api/rich-menu-rules", {
        "channel_id": CH, "rules": [{"menu_id": "rmn_VIP", "condition": {"type": "route", "route_id": "rt_nope"}}]},
        auth)
    assert status == 422 and refused["message"].startswith("ルール 1: 流入経路が見つかりません"), refused
    status, view = json_request("GET", f"{base}/api/rich-menu-rules?channel_id={CH}", None, auth)
    assert view["rules"][0]["condition"]["type"] == "tag" and view["job"]["id"] == saved["job"]["id"]

    # a new friend: the follow computes their menu (a segment rule matching every follower), after the bulk job
    # moved the untagged friends to it
    menus.line_ids["rmn_ALL"] = emulator.create_rich_menu(CH)
    status, segment = json_request("POST", f"{base}/api/segments", {"name": "友だち全員", "definition": {
        "match": "all", "conditions": [{"type": "follow", "status": "following"}]}}, auth)
    assert status == 201, segment
    status, saved = json_request("PUT", f"{base}/api/rich-menu-rules", {
        "channel_id": CH, "default_menu_id": "rmn_BASE",
        "rules": [{"menu_id": "rmn_VIP", "condition": {"type": "tag", "tag_id": tag["tag_id"]}},
                  {"menu_id": "rmn_ALL", "condition": {"type": "segment", "segment_id": segment["segment_id"]}}]},
        auth)
    assert status == 200, saved
    system.drain()
    assert emulator.rich_menu_of(CH, ALICE) == menus.line_ids["rmn_ALL"]
    assert emulator.rich_menu_of(CH, BOB) == menus.line_ids["rmn_VIP"]
    status, job = json_request("GET", f"{base}/api/rich-menu-rules/jobs/{saved['job']['id']}", None, auth)
    assert (job["status"], job["linked"], job["calls"]) == ("done", 1, 1), job
    emulator.add_user(CAROL, "キャロル")
    assert emulator.follow(CH, CAROL) == 200
    system.drain()
    assert emulator.rich_menu_of(CH, CAROL) == menus.line_ids["rmn_ALL"]

    # a scenario step sent: a scenario-step rule (first in the list) moves the friend when the step goes out
    menus.line_ids["rmn_STEP"] = emulator.create_rich_menu(CH)
    status, scenario = json_request("POST", f"{base}/api/scenarios", {
        "name": "メニュー講座", "steps": [{"id": "s1", "line": [{"type": "text", "text": "第1回のご案内"}]}]}, auth)
    assert status in (200, 201), scenario
    scenario_id = scenario.get("id") or scenario.get("scenario_id")
    status, saved = json_request("PUT", f"{base}/api/rich-menu-rules", {
        "channel_id": CH, "default_menu_id": "rmn_BASE",
        "rules": [{"menu_id": "rmn_STEP", "condition": {"type": "scenario_step", "scenario_id": scenario_id,
                                                        "step_index": 0}},
                  {"menu_id": "rmn_VIP", "condition": {"type": "tag", "tag_id": tag["tag_id"]}}]}, auth)
    assert status == 200, saved
    system.drain()
    assert emulator.rich_menu_of(CH, BOB) == menus.line_ids["rmn_VIP"]
    status, enrolled = json_request("POST", f"{base}/api/scenarios/{scenario_id}/enrollments",
                                    {"subscriber_id": bob}, auth)
    assert status in (200, 201), enrolled
    for _ in range(3):
        system.drain()
        system.advance(timedelta(minutes=1))
    system.drain()
    assert "第1回のご案内" in [str((d.get("message") or {}).get("text")) for d in emulator.received(BOB, CH)]
    assert emulator.rich_menu_of(CH, BOB) == menus.line_ids["rmn_STEP"]
