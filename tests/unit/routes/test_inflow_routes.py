"""Inflow routes (流入経路) and LINE Login: ID-token checks, the signed single-use state, the code exchange against the
LINE emulator (in this process, over loopback), attribution once / every time, the follow consuming a pending
attribution, refusals that store nothing, and the admin API (CRUD, QR PNG/SVG)."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin import clock, config, wiring
from haishin.api.app import AdminApi
from haishin.line import login as line_login
from haishin.line.login import LoginRefused
from haishin.routes.models import PendingRouteModel, RouteFriendModel, friends_pk, pending_pk
from haishin.routes.service import RouteDefinition
from haishin.secrets import InMemorySecretStore, secret_name
from haishin.storage.once import OnceModel
from haishin.subscribers.models import line_account
from haishin.tags.repository import TagRepository
from haishin.timeline.models import TimelineEntryModel, timeline_pk
from haishin.wiring import Services
from haishin.workspaces.models import ChannelModel
from haishin_local.line_emulator import LineEmulator
from haishin_local.line_emulator.login import sign_id_token
from tests.support.admin_api import call_admin_api, ensure_operator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

WS = "w_routes"
CH = "1650000042"
LOGIN_ID = "2000000042"
LOGIN_SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "token-routes"
ALICE = "U" + "a" * 32  # already a friend
CAROL = "U" + "c" * 32  # not yet a friend


@dataclass
class FakeScenarios:
    started: list[tuple[str, str]] = field(default_factory=list)

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        self.started.append((subscriber_id, scenario_id))

    def stop(self, *args: Any, **kwargs: Any) -> None: ...

    def stop_all(self, *args: Any, **kwargs: Any) -> None: ...

    def on_trigger(self, *args: Any, **kwargs: Any) -> None: ...

    def enrollments_of(self, *args: Any) -> list[dict[str, Any]]:
        return []


@dataclass
class Env:
    root: Services
    emulator: LineEmulator
    scenarios: FakeScenarios
    secrets: InMemorySecretStore
    cookies: dict[str, str] = field(default_factory=dict)  # the browser's cookie jar


@pytest.fixture
def env(aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    emulator = LineEmulator().start()
    emulator.register_channel(CH, "f" * 32, TOKEN, basic_id="@salon", display_name="サロン")
    emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, ["https://localhost/login/callback"],
                                          bot_channel_id=CH)
    emulator.add_user(ALICE, "アリス")
    emulator.add_user(CAROL, "キャロル")
    emulator.add_follower(CH, ALICE)
    monkeypatch.setenv("LINE_API_BASE", emulator.base_url)
    monkeypatch.setenv("LINE_LOGIN_BASE", emulator.base_url)
    config.reset_settings_cache()
    secrets = InMemorySecretStore()
    secrets.put(secret_name(WS, "line", CH), {"channel_secret": "f" * 32, "access_token": TOKEN,
                                              "login_channel_id": LOGIN_ID, "login_channel_secret": LOGIN_SECRET})
    ChannelModel.for_channel(WS, CH, name="サロン", basic_id="@salon", secret_name=secret_name(WS, "line", CH),
                             status="connected", connected_at=clock.now()).save()
    scenarios = FakeScenarios()
    root = Services(secrets=secrets, scenario_service=scenarios)
    previous = wiring.install(root)
    subscribers = root.subscribers
    alice = subscribers.new(WS, source="line")
    alice.line = {CH: line_account(ALICE, status="following")}
    subscribers.create(alice, [(f"line:{CH}", ALICE)])
    try:
        yield Env(root, emulator, scenarios, secrets)
    finally:
        wiring.install(previous)
        emulator.stop()
        config.reset_settings_cache()


def make_route(env: Env, run: str = "once", **extra: Any) -> Any:
    body = {"name": "Instagram プロフィール", "folder": "SNS", "channel_id": CH, "run": run,
            "actions": [{"type": "add_tag", "tag": "instagram"}, {"type": "start_scenario", "scenario_id": "sc_1"}],
            **extra}
    return env.root.routes.create(WS, RouteDefinition.model_validate(body))


def page(env: Env, path: str, query: dict[str, str] | None = None, *,
         jar: dict[str, str] | None = None) -> dict[str, Any]:
    """A GET from the browser whose cookie ``jar`` (default: the env's) is sent and kept, as API Gateway (payload
    2.0) hands cookies over and takes them back."""
    jar = env.cookies if jar is None else jar
    response = env.root.inflow_pages.handle({
        "rawPath": path, "rawQueryString": urllib.parse.urlencode(query or {}),
        "queryStringParameters": query or None, "requestContext": {"http": {"method": "GET"}},
        "cookies": [f"{name}={value}" for name, value in jar.items()] or None,
    })
    for cookie in response.get("cookies") or []:
        name, _, rest = cookie.partition("=")
        if "Max-Age=0" in rest:
            jar.pop(name, None)
        else:
            jar[name] = rest.split(";")[0]
    return response


def callback(env: Env, params: dict[str, str]) -> dict[str, Any]:
    """LINE's redirect to the callback; a success's 303 to the thank-you page is followed (as a browser does)."""
    response = page(env, "/login/callback", params)
    if response["statusCode"] == 303:
        location = str(response["headers"]["location"])
        assert location == "https://localhost/login/callback?result=thanks"
        response = page(env, "/login/callback", {"result": "thanks"})
    return response


def login_at_line(env: Env, authorize_url: str, user: str, *, add_friend: bool = True) -> dict[str, str]:
    """The user on LINE's screens (the emulator, in process): consent, then the add-friend screen if shown."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    consent = env.emulator.login.authorize(query)
    session = consent.body.decode().split("name=session value='")[1].split("'")[0]
    answer = env.emulator.login.consent(session, user, "allow", False)
    if answer.status == 200:  # the aggressive add-friend screen
        answer = env.emulator.login.add_friend_screen(session, add_friend)
    assert answer.status == 302, answer.body
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query))


def open_route(env: Env, code: str) -> str:
    response = page(env, f"/r/{code}")
    assert response["statusCode"] == 302, response
    location = str(response["headers"]["location"])
    assert location.startswith(env.emulator.base_url + "/oauth2/v2.1/authorize?")
    return location


def follow(env: Env, user: str) -> None:
    """The follow webhook LINE sent, processed as the events function does."""
    event = env.emulator.last_event(CH, user)
    assert event is not None and event["type"] == "follow"
    env.root.line_events.process_event(WS, CH, event)


def subscriber_of(env: Env, user: str) -> Any:
    return env.root.subscribers.find_by_line_user(WS, CH, user)


def tags_of(env: Env, user: str) -> set[str]:
    by_id = {t.tag_id: t.name for t in TagRepository().all(WS)}
    return {by_id.get(t, t) for t in subscriber_of(env, user).tags or set()}


def route_entries(env: Env, user: str) -> list[TimelineEntryModel]:
    return [e for e in TimelineEntryModel.query(timeline_pk(WS, subscriber_of(env, user).subscriber_id))
            if e.kind == "route"]


def stored_nothing(env: Env, route_id: str, user: str) -> None:
    assert list(PendingRouteModel.query(pending_pk(WS, CH, user))) == []
    assert list(RouteFriendModel.query(friends_pk(WS, route_id))) == []
    subscriber = subscriber_of(env, user)
    assert subscriber is None or not subscriber.inflow_route


# ---------------------------------------------------------------- ID tokens


def claims(**changes: Any) -> dict[str, Any]:
    now = int(clock.epoch_seconds())
    base = {"iss": "https://access.line.me", "sub": CAROL, "aud": LOGIN_ID, "exp": now + 3600, "iat": now,
            "nonce": "n-1", "amr": ["linesso"], "name": "キャロル"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def verify(token: str, nonce: str = "n-1") -> dict[str, Any]:
    return line_login.verify_id_token(token, channel_id=LOGIN_ID, channel_secret=LOGIN_SECRET, nonce=nonce)


def test_a_line_signed_id_token_is_accepted(manual_clock: Any) -> None:
    assert verify(sign_id_token(claims(), LOGIN_SECRET))["sub"] == CAROL


@pytest.mark.parametrize(("token", "nonce"), [
    pytest.param(lambda: sign_id_token(claims(), "another-secret-another-secret-xx"), "n-1", id="forged"),
    pytest.param(lambda: sign_id_token(claims(exp=int(clock.epoch_seconds()) - 1), LOGIN_SECRET), "n-1",
                 id="expired"),
    pytest.param(lambda: sign_id_token(claims(aud="2000000099"), LOGIN_SECRET), "n-1", id="wrong-aud"),
    pytest.param(lambda: sign_id_token(claims(iss="https://evil.example.com"), LOGIN_SECRET), "n-1", id="wrong-iss"),
    pytest.param(lambda: sign_id_token(claims(), LOGIN_SECRET), "n-other", id="wrong-nonce"),
    pytest.param(lambda: sign_id_token(claims(exp=None), LOGIN_SECRET), "n-1", id="no-exp"),
    pytest.param(lambda: "eyJhbGciOiJub25lIn0." + sign_id_token(claims(), LOGIN_SECRET).split(".")[1] + ".", "n-1",
                 id="alg-none"),
])
def test_id_token_refusals(manual_clock: Any, token: Any, nonce: str) -> None:
    with pytest.raises(LoginRefused):
        verify(token(), nonce)


def test_issue_time_is_read_from_the_one_clock_not_the_wall_clock(manual_clock: Any) -> None:
    """The local system's clock runs ahead of the wall clock after tests move it: a token LINE (the emulator) issued
    now by that clock is fine; one issued well after now, by the same clock, is refused."""
    manual_clock.set(datetime.now(UTC) + timedelta(days=3))
    assert verify(sign_id_token(claims(), LOGIN_SECRET))["sub"] == CAROL
    with pytest.raises(LoginRefused):
        verify(sign_id_token(claims(iat=int(clock.epoch_seconds()) + 3600), LOGIN_SECRET))


def test_expiry_is_read_from_the_one_clock(manual_clock: Any) -> None:
    token = sign_id_token(claims(), LOGIN_SECRET)
    manual_clock.advance(timedelta(hours=2))
    with pytest.raises(LoginRefused):
        verify(token)


# ---------------------------------------------------------------- the flow


def test_a_new_friend_is_attributed_when_the_follow_arrives(env: Env) -> None:
    route = make_route(env, greeting=[{"type": "text", "text": "Instagram から来てくれてありがとう!"}])
    params = login_at_line(env, open_route(env, route.code), CAROL)
    assert params["friendship_status_changed"] == "true"
    response = callback(env, params)
    assert response["statusCode"] == 200 and "ありがとうございます" in response["body"]
    assert PendingRouteModel.get(pending_pk(WS, CH, CAROL), "pending").route_id == route.route_id

    follow(env, CAROL)
    carol = subscriber_of(env, CAROL)
    assert carol.inflow_route == "Instagram プロフィール"
    assert tags_of(env, CAROL) == {"instagram"}
    assert env.scenarios.started == [(carol.subscriber_id, "sc_1")]
    [entry] = route_entries(env, CAROL)
    assert entry.data["route_id"] == route.route_id and entry.data["new_friend"] is True
    assert list(PendingRouteModel.query(pending_pk(WS, CH, CAROL))) == []  # consumed
    texts = [m["message"].get("text") for m in env.emulator.received(CAROL, CH)]
    assert texts == ["Instagram から来てくれてありがとう!"]  # the route's greeting replaced the channel's


def test_the_route_list_counts_the_friends_each_route_brought(env: Env) -> None:
    route = make_route(env)
    callback(env, login_at_line(env, open_route(env, route.code), CAROL))
    follow(env, CAROL)
    status, listed = call_admin_api(AdminApi(), "GET", "/api/inflow-routes", workspace=WS)
    assert status == 200
    assert [(r["route_id"], r["friends"]) for r in listed["items"]] == [(route.route_id, 1)]


def test_a_follow_processed_before_the_callback_is_attributed_by_the_callback(env: Env) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), CAROL)
    follow(env, CAROL)  # the webhook won the race
    assert route_entries(env, CAROL) == []
    assert callback(env, params)["statusCode"] == 200
    assert tags_of(env, CAROL) == {"instagram"} and len(route_entries(env, CAROL)) == 1


def test_a_user_who_declines_to_add_the_bot_is_sent_to_the_add_friend_url(env: Env) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), CAROL, add_friend=False)
    response = callback(env, params)
    assert response["statusCode"] == 302 and response["headers"]["location"] == "https://line.me/R/ti/p/@salon"


def test_an_existing_friend_is_attributed_now_and_once_only_runs_once(env: Env) -> None:
    route = make_route(env, run="once")
    for _ in range(2):
        params = login_at_line(env, open_route(env, route.code), ALICE)
        assert params["friendship_status_changed"] == "false"
        assert callback(env, params)["statusCode"] == 200
    alice = subscriber_of(env, ALICE)
    assert tags_of(env, ALICE) == {"instagram"}
    assert env.scenarios.started == [(alice.subscriber_id, "sc_1")]
    assert sorted(e.data["first_time"] for e in route_entries(env, ALICE)) == [False, True]  # same instant: no order


def test_every_time_routes_run_their_actions_on_each_arrival(env: Env) -> None:
    route = make_route(env, run="every")
    for _ in range(2):
        assert callback(env, login_at_line(env, open_route(env, route.code), ALICE))["statusCode"] == 200
    alice = subscriber_of(env, ALICE)
    assert env.scenarios.started == [(alice.subscriber_id, "sc_1")] * 2


def test_a_tampered_state_gets_the_japanese_error_page_and_stores_nothing(env: Env) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), CAROL)
    payload, signature = params["state"].split(".")
    forged = dict(params, state=f"{payload}.{'A' * len(signature)}")
    response = callback(env, forged)
    assert response["statusCode"] == 400 and "ログインできませんでした" in response["body"]
    stored_nothing(env, route.route_id, CAROL)
    assert list(OnceModel.scan()) == []  # not even the state was spent


def test_a_replayed_callback_is_refused(env: Env) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), ALICE)
    assert callback(env, params)["statusCode"] == 200
    again = callback(env, params)
    assert again["statusCode"] == 400 and "すでに使われています" in again["body"]
    assert len(route_entries(env, ALICE)) == 1


def test_a_replayed_code_with_a_fresh_state_is_refused_by_line(env: Env) -> None:
    route = make_route(env)
    first = login_at_line(env, open_route(env, route.code), ALICE)
    assert callback(env, first)["statusCode"] == 200
    second = login_at_line(env, open_route(env, route.code), ALICE)
    response = callback(env, dict(second, code=first["code"]))
    assert response["statusCode"] == 400
    assert len(route_entries(env, ALICE)) == 1


def test_an_expired_state_is_refused(env: Env, manual_clock: Any) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), CAROL)
    manual_clock.advance(timedelta(minutes=11))
    response = callback(env, params)
    assert response["statusCode"] == 400 and "有効期限" in response["body"]
    stored_nothing(env, route.route_id, CAROL)


def test_a_cancelled_login_stores_nothing(env: Env) -> None:
    route = make_route(env)
    response = callback(env, {"error": "access_denied", "state": "x"})
    assert response["statusCode"] == 400 and "キャンセル" in response["body"]
    stored_nothing(env, route.route_id, CAROL)


def test_unknown_codes_and_channels_without_login(env: Env) -> None:
    assert page(env, "/r/nosuchcode")["statusCode"] == 404
    route = make_route(env)
    env.secrets.put(secret_name(WS, "line", CH), {"channel_secret": "f" * 32, "access_token": TOKEN})
    response = page(env, f"/r/{route.code}")
    assert response["statusCode"] == 400 and "LINE ログインチャネル" in response["body"]


# ---------------------------------------------------------------- admin API


def test_admin_api_crud_and_qr_downloads(env: Env) -> None:
    api = AdminApi()
    status, body = call_admin_api(api, "POST", "/api/inflow-routes", workspace=WS, body={
        "name": "店頭 POP", "folder": "店舗", "channel_id": CH, "actions": [{"type": "add_tag", "tag": "店頭"}]})
    assert status == 201, body
    route_id, code = body["route_id"], body["code"]
    assert body["url"].endswith(f"/r/{code}") and body["run"] == "once"
    status, listed = call_admin_api(api, "GET", "/api/inflow-routes", workspace=WS)
    assert status == 200 and [r["route_id"] for r in listed["items"]] == [route_id]
    status, body = call_admin_api(api, "PUT", f"/api/inflow-routes/{route_id}", workspace=WS, body={
        "name": "店頭 POP (夏)", "channel_id": CH, "run": "every"})
    assert status == 200 and body["code"] == code and body["run"] == "every"

    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        event = {"version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": f"/api/inflow-routes/{route_id}/qr",
                 "rawQueryString": f"format={fmt}", "queryStringParameters": {"format": fmt}}
        response = _raw_admin(api, event)
        assert response["statusCode"] == 200
        data = base64.b64decode(response["body"]) if response.get("isBase64Encoded") else response["body"].encode()
        assert data.startswith(magic), data[:20]

    status, body = call_admin_api(api, "DELETE", f"/api/inflow-routes/{route_id}", workspace=WS)
    assert status == 204
    assert page(env, f"/r/{code}")["statusCode"] == 404


def _raw_admin(api: AdminApi, partial: dict[str, Any]) -> dict[str, Any]:
    event = {**partial, "headers": {}, "isBase64Encoded": False, "requestContext": {
        "http": {"method": "GET", "path": partial["rawPath"], "sourceIp": "127.0.0.1"}, "stage": "$default",
        "requestId": "r1", "domainName": "localhost",
        "authorizer": {"jwt": {"claims": ensure_operator(WS, "owner@example.jp", "owner")}}}}
    return api.handle(event, LambdaContext())


@pytest.mark.parametrize(("body", "where"), [
    ({"name": "x", "channel_id": CH, "actions": [{"type": "add_tag"}]}, "actions"),
    ({"name": "x", "channel_id": CH, "greeting": [{"type": "image"}]}, "greeting.0"),
    ({"name": "x", "channel_id": "1650000099"}, "channel_id"),
])
def test_admin_api_names_the_bad_field(env: Env, body: dict[str, Any], where: str) -> None:
    status, answer = call_admin_api(AdminApi(), "POST", "/api/inflow-routes", workspace=WS, body=body)
    assert status in (403, 404, 422), answer
    assert str(answer.get("where", "")).startswith(where), answer


def test_a_follow_whose_attribution_fails_gives_the_route_back_and_its_retry_attributes(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    route = make_route(env)
    callback(env, login_at_line(env, open_route(env, route.code), CAROL))
    runner = env.root.actions
    real_run = runner.run
    failures = [RuntimeError("tag store down")]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return real_run(*args, **kwargs)

    monkeypatch.setattr(runner, "run", flaky)
    with pytest.raises(RuntimeError):
        follow(env, CAROL)
    assert PendingRouteModel.get(pending_pk(WS, CH, CAROL), "pending").route_id == route.route_id
    follow(env, CAROL)  # the queue's retry of the same event
    carol = subscriber_of(env, CAROL)
    assert tags_of(env, CAROL) == {"instagram"}
    assert env.scenarios.started == [(carol.subscriber_id, "sc_1")]
    assert RouteFriendModel.get(friends_pk(WS, route.route_id), carol.subscriber_id).actions_done is True


def test_the_callback_redirects_to_a_thank_you_address_so_a_reload_spends_nothing(env: Env) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), ALICE)
    response = page(env, "/login/callback", params)
    assert response["statusCode"] == 303 and response["headers"]["location"].endswith("?result=thanks")
    for _ in range(2):  # the thank-you address reloaded: the same page, no login
        thanks = page(env, "/login/callback", {"result": "thanks"})
        assert thanks["statusCode"] == 200 and "ありがとうございます" in thanks["body"]
    assert len(route_entries(env, ALICE)) == 1


def test_the_handler_with_its_sample_event(env: Env) -> None:
    """functions/inflow/app.py with events/inflow.json: an unknown route code is a Japanese 404 page; a known one
    redirects to LINE Login."""
    root = Path(__file__).resolve().parents[3]
    spec = importlib.util.spec_from_file_location("handler_inflow", root / "functions" / "inflow" / "app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = app
    spec.loader.exec_module(app)

    class Context:
        function_name = "InflowFunction"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:InflowFunction"
        aws_request_id = "r"

    sample = json.loads((root / "events" / "inflow.json").read_text())
    answer = app.lambda_handler(sample, Context())
    assert answer["statusCode"] == 404 and "ページが見つかりません" in answer["body"]
    code = make_route(env).code
    sample["rawPath"] = sample["requestContext"]["http"]["path"] = f"/r/{code}"
    answer = app.lambda_handler(sample, Context())
    assert answer["statusCode"] == 302 and "/oauth2/v2.1/authorize?" in answer["headers"]["location"]


def test_an_outage_of_lines_token_endpoint_leaves_the_state_usable(env: Env) -> None:
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), ALICE)
    env.emulator.stop()  # LINE does not answer
    response = page(env, "/login/callback", params)
    assert response["statusCode"] == 502 and "時間をおいて" in response["body"]
    assert route_entries(env, ALICE) == []
    env.emulator.start()  # LINE is back (on a new local port: the settings point at it again)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LINE_API_BASE", env.emulator.base_url)
        config.reset_settings_cache()
        assert callback(env, params)["statusCode"] == 200  # the reload works: the state was given back
    config.reset_settings_cache()
    assert len(route_entries(env, ALICE)) == 1


def test_a_bad_qr_format_is_named(env: Env) -> None:
    route = make_route(env)
    response = _raw_admin(AdminApi(), {"version": "2.0", "routeKey": "ANY /api/{proxy+}",
                                       "rawPath": f"/api/inflow-routes/{route.route_id}/qr",
                                       "rawQueryString": "format=gif", "queryStringParameters": {"format": "gif"}})
    assert response["statusCode"] == 422 and json.loads(response["body"])["where"] == "format"


# ---------------------------------------------------------------- the state is bound to the browser


def test_a_state_opened_in_another_browser_is_refused_stores_nothing_and_still_works_where_it_began(
        env: Env) -> None:
    """Login CSRF: a callback URL (state + code) carried to another browser, which never opened the route URL, is
    refused with the Japanese page before anything is written (not even the state's claim), so the browser that
    began the login can still finish it."""
    route = make_route(env)
    params = login_at_line(env, open_route(env, route.code), CAROL)
    assert any(name.startswith("haishin_login_") for name in env.cookies)
    for other in ({}, {name: "forged" for name in env.cookies}):  # no cookie; the right name, another value
        response = page(env, "/login/callback", params, jar=dict(other))
        assert response["statusCode"] == 400 and "ブラウザ" in response["body"]
        assert "ログインできませんでした" in response["body"]
        stored_nothing(env, route.route_id, CAROL)
        assert list(OnceModel.scan()) == []
    response = page(env, "/login/callback", params)
    assert response["statusCode"] == 303  # the right browser: the state was not spent by the refusals
    assert list(PendingRouteModel.query(pending_pk(WS, CH, CAROL)))


def test_two_logins_in_two_tabs_each_keep_their_own_binding(env: Env) -> None:
    route = make_route(env)
    first = login_at_line(env, open_route(env, route.code), ALICE)
    second = login_at_line(env, open_route(env, route.code), ALICE)
    assert len([n for n in env.cookies if n.startswith("haishin_login_")]) == 2
    assert page(env, "/login/callback", first)["statusCode"] == 303
    assert page(env, "/login/callback", second)["statusCode"] == 303


def test_the_binding_cookie_is_short_lived_http_only_lax_on_the_callback_path_and_secure_on_https(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    route = make_route(env)
    [cookie] = page(env, f"/r/{route.code}")["cookies"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("haishin_login_") and len(attributes[0].split("=", 1)[1]) >= 32
    assert set(attributes[1:]) == {"Max-Age=600", "Path=/login/callback", "HttpOnly", "SameSite=Lax", "Secure"}
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:3000")  # the local system on a developer's machine
    config.reset_settings_cache()
    try:
        [cookie] = page(env, f"/r/{route.code}")["cookies"]
    finally:
        monkeypatch.delenv("PUBLIC_BASE_URL")
        config.reset_settings_cache()
    assert "Secure" not in cookie and "HttpOnly" in cookie


@dataclass
class RecordingMenus:
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def relink(self, workspace_id: str, subscriber_id: str, *, channel_id: str | None = None,
               needs: tuple[str, ...] | None = None, scenario_id: str | None = None) -> list[dict[str, Any]]:
        self.calls.append((workspace_id, subscriber_id, needs))
        return []


def test_an_existing_friend_logging_in_by_a_route_gets_the_route_id_and_a_menu_relink(env: Env) -> None:
    """Issue 20 follow-up: the route's ID is stored with its name (rich menu rules match the ID, so a renamed route
    keeps its friends), and a login of someone already a friend re-links their rich menu (route rules apply)."""
    menus = RecordingMenus()
    env.root.inflow_login.menus = menus
    route = make_route(env)
    assert callback(env, login_at_line(env, open_route(env, route.code), ALICE))["statusCode"] == 200
    alice = subscriber_of(env, ALICE)
    assert (alice.inflow_route, alice.inflow_route_id) == ("Instagram プロフィール", route.route_id)
    assert menus.calls == [(WS, alice.subscriber_id, ("route", "segment"))]

    other = make_route(env, name="チラシ")  # first touch wins: the name and the ID stay the first route's
    callback(env, login_at_line(env, open_route(env, other.code), ALICE))
    alice = subscriber_of(env, ALICE)
    assert (alice.inflow_route, alice.inflow_route_id) == ("Instagram プロフィール", route.route_id)
    assert len(menus.calls) == 2


def test_a_new_friends_route_id_is_stored_when_the_follow_consumes_the_login(env: Env) -> None:
    route = make_route(env)
    callback(env, login_at_line(env, open_route(env, route.code), CAROL))
    follow(env, CAROL)
    assert subscriber_of(env, CAROL).inflow_route_id == route.route_id


def test_the_admin_renaming_a_friends_route_clears_its_id(env: Env) -> None:
    route = make_route(env)
    callback(env, login_at_line(env, open_route(env, route.code), ALICE))
    alice = subscriber_of(env, ALICE)
    status, body = call_admin_api(AdminApi(), "PATCH", f"/api/subscribers/{alice.subscriber_id}",
                                  body={"inflow_route": "店頭"}, workspace=WS)
    assert status == 200, body
    alice = subscriber_of(env, ALICE)
    assert (alice.inflow_route, alice.inflow_route_id) == ("店頭", None)


# ---------------------------------------------------------------- a page visit carried through the login


@dataclass
class Visits:
    """The page a route URL came from (``RouteVisits``: a funnel's LINE button); records what it is handed."""

    arrivals: list[tuple[str, str, str]] = field(default_factory=list)

    def arrived(self, workspace_id: str, subscriber_id: str, visit: str) -> None:
        self.arrivals.append((workspace_id, subscriber_id, visit))


def test_the_visit_a_route_url_carries_reaches_its_page_when_the_follow_or_the_callback_attributes(
        env: Env) -> None:
    visits = Visits()
    env.root.routes.visits = lambda: visits
    route = make_route(env)
    # a new friend: the login is pending until the follow, which hands the visit on
    location = page(env, f"/r/{route.code}", {"fv": "fnl_1.lp.A.visitor.123.mac"})["headers"]["location"]
    callback(env, login_at_line(env, location, CAROL))
    assert PendingRouteModel.get(pending_pk(WS, CH, CAROL), "pending").visit == "fnl_1.lp.A.visitor.123.mac"
    assert visits.arrivals == []
    follow(env, CAROL)
    assert visits.arrivals == [(WS, subscriber_of(env, CAROL).subscriber_id, "fnl_1.lp.A.visitor.123.mac")]
    # a friend already following: attributed by the callback, with the visit
    location = page(env, f"/r/{route.code}", {"fv": "fnl_1.lp.B.other.456.mac"})["headers"]["location"]
    callback(env, login_at_line(env, location, ALICE))
    assert visits.arrivals[-1] == (WS, subscriber_of(env, ALICE).subscriber_id, "fnl_1.lp.B.other.456.mac")


@pytest.mark.parametrize("junk", ["<script>alert(1)</script>", "a" * 301, "fnl 1", ""])
def test_a_visit_that_is_not_a_reference_is_dropped_and_the_login_works(env: Env, junk: str) -> None:
    visits = Visits()
    env.root.routes.visits = lambda: visits
    route = make_route(env)
    location = page(env, f"/r/{route.code}", {"fv": junk})["headers"]["location"]
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
    parsed = line_login.state_claims(state)
    assert parsed is not None and "v" not in parsed[2]
    assert callback(env, login_at_line(env, location, ALICE))["statusCode"] == 200
    assert visits.arrivals == [] and subscriber_of(env, ALICE).inflow_route == "Instagram プロフィール"
