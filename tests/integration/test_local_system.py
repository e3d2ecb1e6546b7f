"""The local runtime's behaviour, on a small test-only template (independent of the real handlers).

Proves: a queued message reaches its consumer, partial batch failures retry only the failed record, a poison
message lands in the DLQ after maxReceiveCount, a one-time EventBridge Scheduler schedule fires at its minute after
``advance`` and is deleted, a rate schedule fires after ``advance``, and HTTP routes reach their handler with an
API Gateway payload v2.0 event (with the dev JWT authorizer on protected routes).
"""

from __future__ import annotations

import json
import os
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from haishin import clock
from haishin_local.runtime import LocalSystem

pytestmark = pytest.mark.integration

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: test}
  Workers: {Type: Number, Default: 2}
Globals:
  Function:
    Runtime: python3.11
    Handler: app.lambda_handler
    Timeout: 10
    Environment:
      Variables:
        STAGE: !Ref Stage
        WORK_QUEUE_URL: !Ref WorkQueue
        ITEMS_TABLE: !Ref ItemsTable
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Jwt:
            AuthorizationScopes: [openid]
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {issuer: https://example.invalid, audience: [x]}
  WebFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: web/
      Environment:
        Variables:
          TARGET_ARN: !GetAtt TargetFunction.Arn
          GROUP: !Ref Group
      Events:
        Hello:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: GET, Path: "/hello/{name}"}
        Secure:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: ANY, Path: "/secure/{proxy+}", Auth: {Authorizer: Jwt}}
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: consumer/
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: !Ref Workers}
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: tick/
      Events:
        EveryMinute:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
  TargetFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: target/
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn, maxReceiveCount: 3}
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  Group:
    Type: AWS::Scheduler::ScheduleGroup
    Properties: {Name: !Sub "test-${Stage}-group"}
"""

RECORDER = """
import json
SEEN = []
"""

HANDLERS = {
    "web": RECORDER
    + textwrap.dedent("""
        def lambda_handler(event, context):
            SEEN.append(event)
            return {"statusCode": 201, "headers": {"x-fn": context.function_name}, "cookies": ["c=1"],
                    "body": json.dumps({"name": event.get("pathParameters", {}).get("name")})}
    """),
    "consumer": RECORDER
    + textwrap.dedent("""
        def lambda_handler(event, context):
            failures = []
            for record in event["Records"]:
                body = json.loads(record["body"])
                count = int(record["attributes"]["ApproximateReceiveCount"])
                SEEN.append((body["id"], count, record))
                if body.get("poison") or count < body.get("fail_until", 0):
                    failures.append({"itemIdentifier": record["messageId"]})
            return {"batchItemFailures": failures}
    """),
    "tick": RECORDER + "def lambda_handler(event, context):\n    SEEN.append(event)\n",
    "target": RECORDER + "def lambda_handler(event, context):\n    SEEN.append(event)\n    return {'ok': True}\n",
}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, local_tools: None) -> Iterator[LocalSystem]:
    root = tmp_path_factory.mktemp("local_fixture")
    (root / "template.yaml").write_text(TEMPLATE)
    for name, code in HANDLERS.items():
        (root / name).mkdir()
        (root / name / "app.py").write_text(code)
    with LocalSystem(
        port=0,
        seed=False,
        template=root / "template.yaml",
        emulators=False,
        retry_backoff_seconds=0,
        one_time_check_seconds=0.5,
    ) as running:
        yield running


def seen(system: LocalSystem, function_id: str) -> list[Any]:
    function = system.functions[function_id]
    function.load()
    assert function.module is not None
    result: list[Any] = function.module.SEEN
    return result


def call(
    system: LocalSystem, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(system.base_url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_environment_and_resources(system: LocalSystem) -> None:
    assert os.environ["STAGE"] == "test"
    assert os.environ["WORK_QUEUE_URL"] == system.queue_url("WorkQueue")
    assert os.environ["ITEMS_TABLE"] == "ItemsTable"
    assert os.environ["GROUP"] == "test-test-group"
    assert os.environ["TARGET_ARN"] == "arn:aws:lambda:us-east-1:123456789012:function:TargetFunction"
    assert os.environ["AWS_ENDPOINT_URL"] == system.moto_endpoint
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == system.dynamodb_endpoint
    assert os.environ["PUBLIC_BASE_URL"] == ""  # the template has no PublicBaseUrl: URLs derive from requests
    assert clock.current() is system.clock
    table = system.client("dynamodb").describe_table(TableName="ItemsTable")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert [s["concurrency"] for s in system.event_sources if s["type"] == "SQS"] == [2]


def test_partial_batch_failure_retries_only_the_failed_record(system: LocalSystem) -> None:
    sqs = system.client("sqs")
    url = system.queue_url("WorkQueue")
    for body in ({"id": "ok-1"}, {"id": "flaky", "fail_until": 2}, {"id": "ok-2"}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    system.drain(timeout=30)
    records = seen(system, "ConsumerFunction")
    counts: dict[str, list[int]] = {}
    for message_id, count, _ in records:
        counts.setdefault(message_id, []).append(count)
    assert counts["ok-1"] == [1] and counts["ok-2"] == [1]
    assert counts["flaky"] == [1, 2]
    record = records[0][2]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:WorkQueue"
    assert record["md5OfBody"] and record["receiptHandle"] and record["attributes"]["SentTimestamp"]
    dlq = sqs.receive_message(QueueUrl=system.queue_url("WorkDeadLetterQueue")).get("Messages", [])
    assert dlq == []


def test_poison_message_lands_in_the_dead_letter_queue(system: LocalSystem) -> None:
    sqs = system.client("sqs")
    sqs.send_message(QueueUrl=system.queue_url("WorkQueue"), MessageBody=json.dumps({"id": "poison", "poison": True}))
    system.drain(timeout=30)
    attempts = [count for message_id, count, _ in seen(system, "ConsumerFunction") if message_id == "poison"]
    assert attempts == [1, 2, 3]  # maxReceiveCount 3
    dlq = sqs.receive_message(QueueUrl=system.queue_url("WorkDeadLetterQueue"), MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["id"] for m in dlq] == ["poison"]


def test_one_time_schedule_fires_at_its_minute_and_is_deleted(system: LocalSystem) -> None:
    scheduler = system.client("scheduler")
    tokyo = ZoneInfo("Asia/Tokyo")
    due = (clock.now() + timedelta(minutes=10)).astimezone(tokyo).replace(second=0, microsecond=0)
    scheduler.create_schedule(
        Name="broadcast-1",
        GroupName="test-test-group",
        ScheduleExpression=f"at({due.strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="Asia/Tokyo",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": os.environ["TARGET_ARN"],
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps({"broadcast_id": "b-1"}),
        },
    )
    system.advance(timedelta(minutes=5))
    assert seen(system, "TargetFunction") == []
    assert scheduler.get_schedule(Name="broadcast-1", GroupName="test-test-group")["Name"] == "broadcast-1"
    result = system.advance(timedelta(minutes=6))
    assert seen(system, "TargetFunction") == [{"broadcast_id": "b-1"}]
    assert "test-test-group/broadcast-1" in result["fired"]
    names = [s["Name"] for s in scheduler.list_schedules(GroupName="test-test-group")["Schedules"]]
    assert "broadcast-1" not in names


def test_rate_schedule_fires_after_advance(system: LocalSystem) -> None:
    before = len(seen(system, "TickFunction"))
    system.advance(timedelta(minutes=1))
    events = seen(system, "TickFunction")[before:]
    assert len(events) == 1
    assert events[0]["detail-type"] == "Scheduled Event"
    assert events[0]["source"] == "aws.events"


def test_http_route_reaches_its_handler_with_a_v2_event(system: LocalSystem) -> None:
    status, headers, body = call(
        system, "GET", "/hello/%E5%A4%AA%E9%83%8E?lang=ja&x=1&x=2", headers={"Cookie": "a=1; b=2", "X-Test": "yes"}
    )
    assert status == 201
    assert json.loads(body) == {"name": "太郎"}
    assert headers["x-fn"] == "WebFunction"
    assert headers["set-cookie"] == "c=1"
    event = seen(system, "WebFunction")[-1]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /hello/{name}"
    assert event["rawPath"] == "/hello/%E5%A4%AA%E9%83%8E"
    assert event["rawQueryString"] == "lang=ja&x=1&x=2"
    assert event["queryStringParameters"] == {"lang": "ja", "x": "1,2"}
    assert event["pathParameters"] == {"name": "太郎"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-test"] == "yes"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"
    assert "authorizer" not in event["requestContext"]


def test_protected_route_needs_a_dev_login(system: LocalSystem) -> None:
    status, _, body = call(system, "POST", "/secure/things/1", body=b"{}")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = call(system, "POST", "/secure/x", body=b"{}", headers={"Authorization": "Bearer nope"})
    assert status == 401
    status, _, body = call(
        system,
        "POST",
        "/_dev/login",
        body=json.dumps({"email": "op@example.jp", "workspace_id": "ws_1", "role": "operator"}).encode(),
    )
    assert status == 200
    token = json.loads(body)["token"]
    status, _, _ = call(
        system,
        "PATCH",
        "/secure/things/1",
        body=b'{"a": 1}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert status == 201
    event = seen(system, "WebFunction")[-1]
    assert event["routeKey"] == "ANY /secure/{proxy+}"
    assert event["pathParameters"] == {"proxy": "things/1"}
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["email"] == "op@example.jp"
    assert claims["custom:workspace_id"] == "ws_1"
    assert claims["cognito:groups"] == "[operator]"  # flattened like API Gateway does


def test_dev_endpoints_and_not_found(system: LocalSystem) -> None:
    status, _, body = call(system, "GET", "/nothing/here")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    status, _, body = call(system, "GET", "/_dev/health")
    assert status == 200 and json.loads(body)["ok"] is True
    status, _, body = call(system, "GET", "/_dev/clock")
    offset = json.loads(body)["offset_seconds"]
    status, _, body = call(system, "POST", "/_dev/clock/advance", body=b'{"hours": 1}')
    assert status == 200
    answer = json.loads(body)
    assert answer["offset_seconds"] == offset + 3600 and answer["quiet"] is True
    status, _, body = call(system, "GET", "/admin/config.json")
    assert json.loads(body)["apiBase"] == system.base_url and json.loads(body)["authMode"] == "dev"
    status, _, body = call(system, "GET", "/admin/some/page")
    assert status == 200 and b"make admin" in body
