"""Step delivery lag on the local system: due time -> LINE accepted (prints figures; never asserts times).

The whole template runs (``LocalSystem(port=0, seed=False)``: DynamoDB Local, moto server, SQS pumps, the LINE
emulator, the rate(1 minute) tick fired by ``system.advance``). A channel and a 2-step scenario (``friend_added``:
step 1 three minutes after the follow, step 2 four minutes after step 1) are created through the admin API;
``--friends`` friends (default 200) follow through the emulator (signed webhook -> queue -> consumer -> enrollment)
in ``--waves`` waves one clock minute apart (each wave spread over its minute in 5 groups), so steps fall due
at staggered times; then the clock advances minute by minute, each tick one clock minute after the previous one (as
EventBridge's rate(1 minute)).

The tick runs as deployed: at the start of every clock minute (``cron(* * * * ? *)``); step due times are whole
minutes (a relative delay is rounded to the nearest minute, ``docs/production/lag.md``), so a step leaves with the
tick of its own minute.

Printed per step (p50/p95/p99/max, seconds):
(a) lag against the ledger's ``scheduled_at`` (the whole minute the step was due): LINE accepted (the emulator's
    record time, on the system's injectable clock) - scheduled; split into tick (ledger ``enqueued_at`` - scheduled)
    and queue + worker (accepted - enqueued). Target p99 <= 50 s.
(b) signed lag against the exact nominal time (follow + 3 min; follow + 7 min for step 2; unrounded), negative when
    early: p99 of lateness and the largest earliness (rounding: at most 30 s either way, plus the send time); and
    step 2 against step 1's actual send + 4 min.
Per tick: its duration, minutes (buckets) read, items and the watermark lag (current minute - watermark; 1 when
the tick is caught up, as the current minute stays open).

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

STEP_DELAYS = {"s1": timedelta(minutes=3), "s2": timedelta(minutes=7)}  # from the follow, exact

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
        ticks = record_ticks()
        worker_errors = record_worker_errors()
        # the tick's first run sets its watermark; from here ticks are at the start of each clock minute (the cron)
        first_tick = floor_minute(system.clock.now()) + timedelta(minutes=1)
        system.advance(first_tick - system.clock.now())
        last_tick = first_tick

        def next_minute() -> None:
            """Advance to the next clock minute after the previous tick (the clock also runs in real time: after slow
            work the cron already fired at the minute; then the next whole minute)."""
            nonlocal last_tick
            target = last_tick + timedelta(minutes=1)
            if target <= system.clock.now():
                target = floor_minute(system.clock.now()) + timedelta(minutes=1)
            last_tick = target
            system.advance(target - system.clock.now(), timeout=300)

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
        report(system, emulator.deliveries(CH), ticks, expected, t_start)
        dlq = system.client("sqs")
        url = next(u for u in dlq.list_queues()["QueueUrls"] if "DeliveryDeadLetterQueue" in u)
        depth = dlq.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        print(f"worker attempts that raised (other than retry-later/permanent): {len(worker_errors)}; "
              f"DeliveryDeadLetterQueue holds {depth['Attributes']['ApproximateNumberOfMessages']}")
        for line in worker_errors[:5]:
            print(f"  {line}")


def record_ticks() -> list[dict[str, Any]]:
    """Wrap the step tick (the local system runs the handlers in this process) to time every run."""
    from haishin import clock  # noqa: PLC0415
    from haishin.scenarios.tick import StepTick  # noqa: PLC0415

    ticks: list[dict[str, Any]] = []
    original = StepTick.run

    def timed(self: Any, *, deadline: float | None = None) -> Any:
        at, started = clock.now(), time.perf_counter()
        result = original(self, deadline=deadline)
        ticks.append({"at": at, "seconds": time.perf_counter() - started, "report": result})
        return result

    StepTick.run = timed  # type: ignore[method-assign]
    return ticks


def record_worker_errors() -> list[str]:
    """Wrap the delivery worker to keep the unexpected exceptions (Powertools' batch processor logs them at DEBUG)."""
    import traceback  # noqa: PLC0415

    from haishin.delivery.worker import DeliveryWorker, HandBack, PermanentFailure, RetryLater  # noqa: PLC0415

    errors: list[str] = []
    original = DeliveryWorker.process

    def process(self: Any, message: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, message, *args, **kwargs)
        except (HandBack, PermanentFailure, RetryLater):
            raise
        except Exception as exc:
            errors.append(f"{message.delivery_id}: {type(exc).__name__}: {exc} at "
                          f"{traceback.format_tb(exc.__traceback__)[-1].strip()}")
            raise

    DeliveryWorker.process = process  # type: ignore[method-assign]
    return errors


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def stats(values: list[float]) -> str:
    return (f"n={len(values)} p50={percentile(values, 0.5):.1f} p95={percentile(values, 0.95):.1f} "
            f"p99={percentile(values, 0.99):.1f} max={max(values):.1f}")


def scan(system: Any, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for page in system.client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        rows.extend(page["Items"])
    return rows


def report(system: Any, deliveries: list[dict[str, Any]], ticks: list[dict[str, Any]], expected: int,
           t_start: float) -> None:
    scheduled: dict[tuple[str, str], datetime] = {}
    enqueued: dict[tuple[str, str], datetime] = {}
    for row in scan(system, "LedgerTable"):
        if row.get("kind", {}).get("S") == "step" and "scheduled_at" in row:
            key = (row["subscriber_id"]["S"], row["step_id"]["S"])
            scheduled[key] = datetime.fromisoformat(row["scheduled_at"]["S"])
            if "enqueued_at" in row:
                enqueued[key] = datetime.fromisoformat(row["enqueued_at"]["S"])
    followed = {row["subscriber_id"]["S"]: datetime.fromisoformat(row["enrolled_at"]["S"])
                for row in scan(system, "EnrollmentsTable") if "enrolled_at" in row and "subscriber_id" in row}
    accepted: dict[tuple[str, str], datetime] = {}
    for delivery in deliveries:
        text = str((delivery.get("message") or {}).get("text", ""))
        if delivery["endpoint"] == "push" and "|" in text:
            subscriber_id, step_id = text.split("|", 1)
            accepted[(subscriber_id, step_id)] = datetime.fromisoformat(delivery["at"])

    def seconds(pairs: list[tuple[datetime, datetime]]) -> list[float]:
        return [(later - earlier).total_seconds() for earlier, later in pairs]

    print("(a) lag against the scheduled whole minute (ledger scheduled_at), seconds; target p99 <= 50 s")
    for name, steps in (("step 1", ["s1"]), ("step 2", ["s2"]), ("all steps", ["s1", "s2"])):
        keys = [k for k in accepted if k[1] in steps and k in scheduled]
        if not keys:
            print(f"  {name}: no deliveries measured")
            continue
        print(f"  {name}: scheduled -> LINE accepted {stats(seconds([(scheduled[k], accepted[k]) for k in keys]))}")
        timed = [k for k in keys if k in enqueued]
        print(f"  {name}:   of which scheduled -> enqueued by the tick "
              f"{stats(seconds([(scheduled[k], enqueued[k]) for k in timed]))}; "
              f"enqueued -> accepted (queue + worker) {stats(seconds([(enqueued[k], accepted[k]) for k in timed]))}")
    print("(b) signed lag against the exact nominal time (follow + delay, unrounded; negative = early), seconds")
    for name, steps in (("step 1", ["s1"]), ("step 2", ["s2"]), ("all steps", ["s1", "s2"])):
        keys = [k for k in accepted if k[1] in steps and k[0] in followed]
        if not keys:
            continue
        signed = [(accepted[k] - (followed[k[0]] + STEP_DELAYS[k[1]])).total_seconds() for k in keys]
        late = [v for v in signed if v > 0]
        print(f"  {name}: {stats(signed)} min={min(signed):.1f}; lateness p99={percentile(late, 0.99):.1f} "
              f"(n={len(late)}); max earliness={max(0.0, -min(signed)):.1f} (n early={len(signed) - len(late)})")
    chained = [(accepted[(s, 's2')] - accepted[(s, 's1')] - timedelta(minutes=4)).total_seconds()
               for s, step in accepted if step == "s1" and (s, "s2") in accepted]
    if chained:
        print(f"  step 2 against step 1's actual send + 4 min: {stats(chained)} min={min(chained):.1f}")
    busy = [t for t in ticks if t["report"].items_read]
    print(f"ticks: {len(ticks)} runs, {len(busy)} with due items {load()}")
    for t in ticks:
        r = t["report"]
        current = floor_minute(t["at"])
        watermark = datetime.strptime(r.watermark, "%Y-%m-%dT%H:%M").replace(tzinfo=current.tzinfo)
        lag_minutes = int((current - watermark).total_seconds() // 60)
        if r.items_read or lag_minutes != 1:
            print(f"  tick at {t['at'].strftime('%H:%M:%S')}: {t['seconds']:.2f} s, {r.minutes} minute(s) read "
                  f"({t['seconds'] / max(1, r.minutes):.2f} s per minute), items {r.items_read}, enqueued "
                  f"{r.enqueued}, raced {r.raced}, errors {r.errors}, watermark lag {lag_minutes} min")
    lags = [int((floor_minute(t["at"]) - datetime.strptime(t["report"].watermark, "%Y-%m-%dT%H:%M").replace(
        tzinfo=t["at"].tzinfo)).total_seconds() // 60) for t in ticks]
    if lags:
        print(f"  watermark lag (current minute - watermark) over all ticks: min {min(lags)} max {max(lags)} min; "
              f"ticks not caught up {sum(not t['report'].caught_up for t in ticks)}")
    measured = [k for k in accepted if k in scheduled]
    print(f"steps expected {expected}, measured {len(measured)}, not delivered {expected - len(measured)}; "
          f"wall {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
