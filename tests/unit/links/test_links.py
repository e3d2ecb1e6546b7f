"""Tracked links: admin CRUD with counts, anonymous and per-friend clicks, once-per-friend actions, inflow route,
tampered/unknown tokens (friendly page, never a redirect elsewhere), and the admin API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from haishin import wiring
from haishin.api.app import AdminApi
from haishin.errors import ValidationFailed
from haishin.forms.collab import Collaborators
from haishin.links.models import LinkFriendClickModel, clicks_pk
from haishin.links.service import LinkDefinition, LinkService
from haishin.pages.router import Pages
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.models import line_account
from haishin.tags.repository import TagRepository
from haishin.timeline.models import TimelineEntryModel, timeline_pk
from haishin.wiring import Services
from tests.support.admin_api import ensure_operator

WS = "w_links"
TARGET = "https://shop.example.jp/campaign?utm_source=line"


@dataclass
class FakeScenarios:
    started: list[tuple[str, str, str]] = field(default_factory=list)
    fail: int = 0

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("scenario engine down")
        self.started.append((workspace_id, subscriber_id, scenario_id))

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> None: ...

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> None: ...

    def on_trigger(self, *args: Any, **kwargs: Any) -> None: ...


@dataclass
class Env:
    service: LinkService
    collab: Collaborators
    scenarios: FakeScenarios
    pages: Pages


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    scenarios = FakeScenarios()
    root = Services(secrets=InMemorySecretStore(), scenario_service=scenarios)
    previous = wiring.install(root)
    try:
        yield Env(root.links, root.collaborators, scenarios, root.pages)
    finally:
        wiring.install(previous)


@pytest.fixture
def friend(env: Env) -> str:
    repo = env.collab.subscribers
    subscriber = repo.new(WS, source="line")
    subscriber.line = {"1234567890": line_account("U" + "b" * 32, status="following")}
    repo.create(subscriber, [("line:1234567890", "U" + "b" * 32)])
    return subscriber.subscriber_id


def make_link(env: Env, **extra: Any) -> str:
    body = {"name": "春のキャンペーン", "target_url": TARGET, "inflow_route": "instagram",
            "actions": [{"type": "add_tag", "tag": "キャンペーン閲覧"},
                        {"type": "start_scenario", "scenario_id": "sc_1"}],
            **extra}
    return env.service.create(WS, LinkDefinition.model_validate(body)).link_id


def get(pages: Pages, path: str) -> dict[str, Any]:
    return pages.handle({"rawPath": path, "requestContext": {"http": {"method": "GET"}}})


def entries(subscriber_id: str, kind: str) -> list[TimelineEntryModel]:
    return [e for e in TimelineEntryModel.query(timeline_pk(WS, subscriber_id)) if e.kind == kind]


def tag_names(env: Env, subscriber_id: str) -> set[str]:
    subscriber = env.collab.subscribers.require(WS, subscriber_id)
    by_id = {t.tag_id: t.name for t in TagRepository().all(WS)}
    return {by_id.get(t, t) for t in subscriber.tags or set()}


def test_anonymous_click_counts_and_redirects_to_the_stored_target(env: Env) -> None:
    link_id = make_link(env)
    response = get(env.pages, f"/c/{link_id}")
    assert response["statusCode"] == 302
    assert response["headers"]["location"] == TARGET
    get(env.pages, f"/c/{link_id}")
    view = env.service.view(WS, link_id)
    assert (view["clicks"], view["anonymous_clicks"], view["friend_clicks"], view["unique_friends"]) == (2, 2, 0, 0)
    assert view["url"].endswith(f"/c/{link_id}")
    assert env.scenarios.started == []


def test_friend_click_records_timeline_sets_inflow_and_runs_actions_once(env: Env, friend: str) -> None:
    link_id = make_link(env)
    minted = env.service.mint(WS, link_id, friend)
    token = minted["token"]
    assert minted["url"].endswith(f"/c/{token}") and token.startswith(f"{link_id}.")

    for _ in range(3):
        response = get(env.pages, f"/c/{token}")
        assert response["statusCode"] == 302 and response["headers"]["location"] == TARGET

    subscriber = env.collab.subscribers.require(WS, friend)
    assert subscriber.inflow_route == "instagram"
    assert tag_names(env, friend) == {"キャンペーン閲覧"}
    assert env.scenarios.started == [(WS, friend, "sc_1")]  # once per friend per link
    clicked = entries(friend, "link_clicked")
    assert len(clicked) == 3 and sorted(e.data["first"] for e in clicked) == [False, False, True]
    assert all(e.data["link_id"] == link_id for e in clicked)
    assert len(entries(friend, "tag_added")) == 1
    view = env.service.view(WS, link_id)
    assert (view["clicks"], view["friend_clicks"], view["anonymous_clicks"], view["unique_friends"]) == (3, 3, 0, 1)
    record = LinkFriendClickModel.get(clicks_pk(WS, link_id), friend)
    assert (record.status, int(record.clicks or 0)) == ("done", 3)


def test_existing_inflow_route_is_kept(env: Env, friend: str) -> None:
    env.collab.subscribers.mutate(WS, friend, lambda s: setattr(s, "inflow_route", "qr_store"))
    link_id = make_link(env)
    env.service.click(env.service.mint(WS, link_id, friend)["token"])
    assert env.collab.subscribers.require(WS, friend).inflow_route == "qr_store"


def test_actions_retry_on_the_next_click_after_a_failure(env: Env, friend: str) -> None:
    link_id = make_link(env)
    token = env.service.mint(WS, link_id, friend)["token"]
    env.scenarios.fail = 1
    first = env.service.click(token)
    assert first.outcome == "redirect" and first.target_url == TARGET and not first.first_click
    assert env.service.view(WS, link_id)["unique_friends"] == 0
    second = env.service.click(token)
    assert second.first_click
    assert env.scenarios.started == [(WS, friend, "sc_1")]
    env.service.click(token)
    assert env.scenarios.started == [(WS, friend, "sc_1")]
    assert env.service.view(WS, link_id)["unique_friends"] == 1


def test_tampered_unknown_and_foreign_tokens_get_a_friendly_page_and_no_redirect(env: Env, friend: str) -> None:
    link_id = make_link(env)
    other_id = make_link(env, target_url="https://other.example.jp/")
    token = env.service.mint(WS, link_id, friend)["token"]
    other_token = env.service.mint(WS, other_id, friend)["token"]
    _link, subscriber_id, expiry, mac = token.split(".")
    tampered = [
        f"{link_id}.{subscriber_id}.{expiry}.{mac[:-2]}xx",        # signature
        f"{link_id}.s_someone_else.{expiry}.{mac}",                  # another friend
        f"{link_id}.{subscriber_id}.{int(expiry) + 999}.{mac}",      # longer validity
        f"{link_id}." + other_token.split(".", 1)[1],                # minted for another link
        f"{link_id}.garbage",                                         # malformed
    ]
    for bad in tampered:
        response = get(env.pages, f"/c/{bad}")
        assert response["statusCode"] == 403, bad
        assert "location" not in response["headers"]
        assert "このリンクは無効です" in response["body"] and "Traceback" not in response["body"]
    for unknown in ("/c/l_NOPE", "/c/https:%2F%2Fevil.example", "/c/" + "x" * 1000):
        response = get(env.pages, unknown)
        assert response["statusCode"] == 404 and "location" not in response["headers"]
        assert "リンクが見つかりません" in response["body"]
    assert env.service.view(WS, link_id)["clicks"] == 0
    assert entries(friend, "link_clicked") == []
    assert env.scenarios.started == []


def test_expired_friend_token_counts_anonymously_and_still_redirects(env: Env, friend: str,
                                                                      manual_clock: Any) -> None:
    link_id = make_link(env)
    token = env.service.mint(WS, link_id, friend, validity=timedelta(days=1))["token"]
    manual_clock.advance(timedelta(days=2))
    response = get(env.pages, f"/c/{token}")
    assert response["statusCode"] == 302 and response["headers"]["location"] == TARGET
    view = env.service.view(WS, link_id)
    assert (view["clicks"], view["anonymous_clicks"], view["friend_clicks"]) == (1, 1, 0)
    assert entries(friend, "link_clicked") == [] and env.scenarios.started == []


def test_definition_validation(env: Env) -> None:
    with pytest.raises(ValueError, match="URL"):
        LinkDefinition.model_validate({"name": "x", "target_url": "javascript:alert(1)"})
    with pytest.raises(ValidationFailed) as caught:
        env.service.create(WS, LinkDefinition.model_validate(
            {"name": "x", "target_url": TARGET, "actions": [{"type": "add_tag"}]}))
    assert caught.value.where.startswith("actions.0")


class Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def call(method: str, path: str, body: Any = None, role: str = "owner") -> tuple[int, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(WS, f"{role}@example.jp", role)}}},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
    response = AdminApi().handle(event, Context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def test_admin_api_create_list_get_friend_url(env: Env, friend: str) -> None:
    status, created = call("POST", "/api/links", {"name": "LP", "target_url": TARGET, "inflow_route": "ads",
                                                   "actions": [{"type": "add_tag", "tag": "LP"}]})
    assert status == 201, created
    link_id = created["link_id"]
    status, bad = call("POST", "/api/links", {"name": "LP", "target_url": "ftp://x.example"})
    assert status == 422, bad
    status, bad = call("POST", "/api/links", {"name": "LP", "target_url": "shop.example.jp/spring"})
    assert status == 422 and bad["where"] == "target_url", bad
    assert bad["message"] == "http:// または https:// で始まる URL を入力してください"
    status, minted = call("POST", f"/api/links/{link_id}/friend-url", {"subscriber_id": friend})
    assert status == 200, minted
    assert env.service.click(minted["token"]).first_click
    env.service.click(link_id)
    status, listing = call("GET", "/api/links")
    assert status == 200 and [i["link_id"] for i in listing["items"]] == [link_id]
    status, one = call("GET", f"/api/links/{link_id}")
    assert status == 200
    assert (one["clicks"], one["friend_clicks"], one["anonymous_clicks"], one["unique_friends"]) == (2, 1, 1, 1)
    status, _ = call("GET", "/api/links", role="viewer")
    assert status == 403
    status, _ = call("GET", "/api/links/l_missing")
    assert status == 404
    status, _ = call("DELETE", f"/api/links/{link_id}")
    assert status == 204
    assert env.service.click(link_id).outcome == "not_found"
