"""A scenario's "immediately" first step leaves at once when an event without a reply token starts it (a form
answer, a form's start_scenario action, a payment), and when a reply cannot carry it (a daily cap to count, an
e-mail step): queued by the tick's own per-enrollment work at that moment, not at the next minute's tick."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from haishin.delivery.ledger import Ledger
from haishin.forms.inputs import FormDefinition
from tests.unit.line.test_instant_first_step import USER, ReplyLine, delivery, follow, record
from tests.unit.scenarios.step_harness import StepWorld

WELCOME_AFTER_FORM = {
    "name": "after-form", "triggers": [{"type": "form_submitted"}],
    "steps": [
        {"id": "hello", "timing": {"type": "immediately"}, "line": [{"type": "text", "text": "ご回答ありがとう"}]},
        {"id": "next", "timing": {"type": "after", "amount": 10, "unit": "minutes"},
         "line": [{"type": "text", "text": "二通目"}]},
    ],
}
FORM = {"name": "アンケート", "title": "アンケート",
        "fields": [{"key": "q", "label": "ご感想", "type": "text", "required": True}]}


def world_at_noon(manual_clock: Any, *, cap: int = 0) -> tuple[StepWorld, ReplyLine, str]:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))  # 12:00:20 JST, outside quiet hours
    line = ReplyLine()
    world = StepWorld(line)
    return world, line, world.workspace(cap=cap)


def enrollment_of(ws: str, scenario_id: str) -> Any:
    from haishin.scenarios.enrollments import EnrollmentModel  # noqa: PLC0415

    found = [e for e in EnrollmentModel.scan() if getattr(e, "workspace_id", None) == ws
             and e.scenario_id == scenario_id]
    assert len(found) == 1
    return found[0]


def submit(world: StepWorld, ws: str, friend: str, form: dict[str, Any]) -> None:
    forms = world.services.forms
    form_id = forms.create(ws, FormDefinition.model_validate(form)).form_id
    token = forms.mint_link(ws, form_id, friend)["token"]
    assert forms.submit(form_id, {"q": ["よかった"], "_nonce": ["n1"], "website": [""]}, token=token).outcome == "thanks"


def test_a_form_answer_queues_the_first_step_at_once_and_the_tick_sends_only_the_next(aws, manual_clock):
    world, line, ws = world_at_noon(manual_clock)
    scenario = world.scenario(ws, copy.deepcopy(WELCOME_AFTER_FORM))
    friend = world.friend(ws, USER)
    submit(world, ws, friend, FORM)
    queued = world.queue.take()  # on the delivery queue already, with no tick run
    assert [m.step.step_id for m in queued if m.step] == ["hello"]
    item = enrollment_of(ws, scenario.id)
    hello_id, hello_key = delivery(item, "hello")
    assert int(item.next_step) == 1 and queued[0].retry_key == hello_key
    world.waiting.extend(queued)
    world.drain()
    assert [r.text for r in line.of(USER)] == ["ご回答ありがとう"]
    assert Ledger().get(hello_id).status == "sent"  # type: ignore[union-attr]
    world.run_for(timedelta(minutes=15))
    assert [r.text for r in line.of(USER)] == ["ご回答ありがとう", "二通目"]


def test_a_forms_start_scenario_action_sends_its_first_step_at_once(aws, manual_clock):
    world, _line, ws = world_at_noon(manual_clock)
    raw = copy.deepcopy(WELCOME_AFTER_FORM)
    raw["name"], raw["triggers"] = "started-by-action", []
    scenario = world.scenario(ws, raw)
    friend = world.friend(ws, USER)
    submit(world, ws, friend, {**FORM, "actions": [{"type": "start_scenario", "scenario_id": scenario.id}]})
    queued = world.queue.take()
    assert [m.step.step_id for m in queued if m.step] == ["hello"]
    assert int(enrollment_of(ws, scenario.id).next_step) == 1


def test_a_payment_trigger_queues_the_first_step_at_once(aws, manual_clock):
    world, _line, ws = world_at_noon(manual_clock)
    raw = copy.deepcopy(WELCOME_AFTER_FORM)
    raw["name"], raw["triggers"] = "after-purchase", [{"type": "purchase_completed"}]
    scenario = world.scenario(ws, raw)
    friend = world.friend(ws, USER)
    world.services.collaborators.trigger(ws, friend, "purchase_completed", {"order_id": "o1"},
                                         idempotency_key="order:o1:purchase")
    assert [m.step.step_id for m in world.queue.take() if m.step] == ["hello"]
    assert int(enrollment_of(ws, scenario.id).next_step) == 1


def test_a_capped_workspaces_welcome_is_queued_at_once_and_counted_against_the_cap(aws, manual_clock):
    """A reply cannot take the daily cap's count, so the welcome goes by push, but now, not at the next tick."""
    world, line, ws = world_at_noon(manual_clock, cap=1)
    raw = copy.deepcopy(WELCOME_AFTER_FORM)
    raw["name"], raw["triggers"] = "welcome", [{"type": "friend_added"}]
    scenario = world.scenario(ws, raw)
    world.services.line_events.process_record(record([follow()], ws))
    queued = world.queue.take()
    assert [m.step.step_id for m in queued if m.step] == ["hello"]
    assert line.replies == []
    item = enrollment_of(ws, scenario.id)
    assert int(item.next_step) == 1
    day = datetime(2026, 1, 5, tzinfo=UTC).date().isoformat()
    assert not world.services.ledger.take_cap(ws, item.subscriber_id, day, 1)  # the welcome took today's one


def test_an_email_first_step_on_follow_is_queued_at_once(aws, manual_clock):
    world, _line, ws = world_at_noon(manual_clock)
    raw = copy.deepcopy(WELCOME_AFTER_FORM)
    raw["name"], raw["triggers"] = "welcome-mail", [{"type": "friend_added"}]
    raw["steps"][0] = {"id": "hello", "timing": {"type": "immediately"},
                       "email": {"subject": "ようこそ", "text": "ようこそ"}}
    scenario = world.scenario(ws, raw)
    world.services.line_events.process_record(record([follow()], ws))
    queued = world.queue.take()
    assert [(m.channel, m.step.step_id) for m in queued if m.step] == [("email", "hello")]
    assert int(enrollment_of(ws, scenario.id).next_step) == 1
