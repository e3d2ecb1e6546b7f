"""/api/webhooks: owners manage endpoints (the secret is answered once), everyone who sees deliveries can list,
the test button and replay queue a signed delivery; another workspace's objects are not found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from haishin import wiring
from haishin.api.app import AdminApi
from haishin.webhooks.sender import SendResult
from tests.support.admin_api import call_admin_api

WS = "ws_hooks_api"


@pytest.fixture
def api(aws: Any, manual_clock: Any) -> Iterator[AdminApi]:
    previous = wiring.install(wiring.Services())
    try:
        yield AdminApi()
    finally:
        wiring.install(previous)


def call(api: AdminApi, method: str, path: str, body: Any = None, *, role: str = "owner", workspace: str = WS,
         query: str = "") -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=workspace, role=role, body=body, query=query)


def create(api: AdminApi, **extra: Any) -> dict[str, Any]:
    status, body = call(api, "POST", "/api/webhooks",
                        {"url": "https://hooks.example.com/in", "events": ["friend_added"], **extra})
    assert status == 201, body
    return dict(body)


def test_create_answers_the_secret_once_and_list_never_does(api: AdminApi) -> None:
    created = create(api, description="CRM 連携")
    assert created["secret"].startswith("whsec_")
    status, listed = call(api, "GET", "/api/webhooks", role="viewer")
    assert status == 200 and [e["endpoint_id"] for e in listed["items"]] == [created["endpoint_id"]]
    assert created["secret"] not in json.dumps(listed)
    assert "friend_added" in listed["event_types"]
    status, rotated = call(api, "POST", f"/api/webhooks/{created['endpoint_id']}/rotate-secret")
    assert status == 200 and rotated["secret"] != created["secret"]


@pytest.mark.parametrize("role", ["admin", "operator", "viewer"])
def test_only_owners_manage_endpoints(api: AdminApi, role: str) -> None:
    endpoint_id = create(api)["endpoint_id"]
    assert call(api, "POST", "/api/webhooks", {"url": "https://hooks.example.com/x"}, role=role)[0] == 403
    assert call(api, "PATCH", f"/api/webhooks/{endpoint_id}", {"enabled": False}, role=role)[0] == 403
    assert call(api, "POST", f"/api/webhooks/{endpoint_id}/test", role=role)[0] == 403
    assert call(api, "DELETE", f"/api/webhooks/{endpoint_id}", role=role)[0] == 403


@pytest.mark.parametrize("body,where", [
    ({"url": "http://hooks.example.com/x"}, "url"),
    ({"url": "https://169.254.169.254/latest"}, "url"),
    ({"url": "https://hooks.example.com/x", "events": ["no_such_event"]}, "events"),
])
def test_bad_endpoints_are_refused_naming_the_field(api: AdminApi, body: dict[str, Any], where: str) -> None:
    status, answer = call(api, "POST", "/api/webhooks", body)
    assert status in (400, 422) and where in json.dumps(answer, ensure_ascii=False)


def test_test_event_then_replay_of_a_failed_delivery(api: AdminApi, aws: Any) -> None:
    endpoint_id = create(api)["endpoint_id"]
    status, delivery = call(api, "POST", f"/api/webhooks/{endpoint_id}/test")
    assert status == 202 and delivery["event_type"] == "test" and delivery["status"] == "queued"
    assert len(aws.receive_all("WebhookQueue")) == 1

    hooks = wiring.services().webhooks
    hooks.sender = type("Refusing", (), {"post": lambda self, url, body, headers: SendResult(410, 3, body="gone")})()
    hooks.deliver(WS, delivery["delivery_id"])
    status, listed = call(api, "GET", "/api/webhooks/deliveries", role="viewer", query=f"endpoint={endpoint_id}")
    assert status == 200
    assert [(d["status"], d["last_status_code"]) for d in listed["items"]] == [("failed", 410)]

    status, replayed = call(api, "POST", f"/api/webhooks/deliveries/{delivery['delivery_id']}/replay")
    assert status == 202 and replayed["status"] == "queued" and replayed["event_id"] == delivery["event_id"]
    assert len(aws.receive_all("WebhookQueue")) == 1


def test_another_workspaces_endpoint_and_delivery_are_not_found(api: AdminApi) -> None:
    endpoint_id = create(api)["endpoint_id"]
    _, delivery = call(api, "POST", f"/api/webhooks/{endpoint_id}/test")
    other = "ws_hooks_other"
    assert call(api, "POST", f"/api/webhooks/{endpoint_id}/test", workspace=other)[0] == 404
    assert call(api, "DELETE", f"/api/webhooks/{endpoint_id}", workspace=other)[0] == 404
    assert call(api, "GET", f"/api/webhooks/deliveries/{delivery['delivery_id']}", workspace=other)[0] == 404
    assert call(api, "POST", f"/api/webhooks/deliveries/{delivery['delivery_id']}/replay", workspace=other)[0] == 404
    # ...nor can a scenario step, form or link of another workspace name it
    status, answer = call(api, "POST", "/api/links", {"name": "x", "target_url": "https://example.com",
                                                      "actions": [{"type": "call_webhook",
                                                                   "endpoint_id": endpoint_id}]}, workspace=other)
    assert status == 404 and answer["where"].endswith("endpoint_id")
