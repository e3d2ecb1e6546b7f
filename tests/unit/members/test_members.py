"""Member sites: course validation, access from a purchase / tag / staff and its end at the paid period's end, drip
by the one clock, magic-link login (single use, expiring, forged refused), revocable sessions, progress with
lesson_completed / course_completed fired once, members with progress and drop-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from members_env import WS

from haishin.errors import NotFound, ValidationFailed
from haishin.members.inputs import CourseIn, embed_url
from haishin.members.service import Refused, paid_until
from haishin.subscribers.http import validate

COURSE = {
    "title": "LINE集客講座",
    "description": "全3回",
    "chapters": [
        {"title": "第1章 はじめに", "lessons": [
            {"title": "ようこそ", "body": "<script>alert(1)</script>講座の進め方", "video_url": "https://youtu.be/dQw4w9WgXcQ"},
            {"title": "準備", "body": "アカウントを用意します", "drip_days": 0}]},
        {"title": "第2章 実践", "lessons": [{"title": "配信してみよう", "body": "本文", "drip_days": 7}]},
    ],
}


def course(env: Any, **changes: Any) -> Any:
    return env.service.create_course(WS, env.service.definition(validate(CourseIn, {**COURSE, **changes})))


def lesson_ids(item: Any) -> list[str]:
    return [x["id"] for c in item.definition["chapters"] for x in c["lessons"]]


def buy(env: Any, sid: str, course_id: str, *, kind: str = "one_time", order_id: str = "ord_1",
        facts: dict[str, Any] | None = None) -> dict[str, Any]:
    env.payments.products["p_1"] = {"name": "講座", "kind": kind, "interval": "month", "course_ids": [course_id]}
    env.payments.orders[order_id] = SimpleNamespace(order_id=order_id, kind=kind, facts=facts or {})
    data = {"order_id": order_id, "product_id": "p_1", "subscriber_id": sid, "kind": kind}
    env.service.publish(WS, "purchase_completed", data, idempotency_key=f"order:{order_id}:purchase")
    return data


def test_course_validation_names_the_field_in_japanese() -> None:
    with pytest.raises(ValidationFailed) as bad:
        validate(CourseIn, {**COURSE, "chapters": [{"title": "章", "lessons": [
            {"title": "動画", "video_url": "https://evil.example/video.mp4"}]}]})
    assert "chapters.0.lessons.0.video_url" in bad.value.message and "YouTube" in bad.value.message
    with pytest.raises(ValidationFailed) as empty:
        validate(CourseIn, {**COURSE, "chapters": []})
    assert "chapters" in empty.value.message
    assert embed_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert embed_url("https://vimeo.com/76979871") == "https://player.vimeo.com/video/76979871"


def test_lesson_ids_are_kept_across_edits(env: Any) -> None:
    item = course(env)
    ids = lesson_ids(item)
    assert len(ids) == 3 and len(set(ids)) == 3
    body = {**item.definition, "title": "LINE集客講座 (改訂版)"}
    body.pop("course_id", None)
    updated = env.service.update_course(WS, item.course_id, env.service.definition(validate(CourseIn, body)))
    assert lesson_ids(updated) == ids and updated.definition["title"] == "LINE集客講座 (改訂版)"
    with pytest.raises(NotFound):
        env.service.course("w_other", item.course_id)


def test_purchase_grants_drip_unlocks_with_the_clock_refund_ends_access(env: Any, friend: Any,
                                                                        manual_clock: Any) -> None:
    item = course(env)
    sid = friend("hanako@example.jp")
    assert not env.service.member_course(WS, item.course_id, sid)["active"]
    data = buy(env, sid, item.course_id)
    buy(env, sid, item.course_id)  # Stripe redelivers: nothing changes
    view = env.service.member_course(WS, item.course_id, sid)
    assert view["active"] and [x["open"] for c in view["chapters"] for x in c["lessons"]] == [True, True, False]
    manual_clock.advance(timedelta(days=7))
    view = env.service.member_course(WS, item.course_id, sid)
    assert [x["open"] for c in view["chapters"] for x in c["lessons"]] == [True, True, True]
    env.service.publish(WS, "purchase_refunded", data, idempotency_key="stripe:evt_r1")
    assert not env.service.member_course(WS, item.course_id, sid)["active"]  # a one-time purchase: at once
    assert env.service.access_view(WS, item.course_id, sid)["grants"]["order:ord_1"]["ends_at"]


def test_a_refunded_subscription_keeps_access_to_the_end_of_the_paid_month(env: Any, friend: Any,
                                                                           manual_clock: Any) -> None:
    item = course(env)
    sid = friend("taro@example.jp")
    paid_at = int(manual_clock.now().timestamp())
    data = buy(env, sid, item.course_id, kind="subscription",
               facts={"invoices": {"in_1": {"paid": True, "created": paid_at, "amount_paid": 3000}}})
    manual_clock.advance(timedelta(days=10))
    env.service.publish(WS, "subscription_canceled", data, idempotency_key="stripe:evt_c1")
    env.service.publish(WS, "purchase_refunded", data, idempotency_key="stripe:evt_r1")
    assert env.service.member_course(WS, item.course_id, sid)["active"]  # paid until 5 Feb
    manual_clock.set(datetime(2026, 2, 4, 23, 59, tzinfo=UTC))
    assert env.service.member_course(WS, item.course_id, sid)["active"]
    manual_clock.set(datetime(2026, 2, 5, 0, 0, 1, tzinfo=UTC))
    assert not env.service.member_course(WS, item.course_id, sid)["active"]


def test_refunding_this_months_payment_ends_access_now_an_older_ones_does_not(env: Any, friend: Any,
                                                                              manual_clock: Any) -> None:
    item = course(env)
    sid = friend("jiro@example.jp")
    start = int(manual_clock.now().timestamp())
    month = 30 * 86400
    invoices = {"in_1": {"paid": True, "created": start, "amount_paid": 3000, "payment_intent": "pi_1"},
                "in_2": {"paid": True, "created": start + month, "amount_paid": 3000, "payment_intent": "pi_2"}}
    data = buy(env, sid, item.course_id, kind="subscription", facts={
        "invoices": invoices, "period_end": start + 2 * month})
    manual_clock.advance(timedelta(days=40))
    order = env.payments.orders["ord_1"]
    # last month's payment refunded (in full): this month is paid, the subscription runs on, access stays open
    order.facts = {**order.facts, "charge_refunds": {"ch_1": 3000}, "charge_intents": {"ch_1": "pi_1"}}
    env.service.publish(WS, "purchase_refunded", data, idempotency_key="stripe:evt_r1")
    assert env.service.member_course(WS, item.course_id, sid)["active"]
    assert not env.service.access_view(WS, item.course_id, sid)["grants"]["order:ord_1"].get("ends_at")
    # this month's payment refunded only in part: still paid for, still open
    order.facts = {**order.facts, "charge_refunds": {"ch_1": 3000, "ch_2": 1000},
                   "charge_intents": {"ch_1": "pi_1", "ch_2": "pi_2"}}
    env.service.publish(WS, "purchase_refunded", data, idempotency_key="stripe:evt_r2")
    assert env.service.member_course(WS, item.course_id, sid)["active"]
    # this month's payment refunded in full: not paid for any more, access ends at once (not at the period end)
    order.facts = {**order.facts, "charge_refunds": {"ch_1": 3000, "ch_2": 3000}}
    env.service.publish(WS, "purchase_refunded", data, idempotency_key="stripe:evt_r3")
    assert not env.service.member_course(WS, item.course_id, sid)["active"]


def test_paid_until() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    jan31 = int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())
    facts = {"invoices": {"a": {"paid": True, "created": jan31}, "b": {"failed": True, "created": jan31 + 99}}}
    assert paid_until("one_time", "month", facts, now) == now
    assert paid_until("subscription", "month", facts, datetime(2026, 2, 1, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert paid_until("subscription", "year", facts, now) == datetime(2027, 1, 31, tzinfo=UTC)
    assert paid_until("subscription", "month", {}, now) == now


def test_tag_and_manual_grants(env: Any, friend: Any) -> None:
    item = course(env, grant_tag="受講生")
    sid = friend("jiro@example.jp")
    env.service.publish(WS, "tag_added", {"subscriber_id": sid, "tag_id": "t1", "tag": "受講生"}, idempotency_key="k1")
    assert env.service.access_view(WS, item.course_id, sid)["sources"] == ["tag"]
    env.service.publish(WS, "tag_removed", {"subscriber_id": sid, "tag_id": "t1", "tag": "受講生"}, idempotency_key="k2")
    assert not env.service.access_view(WS, item.course_id, sid)["active"]
    assert env.service.grant_manually(WS, item.course_id, sid)["sources"] == ["manual"]
    assert not env.service.revoke_manually(WS, item.course_id, sid)["active"]
    with pytest.raises(NotFound):  # another workspace's friend
        env.service.grant_manually(WS, item.course_id, "sub_not_here")


def _login_link(env: Any) -> tuple[str, str]:
    url = next(line for line in env.outbox.sent[-1]["text"].splitlines() if line.startswith("http"))
    query = parse_qs(urlsplit(url).query)
    return query["t"][0], query["n"][0]


def test_magic_link_single_use_expiring_and_sessions_revocable(env: Any, friend: Any, manual_clock: Any) -> None:
    item = course(env)
    sid = friend("hanako@example.jp")
    env.service.request_login(WS, item.course_id, "stranger@example.jp")
    env.service.request_login(WS, item.course_id, "hanako@example.jp")  # no access yet
    assert env.outbox.sent == []
    buy(env, sid, item.course_id)
    env.service.request_login(WS, item.course_id, " Hanako@Example.jp ")
    mail = env.outbox.sent[-1]
    assert mail["to"] == "hanako@example.jp" and "LINE集客講座" in mail["subject"]
    assert mail["source"].endswith("<school@example.jp>")
    token, nonce = _login_link(env)
    with pytest.raises(Refused):  # a link for another course
        env.service.login(WS, "crs_other", token, nonce)
    with pytest.raises(Refused):
        env.service.login(WS, item.course_id, token[:-2] + "xx", nonce)
    member_sid, cookie = env.service.login(WS, item.course_id, token, nonce)
    assert member_sid == sid and env.service.member(WS, cookie).subscriber_id == sid
    with pytest.raises(Refused, match="すでに使われています"):
        env.service.login(WS, item.course_id, token, nonce)
    assert env.service.member(WS, cookie[:-1] + "x") is None
    assert env.service.member("w_other", cookie) is None

    env.service.request_login(WS, item.course_id, "hanako@example.jp")
    late_token, late_nonce = _login_link(env)
    manual_clock.advance(timedelta(minutes=16))
    with pytest.raises(Refused, match="有効期限"):
        env.service.login(WS, item.course_id, late_token, late_nonce)

    env.service.request_login(WS, item.course_id, "hanako@example.jp")
    _, phone = env.service.login(WS, item.course_id, *_login_link(env))
    assert len(env.service.sessions(WS, sid)) == 2
    env.service.logout(env.service.member(WS, phone), everywhere=False)
    assert env.service.member(WS, phone) is None and env.service.member(WS, cookie) is not None
    assert env.service.revoke_sessions(WS, sid) == 1  # staff: every device logs in again
    assert env.service.member(WS, cookie) is None
    manual_clock.advance(timedelta(days=1))


def test_completion_fires_triggers_once_and_admin_sees_progress_and_drop_off(env: Any, friend: Any,
                                                                              manual_clock: Any) -> None:
    item = course(env)
    first, second, third = lesson_ids(item)
    a, b = friend("a@example.jp"), friend("b@example.jp")
    buy(env, a, item.course_id, order_id="ord_a")
    buy(env, b, item.course_id, order_id="ord_b")
    with pytest.raises(ValidationFailed, match="まだ公開されていません"):
        env.service.complete_lesson(WS, item.course_id, a, third)
    assert env.service.complete_lesson(WS, item.course_id, a, first)
    assert not env.service.complete_lesson(WS, item.course_id, a, first)  # a double tap counts once
    env.service.complete_lesson(WS, item.course_id, a, second)
    env.service.complete_lesson(WS, item.course_id, b, first)
    manual_clock.advance(timedelta(days=8))
    env.service.complete_lesson(WS, item.course_id, a, third)
    fired = [(t[1], t[2], t[3].get("lesson_id")) for t in env.scenarios.triggers]
    assert fired == [(a, "lesson_completed", first), (a, "lesson_completed", second), (b, "lesson_completed", first),
                     (a, "lesson_completed", third), (a, "course_completed", None)]
    assert [e[0] for e in env.webhooks.events].count("course_completed") == 1
    report = env.service.members(WS, item.course_id)
    rows = {r["subscriber_id"]: r for r in report["members"]}
    assert (rows[a]["completed"], rows[a]["percent"], rows[b]["completed"]) == (3, 100, 1)
    assert [(d["completed"], d["stopped_before"]) for d in report["drop_off"]] == [(2, 0), (1, 1), (1, 0)]
    with pytest.raises(Refused):  # no access: nothing recorded
        env.service.complete_lesson(WS, item.course_id, friend("c@example.jp"), first)


def test_paid_until_follows_the_period_stripe_said() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    jan31 = int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())
    apr2 = int(datetime(2026, 4, 2, tzinfo=UTC).timestamp())
    mar20 = int(datetime(2026, 3, 20, tzinfo=UTC).timestamp())
    paid = {"a": {"paid": True, "created": jan31}}
    # the subscription's current_period_end wins over "one interval after the latest paid invoice"
    assert paid_until("subscription", "month", {"invoices": paid, "period_end": apr2}, now) == \
        datetime(2026, 4, 2, tzinfo=UTC)
    # the latest renewal failed: Stripe moved the period on, but only the paid invoice's period was paid for
    failed = {**paid, "b": {"failed": True, "created": jan31 + 99}}
    assert paid_until("subscription", "month", {"invoices": failed, "period_end": apr2, "paid_period_end": mar20},
                      now) == datetime(2026, 3, 20, tzinfo=UTC)
    assert paid_until("subscription", "month", {"invoices": failed, "period_end": apr2}, datetime(2026, 2, 1, tzinfo=UTC)) \
        == datetime(2026, 2, 28, tzinfo=UTC)
    assert paid_until("one_time", "month", {"period_end": apr2}, now) == now  # a one-time purchase: the refund ends it
