"""Coupons under concurrency on DynamoDB Local (real transactions: moto's are not atomic across threads): 120 friends
rendered at once for a pool of 10 codes get exactly 10 distinct codes, the counters agree with the markers, and the
other 110 fail with the Japanese reason; 40 staff redeeming the same code at once record it exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from haishin.coupons.models import CouponIn, GenerateIn
from haishin.coupons.repository import CouponRepository
from haishin.coupons.service import CouponService
from haishin.errors import HaishinError
from haishin.render import RenderError

WS = "ws_it_coupon_race"


class Events:
    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        self.published.append(idempotency_key)
        return 1


def test_racing_friends_and_staff(local_system: Any) -> None:
    events = Events()
    svc = CouponService(CouponRepository(), events=events, zone_of=lambda ws: "Asia/Tokyo")
    coupon = svc.create(WS, CouponIn(name="先着10名", discount_type="percent", discount_value=30, mode="pool"))
    svc.generate_codes(WS, coupon.coupon_id, GenerateIn(count=10))
    got: dict[str, str] = {}
    failed: list[str] = []

    def assign(n: int) -> None:
        try:
            got[f"s_{n:03d}"] = svc.code_for(WS, coupon.coupon_id, f"s_{n:03d}")
        except RenderError as exc:
            failed.append(exc.message)

    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(assign, range(120)))
    assert len(got) == 10 and len(set(got.values())) == 10, got
    assert len(failed) == 110 and all("残っていません" in m or "混雑" in m for m in failed), set(failed)
    markers = list(svc.repository.assignments_of(WS, coupon.coupon_id))
    stats = svc.view(WS, svc.get(WS, coupon.coupon_id))["stats"]
    assert (stats["distributed"], stats["available"], len(markers)) == (10, 0, 10)

    code = next(iter(got.values()))
    outcomes: list[str] = []

    def redeem(_: int) -> None:
        try:
            svc.redeem(WS, code)
            outcomes.append("ok")
        except HaishinError as exc:
            outcomes.append(exc.message)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(redeem, range(40)))
    assert outcomes.count("ok") == 1, outcomes
    assert all("使用済み" in o for o in outcomes if o != "ok"), set(outcomes)
    assert svc.view(WS, svc.get(WS, coupon.coupon_id))["stats"]["redeemed"] == 1
    assert len(events.published) == 1
