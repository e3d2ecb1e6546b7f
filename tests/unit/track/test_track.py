"""Click tracking on every message (haishin.track): URL rewriting (text, URI actions in buttons, flex, imagemap and
quick replies; notrack; no double wrap; length), signed tokens (a forged or tampered one: a Japanese page, nothing
recorded), counting per source (total, unique, rate), the renderer hook and the A/B results by variant."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from haishin import wiring
from haishin.render import Renderer, variables_for
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.models import line_account
from haishin.track import tokens
from haishin.track.models import ClickStatsModel
from haishin.track.rewrite import has_trackable_url, rewrite_messages
from haishin.track.service import TrackService, rate
from haishin.wiring import Services

WS = "w_track"
TARGET = "https://shop.example.jp/spring?utm_source=line&x=1"
BASE = "https://localhost"


def _wrap(url: str) -> str:
    return f"{BASE}/c/W[{url}]"


# ---------------------------------------------------------------------------------------------- rewriting (pure)
def test_text_urls_are_rewritten_and_japanese_punctuation_ends_a_url() -> None:
    out = rewrite_messages([{"type": "text", "text": f"詳しくは{TARGET}。またはhttp://a.example.jp/x」"}], _wrap,
                           f"{BASE}/c/")
    assert out[0]["text"] == f"詳しくは{BASE}/c/W[{TARGET}]。または{BASE}/c/W[http://a.example.jp/x]」"


def test_uri_actions_in_buttons_flex_imagemap_and_quick_reply_are_rewritten() -> None:
    action = {"type": "uri", "label": "見る", "uri": TARGET}
    messages = [
        {"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [action]}},
        {"type": "flex", "altText": "f", "contents": {"type": "bubble", "footer": {
            "type": "box", "layout": "vertical", "contents": [{"type": "button", "action": action}]}}},
        {"type": "imagemap", "baseUrl": "https://img.example.jp/m", "altText": "i",
         "baseSize": {"width": 1040, "height": 1040},
         "actions": [{"type": "uri", "linkUri": TARGET, "area": {"x": 0, "y": 0, "width": 1, "height": 1}}]},
        {"type": "text", "text": "選んでね", "quickReply": {"items": [{"type": "action", "action": action}]}},
    ]
    original = copy.deepcopy(messages)
    out = rewrite_messages(messages, _wrap, f"{BASE}/c/")
    wrapped = f"{BASE}/c/W[{TARGET}]"
    assert out[0]["template"]["actions"][0]["uri"] == wrapped
    assert out[1]["contents"]["footer"]["contents"][0]["action"]["uri"] == wrapped
    assert out[2]["actions"][0]["linkUri"] == wrapped
    assert out[2]["baseUrl"] == "https://img.example.jp/m"  # an image URL is not a link
    assert out[3]["quickReply"]["items"][0]["action"]["uri"] == wrapped
    assert messages == original  # the input is not changed (the renderer's cache and the content stay as saved)


def test_notrack_marker_leaves_the_url_and_removes_the_marker() -> None:
    out = rewrite_messages([
        {"type": "text", "text": f"notrack:{TARGET} と {TARGET}"},
        {"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [
            {"type": "uri", "label": "x", "uri": f"notrack:{TARGET}"}]}},
    ], _wrap, f"{BASE}/c/")
    assert out[0]["text"] == f"{TARGET} と {BASE}/c/W[{TARGET}]"
    assert out[1]["template"]["actions"][0]["uri"] == TARGET


def test_tracked_urls_and_other_schemes_are_not_wrapped() -> None:
    already = f"{BASE}/c/l_01ABC.s_1.123.mac"
    out = rewrite_messages([
        {"type": "text", "text": f"{already} tel:0312345678"},
        {"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [
            {"type": "uri", "label": "x", "uri": already}, {"type": "uri", "label": "y", "uri": "tel:0312345678"}]}},
    ], _wrap, f"{BASE}/c/")
    assert out[0]["text"] == f"{already} tel:0312345678"
    assert [a["uri"] for a in out[1]["template"]["actions"]] == [already, "tel:0312345678"]


def test_has_trackable_url() -> None:
    assert has_trackable_url([{"type": "text", "text": f"見て {TARGET}"}])
    assert not has_trackable_url([{"type": "text", "text": f"見て notrack:{TARGET}"}])
    assert not has_trackable_url([{"type": "text", "text": "こんにちは"}])


# ---------------------------------------------------------------------------------------------- tokens (pure)
def test_token_is_short_deterministic_and_round_trips() -> None:
    key = b"k" * 32
    source = tokens.Source("b", "b_01JABCDEFGHJKMNPQRSTVWXYZ0", "1")
    link_id = tokens.link_id_for(WS, TARGET)
    token = tokens.mint(key, WS, link_id, "s_01JABCDEFGHJKMNPQRSTVWXYZ0", source)
    assert token == tokens.mint(key, WS, link_id, "s_01JABCDEFGHJKMNPQRSTVWXYZ0", source)  # idempotent render
    assert len(token) <= 110  # a LINE URI action takes 1000 characters; a text message 5000
    assert tokens.looks_like(token)
    assert tokens.verify(key, WS, tokens.parse(token)) == source
    odd = tokens.Source("s", "sc_1", "ステップ.1")  # any step ID survives the URL
    assert tokens.verify(key, WS, tokens.parse(tokens.mint(key, WS, link_id, "s_1", odd))) == odd


@pytest.mark.parametrize("change", ["mac", "source", "friend", "workspace"])
def test_forged_tokens_are_refused(change: str) -> None:
    key = b"k" * 32
    link_id = tokens.link_id_for(WS, TARGET)
    token = tokens.mint(key, WS, link_id, "s_1", tokens.Source("b", "b_1", None))
    link, friend, source, mac = token.split(".")
    workspace = WS
    if change == "mac":
        mac = ("A" if mac[0] != "A" else "B") + mac[1:]
    elif change == "source":
        source = "b~b_2"
    elif change == "friend":
        friend = "s_2"
    else:
        workspace = "w_other"
    with pytest.raises(tokens.TrackTokenInvalid):
        tokens.verify(key, workspace, tokens.parse(".".join([link, friend, source, mac])))


# ---------------------------------------------------------------------------------------------- service + pages
@dataclass
class Env:
    root: Services
    track: TrackService


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    root = Services(secrets=InMemorySecretStore())
    previous = wiring.install(root)
    try:
        yield Env(root, root.track)
    finally:
        wiring.install(previous)


def _friend(env: Env, route: str | None = None) -> str:
    repo = env.root.subscribers
    subscriber = repo.new(WS, source="line")
    user = "U" + subscriber.subscriber_id[-8:].lower().rjust(32, "0")
    subscriber.line = {"1234500901": line_account(user, status="following")}
    subscriber.inflow_route = route
    repo.create(subscriber, [("line:1234500901", user)])
    return subscriber.subscriber_id


def _get(env: Env, url: str) -> dict[str, Any]:
    path = url.removeprefix(BASE)
    return env.root.pages.handle({"rawPath": path, "requestContext": {"http": {"method": "GET"}}})


def _urls(messages: list[dict[str, Any]]) -> list[str]:
    return [word for word in messages[0]["text"].split() if word.startswith(BASE)]


def test_renderer_rewrites_with_a_tracker_and_the_same_render_gives_the_same_urls(env: Env) -> None:
    friend = _friend(env)
    renderer = Renderer()
    content = [{"type": "text", "text": "{{ name }}さん " + TARGET}]
    tracker = env.track.tracker(WS, friend, "s", "sc_1", "step-1")
    first = renderer.line_messages(content, variables_for(None), where="t", track=tracker)
    again = renderer.line_messages(content, variables_for(None), where="t", track=tracker)
    assert first == again
    (url,) = _urls(first)
    assert url.startswith(f"{BASE}/c/m")
    assert renderer.line_messages(content, variables_for(None), where="t")[0]["text"].endswith(TARGET)  # no tracker


def test_the_opt_out_url_is_never_wrapped(env: Env) -> None:
    """配信停止: the /u/ page a step or broadcast renders must open as it is (and leaving is not a click to count)."""
    friend = _friend(env)
    optout = f"{BASE}/u/{WS}.line.token"
    content = [{"type": "text", "text": f"停止はこちら {optout} / セール {TARGET}"},
               {"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [
                   {"type": "uri", "label": "停止", "uri": optout}]}}]
    tracker = env.track.tracker(WS, friend, "s", "sc_1", "step-1")
    out = Renderer().line_messages(content, variables_for(None), where="t", track=tracker)
    assert out[0]["text"].startswith(f"停止はこちら {optout} / セール {BASE}/c/")
    assert out[1]["template"]["actions"][0]["uri"] == optout


def test_clicks_are_counted_per_source_total_unique_and_route_and_redirect_to_the_url(env: Env) -> None:
    a, b, c = _friend(env, route="instagram"), _friend(env), _friend(env)
    content = [{"type": "text", "text": f"セール {TARGET}"}]
    urls = {f: _urls(rewrite(env, f, content))[0] for f in (a, b, c)}
    assert len(set(urls.values())) == 3  # per friend
    for friend in (a, a, b):
        response = _get(env, urls[friend])
        assert response["statusCode"] == 302
        assert response["headers"]["location"] == TARGET
    view = env.track.broadcast_view(WS, "b_1", delivered=3, variant_delivered={1: 3})
    assert (view["clicks"], view["unique_clicks"], view["click_rate"]) == (3, 2, round(2 / 3, 4))
    assert view["variants"] == [{"variant": 1, "clicks": 3, "unique_clicks": 2, "delivered": 3,
                                 "click_rate": round(2 / 3, 4)}]
    assert env.track.single_view(WS, "route#instagram") == {"clicks": 2, "unique_clicks": 1}
    assert env.track.clickers(WS, "broadcast#b_1", "variant#1") == {a, b}


def rewrite(env: Env, friend: str, content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return env.track.tracker(WS, friend, "b", "b_1", "1").rewrite(copy.deepcopy(content))


def test_steps_and_auto_replies_are_counted_apart(env: Env) -> None:
    friend = _friend(env)
    content = [{"type": "text", "text": TARGET}]
    step_url = _urls(env.track.tracker(WS, friend, "s", "sc_1", "day-2").rewrite(copy.deepcopy(content)))[0]
    reply_url = _urls(env.track.tracker(WS, friend, "a", "ar_1").rewrite(copy.deepcopy(content)))[0]
    assert _get(env, step_url)["statusCode"] == 302
    assert _get(env, reply_url)["statusCode"] == 302
    assert env.track.scenario_view(WS, "sc_1", ["day-1", "day-2"])["steps"] == [
        {"step_id": "day-1", "clicks": 0, "unique_clicks": 0}, {"step_id": "day-2", "clicks": 1, "unique_clicks": 1}]
    assert env.track.single_view(WS, "autoreply#ar_1") == {"clicks": 1, "unique_clicks": 1}


@pytest.mark.parametrize("tamper", ["mac", "source", "friend", "garbage"])
def test_a_forged_url_gets_a_japanese_page_no_redirect_and_nothing_recorded(env: Env, tamper: str) -> None:
    friend = _friend(env)
    url = _urls(rewrite(env, friend, [{"type": "text", "text": TARGET}]))[0]
    head, token = url.rsplit("/", 1)
    link, sub, source, mac = token.split(".")
    if tamper == "mac":
        mac = ("A" if mac[0] != "A" else "B") + mac[1:]
    elif tamper == "source":
        source = "b~b_9~0"
    elif tamper == "friend":
        sub = _friend(env)
    else:
        mac = "<script>"
    response = _get(env, f"{head}/{link}.{sub}.{source}.{mac}")
    assert response["statusCode"] == 403
    assert "location" not in (response.get("headers") or {})
    assert "このリンクは無効です" in response["body"]
    assert [i.pk for i in ClickStatsModel.scan() if i.pk.startswith(("clickstats#", "clickfriend#"))] == []


def test_an_unknown_link_is_not_found(env: Env) -> None:
    token = tokens.mint(b"k" * 32, WS, "maaaaaaaaaaaaaaaa", "s_1", tokens.Source("b", "b_1"))
    assert _get(env, f"{BASE}/c/{token}")["statusCode"] == 404


def test_rate() -> None:
    assert rate(2, 3) == 0.6667
    assert rate(0, 0) is None


def test_a_scenario_step_sent_by_the_worker_carries_a_tracked_url_counted_on_its_step(aws: Any,
                                                                                      manual_clock: Any) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from tests.unit.scenarios.step_harness import StepWorld  # noqa: PLC0415

    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    world = StepWorld()
    ws = world.workspace()
    sub = world.friend(ws, "U1")
    scenario = world.scenario(ws, {"name": "welcome", "steps": [
        {"id": "hello", "timing": {"type": "immediately"},
         "line": [{"type": "text", "text": f"ようこそ {TARGET} notrack:https://help.example.jp"}]}]})
    world.enroll(ws, sub, scenario)
    world.tick()
    world.drain()
    (received,) = world.line.of("U1")
    text = received.messages[0]["text"]
    assert TARGET not in text and text.endswith(" https://help.example.jp")  # notrack: left as written
    url = text.split()[1]
    assert url.startswith(f"{BASE}/c/m")
    response = world.services.pages.handle({"rawPath": url.removeprefix(BASE),
                                            "requestContext": {"http": {"method": "GET"}}})
    assert response["statusCode"] == 302 and response["headers"]["location"] == TARGET
    steps = world.services.track.scenario_view(ws, scenario.id, ["hello"])["steps"]
    assert steps == [{"step_id": "hello", "clicks": 1, "unique_clicks": 1}]


def test_an_auto_reply_url_is_tracked_and_counted_on_the_auto_reply(aws: Any, manual_clock: Any) -> None:
    from haishin.autoreplies.rules import AutoReplyStore  # noqa: PLC0415
    from haishin.channels.activity import ChannelActivity  # noqa: PLC0415
    from tests.unit.line.conftest import WS as LINE_WS  # noqa: PLC0415
    from tests.unit.line.conftest import (  # noqa: PLC0415
        FakeLine,
        FakeLineClients,
        RecordingTriggers,
        envelope,
        line_event,
        text_event,
    )

    line = FakeLine()
    root = Services(line_clients=FakeLineClients(line), scenario_service=RecordingTriggers(),
                    auto_replies=AutoReplyStore(cache_ttl_s=0), channel_activity=ChannelActivity(cache_ttl_s=0))
    rule = AutoReplyStore().create(LINE_WS, {
        "name": "予約", "match_type": "contains", "keywords": ["予約"], "priority": 100,
        "messages": [{"type": "text", "text": f"ご予約はこちら {TARGET}"}]})
    root.line_events.process_record(envelope([line_event("follow"), text_event("予約したいです")]))
    text = line.replies[0][1][0]["text"]
    url = text.split()[1]
    assert url.startswith(f"{BASE}/c/m") and TARGET not in text
    response = root.pages.handle({"rawPath": url.removeprefix(BASE), "requestContext": {"http": {"method": "GET"}}})
    assert response["statusCode"] == 302 and response["headers"]["location"] == TARGET
    assert root.track.single_view(LINE_WS, f"autoreply#{rule.auto_reply_id}") == {"clicks": 1, "unique_clicks": 1}


def test_the_renderers_walk_rewrites_exactly_what_the_standalone_rewrite_does(env: Env) -> None:
    """The renderer rewrites URI actions during its own walk (one walk per friend when planning); it must find the
    same URLs as ``rewrite_messages`` everywhere: flex, imagemap, quick reply, text, and leave the rest alone."""
    friend = _friend(env)
    content = [
        {"type": "text", "text": "{{ name }}さん " + TARGET + " notrack:https://keep.example.jp/x",
         "quickReply": {"items": [{"type": "action", "action": {"type": "uri", "label": "q", "uri": TARGET + "?q"}}]}},
        {"type": "flex", "altText": "f", "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical",
         "contents": [{"type": "button", "action": {"type": "uri", "label": "b", "uri": TARGET + "?flex",
                                                    "altUri": {"desktop": "https://desk.example.jp"}}},
                      {"type": "text", "text": "https://not-an-action.example.jp"}]}}},
        {"type": "imagemap", "baseUrl": "https://img.example.jp/map", "altText": "i", "baseSize": {"width": 1040,
         "height": 1040}, "actions": [{"type": "uri", "linkUri": TARGET + "?map",
                                       "area": {"x": 0, "y": 0, "width": 10, "height": 10}}]},
        {"type": "template", "altText": "t", "template": {"type": "buttons", "text": "t", "actions": [
            {"type": "uri", "label": "tel", "uri": "tel:0312345678"},
            {"type": "uri", "label": "off", "uri": "notrack:" + TARGET + "?off"}]}},
    ]
    renderer = Renderer()
    fused = renderer.line_messages(content, variables_for(None), where="t",
                                   track=env.track.tracker(WS, friend, "b", "b_1", "0"))
    plain = renderer.line_messages(content, variables_for(None), where="t")
    standalone = env.track.tracker(WS, friend, "b", "b_1", "0").rewrite(copy.deepcopy(plain))
    assert fused == standalone
    assert fused[0]["text"].count(f"{BASE}/c/") == 1 and fused[0]["text"].endswith(" https://keep.example.jp/x")
    assert fused[0]["quickReply"]["items"][0]["action"]["uri"].startswith(f"{BASE}/c/")
    button = fused[1]["contents"]["body"]["contents"]
    assert button[0]["action"]["uri"].startswith(f"{BASE}/c/")
    assert button[1]["text"] == "https://not-an-action.example.jp"  # flex text is not a link
    assert fused[2]["actions"][0]["linkUri"].startswith(f"{BASE}/c/")
    assert fused[2]["baseUrl"] == "https://img.example.jp/map"
    assert [a["uri"] for a in fused[3]["template"]["actions"]] == ["tel:0312345678", TARGET + "?off"]
