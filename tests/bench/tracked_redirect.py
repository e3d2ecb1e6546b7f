"""Tracked redirect (haishin.track): the /c/<link>.<friend>.<source>.<mac> click handler (prints figures; never
asserts times). Load average printed with each figure.

1. in-process p99 of ``Pages.handle`` for a per-friend tracked URL (token check, counting, timeline, redirect) with
   in-memory repositories (excludes DynamoDB; the click's real DynamoDB calls are: 1 GetItem target, 1 GetItem
   friend, per counter 1 UpdateItem + 1 TransactWriteItems, 1 PutItem timeline): target p99 <= 10 ms;
   the first click of each friend (unique marker) and repeat clicks are both in the sample;
2. the pages function's handler import time in fresh processes (with .pyc) and of ``haishin.track.service``.

Run: .venv/bin/python tests/bench/tracked_redirect.py [--n 5000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from haishin import public_url
from haishin.links.service import LinkService
from haishin.pages.router import Pages
from haishin.secrets import InMemorySecretStore
from haishin.track.service import TrackService

REPO = Path(__file__).resolve().parents[2]
WS = "w_bench"
TARGET = "https://shop.example.jp/spring?utm_source=line"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}, {os.cpu_count()} cpus]"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return (f"n={len(ordered)} p50={p(0.50):.3f} ms p90={p(0.90):.3f} ms p99={p(0.99):.3f} ms "
            f"max={ordered[-1] * 1000:.3f} ms")


class MemoryTrackRepository:
    """haishin.track.repository.TrackRepository's interface in memory."""

    def __init__(self) -> None:
        self.targets: dict[str, Any] = {}
        self.stats: dict[tuple[str, str], list[int]] = {}
        self.friends_seen: set[tuple[str, str, str]] = set()

    def ensure_target(self, link_id: str, workspace_id: str, target_url: str, now: datetime) -> None:
        self.targets.setdefault(link_id, SimpleNamespace(workspace_id=workspace_id, target_url=target_url))

    def target(self, link_id: str) -> Any:
        return self.targets.get(link_id)

    def count(self, workspace_id: str, scope: str, sub: str, subscriber_id: str, now: datetime) -> bool:
        counter = self.stats.setdefault((scope, sub), [0, 0])
        counter[0] += 1
        key = (scope, sub, subscriber_id)
        if key in self.friends_seen:
            return False
        self.friends_seen.add(key)
        counter[1] += 1
        return True

    def friends(self, workspace_id: str, scope: str, sub: str) -> Iterator[str]:
        return iter(())

    def note_last_click(self, workspace_id: str, subscriber_id: str, source: str, at: datetime) -> None:
        self.last = (subscriber_id, source, at)  # conversions' last click: one put per click


class Subscribers:
    def get(self, workspace_id: str, subscriber_id: str) -> Any:
        return SimpleNamespace(subscriber_id=subscriber_id, inflow_route="instagram")


class Timeline:
    def append(self, *args: Any, **kwargs: Any) -> None: ...


def in_process(n: int) -> None:
    public_url.remember("https://bench.example.jp")
    track = TrackService(secrets=InMemorySecretStore(), subscribers=Subscribers(), timeline=Timeline(),
                         repository=MemoryTrackRepository())  # type: ignore[arg-type]
    pages = Pages(forms=None, payments=None, links=LinkService(None), optout=None,  # type: ignore[arg-type]
                  track=track)
    friends = [f"s_{i:026d}" for i in range(max(1, n // 2))]
    paths = []
    for i in range(n):
        message = [{"type": "text", "text": f"セール {TARGET}"}]
        url = track.tracker(WS, friends[i % len(friends)], "b", "b_01JBENCH000000000000000000", "0").rewrite(
            message)[0]["text"].split()[-1]
        paths.append(url.removeprefix("https://bench.example.jp"))
    for path in paths[:50]:  # warm-up (key cache, first calls)
        pages.handle({"rawPath": path, "requestContext": {"http": {"method": "GET"}}})
    samples = []
    for path in paths:
        event = {"rawPath": path, "requestContext": {"http": {"method": "GET"}}}
        start = time.perf_counter()
        response = pages.handle(event)
        samples.append(time.perf_counter() - start)
        assert response["statusCode"] == 302
    print(f"1. click handler in-process (in-memory repositories): {percentiles(samples)} {load()}")
    print(f"   URL length: {len(paths[0]) + len('https://bench.example.jp')} characters "
          f"(a LINE URI action takes 1000, a text message 5000)")


def import_time(module: str, runs: int = 5, pre: str = "") -> list[float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "layers/haishin"), str(REPO / "functions/pages"),
                                                         str(REPO), os.environ.get("PYTHONPATH", "")]),
           "POWERTOOLS_SERVICE_NAME": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    code = f"{pre}import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=False)  # writes .pyc
    found = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"   import {module} failed: {out.stderr.strip().splitlines()[-1:]}")
            return []
        found.append(float(out.stdout.strip()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    in_process(args.n)
    for module, label, pre in (
            ("app", "pages handler (functions/pages/app.py)", ""),
            ("haishin.track.service", "haishin.track.service alone (cold)", ""),
            ("haishin.track.service", "haishin.track.service after haishin.pages.router (what the pages Lambda adds)",
             "import haishin.pages.router; ")):
        times = import_time(module, pre=pre)
        if times:
            print(f"2. import {label}: median {statistics.median(times) * 1000:.1f} ms "
                  f"(min {min(times) * 1000:.1f}, runs {len(times)}, with .pyc) {load()}")


if __name__ == "__main__":
    main()
