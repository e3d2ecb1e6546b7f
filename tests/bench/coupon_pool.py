"""Large coupon pools on DynamoDB Local: how long importing and generating codes takes, and how fast codes are handed
out while friends race for them.

1. import: ``CouponService.import_codes`` of 5,000 pasted codes (one request's maximum), and 50,000 codes through
   ``CouponRepository.add_codes`` (ten requests' worth in one call): BatchGetItem pre-check, then 49-code conditional
   transactions on 4 writer threads (the wiring's setting). Codes/s, DynamoDB calls and write units per code.
2. generate: ``generate_codes`` of 5,000 (one request), and 50,000 as ten requests of 5,000.
3. assignment under a race: ``--friends`` (2,000) friends asking ``code_for`` on ``--threads`` (16) threads against
   a pool of 5,000: codes/s, p50/p99 per friend, lost races retried (transactions cancelled), and the check that no
   code went to two friends.
Write cost (not measured: DynamoDB Local reports no capacity for transactions): a code is 2 items of < 1 KB in a
transaction, 4 WCU (transactional writes count double), plus 2 WCU per 49-code batch for the pool counter; at
on-demand US$0.625 per million write units, 50,000 codes cost about US$0.13.
4. Stripe promotion codes (``--stripe-codes N``, only this mode when given): a pool of N generated codes, then the
   per-code job (``haishin.coupons.stripe_codes.StripeCodeJobs``, 8 threads as wired) against the Stripe emulator over
   HTTP (the real ``stripe`` SDK through ``StripeGateway``): seconds, codes/s, Stripe calls, DynamoDB calls, the load;
   then a second run (nothing left to do: the reconcile scan alone).
Flags: ``--small N`` (5000), ``--large N`` (50000), ``--friends N``, ``--threads N``, ``--race-only 1`` (skip 1-2),
``--stripe-codes N``, ``--stripe-workers N`` (8). Prints figures; never asserts.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from step_fixture import arg, dynamodb_local, install_meter, load, percentile


def main() -> None:
    small, large = arg("small", 5000), arg("large", 50000)
    friends, threads = arg("friends", 2000), arg("threads", 16)
    meter = install_meter()
    with dynamodb_local():
        from haishin.coupons.models import CouponIn  # noqa: PLC0415
        from haishin.coupons.repository import CouponRepository  # noqa: PLC0415
        from haishin.coupons.service import CouponService  # noqa: PLC0415

        class Events:
            def publish(self, *args: object, **kwargs: object) -> int:
                return 1

        ws = "ws_bench_coupons"
        svc = CouponService(CouponRepository(write_workers=4), events=Events(), zone_of=lambda _: "Asia/Tokyo")

        def pool(name: str) -> str:
            return svc.create(ws, CouponIn(name=name, discount_type="percent", discount_value=10, mode="pool")).coupon_id

        def report(label: str, n: int, seconds: float) -> None:
            calls = sum(meter.calls.values())
            print(f"{label:<44} {n:>7,} codes  {seconds:7.2f} s  {n / seconds:8,.0f} codes/s  "
                  f"{calls:>6,} calls  {load()}", flush=True)

        if arg("stripe-codes", 0):
            stripe_codes(svc, pool, meter, ws, arg("stripe-codes", 0), arg("stripe-workers", 8))
            return
        print(f"DynamoDB Local; N small={small:,}, large={large:,}")
        if not arg("race-only", 0):
            load_pools(svc, pool, report, meter, ws, small, large)
        race(svc, pool, meter, ws, small, friends, threads)


def load_pools(svc: Any, pool: Any, report: Any, meter: Any, ws: str, small: int, large: int) -> None:
    from haishin.coupons.models import GenerateIn  # noqa: PLC0415

    # 1. import
    text = "\n".join(f"IMP{i:07d}" for i in range(small))
    cid = pool("import small")
    meter.reset()
    t0 = time.perf_counter()
    result = svc.import_codes(ws, cid, text)
    report("import_codes (one request)", result["added"], time.perf_counter() - t0)
    cid = pool("import large")
    meter.reset()
    t0 = time.perf_counter()
    added, _taken = svc.repository.add_codes(ws, cid, (f"BIG{i:07d}" for i in range(large)))
    report("add_codes (import path, one call)", added, time.perf_counter() - t0)
    meter.reset()
    t0 = time.perf_counter()
    added, taken = svc.repository.add_codes(ws, pool("dupes"), (f"BIG{i:07d}" for i in range(small)))
    report(f"add_codes, all {len(taken):,} already taken", small, time.perf_counter() - t0)

    # 2. generate
    cid = pool("generate small")
    meter.reset()
    t0 = time.perf_counter()
    got = svc.generate_codes(ws, cid, GenerateIn(count=min(small, 5000)))["added"]
    report("generate_codes (one request)", got, time.perf_counter() - t0)
    cid = pool("generate large")
    meter.reset()
    t0 = time.perf_counter()
    got = 0
    while got < large:
        got += svc.generate_codes(ws, cid, GenerateIn(count=min(5000, large - got)))["added"]
    report(f"generate_codes ({-(-large // 5000)} requests of <=5,000)", got, time.perf_counter() - t0)



def race(svc: Any, pool: Any, meter: Any, ws: str, small: int, friends: int, threads: int) -> None:
    from haishin.coupons.service import generate_code  # noqa: PLC0415

    # 3. assignment race
    cid = pool("race")
    svc.repository.add_codes(ws, cid, list(dict.fromkeys(generate_code(8) for _ in range(small))))
    meter.reset()
    times: list[float] = []

    def ask(n: int) -> str:
        t = time.perf_counter()
        code = svc.code_for(ws, cid, f"s_{n:06d}")
        times.append(time.perf_counter() - t)
        return code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as ex:
        codes = list(ex.map(ask, range(min(friends, small))))
    wall = time.perf_counter() - t0
    transactions = meter.calls.get("dynamodb:TransactWriteItems", 0)
    print(f"assignment race: {len(codes):,} friends on {threads} threads for a pool of {small:,}: "
          f"{len(codes) / wall:,.0f} codes/s, p50 {percentile(times, .5) * 1000:.1f} ms, "
          f"p99 {percentile(times, .99) * 1000:.1f} ms, {transactions - len(codes):,} lost races retried, "
          f"distinct codes {len(set(codes)):,} (must equal friends) {load()}")
    coupon = svc.get(ws, cid)
    print(f"  counters: distributed {int(coupon.distributed):,}, pool {int(coupon.pool_size):,}")


def stripe_codes(svc: Any, pool: Any, meter: Any, ws: str, n: int, workers: int) -> None:
    from haishin.coupons.models import CouponPatch, GenerateIn  # noqa: PLC0415
    from haishin.coupons.stripe_codes import StripeCodeJobs  # noqa: PLC0415
    from haishin.payments.service import PromotionCodeWriter  # noqa: PLC0415
    from haishin.stripe_api import StripeGateway  # noqa: PLC0415
    from haishin_local.stripe_emulator import StripeEmulator  # noqa: PLC0415

    class Queue:  # PlannerQueue: the bench runs the job's messages itself
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def send(self, body: dict[str, Any]) -> None:
            self.sent.append(body)

    class Payments:  # PaymentService's promotion_code_writer, bound to the emulator
        def __init__(self, writer: Any) -> None:
            self.writer = writer

        def promotion_code_writer(self, _ws: str) -> Any:
            return self.writer

    coupon_id = pool("stripe")
    for start in range(0, n, 5000):
        svc.generate_codes(ws, coupon_id, GenerateIn(count=min(5000, n - start)))
    with StripeEmulator(auto_deliver=False) as emulator:
        gateway = StripeGateway(emulator.base_url)
        writer = PromotionCodeWriter(gateway, "sk_test_bench", "test")
        queue = Queue()
        payments = Payments(writer)
        svc.stripe = lambda: payments
        svc.queue = queue
        jobs = StripeCodeJobs(svc.repository, lambda _ws: writer, queue, max_workers=workers, budget_s=10_000)
        svc.update(ws, coupon_id, CouponPatch(stripe=True))
        for label in ("first run (creates)", "second run (nothing to do)"):
            message = queue.sent.pop(0)
            meter.calls.clear()
            before = len(emulator.requests)
            t0 = time.perf_counter()
            outcome = jobs.handle(message)
            seconds = time.perf_counter() - t0
            stripe_calls = len(emulator.requests) - before
            print(f"stripe codes, {label:<28} {n:>6,} codes  {seconds:7.2f} s  "
                  f"{outcome.get('done', 0) / seconds:7,.0f} codes/s  done={outcome.get('done')} "
                  f"failed={outcome.get('failed')}  {stripe_calls:>6,} Stripe calls  "
                  f"{sum(meter.calls.values()):>6,} DynamoDB calls  {workers} threads  {load()}", flush=True)
            if label.startswith("first"):
                promos = [o for o in emulator.objects.values() if o.get("object") == "promotion_code"]
                print(f"  promotion codes in the emulator: {len(promos):,}, max_redemptions=1: "
                      f"{sum(1 for p in promos if p['max_redemptions'] == 1):,}", flush=True)
                svc.update(ws, coupon_id, CouponPatch(stripe=True))


if __name__ == "__main__":
    main()
