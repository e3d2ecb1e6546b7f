"""Issue 16: ``call_webhook`` passed validation but nothing sent it: ``wiring.Services.webhooks`` was never set, so a
step with it raised (retried, then dead-lettered) and forms skipped it. Now it names an endpoint of the workspace,
and the composition root's ActionRunner queues a signed delivery for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from haishin import wiring
from haishin.actions import CallWebhook, parse_actions
from haishin.errors import NotFound
from haishin.forms.inputs import FormDefinition
from haishin.ownership import Kind, owned, references
from haishin.webhooks.schemas import EndpointDefinition

WS = "ws_action_hooks"


@pytest.fixture
def services(aws: Any) -> Iterator[wiring.Services]:
    previous = wiring.install(wiring.Services())
    try:
        yield wiring.services()
    finally:
        wiring.install(previous)


def endpoint(services: wiring.Services, workspace_id: str = WS) -> str:
    return str(services.webhooks.create_endpoint(workspace_id, EndpointDefinition.model_validate(
        {"url": "https://hooks.example.com/crm"}))["endpoint_id"])


def test_the_composition_roots_action_runner_queues_call_webhook(aws: Any, services: wiring.Services) -> None:
    endpoint_id = endpoint(services)
    friend = services.subscribers.new(WS, source="line")
    services.subscribers.create(friend, [])
    runner = services.actions
    assert runner.webhooks is not None  # on main: None, and the step raised "webhook actions need the webhook queue"
    for _ in range(2):  # a retried step: the same cause, one delivery
        runner.run(WS, friend.subscriber_id, [CallWebhook(endpoint_id=endpoint_id)], actor="step:scn_1/s1",
                   idempotency_key="step:dlv_1")
    messages = [json.loads(m["Body"]) for m in aws.receive_all("WebhookQueue")]
    assert len(messages) == 1
    delivery = services.webhooks.delivery(WS, messages[0]["delivery_id"])
    assert delivery["endpoint_id"] == endpoint_id and delivery["event_type"] == "action"
    assert delivery["event"]["data"]["subscriber_id"] == friend.subscriber_id
    assert delivery["event"]["data"]["cause"] == "step:scn_1/s1"


def test_forms_and_payments_get_the_webhook_service_from_the_composition_root(services: wiring.Services) -> None:
    collab = services.collaborators
    # call_webhook actions go to the webhook service; domain events go through the one fan-out (webhooks first,
    # then conversions: docs/production/conv.md)
    assert collab.action_runner().webhooks is services.webhooks
    assert collab.action_runner().events is services.events
    assert services.events.webhooks is services.webhooks
    assert services.conversions in services.events.listeners
    assert collab.webhooks is services.events
    assert services.payments.collab is collab and services.forms.collab is collab


@pytest.mark.parametrize("raw", [{"type": "call_webhook", "url": "https://hooks.example.com"},
                                 {"type": "call_webhook", "endpoint_id": "https://hooks.example.com"},
                                 {"type": "call_webhook"}])
def test_call_webhook_names_an_endpoint_and_says_so_in_japanese(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_actions([raw])
    assert "endpoint_id" in str(caught.value)


def test_another_workspaces_endpoint_is_refused(services: wiring.Services) -> None:
    theirs = endpoint(services, "ws_theirs")
    refs = list(references({"steps": [{"actions": [{"type": "call_webhook", "endpoint_id": theirs}]}]}))
    assert [(r.kind, r.where) for r in refs] == [(Kind.WEBHOOK_ENDPOINT, "steps.0.actions.0.endpoint_id")]
    owned("ws_theirs", Kind.WEBHOOK_ENDPOINT, theirs)
    with pytest.raises(NotFound) as caught:
        owned(WS, Kind.WEBHOOK_ENDPOINT, theirs, where=refs[0].where)
    assert "Webhook エンドポイント" in caught.value.message


def test_a_form_with_call_webhook_delivers_instead_of_skipping(aws: Any, manual_clock: Any,
                                                               services: wiring.Services) -> None:
    endpoint_id = str(services.webhooks.create_endpoint(WS, EndpointDefinition.model_validate(
        {"url": "https://hooks.example.com/forms", "events": ["form_submitted"]}))["endpoint_id"])
    forms = services.forms
    form = forms.create(WS, FormDefinition.model_validate({
        "name": "資料請求", "title": "資料請求", "fields": [{"key": "email", "label": "メール", "type": "email"}],
        "actions": [{"type": "call_webhook", "endpoint_id": endpoint_id}]}))
    for _ in range(2):  # a double submit is one submission
        result = forms.submit(form.form_id, {"email": ["a@example.com"], "_nonce": ["n-1"], "website": [""]})
        assert result.outcome == "thanks"
    messages = [json.loads(m["Body"]) for m in aws.receive_all("WebhookQueue")]
    kinds = sorted(services.webhooks.delivery(WS, m["delivery_id"])["event_type"] for m in messages)
    assert kinds == ["action", "form_submitted"]  # on main: the call was skipped ("no webhook queue configured")
