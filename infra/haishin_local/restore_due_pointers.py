"""Give enrollments written before the due GSI was replaced their due pointers (ops tooling, run once by the operator
right after upgrading; safe to repeat):

    python -m haishin_local.restore_due_pointers --stack haishin [--region ...]

The step tick reads due pointers (docs/production/due.md); an enrollment that was waiting when the stack was updated
names its bucket but has no pointer item, so the tick would not see it. ``EnrollmentRepository.restore_due_pointers``
writes the pointer (a bucket from the current minute on) or moves a passed bucket to the next minute, keeping the due
time. Prints one JSON line of counts. ``--enrollments-table`` replaces the stack lookup; locally
(``AWS_ENDPOINT_URL``) the tables' logical IDs are their names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

PROG = "python -m haishin_local.restore_due_pointers"


def main(argv: list[str] | None = None, *, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--stack", default=None, help="the deployed stack's name (sam deploy's stack_name)")
    parser.add_argument("--enrollments-table", default=None)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.stack:
        if session is None:
            import boto3  # noqa: PLC0415

            session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
        found = session.client("cloudformation").describe_stack_resource(StackName=args.stack,
                                                                          LogicalResourceId="EnrollmentsTable")
        os.environ["ENROLLMENTS_TABLE"] = str(found["StackResourceDetail"]["PhysicalResourceId"])
        if session.region_name:
            os.environ.setdefault("AWS_REGION", session.region_name)
            os.environ.setdefault("AWS_DEFAULT_REGION", session.region_name)
    if args.enrollments_table:
        os.environ["ENROLLMENTS_TABLE"] = args.enrollments_table
    from haishin.scenarios.enrollments import EnrollmentModel, EnrollmentRepository  # noqa: PLC0415

    wanted = os.environ.get("ENROLLMENTS_TABLE")
    if wanted and EnrollmentModel.Meta.table_name != wanted:
        print(f"{PROG}: the domain package was loaded for table {EnrollmentModel.Meta.table_name}, not {wanted}; "
              "run the command in its own process", file=sys.stderr)
        return 2
    print(json.dumps(EnrollmentRepository().restore_due_pointers()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
