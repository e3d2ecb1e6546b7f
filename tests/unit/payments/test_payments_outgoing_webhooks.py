"""Issue 16: a product whose actions include call_webhook made the Stripe webhook answer 500 on every redelivery
(no webhook queue was ever built). Now the composition root's webhook service queues it, once, and purchase and
subscription events reach subscribed endpoints once each, however often Stripe redelivers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pay_env import WS, Env

from haishin import wiring
from haishin.webhooks.schemas import EndpointDefinition


@pytest.fixture
def hooks(aws: Any) -> Iterator[Any]:
    previous = wiring.install(wiring.Services())
    try:
        yield wiring.services().webhooks
    finally:
        wiring.install(previous)


def queued(aws: Any, hooks: Any) -> list[tuple[str, str]]:
    messages = [json.loads(m["Body"]) for m in aws.receive_all("WebhookQueue")]
    views = [hooks.delivery(m["workspace_id"], m["delivery_id"]) for m in messages]
    return sorted((v["endpoint_id"], v["event_type"]) for v in views)


def test_a_product_with_call_webhook_answers_200_and_queues_one_call(aws: Any, hooks: Any, env: Env) -> None:
    endpoint = hooks.create_endpoint(WS, EndpointDefinition.model_validate(
        {"url": "https://hooks.example.com/shop", "events": ["purchase_completed"]}))["endpoint_id"]
    product = env.product(actions=[{"type": "add_tag", "tag": "購入者"},
                                   {"type": "call_webhook", "endpoint_id": endpoint}])
    _, session_id = env.buy(product)
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    env.stripe.flush(duplicate=True)
    assert set(env.statuses) == {200}
    assert queued(aws, hooks) == [(endpoint, "action"), (endpoint, "purchase_completed")]


def test_subscription_events_are_published_once_per_stripe_event(aws: Any, hooks: Any, env: Env) -> None:
    endpoint = hooks.create_endpoint(WS, EndpointDefinition.model_validate(
        {"url": "https://hooks.example.com/subs",
         "events": ["subscription_created", "subscription_payment_failed", "subscription_canceled"]}))["endpoint_id"]
    _, session_id = env.buy(env.product(kind="subscription", amount=3000))
    env.stripe.auto_deliver = False
    env.stripe.complete_checkout(session_id)
    subscription = env.stripe.objects[session_id]["subscription"]
    env.stripe.fail_invoice(subscription)
    env.stripe.cancel_subscription(subscription)
    env.stripe.flush(duplicate=True)
    assert set(env.statuses) == {200}
    found = queued(aws, hooks)
    types = [t for _, t in found]
    assert types.count("subscription_created") == 1
    assert types.count("subscription_payment_failed") == 1
    assert types.count("subscription_canceled") == 1
    assert {e for e, _ in found} == {endpoint}
