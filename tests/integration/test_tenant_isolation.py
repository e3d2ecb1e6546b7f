"""Tenant isolation: an owner of another workspace calls every admin route with ws_demo's real IDs.

The demo workspace (``seed_demo``) is seeded into the session's local system; its IDs are collected through the API
as ws_demo's owner (plus a few objects created here so every path parameter has a real value). Then, as the owner of
ws_other, every operation of the OpenAPI description is called with those IDs: refused (403/404, or 422 when the body
is not even valid), never a leak of a ws_demo name, e-mail, LINE user ID or an ID that was not in the request, and
ws_demo reads the same afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from haishin_local.runtime import LocalSystem
from haishin_local.seed import DEMO_ACCESS_TOKEN, DEMO_CHANNEL_ID, DEMO_OWNER_EMAIL, DEMO_WORKSPACE_ID, seed_demo
from tests.support.asset_files import b64, png

pytestmark = pytest.mark.integration

OTHER_WORKSPACE = "ws_other_isolation"
MUTATING = ("post", "put", "patch", "delete")
SEMINAR_SESSION = {"starts_at": "2030-01-10T19:00", "ends_at": "2030-01-10T21:00", "venue": "デモ会場", "capacity": 5}
# Bodies that pass validation, so the handler itself (not the validator) meets ws_demo's ID.
BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/api/subscribers/{subscriber_id}"): {"display_name": "乗っ取り"},
    ("post", "/api/subscribers/{subscriber_id}/chat"): {"text": "hello"},
    ("post", "/api/subscribers/{subscriber_id}/merge"): {"other_subscriber_id": "{subscriber_id}"},
    ("patch", "/api/tags/{tag_id}"): {"name": "乗っ取り"},
    ("post", "/api/tags/{tag_id}/merge"): {"into_tag_id": "{tag_id}", "dry_run": True},
    ("patch", "/api/tag-folders/{folder_id}"): {"name": "乗っ取り"},
    ("patch", "/api/fields/{key}"): {"label": "乗っ取り"},
    ("patch", "/api/broadcasts/{broadcast_id}"): {"name": "乗っ取り"},
    ("post", "/api/broadcasts/{broadcast_id}/schedule"): {"at": "2030-01-10T09:30"},
    ("post", "/api/broadcasts/{broadcast_id}/test-send"): {"subscriber_ids": ["{subscriber_id}"]},
    ("put", "/api/channels/{channel_id}/token"): {"access_token": DEMO_ACCESS_TOKEN},
    ("put", "/api/channels/{channel_id}/greeting"): {"text": "乗っ取り"},
    ("put", "/api/channels/{channel_id}/liff"): {"liff_id": "2000000001-AbCd1234"},
    ("patch", "/api/operators/{email}"): {"role": "owner"},
    ("put", "/api/segments/{segment_id}"): {"name": "乗っ取り", "definition": {"type": "group"}},
    ("put", "/api/inflow-routes/{route_id}"): {"name": "乗っ取り", "channel_id": "{channel_id}"},
    ("put", "/api/conversion-points/{code}"): {"name": "乗っ取り", "kind": "url"},
    ("put", "/api/partners/{partner_id}"): {"name": "乗っ取り", "channel_id": "{channel_id}"},
    ("patch", "/api/coupons/{coupon_id}"): {"name": "乗っ取り"},
    ("post", "/api/coupons/{coupon_id}/codes/generate"): {"count": 1},
    ("post", "/api/coupons/{coupon_id}/codes/import"): {"text": "HIJACK123"},
    ("post", "/api/coupons/{coupon_id}/redeem"): {"code": "HIJACK123"},
    ("put", "/api/rich-menus/{menu_id}"): {"name": "乗っ取り", "channel_id": "{channel_id}", "chat_bar_text": "x",
                                           "areas": [{"bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                                                      "action": {"type": "message", "text": "x"}}]},
    ("put", "/api/rich-menus/{menu_id}/image"): {"content_type": "image/png", "data": "iVBORw0KGgo="},
    ("post", "/api/scenarios/{scenario_id}/steps/{step_id}/abtest/adopt"): {"variant": "B"},
    ("post", "/api/scenarios/{scenario_id}/enrollments"): {"subscriber_id": "{subscriber_id}"},
    ("post", "/api/scenarios/{scenario_id}/unsubscribe"): {"subscriber_id": "{subscriber_id}"},
    ("post", "/api/forms/{form_id}/link"): {"subscriber_id": "{subscriber_id}"},
    ("put", "/api/booking-menus/{booking_menu_id}"): {"name": "乗っ取り", "duration_minutes": 30},
    ("put", "/api/booking-staff/{staff_id}"): {"name": "乗っ取り"},
    ("post", "/api/bookings/{booking_id}/attendance"): {"status": "attended"},
    ("post", "/api/bookings/{booking_id}/reschedule"): {"start": "2030-01-08T01:00:00+00:00"},
    ("post", "/api/products/{product_id}/link"): {"subscriber_id": "{subscriber_id}"},
    ("post", "/api/links/{link_id}/friend-url"): {"subscriber_id": "{subscriber_id}"},
    ("post", "/api/exports"): {"segment_id": "{segment_id}"},
    ("post", "/api/segments/count"): {"definition": {"type": "group"}},
    ("put", "/api/seminars/{seminar_id}"): {"title": "乗っ取り"},
    ("post", "/api/seminars/{seminar_id}/sessions"): SEMINAR_SESSION,
    ("put", "/api/seminars/{seminar_id}/sessions/{session_id}"): SEMINAR_SESSION,
    ("post", "/api/seminars/{seminar_id}/registrations"): {"subscriber_id": "{subscriber_id}",
                                                           "session_id": "{session_id}"},
    ("put", "/api/seminars/{seminar_id}/registrations/{registration_id}/session"): {"session_id": "{session_id}"},
    ("put", "/api/seminars/{seminar_id}/registrations/{registration_id}/attendance"): {"attendance": "attended"},
    ("post", "/api/seminars/{seminar_id}/link"): {"subscriber_id": "{subscriber_id}"},
    ("put", "/api/funnels/{funnel_id}"): {"name": "乗っ取り", "pages": [
        {"page_id": "lp", "kind": "optin", "title": "乗っ取り", "blocks": []}]},
    ("put", "/api/courses/{course_id}"): {"title": "乗っ取り", "chapters": []},
    ("post", "/api/courses/{course_id}/grants"): {"subscriber_id": "{subscriber_id}"},
}


@dataclass
class Demo:
    system: LocalSystem
    ids: dict[str, str]  # path parameter name -> a real ws_demo value
    secrets: set[str] = field(default_factory=set)  # values that must never reach ws_other (names, LINE IDs, ...)
    reread: dict[str, Any] = field(default_factory=dict)  # path -> body, read before the sweep


class Client:
    def __init__(self, system: LocalSystem, workspace_id: str, email: str, *, new_owner: bool = False) -> None:
        """An operator of ``workspace_id`` signed in through the dev login; ``new_owner`` first makes them the
        workspace's owner the way the create-owner command does (nobody else gets into a fresh workspace)."""
        self.base = system.base_url
        self.session = requests.Session()
        if new_owner:
            system.create_owner(workspace_id, email)
        token = system.login(email=email, workspace_id=workspace_id)
        self.session.headers["authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, str]:
        response = self.session.request(method.upper(), self.base + path, json=body, timeout=60)
        text = response.text
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, payload, text

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, payload, text = self.call(method, path, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {text[:300]}"
        return payload


def _try_create(client: Client, path: str, body: Any, key: str) -> str | None:
    status, payload, _ = client.call("post", path, body)
    if 200 <= status < 300 and isinstance(payload, dict):
        return payload.get(key)
    return None


@pytest.fixture(scope="module")
def demo(local_system: LocalSystem) -> Iterator[Demo]:
    seeded = seed_demo(local_system)  # idempotent: a second module gets {"created": False} and reads the API
    owner = Client(local_system, DEMO_WORKSPACE_ID, DEMO_OWNER_EMAIL)
    subscribers = owner.ok("get", "/api/subscribers")["items"]
    subscriber = subscribers[0]
    ids: dict[str, str] = {
        "subscriber_id": subscriber["subscriber_id"],
        "channel_id": DEMO_CHANNEL_ID,
        "scenario_id": seeded.get("scenario_id") or owner.ok("get", "/api/scenarios")["items"][0]["id"],
        "form_id": seeded.get("form_id") or owner.ok("get", "/api/forms")["items"][0]["form_id"],
        "tag_id": owner.ok("get", "/api/tags")["tags"][0]["tag_id"],
        "key": "visit_count",
        "email": DEMO_OWNER_EMAIL,
        "identity_id": owner.ok("get", "/api/senders")["items"][0]["identity_id"],  # the seeded e-mail sender
    }
    created = {
        "segment_id": _try_create(owner, "/api/segments", {"name": "デモセグメント", "definition": {"type": "group"}},
                                  "segment_id"),
        "broadcast_id": _try_create(owner, "/api/broadcasts", {
            "name": "デモ配信", "content": {"line": [{"type": "text", "text": "デモ配信です"}]}}, "broadcast_id"),
        "product_id": _try_create(owner, "/api/products", {"name": "デモ商品", "amount": 1000}, "product_id"),
        "auto_reply_id": _try_create(owner, "/api/auto-replies", {
            "name": "デモ応答", "match_type": "exact", "keywords": ["予約"],
            "messages": [{"type": "text", "text": "はい"}]}, "id"),
        "import_id": _try_create(owner, "/api/imports", {"csv": "メールアドレス\r\nimport@example.com\r\n"},
                                 "import_id"),
        "list_id": _try_create(owner, "/api/lists", {"name": "デモリスト", "kind": "email",
                                                      "values": ["friend000@example.com"]}, "list_id"),
        "folder_id": _try_create(owner, "/api/tag-folders", {"name": "デモフォルダ"}, "folder_id"),
        "link_id": _try_create(owner, "/api/links", {"name": "デモリンク", "target_url": "https://example.com/demo"},
                              "link_id"),
        "route_id": _try_create(owner, "/api/inflow-routes", {"name": "デモ流入経路", "channel_id": DEMO_CHANNEL_ID},
                                "route_id"),
        "partner_id": _try_create(owner, "/api/partners", {"name": "デモパートナー", "channel_id": DEMO_CHANNEL_ID},
                                  "partner_id"),
        "code": _try_create(owner, "/api/conversion-points", {"name": "デモCV", "kind": "url"}, "code"),
        "coupon_id": _try_create(owner, "/api/coupons", {"name": "デモクーポン", "discount_type": "percent",
                                                          "discount_value": 10, "mode": "pool"}, "coupon_id"),
        "menu_id": _try_create(owner, "/api/rich-menus", {
            "name": "デモメニュー", "channel_id": DEMO_CHANNEL_ID, "size": {"width": 2500, "height": 843},
            "chat_bar_text": "メニュー", "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                                                  "action": {"type": "message", "text": "予約"}}]}, "id"),
    }
    ids["step_id"] = owner.ok("get", f"/api/scenarios/{ids['scenario_id']}")["steps"][0]["id"]
    endpoint_id = seeded.get("webhook_endpoint_id") or owner.ok("get", "/api/webhooks")["items"][0]["endpoint_id"]
    created["endpoint_id"] = endpoint_id  # the demo's outgoing-webhook endpoint and one delivery of it
    created["delivery_id"] = _try_create(owner, f"/api/webhooks/{endpoint_id}/test", {}, "delivery_id")
    operator = _try_create(owner, "/api/operators", {"email": "staff@demo.example.com", "role": "viewer"}, "email")
    if operator:
        ids["email"] = operator
    ids.update({k: v for k, v in created.items() if v})
    seminar_id = _try_create(owner, "/api/seminars", {"title": "デモセミナー"}, "event_id")
    if seminar_id:  # a seminar with a session and one friend's registration (haishin.seminars)
        ids["seminar_id"] = seminar_id
        session_id = _try_create(owner, f"/api/seminars/{seminar_id}/sessions", SEMINAR_SESSION, "session_id")
        if session_id:
            ids["session_id"] = session_id
            registration = _try_create(owner, f"/api/seminars/{seminar_id}/registrations",
                                       {"subscriber_id": ids["subscriber_id"], "session_id": session_id},
                                       "registration_id")
            if registration:
                ids["registration_id"] = registration
    ids.setdefault("order_id", "ord_01M8360000000000000000DEMO")  # no Stripe checkout in the seed: a made-up ID
    ids.setdefault("event_id", "evt_demo_kept_for_review")  # no kept Stripe event in the seed: a made-up ID
    booking_ids = {
        "booking_menu_id": _try_create(owner, "/api/booking-menus", {"name": "デモカット", "duration_minutes": 60},
                                       "menu_id"),
        "staff_id": _try_create(owner, "/api/booking-staff", {"name": "デモ担当", "hours": {"mon": [["10:00", "12:00"]]}},
                                "staff_id"),
    }
    ids.update({k: v for k, v in booking_ids.items() if v})
    funnel = owner.call("post", "/api/funnels", {"name": "デモファネル", "pages": [
        {"page_id": "lp", "kind": "optin", "title": "デモLP", "blocks": [{"type": "heading", "text": "デモ"}]}]})[1]
    if isinstance(funnel, dict) and funnel.get("funnel_id"):
        ids.update(funnel_id=funnel["funnel_id"], page_id="lp")
    course_id = _try_create(owner, "/api/courses", {"title": "デモ講座", "chapters": [
        {"title": "第1章", "lessons": [{"title": "はじめに", "body": "ようこそ"}]}]}, "course_id")
    if course_id:
        ids["course_id"] = course_id
    asset_id = _try_create(owner, "/api/assets", {"kind": "image", "name": "デモ画像.png", "base64": b64(png())},
                           "asset_id")
    if asset_id:
        ids["asset_id"] = asset_id
    ids.setdefault("redemption_id", "cpr_01M8360000000000000000DEMO")  # another workspace's redemption is 404
    ids.setdefault("booking_id", "bkg_01M8360000000000000000DEMO")  # another workspace's booking is 404 either way
    ids.setdefault("job_id", "rmj_01M8360000000000000000DEMO")  # a rich menu re-link job: another workspace's is 404
    secrets = {s["display_name"] for s in subscribers if s.get("display_name")}
    secrets |= {a["line_user_id"] for s in subscribers for a in s.get("line") or [] if a.get("line_user_id")}
    secrets |= {s["email"] for s in subscribers if s.get("email")}
    secrets |= {s["subscriber_id"] for s in subscribers}
    secrets |= {"デモサロン", "staff@demo.example.com", DEMO_OWNER_EMAIL, "デモセグメント", "デモ配信", "デモリスト"}
    secrets |= {v for k, v in ids.items() if k not in ("key",)}
    secrets |= {i["from_address"] for i in owner.ok("get", "/api/senders")["items"]}
    reread = {path: owner.ok("get", path) for path in (
        f"/api/subscribers/{ids['subscriber_id']}", f"/api/scenarios/{ids['scenario_id']}",
        f"/api/forms/{ids['form_id']}", f"/api/channels/{DEMO_CHANNEL_ID}", "/api/tags", "/api/fields",
        "/api/operators", "/api/segments", "/api/broadcasts", "/api/lists", "/api/auto-replies", "/api/senders",
        "/api/funnels", "/api/courses", "/api/assets",
    )}
    yield Demo(system=local_system, ids=ids, secrets=secrets, reread=reread)


def _operations(client: Client) -> list[tuple[str, str]]:
    status, spec, _ = client.call("get", "/api/openapi.json")
    assert status == 200
    return sorted((method, path) for path, ops in spec["paths"].items() for method in ops
                  if method in ("get", *MUTATING))


def _fill(template: Any, ids: dict[str, str]) -> Any:
    text = json.dumps(template, ensure_ascii=False)
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)


def _leaks(text: str, secrets: set[str], asked: str) -> list[str]:
    return sorted(s for s in secrets if s and s in text and s not in asked)


def test_another_workspace_reaches_nothing_of_ws_demo_and_changes_nothing(demo: Demo) -> None:
    other = Client(demo.system, OTHER_WORKSPACE, "owner@other.example.com", new_owner=True)
    problems: list[str] = []
    reached_handler = 0
    operations = _operations(other)
    assert len(operations) > 60
    for method, template in operations:
        params = re.findall(r"\{([^}]+)\}", template)
        missing = [p for p in params if p not in demo.ids]
        if missing:
            problems.append(f"{method.upper()} {template}: no ws_demo value for {missing} (add one to the fixture)")
            continue
        path = _fill(template, demo.ids)
        body = _fill(BODIES.get((method, template), {}), demo.ids) if method in MUTATING else None
        status, payload, text = other.call(method, path, body)
        label = f"{method.upper()} {template} -> {status}"
        leaks = _leaks(text, demo.secrets, path + json.dumps(body, ensure_ascii=False))
        if leaks:
            problems.append(f"{label}: ws_demo values in the response: {leaks[:5]}")
        if status >= 500:
            problems.append(f"{label}: {text[:200]}")
        elif params:
            if status not in (403, 404, 422):
                problems.append(f"{label}: a ws_demo object answered {text[:200]}")
            reached_handler += status != 422
        elif 200 <= status < 300 and method == "get" and isinstance(payload, dict):
            # collection and settings routes: ws_other's own (empty) data only; the leak check above covers content
            pass
    owner = Client(demo.system, DEMO_WORKSPACE_ID, DEMO_OWNER_EMAIL)
    changed = [path for path, before in demo.reread.items() if owner.ok("get", path) != before]
    assert problems == []
    assert changed == []  # the mutating calls above left ws_demo as it was
    assert reached_handler > 30  # most ID routes were refused by the handler itself, not by body validation


def test_collections_of_another_workspace_are_empty(demo: Demo) -> None:
    other = Client(demo.system, OTHER_WORKSPACE + "_fresh", "owner@fresh.example.com", new_owner=True)
    for path, key in (("/api/subscribers", "items"), ("/api/scenarios", "items"), ("/api/forms", "items"),
                      ("/api/channels", "channels"), ("/api/segments", "segments"), ("/api/broadcasts", "items"),
                      ("/api/products", "items"), ("/api/orders", "items"),
                      ("/api/lists", "lists"), ("/api/imports", "imports"), ("/api/auto-replies", "auto_replies"),
                      ("/api/links", "items")):
        assert other.ok("get", path)[key] == [], path
    assert other.ok("get", "/api/tags")["tags"] == []
    assert other.ok("get", "/api/fields")["fields"] == []
    assert [o["email"] for o in other.ok("get", "/api/operators")["items"]] == ["owner@fresh.example.com"]


def _login(system: LocalSystem, email: str, workspace_id: str) -> tuple[int, Any]:
    response = requests.post(f"{system.base_url}/_dev/login", json={"email": email, "workspace_id": workspace_id,
                                                                    "role": "owner"}, timeout=30)
    return response.status_code, response.json()


def test_the_dev_login_signs_in_only_operators_of_the_workspace(demo: Demo) -> None:
    """As in production (Cognito + the operator record): the seeded owner and invited operators get in; an e-mail
    with no operator record in that workspace is 403, whatever role it asks for."""
    assert _login(demo.system, DEMO_OWNER_EMAIL, DEMO_WORKSPACE_ID)[0] == 200
    status, body = _login(demo.system, "stranger@example.com", DEMO_WORKSPACE_ID)
    assert (status, body["code"]) == (403, "forbidden")
    assert _login(demo.system, DEMO_OWNER_EMAIL, "ws_somebody_else")[0] == 403  # the owner of ws_demo only
    owner = Client(demo.system, DEMO_WORKSPACE_ID, DEMO_OWNER_EMAIL)
    owner.ok("post", "/api/operators", {"email": "viewer@login.example.com", "role": "viewer"})
    status, body = _login(demo.system, "viewer@login.example.com", DEMO_WORKSPACE_ID)
    assert status == 200
    viewer = requests.get(f"{demo.system.base_url}/api/me", headers={"authorization": f"Bearer {body['token']}"},
                          timeout=30).json()
    assert viewer["role"] == "viewer"  # the record's role, not the one the login form asked for
    owner.ok("delete", "/api/operators/viewer%40login.example.com")
    assert _login(demo.system, "viewer@login.example.com", DEMO_WORKSPACE_ID)[0] == 403


def _created(client: Client, path: str, body: Any, key: str) -> str:
    status, payload, text = client.call("post", path, body)
    assert 200 <= status < 300 and isinstance(payload, dict), f"POST {path}: {status} {text[:300]}"
    return str(payload[key])


def test_writes_naming_another_workspaces_objects_are_404_and_store_nothing(demo: Demo) -> None:
    """ws_other writes to its own objects with bodies that name ws_demo's: each is refused with 404 naming the field,
    and neither workspace changes."""
    other = Client(demo.system, OTHER_WORKSPACE + "_refs", "owner@refs.example.com", new_owner=True)
    d = demo.ids
    text = {"line": [{"type": "text", "text": "こんにちは"}]}
    mine = {
        "broadcast": _created(other, "/api/broadcasts", {"name": "自社配信", "content": text}, "broadcast_id"),
        "tag": _created(other, "/api/tags", {"name": "自社タグ"}, "tag_id"),
        "segment": _created(other, "/api/segments", {"name": "自社", "definition": {"type": "group"}},
                            "segment_id"),
        "subscriber": _created(other, "/api/subscribers", {"email": "me@refs.example.com"}, "subscriber_id"),
        "product": _created(other, "/api/products", {"name": "自社商品", "amount": 1000}, "product_id"),
        "link": _created(other, "/api/links", {"name": "自社リンク", "target_url": "https://example.com/"},
                         "link_id"),
        "scenario": _created(other, "/api/scenarios", {"name": "自社シナリオ", "steps": [{"line": text["line"]}]},
                             "id"),
        "form": _created(other, "/api/forms", {"name": "自社フォーム", "title": "アンケート",
                                               "fields": [{"key": "q1", "label": "ご質問"}]}, "form_id"),
    }
    m = mine
    start_theirs = [{"type": "start_scenario", "scenario_id": d["scenario_id"]}]
    tag_theirs = [{"type": "add_tag", "tag": d["tag_id"]}]
    cases: list[tuple[str, str, Any, str]] = [
        ("post", "/api/broadcasts", {"name": "b", "content": text, "segment_id": d["segment_id"]}, "segment_id"),
        ("post", "/api/broadcasts", {"name": "b", "content": text, "line_channel_id": d["channel_id"]},
         "line_channel_id"),
        ("patch", f"/api/broadcasts/{m['broadcast']}", {"segment_id": d["segment_id"]}, "segment_id"),
        ("post", f"/api/broadcasts/{m['broadcast']}/test-send", {"subscriber_ids": [d["subscriber_id"]]},
         "subscriber_ids.0"),
        ("post", "/api/broadcasts/id-lists", {"kind": "email", "text": "a@example.com", "name": "l",
                                              "line_channel_id": d["channel_id"]}, "line_channel_id"),
        ("post", "/api/tags", {"name": "新タグ", "folder_id": d["folder_id"]}, "folder_id"),
        ("patch", f"/api/tags/{m['tag']}", {"name": "自社タグ", "folder_id": d["folder_id"]}, "folder_id"),
        ("post", "/api/segments", {"name": "s", "definition": {"type": "group", "children": [
            {"type": "list", "list_id": d["list_id"]}]}}, "definition.children.0.list_id"),
        ("put", f"/api/segments/{m['segment']}", {"name": "s", "definition": {"type": "group", "children": [
            {"type": "tags", "tags": [d["tag_id"]]}]}}, "definition.children.0.tags.0"),
        ("post", "/api/segments/count", {"definition": {"type": "group", "children": [
            {"type": "scenario", "scenario_id": d["scenario_id"]}]}}, "definition.children.0.scenario_id"),
        ("post", "/api/subscribers/search", {"segment_id": d["segment_id"]}, "segment_id"),
        ("patch", f"/api/subscribers/{m['subscriber']}", {"add_tags": [d["tag_id"]]}, "add_tags.0"),
        ("post", f"/api/subscribers/{m['subscriber']}/merge", {"other_subscriber_id": d["subscriber_id"]},
         "other_subscriber_id"),
        ("post", "/api/operators", {"email": "staff@refs.example.com", "role": "viewer",
                                    "channel_id": d["channel_id"]}, "channel_id"),
        ("post", "/api/exports", {"segment_id": d["segment_id"]}, "segment_id"),
        ("post", "/api/products", {"name": "p", "amount": 1000, "dunning_scenario_id": d["scenario_id"]},
         "dunning_scenario_id"),
        ("put", f"/api/products/{m['product']}", {"name": "p", "amount": 1000, "actions": start_theirs},
         "actions.0.scenario_id"),
        ("post", f"/api/products/{m['product']}/link", {"subscriber_id": d["subscriber_id"]}, "subscriber_id"),
        ("post", "/api/auto-replies", {"name": "a", "match_type": "exact", "keywords": ["予約"],
                                       "messages": [{"type": "text", "text": "はい"}], "actions": start_theirs},
         "actions.0.scenario_id"),
        ("post", "/api/links", {"name": "l", "target_url": "https://example.com/", "actions": tag_theirs},
         "actions.0.tag"),
        ("post", f"/api/links/{m['link']}/friend-url", {"subscriber_id": d["subscriber_id"]}, "subscriber_id"),
        ("post", "/api/scenarios", {"name": "s", "triggers": [{"type": "form_submitted", "form_id": d["form_id"]}],
                                    "steps": [{"line": text["line"]}]}, "triggers.0.form_id"),
        ("put", f"/api/scenarios/{m['scenario']}", {"name": "s", "steps": [{"line": text["line"],
                                                                            "actions": start_theirs}]},
         "steps.0.actions.0.scenario_id"),
        ("post", f"/api/scenarios/{m['scenario']}/enrollments", {"subscriber_id": d["subscriber_id"]},
         "subscriber_id"),
        ("put", f"/api/forms/{m['form']}", {"name": "f", "title": "t", "fields": [{"key": "q1", "label": "q"}],
                                            "channel_id": d["channel_id"]}, "channel_id"),
        ("post", f"/api/forms/{m['form']}/link", {"subscriber_id": d["subscriber_id"]}, "subscriber_id"),
    ]
    reads = ("/api/broadcasts", "/api/tags", "/api/segments", "/api/subscribers", "/api/products", "/api/links",
             "/api/scenarios", "/api/forms", "/api/operators", "/api/lists", "/api/auto-replies", "/api/exports")
    before = {p: other.call("get", p)[1] for p in reads}
    problems = []
    for method, path, body, where in cases:
        status, payload, text_ = other.call(method, path, body)
        if (status, (payload or {}).get("where")) != (404, where):
            problems.append(f"{method.upper()} {path} naming {where}: {status} {text_[:200]}")
    assert problems == []
    assert {p: other.call("get", p)[1] for p in reads} == before
    owner = Client(demo.system, DEMO_WORKSPACE_ID, DEMO_OWNER_EMAIL)
    assert [path for path, was in demo.reread.items() if owner.ok("get", path) != was] == []
