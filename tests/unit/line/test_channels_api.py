"""Admin API: channels (connect, rotate, disconnect), auto-replies CRUD and 1:1 chat. Secrets never come back."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from haishin import wiring
from haishin.auth.permissions import Role
from haishin.channels.service import ChannelService
from haishin.line.client import LineApiError
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.models import SubscriberModel, line_account
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from haishin.wiring import Services
from haishin.workspaces.models import ChannelModel

from .conftest import CH, SECRET, TOKEN, WS, Api, FakeLine, FakeLineClients, caller

GOOD = {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN}


@pytest.fixture
def wired(api: Api, fake_line: FakeLine) -> Any:
    secrets = InMemorySecretStore()
    clients = FakeLineClients(fake_line)
    previous = wiring.install(Services(
        secrets=secrets, line_clients=clients,
        channels=ChannelService(secrets, client_factory=lambda token: fake_line, clients=clients)))
    yield api, secrets, fake_line, clients
    wiring.install(previous)


def no_secret_in(payload: Any, secrets: InMemorySecretStore) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for value in secrets.values.values():
        for key in ("channel_secret", "access_token", "login_channel_secret"):
            if key in value:
                assert str(value[key]) not in text
    assert SECRET not in text and TOKEN not in text


def test_connect_validates_and_stores_secrets_only_in_the_store(wired: Any) -> None:
    api, secrets, _, _ = wired
    status, body = api("POST", "/api/channels", {**GOOD, "login_channel_id": "2000000001",
                                                 "login_channel_secret": "ab" * 16})
    assert status == 201, body
    assert body["bot_user_id"] == "Ubot0000000000000000000000000001" and body["name"] == "Salon Haru"
    assert body["webhook_url"] == f"https://api.example.test/line/webhook/{CH}"
    assert body["channel_secret_hint"] == "…" + SECRET[-4:] and body["access_token_hint"] == "…" + TOKEN[-4:]
    stored = secrets.values[f"haishin/local/{WS}/line/{CH}"]
    assert stored["channel_secret"] == SECRET and stored["access_token"] == TOKEN
    raw_item = ChannelModel.get(f"channel#{CH}", "channel").attribute_values
    assert SECRET not in json.dumps(raw_item, default=str) and TOKEN not in json.dumps(raw_item, default=str)
    no_secret_in(body, secrets)
    for path in ("/api/channels", f"/api/channels/{CH}"):
        status, read = api("GET", path, as_=caller(Role.VIEWER))
        assert status == 200
        no_secret_in(read, secrets)


@pytest.mark.parametrize(("change", "where"), [
    ({"channel_id": "12345"}, "channel_id"),
    ({"channel_id": "12345abcde"}, "channel_id"),
    ({"channel_secret": "not-hex-not-32"}, "channel_secret"),
    ({"access_token": ""}, "access_token"),
    ({"login_channel_id": "2000000001", "login_channel_secret": "xyz"}, "login_channel_secret"),
    # the LINE Login channel (inflow routes) needs both its ID and its secret, and is not the bot's own channel
    ({"login_channel_id": "2000000001"}, "login_channel_secret"),
    ({"login_channel_secret": "ab" * 16}, "login_channel_id"),
    ({"login_channel_id": "20000", "login_channel_secret": "ab" * 16}, "login_channel_id"),
    ({"login_channel_id": CH, "login_channel_secret": "ab" * 16}, "login_channel_id"),
])
def test_connect_names_the_bad_value(wired: Any, change: dict[str, str], where: str) -> None:
    api, secrets, _, _ = wired
    status, body = api("POST", "/api/channels", {**GOOD, **change})
    assert status == 422 and body["where"] == where, body
    assert secrets.values == {}


def test_connect_with_a_token_line_rejects(wired: Any) -> None:
    api, secrets, line, _ = wired
    line.bot_info_error = LineApiError(401, "Authentication failed")
    status, body = api("POST", "/api/channels", GOOD)
    assert status == 422
    assert body["where"] == "access_token" and "rejected this channel access token" in body["message"]
    assert secrets.values == {}
    line.bot_info_error = LineApiError(503, "down")
    assert api("POST", "/api/channels", GOOD)[0] == 502


def test_channel_of_another_workspace(wired: Any) -> None:
    api, _, _, _ = wired
    assert api("POST", "/api/channels", GOOD)[0] == 201
    status, body = api("POST", "/api/channels", GOOD, as_=caller(workspace_id="w_other"))
    assert status == 409 and body["where"] == "channel_id"
    assert api("GET", f"/api/channels/{CH}", as_=caller(workspace_id="w_other"))[0] == 404


def test_permissions(wired: Any) -> None:
    api, _, _, _ = wired
    assert api("POST", "/api/channels", GOOD, as_=caller(Role.OPERATOR))[0] == 403
    assert api("GET", "/api/channels", as_=caller(Role.VIEWER))[0] == 200
    assert api("DELETE", f"/api/channels/{CH}", as_=caller(Role.VIEWER))[0] == 403


def test_rotate_token_validates_updates_and_forgets_cached_client(wired: Any) -> None:
    api, secrets, line, clients = wired
    api("POST", "/api/channels", GOOD)
    new_token = "new-token-" + "z" * 30 + "9876"
    status, body = api("PUT", f"/api/channels/{CH}/token", {"access_token": new_token})
    assert status == 200 and body["access_token_hint"] == "…9876"
    assert secrets.values[f"haishin/local/{WS}/line/{CH}"]["access_token"] == new_token
    assert (WS, CH) in clients.forgotten
    no_secret_in(body, secrets)
    line.bot_info_error = LineApiError(401, "bad")
    status, body = api("PUT", f"/api/channels/{CH}/token", {"access_token": "x" * 40})
    assert status == 422 and body["where"] == "access_token"


def test_disconnect_unlinks_rich_menus_in_batches_then_deletes_secret(wired: Any) -> None:
    api, secrets, line, _ = wired
    api("POST", "/api/channels", GOOD)
    repo = SubscriberRepository()
    with SubscriberModel.batch_write() as batch:
        for n in range(502):
            sub = repo.new(WS, source="line")
            # the last one never followed: nothing to unlink
            sub.line = {CH: line_account(f"U{n:032d}", "following" if n < 501 else "unknown")}
            batch.save(sub)
    status, body = api("DELETE", f"/api/channels/{CH}")
    assert status == 200 and body["status"] == "disconnected"
    assert [len(batch) for batch in line.unlinked] == [500, 1]
    assert secrets.values == {}


def test_auto_reply_crud_and_field_errors(api: Api) -> None:
    rule = {"name": "予約", "match_type": "contains", "keywords": ["予約"],
            "messages": [{"type": "text", "text": "こちらから"}], "actions": [{"type": "add_tag", "tag": "reserve"}]}
    status, created = api("POST", "/api/auto-replies", rule)
    assert status == 201, created
    rid = created["id"]
    assert api("GET", "/api/auto-replies")[1]["auto_replies"][0]["id"] == rid
    status, updated = api("PUT", f"/api/auto-replies/{rid}", {**rule, "priority": 5})
    assert status == 200 and updated["priority"] == 5
    for bad, where in [({"match_type": "fuzzy"}, "match_type"), ({"keywords": []}, "keywords"),
                       ({"match_type": "regex", "keywords": ["(unclosed"]}, "keywords.0"),
                       ({"messages": [{"type": "text", "text": ""}] * 6}, "messages"),
                       ({"actions": [{"type": "add_tag"}]}, "actions.0.add_tag.tag")]:
        status, body = api("POST", "/api/auto-replies", {**rule, **bad})
        assert status == 422 and body["where"] == where, (bad, body)
    assert api("POST", "/api/auto-replies", rule, as_=caller(Role.VIEWER))[0] == 403
    assert api("DELETE", f"/api/auto-replies/{rid}")[0] == 200
    assert api("GET", f"/api/auto-replies/{rid}")[0] == 404


def test_chat_history_and_send(wired: Any, manual_clock: Any) -> None:
    api, _, line, _ = wired
    repo, timeline = SubscriberRepository(), Timeline()
    sub, _ = repo.get_or_create_for_line_user(WS, CH, "U" + "1" * 32)
    repo.mutate(WS, sub.subscriber_id, lambda s: s.line[CH].update(status="following"))
    timeline.append(WS, sub.subscriber_id, "message_in", {"channel_id": CH, "text": "hi"}, actor="friend")
    timeline.append(WS, sub.subscriber_id, "follow", {"channel_id": CH})
    manual_clock.advance(timedelta(seconds=5))
    headers = {"Idempotency-Key": "req-1"}
    status, sent = api("POST", f"/api/subscribers/{sub.subscriber_id}/chat", {"text": "こんにちは"}, headers=headers)
    assert status == 200 and sent["status"] == "sent", sent
    again = api("POST", f"/api/subscribers/{sub.subscriber_id}/chat", {"text": "こんにちは"}, headers=headers)[1]
    assert again["status"] == "already_sent"
    assert len(line.pushes) == 1 and line.pushes[0][0] == "U" + "1" * 32
    status, bad = api("POST", f"/api/subscribers/{sub.subscriber_id}/chat", {"text": "x"},
                      headers={"idempotency-key": "k" * 101})  # the one header reader of every admin route
    assert (status, bad["where"]) == (422, "Idempotency-Key") and len(line.pushes) == 1
    status, page = api("GET", f"/api/subscribers/{sub.subscriber_id}/chat", query={"limit": "1"})
    assert status == 200 and len(page["messages"]) == 1 and page["next_cursor"]
    newest = page["messages"][0]
    assert newest["direction"] == "out" and newest["actor"] == "operator:op-1"
    page2 = api("GET", f"/api/subscribers/{sub.subscriber_id}/chat", query={"cursor": page["next_cursor"]})[1]
    assert [m["direction"] for m in page2["messages"]] == ["in"]
    assert "U" + "1" * 32 not in json.dumps(page) + json.dumps(page2)
    other = caller(workspace_id="w_other")
    assert api("GET", f"/api/subscribers/{sub.subscriber_id}/chat", as_=other)[0] == 404
    assert api("POST", f"/api/subscribers/{sub.subscriber_id}/chat", {"text": "x"}, as_=other)[0] == 404
    assert api("POST", f"/api/subscribers/{sub.subscriber_id}/chat", {"text": ""})[1]["where"] == "text"
    assert api("GET", f"/api/subscribers/{sub.subscriber_id}/chat", as_=caller(Role.VIEWER))[0] == 403


def test_the_login_channel_is_set_and_removed_on_a_connected_channel(wired: Any) -> None:
    api, secrets, _, _ = wired
    assert api("POST", "/api/channels", GOOD)[0] == 201
    name = f"haishin/local/{WS}/line/{CH}"
    status, body = api("PUT", f"/api/channels/{CH}/login", {"login_channel_id": "2000000001"})
    assert status == 422 and body["where"] == "login_channel_secret", body
    assert "login_channel_id" not in secrets.values[name]
    status, body = api("PUT", f"/api/channels/{CH}/login", {"login_channel_id": "2000000001",
                                                            "login_channel_secret": "cd" * 16})
    assert status == 200 and body["login_channel_id"] == "2000000001", body
    assert body["login_callback_url"].endswith("/login/callback")  # what the channel screen shows to paste
    assert body["member_login_callback_url"].endswith("/m/line/callback")  # the member sites' (second URL)
    stored = secrets.values[name]
    assert (stored["login_channel_id"], stored["login_channel_secret"]) == ("2000000001", "cd" * 16)
    assert stored["access_token"] == TOKEN and stored["channel_secret"] == SECRET  # the rest is kept
    no_secret_in(body, secrets)
    status, body = api("PUT", f"/api/channels/{CH}/login", {"login_channel_id": None, "login_channel_secret": None})
    assert status == 200 and body["login_channel_id"] is None, body
    assert "login_channel_secret" not in secrets.values[name]
