"""Coupons: pool import/generate, one code per friend through the message variable (broadcast planning and a
retry), empty pool failing that friend clearly, redemption rules (forged, used twice, expired, per-friend limit,
Stripe key idempotent), stats and the segment helper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from haishin import clock
from haishin.broadcasts.planner import BroadcastPlanner
from haishin.coupons.models import ALPHABET, CouponIn, GenerateIn
from haishin.coupons.repository import CouponRepository
from haishin.coupons.service import CouponService, parse_codes
from haishin.delivery.ledger import Ledger
from haishin.errors import Conflict, ValidationFailed
from haishin.render import RenderError, renderer, variables_for
from haishin.segments.engine import SegmentEngine
from haishin.segments.model import parse_segment
from tests.unit.broadcasts.harness import BroadcastWorld, user_id
from tests.unit.scenarios.step_harness import StepWorld

WS = "ws_cpn"


class Events:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any], str]] = []

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        self.published.append((event_type, data, idempotency_key))
        return 1


@pytest.fixture
def svc(aws: Any, manual_clock: clock.ManualClock) -> CouponService:
    return CouponService(CouponRepository(), events=Events(), zone_of=lambda ws: "Asia/Tokyo")


def pool(svc: CouponService, count: int = 0, **extra: Any) -> str:
    coupon = svc.create(WS, CouponIn(name="初回10%OFF", discount_type="percent", discount_value=10, mode="pool",
                                     **extra))
    if count:
        svc.generate_codes(WS, coupon.coupon_id, GenerateIn(count=count))
    return coupon.coupon_id


def test_generated_codes_are_readable_and_unique(svc: CouponService) -> None:
    coupon_id = pool(svc, 50)
    codes = [c["code"] for c in svc.codes(WS, coupon_id)]
    assert len(codes) == len(set(codes)) == 50
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01OI") & set("".join(codes))
    assert svc.view(WS, svc.get(WS, coupon_id))["stats"]["pool_size"] == 50


def test_import_skips_header_refuses_duplicates_and_names_a_bad_line(svc: CouponService) -> None:
    coupon_id = pool(svc)
    assert parse_codes("code\nabc-123\n\n ＸＹＺ９９ \n") == ["ABC-123", "XYZ99"]
    result = svc.import_codes(WS, coupon_id, "code\nAAA111\nBBB222\nAAA111\n")
    assert result == {"added": 2, "duplicates": [], "duplicate_count": 0}
    again = svc.import_codes(WS, coupon_id, "AAA111\nCCC333")
    assert again["added"] == 1 and again["duplicates"] == ["AAA111"]
    with pytest.raises(ValidationFailed) as bad:
        svc.import_codes(WS, coupon_id, "DDD444\nあ!\n")
    assert "2 行目" in bad.value.message
    assert svc.view(WS, svc.get(WS, coupon_id))["stats"]["pool_size"] == 3


def test_variable_assigns_one_code_per_friend_once(svc: CouponService) -> None:
    coupon_id = pool(svc, 3)
    first = svc.code_for(WS, coupon_id, "s_1")
    assert svc.code_for(WS, coupon_id, "s_1") == first  # a retry or a second message: the same code
    second = svc.code_for(WS, coupon_id, "s_2")
    assert second != first
    text = renderer().text('コード: {{ coupon("' + coupon_id + '") }}',
                           variables_for(None, coupon=svc.template_function(WS, "s_1")), where="t")
    assert text == f"コード: {first}"
    stats = svc.view(WS, svc.get(WS, coupon_id))["stats"]
    assert stats["distributed"] == 2 and stats["available"] == 1


def test_empty_pool_fails_the_friend_clearly(svc: CouponService) -> None:
    coupon_id = pool(svc, 1)
    svc.code_for(WS, coupon_id, "s_1")
    with pytest.raises(RenderError) as empty:
        svc.code_for(WS, coupon_id, "s_2")
    assert "残っていません" in empty.value.message


def test_default_coupon_variable_refuses_outside_broadcasts_and_steps() -> None:
    with pytest.raises(RenderError):
        renderer().text('{{ coupon("cpn_x") }}', variables_for(None), where="auto-reply")


def test_redeem_once_forged_used_twice_expired(svc: CouponService, manual_clock: clock.ManualClock) -> None:
    coupon_id = pool(svc, 2, valid_until=clock.now() + timedelta(days=1))
    code = svc.code_for(WS, coupon_id, "s_1")
    with pytest.raises(ValidationFailed) as forged:
        svc.redeem(WS, "ZZZZZZZZ")
    assert "見つかりません" in forged.value.message
    done = svc.redeem(WS, code.lower())  # typed in lower case: still found
    assert done["subscriber_id"] == "s_1" and not done["duplicate"]
    with pytest.raises(ValidationFailed) as twice:
        svc.redeem(WS, code)
    assert "使用済み" in twice.value.message
    stats = svc.view(WS, svc.get(WS, coupon_id))["stats"]
    assert (stats["distributed"], stats["redeemed"], stats["rate"]) == (1, 1, 1.0)
    events = svc.events.published  # type: ignore[attr-defined]
    assert [e[0] for e in events] == ["coupon_redeemed"]
    other = svc.code_for(WS, coupon_id, "s_2")
    manual_clock.advance(timedelta(days=2))
    with pytest.raises(ValidationFailed) as expired:
        svc.redeem(WS, other)
    assert "有効期限" in expired.value.message
    assert svc.view(WS, svc.get(WS, coupon_id))["stats"]["redeemed"] == 1  # nothing changed


def test_shared_code_per_friend_limit_and_stripe_key(svc: CouponService) -> None:
    coupon = svc.create(WS, CouponIn(name="500円引き", discount_type="amount", discount_value=500, mode="shared",
                                     shared_code="welcome500", per_friend_limit=1))
    assert svc.code_for(WS, coupon.coupon_id, "s_1") == "WELCOME500"
    svc.redeem(WS, "WELCOME500", subscriber_id="s_1")
    with pytest.raises(Conflict) as limit:
        svc.redeem(WS, "WELCOME500", subscriber_id="s_1")
    assert "上限" in limit.value.message
    svc.redeem(WS, "WELCOME500")  # at the counter, no friend named: counted
    stripe = svc.redeem(WS, "WELCOME500", source="stripe", amount=4500, key="cs_1")
    again = svc.redeem(WS, "WELCOME500", source="stripe", amount=4500, key="cs_1")  # webhook retried
    assert not stripe["duplicate"] and again["duplicate"]
    stats = svc.view(WS, svc.get(WS, coupon.coupon_id))["stats"]
    assert stats["redeemed"] == 3 and stats["revenue"] == 4500
    with pytest.raises(Conflict):
        svc.create(WS, CouponIn(name="dup", discount_type="amount", discount_value=1, mode="shared",
                                shared_code="WELCOME500"))


def test_holders_for_segments(svc: CouponService) -> None:
    coupon_id = pool(svc, 3)
    for sid in ("s_1", "s_2"):
        svc.code_for(WS, coupon_id, sid)
    svc.redeem(WS, svc.code_for(WS, coupon_id, "s_1"))
    assert svc.holders(WS, coupon_id, unredeemed=True) == {"s_2"}
    assert svc.holders(WS, None, unredeemed=False) == {"s_1"}


def test_broadcast_with_the_variable_pushes_each_friend_their_own_code(aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 2)
    coupons = world.services.coupons
    coupon = coupons.create(ws, CouponIn(name="冬のクーポン", discount_type="percent", discount_value=20, mode="pool"))
    coupons.generate_codes(ws, coupon.coupon_id, GenerateIn(count=5))
    world.planner = BroadcastPlanner(sender=world.delivery, planner_queue=world.planner_queue,
                                     optout=world.services.optout, abtests=world.services.broadcast_abtests,
                                     track=world.services.track, coupons=coupons)
    text = '{{ name }}さん、あなたのコードは {{ coupon("' + coupon.coupon_id + '") }} です'
    broadcast_id = world.create(ws, content={"line": [{"type": "text", "text": text}]})
    world.service.send_now(ws, broadcast_id)
    world.plan(duplicate=True)  # a re-planned slice hands out the same codes
    world.drain()
    got = {r.user_id: r.messages[0]["text"] for r in world.line.received}
    assert set(got) == {user_id(0), user_id(1)}
    codes = {t.split("コードは ")[1].split(" ")[0] for t in got.values()}
    assert len(codes) == 2
    assert all(len(to) == 1 for to in [[r.user_id] for r in world.line.received])
    assert ("multicast", 2) not in world.line.log
    stats = coupons.view(ws, coupons.get(ws, coupon.coupon_id))["stats"]
    assert stats["distributed"] == 2 and stats["available"] == 3


def test_segment_conditions_unredeemed_redeemed_received(svc: CouponService) -> None:
    world = BroadcastWorld()
    world.workspace(WS)
    friends = world.friends(WS, 3)
    coupon_id = pool(svc, 3)
    for sid in friends[:2]:
        svc.code_for(WS, coupon_id, sid)
    svc.redeem(WS, svc.code_for(WS, coupon_id, friends[0]))
    engine = SegmentEngine()

    def ids(status: str, coupon: str | None = coupon_id) -> set[str]:
        segment = parse_segment({"match": "all", "conditions": [{"type": "coupon", "coupon_id": coupon,
                                                                 "status": status}]})
        return {row["subscriber_id"] for row in engine.iter_matches(engine.compile(WS, segment))}

    assert ids("unredeemed") == {friends[1]}
    assert ids("redeemed") == {friends[0]}
    assert ids("received", None) == set(friends[:2])
    assert ids("not_received") == {friends[2]}
    assert engine.count(WS, parse_segment({"conditions": [{"type": "coupon"}]})) == 1  # any coupon, unredeemed
    with pytest.raises(ValidationFailed):
        ids("unredeemed", "cpn_missing")


def test_a_step_hands_out_the_code_once_and_an_empty_pool_fails_that_send(aws: Any, manual_clock: Any) -> None:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    world = StepWorld()
    ws = world.workspace()
    coupons = world.services.coupons
    coupon = coupons.create(ws, CouponIn(name="ようこそ", discount_type="amount", discount_value=500, mode="pool"))
    coupons.import_codes(ws, coupon.coupon_id, "WELCOME01")
    line = [{"type": "text", "text": 'コード {{ coupon("' + coupon.coupon_id + '") }}'}]
    scenario = world.scenario(ws, {"name": "welcome", "steps": [
        {"id": "hello", "timing": {"type": "immediately"}, "line": line},
        {"id": "again", "timing": {"type": "after", "amount": 1, "unit": "hours", "from": "previous_step"},
         "line": line}]})
    for sid in (world.friend(ws, "U1"), world.friend(ws, "U2", name="Taro")):
        world.enroll(ws, sid, scenario)
    world.tick()
    world.drain()
    world.run_for(timedelta(hours=2), every=timedelta(minutes=10))
    got = {user: [r.text for r in world.line.of(user)] for user in ("U1", "U2")}
    # the pool had one code: the friend who got it sees the same code in both steps, the other friend's sends fail
    # (with the reason in the ledger), never a blank code
    assert sorted(got.values()) == [[], ["コード WELCOME01", "コード WELCOME01"]], got
    errors, _ = Ledger().errors_page(ws)  # the delivery errors screen's list: failed, with the reason
    assert errors and all(row.status == "failed" and "残っていません" in (row.error or "") for row in errors)
    assert coupons.view(ws, coupons.get(ws, coupon.coupon_id))["stats"]["distributed"] == 1

