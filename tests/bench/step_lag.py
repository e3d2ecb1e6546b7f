"""Step delivery lag on the local system: due time -> LINE accepted (prints figures; never asserts times).

The whole template runs (``LocalSystem(port=0, seed=False)``: DynamoDB Local, moto server, SQS pumps, the LINE
emulator, the rate(1 minute) tick fired by ``system.advance``). A channel and a 2-step scenario (``friend_added``:
step 1 three minutes after the follow, step 2 four minutes after step 1) are created through the admin API;
``--friends`` friends (default 200) follow through the emulator (signed webhook -> queue -> consumer -> enrollment)
in ``--waves`` waves one clock minute apart (each wave spread over its minute in 5 groups), so steps fall due
at staggered times; then the clock advances minute by minute, each tick one clock minute after the previous one (as
EventBridge's rate(1 minute)).

Per step: lag = LINE accepted (the emulator's record time, on the system's injectable clock) - due time (the ledger
row's ``scheduled_at``, written by the tick from the enrollment's due time). Because ``advance`` jumps the clock a
minute at a time, a step due at hh:mm:ss is picked up by the first tick at or after it (<= 60 s) plus the queue and
worker time on this host. Target p99 <= 60 s.

Run: .venv/bin/python tests/bench/step_lag.py [--friends 200] [--waves 10]
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
import warnings
from datetime import datetime, timedelta
from typing import Any

from step_fixture import arg, load, percentile

CH, WS = "1234500077", "w_lag"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d7aa"
TOKEN = "step-lag-token-00000000000000000000000001"


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main() -> None:
    friends, waves = arg("friends", 200), arg("waves", 10)
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics")
    from haishin_local.runtime import LocalSystem  # noqa: PLC0415

    t_start = time.perf_counter()
    with LocalSystem(port=0, seed=False, strict=False) as system:
        # after start (the template sets INFO); handlers load on first use: their INFO lines would bury the figures
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        print(f"local system up in {system.startup_seconds:.1f} s {load()}")
        emulator = system.line_emulator
        emulator.register_channel(CH, SECRET, TOKEN, webhook_url=f"{system.base_url}/line/webhook/{CH}")
        system.create_owner(WS, "owner@example.com")
        auth = {"authorization": f"Bearer {system.login(email='owner@example.com', workspace_id=WS)}"}
        status, body = http("POST", f"{system.base_url}/api/channels",
                            {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN}, auth)
        assert status == 201, body
        status, body = http("POST", f"{system.base_url}/api/scenarios", {
            "name": "lag", "triggers": [{"type": "friend_added"}], "steps": [
                {"id": "s1", "timing": {"type": "after", "amount": 3, "unit": "minutes"},
                 "line": [{"type": "text", "text": "{{ subscriber_id }}|s1"}]},
                {"id": "s2", "timing": {"type": "after", "amount": 4, "unit": "minutes"},
                 "line": [{"type": "text", "text": "{{ subscriber_id }}|s2"}]}]}, auth)
        assert status in (200, 201), body
        system.advance(timedelta(minutes=1))  # the tick's first run sets its watermark
        last_tick = system.clock.now()

        def next_minute() -> None:
            """Advance to one clock minute after the previous tick (the clock also runs in real time: advancing a
            full minute after slow work would space ticks more than EventBridge's rate(1 minute) does)."""
            nonlocal last_tick
            delta = max(timedelta(seconds=1), last_tick + timedelta(minutes=1) - system.clock.now())
            last_tick = system.clock.now() + delta
            system.advance(delta, timeout=300)

        t0 = time.perf_counter()
        per_wave = -(-friends // waves)
        users = [f"U{i:032x}" for i in range(friends)]
        advances = 0
        for w in range(waves):
            wave = users[w * per_wave:(w + 1) * per_wave]
            groups = 5  # spread the wave's follows (hence due times) over the minute, 12 clock seconds apart
            for g in range(groups):
                # group g follows at (previous tick + g * 12 s): the clock is moved (without firing the tick) only
                # forward, and never past the next tick, so ticks stay one clock minute apart
                target = last_tick + timedelta(seconds=g * 60 // groups)
                if system.clock.now() < target:
                    system.clock.advance(target - system.clock.now())
                for user in wave[g::groups]:
                    assert emulator.follow(CH, user) == 200
                system.drain(timeout=300)
            next_minute()
            advances += 1
        print(f"{friends} follows in {waves} waves (one clock minute apart) in {time.perf_counter() - t0:.1f} s "
              f"{load()}")
        t0 = time.perf_counter()
        expected = 2 * friends
        for _ in range(30):
            if len([d for d in emulator.deliveries(CH) if d["endpoint"] == "push"]) >= expected:
                break
            next_minute()
            advances += 1
        system.drain(timeout=300)
        print(f"clock advanced minute by minute ({advances} advances) in {time.perf_counter() - t0:.1f} s {load()}")

        # due times from the ledger (the tick wrote scheduled_at = the enrollment's due time)
        ddb = system.client("dynamodb")
        due: dict[tuple[str, str], datetime] = {}
        pages = ddb.get_paginator("scan").paginate(TableName="LedgerTable")
        for page in pages:
            for row in page["Items"]:
                if row.get("kind", {}).get("S") == "step" and "scheduled_at" in row:
                    key = (row["subscriber_id"]["S"], row["step_id"]["S"])
                    due[key] = datetime.fromisoformat(row["scheduled_at"]["S"])
        lags: dict[str, list[float]] = {"s1": [], "s2": []}
        for delivery in emulator.deliveries(CH):
            text = str((delivery.get("message") or {}).get("text", ""))
            if delivery["endpoint"] != "push" or "|" not in text:
                continue
            subscriber_id, step_id = text.split("|", 1)
            at = datetime.fromisoformat(delivery["at"])
            if (subscriber_id, step_id) in due:
                lags[step_id].append((at - due[(subscriber_id, step_id)]).total_seconds())
        everything = lags["s1"] + lags["s2"]
        missing = expected - len(everything)
        for name, values in (("step 1", lags["s1"]), ("step 2", lags["s2"]), ("all steps", everything)):
            if not values:
                print(f"{name}: no deliveries measured")
                continue
            print(f"lag due -> LINE accepted, {name}: n={len(values)} p50={percentile(values, 0.5):.1f} s "
                  f"p90={percentile(values, 0.9):.1f} s p99={percentile(values, 0.99):.1f} s "
                  f"max={max(values):.1f} s min={min(values):.1f} s (target p99 <= 60 s) {load()}")
        print(f"steps expected {expected}, measured {len(everything)}, not delivered {missing}; "
              f"wall {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
