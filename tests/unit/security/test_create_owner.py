"""The create-owner command (README "Deploying to AWS"), against moto's Cognito and the template's tables: the only
way into a new workspace, since the API lets nobody in without an operator record."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from haishin.api.app import AdminApi
from haishin.operators.repository import OperatorRepository
from haishin.workspaces.service import WorkspaceService
from haishin_local.create_owner import main, stack_resources
from tests.unit.core.test_admin_api import Context, event

WS = "ws_salon"


@pytest.fixture
def pool(aws: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    idp = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = idp.create_user_pool(
        PoolName="haishin-test-operators", UsernameAttributes=["email"],
        Schema=[{"Name": "workspace_id", "AttributeDataType": "String", "Mutable": False}],
    )["UserPool"]["Id"]
    for group in ("owner", "admin", "operator", "viewer"):
        idp.create_group(UserPoolId=pool_id, GroupName=group)
    return idp, pool_id


def run(pool_id: str, *extra: str, email: str = "Founder@Example.com", workspace: str = WS) -> int:
    return main(["--user-pool-id", pool_id, "--workspace-table", "WorkspaceTable", "--workspace-id", workspace,
                 "--email", email, *extra], session=boto3.Session(region_name="us-east-1"))


def attributes(idp: Any, pool_id: str, email: str) -> dict[str, str]:
    user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_it_creates_the_cognito_user_the_workspace_and_the_owner_record_keyed_on_the_sub(
    pool: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    idp, pool_id = pool
    assert run(pool_id, "--workspace-name", "ハイシン美容室") == 0
    made = json.loads(capsys.readouterr().out)
    found = attributes(idp, pool_id, "founder@example.com")
    assert found["custom:workspace_id"] == WS
    assert found["email_verified"] == "true"
    assert made["operator_id"] == found["sub"]
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="founder@example.com")["Groups"]
    assert [g["GroupName"] for g in groups] == ["owner"]
    record = OperatorRepository().get(WS, found["sub"])
    assert record is not None
    assert (record.role, record.status, record.email) == ("owner", "active", "founder@example.com")
    assert WorkspaceService().get(WS)["name"] == "ハイシン美容室"
    # The owner's token now opens the admin API as owner.
    claims = {"sub": found["sub"], "email": "founder@example.com", "email_verified": "true",
              "custom:workspace_id": WS}
    response = AdminApi().handle(event("GET", "/api/me", claims), Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["role"] == "owner"


def test_running_it_again_changes_nothing(pool: tuple[Any, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, pool_id = pool
    assert run(pool_id) == 0
    first = json.loads(capsys.readouterr().out)
    assert run(pool_id) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert [o.operator_id for o in OperatorRepository().all(WS)] == [first["operator_id"]]


def test_an_account_of_another_workspace_is_refused(pool: tuple[Any, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, pool_id = pool
    assert run(pool_id, workspace="ws_first") == 0
    capsys.readouterr()
    assert run(pool_id, workspace="ws_second") == 1
    assert "別のワークスペース" in capsys.readouterr().err
    assert OperatorRepository().all("ws_second") == []


def test_the_stack_lookup_uses_the_contract_logical_ids() -> None:
    class FakeCloudFormation:
        def describe_stack_resource(self, StackName: str, LogicalResourceId: str) -> dict[str, Any]:
            assert StackName == "haishin"
            return {"StackResourceDetail": {"PhysicalResourceId": f"physical-{LogicalResourceId}"}}

    assert stack_resources(FakeCloudFormation(), "haishin") == ("physical-UserPool", "physical-WorkspaceTable")
