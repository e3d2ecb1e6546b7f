"""template.yaml is the contract: check its structure, and that the ``aws`` fixture builds what it declares.

These tests check structure only (files exist, handlers are named, resources carry the settings the design
requires); behaviour belongs to each function's own tests.
"""

from __future__ import annotations

import ast
import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
import pytest_socket

from haishin import clock
from haishin.config import settings
from tests.support import template as tpl

FUNCTIONS = tpl.functions()
FUNCTION_IDS = [f.logical_id for f in FUNCTIONS]
TABLES = tpl.resources(tpl.TABLE_TYPE)
QUEUES = tpl.resources(tpl.QUEUE_TYPE)

EXPECTED_TABLES = {
    "WorkspaceTable", "SubscribersTable", "EnrollmentsTable", "LedgerTable", "TimelineTable", "IdempotencyTable",
}  # fmt: skip
EXPECTED_QUEUES = {"LineEventsQueue", "DeliveryQueue", "PlannerQueue"}
EXPECTED_FUNCTIONS = {
    "LineWebhookFunction", "LineEventsFunction", "StepTickFunction", "BroadcastPlannerFunction",
    "DeliveryWorkerFunction", "FormSubmitFunction", "StripeWebhookFunction", "AdminApiFunction", "PagesFunction",
    "InflowFunction",
}  # fmt: skip
MAX_LAYERS = 5  # Lambda's limit per function


def test_the_contract_logical_ids_exist() -> None:
    assert set(TABLES) >= EXPECTED_TABLES
    assert set(QUEUES) >= EXPECTED_QUEUES
    assert {f"{q.removesuffix('Queue')}DeadLetterQueue" for q in EXPECTED_QUEUES} <= set(QUEUES)
    assert set(FUNCTION_IDS) >= EXPECTED_FUNCTIONS


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FUNCTION_IDS)
def test_function_code_layout(fn: tpl.Function) -> None:
    assert fn.code_uri == f"functions/{fn.dir_name}/", "CodeUri is functions/<snake_name>/"
    assert fn.dir_name == tpl.function_snake_name(fn.logical_id)
    assert fn.handler == "app.lambda_handler"
    assert fn.module_path.is_file(), f"missing {fn.module_path.relative_to(tpl.REPO_ROOT)}"
    # Structure, not content: the module defines (or imports) a top-level ``lambda_handler``.
    tree = ast.parse(fn.module_path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(a.asname or a.name for a in node.names)
    assert fn.handler_name in names, f"{fn.module_path.name} has no top-level {fn.handler_name}"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FUNCTION_IDS)
def test_function_has_a_sample_event(fn: tpl.Function) -> None:
    assert fn.event_sample.is_file(), f"missing events/{fn.dir_name}.json"
    json.loads(fn.event_sample.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FUNCTION_IDS)
def test_function_layers(fn: tpl.Function) -> None:
    assert len(fn.layers) == len(set(fn.layers)), "a layer is attached twice (Globals layers are merged in)"
    assert len(fn.layers) <= MAX_LAYERS
    assert {"HaishinLayer", "DepsBaseLayer"} <= set(fn.layers)
    layers = tpl.resources(tpl.LAYER_TYPE)
    assert set(fn.layers) <= set(layers)


def test_webhook_carries_neither_line_sdk_nor_stripe() -> None:
    webhook = next(f for f in FUNCTIONS if f.logical_id == "LineWebhookFunction")
    assert "DepsLineLayer" not in webhook.layers
    assert "DepsStripeLayer" not in webhook.layers


@pytest.mark.parametrize("logical_id", list(TABLES))
def test_table_is_protected_and_on_demand(logical_id: str) -> None:
    props = TABLES[logical_id]["Properties"]
    assert props.get("BillingMode") == "PAY_PER_REQUEST"
    assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True
    assert props.get("SSESpecification", {}).get("SSEEnabled") is True


@pytest.mark.parametrize("logical_id", [q for q in QUEUES if tpl.dead_letter_target(q) is None])
def test_dead_letter_queues_are_not_redriven_further(logical_id: str) -> None:
    assert "DeadLetter" in logical_id, f"{logical_id} has no RedrivePolicy (every queue needs a DLQ)"


@pytest.mark.parametrize("logical_id", [q for q in QUEUES if "DeadLetter" not in q])
def test_every_queue_has_a_dead_letter_queue(logical_id: str) -> None:
    target = tpl.dead_letter_target(logical_id)
    assert target is not None, f"{logical_id} has no RedrivePolicy"
    dlq, max_receive = target
    assert dlq in QUEUES
    assert max_receive >= 1
    # A DLQ must keep messages at least as long as its source queue does.
    source_retention = QUEUES[logical_id]["Properties"].get("MessageRetentionPeriod", 345600)
    assert QUEUES[dlq]["Properties"].get("MessageRetentionPeriod", 345600) >= source_retention


@pytest.mark.parametrize("logical_id", list(QUEUES))
def test_every_queue_sets_the_message_size_the_code_measures_against(logical_id: str) -> None:
    from haishin.sqs_limits import MAX_MESSAGE_BYTES  # noqa: PLC0415

    assert QUEUES[logical_id]["Properties"].get("MaximumMessageSize") == MAX_MESSAGE_BYTES


SQS_SOURCES = [(f, name, ev) for f in FUNCTIONS for name, ev in f.events("SQS").items()]


@pytest.mark.parametrize(("fn", "name", "event"), SQS_SOURCES, ids=[f"{f.logical_id}.{n}" for f, n, _ in SQS_SOURCES])
def test_sqs_sources_report_partial_batch_failures(fn: tpl.Function, name: str, event: dict) -> None:
    assert "ReportBatchItemFailures" in event["Properties"].get("FunctionResponseTypes", [])


def test_every_queue_with_a_consumer_is_a_template_queue() -> None:
    consumed = {ev["Properties"]["Queue"]["Fn::GetAtt"][0] for _, _, ev in SQS_SOURCES}
    assert consumed <= set(QUEUES)
    assert consumed >= EXPECTED_QUEUES


# ---------------------------------------------------------------- the aws fixture


def test_aws_fixture_creates_every_table_as_declared(aws) -> None:  # type: ignore[no-untyped-def]
    assert sorted(aws.dynamodb.list_tables()["TableNames"]) == sorted(TABLES)
    for logical_id, res in TABLES.items():
        props = res["Properties"]
        desc = aws.dynamodb.describe_table(TableName=logical_id)["Table"]
        assert desc["KeySchema"] == props["KeySchema"]
        assert {(a["AttributeName"], a["AttributeType"]) for a in desc["AttributeDefinitions"]} == {
            (a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]
        }
        declared_gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        created_gsis = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}
        assert set(created_gsis) == set(declared_gsis)
        for name, gsi in declared_gsis.items():
            assert created_gsis[name]["KeySchema"] == gsi["KeySchema"]
            assert created_gsis[name]["Projection"]["ProjectionType"] == gsi["Projection"]["ProjectionType"]
        ttl = aws.dynamodb.describe_time_to_live(TableName=logical_id)["TimeToLiveDescription"]
        declared_ttl = tpl.table_ttl_attribute(logical_id)
        if declared_ttl:
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == declared_ttl
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_aws_fixture_creates_every_queue_with_its_redrive(aws) -> None:  # type: ignore[no-untyped-def]
    assert set(aws.queue_urls) == set(QUEUES)
    for logical_id, url in aws.queue_urls.items():
        assert url.rstrip("/").endswith(f"/{logical_id}")
        attrs = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        props = QUEUES[logical_id].get("Properties", {})
        if "VisibilityTimeout" in props:
            assert int(attrs["VisibilityTimeout"]) == props["VisibilityTimeout"]
        target = tpl.dead_letter_target(logical_id)
        if target:
            redrive = json.loads(attrs["RedrivePolicy"])
            assert redrive["deadLetterTargetArn"].endswith(f":{target[0]}")
            assert int(redrive["maxReceiveCount"]) == target[1]
        else:
            assert "RedrivePolicy" not in attrs


def test_aws_fixture_points_settings_at_the_queues(aws) -> None:  # type: ignore[no-untyped-def]
    s = settings()
    assert s.line_events_queue_url == aws.queue_urls["LineEventsQueue"]
    assert s.delivery_queue_url == aws.queue_urls["DeliveryQueue"]
    assert s.planner_queue_url == aws.queue_urls["PlannerQueue"]
    aws.sqs.send_message(QueueUrl=s.delivery_queue_url, MessageBody="{}")
    assert len(aws.receive_all("DeliveryQueue")) == 1


def test_manual_clock_fixture(manual_clock) -> None:  # type: ignore[no-untyped-def]
    assert clock.now() == datetime(2026, 1, 5, tzinfo=UTC)
    manual_clock.advance(timedelta(minutes=5))
    assert clock.now() == datetime(2026, 1, 5, 0, 5, tzinfo=UTC)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_unit_tests_have_no_network() -> None:
    with pytest.raises(pytest_socket.SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def _cognito(logical_id: str) -> dict:  # type: ignore[type-arg]
    return tpl.template()["Resources"][logical_id]["Properties"]  # type: ignore[no-any-return]


def test_the_workspace_attribute_of_an_operator_cannot_change() -> None:
    schema = {a["Name"]: a for a in _cognito("UserPool")["Schema"]}
    assert schema["workspace_id"]["Mutable"] is False


def test_the_app_client_cannot_write_the_email_or_any_custom_attribute() -> None:
    client = _cognito("UserPoolClient")
    # Left out, Cognito lets the app client (and so any signed-in user with their own token) write every attribute.
    written = client.get("WriteAttributes")
    assert written is not None
    assert "email" not in written
    assert [a for a in written if a.startswith("custom:")] == []


def test_the_pool_verifies_email_before_it_counts() -> None:
    pool = _cognito("UserPool")
    assert "email" in pool["AutoVerifiedAttributes"]
    assert pool["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"] == ["email"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
