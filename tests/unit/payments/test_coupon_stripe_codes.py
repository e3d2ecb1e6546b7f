"""A pool coupon's unique codes as Stripe promotion codes (``haishin.coupons.stripe_codes``): one Stripe coupon, one
promotion code per code (``max_redemptions: 1``), made by a resumable PlannerQueue job; codes added later, withdrawn
codes and (un)archiving reconcile through the same job; a checkout with one code redeems exactly that code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pay_env import WS, Env

from haishin import wiring
from haishin.coupons import stripe_codes
from haishin.coupons.models import CouponIn, CouponPatch, GenerateIn
from haishin.errors import ExternalServiceError, ValidationFailed
from haishin.render import RenderError
from haishin_local.stripe_emulator.core import StripeApiError


@pytest.fixture(autouse=True)
def refusals_as_the_gateway_raises_them(env: Env, monkeypatch: Any) -> None:
    """StripeGateway turns Stripe's 400 into ExternalServiceError; the in-process gateway does the same here."""
    real = env.gateway.create_coupon_promotion_code

    def create(api_key: str, **kwargs: Any) -> str:
        try:
            return real(api_key, **kwargs)
        except StripeApiError as exc:
            raise ExternalServiceError(f"Stripe: {exc.message}", where="Stripe API") from exc

    monkeypatch.setattr(env.gateway, "create_coupon_promotion_code", create)


def _jobs() -> stripe_codes.StripeCodeJobs:
    jobs = wiring.services().coupon_stripe_jobs
    jobs.max_workers = 1  # moto's transactions are not thread-safe (DynamoDB Local runs 8: tests/bench)
    return jobs


def _run_queued(env: Env) -> list[dict[str, Any]]:
    outcomes = []
    while env.queue.sent:
        outcomes.append(_jobs().handle(env.queue.sent.pop(0)))
    return outcomes


def _promos(env: Env) -> dict[str, dict[str, Any]]:
    return {o["code"]: o for o in env.stripe.objects.values() if o["object"] == "promotion_code"}


def _pool(env: Env, count: int = 5) -> tuple[str, list[str]]:
    coupons = wiring.services().coupons
    coupon = coupons.create(WS, CouponIn(name="個別500円引き", discount_type="amount", discount_value=500,
                                         mode="pool"))
    coupons.generate_codes(WS, coupon.coupon_id, GenerateIn(count=count))
    assert env.queue.sent == []  # Stripe not turned on: nothing queued
    return coupon.coupon_id, sorted(c["code"] for c in coupons.codes(WS, coupon.coupon_id))


def _in_stripe(env: Env, count: int) -> tuple[str, list[str]]:
    """A pool coupon whose codes the job has made promotion codes."""
    coupon_id, codes = _pool(env, count)
    wiring.services().coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    _run_queued(env)
    return coupon_id, codes


def test_each_code_gets_its_own_promotion_code_and_a_checkout_redeems_exactly_that_code(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon_id, codes = _pool(env)
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    [message] = env.queue.sent
    assert message["kind"] == stripe_codes.JOB_KIND == "coupon_stripe_codes"
    assert coupons.view(WS, coupons.get(WS, coupon_id))["stripe_codes"]["status"] == "queued"

    [outcome] = _run_queued(env)
    assert (outcome["outcome"], outcome["done"], outcome["failed"]) == ("done", 5, 0)
    promos = _promos(env)
    assert sorted(promos) == codes
    assert {p["max_redemptions"] for p in promos.values()} == {1}
    [stripe_coupon] = [o for o in env.stripe.objects.values() if o["object"] == "coupon"]
    assert {p["promotion"]["coupon"] for p in promos.values()} == {stripe_coupon["id"]}
    assert (stripe_coupon["amount_off"], stripe_coupon["currency"]) == (500, "jpy")
    view = coupons.view(WS, coupons.get(WS, coupon_id))
    assert view["stripe_coupon_id"] == stripe_coupon["id"]
    assert {k: view["stripe_codes"][k] for k in ("status", "total", "done", "failed", "errors")} == {
        "status": "done", "total": 5, "done": 5, "failed": 0, "errors": []}
    assert all(c["stripe_promotion_code_id"] == promos[c["code"]]["id"] and c["stripe_active"]
               for c in coupons.codes(WS, coupon_id))

    # the same message again (SQS redelivery) does nothing; a new run finds nothing to do and creates nothing
    assert _jobs().handle(message)["outcome"] == "ignored:done"
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    [again] = _run_queued(env)
    assert (again["done"], again["failed"], len(_promos(env))) == (0, 0, 5)

    # a friend types their code (lower case) at checkout: ¥3,000 - ¥500; paying redeems exactly that code
    _, session_id = env.buy(env.product(amount=3000))
    assert env.stripe.apply_promotion_code(session_id, codes[0].lower())["amount_total"] == 2500
    env.stripe.complete_checkout(session_id)
    [row] = coupons.redemptions(WS, coupon_id)
    assert (row["code"], row["source"], row["amount"]) == (codes[0], "stripe", 2500)
    assert [c["code"] for c in coupons.codes(WS, coupon_id) if c["redeemed"]] == [codes[0]]
    with pytest.raises(ValidationFailed, match="使用済み"):
        coupons.redeem(WS, codes[0])
    # Stripe's max_redemptions: the code is used up at Stripe too
    _, second = env.buy(env.product(amount=3000))
    with pytest.raises(StripeApiError, match="maximum number of times"):
        env.stripe.apply_promotion_code(second, codes[0])
    # codes[0] was never handed out: it left the pool, so friends get the four others and never the used one
    handed = {coupons.code_for(WS, coupon_id, f"sub_friend_{i}") for i in range(4)}
    assert handed == set(codes[1:])
    with pytest.raises(RenderError, match="残っていません"):
        coupons.code_for(WS, coupon_id, "sub_friend_5")


def test_a_code_used_at_the_counter_is_deactivated_in_stripe(env: Env) -> None:
    _, codes = _in_stripe(env, 2)
    wiring.services().coupons.redeem(WS, codes[1])
    assert _promos(env)[codes[1]]["active"] is False
    _, session_id = env.buy(env.product(amount=3000))
    with pytest.raises(StripeApiError, match="invalid"):
        env.stripe.apply_promotion_code(session_id, codes[1])


def test_codes_added_later_withdrawn_codes_and_archiving_follow_in_stripe(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon_id, codes = _in_stripe(env, 3)
    coupons.import_codes(WS, coupon_id, "LATER2345\nLATER6789")
    [outcome] = _run_queued(env)
    assert outcome["done"] == 2 and {"LATER2345", "LATER6789"} <= set(_promos(env))

    coupons.archive_codes(WS, coupon_id, [codes[0]])
    [outcome] = _run_queued(env)
    assert outcome["done"] == 1
    assert _promos(env)[codes[0]]["active"] is False

    coupons.update(WS, coupon_id, CouponPatch(archived=True))
    _run_queued(env)
    assert not any(p["active"] for p in _promos(env).values())
    with pytest.raises(ValidationFailed, match="アーカイブ"):
        coupons.update(WS, coupon_id, CouponPatch(stripe=True))

    coupons.update(WS, coupon_id, CouponPatch(archived=False))
    _run_queued(env)
    active = {code for code, p in _promos(env).items() if p["active"]}
    assert active == {codes[1], codes[2], "LATER2345", "LATER6789"}  # the withdrawn code stays inactive


def test_a_code_stripe_refuses_is_reported_in_japanese_and_the_next_run_retries_it(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon_id, codes = _pool(env, 3)
    squatter = env.stripe.create_coupon({"duration": "once", "percent_off": 5}, "sk_test_123")
    taken = env.stripe.create_promotion_code({"promotion": {"type": "coupon", "coupon": squatter["id"]},
                                              "code": codes[1]}, "sk_test_123")  # made in Stripe's dashboard
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    [outcome] = _run_queued(env)
    assert (outcome["done"], outcome["failed"]) == (2, 1)
    job = coupons.view(WS, coupons.get(WS, coupon_id))["stripe_codes"]
    assert (job["status"], job["failed"]) == ("done", 1)
    [error] = job["errors"]
    assert error.startswith(f"コード「{codes[1]}」のプロモーションコードを作成できませんでした") and "already exists" in error

    env.stripe.update_promotion_code(taken["id"], {"active": "false"})
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))  # the page's 「再実行」
    [outcome] = _run_queued(env)
    assert (outcome["done"], outcome["failed"]) == (1, 0)
    assert coupons.view(WS, coupons.get(WS, coupon_id))["stripe_codes"]["errors"] == []


def test_a_run_out_of_time_queues_itself_and_the_next_run_resumes_without_duplicates(env: Env,
                                                                                    monkeypatch: Any) -> None:
    coupons = wiring.services().coupons
    coupon_id, codes = _pool(env, 5)
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    monkeypatch.setattr(stripe_codes, "CHUNK", 2)
    ticks = iter([0.0, 0.0, 10_000.0])  # start, first chunk in time, then the budget is spent
    jobs = _jobs()
    monkeypatch.setattr(jobs, "monotonic", lambda: next(ticks, 0.0))
    message = env.queue.sent.pop(0)
    assert jobs.handle(message) == {"job": message["job_id"], "outcome": "continued", "done": 2, "failed": 0}
    assert env.queue.sent == [message] and len(_promos(env)) == 2
    assert coupons.view(WS, coupons.get(WS, coupon_id))["stripe_codes"]["status"] == "running"

    [outcome] = _run_queued(env)
    assert (outcome["outcome"], outcome["done"]) == ("done", 3)
    assert sorted(_promos(env)) == codes


def test_a_newer_job_supersedes_the_running_one(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon_id, _ = _pool(env, 2)
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    old, new = env.queue.sent
    assert _jobs().handle(old)["outcome"] == "ignored:superseded"
    assert _jobs().handle(new)["done"] == 2


def test_refused_in_japanese_without_keys_or_when_expired_or_hand_linked(env: Env) -> None:
    coupons = wiring.services().coupons
    coupon_id, _ = _pool(env, 1)
    coupons.update(WS, coupon_id, CouponPatch(stripe_promotion_code_id="promo_ByHand1"))
    with pytest.raises(ValidationFailed, match="手入力で連携"):
        coupons.update(WS, coupon_id, CouponPatch(stripe=True))
    other = coupons.create("w_nokeys", CouponIn(name="キーなし", discount_type="percent", discount_value=10,
                                                mode="pool"))
    with pytest.raises(ValidationFailed, match="Stripe のキーが設定されていません"):
        coupons.update("w_nokeys", other.coupon_id, CouponPatch(stripe=True))
    assert env.queue.sent == []


def test_the_planner_lambda_spells_the_job_kind_like_the_domain() -> None:
    source = (Path(__file__).parents[3] / "functions/broadcast_planner/app.py").read_text(encoding="utf-8")
    assert f'COUPON_STRIPE_KIND = "{stripe_codes.JOB_KIND}"' in source
