"""Dead letters: the admin peek never shows bodies, replay resets the ledger and moves messages back, scoped to the
caller's workspace; the CLI does the same for ops (moto)."""

from __future__ import annotations

import json
from typing import Any

from haishin import wiring
from haishin.api.app import AdminApi
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import DeliveryMessage
from haishin_local import cli_dlq
from tests.support.admin_api import ensure_operator

WS = "ws1"
SECRET_TEXT = "秘密のクーポン ABC-123"


class Context:
    function_name = "AdminApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AdminApiFunction"
    aws_request_id = "req-1"


def call(method: str, path: str, role: str = "owner") -> tuple[int, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(WS, f"{role}@example.jp", role)}}},
        "isBase64Encoded": False,
    }
    response = AdminApi().handle(event, Context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def dead(aws: Any, ledger: Ledger, delivery_id: str, workspace_id: str = WS, *, sent: bool = False) -> None:
    ledger.record_enqueued(delivery_id=delivery_id, workspace_id=workspace_id, kind="broadcast", channel="line",
                           subscriber_id=None, scheduled_at=None)
    claim = ledger.claim(delivery_id, lease=__import__("datetime").timedelta(minutes=3), channel="line", defaults={})
    ledger.settle(delivery_id, claim.token, "sent" if sent else "failed", workspace_id=workspace_id,
                  error=None if sent else "LINE 400: The request body has 1 error(s)")
    body = DeliveryMessage(kind="broadcast", workspace_id=workspace_id, delivery_id=delivery_id, retry_key="k",
                           channel="line", recipients=["s1"], content={"line": [{"type": "text",
                                                                                 "text": SECRET_TEXT}]}).to_json()
    aws.sqs.send_message(QueueUrl=aws.queue_urls["DeliveryDeadLetterQueue"], MessageBody=body)


def test_peek_and_replay_through_the_admin_api(aws: Any, manual_clock: Any) -> None:
    wiring.reset()
    ledger = Ledger()
    dead(aws, ledger, "d1")
    dead(aws, ledger, "d2", sent=True)  # sent meanwhile (e.g. by a later redelivery): dropped, not resent
    dead(aws, ledger, "d3", workspace_id="ws_other")
    status, answer = call("GET", "/api/deliveries/dead-letters", role="viewer")
    assert status == 200, answer
    assert SECRET_TEXT not in json.dumps(answer, ensure_ascii=False)
    items = {i["delivery_id"]: i for i in answer["items"]}
    assert set(items) == {"d1", "d2"}  # never another workspace's
    assert items["d1"]["reason"].startswith("LINE 400") and items["d1"]["first_failed_at"]
    assert call("POST", "/api/deliveries/dead-letters/replay", role="viewer")[0] == 403
    assert call("POST", "/api/deliveries/dead-letters/replay", role="operator")[0] == 403
    status, answer = call("POST", "/api/deliveries/dead-letters/replay", role="admin")
    assert status == 200 and answer["replayed"] == 1 and answer["already_sent"] == 1, answer
    moved = aws.receive_all("DeliveryQueue")
    assert [json.loads(m["Body"])["delivery_id"] for m in moved] == ["d1"]
    assert ledger.get("d1").status == "retrying"  # claimable again by the worker
    assert ledger.get("d2").status == "sent"
    left = aws.receive_all("DeliveryDeadLetterQueue")
    assert [json.loads(m["Body"])["workspace_id"] for m in left] == ["ws_other"]


def test_cli_replays_every_workspace(aws: Any, manual_clock: Any, capsys: Any) -> None:
    ledger = Ledger()
    dead(aws, ledger, "d1")
    dead(aws, ledger, "d3", workspace_id="ws_other")
    assert cli_dlq.main(["peek", "--queue", "DeliveryDeadLetterQueue"]) == 0
    peeked = json.loads(capsys.readouterr().out)
    assert {i["delivery_id"] for i in peeked} == {"d1", "d3"} and SECRET_TEXT not in json.dumps(peeked)
    assert cli_dlq.main(["replay", "--queue", "DeliveryDeadLetterQueue", "--target", "DeliveryQueue"]) == 0
    assert json.loads(capsys.readouterr().out)["replayed"] == 2
    assert len(aws.receive_all("DeliveryQueue")) == 2 and not aws.receive_all("DeliveryDeadLetterQueue")


def test_a_line_delivery_first_tried_over_23_hours_ago_is_not_replayed_unless_forced(
        aws: Any, manual_clock: Any, capsys: Any, monkeypatch: Any) -> None:
    """LINE forgets a retry key after 24 h: replaying then could send the message twice."""
    from datetime import timedelta  # noqa: PLC0415

    from haishin.delivery.dead_letters import LINE_REPLAY_RISK_JA  # noqa: PLC0415

    wiring.reset()
    ledger = Ledger()
    dead(aws, ledger, "old")
    manual_clock.set(manual_clock.now() + timedelta(hours=23, minutes=30))
    dead(aws, ledger, "fresh")
    status, answer = call("POST", "/api/deliveries/dead-letters/replay", role="admin")
    assert status == 200 and answer["replayed"] == 1 and answer["too_old_for_line"] == 1, answer
    assert answer["too_old_delivery_ids"] == ["old"] and "24 時間" in answer["warning"]
    assert [json.loads(m["Body"])["delivery_id"] for m in aws.receive_all("DeliveryQueue")] == ["fresh"]
    assert ledger.get("old").status == "failed"  # untouched: still in the DLQ
    # the CLI refuses too, and forcing asks first (in Japanese), then replays
    assert cli_dlq.main(["replay", "--queue", "DeliveryDeadLetterQueue"]) == 0
    assert json.loads(capsys.readouterr().out)["too_old_for_line"] == 1
    monkeypatch.setattr("builtins.input", lambda: "n")
    assert cli_dlq.main(["replay", "--queue", "DeliveryDeadLetterQueue", "--force-old-line"]) == 1
    assert LINE_REPLAY_RISK_JA in capsys.readouterr().err
    monkeypatch.setattr("builtins.input", lambda: "y")
    assert cli_dlq.main(["replay", "--queue", "DeliveryDeadLetterQueue", "--force-old-line"]) == 0
    assert json.loads(capsys.readouterr().out)["replayed"] == 1
    assert [json.loads(m["Body"])["delivery_id"] for m in aws.receive_all("DeliveryQueue")] == ["old"]
