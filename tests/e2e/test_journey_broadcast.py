"""Journey: compose a broadcast for a saved segment (live count), check the quota, test-send, schedule it, move the
local system's clock past the time, and watch the progress bar reach 100% (then the results on a phone).

Runs against the real local system (``LocalSystem``: DynamoDB Local, moto server, LINE emulator), the one shared by
the journeys of this process (``test_journey_channel.local_system``), in its own workspace and LINE channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000000201"
SECRET = "0123456789abcdef0123456789abcd02"
TOKEN = "e2e-broadcast-token-" + "c" * 40
WS = "ws_e2e_broadcast"
USERS = {"U" + "7" * 31 + str(i): name for i, name in enumerate(["佐藤 陽菜", "鈴木 結衣", "高橋 葵"])}


def api(system: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    return api_request(system, token, method, path, body)


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)  # one LocalSystem per process, shared with the other journeys (own workspace here)
    s.create_owner(WS, "owner@broadcast.example.jp")  # the workspace's first owner, as the create-owner command makes it
    s.line_emulator.register_channel(
        CH, SECRET, TOKEN, display_name="ハイシン美容室", webhook_url=f"{s.base_url}/line/webhook/{CH}"
    )
    token = s.login(email="owner@broadcast.example.jp", workspace_id=WS, role="owner")
    api(s, token, "POST", "/api/channels", {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN})
    for user_id, name in USERS.items():
        s.line_emulator.add_user(user_id, name)
        s.line_emulator.follow(CH, user_id)
    s.drain()
    api(
        s,
        token,
        "POST",
        "/api/segments",
        {
            "name": "LINE でつながっている友だち",
            "definition": {"match": "all", "conditions": [{"type": "follow", "status": "following"}]},
        },
    )
    yield s


def _local_in(system: Any, minutes: int) -> str:
    from haishin import clock  # noqa: PLC0415 - the local system's (advanceable) clock

    return (clock.now() + timedelta(minutes=minutes)).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%dT%H:%M")


def test_schedule_a_segment_broadcast_and_watch_progress_reach_100(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@broadcast.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/broadcasts")
    page.get_by_role("heading", name="一斉配信", exact=True).wait_for()
    page.get_by_test_id("broadcast-new").first.click()
    page.get_by_test_id("broadcast-composer").wait_for()

    page.locator("input[name=name]").fill("11月のキャンペーンのお知らせ")
    page.locator("input[name=audience][value=saved]").check()
    page.locator("select[name=segment_id] option", has_text="LINE でつながっている友だち").wait_for(state="attached")
    page.locator("select[name=segment_id]").select_option(label="LINE でつながっている友だち")
    page.get_by_test_id("saved-segment-count").locator("strong", has_text="3").wait_for()

    page.locator("textarea[name='content.line[0].text']").fill("{{ name }} さん、11月はカラー 20% オフです。")
    page.locator("[data-add-message=buttons]").click()
    page.locator("input[name='content.line[1].template.title']").fill("ご予約")
    page.locator("textarea[name='content.line[1].template.text']").fill("ご都合のよい日をお選びください")
    page.locator("input[name='content.line[1].altText']").fill("ご予約はこちら")
    page.locator("input[name='content.line[1].template.actions[0].label']").fill("予約する")
    page.locator("input[name='content.line[1].template.actions[0].text']").fill("予約したい")
    preview = page.get_by_test_id("message-preview")
    assert "山田 花子 さん、11月はカラー" in preview.inner_text()
    assert preview.locator(".mp-action", has_text="予約する").count() == 1

    quiet = page.get_by_test_id("broadcast-quiet-hours").locator("input[type=checkbox]")
    assert quiet.is_checked()  # quiet hours are respected unless the marketer says the notice is urgent
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.wait_for_function("/#\\/broadcasts\\/bc_/.test(location.hash)")
    quota = page.get_by_test_id("quota-result")
    quota.wait_for()
    assert page.get_by_test_id("quota-recipients").inner_text() == "3"
    assert quota.get_attribute("data-ok") == "true"
    assert page.get_by_test_id("quota-deferred").count() == 0  # this workspace has no quiet hours

    # test send to one LINE user: received at once, not counted in the broadcast
    first_user = next(iter(USERS))
    page.locator("input[name=line_user_ids]").fill(first_user)
    page.get_by_test_id("test-send").click()
    page.get_by_text("1 件中 1 件に送信しました").wait_for()
    assert len(system.line_emulator.received(first_user)) == 2  # two messages
    snap("composer")

    # a time in the past is refused at the field; the draft stays
    page.locator("input[name=at]").fill(_local_in(system, -60))
    page.get_by_test_id("broadcast-go").click()
    page.locator("input[name=at][aria-invalid=true]").wait_for()
    page.locator("input[name=at]").fill(_local_in(system, 10))
    page.get_by_test_id("broadcast-go").click()
    progress = page.get_by_test_id("broadcast-progress")
    progress.wait_for()
    assert page.get_by_test_id("broadcast-status").get_attribute("data-status") == "scheduled"
    snap("scheduled")

    system.advance(timedelta(minutes=15))  # fires the one-time schedule -> planner -> delivery
    page.wait_for_function(
        "document.querySelector('[data-testid=broadcast-progress]')?.getAttribute('data-percent') === '100'",
        timeout=30_000,
    )
    page.locator("[data-testid=broadcast-status][data-status=done]").wait_for()
    assert page.get_by_test_id("stat-sent").inner_text().endswith("3")
    for user_id, name in USERS.items():
        texts = [str((r.get("message") or {}).get("text", "")) for r in system.line_emulator.received(user_id)]
        assert any(t.startswith(f"{name} さん、11月はカラー") for t in texts), (user_id, texts)
    snap("done")
    assert [e for e in browser_errors if "status of 422" not in e] == []


@pytest.mark.viewport(390, 844)
def test_broadcast_results_on_a_phone(system: Any, page: Any, browser_errors: list[str], snap: Any) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email="owner@broadcast.example.jp", workspace_id=WS, role="owner")
    page.goto(admin + "#/broadcasts")
    page.get_by_test_id("broadcast-list").wait_for()
    snap("list")
    page.get_by_test_id("broadcast-list").locator("a.list-card").first.click()
    page.get_by_test_id("broadcast-progress").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the results page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(snap("results").with_name("test_broadcast_results_on_a_phone-results-viewport.png")))
    assert browser_errors == []
