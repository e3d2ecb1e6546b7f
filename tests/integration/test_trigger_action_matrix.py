"""Every scenario trigger and every action, proven through the running local system (issue 16, part 4).

Each trigger type is driven the way it happens for real (a LINE follow through the emulator's signed webhook, a form
posted to the public form page, a Stripe Checkout paid through the Stripe stand-in's signed webhook, a tag changed by
an action and by the admin friend edit, the admin API's enrol, a friend created through the API, a CSV import
through the admin API), and each action type runs from a real source (a scenario step, a form, a LINE postback, an
auto-reply, a product). Every row asserts what a marketer or the friend would see: the enrollment on the friend's
timeline and the first message in the LINE emulator, the tag on the friend, the field value, the reply, the later
step that never arrives.

The matrix is a table: a trigger type (``Trigger.type``) or an action type (the ``Action`` union) without a row
fails ``test_the_matrix_covers_every_trigger_and_action`` by name, so adding one means adding a row here.
"""

from __future__ import annotations

import itertools
import re
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest

from haishin.actions import Action
from haishin.ingest import postback
from haishin.scenarios.models import Trigger
from tests.support.http import json_request, raw_request
from tests.support.local import connect_workspace
from tests.support.members import complete_lesson, member_cookie, verified_sender

pytestmark = pytest.mark.integration

CH = "1234500164"
WS = "w_trigger_matrix"
SECRET = "9d3c0a1b2d4e5f60718293a4b5c6d164"
TOKEN = "trigger-matrix-token-000000000000000000164"
WHSEC = "whsec_trigger_matrix_local_0164"
FORM_POST = {"content-type": "application/x-www-form-urlencoded"}
_USERS = itertools.count(1)
# Made when the workspace is set up: the LINE consumer keeps each workspace's rules for a few seconds per container
# (ingest.autoreplies.AutoReplyStore), so a rule made after the first message of a test could be missed for a while.
AUTO_REPLIES = [
    {"name": "来店ポイント", "match_type": "exact", "keywords": ["来店しました"],
     "messages": [{"type": "text", "text": "ポイントを5点差し上げました"}],
     "actions": [{"type": "add_to_field", "field": "score", "amount": 5}]},
    {"name": "配信終了の申し出", "match_type": "exact", "keywords": ["案内はもう結構です"],
     "messages": [{"type": "text", "text": "承知しました。ご案内を終了します"}],
     "actions": [{"type": "stop_all_scenarios"}]},
]


# ---------------------------------------------------------------------------------------------------- the world
class World:
    """One workspace on the module's local system, driven as its users drive it."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.base = system.base_url
        self.line = system.line_emulator
        self.stripe = system.stripe_emulator
        self.auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)  # owner, sign-in, channel
        self.call("PUT", "/api/payments/stripe/keys",
                  {"mode": "test", "secret_key": "sk_test_trigger_matrix_0164", "webhook_secrets": [WHSEC]})
        self.stripe.register_webhook(f"{self.base}/stripe/webhook/{WS}", WHSEC)
        for key, label, kind in (("plan", "プラン", "text"), ("score", "スコア", "number")):
            self.call("POST", "/api/fields", {"key": key, "label": label, "type": kind}, expect=(200, 201))
        for rule in AUTO_REPLIES:
            self.call("POST", "/api/auto-replies", rule, expect=(201,))

    # ------------------------------------------------------------------ admin API
    def call(self, method: str, path: str, body: Any = None, *, expect: tuple[int, ...] = (200,)) -> Any:
        status, answer = json_request(method, f"{self.base}{path}", body, self.auth)
        assert status in expect, (method, path, status, answer)
        return answer

    def scenario(self, name: str, triggers: list[dict[str, Any]], steps: list[dict[str, Any]]) -> str:
        created = self.call("POST", "/api/scenarios", {"name": name, "triggers": triggers, "steps": steps},
                            expect=(200, 201))
        return str(created["id"])

    def tag(self, name: str) -> None:
        self.call("POST", "/api/tags", {"name": name}, expect=(200, 201))

    def pause(self, scenario_id: str) -> None:
        definition = self.call("GET", f"/api/scenarios/{scenario_id}")
        self.call("PUT", f"/api/scenarios/{scenario_id}", {**definition, "status": "paused"})

    def enroll(self, scenario_id: str, sid: str) -> None:
        assert self.call("POST", f"/api/scenarios/{scenario_id}/enrollments", {"subscriber_id": sid})["enrolled"]

    def friend(self, sid: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/api/subscribers/{sid}"))

    def tags(self, sid: str) -> set[str]:
        return {t["name"] for t in self.friend(sid)["tags"]}

    def field(self, sid: str, key: str) -> Any:
        return next(f["value"] for f in self.friend(sid)["fields"] if f["key"] == key)

    def timeline(self, sid: str, kind: str) -> list[dict[str, Any]]:
        items = self.call("GET", f"/api/subscribers/{sid}/timeline?limit=200")["items"]
        return [e for e in items if e["kind"] == kind]

    # ------------------------------------------------------------------ LINE
    @staticmethod
    def new_user() -> str:
        return "U" + f"{next(_USERS):04x}".rjust(32, "c")

    def follow(self, user: str) -> str:
        """The user adds the official account (a signed follow webhook); returns their friend ID."""
        assert self.line.follow(CH, user) == 200
        self.system.drain()
        found = self.call("POST", "/api/subscribers/search", {"limit": 500})["items"]
        owned = [f for f in found if any(a.get("line_user_id") == user for a in f["line"])]
        assert len(owned) == 1, found
        return str(owned[0]["subscriber_id"])

    def texts(self, user: str) -> list[str]:
        return [str((d.get("message") or {}).get("text")) for d in self.line.received(user, CH)]

    def later(self, minutes: int = 1) -> None:
        """Time passes: the step tick runs and every queue drains."""
        self.system.advance(timedelta(minutes=minutes))
        self.system.drain()

    # ------------------------------------------------------------------ public pages
    def submit_form(self, form_id: str, sid: str, values: dict[str, str]) -> None:
        """The friend opens the form from their LINE link and sends it."""
        link = self.call("POST", f"/api/forms/{form_id}/link", {"subscriber_id": sid})
        status, _, page = raw_request("GET", link["url"])
        assert status == 200, page[:500]
        nonce = re.search(r'name="_nonce"\s+value="([^"]+)"', page) or re.search(r'value="([^"]+)"\s+name="_nonce"',
                                                                                  page)
        assert nonce, page[:2000]
        body = urllib.parse.urlencode({**values, "_nonce": nonce.group(1), "website": "", "t": link["token"]})
        status, _, answer = raw_request("POST", f"{self.base}/f/{form_id}", body.encode(), FORM_POST)
        assert status == 200 and "送信が完了しました" in answer, answer[:1000]
        self.system.drain()

    def buy(self, product_id: str, sid: str) -> None:
        """The friend opens their purchase link, goes to Checkout and pays (signed webhooks from the stand-in)."""
        link = self.call("POST", f"/api/products/{product_id}/link", {"subscriber_id": sid})
        status, _, page = raw_request("GET", link["url"])
        assert status == 200, page[:500]
        token = re.search(r'name="s" value="([^"]+)"', page)
        assert token, page[:2000]
        status, headers, _ = raw_request("POST", link["url"], urllib.parse.urlencode({"s": token.group(1)}).encode(),
                                         FORM_POST)
        assert status == 303, headers
        self.stripe.complete_checkout(headers["location"].rstrip("/").rsplit("/", 1)[1])
        self.system.drain()
        orders = self.call("GET", f"/api/orders?subscriber_id={sid}")
        items = orders["items"] if isinstance(orders, dict) else orders
        assert any(o["product_id"] == product_id and o["status"] == "paid" for o in items), items


@pytest.fixture(scope="module")
def world(local_system: Any) -> Iterator[World]:
    yield World(local_system)


def step(step_id: str, text: str, *, after_minutes: int | None = None,
         actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": step_id, "line": [{"type": "text", "text": text}]}
    if after_minutes is not None:
        out["timing"] = {"type": "after", "amount": after_minutes, "unit": "minutes"}
    if actions:
        out["actions"] = actions
    return out


# ---------------------------------------------------------------------------------------------------- triggers
# A driver creates the scenario whose trigger is its row's type (first step: ``text``), makes the trigger happen the
# real way and returns (LINE user, friend ID, scenario ID). The test then asserts the enrollment and the message.
Drive = Callable[[World, str], tuple[str, str, str]]


def friend_added(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("友だち追加", [{"type": "friend_added"}], [step("s1", text)])
    try:
        user = w.new_user()
        sid = w.follow(user)
        w.later()  # the step is sent before the scenario is paused (a paused scenario sends nothing)
        return user, sid, scenario_id
    finally:
        w.pause(scenario_id)  # every later follow in this module would enroll too


def form_submitted(w: World, text: str) -> tuple[str, str, str]:
    form = w.call("POST", "/api/forms", {"name": "資料請求", "title": "資料請求フォーム", "fields": [
        {"key": "plan", "label": "プラン", "type": "text", "required": True}]}, expect=(201,))
    scenario_id = w.scenario("フォーム回答", [{"type": "form_submitted", "form_id": form["form_id"]}],
                             [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    w.submit_form(form["form_id"], sid, {"plan": "梅"})
    return user, sid, scenario_id


def purchase_completed(w: World, text: str) -> tuple[str, str, str]:
    product = w.call("POST", "/api/products", {"name": "個別相談", "amount": 5000}, expect=(201,))
    scenario_id = w.scenario("購入完了", [{"type": "purchase_completed", "product_id": product["product_id"]}],
                             [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    w.buy(product["product_id"], sid)
    return user, sid, scenario_id


def tag_added_by_admin_edit(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("タグ付与(管理画面)", [{"type": "tag_added", "tag": "管理画面タグ"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    w.tag("管理画面タグ")
    w.call("PATCH", f"/api/subscribers/{sid}", {"add_tags": ["管理画面タグ"]})  # the friend page's tag picker
    return user, sid, scenario_id


def tag_added_by_action(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("タグ付与(ボタン)", [{"type": "tag_added", "tag": "ボタンタグ"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    assert w.line.postback(CH, user, "action=add_tag&tag=ボタンタグ") == 200  # a rich-menu button
    w.system.drain()
    return user, sid, scenario_id


def tag_removed_by_admin_edit(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("タグ解除(管理画面)", [{"type": "tag_removed", "tag": "解除タグA"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    w.tag("解除タグA")
    w.call("PATCH", f"/api/subscribers/{sid}", {"add_tags": ["解除タグA"]})
    w.call("PATCH", f"/api/subscribers/{sid}", {"remove_tags": ["解除タグA"]})
    return user, sid, scenario_id


def tag_removed_by_action(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("タグ解除(ボタン)", [{"type": "tag_removed", "tag": "解除タグB"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    w.tag("解除タグB")
    w.call("PATCH", f"/api/subscribers/{sid}", {"add_tags": ["解除タグB"]})
    assert w.line.postback(CH, user, "action=remove_tag&tag=解除タグB") == 200
    w.system.drain()
    return user, sid, scenario_id


def admin(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("管理画面から登録", [{"type": "admin"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(scenario_id, sid)
    return user, sid, scenario_id


def api(w: World, text: str) -> tuple[str, str, str]:
    """A friend registered by another system through the API (they already follow the account on LINE)."""
    scenario_id = w.scenario("API登録", [{"type": "api"}], [step("s1", text)])
    user = w.new_user()
    w.line.add_follower(CH, user)
    created = w.call("POST", "/api/subscribers", {"display_name": "API 太郎", "line_channel_id": CH,
                                                  "line_user_id": user}, expect=(201,))
    w.system.drain()
    return user, str(created["subscriber_id"]), scenario_id


def csv(w: World, text: str) -> tuple[str, str, str]:
    """Friends imported from a CSV file through the admin API (they already follow the account on LINE)."""
    scenario_id = w.scenario("CSV取り込み", [{"type": "csv"}], [step("s1", text)])
    user = w.new_user()
    w.line.add_follower(CH, user)
    job = w.call("POST", "/api/imports", {"filename": "friends.csv", "csv": f"LINEユーザーID,表示名\r\n{user},CSV 花子\r\n",
                                          "options": {"channel_id": CH}}, expect=(201,))
    done = w.call("POST", f"/api/imports/{job['import_id']}/start")
    assert (done["status"], done["created"], done["errors"]) == ("completed", 1, 0), done
    w.system.drain()
    found = w.call("POST", "/api/subscribers/search", {"limit": 500})["items"]
    [friend] = [f for f in found if any(a.get("line_user_id") == user for a in f["line"])]
    return user, str(friend["subscriber_id"]), scenario_id


def _book(w: World, sid: str, name: str) -> dict[str, Any]:
    """Staff book the friend into the first open slot of a new menu (the admin's 予約 screen)."""
    menu = w.call("POST", "/api/booking-menus", {"name": name, "duration_minutes": 60}, expect=(201,))
    menu_id = str(menu.get("menu_id") or menu.get("booking_menu_id"))
    week = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    w.call("POST", "/api/booking-staff", {"name": f"{name}担当", "hours": week, "menu_ids": [menu_id]}, expect=(201,))
    day = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()  # well past any clock move of this module
    slot = w.call("GET", f"/api/booking-slots?menu_id={menu_id}&date={day}&days=7")["items"][0]
    return dict(w.call("POST", "/api/bookings", {"menu_id": menu_id, "start": slot["start"], "subscriber_id": sid},
                       expect=(201,)))


def booking_created(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("予約した", [{"type": "booking_created"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    _book(w, sid, "カット")
    w.system.drain()
    return user, sid, scenario_id


def booking_canceled(w: World, text: str) -> tuple[str, str, str]:
    scenario_id = w.scenario("予約をキャンセルした", [{"type": "booking_canceled"}], [step("s1", text)])
    user = w.new_user()
    sid = w.follow(user)
    booking = _book(w, sid, "カラー")
    w.call("POST", f"/api/bookings/{booking['booking_id']}/cancel", {})
    w.system.drain()
    return user, sid, scenario_id


def _member(w: World, title: str) -> tuple[str, str, str, str, str]:
    """A LINE friend with an e-mail address, granted a one-lesson course by staff, logged in to the member site by
    the e-mailed link: (LINE user, friend ID, course ID, lesson ID, session cookie)."""
    if not getattr(w, "mail_ready", False):
        verified_sender(w.system, w.auth, "school-matrix.example.jp")
        w.mail_ready = True  # type: ignore[attr-defined]
    course = w.call("POST", "/api/courses", {"title": title, "chapters": [
        {"title": "第1章", "lessons": [{"title": "はじめに", "body": "ようこそ"}]}]}, expect=(201,))
    course_id, lesson_id = course["course_id"], course["chapters"][0]["lessons"][0]["id"]
    user = w.new_user()
    sid = w.follow(user)
    email = f"{user.lower()}@member.example.jp"
    w.call("PATCH", f"/api/subscribers/{sid}", {"email": email})
    w.call("POST", f"/api/courses/{course_id}/grants", {"subscriber_id": sid})
    return user, sid, course_id, lesson_id, member_cookie(w.system, WS, course_id, email)


def lesson_completed(w: World, text: str) -> tuple[str, str, str]:
    user, sid, course_id, lesson_id, cookie = _member(w, "レッスン完了の講座")
    scenario_id = w.scenario("レッスン完了", [{"type": "lesson_completed", "course_id": course_id}], [step("s1", text)])
    complete_lesson(w.system, WS, course_id, lesson_id, cookie)
    w.system.drain()
    return user, sid, scenario_id


def course_completed(w: World, text: str) -> tuple[str, str, str]:
    user, sid, course_id, lesson_id, cookie = _member(w, "修了の講座")
    scenario_id = w.scenario("コース修了", [{"type": "course_completed", "course_id": course_id}], [step("s1", text)])
    complete_lesson(w.system, WS, course_id, lesson_id, cookie)
    w.system.drain()
    return user, sid, scenario_id


TRIGGER_ROWS = [
    pytest.param("friend_added", friend_added, id="friend_added-line-follow"),
    pytest.param("form_submitted", form_submitted, id="form_submitted-public-form"),
    pytest.param("purchase_completed", purchase_completed, id="purchase_completed-stripe-checkout"),
    pytest.param("tag_added", tag_added_by_admin_edit, id="tag_added-admin-friend-edit"),
    pytest.param("tag_added", tag_added_by_action, id="tag_added-postback-action"),
    pytest.param("tag_removed", tag_removed_by_admin_edit, id="tag_removed-admin-friend-edit"),
    pytest.param("tag_removed", tag_removed_by_action, id="tag_removed-postback-action"),
    pytest.param("admin", admin, id="admin-enrol"),
    pytest.param("api", api, id="api-create-friend"),
    pytest.param("csv", csv, id="csv-import"),
    pytest.param("booking_created", booking_created, id="booking_created-staff-booking"),
    pytest.param("booking_canceled", booking_canceled, id="booking_canceled-staff-cancel"),
    pytest.param("lesson_completed", lesson_completed, id="lesson_completed-member-site"),
    pytest.param("course_completed", course_completed, id="course_completed-member-site"),
]


@pytest.mark.parametrize(("trigger", "drive"), TRIGGER_ROWS)
def test_trigger(world: World, trigger: str, drive: Drive) -> None:
    text = f"「{trigger}」で始まるシナリオの最初のメッセージ {next(_USERS)}"
    user, sid, scenario_id = drive(world, text)
    world.later()  # the next tick sends the first step
    enrolled = [e["data"] for e in world.timeline(sid, "enrolled") if e["data"]["scenario_id"] == scenario_id]
    assert [e["trigger"] for e in enrolled] == [trigger], world.timeline(sid, "enrolled")
    assert world.texts(user).count(text) == 1, world.texts(user)


# ---------------------------------------------------------------------------------------------------- actions
# A row runs one action type from a real source and asserts its effect itself (effects differ by type).
def add_tag_from_a_step(w: World) -> None:
    scenario_id = w.scenario("タグを付けるステップ", [], [
        step("s1", "ようこそ", actions=[{"type": "add_tag", "tag": "ステップ到達"}])])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(scenario_id, sid)
    w.later()
    assert "ようこそ" in w.texts(user)
    assert "ステップ到達" in w.tags(sid)


def remove_tag_from_a_postback(w: World) -> None:
    user = w.new_user()
    sid = w.follow(user)
    w.tag("興味あり")
    w.call("PATCH", f"/api/subscribers/{sid}", {"add_tags": ["興味あり"]})
    assert "興味あり" in w.tags(sid)
    data = postback.encode([{"type": "remove_tag", "tag": "興味あり"}])  # a Flex button built by the admin
    assert w.line.postback(CH, user, data) == 200
    w.system.drain()
    assert "興味あり" not in w.tags(sid)


def set_field_from_a_form(w: World) -> None:
    form = w.call("POST", "/api/forms", {
        "name": "プラン選択", "title": "プランを選んでください",
        "fields": [{"key": "memo", "label": "ご要望", "type": "text"}],
        "actions": [{"type": "set_field", "field": "plan", "value": "松"}]}, expect=(201,))
    user = w.new_user()
    sid = w.follow(user)
    w.submit_form(form["form_id"], sid, {"memo": "よろしくお願いします"})
    assert w.field(sid, "plan") == "松"


def add_to_field_from_an_auto_reply(w: World) -> None:
    user = w.new_user()
    sid = w.follow(user)
    for _ in range(2):
        assert w.line.send_text(CH, user, "来店しました") == 200
        w.system.drain()
    assert w.texts(user).count("ポイントを5点差し上げました") == 2
    assert w.field(sid, "score") == 10


def start_scenario_from_a_product(w: World) -> None:
    scenario_id = w.scenario("購入者フォロー", [], [step("s1", "ご購入者さま限定のご案内")])
    product = w.call("POST", "/api/products", {
        "name": "オンライン講座", "amount": 12000,
        "actions": [{"type": "start_scenario", "scenario_id": scenario_id}]}, expect=(201,))
    user = w.new_user()
    sid = w.follow(user)
    w.buy(product["product_id"], sid)
    w.later()
    assert [e["data"]["scenario_id"] for e in w.timeline(sid, "enrolled")] == [scenario_id]
    assert w.texts(user).count("ご購入者さま限定のご案内") == 1


def stop_scenario_from_a_postback(w: World) -> None:
    scenario_id = w.scenario("止められる講座", [], [
        step("s1", "講座1日目"), step("s2", "講座2日目(届かない)", after_minutes=60)])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(scenario_id, sid)
    w.later()
    assert w.line.postback(CH, user, postback.encode([{"type": "stop_scenario", "scenario_id": scenario_id}])) == 200
    w.system.drain()
    w.later(61)
    w.later()
    assert w.texts(user) == ["講座1日目"]
    assert [e["data"]["scenario_id"] for e in w.timeline(sid, "scenario_stopped")] == [scenario_id]


def stop_all_scenarios_from_a_step(w: World) -> None:
    long_one = w.scenario("長い講座", [], [step("a1", "長い講座1"), step("a2", "長い講座2(届かない)", after_minutes=60)])
    stopper = w.scenario("すべて止めるステップ", [], [
        step("b1", "これで配信を終了します", after_minutes=5, actions=[{"type": "stop_all_scenarios"}]),
        step("b2", "続き(届かない)", after_minutes=60)])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(long_one, sid)
    w.enroll(stopper, sid)
    w.later()
    w.later(5)
    w.later(61)
    w.later()
    assert w.texts(user) == ["長い講座1", "これで配信を終了します"]
    assert {e["data"]["scenario_id"] for e in w.timeline(sid, "scenario_stopped")} == {long_one, stopper}


def set_field_from_a_postback(w: World) -> None:
    user = w.new_user()
    sid = w.follow(user)
    assert w.line.postback(CH, user, "action=set_field&field=plan&value=竹") == 200  # a hand-written rich menu
    w.system.drain()
    assert w.field(sid, "plan") == "竹"


def add_to_field_from_a_tracked_link(w: World) -> None:
    link = w.call("POST", "/api/links", {"name": "クーポン", "target_url": "https://shop.example.jp/coupon",
                                         "actions": [{"type": "add_to_field", "field": "score", "amount": 3}]},
                  expect=(201,))
    user = w.new_user()
    sid = w.follow(user)
    minted = w.call("POST", f"/api/links/{link['link_id']}/friend-url", {"subscriber_id": sid})
    status, headers, _ = raw_request("GET", minted["url"])  # the friend taps the link in a LINE message
    assert status == 302 and headers["location"] == "https://shop.example.jp/coupon"
    w.system.drain()
    assert w.field(sid, "score") == 3


def start_scenario_from_a_step(w: World) -> None:
    second = w.scenario("次の講座", [], [step("n1", "次の講座へようこそ")])
    first = w.scenario("最初の講座", [], [
        step("f1", "最初の講座はこれで終わりです", actions=[{"type": "start_scenario", "scenario_id": second}])])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(first, sid)
    w.later()
    w.later()
    assert w.texts(user) == ["最初の講座はこれで終わりです", "次の講座へようこそ"]
    assert [e["data"]["scenario_id"] for e in w.timeline(sid, "enrolled")] == [second, first]  # newest first


def stop_all_scenarios_from_an_auto_reply(w: World) -> None:
    scenario_id = w.scenario("体験レッスン案内", [], [
        step("t1", "体験レッスンのご案内"), step("t2", "体験レッスンのご案内2(届かない)", after_minutes=60)])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(scenario_id, sid)
    w.later()
    assert w.line.send_text(CH, user, "案内はもう結構です") == 200
    w.system.drain()
    w.later(61)
    w.later()
    assert w.texts(user) == ["体験レッスンのご案内", "承知しました。ご案内を終了します"]
    assert [e["data"]["scenario_id"] for e in w.timeline(sid, "scenario_stopped")] == [scenario_id]


def call_webhook_from_a_step(w: World) -> None:
    """As the webhooks branch shapes it (wt/webhooks at the time of writing): an endpoint registered for the
    workspace (POST /api/webhooks answers its signing secret once), the action naming it, and the local receiver
    (``system.webhook_receiver``) recording each delivery and checking its ``Haishin-Signature``."""
    receiver = w.system.webhook_receiver
    endpoint = w.call("POST", "/api/webhooks", {"url": receiver.url("matrix"), "description": "matrix"},
                      expect=(201,))
    receiver.set_secret("matrix", endpoint["secret"])
    scenario_id = w.scenario("外部連携", [], [
        step("s1", "連携しました", actions=[{"type": "call_webhook", "endpoint_id": endpoint["endpoint_id"]}])])
    user = w.new_user()
    sid = w.follow(user)
    w.enroll(scenario_id, sid)
    w.later()
    assert "連携しました" in w.texts(user)
    [delivery] = receiver.deliveries("matrix")
    assert delivery["signature_valid"] is True, delivery
    assert delivery["type"] == "action" and delivery["body"]["data"]["subscriber_id"] == sid, delivery


ACTION_ROWS = [
    pytest.param("add_tag", add_tag_from_a_step, id="add_tag-step"),
    pytest.param("remove_tag", remove_tag_from_a_postback, id="remove_tag-postback"),
    pytest.param("set_field", set_field_from_a_form, id="set_field-form"),
    pytest.param("set_field", set_field_from_a_postback, id="set_field-postback"),
    pytest.param("add_to_field", add_to_field_from_an_auto_reply, id="add_to_field-auto-reply"),
    pytest.param("add_to_field", add_to_field_from_a_tracked_link, id="add_to_field-tracked-link"),
    pytest.param("start_scenario", start_scenario_from_a_product, id="start_scenario-product"),
    pytest.param("start_scenario", start_scenario_from_a_step, id="start_scenario-step"),
    pytest.param("stop_scenario", stop_scenario_from_a_postback, id="stop_scenario-postback"),
    pytest.param("stop_all_scenarios", stop_all_scenarios_from_a_step, id="stop_all_scenarios-step"),
    pytest.param("stop_all_scenarios", stop_all_scenarios_from_an_auto_reply, id="stop_all_scenarios-auto-reply"),
    pytest.param("call_webhook", call_webhook_from_a_step, id="call_webhook-step"),
]


@pytest.mark.parametrize(("action", "run"), ACTION_ROWS)
def test_action(world: World, action: str, run: Callable[[World], None]) -> None:
    run(world)


# ---------------------------------------------------------------------------------------------------- completeness
def declared_triggers() -> set[str]:
    return set(get_args(Trigger.model_fields["type"].annotation))


def declared_actions() -> set[str]:
    union = get_args(Action)[0]  # Annotated[A | B | ..., Field(discriminator="type")]
    return {str(member.model_fields["type"].default) for member in get_args(union)}


def test_the_matrix_covers_every_trigger_and_action() -> None:
    covered_triggers = {row.values[0] for row in TRIGGER_ROWS}
    covered_actions = {row.values[0] for row in ACTION_ROWS}
    assert declared_triggers() >= {"friend_added", "tag_added"} and declared_actions() >= {"add_tag"}
    missing = sorted(declared_triggers() - covered_triggers) + sorted(declared_actions() - covered_actions)
    assert not missing, f"no row in the trigger/action matrix for: {', '.join(missing)}"
    unknown = sorted((covered_triggers - declared_triggers()) | (covered_actions - declared_actions()))
    assert not unknown, f"matrix rows for types the code does not declare: {', '.join(unknown)}"
