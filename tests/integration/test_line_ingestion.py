"""LINE ingestion on real wires.

1. ``haishin.aws_lite`` (the stdlib AWS client of the webhook) against a moto server on loopback: SQS SendMessage,
   Secrets Manager GetSecretValue, DynamoDB GetItem/UpdateItem, and the webhook service wired with it.
2. End to end on the local system (template.yaml, DynamoDB Local, moto server, LINE emulator): connect a channel
   through the admin API, a friend follows and writes, the signed webhook is verified and enqueued, the consumer
   applies it once; a tampered body is refused with 401 and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from haishin.aws_lite import AwsJsonClient, AwsLiteError, DynamoDb, SecretsManager, Sqs
from haishin.ingest.webhook import DynamoChannelLookup, SecretsManagerReader, SqsSender, WebhookService
from haishin.line.signature import sign
from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234567890"
WS = "w_int"
SECRET = "8c3c0a1b2d4e5f60718293a4b5c6d7e8"
TOKEN = "integration-token-0000000000000000000000001"
REGION = "us-east-1"


# ------------------------------------------------------------------------------------------ aws_lite vs moto server
@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from haishin_local.moto_process import MotoServer  # noqa: PLC0415

    server = MotoServer()
    server.start()
    try:
        yield server.endpoint
    finally:
        server.stop()


def _boto(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _lite(service: str, endpoint: str) -> AwsJsonClient:
    return AwsJsonClient(service, region=REGION, endpoint=endpoint)


@pytest.fixture(scope="module")
def moto_resources(moto_endpoint: str) -> dict[str, str]:
    sqs = _boto("sqs", moto_endpoint)
    queue_url = sqs.create_queue(QueueName="LiteEvents")["QueueUrl"]
    _boto("secretsmanager", moto_endpoint).create_secret(
        Name=f"haishin/int/{WS}/line/{CH}", SecretString=json.dumps({"channel_secret": SECRET, "access_token": TOKEN})
    )
    ddb = _boto("dynamodb", moto_endpoint)
    ddb.create_table(
        TableName="LiteWorkspace", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    ddb.put_item(TableName="LiteWorkspace", Item={
        "pk": {"S": f"channel#{CH}"}, "sk": {"S": "channel"}, "workspace_id": {"S": WS},
        "secret_name": {"S": f"haishin/int/{WS}/line/{CH}"}, "status": {"S": "connected"},
    })
    return {"queue_url": queue_url}


def test_aws_lite_speaks_sqs_secrets_manager_and_dynamodb(moto_endpoint: str, moto_resources: dict[str, str]) -> None:
    sqs = Sqs(_lite("sqs", moto_endpoint))
    message_id = sqs.send_message(moto_resources["queue_url"], "こんにちは")
    assert message_id
    got = _boto("sqs", moto_endpoint).receive_message(QueueUrl=moto_resources["queue_url"])["Messages"]
    assert got[0]["Body"] == "こんにちは"
    with pytest.raises(AwsLiteError) as missing_queue:
        sqs.send_message(moto_resources["queue_url"] + "-missing", "x")
    assert missing_queue.value.status == 400

    sm = SecretsManager(_lite("secretsmanager", moto_endpoint))
    assert json.loads(sm.get_secret_string(f"haishin/int/{WS}/line/{CH}") or "{}")["channel_secret"] == SECRET
    assert sm.get_secret_string("haishin/int/none") is None

    db = DynamoDb(_lite("dynamodb", moto_endpoint))
    item = db.get_item("LiteWorkspace", {"pk": f"channel#{CH}", "sk": "channel"}, attributes=["workspace_id"])
    assert item == {"workspace_id": WS}
    assert db.get_item("LiteWorkspace", {"pk": "channel#0", "sk": "channel"}) is None
    assert db.update_item("LiteWorkspace", {"pk": f"channel#{CH}", "sk": "channel"}, "SET #v = :v",
                          names={"#v": "webhook_verified_at"}, values={":v": "2026-01-05T00:00:00+00:00"},
                          condition="attribute_exists(pk)")
    assert not db.update_item("LiteWorkspace", {"pk": "channel#0", "sk": "channel"}, "SET #v = :v",
                              names={"#v": "x"}, values={":v": "y"}, condition="attribute_exists(pk)")


def test_webhook_service_on_aws_lite(moto_endpoint: str, moto_resources: dict[str, str]) -> None:
    service = WebhookService(
        DynamoChannelLookup(DynamoDb(_lite("dynamodb", moto_endpoint)), table="LiteWorkspace"),
        SecretsManagerReader(SecretsManager(_lite("secretsmanager", moto_endpoint))),
        SqsSender(Sqs(_lite("sqs", moto_endpoint)), queue_url=moto_resources["queue_url"]),
    )
    boto_sqs = _boto("sqs", moto_endpoint)
    boto_sqs.purge_queue(QueueUrl=moto_resources["queue_url"])
    raw = json.dumps({"destination": "U", "events": [{"type": "follow", "webhookEventId": "E1"}]})
    event = {"pathParameters": {"channel_id": CH}, "headers": {"x-line-signature": sign(SECRET, raw.encode())},
             "body": raw, "isBase64Encoded": False}
    assert service.handle(event)["statusCode"] == 200
    tampered = {**event, "body": raw.replace("E1", "E2")}
    assert service.handle(tampered)["statusCode"] == 401
    bodies = [json.loads(m["Body"]) for m in
              boto_sqs.receive_message(QueueUrl=moto_resources["queue_url"], MaxNumberOfMessages=10)["Messages"]]
    assert [b["body"] for b in bodies] == [raw]
    broken = WebhookService(service.channels, service.secrets,
                            SqsSender(Sqs(_lite("sqs", moto_endpoint)), queue_url=moto_resources["queue_url"] + "x"))
    assert broken.handle(event)["statusCode"] == 500


# ------------------------------------------------------------------------------------------ the local system

def test_end_to_end_on_the_local_system(local_system: Any) -> None:
    system = local_system
    emulator = system.line_emulator
    webhook = f"{system.base_url}/line/webhook/{CH}"
    auth, channel = connect_workspace(system, WS, CH, SECRET, TOKEN)  # owner, sign-in, channel
    assert SECRET not in json.dumps(channel) and TOKEN not in json.dumps(channel)
    status, rule = json_request("POST", f"{system.base_url}/api/auto-replies",
                         {"name": "hours", "match_type": "contains", "keywords": ["営業時間"],
                          "messages": [{"type": "text", "text": "10時から19時です"}]}, auth)
    assert status == 201, rule

    user = "U" + "e" * 32
    assert emulator.follow(CH, user) == 200
    assert emulator.send_text(CH, user, "営業時間は？") == 200
    system.drain()
    received = emulator.received(user, CH)
    assert any("10時から19時です" in json.dumps(m, ensure_ascii=False) for m in received), received

    # The same kind of body with one byte changed: 401 and nothing enqueued or stored.
    raw = json.dumps({"destination": "U", "events": [{"type": "message", "webhookEventId": "X1", "mode": "active",
                                                       "timestamp": 1, "source": {"type": "user", "userId": user},
                                                       "message": {"id": "1", "type": "text", "text": "a"}}]})
    signature = sign(SECRET, raw.encode())
    status, _ = json_request("POST", webhook, raw=raw.replace('"a"', '"b"').encode(),
                      headers={"x-line-signature": signature})
    assert status == 401
    status, _ = json_request("POST", webhook, raw=raw.encode(), headers={"x-line-signature": signature})
    assert status == 200
    status, _ = json_request("POST", f"{system.base_url}/line/webhook/9999999999", raw=raw.encode(),
                      headers={"x-line-signature": signature})
    assert status == 404
    system.drain()
