"""Step delivery end to end in-process: enrollment -> tick -> worker -> (fake) LINE, on a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import step_delivery_id
from haishin.scenarios.enrollments import enrollment_pk
from haishin.tags.repository import TagRepository
from tests.unit.scenarios.step_harness import FakeLine, StepWorld

JST = ZoneInfo("Asia/Tokyo")


def text(t: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": t}]


THREE_STEPS = {
    "name": "welcome",
    "steps": [
        {"id": "hello", "timing": {"type": "immediately"}, "line": text("{{ name }}さん、友だち追加ありがとう")},
        {"id": "day1", "timing": {"type": "day_at", "day": 1, "at": "09:00"}, "line": text("day1")},
        {"id": "later", "timing": {"type": "after", "amount": 2, "unit": "hours", "from": "previous_step"},
         "line": text("later")},
    ],
}


def local(received: object) -> str:
    return received.at.astimezone(JST).strftime("%m-%d %H:%M")  # type: ignore[attr-defined]


def test_three_steps_land_on_the_right_minute_across_midnight(aws, manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 14, 30, tzinfo=UTC))  # 23:30 JST
    world = StepWorld()
    ws = world.workspace()
    sub = world.friend(ws, "U1")
    scenario = world.scenario(ws, THREE_STEPS)
    world.enroll(ws, sub, scenario)
    world.tick()
    world.drain()
    world.run_for(timedelta(hours=12), every=timedelta(minutes=5))
    got = world.line.of("U1")
    assert [r.text for r in got] == ["Hanakoさん、友だち追加ありがとう", "day1", "later"]
    assert [local(r) for r in got] == ["01-05 23:30", "01-06 09:00", "01-06 11:00"]


def test_enrollment_after_hhmm_on_day_zero_follows_the_stated_rule(aws, manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))  # 21:00 JST, after 20:00
    world = StepWorld()
    ws = world.workspace()
    a, b = world.friend(ws, "UA"), world.friend(ws, "UB")
    next_day = world.scenario(ws, {"name": "nd", "steps": [
        {"timing": {"type": "day_at", "day": 0, "at": "20:00", "late_enrollment": "next_day"}, "line": text("nd")}]})
    next_slot = world.scenario(ws, {"name": "ns", "steps": [
        {"timing": {"type": "day_at", "day": 0, "at": "20:00", "late_enrollment": "same_day_next_slot"},
         "line": text("ns")}]})
    enrolled = world.enroll(ws, a, next_day)
    assert any("next day" in note for note in enrolled.notes)  # stated, never a silent day slip
    world.enroll(ws, b, next_slot)
    world.tick()
    world.drain()
    world.run_for(timedelta(hours=24), every=timedelta(minutes=10))
    assert [local(r) for r in world.line.of("UB")] == ["01-05 21:00"]
    assert [local(r) for r in world.line.of("UA")] == ["01-06 20:00"]


def test_eight_hour_outage_catches_up_once_in_order_with_lateness_and_quiet_hours(aws, manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 4, 0, tzinfo=UTC))  # 13:00 JST
    world = StepWorld()
    ws = world.workspace(quiet=("22:00", "08:00"))
    steps = [
        {"id": "s1", "timing": {"type": "immediately"}, "line": text("s1")},
        {"id": "s2", "timing": {"type": "after", "amount": 2, "unit": "hours"}, "line": text("s2")},
        {"id": "s3", "timing": {"type": "after", "amount": 3, "unit": "hours"}, "line": text("s3")},
    ]
    late_ok = world.scenario(ws, {"name": "late ok", "steps": steps})
    strict = world.scenario(ws, {"name": "strict", "lateness": {"policy": "skip_if_late", "max_late_minutes": 60},
                                 "steps": steps})
    evening = world.scenario(ws, {"name": "evening", "steps": [
        {"id": "e1", "timing": {"type": "after", "amount": 4, "unit": "hours"}, "line": text("e1")},
        {"id": "e2", "timing": {"type": "after", "amount": 1, "unit": "hours"}, "line": text("e2")},
    ]})
    users = [f"U{i}" for i in range(3)]
    for user in users:
        sub = world.friend(ws, user)
        world.enroll(ws, sub, late_ok)
        world.enroll(ws, sub, strict)
        world.enroll(ws, sub, evening)
    world.tick()
    world.drain()
    world.run_for(timedelta(hours=1), every=timedelta(minutes=5))  # 14:00 JST
    manual_clock.advance(timedelta(hours=8))  # the tick is down; 22:00 JST: quiet hours started
    world.run_for(timedelta(hours=14), every=timedelta(minutes=5))  # until 12:00 JST next day
    for user in users:
        got = world.line.of(user)
        texts = [r.text for r in got]
        # strict skipped s2 and s3 (more than 60 min late); late_ok sent them once, after quiet hours, in order
        assert texts.count("s1") == 2 and texts.count("s2") == 1 and texts.count("s3") == 1
        assert texts.count("e1") == 1 and texts.count("e2") == 1
        assert texts.index("s2") < texts.index("s3") and texts.index("e1") < texts.index("e2")
        for r in got:
            hour = r.at.astimezone(JST).hour
            assert not (hour >= 22 or hour < 8), f"{r.text} sent in quiet hours at {local(r)}"
        assert local(next(r for r in got if r.text == "s2")) == "01-06 08:00"
        assert local(next(r for r in got if r.text == "s3")) == "01-06 11:00"  # 3 h after s2's (moved) time
    ledger = Ledger()
    row = ledger.get(step_delivery_id(enrollment_pk(ws, world.services.subscribers.find_by_line_user(
        ws, "1000000001", "U0").subscriber_id), strict.id, 1, "s2", "line"))
    assert row is not None and row.status == "skipped_late"


def test_faults_20_percent_and_429_every_step_exactly_once(aws, manual_clock):
    line = FakeLine(error_rate=0.08, timeout_rate=0.06, accepted_timeout_rate=0.06, throttle_rate=0.1, seed=3)
    world = StepWorld(line)
    ws = world.workspace()
    scenario = world.scenario(ws, THREE_STEPS)
    users = [f"U{i}" for i in range(8)]  # 24 steps: enough for every kind of fault (checked below)
    for user in users:
        world.enroll(ws, world.friend(ws, user), scenario)
    world.tick()
    world.drain()
    world.run_for(timedelta(days=2), every=timedelta(minutes=30))
    assert sum(line.faults.values()) > 5
    assert set(line.faults) == {"429", "5xx", "timeout", "accepted_then_timeout"}
    for user in users:
        assert [r.text.split("さん")[0] if "さん" in r.text else r.text for r in line.of(user)] == [
            "Hanako", "day1", "later"]
    assert not world.dlq


def test_redelivered_message_is_not_sent_twice_even_without_409(aws, manual_clock):
    world = StepWorld(FakeLine(honour_retry_keys=False))
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "one", "steps": [{"line": text("only once")}]})
    world.enroll(ws, world.friend(ws, "U1"), scenario)
    world.tick()
    message = world.waiting[0]
    world.drain()
    world.waiting.append(message)  # SQS at-least-once: the same message again
    world.drain()
    assert [r.text for r in world.line.of("U1")] == ["only once"]


def test_blocked_unsubscribed_and_failed_condition_receive_nothing(aws, manual_clock):
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "vip", "steps": [
        {"id": "offer", "conditions": {"all": [{"type": "has_tag", "tag": "vip"}]}, "line": text("offer")}]})
    blocked = world.friend(ws, "UB", status="blocked", tags={"vip"})
    unsub = world.friend(ws, "UU", tags={"vip"})
    no_tag = world.friend(ws, "UN")
    ok = world.friend(ws, "UO", tags={"vip"})
    world.services.subscribers.mutate(ws, unsub, lambda s: setattr(s, "unsubscribed_all", True))
    for sub in (blocked, unsub, no_tag, ok):
        world.enroll(ws, sub, scenario)
    world.tick()
    world.drain()
    assert {r.user_id for r in world.line.received} == {"UO"}
    ledger = Ledger()
    status = {sub: ledger.get(step_delivery_id(enrollment_pk(ws, sub), scenario.id, 1, "offer", "line")).status
              for sub in (blocked, unsub, no_tag)}
    assert status == {blocked: "skipped_blocked", unsub: "skipped_unsubscribed", no_tag: "skipped_condition"}


def test_mixed_channels_actions_and_idempotent_trigger(aws, manual_clock):
    world = StepWorld()
    ws = world.workspace()
    world.scenario(ws, {"name": "triple", "triggers": [{"type": "friend_added"}],
                        "stop_on": [{"type": "purchase_completed"}], "steps": [
        {"id": "t1", "line": text("hi {{ name }}"),
         "email": {"subject": "ようこそ {{ name }}",
                   "html": "<p>{{ name }}</p><a href='{{ unsubscribe_url }}'>停止</a>"},
         "sms": {"text": "hi"}, "actions": [{"type": "add_tag", "tag": "welcomed"}]},
        {"id": "t2", "timing": {"type": "after", "amount": 1, "unit": "days"}, "line": text("day 2")},
    ]})
    sub = world.friend(ws, "U1", email="a@example.com", phone="+819012345678", name="<b>花子</b>")
    service = world.services.scenario_service
    assert len(service.on_trigger(ws, sub, "friend_added", {}, "evt-1")) == 1
    assert service.on_trigger(ws, sub, "friend_added", {}, "evt-1") == []  # same key: enrolls once
    world.tick()
    world.drain()
    assert [r.text for r in world.line.of("U1")] == ["hi <b>花子</b>"]
    assert world.email.sent[0]["subject"] == "ようこそ <b>花子</b>"
    assert "&lt;b&gt;" in world.email.sent[0]["html"]  # HTML escapes variables
    assert world.sms.sent[0]["to"] == "+819012345678"
    assert "welcomed" in TagRepository().names(ws, world.services.subscribers.require(ws, sub).tags)
    service.on_trigger(ws, sub, "purchase_completed", {"product_id": "p1"}, "evt-2")  # stops the scenario
    world.run_for(timedelta(days=2), every=timedelta(minutes=30))
    assert [r.text for r in world.line.of("U1")] == ["hi <b>花子</b>"]
