"""Stripe events that must not move an order: a livemode that differs from the order's mode (refused, recorded),
and an event that matches no order (kept for review, not marked processed, replayable once its order exists)."""

from __future__ import annotations

import json
from typing import Any

from pay_env import WHSEC, WS, Env

from haishin.payments.models import OrderModel
from haishin.payments.service import order_sk
from haishin.payments.signature import sign_header
from haishin.storage.once import Once
from haishin.workspaces.models import workspace_pk
from tests.support.admin_api import ensure_operator


def deliver(env: Env, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = json.dumps(event).encode()
    return env.service.handle_webhook(WS, body, sign_header(WHSEC, body))


def completed_event(env: Env) -> tuple[str, dict[str, Any]]:
    order_id, session_id = env.buy(env.product())
    env.stripe.auto_deliver = False
    return order_id, env.stripe.complete_checkout(session_id)


def test_a_live_event_for_a_test_order_changes_nothing_and_is_recorded(env: Env) -> None:
    order_id, event = completed_event(env)
    assert env.order(order_id).mode == "test" and event["livemode"] is False
    forged = json.loads(json.dumps(event))
    forged["id"] = "evt_forged_live"
    forged["livemode"] = True
    forged["data"]["object"]["livemode"] = True
    status, answer = deliver(env, forged)
    assert status == 200 and answer["outcome"] == "refused_livemode"
    order = env.order(order_id)
    assert order.status == "pending" and int(order.paid_total or 0) == 0
    assert env.scenarios.started == [] and env.messenger.sent == []
    review = env.service.review_events(WS)
    assert [(r["event_id"], r["outcome"], r["order_id"], r["livemode"], r["order_mode"]) for r in review] == [
        ("evt_forged_live", "refused_livemode", order_id, "true", "test")]
    # refused is final: a redelivery is a duplicate; the genuine test-mode event still pays the order
    assert deliver(env, forged)[1]["outcome"] == "duplicate"
    assert deliver(env, event)[1]["outcome"] == "paid"
    assert env.scenarios.started.count("sc_onboarding") == 1


def test_an_event_without_livemode_is_refused(env: Env) -> None:
    order_id, event = completed_event(env)
    del event["livemode"]
    del event["data"]["object"]["livemode"]
    assert deliver(env, event)[1]["outcome"] == "refused_livemode"
    assert env.order(order_id).status == "pending"


def test_an_unmatched_event_is_kept_not_marked_done_and_replays_once_its_order_exists(env: Env) -> None:
    real_order_id, event = completed_event(env)
    orphan = json.loads(json.dumps(event))
    orphan["id"] = "evt_orphan"
    obj = orphan["data"]["object"]
    obj["metadata"]["order_id"] = obj["client_reference_id"] = "o_later"
    obj["payment_intent"] = "pi_orphan"
    for _ in range(2):
        status, answer = deliver(env, orphan)
        assert status == 200 and answer["outcome"] == "unmatched"  # not "duplicate": it was not marked done
    claim = Once().get(f"stripe-event#{WS}#evt_orphan")
    assert claim is None or claim.status != "done"
    review = env.service.review_events(WS, outcome="unmatched")
    assert [(r["event_id"], r["type"], r["deliveries"]) for r in review] == [
        ("evt_orphan", "checkout.session.completed", 2)]

    # the order shows up later (e.g. written after the event arrived): a replay applies the kept event once
    real = env.order(real_order_id)
    OrderModel(pk=workspace_pk(WS), sk=order_sk("o_later"), workspace_id=WS, order_id="o_later",
               product_id=real.product_id, subscriber_id=real.subscriber_id, kind=real.kind, mode=real.mode,
               amount=real.amount, created_at=real.created_at, updated_at=real.updated_at, facts={}).save()
    assert env.service.replay_event(WS, "evt_orphan") == "paid"
    assert env.order("o_later").status == "paid"
    assert deliver(env, orphan)[1]["outcome"] == "duplicate"
    assert env.service.review_events(WS, outcome="unmatched") == []
    assert env.order(real_order_id).status == "pending"  # the real order's own event never came


def test_admin_api_lists_and_replays_kept_events(env: Env, monkeypatch: Any) -> None:
    from haishin.api.app import AdminApi  # noqa: PLC0415

    class Context:
        function_name = "AdminApiFunction"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
        aws_request_id = "req-1"

    def call(method: str, path: str, query: str = "", role: str = "owner") -> tuple[int, Any]:
        claims = ensure_operator(WS, f"{role}@example.jp", role)
        event = {"version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": query,
                 "queryStringParameters": dict(p.split("=") for p in query.split("&")) if query else None,
                 "headers": {"content-type": "application/json"},
                 "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
                                    "stage": "$default", "requestId": "r1", "domainName": "localhost",
                                    "authorizer": {"jwt": {"claims": claims}}},
                 "body": None, "isBase64Encoded": False}
        response = AdminApi().handle(event, Context())
        return response["statusCode"], json.loads(response["body"]) if response.get("body") else None

    _, event = completed_event(env)
    event["id"] = "evt_nobody"
    event["data"]["object"]["metadata"]["order_id"] = event["data"]["object"]["client_reference_id"] = "o_none"
    event["data"]["object"]["payment_intent"] = "pi_none"
    assert deliver(env, event)[1]["outcome"] == "unmatched"
    status, listing = call("GET", "/api/payments/stripe/events", "outcome=unmatched")
    assert status == 200 and [i["event_id"] for i in listing["items"]] == ["evt_nobody"], listing
    status, replayed = call("POST", "/api/payments/stripe/events/evt_nobody/replay")
    assert status == 200 and replayed["outcome"] == "unmatched"
    assert call("POST", "/api/payments/stripe/events/evt_missing/replay")[0] == 404
