"""Seminar seat race on DynamoDB Local (prints, never asserts; the correctness test is
tests/integration/test_seminar_race.py).

    python -m tests.bench.seminar_race          # BENCH_FRIENDS=200 BENCH_SEATS=10 BENCH_THREADS=32 BENCH_ROUNDS=3

Each round: a fresh seminar with one session of BENCH_SEATS seats; BENCH_FRIENDS friends register at once from
BENCH_THREADS threads through the real ``SeminarService.register`` (conditional transactions, TransactionConflict
retried with jitter). Printed per round: wall time, registrations/s, latency p50/p95/max, seats taken and waitlist
(outcomes and the session's counters), TransactionConflict retries, DynamoDB calls and units per registration.
Then BENCH_CANCELS concurrent cancellations (5) and the waitlist moving up: wall time and the counters after.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from tests.bench.step_fixture import dynamodb_local, install_meter, load, percentile

FRIENDS = int(os.environ.get("BENCH_FRIENDS", "200"))
SEATS = int(os.environ.get("BENCH_SEATS", "10"))
THREADS = int(os.environ.get("BENCH_THREADS", "32"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CANCELS = int(os.environ.get("BENCH_CANCELS", "5"))
WS = "w_bench_seminar"


class _Quiet:
    """The collaborators the race does not measure: LINE pushes, webhooks and scenarios do nothing."""

    def queue_text(self, *_: Any, **__: Any) -> bool:
        return True

    def publish(self, *_: Any, **__: Any) -> int:
        return 0

    def enqueue(self, *_: Any, **__: Any) -> None:
        return None

    def on_trigger(self, *_: Any, **__: Any) -> None:
        return None

    def start(self, *_: Any, **__: Any) -> None:
        return None

    def stop(self, *_: Any, **__: Any) -> None:
        return None


class _ConflictCounter:
    """Stands in for ``random`` in the seminar repository: ``uniform`` is called once per TransactionConflict
    retry (the jitter), so counting it counts the retries."""

    def __init__(self) -> None:
        self.retries = 0

    def uniform(self, a: float, b: float) -> float:
        self.retries += 1
        return random.uniform(a, b)


def main() -> None:
    with dynamodb_local():
        from haishin.secrets import InMemorySecretStore  # noqa: PLC0415 - after the env points at DynamoDB Local
        from haishin.seminars import repository  # noqa: PLC0415
        from haishin.seminars.inputs import SeminarIn, SessionIn  # noqa: PLC0415
        from haishin.subscribers.models import line_account  # noqa: PLC0415
        from haishin.wiring import Services  # noqa: PLC0415

        quiet = _Quiet()
        root = Services(secrets=InMemorySecretStore(), scenario_service=quiet, messenger=quiet, webhooks=quiet)
        seminars, subscribers = root.seminars, root.subscribers
        conflicts = _ConflictCounter()
        repository.random = conflicts  # type: ignore[assignment]
        meter = install_meter()
        friends = []
        for i in range(FRIENDS):
            friend = subscribers.new(WS, source="line")
            friend.line = {"3000000001": line_account(f"U{i:032x}", status="following")}
            friends.append(subscribers.create(friend, [("line:3000000001", f"U{i:032x}")]).subscriber_id)
        print(f"{FRIENDS} friends for {SEATS} seats, {THREADS} threads, {ROUNDS} rounds {load()}")
        for round_no in range(1, ROUNDS + 1):
            event = seminars.create(WS, SeminarIn(title=f"競争セミナー {round_no}"))
            session = seminars.add_session(WS, event.event_id, SessionIn(
                starts_at=datetime(2031, 1, 10, 19), ends_at=datetime(2031, 1, 10, 21), venue="会場",
                capacity=SEATS))
            latencies: list[float] = []

            def register(subscriber_id: str, event_id: str = event.event_id,
                         session_id: str = session.session_id, into: list[float] = latencies) -> str:
                started = time.perf_counter()
                status = seminars.register(WS, event_id, session_id, subscriber_id, source="line").status
                into.append(time.perf_counter() - started)
                return str(status)

            order = friends[:]
            random.shuffle(order)
            meter.reset()
            conflicts.retries = 0
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                outcomes = list(pool.map(register, order))
            wall = time.perf_counter() - started
            (stored,) = seminars.sessions(WS, event.event_id)
            calls = meter.count("dynamodb")
            print(
                f"round {round_no}: {wall:.2f} s, {FRIENDS / wall:.0f} registrations/s; latency p50 "
                f"{percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms {load()}"
            )
            print(
                f"  seats {outcomes.count('confirmed')} confirmed / {outcomes.count('waitlisted')} waitlisted "
                f"(counters taken {int(stored.taken)} / waiting {int(stored.waiting)}, capacity {SEATS}); "
                f"TransactionConflict retries {conflicts.retries}; DynamoDB {calls / FRIENDS:.1f} calls and "
                f"{meter.write_units / FRIENDS:.1f} WCU + {meter.read_units / FRIENDS:.1f} RCU per registration"
            )
            regs = seminars.repo.registrations(WS, event.event_id)
            confirmed = [r for r in regs if r.status == "confirmed"][:CANCELS]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=max(1, CANCELS)) as pool:
                list(pool.map(lambda r, e=event.event_id: seminars.cancel(WS, e, r.registration_id), confirmed))
            wall = time.perf_counter() - started
            (stored,) = seminars.sessions(WS, event.event_id)
            print(
                f"  {len(confirmed)} concurrent cancels + move-up: {wall:.2f} s; after: taken {int(stored.taken)} / "
                f"waiting {int(stored.waiting)}"
            )


if __name__ == "__main__":
    main()
