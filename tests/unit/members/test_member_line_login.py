"""Members log in with LINE Login (the workspace's LINE channel's Login channel), on LINE's screens of the emulator
(in this process, over loopback): the friend of that LINE user with access gets a session (revocable like any);
the state is bound to the browser, single use, signed for member sites only; someone without access, a cancel, a
forged or replayed state are refused in Japanese and store nothing."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from members_env import WS
from test_member_pages import request
from test_members import buy, course

from haishin import clock, config
from haishin.secrets import secret_name
from haishin.subscribers.models import line_account
from haishin.workspaces.models import ChannelModel
from haishin_local.line_emulator import LineEmulator

CH = "2000000811"
LOGIN_ID = "2000000812"
LOGIN_SECRET = "abcdef0123456789abcdef0123456781"
TOKEN = "member-line-token-" + "m" * 30
ALICE = "U" + "a" * 32  # a friend with access
BOB = "U" + "b" * 32  # a friend without access

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@pytest.fixture
def line(env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LineEmulator]:
    emulator = LineEmulator().start()
    emulator.register_channel(CH, "f" * 32, TOKEN, basic_id="@school", display_name="講座")
    emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, ["https://localhost/m/line/callback"],
                                          bot_channel_id=CH)
    emulator.add_user(ALICE, "アリス")
    emulator.add_user(BOB, "ボブ")
    monkeypatch.setenv("LINE_API_BASE", emulator.base_url)
    monkeypatch.setenv("LINE_LOGIN_BASE", emulator.base_url)
    config.reset_settings_cache()
    env.root.secrets.put(secret_name(WS, "line", CH), {"channel_secret": "f" * 32, "access_token": TOKEN,
                                                       "login_channel_id": LOGIN_ID,
                                                       "login_channel_secret": LOGIN_SECRET})
    ChannelModel.for_channel(WS, CH, name="講座", basic_id="@school", secret_name=secret_name(WS, "line", CH),
                             login_channel_id=LOGIN_ID, status="connected", connected_at=clock.now()).save()
    try:
        yield emulator
    finally:
        emulator.stop()
        config.reset_settings_cache()


def line_friend(env: Any, user: str) -> str:
    subscribers = env.root.subscribers
    item = subscribers.new(WS, source="line")
    item.line = {CH: line_account(user, status="following")}
    subscribers.create(item, [(f"line:{CH}", user)])
    return str(item.subscriber_id)


def start(env: Any, base: str) -> tuple[str, str]:
    """「LINEでログイン」 from the login page: (LINE's authorize URL, the browser's binding cookie)."""
    shown = request(env, "GET", base)
    link = f"{base}line?ch={CH}"
    assert shown["statusCode"] == 200 and f'href="{link}"' in shown["body"] and "LINEでログイン" in shown["body"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    response = request(env, "GET", base + "line", query=query)
    assert response["statusCode"] == 302, response
    [cookie] = response["cookies"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/m/line/callback" in cookie
    return str(response["headers"]["location"]), cookie.split(";")[0]


def at_line(line: LineEmulator, authorize_url: str, user: str, action: str = "allow") -> dict[str, str]:
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    assert query["redirect_uri"] == "https://localhost/m/line/callback" and query["client_id"] == LOGIN_ID
    consent = line.login.authorize(query)
    session = consent.body.decode().split("name=session value='")[1].split("'")[0]
    answer = line.login.consent(session, user, action, False)
    if answer.status == 200:  # the add-friend screen (bot_prompt=normal shows it as a checkbox on consent)
        answer = line.login.add_friend_screen(session, False)
    assert answer.status == 302, answer.body
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query))


def test_a_friend_with_access_logs_in_with_line_and_the_session_is_revocable(env: Any, line: LineEmulator) -> None:
    item = course(env)
    base = f"/m/{WS}/{item.course_id}/"
    sid = line_friend(env, ALICE)
    buy(env, sid, item.course_id)
    authorize, binding = start(env, base)
    params = at_line(line, authorize, ALICE)
    done = request(env, "GET", "/m/line/callback", query=params, cookie=binding)
    assert done["statusCode"] == 303 and done["headers"]["location"] == base
    [set_cookie] = done["cookies"]
    assert set_cookie.startswith(f"haishin_member={sid}.") and "HttpOnly" in set_cookie \
        and f"Path=/m/{WS}/" in set_cookie
    cookie = set_cookie.split(";")[0]
    page = request(env, "GET", base, cookie=cookie)
    assert page["statusCode"] == 200 and "0 / 3" in page["body"]
    assert [s["via"] for s in env.service.sessions(WS, sid)] == ["line"]

    # the same state (and code) again: refused, no second session
    again = request(env, "GET", "/m/line/callback", query=params, cookie=binding)
    assert again["statusCode"] == 400 and "すでに使われています" in again["body"]
    assert len(env.service.sessions(WS, sid)) == 1

    # staff log the member out everywhere: the LINE session ends at once
    assert env.service.revoke_sessions(WS, sid) == 1
    assert "ログイン用リンクを送る" in request(env, "GET", base, cookie=cookie)["body"]


def test_refusals_store_nothing(env: Any, line: LineEmulator) -> None:
    item = course(env)
    base = f"/m/{WS}/{item.course_id}/"
    bob = line_friend(env, BOB)  # a friend, but no access to the course
    authorize, binding = start(env, base)
    no_access = request(env, "GET", "/m/line/callback", query=at_line(line, authorize, BOB), cookie=binding)
    assert no_access["statusCode"] == 403 and "このコースを受講できません" in no_access["body"]
    assert "cookies" not in no_access or not no_access["cookies"]
    assert env.service.sessions(WS, bob) == []

    sid = line_friend(env, ALICE)
    buy(env, sid, item.course_id)
    # another browser (the binding cookie missing): login CSRF refused
    authorize, binding = start(env, base)
    params = at_line(line, authorize, ALICE)
    other = request(env, "GET", "/m/line/callback", query=params)
    assert other["statusCode"] == 400 and "違うブラウザ" in other["body"]
    # a forged state (a signature that is not ours), a cancel
    payload = params["state"].split(".")[0]
    forged = request(env, "GET", "/m/line/callback", query={**params, "state": payload + ".AAAA"}, cookie=binding)
    assert forged["statusCode"] == 400 and "ログインの確認に失敗しました" in forged["body"]
    cancel = request(env, "GET", "/m/line/callback", query={"error": "access_denied", "state": params["state"]},
                     cookie=binding)
    assert cancel["statusCode"] == 400 and "キャンセル" in cancel["body"]
    assert env.service.sessions(WS, sid) == []
    # a channel without a Login channel, or another workspace's: no LINE button, and the start is refused
    refused = request(env, "GET", base + "line", query={"ch": "2000009999"})
    assert refused["statusCode"] == 400 and "LINE ログインを使えません" in refused["body"]


def test_without_a_login_channel_only_the_email_form_is_shown(env: Any) -> None:
    item = course(env)
    shown = request(env, "GET", f"/m/{WS}/{item.course_id}/")
    assert shown["statusCode"] == 200 and "LINEでログイン" not in shown["body"] and "ログイン用リンクを送る" in shown["body"]


def test_the_members_home_lists_the_courses_of_their_session(env: Any, line: LineEmulator) -> None:
    first, second, other = course(env), course(env, title="動画編集講座"), course(env, title="別の講座")
    sid = line_friend(env, ALICE)
    buy(env, sid, first.course_id)
    env.service.grant_manually(WS, second.course_id, sid)
    assert request(env, "GET", f"/m/{WS}/")["body"].count("受講中のコースのページからログインしてください") == 1
    base = f"/m/{WS}/{first.course_id}/"
    authorize, binding = start(env, base)
    done = request(env, "GET", "/m/line/callback", query=at_line(line, authorize, ALICE), cookie=binding)
    cookie = done["cookies"][0].split(";")[0]
    home = request(env, "GET", f"/m/{WS}/", cookie=cookie)
    assert home["statusCode"] == 200 and "マイコース" in home["body"]
    assert f'href="/m/{WS}/{first.course_id}/"' in home["body"] and f'href="/m/{WS}/{second.course_id}/"' in home["body"]
    assert other.course_id not in home["body"] and "0 / 3 レッスン" in home["body"]
    # one login covers every course of the workspace, and the course page links back home
    page = request(env, "GET", f"/m/{WS}/{second.course_id}/", cookie=cookie)
    assert page["statusCode"] == 200 and f'<a href="/m/{WS}/">マイコース</a>' in page["body"]
