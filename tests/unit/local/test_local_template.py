"""The template loader: what template.yaml resolves to locally, and what it refuses (naming the resource)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from haishin_local.runtime.cfn_yaml import load_template_text
from haishin_local.runtime.errors import TemplateRefused
from haishin_local.runtime.template import Template

REPO_ROOT = Path(__file__).resolve().parents[3]
MOTO = "http://127.0.0.1:4566"


@pytest.fixture(scope="module")
def real() -> Template:
    return Template(REPO_ROOT / "template.yaml", moto_endpoint=MOTO)


def write(tmp_path: Path, body: str, handlers: tuple[str, ...] = ("fn",)) -> Path:
    for name in handlers:
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "app.py").write_text("def lambda_handler(event, context):\n    return event\n")
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return path


BASE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Q: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: fn/
      Handler: app.lambda_handler
"""


def test_short_tags_become_long_form() -> None:
    data = load_template_text(
        "a: !Ref X\nb: !GetAtt Q.Arn\nc: !Sub 'x-${Stage}'\nd: !If [C, 1, 2]\ne: !Not [!Equals [!Ref P, '']]\n"
    )
    assert data["a"] == {"Ref": "X"}
    assert data["b"] == {"Fn::GetAtt": ["Q", "Arn"]}
    assert data["c"] == {"Fn::Sub": "x-${Stage}"}
    assert data["d"] == {"Fn::If": ["C", 1, 2]}
    assert data["e"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]}


def test_environment_of_the_real_template_resolves(real: Template) -> None:
    env = real.merged_environment()
    assert env["WORKSPACE_TABLE"] == "WorkspaceTable"
    assert env["IDEMPOTENCY_TABLE"] == "IdempotencyTable"
    assert env["LINE_EVENTS_QUEUE_URL"] == f"{MOTO}/123456789012/LineEventsQueue"
    assert env["DELIVERY_QUEUE_URL"] == f"{MOTO}/123456789012/DeliveryQueue"
    assert env["STAGE"] == "prod"  # the parameter's default
    assert env["SECRETS_PREFIX"] == "haishin/prod"  # !Sub with a parameter
    assert env["SCHEDULER_GROUP"] == "haishin-prod-broadcasts"  # !Ref of a schedule group is its Name
    assert env["BROADCAST_PLANNER_ARN"] == "arn:aws:lambda:us-east-1:123456789012:function:BroadcastPlannerFunction"
    assert env["SCHEDULER_ROLE_ARN"] == "arn:aws:iam::123456789012:role/SchedulerInvokeRole"


def test_parameter_overrides_win(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "      Environment:\n        Variables:\n          STAGE: !Ref Stage\n")
    assert Template(path, parameters={"Stage": "local"}).merged_environment()["STAGE"] == "local"


def test_tables_and_queues_of_the_real_template(real: Template) -> None:
    tables = {t.logical_id: t for t in real.tables}
    assert set(tables) == {
        "WorkspaceTable",
        "SubscribersTable",
        "EnrollmentsTable",
        "LedgerTable",
        "TimelineTable",
        "IdempotencyTable",
    }
    subscribers = tables["SubscribersTable"].create_kwargs
    assert subscribers["TableName"] == "SubscribersTable"
    assert [g["IndexName"] for g in subscribers["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2", "gsi3"]
    assert subscribers["BillingMode"] == "PAY_PER_REQUEST"
    assert tables["LedgerTable"].ttl_attribute == "expires_at"
    assert tables["IdempotencyTable"].ttl_attribute == "expiration"
    queues = {q.logical_id: q for q in real.queues}
    assert queues["DeliveryQueue"].dead_letter_queue == "DeliveryDeadLetterQueue"
    assert queues["DeliveryQueue"].max_receive_count == 8
    order = [q.logical_id for q in real.queues]
    assert order.index("DeliveryDeadLetterQueue") < order.index("DeliveryQueue")


def test_event_sources_of_the_real_template(real: Template) -> None:
    keys = {r.route_key: r for r in real.routes}
    assert keys["POST /line/webhook/{channel_id}"].function_id == "LineWebhookFunction"
    assert keys["ANY /api/{proxy+}"].authorizer == "CognitoAuthorizer"
    assert keys["GET /api/openapi.json"].authorizer is None
    sqs = {s.queue_id: s for s in real.sqs_sources}
    assert sqs["DeliveryQueue"].maximum_concurrency == 40  # !Ref DeliveryMaxConcurrency -> its default
    assert sqs["PlannerQueue"].batch_size == 1
    assert all(s.report_batch_item_failures for s in sqs.values())
    assert [(s.function_id, s.expression) for s in real.schedules] == [("StepTickFunction", "cron(* * * * ? *)")]


def test_missing_handler_is_refused_naming_the_function(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, handlers=())
    (tmp_path / "fn").mkdir()
    template = Template(path)
    with pytest.raises(TemplateRefused) as refused:
        template.require_handlers()
    assert refused.value.resource == "Fn"
    assert "fn/app.py is missing" in str(refused.value)


def test_unknown_event_type_is_refused(tmp_path: Path) -> None:
    body = BASE + "      Events:\n        Topic:\n          Type: SNS\n          Properties: {Topic: x}\n"
    with pytest.raises(TemplateRefused, match=r"^Fn: event Topic has type 'SNS'"):
        Template(write(tmp_path, body))


def test_unknown_intrinsic_in_environment_is_refused(tmp_path: Path) -> None:
    body = BASE + "      Environment:\n        Variables:\n          X: !ImportValue shared-thing\n"
    with pytest.raises(TemplateRefused, match=r"^Fn: Properties.Environment.Variables.X: Fn::ImportValue"):
        Template(write(tmp_path, body))


def test_getatt_without_local_value_is_refused(tmp_path: Path) -> None:
    body = BASE + (
        "      Environment:\n        Variables:\n          X: !GetAtt Dist.DomainName\n"
        "  Dist: {Type: AWS::CloudFront::Distribution}\n"
    )
    with pytest.raises(TemplateRefused, match=r"Fn: .*Dist.DomainName"):
        Template(write(tmp_path, body))


def test_conflicting_environments_are_refused(tmp_path: Path) -> None:
    body = BASE + (
        "      Environment:\n        Variables:\n          MODE: a\n"
        "  Other:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.11\n"
        "      CodeUri: fn/\n      Handler: app.lambda_handler\n"
        "      Environment:\n        Variables:\n          MODE: b\n"
    )
    with pytest.raises(TemplateRefused, match=r"^Other: environment variable MODE='b' differs from Fn's 'a'"):
        Template(write(tmp_path, body)).merged_environment()


def test_queue_ref_getatt_and_sub(tmp_path: Path) -> None:
    body = BASE + (
        "      Environment:\n        Variables:\n"
        "          URL: !Ref Q\n          NAME: !GetAtt Q.QueueName\n          ARN: !GetAtt Q.Arn\n"
        "          SUB: !Sub '${Q.QueueName}-${Stage}-${AWS::Region}-${!Literal}'\n"
        "          IF: !If [IsDev, yes-dev, no]\n"
        "Conditions:\n  IsDev: !Equals [!Ref Stage, dev]\n"
    )
    env = Template(write(tmp_path, body), moto_endpoint=MOTO).merged_environment()
    assert env == {
        "URL": f"{MOTO}/123456789012/Q",
        "NAME": "Q",
        "ARN": "arn:aws:sqs:us-east-1:123456789012:Q",
        "SUB": "Q-dev-us-east-1-${Literal}",
        "IF": "yes-dev",
    }


def test_non_jwt_authorizer_is_refused(tmp_path: Path) -> None:
    body = BASE + (
        "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n"
        "            ApiId: !Ref Api\n            Path: /x\n            Method: GET\n"
        "            Auth: {Authorizer: LambdaAuth}\n"
        "  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        Authorizers:\n"
        "          LambdaAuth: {FunctionArn: x}\n"
    )
    with pytest.raises(TemplateRefused, match=r"^Fn: Events.Get: authorizer 'LambdaAuth' is not a JWT authorizer"):
        Template(write(tmp_path, body))


def test_user_pool_ids_come_from_moto_when_known(tmp_path: Path) -> None:
    body = BASE + (
        "      Environment:\n        Variables:\n          POOL: !Ref Pool\n          POOL_ARN: !GetAtt Pool.Arn\n"
        "  Pool:\n    Type: AWS::Cognito::UserPool\n    Properties:\n      UserPoolName: !Sub 'ops-${Stage}'\n"
        "      UsernameAttributes: [email]\n"
        "      Schema: [{Name: workspace_id, AttributeDataType: String, Mutable: true}]\n"
        "  Owners:\n    Type: AWS::Cognito::UserPoolGroup\n"
        "    Properties: {UserPoolId: !Ref Pool, GroupName: owner, Precedence: 0}\n"
    )
    path = write(tmp_path, body)
    template = Template(path, physical_ids={"Pool": "us-east-1_abc"})
    assert template.merged_environment() == {
        "POOL": "us-east-1_abc",
        "POOL_ARN": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
    }
    assert template.user_pools["Pool"]["PoolName"] == "ops-dev"
    assert template.user_pool_groups == [("Pool", "owner", 0)]


def test_unreadable_template_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources: {a: [}\n")
    with pytest.raises(TemplateRefused, match=r"^template.yaml: cannot be read"):
        Template(path)
