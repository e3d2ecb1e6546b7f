"""Create a workspace's first owner in a deployed stack (ops tooling, run by the deployer with their AWS credentials):

    python -m haishin_local.create_owner --stack haishin --workspace-id ws_salon --email you@example.com \
        [--workspace-name "ハイシン美容室"] [--region ap-northeast-1]

It creates the Cognito user (``admin-create-user``: Cognito e-mails a temporary password; the e-mail is marked
verified, ``custom:workspace_id`` is set once and cannot change), reads the user's ``sub``, and writes the workspace
record and the owner's operator record (keyed on that ``sub``) through the same code the API uses. The API lets
nobody in without an operator record, so this is the only way into a new workspace; the owner invites everyone else
from the admin. Running it again for the same e-mail and workspace changes nothing; an e-mail that already belongs to
another workspace is refused. ``--user-pool-id`` and ``--workspace-table`` replace the stack lookup.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

PROG = "python -m haishin_local.create_owner"


def stack_resources(cloudformation: Any, stack: str) -> tuple[str, str]:
    """The user pool ID and the workspace table name of a deployed stack (logical IDs are the contract)."""

    def physical(logical_id: str) -> str:
        found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
        return str(found["StackResourceDetail"]["PhysicalResourceId"])

    return physical("UserPool"), physical("WorkspaceTable")


def create_owner(idp: Any, user_pool_id: str, workspace_id: str, email: str,
                 workspace_name: str | None = None) -> dict[str, str]:
    """Cognito user (or the existing one of this workspace) + workspace + owner record; returns what was made."""
    from haishin.auth.permissions import Role  # noqa: PLC0415 - after the table name is in the environment
    from haishin.operators.service import CognitoDirectory, OperatorService  # noqa: PLC0415

    email = email.strip().lower()
    directory = CognitoDirectory(user_pool_id, idp)
    sub = directory.invite(workspace_id, email, Role.OWNER)
    record = OperatorService(directory).create_owner(workspace_id, sub, email, workspace_name=workspace_name)
    return {"workspace_id": workspace_id, "email": record.email, "operator_id": sub, "role": record.role}


def main(argv: list[str] | None = None, *, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--workspace-id", required=True, help="e.g. ws_salon (letters, digits, _ and -)")
    parser.add_argument("--email", required=True, help="the owner's e-mail; Cognito sends the first password there")
    parser.add_argument("--workspace-name", default=None)
    parser.add_argument("--stack", default=None, help="the deployed stack's name (sam deploy's stack_name)")
    parser.add_argument("--user-pool-id", default=None)
    parser.add_argument("--workspace-table", default=None)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if not args.stack and not (args.user_pool_id and args.workspace_table):
        parser.error("give --stack, or both --user-pool-id and --workspace-table")
    workspace_id = args.workspace_id.strip()
    if not workspace_id or not all(c.isalnum() or c in "_-" for c in workspace_id):
        parser.error("--workspace-id takes letters, digits, _ and - only")

    if session is None:
        import boto3  # noqa: PLC0415

        session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    pool, table = args.user_pool_id, args.workspace_table
    if args.stack:
        pool, table = stack_resources(session.client("cloudformation"), args.stack)
    # The domain package reads table names when its models are first imported.
    os.environ["WORKSPACE_TABLE"] = table
    if session.region_name:
        os.environ.setdefault("AWS_REGION", session.region_name)
        os.environ.setdefault("AWS_DEFAULT_REGION", session.region_name)
    from haishin.errors import HaishinError  # noqa: PLC0415
    from haishin.operators.models import OperatorModel  # noqa: PLC0415

    if OperatorModel.Meta.table_name != table:
        print(f"{PROG}: the domain package was loaded for table {OperatorModel.Meta.table_name}, not {table}; "
              "run the command in its own process", file=sys.stderr)
        return 2
    try:
        made = create_owner(session.client("cognito-idp"), pool, workspace_id, args.email, args.workspace_name)
    except HaishinError as error:
        print(f"{PROG}: {error.message}", file=sys.stderr)
        return 1
    print(json.dumps(made, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
