"""WebhookService: endpoints and their one-time secret, idempotent enqueue, signed attempts, retry classification and
backoff, the consumer's re-queue, replay with the same event ID."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from haishin.errors import NotFound, ValidationFailed
from haishin.webhooks.consumer import handle_body
from haishin.webhooks.schemas import EndpointUpdate
from haishin.webhooks.sender import SendResult
from haishin.webhooks.service import BACKOFF_S, MAX_ATTEMPTS, backoff_seconds, classify
from haishin.webhooks.signer import verify
from tests.unit.webhooks.conftest import WS, Env


@pytest.mark.parametrize("result,outcome", [
    (SendResult(200, 1), "delivered"), (SendResult(204, 1), "delivered"),
    (SendResult(500, 1), "retry"), (SendResult(503, 1), "retry"), (SendResult(408, 1), "retry"),
    (SendResult(429, 1), "retry"), (SendResult(None, 3000, error="ReadTimeoutError"), "retry"),
    (SendResult(400, 1), "failed"), (SendResult(401, 1), "failed"), (SendResult(404, 1), "failed"),
    (SendResult(410, 1), "failed"), (SendResult(302, 1), "failed"),
    (SendResult(None, 0, error="プライベートアドレス", refused=True), "failed"),
])
def test_retry_classification(result: SendResult, outcome: str) -> None:
    assert classify(result) == outcome


def test_backoff_grows_with_bounded_jitter() -> None:
    waits = [backoff_seconds(n, jitter=0.0) for n in range(1, MAX_ATTEMPTS)]
    assert waits == list(BACKOFF_S) and waits == sorted(waits)
    assert backoff_seconds(1, jitter=1.0) == int(BACKOFF_S[0] * 1.1)


def test_the_secret_is_shown_once_and_stored_in_the_secret_store(env: Env) -> None:
    created = env.endpoint(["friend_added"])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["secret_hint"] == "…" + secret[-4:]
    listed = env.service.endpoints(WS)
    assert [e["endpoint_id"] for e in listed] == [created["endpoint_id"]]
    assert "secret" not in listed[0] and secret not in json.dumps(listed)
    assert env.secrets.get(f"haishin/local/{WS}/webhooks/{created['endpoint_id']}")["secret"] == secret


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://127.0.0.1/x", "https://169.254.169.254/",
                                 "https://[::1]/x", "https://localhost/x", "https://u:p@hooks.example.com/"])
def test_an_unsafe_url_is_refused_when_saved(env: Env, url: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        env.endpoint(url=url)
    assert caught.value.where == "url"


def test_enqueue_is_idempotent_on_its_cause(env: Env) -> None:
    endpoint = env.endpoint()
    for _ in range(3):
        env.service.enqueue(WS, "s_1", endpoint["endpoint_id"], {"cause": "form:f1"}, "form:sub_1#webhook")
    assert len(env.queue.sent) == 1
    env.service.enqueue(WS, "s_1", endpoint["endpoint_id"], {"cause": "form:f1"}, "form:sub_2#webhook")
    assert len(env.queue.sent) == 2


def test_a_stored_delivery_whose_queueing_failed_is_queued_again_by_the_retried_cause(env: Env) -> None:
    endpoint = env.endpoint()
    calls = {"n": 0}
    original = env.queue.send

    def flaky(workspace_id: str, delivery_id: str, *, delay_seconds: int = 0) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("SQS unavailable")
        original(workspace_id, delivery_id, delay_seconds=delay_seconds)

    env.queue.send = flaky  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        env.service.enqueue(WS, "s_1", endpoint["endpoint_id"], {}, "key-1")
    env.service.enqueue(WS, "s_1", endpoint["endpoint_id"], {}, "key-1")
    assert len(env.queue.sent) == 1


def test_publish_reaches_enabled_subscribed_endpoints_only(env: Env) -> None:
    wanted = env.endpoint(["friend_added", "blocked"])
    env.endpoint(["blocked"])
    env.endpoint(["friend_added"], enabled=False)
    assert env.service.publish(WS, "friend_added", {"subscriber_id": "s_1"}, idempotency_key="follow:evt1") == 1
    assert env.service.publish(WS, "friend_added", {"subscriber_id": "s_1"}, idempotency_key="follow:evt1") == 1
    assert len(env.queue.sent) == 1  # the same cause twice: one delivery
    delivery = env.service.deliveries(WS)[0]
    assert delivery["endpoint_id"] == wanted["endpoint_id"] and delivery["event_type"] == "friend_added"
    with pytest.raises(ValueError):
        env.service.publish(WS, "no_such_event", {}, idempotency_key="x")


def test_a_delivery_is_signed_with_the_endpoint_secret_and_carries_the_event_id(env: Env, manual_clock: Any) -> None:
    endpoint = env.endpoint(["form_submitted"])
    env.service.publish(WS, "form_submitted", {"form_id": "frm_1", "answers": {"名前": "花子"}},
                        idempotency_key="form:sub_1")
    _, delivery_id, _ = env.queue.sent[0]
    assert env.service.deliver(WS, delivery_id) is None
    url, body, headers = env.sender.posts[0]
    assert url == "https://hooks.example.com/in"
    now = manual_clock.now().timestamp()
    assert verify(endpoint["secret"], body, headers["Haishin-Signature"], now=now) == int(now)
    event = json.loads(body)
    assert event["type"] == "form_submitted" and event["data"]["answers"] == {"名前": "花子"}
    assert headers["Haishin-Event-Id"] == headers["Idempotency-Key"] == event["id"]
    view = env.service.delivery(WS, delivery_id)
    assert view["status"] == "delivered" and view["attempts"] == 1 and view["last_status_code"] == 200
    assert view["last_duration_ms"] == 12
    assert env.service.deliver(WS, delivery_id) is None and len(env.sender.posts) == 1  # settled: not sent again


def test_5xx_is_retried_with_backoff_and_the_same_event_id_then_delivered(env: Env, manual_clock: Any) -> None:
    env.endpoint(["blocked"])
    env.service.publish(WS, "blocked", {"subscriber_id": "s_1"}, idempotency_key="blocked:evt9")
    _, delivery_id, _ = env.queue.sent[0]
    env.sender.script = [SendResult(503, 40, body="busy"), SendResult(None, 3000, error="ReadTimeoutError")]
    message = json.dumps({"workspace_id": WS, "delivery_id": delivery_id})

    assert handle_body(env.service, env.queue, message) == "requeued"
    first_wait = env.queue.sent[-1][2]
    assert BACKOFF_S[0] <= first_wait <= BACKOFF_S[0] * 1.1
    view = env.service.delivery(WS, delivery_id)
    assert view["status"] == "retrying" and view["last_status_code"] == 503 and view["next_attempt_at"]

    assert handle_body(env.service, env.queue, message) == "requeued"  # arrived early: waits, no attempt
    assert len(env.sender.posts) == 1

    manual_clock.advance(timedelta(seconds=first_wait))
    assert handle_body(env.service, env.queue, message) == "requeued"
    assert env.service.delivery(WS, delivery_id)["last_error"] == "ReadTimeoutError"
    manual_clock.advance(timedelta(seconds=BACKOFF_S[1] * 2))
    assert handle_body(env.service, env.queue, message) == "settled"
    assert env.service.delivery(WS, delivery_id)["status"] == "delivered"
    event_ids = {h["Haishin-Event-Id"] for _, _, h in env.sender.posts}
    assert len(env.sender.posts) == 3 and len(event_ids) == 1
    assert [h["Haishin-Delivery-Attempt"] for _, _, h in env.sender.posts] == ["1", "2", "3"]


def test_4xx_is_permanent_and_recorded(env: Env) -> None:
    env.endpoint(["blocked"])
    env.service.publish(WS, "blocked", {}, idempotency_key="k")
    _, delivery_id, _ = env.queue.sent[0]
    env.sender.script = [SendResult(400, 5, body="bad")]
    assert handle_body(env.service, env.queue, json.dumps({"workspace_id": WS, "delivery_id": delivery_id})) \
        == "settled"
    view = env.service.delivery(WS, delivery_id)
    assert view["status"] == "failed" and view["last_status_code"] == 400
    assert view["attempt_log"][0]["response"] == "bad"
    assert len(env.queue.sent) == 1  # not queued again


def test_retries_stop_after_the_last_attempt(env: Env, manual_clock: Any) -> None:
    env.endpoint(["blocked"])
    env.service.publish(WS, "blocked", {}, idempotency_key="k")
    _, delivery_id, _ = env.queue.sent[0]
    env.sender.script = [SendResult(500, 1) for _ in range(MAX_ATTEMPTS)]
    for _ in range(MAX_ATTEMPTS):
        env.service.deliver(WS, delivery_id)
        manual_clock.advance(timedelta(days=1))
    view = env.service.delivery(WS, delivery_id)
    assert view["status"] == "failed" and view["attempts"] == MAX_ATTEMPTS


def test_replay_sends_the_same_event_again(env: Env) -> None:
    env.endpoint(["blocked"])
    env.service.publish(WS, "blocked", {"subscriber_id": "s_1"}, idempotency_key="k")
    _, delivery_id, _ = env.queue.sent[0]
    env.sender.script = [SendResult(404, 1)]
    env.service.deliver(WS, delivery_id)
    assert env.service.delivery(WS, delivery_id)["status"] == "failed"

    replayed = env.service.replay(WS, delivery_id)
    assert replayed["status"] == "queued" and env.queue.sent[-1] == (WS, delivery_id, 0)
    env.service.deliver(WS, delivery_id)
    view = env.service.delivery(WS, delivery_id)
    assert view["status"] == "delivered" and view["attempts"] == 2
    first, second = (json.loads(b) for _, b, _ in env.sender.posts)
    assert first == second
    with pytest.raises(NotFound):
        env.service.replay("ws_other", delivery_id)


def test_a_deleted_or_disabled_endpoint_fails_its_delivery_without_a_request(env: Env) -> None:
    endpoint = env.endpoint(["blocked"])
    env.service.publish(WS, "blocked", {}, idempotency_key="k")
    _, delivery_id, _ = env.queue.sent[0]
    env.service.update_endpoint(WS, endpoint["endpoint_id"], EndpointUpdate(enabled=False))
    env.service.deliver(WS, delivery_id)
    assert env.service.delivery(WS, delivery_id)["status"] == "failed" and env.sender.posts == []


def test_rotation_signs_with_both_secrets_for_a_day(env: Env, manual_clock: Any) -> None:
    endpoint = env.endpoint(["blocked"])
    rotated = env.service.rotate_secret(WS, endpoint["endpoint_id"])
    assert rotated["secret"] != endpoint["secret"]
    env.service.publish(WS, "blocked", {}, idempotency_key="k1")
    env.service.deliver(WS, env.queue.sent[-1][1])
    _, body, headers = env.sender.posts[-1]
    now = manual_clock.now().timestamp()
    assert verify(endpoint["secret"], body, headers["Haishin-Signature"], now=now)
    assert verify(rotated["secret"], body, headers["Haishin-Signature"], now=now)
    manual_clock.advance(timedelta(hours=25))
    env.service.publish(WS, "blocked", {}, idempotency_key="k2")
    env.service.deliver(WS, env.queue.sent[-1][1])
    assert env.sender.posts[-1][2]["Haishin-Signature"].count("v1=") == 1


def test_test_event_and_call_webhook_go_to_the_named_endpoint_only(env: Env) -> None:
    a, b = env.endpoint(), env.endpoint()
    env.service.send_test(WS, a["endpoint_id"])
    env.service.enqueue(WS, "s_1", b["endpoint_id"], {"cause": "scenario"}, "step:1")
    types = sorted((d["endpoint_id"], d["event_type"]) for d in env.service.deliveries(WS))
    assert types == sorted([(a["endpoint_id"], "test"), (b["endpoint_id"], "action")])



def test_call_webhook_to_a_deleted_endpoint_is_recorded_as_failed_not_raised(env: Env) -> None:
    """A scenario saved with an endpoint that was deleted later: the step goes on, the delivery shows the reason."""
    gone = env.endpoint()
    env.service.delete_endpoint(WS, gone["endpoint_id"])
    env.service.enqueue(WS, "s_1", gone["endpoint_id"], {}, "step:x")
    _, delivery_id, _ = env.queue.sent[-1]
    assert env.service.deliver(WS, delivery_id) is None
    view = env.service.delivery(WS, delivery_id)
    assert view["status"] == "failed" and "削除" in (view["last_error"] or "") and env.sender.posts == []
