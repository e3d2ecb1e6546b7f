"""配信停止: the signed /u/{token} page (GET shows, POST stops/resumes, RFC 8058 one-click), per channel or all,
tokens bound to workspace + friend + channel, and the 配信停止 URL the delivery worker renders."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from haishin import wiring
from haishin.forms import tokens
from haishin.forms.collab import Collaborators
from haishin.optout.service import OptOutService
from haishin.pages.router import Pages
from haishin.secrets import InMemorySecretStore
from haishin.wiring import Services
from haishin.workspaces.service import WorkspaceService

WS = "w_optout"


@dataclass
class FakeScenarios:
    stopped: list[tuple[str, str, str | None]] = field(default_factory=list)

    def unsubscribe(self, workspace_id: str, subscriber_id: str, scenario_id: str | None, *, reason: str) -> int:
        self.stopped.append((workspace_id, subscriber_id, scenario_id))
        return 1


@dataclass
class Env:
    service: OptOutService
    collab: Collaborators
    scenarios: FakeScenarios
    pages: Pages


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    scenarios = FakeScenarios()
    root = Services(secrets=InMemorySecretStore(), scenario_service=scenarios)
    previous = wiring.install(root)  # the admin API uses the same services
    try:
        yield Env(root.optout, root.collaborators, scenarios, root.pages)
    finally:
        wiring.install(previous)


def make_friend(env: Env, email: str = "a@example.com") -> str:
    repo = env.collab.subscribers
    subscriber = repo.new(WS, source="form")
    subscriber.email = email
    repo.create(subscriber, [("email", email)])
    return subscriber.subscriber_id


def call(pages: Pages, method: str, path: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"rawPath": path, "requestContext": {"http": {"method": method}}}
    if form is not None:
        event["body"] = urllib.parse.urlencode(form)
        event["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    return pages.handle(event)


def path_of(env: Env, friend: str, channel: str = "email") -> str:
    url = env.service.url(WS, friend, channel)
    assert url.startswith("https://localhost/u/")
    return urllib.parse.urlparse(url).path


def test_get_shows_the_page_and_changes_nothing(env: Env) -> None:
    WorkspaceService().ensure(WS, name="Salon Haru")
    friend = make_friend(env)
    response = call(env.pages, "GET", path_of(env, friend))
    assert response["statusCode"] == 200
    assert "配信を停止する" in response["body"] and 'method="post"' in response["body"]
    assert "送信者: Salon Haru" in response["body"]  # 特定電子メール法: the sender is named
    assert env.service.state(WS, friend) == {"all": False, "line": False, "email": False, "sms": False}


def test_post_stops_the_tokens_channel_only_then_resume_restores_it(env: Env) -> None:
    friend = make_friend(env)
    path = path_of(env, friend)
    response = call(env.pages, "POST", path, {"action": "stop", "scope": "email"})
    assert response["statusCode"] == 200 and "配信を停止しました" in response["body"]
    assert "配信を再開する" in response["body"]  # the way back is on the confirmation
    assert env.service.state(WS, friend) == {"all": False, "line": False, "email": True, "sms": False}
    assert env.scenarios.stopped == []  # stopping e-mail does not end scenarios (LINE steps go on)
    response = call(env.pages, "POST", path, {"action": "resume"})
    assert response["statusCode"] == 200 and "配信を再開しました" in response["body"]
    assert env.service.state(WS, friend)["email"] is False


def test_all_stops_every_channel_and_every_scenario(env: Env) -> None:
    friend = make_friend(env)
    call(env.pages, "POST", path_of(env, friend), {"action": "stop", "scope": "all"})
    assert env.service.state(WS, friend)["all"] is True
    assert env.scenarios.stopped == [(WS, friend, None)]
    call(env.pages, "POST", path_of(env, friend), {"action": "resume"})
    assert env.service.state(WS, friend) == {"all": False, "line": False, "email": False, "sms": False}


def test_rfc8058_one_click_post_unsubscribes_without_a_page(env: Env) -> None:
    friend = make_friend(env)
    response = call(env.pages, "POST", path_of(env, friend), {"List-Unsubscribe": "One-Click"})
    assert response["statusCode"] == 200
    assert env.service.state(WS, friend)["email"] is True


def test_rfc8058_one_click_post_may_come_as_multipart_form_data(env: Env) -> None:
    friend = make_friend(env)
    boundary = "----haishin-one-click"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
            f"One-Click\r\n--{boundary}--\r\n")
    response = env.pages.handle({"rawPath": path_of(env, friend), "requestContext": {"http": {"method": "POST"}},
                                 "headers": {"content-type": f"multipart/form-data; boundary={boundary}"},
                                 "body": body})
    assert response["statusCode"] == 200, response
    assert env.service.state(WS, friend)["email"] is True


def test_a_token_cannot_be_forged_or_moved_to_another_friend_or_channel(env: Env) -> None:
    alice, bob = make_friend(env, "a@example.com"), make_friend(env, "b@example.com")
    token = env.service.token(WS, alice, "email")
    ws, channel, signed = token.split(".", 2)
    _, expiry, mac = signed.split(".")
    for forged in (f"{ws}.{channel}.{bob}.{expiry}.{mac}", f"{ws}.line.{signed}", f"w_other.{channel}.{signed}",
                   f"{ws}.{channel}.{alice}.{int(expiry) + 1}.{mac}", "garbage", f"{ws}.nope.{signed}", f"wé.{channel}.{signed}", f"{ws}.{channel}.²{signed}"):
        with pytest.raises(tokens.TokenInvalid):
            env.service.verify(forged)
        response = call(env.pages, "POST", f"/u/{forged}", {"action": "stop", "scope": "all"})
        assert response["statusCode"] == 403
    assert env.service.state(WS, bob)["all"] is False and env.service.state(WS, alice)["all"] is False
    assert env.service.verify(token).subscriber_id == alice
