"""LINE Login v2.1 in the emulator: authorize (consent and add-friend screens), token, ID tokens, verify, refusals."""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

import jwt
import pytest
from le_helpers import ALICE, BOB, CHANNEL_ID

from haishin import clock
from haishin_local.line_emulator import LineEmulator

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

LOGIN_ID = "2000000001"
LOGIN_SECRET = "0123456789abcdef0123456789abcdef"  # 32 hex characters, as LINE issues
CALLBACK = "https://app.example.com/login/callback"
CAROL = "U" + "c" * 32


@pytest.fixture
def emu(emulator: LineEmulator) -> LineEmulator:
    emulator.login.register_login_channel(LOGIN_ID, LOGIN_SECRET, [CALLBACK], bot_channel_id=CHANNEL_ID)
    emulator.add_user(CAROL, "キャロル")
    return emulator


def request(emu: LineEmulator, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One raw request, redirects not followed: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", int(emu.base_url.rsplit(":", 1)[1]), timeout=10)
    body = urllib.parse.urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8")
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def authorize_path(**overrides: str) -> str:
    params = {"response_type": "code", "client_id": LOGIN_ID, "redirect_uri": CALLBACK, "state": "st-1",
              "scope": "openid profile", "nonce": "n-1", "bot_prompt": "aggressive"}
    params.update(overrides)
    return "/oauth2/v2.1/authorize?" + urllib.parse.urlencode({k: v for k, v in params.items() if v})


def session_of(page: str) -> str:
    match = re.search(r"name=session value='([^']+)'", page)
    assert match, page
    return match.group(1)


def callback_params(headers: dict[str, str]) -> dict[str, str]:
    location = headers["location"]
    assert location.startswith(CALLBACK + "?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def login(emu: LineEmulator, user: str, add: bool = True, **overrides: str) -> dict[str, str]:
    status, _, page = request(emu, "GET", authorize_path(**overrides))
    assert status == 200 and "許可する" in page
    status, headers, page = request(emu, "POST", "/oauth2/v2.1/authorize/consent",
                                    {"session": session_of(page), "user_id": user, "action": "allow"})
    if status == 200:  # the aggressive add-friend screen
        assert "友だち追加" in page
        status, headers, _ = request(emu, "POST", "/oauth2/v2.1/authorize/friend",
                                     {"session": session_of(page), "add": "1" if add else "0"})
    assert status == 302
    return callback_params(headers)


def exchange(emu: LineEmulator, code: str, **overrides: str) -> tuple[int, dict[str, Any]]:

    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
            "client_id": LOGIN_ID, "client_secret": LOGIN_SECRET}
    form.update(overrides)
    status, _, body = request(emu, "POST", "/oauth2/v2.1/token", form)
    return status, json.loads(body)


def verify(emu: LineEmulator, **form: str) -> tuple[int, dict[str, Any]]:

    status, _, body = request(emu, "POST", "/oauth2/v2.1/verify", form)
    return status, json.loads(body)


def test_a_new_friend_consents_adds_the_bot_and_the_follow_webhook_goes_out(emu: LineEmulator) -> None:
    params = login(emu, CAROL, add=True)
    assert params["state"] == "st-1" and params["friendship_status_changed"] == "true"
    assert CAROL in emu.followers(CHANNEL_ID)
    event = emu.last_event(CHANNEL_ID, CAROL)
    assert event is not None and event["type"] == "follow"

    status, tokens = exchange(emu, params["code"])
    assert status == 200 and tokens["expires_in"] > 0 and tokens["token_type"] == "Bearer"
    claims = jwt.decode(tokens["id_token"], LOGIN_SECRET, algorithms=["HS256"], audience=LOGIN_ID,
                        issuer="https://access.line.me")
    assert claims["sub"] == CAROL and claims["nonce"] == "n-1" and claims["name"] == "キャロル"
    assert claims["amr"] == ["linesso"] and claims["exp"] > claims["iat"]


def test_declining_the_add_friend_screen_sends_no_follow(emu: LineEmulator) -> None:
    params = login(emu, CAROL, add=False)
    assert params["friendship_status_changed"] == "false"
    assert CAROL not in emu.followers(CHANNEL_ID)


def test_an_existing_friend_skips_the_add_friend_screen(emu: LineEmulator) -> None:
    params = login(emu, ALICE)
    assert params["friendship_status_changed"] == "false" and "code" in params


def test_normal_bot_prompt_puts_the_checkbox_on_the_consent_screen(emu: LineEmulator) -> None:
    status, _, page = request(emu, "GET", authorize_path(bot_prompt="normal"))
    assert status == 200 and "友だち追加する" in page
    status, headers, _ = request(emu, "POST", "/oauth2/v2.1/authorize/consent",
                                 {"session": session_of(page), "user_id": CAROL, "action": "allow", "add_friend": "1"})
    assert status == 302 and callback_params(headers)["friendship_status_changed"] == "true"


def test_cancel_redirects_with_access_denied(emu: LineEmulator) -> None:
    _, _, page = request(emu, "GET", authorize_path())
    status, headers, _ = request(emu, "POST", "/oauth2/v2.1/authorize/consent",
                                 {"session": session_of(page), "user_id": CAROL, "action": "deny"})
    params = callback_params(headers)
    assert status == 302 and params["error"] == "access_denied" and params["state"] == "st-1"


@pytest.mark.parametrize("overrides", [{"client_id": "9999"}, {"redirect_uri": "https://evil.example.com/cb"}])
def test_authorize_refuses_an_unknown_client_or_redirect_uri_without_redirecting(
    emu: LineEmulator, overrides: dict[str, str]
) -> None:
    status, headers, page = request(emu, "GET", authorize_path(**overrides))
    assert status == 400 and "location" not in headers and "エラー" in page


@pytest.mark.parametrize(("overrides", "error"), [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"state": ""}, "invalid_request"),
    ({"bot_prompt": "always"}, "invalid_request"),
])
def test_authorize_redirects_bad_requests_with_an_error(
    emu: LineEmulator, overrides: dict[str, str], error: str
) -> None:
    status, headers, _ = request(emu, "GET", authorize_path(**overrides))
    assert status == 302 and callback_params(headers)["error"] == error


def test_a_code_is_single_use(emu: LineEmulator) -> None:
    code = login(emu, ALICE)["code"]
    assert exchange(emu, code)[0] == 200
    status, body = exchange(emu, code)
    assert status == 400 and body["error"] == "invalid_grant"


def test_a_code_expires(emu: LineEmulator, manual_clock: Any) -> None:
    code = login(emu, ALICE)["code"]
    manual_clock.advance(timedelta(minutes=11))
    assert exchange(emu, code)[1]["error"] == "invalid_grant"


@pytest.mark.parametrize(("overrides", "error"), [
    ({"redirect_uri": "https://app.example.com/other"}, "invalid_grant"),
    ({"client_secret": "wrong"}, "invalid_client"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
])
def test_token_refusals(emu: LineEmulator, overrides: dict[str, str], error: str) -> None:
    code = login(emu, ALICE)["code"]
    status, body = exchange(emu, code, **overrides)
    assert status == 400 and body["error"] == error


def test_verify_accepts_a_good_token_and_answers_its_claims(emu: LineEmulator) -> None:
    token = emu.login.issue_id_token(LOGIN_ID, BOB, "n-2")
    status, body = verify(emu, id_token=token, client_id=LOGIN_ID, nonce="n-2")
    assert status == 200 and body["sub"] == BOB and body["aud"] == LOGIN_ID


def test_verify_refusals_use_lines_error_bodies(emu: LineEmulator) -> None:
    good = emu.login.issue_id_token(LOGIN_ID, BOB, "n-2")
    forged = emu.login.issue_id_token(LOGIN_ID, BOB, "n-2", secret="attacker")
    expired = emu.login.issue_id_token(LOGIN_ID, BOB, "n-2", issued=clock.now() - timedelta(hours=2))
    cases = [
        ({"id_token": "not-a-jwt", "client_id": LOGIN_ID}, "Invalid IdToken."),
        ({"id_token": forged, "client_id": LOGIN_ID}, "Invalid IdToken."),
        ({"id_token": expired, "client_id": LOGIN_ID}, "IdToken expired."),
        ({"id_token": good, "client_id": "2000000009"}, "Invalid IdToken Audience."),
        ({"id_token": good, "client_id": LOGIN_ID, "nonce": "other"}, "Invalid IdToken Nonce."),
        ({"id_token": good, "client_id": LOGIN_ID, "user_id": ALICE}, "Invalid IdToken Subject Identifier."),
    ]
    for form, description in cases:
        status, body = verify(emu, **form)
        assert (status, body) == (400, {"error": "invalid_request", "error_description": description})


def test_login_channels_are_registered_through_the_control_api(emulator: LineEmulator) -> None:

    data = json.dumps({"channel_id": "2000000002", "channel_secret": "s", "redirect_uris": [CALLBACK]}).encode()
    req = urllib.request.Request(emulator.base_url + "/_emulator/login_channels", data=data, method="POST")
    with urllib.request.urlopen(req, timeout=10) as response:
        assert json.loads(response.read())["channelId"] == "2000000002"
    status, _, _ = request(emulator, "GET", authorize_path(client_id="2000000002"))
    assert status == 200
