"""First message after a follow on the local system: follow -> welcome recorded by LINE (prints figures; never asserts).

Issue 17 ("Benchmarks"). The whole template runs (``LocalSystem(port=0, seed=False)``: DynamoDB Local, moto server,
SQS pumps, the LINE emulator). A channel, its greeting and a scenario started by ``friend_added`` whose first step is
"immediately" (a LINE text) are created through the admin API; ``--friends`` friends (default 200) follow through the
emulator (signed webhook -> queue -> consumer -> enrollment -> instant send), spread evenly over ``--seconds``
(default 60) seconds of real time, from a thread, while the main thread polls the emulator's records.

The emulator stamps its records with the system's injectable clock; this bench never advances that clock, but it
measures with real wall time anyway: follow = ``time.monotonic()`` just before ``emulator.follow`` sends the webhook,
welcome = ``time.monotonic()`` when the poller (every 20 ms) first sees the welcome text in ``emulator.deliveries``
(so figures include up to ~20 ms of polling granularity). Also printed: how many welcomes LINE accepted on the reply
endpoint vs push, and the channel's monthly quota consumption before/after (replies are free).

Goals: p99 <= 2 s; quota consumption 0.

Run: .venv/bin/python tests/bench/first_message.py [--friends 200] [--seconds 60]
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from pathlib import Path

from step_fixture import arg, load, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: tests.support, as import_times
from tests.support.http import json_request
from tests.support.local import connect_workspace

CH, WS = "1234500078", "w_first"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d7ab"
TOKEN = "first-message-token-000000000000000000001"
WELCOME = "ようこそ"
GREETING = "友だち追加ありがとうございます"


def main() -> None:
    friends, seconds = arg("friends", 200), arg("seconds", 60)
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics")
    from haishin_local.runtime import LocalSystem  # noqa: PLC0415

    t_start = time.perf_counter()
    with LocalSystem(port=0, seed=False, strict=False) as system:
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        print(f"local system up in {system.startup_seconds:.1f} s {load()}")
        emulator = system.line_emulator
        auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
        status, body = json_request("PUT", f"{system.base_url}/api/channels/{CH}/greeting",
                            {"messages": [{"type": "text", "text": GREETING}]}, auth)
        assert status == 200, body
        status, body = json_request("POST", f"{system.base_url}/api/scenarios", {
            "name": "welcome", "triggers": [{"type": "friend_added"}], "steps": [
                {"id": "s1", "timing": {"type": "immediately"},
                 "line": [{"type": "text", "text": f"{WELCOME}|{{{{ subscriber_id }}}}"}]}]}, auth)
        assert status in (200, 201), body
        quota_before = emulator.quota_consumption(CH)

        users = [f"U{i + 1:032x}" for i in range(friends)]
        followed: dict[str, float] = {}
        statuses: list[int] = []
        gap = seconds / max(friends, 1)

        def follow_all() -> None:
            t0 = time.monotonic()
            for i, user in enumerate(users):
                wait = t0 + i * gap - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                followed[user] = time.monotonic()
                statuses.append(emulator.follow(CH, user))

        arrived: dict[str, float] = {}
        endpoint_of: dict[str, str] = {}
        seen = 0
        follower = threading.Thread(target=follow_all, name="follows", daemon=True)
        t_follows = time.perf_counter()
        follower.start()
        deadline: float | None = None
        while True:
            records = emulator.deliveries(CH)
            now = time.monotonic()
            for record in records[seen:]:
                text = str((record.get("message") or {}).get("text", ""))
                user = record.get("userId")
                if text.startswith(WELCOME) and user and user not in arrived:
                    arrived[user] = now
                    endpoint_of[user] = str(record.get("endpoint"))
            seen = len(records)
            if len(arrived) >= friends and not follower.is_alive():
                break
            if not follower.is_alive():
                deadline = deadline or now + 120
                if now > deadline:
                    break
            time.sleep(0.02)
        follow_wall = time.perf_counter() - t_follows
        system.drain(timeout=120, raise_on_timeout=False)
        quota_after = emulator.quota_consumption(CH)
        greetings = [d for d in emulator.deliveries(CH)
                     if str((d.get("message") or {}).get("text", "")).startswith(GREETING)]

        lags = [arrived[u] - followed[u] for u in users if u in arrived and u in followed]
        non_200 = sum(1 for s in statuses if s != 200)
        print(f"{friends} follows spread over {seconds} s of real time (webhook statuses not 200: {non_200}); "
              f"follows + waiting took {follow_wall:.1f} s {load()}")
        if lags:
            print(f"follow -> welcome recorded by LINE: n={len(lags)} p50={percentile(lags, 0.5):.2f} s "
                  f"p90={percentile(lags, 0.9):.2f} s p99={percentile(lags, 0.99):.2f} s max={max(lags):.2f} s "
                  f"min={min(lags):.2f} s {load()}")
        else:
            print("follow -> welcome: no welcome measured")
        print("goal p99 <= 2 s")
        by_endpoint: dict[str, int] = {}
        for endpoint in endpoint_of.values():
            by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + 1
        print(f"welcomes by endpoint: reply={by_endpoint.get('reply', 0)} push={by_endpoint.get('push', 0)} "
              f"other={sum(n for e, n in by_endpoint.items() if e not in ('reply', 'push'))}; "
              f"not arrived {friends - len(arrived)}; greetings recorded {len(greetings)} "
              f"(reply={sum(1 for d in greetings if d.get('endpoint') == 'reply')})")
        print(f"monthly quota consumption: before={quota_before} after={quota_after} "
              f"(consumed {quota_after - quota_before})")
        print("goal quota 0")
        print(f"wall {time.perf_counter() - t_start:.0f} s {load()}")


if __name__ == "__main__":
    main()
