"""Rich menu bulk re-link benchmark (prints, never asserts).

    python -m tests.bench.rich_menu_relink            # N = 100,000 (BENCH_N to change)

N friends follow one channel on DynamoDB Local (in memory, template.yaml's tables); ``BENCH_VIP`` percent (60) carry
a tag. Three rule changes run through the real ``RelinkJobs`` (the PlannerQueue consumer's code: shard scan,
grouping, 500-ID chunks, stored links, progress) with a LINE stub that counts calls:
1. "tag -> menu A" (default D): the tagged friends get menu A, the others keep the default (no call);
2. "tag -> menu B": the same friends move to B;
3. the same rules saved again: nobody changes, no call.
For each: wall time, LINE calls vs ceil(N_changed / 500), DynamoDB calls and units per friend, and the time LINE's
rate limits would impose in AWS (bulk link / unlink are "other endpoints", 2,000 requests/s per channel; one job
sends sequentially, so a LINE round trip of ~LINE_LATENCY_S per call is the real floor).
"""

from __future__ import annotations

import json
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from tests.bench.step_fixture import dynamodb_local, install_meter, load

N = int(os.environ.get("BENCH_N", "100000"))
VIP_PERCENT = int(os.environ.get("BENCH_VIP", "60"))
WS = "w_bench_richmenu"
CH = "1700000001"
LINE_BULK_PER_S = 2000  # LINE's "other endpoints" limit per channel (bulk link / unlink are not listed apart)
LINE_LATENCY_S = 0.15  # assumed round trip of one bulk call from Lambda (not measured here)
PLANNER_GB = 1.0  # template.yaml MemorySize of BroadcastPlannerFunction (runs the job)
PRICES = {"lambda_gb_s_arm": 0.0000133334, "wcu": 0.625 / 1e6, "rcu": 0.125 / 1e6}


class CountingLine:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def link_rich_menu_to_users(self, rich_menu_id: str, user_ids: list[str]) -> None:
        assert 1 <= len(user_ids) <= 500
        self.calls.append(("link", len(user_ids)))

    def unlink_rich_menus(self, user_ids: list[str]) -> None:
        assert 1 <= len(user_ids) <= 500
        self.calls.append(("unlink", len(user_ids)))

    def for_channel(self, workspace_id: str, channel_id: str) -> CountingLine:
        return self


class Menus:
    line_ids: ClassVar[dict[str, str]] = {"rmn_A": "richmenu-" + "a" * 32, "rmn_B": "richmenu-" + "b" * 32, "rmn_D": "richmenu-" + "d" * 32}

    def menu_channel(self, workspace_id: str, menu_id: str) -> str | None:
        return CH if menu_id in self.line_ids else None

    def line_menu_id(self, workspace_id: str, menu_id: str) -> str | None:
        return self.line_ids.get(menu_id)

    def set_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        pass


def _seed(vip: str) -> int:
    """N following friends, written with BatchWriteItem (25 per call) from 8 threads; returns the tagged count."""
    from haishin.config import table_name  # noqa: PLC0415 - the env points at DynamoDB Local first
    from haishin.storage.shard_scan import dynamodb_client  # noqa: PLC0415
    from haishin.subscribers.models import subscriber_pk  # noqa: PLC0415

    table = table_name("SUBSCRIBERS_TABLE")
    client = dynamodb_client()
    tagged = [n for n in range(N) if n * 100 // N < VIP_PERCENT]

    def item(n: int) -> dict[str, Any]:
        sid = f"s_{n:08d}"
        row: dict[str, Any] = {
            "pk": {"S": subscriber_pk(WS, sid)}, "sk": {"S": sid}, "workspace_id": {"S": WS},
            "subscriber_id": {"S": sid}, "source": {"S": "line"}, "version": {"N": "1"},
            "line": {"S": json.dumps({CH: {"user_id": f"U{n:032x}", "status": "following"}})},
            "created_at": {"S": "2026-01-05T00:00:00+00:00"}, "updated_at": {"S": "2026-01-05T00:00:00+00:00"}}
        if n * 100 // N < VIP_PERCENT:
            row["tags"] = {"SS": [vip]}
        return row

    def write(start: int) -> None:
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item(n)}} for n in range(start, min(N, start + 25))]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(0, N, 25)))
    return len(tagged)


def main() -> None:
    print(f"rich_menu_relink: N={N:,} friends, {VIP_PERCENT}% tagged {load()}")
    with dynamodb_local():
        from haishin.richmenus.relink import RelinkJobs, RuleBooks  # noqa: PLC0415
        from haishin.richmenus.rules_repository import RuleRepository  # noqa: PLC0415
        from haishin.routes.repository import RouteRepository  # noqa: PLC0415
        from haishin.scenarios.enrollments import EnrollmentRepository  # noqa: PLC0415
        from haishin.segments.engine import SegmentEngine  # noqa: PLC0415
        from haishin.segments.saved import SavedSegmentRepository  # noqa: PLC0415
        from haishin.tags.repository import TagIn, TagRepository  # noqa: PLC0415

        vip = TagRepository().create(WS, TagIn(name="VIP")).tag_id
        started = time.monotonic()
        n_vip = _seed(vip)
        print(f"seeded {N:,} friends ({n_vip:,} tagged) in {time.monotonic() - started:.1f} s {load()}")
        meter = install_meter()
        line = CountingLine()
        repository = RuleRepository()
        books = RuleBooks(Menus(), engine=SegmentEngine(), segments=SavedSegmentRepository(), routes=RouteRepository())
        jobs = RelinkJobs(repository, books, EnrollmentRepository(), line)
        phases = [("tag -> menu A (from the default)", "rmn_A", n_vip), ("tag -> menu B (a rule change)", "rmn_B", n_vip),
                  ("the same rules again", "rmn_B", 0)]
        for number, (label, menu, expected) in enumerate(phases, start=1):
            job_id = f"rmj_bench{number}"
            repository.save_rule_set(WS, CH, "rmn_D", [
                {"id": "r1", "menu_id": menu, "condition": {"type": "tag", "tag_id": vip}}], job_id)
            before = len(line.calls)
            meter.reset()
            cpu = time.process_time()
            wall = time.monotonic()
            outcome = jobs.run(WS, job_id)
            wall = time.monotonic() - wall
            cpu = time.process_time() - cpu
            calls = line.calls[before:]
            changed = sum(size for _, size in calls)
            job = repository.job(WS, job_id)
            floor = math.ceil(changed / 500) if changed else 0
            print(f"\n{number}. {label}: {outcome['outcome']} in {wall:.1f} s wall, {cpu:.1f} s CPU {load()}")
            print(f"   friends scanned {int(job.total):,}, changed {changed:,} (expected {expected:,}); LINE calls "
                  f"{len(calls)} (ceil(N_changed/500) = {floor}); job progress done {int(job.done):,}/"
                  f"{int(job.total):,}, linked {int(job.linked):,}, unlinked {int(job.unlinked):,}")
            rate_floor = len(calls) / LINE_BULK_PER_S
            print(f"   LINE rate limit floor in AWS: {rate_floor:.2f} s at {LINE_BULK_PER_S:,} req/s; sequential "
                  f"at {LINE_LATENCY_S * 1000:.0f} ms per call: {len(calls) * LINE_LATENCY_S:.1f} s")
            per = max(int(job.total), 1)
            ops = ", ".join(f"{op.split(':')[1]} {count}" for op, count in sorted(meter.calls.items())
                            if op.startswith("dynamodb"))
            print(f"   DynamoDB: {meter.read_units / per:.3f} RCU + {meter.write_units / per:.3f} WCU per friend "
                  f"({ops})")
            lambda_s = wall + len(calls) * LINE_LATENCY_S
            cost = (lambda_s * PLANNER_GB * PRICES["lambda_gb_s_arm"] + meter.read_units * PRICES["rcu"]
                    + meter.write_units * PRICES["wcu"])
            print(f"   AWS estimate for this job: ~US${cost:.4f} (Lambda {lambda_s:.0f} s at {PLANNER_GB:.0f} GB "
                  f"arm64 incl. LINE round trips, DynamoDB on-demand units as measured)")
        print("\nLINE's create/delete limit (100 per hour) concerns publishing menus (RM), never re-linking: a rule "
              "change creates and deletes no menu.")


if __name__ == "__main__":
    main()
