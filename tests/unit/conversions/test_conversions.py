"""Conversion points (haishin.conversions): recorded once per cause, attributed to the last click (within the
window), the last message and the route; the /cv/ pixel with the signed friend token the tracked redirect hands
out; bad input (unknown code, forged token, another workspace's IDs) stores nothing; the admin API."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from haishin import wiring
from haishin.api.app import AdminApi
from haishin.conversions.models import ConversionStatsModel
from haishin.conversions.service import ConversionService, PointDefinition
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.models import line_account
from haishin.track.service import with_friend_token
from haishin.webhook_events import EventFanout
from haishin.wiring import Services
from tests.support.admin_api import call_admin_api

WS = "w_conv"
OTHER = "w_conv_other"
BASE = "https://localhost"
LANDING = "https://shop.example.jp/lp?hs_cv=&utm_source=line"


@dataclass
class Env:
    root: Services
    cv: ConversionService
    clock: Any


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    manual_clock.set(datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    root = Services(secrets=InMemorySecretStore())
    previous = wiring.install(root)
    try:
        yield Env(root, root.conversions, manual_clock)
    finally:
        wiring.install(previous)


def _friend(env: Env, route: str | None = None, ws: str = WS) -> str:
    repo = env.root.subscribers
    subscriber = repo.new(ws, source="line")
    user = "U" + subscriber.subscriber_id[-8:].lower().rjust(32, "0")
    subscriber.line = {"1234500911": line_account(user, status="following")}
    subscriber.inflow_route = route
    repo.create(subscriber, [("line:1234500911", user)])
    return subscriber.subscriber_id


def _get(env: Env, url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return env.root.pages.handle({"rawPath": parts.path, "rawQueryString": parts.query,
                                  "queryStringParameters": {k: v[0] for k, v in parse_qs(parts.query).items()}
                                  or None, "requestContext": {"http": {"method": "GET"}}})


def _click(env: Env, friend: str, kind: str = "b", source_id: str = "b_1", sub: str | None = "1") -> str:
    """The friend taps the tracked landing URL of a message; returns where the redirect sends them."""
    messages = env.root.track.tracker(WS, friend, kind, source_id, sub).rewrite(
        copy.deepcopy([{"type": "text", "text": f"セール {LANDING}"}]))
    url = messages[0]["text"].split()[1]
    response = _get(env, url)
    assert response["statusCode"] == 302
    return str(response["headers"]["location"])


def _point(env: Env, **fields: Any) -> str:
    definition = {"name": "購入完了", "kind": "url", "window_days": 7, "value": 3000, **fields}
    return str(env.cv.create(WS, PointDefinition(**definition)).sk)


def _stats(scope: str, ws: str = WS) -> dict[str, tuple[int, int, int]]:
    return {i.sk: (int(i.conversions or 0), int(i.unique_friends or 0), int(i.revenue or 0))
            for i in ConversionStatsModel.query(f"cvstats#{ws}#{scope}")}


# ---------------------------------------------------------------------------------------------- the friend token
def test_only_links_opted_in_with_an_empty_hs_cv_carry_the_token() -> None:
    assert with_friend_token("https://a.example.jp/x?y=1", lambda: "T") == "https://a.example.jp/x?y=1"
    assert with_friend_token("https://a.example.jp/x?hs_cv=given", lambda: "T") == "https://a.example.jp/x?hs_cv=given"
    assert with_friend_token("https://a.example.jp/x?hs_cv=&y=%E3%81%82", lambda: "s_1.20600.abc") == \
        "https://a.example.jp/x?hs_cv=s_1.20600.abc&y=%E3%81%82"


def test_a_click_then_the_pixel_records_one_conversion_attributed_to_the_broadcast_variant(env: Env) -> None:
    code = _point(env)
    friend = _friend(env, route="instagram")
    landing = _click(env, friend)
    token = parse_qs(urlsplit(landing).query)["hs_cv"][0]
    assert token.startswith(friend + ".")
    pixel = _get(env, f"{BASE}/cv/{code}?f={token}")
    assert pixel["statusCode"] == 200 and pixel["headers"]["content-type"] == "image/gif"
    again = _get(env, f"{BASE}/cv/{code}?f={token}")  # a reload of the thank-you page
    assert again["statusCode"] == 200
    assert _stats(f"point#{code}")["all"] == (1, 1, 3000)
    assert _stats(f"point#{code}")["click#b~b_1~1"] == (1, 1, 3000)
    assert _stats(f"point#{code}")["route#instagram"] == (1, 1, 3000)
    assert _stats("broadcast#b_1")["click#variant#1"] == (1, 1, 3000)
    assert _stats("route#instagram")["all"] == (1, 1, 3000)
    # a second order of the same friend (its own txn) counts again; the friend stays one unique
    assert _get(env, f"{BASE}/cv/{code}?f={token}&txn=order-2")["statusCode"] == 200
    assert _stats(f"point#{code}")["all"] == (2, 1, 6000)
    view = env.root.conversions.broadcast_view(WS, "b_1", delivered=10)
    assert view["by_click"] == {"conversions": 2, "unique_conversions": 1, "revenue": 6000}
    assert view["conversion_rate"] == 0.1
    detail = env.cv.detail(WS, code)
    assert detail["recent"][0]["attribution"]["click"] == "b~b_1~1"
    assert {(b["attribution"], b["source"]["kind"], b["source"]["id"]) for b in detail["breakdown"]} == {
        ("click", "broadcast", "b_1"), ("route", "route", "instagram")}


def test_a_click_older_than_the_window_is_not_credited(env: Env) -> None:
    code = _point(env, window_days=3)
    friend = _friend(env)
    landing = _click(env, friend)
    token = parse_qs(urlsplit(landing).query)["hs_cv"][0]
    env.clock.advance(timedelta(days=3, minutes=1))
    assert _get(env, f"{BASE}/cv/{code}?f={token}")["statusCode"] == 200
    stats = _stats(f"point#{code}")
    assert stats["all"] == (1, 1, 3000)
    assert not any(sub.startswith("click#") for sub in stats)
    assert _stats("broadcast#b_1") == {}


def test_the_last_message_received_is_credited_too(env: Env) -> None:
    code = _point(env)
    friend = _friend(env)
    env.root.timeline.append(WS, friend, "step_sent", {"scenario_id": "sc_1", "step_id": "day-1"},
                             actor="scenario:sc_1", at=env.clock.now() - timedelta(days=2))
    env.root.timeline.append(WS, friend, "message_out", {"channel": "line"}, actor="broadcast:b_9",
                             at=env.clock.now() - timedelta(hours=1))
    _click(env, friend, kind="s", source_id="sc_1", sub="day-1")
    token = env.root.track.friend_token(WS, friend)
    assert _get(env, f"{BASE}/cv/{code}?f={token}")["statusCode"] == 200
    assert _stats("broadcast#b_9")["message"] == (1, 1, 3000)
    assert _stats("scenario#sc_1")["click#step#day-1"] == (1, 1, 3000)
    assert env.cv.scenario_view(WS, "sc_1", ["day-1"])["steps"][0]["by_click"]["conversions"] == 1


def test_an_auto_reply_is_the_last_message_when_it_was(env: Env) -> None:
    code = _point(env)
    friend = _friend(env)
    env.root.timeline.append(WS, friend, "message_out", {"auto_reply_id": "ar_7", "messages": []},
                             actor="auto_reply:ar_7", at=env.clock.now() - timedelta(minutes=5))
    assert _get(env, f"{BASE}/cv/{code}?f={env.root.track.friend_token(WS, friend)}")["statusCode"] == 200
    assert _stats("autoreply#ar_7")["message"] == (1, 1, 3000)


@pytest.mark.parametrize("bad", ["forged", "other_workspace", "expired", "garbage", "missing"])
def test_a_bad_friend_token_gets_a_japanese_page_and_stores_nothing(env: Env, bad: str) -> None:
    code = _point(env)
    friend = _friend(env)
    token = env.root.track.friend_token(WS, friend)
    _sub, expires, mac = token.split(".")
    if bad == "forged":
        token = f"{_friend(env)}.{expires}.{mac}"
    elif bad == "other_workspace":
        token = env.root.track.friend_token(OTHER, friend)
    elif bad == "expired":
        env.clock.advance(timedelta(days=91))
    elif bad == "garbage":
        token = "<script>"
    url = f"{BASE}/cv/{code}" + ("" if bad == "missing" else f"?f={token}")
    response = _get(env, url)
    assert response["statusCode"] == 403
    assert "このURLは無効です" in response["body"]
    assert _stats(f"point#{code}") == {}


def test_an_unknown_code_is_a_japanese_404_and_stores_nothing(env: Env) -> None:
    friend = _friend(env)
    token = env.root.track.friend_token(WS, friend)
    for code in ("nosuchcode", "a/../b", "あ"):
        response = _get(env, f"{BASE}/cv/{code}?f={token}")
        assert response["statusCode"] == 404
        assert "ページが見つかりません" in response["body"]
    assert [i.pk for i in ConversionStatsModel.scan() if i.pk.startswith("cv")] == []


# ---------------------------------------------------------------------------------------------- domain events
def test_events_reach_the_conversions_through_the_one_fanout(env: Env) -> None:
    assert isinstance(env.root.events, EventFanout)
    assert env.root.actions.events is env.root.events
    assert env.root.collaborators.webhooks is env.root.events


def test_a_purchase_counts_the_amount_paid_once_per_order(env: Env) -> None:
    code = _point(env, name="講座購入", kind="purchase", value=None, product_id=None)
    friend = _friend(env)
    _click(env, friend, source_id="b_sale", sub=None)
    data = {"subscriber_id": friend, "product_id": "p_1", "order_id": "o_1", "amount": 19800}
    env.root.events.publish(WS, "purchase_completed", data, idempotency_key="order:o_1:purchase")
    env.root.events.publish(WS, "purchase_completed", data, idempotency_key="order:o_1:purchase")  # redelivery
    assert _stats(f"point#{code}")["all"] == (1, 1, 19800)
    assert _stats("broadcast#b_sale")["click"] == (1, 1, 19800)


def test_form_and_tag_points_match_their_form_and_tag(env: Env) -> None:
    form_point = _point(env, name="申込", kind="form", form_id="f_1", value=500)
    any_form = _point(env, name="どのフォームでも", kind="form", value=None)
    tag_point = _point(env, name="見込み", kind="tag", tag_id="t_hot", value=None)
    friend = _friend(env)
    env.root.events.publish(WS, "form_submitted", {"subscriber_id": friend, "form_id": "f_2"}, idempotency_key="form:a1")
    env.root.events.publish(WS, "form_submitted", {"subscriber_id": friend, "form_id": "f_1"}, idempotency_key="form:a2")
    env.root.events.publish(WS, "tag_added", {"subscriber_id": friend, "tag_id": "t_cold"}, idempotency_key="k1")
    env.root.events.publish(WS, "tag_added", {"subscriber_id": friend, "tag_id": "t_hot"}, idempotency_key="k2")
    assert _stats(f"point#{form_point}")["all"] == (1, 1, 500)
    assert _stats(f"point#{any_form}")["all"] == (2, 1, 0)
    assert _stats(f"point#{tag_point}")["all"] == (1, 1, 0)


def test_a_failing_conversion_does_not_fail_the_cause(env: Env) -> None:
    class Boom:
        def publish(self, *args: Any, **kwargs: Any) -> int:
            raise RuntimeError("down")

    class Hooks:
        calls = 0

        def publish(self, *args: Any, **kwargs: Any) -> int:
            Hooks.calls += 1
            return 1

    assert EventFanout(Hooks(), Boom()).publish(WS, "tag_added", {}, idempotency_key="k") == 1
    assert Hooks.calls == 1


# ---------------------------------------------------------------------------------------------- admin API
def test_admin_api_creates_lists_and_records_with_errors_at_the_field(env: Env) -> None:
    api = AdminApi()
    status, body = call_admin_api(api, "POST", "/api/conversion-points", workspace=WS,
                                  body={"name": "購入", "kind": "tag"})
    assert status == 422 and body["where"] == "tag_id"
    status, body = call_admin_api(api, "POST", "/api/conversion-points", workspace=WS,
                                  body={"name": "購入", "kind": "url", "window_days": 0})
    assert status in (400, 422) and "window_days" in str(body)
    status, point = call_admin_api(api, "POST", "/api/conversion-points", workspace=WS,
                                   body={"name": "サンクス", "kind": "url", "value": 1000})
    assert status == 201 and point["url"].endswith(f"/cv/{point['code']}") and "<img" in point["snippet"]
    friend = _friend(env)
    status, body = call_admin_api(api, "POST", "/api/conversions", workspace=WS,
                                  body={"code": point["code"], "subscriber_id": friend, "event_id": "crm-1"})
    assert status == 200 and body["recorded"] is True
    status, body = call_admin_api(api, "POST", "/api/conversions", workspace=WS,
                                  body={"code": point["code"], "subscriber_id": friend, "event_id": "crm-1"})
    assert status == 200 and body["recorded"] is False
    status, listed = call_admin_api(api, "GET", "/api/conversion-points", workspace=WS)
    assert [(p["code"], p["conversions"], p["revenue"]) for p in listed["items"]] == [(point["code"], 1, 1000)]
    status, detail = call_admin_api(api, "GET", f"/api/conversion-points/{point['code']}", workspace=WS)
    assert status == 200 and detail["recent"][0]["cause"] == "api:crm-1"


def test_another_workspaces_ids_are_refused(env: Env) -> None:
    api = AdminApi()
    theirs = _friend(env, ws=OTHER)
    status, point = call_admin_api(api, "POST", "/api/conversion-points", workspace=WS,
                                   body={"name": "サンクス", "kind": "url"})
    status, body = call_admin_api(api, "POST", "/api/conversions", workspace=WS,
                                  body={"code": point["code"], "subscriber_id": theirs})
    assert status == 404 and body["where"] == "subscriber_id"
    status, body = call_admin_api(api, "POST", "/api/conversion-points", workspace=WS,
                                  body={"name": "x", "kind": "form", "form_id": "f_of_someone_else"})
    assert status == 404 and body["where"] == "form_id"
    status, _ = call_admin_api(api, "GET", f"/api/conversion-points/{point['code']}", workspace=OTHER)
    assert status == 404
    status, body = call_admin_api(api, "POST", "/api/conversions", workspace=OTHER,
                                  body={"code": point["code"], "subscriber_id": theirs})
    assert status == 404 and body["where"] == "code"
    assert [i.pk for i in ConversionStatsModel.scan() if i.pk.startswith("cvstats")] == []
