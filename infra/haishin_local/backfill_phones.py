"""Re-key legacy phone numbers to E.164 (ops tooling, run once by the operator after upgrading; safe to repeat):

    python -m haishin_local.backfill_phones --stack haishin [--workspace-id ws_salon] [--dry-run] [--region ...]

Rows written before phones were normalised hold ``09012345678`` and a phone alias of the same digits; new lookups
use ``+819012345678`` and do not find them. For every friend of the workspace (or of every workspace) whose stored
phone is not its E.164 form, ``SubscriberRepository.rekey_phone`` stores the E.164 form and moves the alias in one
transaction. Idempotent: a second run changes nothing. A number that already belongs to another friend is not
touched and reported as a conflict (the marketer merges the two in the admin); an invalid number is reported too.
Prints one JSON line of counts per workspace and a total. ``--subscribers-table`` and ``--workspace-table`` replace
the stack lookup; locally (``AWS_ENDPOINT_URL``) the tables' logical IDs are their names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

PROG = "python -m haishin_local.backfill_phones"


@dataclass
class Counts:
    workspace_id: str
    scanned: int = 0
    with_phone: int = 0
    rekeyed: int = 0
    already_e164: int = 0
    invalid: int = 0
    conflicts: int = 0
    conflict_ids: list[str] = field(default_factory=list)
    invalid_ids: list[str] = field(default_factory=list)


def backfill_workspace(workspace_id: str, *, dry_run: bool = False, repository: Any = None) -> Counts:
    """Re-key every legacy phone of one workspace; returns what it found and did."""
    from haishin.errors import Conflict  # noqa: PLC0415 - after the table names are in the environment
    from haishin.phone import to_e164  # noqa: PLC0415
    from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415

    repo = repository or SubscriberRepository()
    counts = Counts(workspace_id)
    for subscriber in repo.iter_all(workspace_id):
        counts.scanned += 1
        if not subscriber.phone or subscriber.merged_into:
            continue
        counts.with_phone += 1
        e164 = to_e164(subscriber.phone)
        if e164 is None:
            counts.invalid += 1
            counts.invalid_ids.append(subscriber.subscriber_id)
            continue
        if e164 == subscriber.phone:
            counts.already_e164 += 1
            continue
        if dry_run:
            counts.rekeyed += 1
            continue
        try:
            if repo.rekey_phone(workspace_id, subscriber.subscriber_id):
                counts.rekeyed += 1
            else:
                counts.already_e164 += 1  # re-keyed by someone else since the scan read it
        except Conflict:
            counts.conflicts += 1
            counts.conflict_ids.append(subscriber.subscriber_id)
    return counts


def backfill(workspace_ids: Iterable[str] | None = None, *, dry_run: bool = False) -> list[Counts]:
    """Every workspace named, or every workspace with a record when None."""
    from haishin.workspaces.models import all_workspace_ids  # noqa: PLC0415

    targets = list(workspace_ids) if workspace_ids is not None else all_workspace_ids()
    return [backfill_workspace(ws, dry_run=dry_run) for ws in targets]


def stack_tables(cloudformation: Any, stack: str) -> tuple[str, str]:
    def physical(logical_id: str) -> str:
        found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
        return str(found["StackResourceDetail"]["PhysicalResourceId"])

    return physical("SubscribersTable"), physical("WorkspaceTable")


def main(argv: list[str] | None = None, *, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--workspace-id", action="append", default=None,
                        help="a workspace to backfill (repeatable); default: every workspace")
    parser.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")
    parser.add_argument("--stack", default=None, help="the deployed stack's name (sam deploy's stack_name)")
    parser.add_argument("--subscribers-table", default=None)
    parser.add_argument("--workspace-table", default=None)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.stack:
        if session is None:
            import boto3  # noqa: PLC0415

            session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
        subscribers, workspaces = stack_tables(session.client("cloudformation"), args.stack)
        os.environ["SUBSCRIBERS_TABLE"], os.environ["WORKSPACE_TABLE"] = subscribers, workspaces
        if session.region_name:
            os.environ.setdefault("AWS_REGION", session.region_name)
            os.environ.setdefault("AWS_DEFAULT_REGION", session.region_name)
    if args.subscribers_table:
        os.environ["SUBSCRIBERS_TABLE"] = args.subscribers_table
    if args.workspace_table:
        os.environ["WORKSPACE_TABLE"] = args.workspace_table
    from haishin.subscribers.models import SubscriberModel  # noqa: PLC0415

    wanted = os.environ.get("SUBSCRIBERS_TABLE")
    if wanted and SubscriberModel.Meta.table_name != wanted:
        print(f"{PROG}: the domain package was loaded for table {SubscriberModel.Meta.table_name}, not {wanted}; "
              "run the command in its own process", file=sys.stderr)
        return 2
    results = backfill(args.workspace_id, dry_run=args.dry_run)
    total = Counts("*")
    for counts in results:
        print(json.dumps(asdict(counts), ensure_ascii=False))
        for name in ("scanned", "with_phone", "rekeyed", "already_e164", "invalid", "conflicts"):
            setattr(total, name, getattr(total, name) + getattr(counts, name))
    summary = {k: v for k, v in asdict(total).items() if not k.endswith("_ids")}
    print(json.dumps({**summary, "workspaces": len(results), "dry_run": args.dry_run}, ensure_ascii=False))
    return 1 if total.conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
