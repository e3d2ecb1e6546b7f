"""``tag_added`` / ``tag_removed`` scenario triggers fire when a friend's tags change (actions and the admin patch),
once per change, idempotently."""

from __future__ import annotations

from typing import Any

import pytest

from haishin.actions import ActionRunner, AddTag, AddToField, RemoveTag
from haishin.scenarios.models import Trigger
from haishin.subscribers.service import SubscriberPatch
from haishin.tags.repository import TagIn, TagRepository
from haishin.wiring import Services
from tests.unit.scenarios.step_harness import StepWorld


def text(t: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": t}]


class SpySink:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []

    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any] | None,
                   idempotency_key: str) -> list[str]:
        self.calls.append((trigger, dict(detail or {}), idempotency_key))
        return []


def test_trigger_matches_tag_by_name_or_id() -> None:
    added = Trigger.model_validate({"type": "tag_added", "tag": "ＶＩＰ"})
    assert added.matches("tag_added", {"tag_id": "tag_1", "tag": "vip"})
    assert not added.matches("tag_added", {"tag_id": "tag_2", "tag": "新規"})
    assert Trigger.model_validate({"type": "tag_added", "tag": "tag_1"}).matches("tag_added", {"tag_id": "tag_1"})
    removed = Trigger.model_validate({"type": "tag_removed", "tag": "vip"})
    assert removed.matches("tag_removed", {"tag_id": "tag_1", "tag": "vip"})
    assert not removed.matches("tag_added", {"tag_id": "tag_1", "tag": "vip"})


def test_an_action_adding_a_tag_enrolls_and_the_step_is_sent(aws, manual_clock) -> None:
    world = StepWorld()
    ws = world.workspace()
    world.scenario(ws, {"name": "vip welcome", "triggers": [{"type": "tag_added", "tag": "vip"}],
                        "steps": [{"id": "hello", "line": text("VIPへようこそ")}]})
    world.scenario(ws, {"name": "vip lost", "triggers": [{"type": "tag_removed", "tag": "vip"}],
                        "steps": [{"id": "bye", "line": text("また会いましょう")}]})
    sub = world.friend(ws, "U1")
    world.services.actions.run(ws, sub, [AddTag(tag="vip")], actor="form:f1", idempotency_key="form:sub-1")
    world.tick()
    world.drain()
    assert [r.text for r in world.line.of("U1")] == ["VIPへようこそ"]
    world.services.actions.run(ws, sub, [RemoveTag(tag="vip")], actor="postback", idempotency_key="pb:1")
    world.tick()
    world.drain()
    assert [r.text for r in world.line.of("U1")] == ["VIPへようこそ", "また会いましょう"]


def test_a_tag_already_present_does_not_fire_again_and_retries_reuse_the_key(aws, manual_clock) -> None:
    world = StepWorld()
    ws = world.workspace()
    sub = world.friend(ws, "U1")
    spy = SpySink()
    root = world.services
    runner = ActionRunner(root.subscribers, root.timeline, scenarios=root.scenario_service, webhooks=root.webhooks,
                          events=root.webhooks, tag_triggers=spy)
    runner.run(ws, sub, [AddTag(tag="vip")], actor="form:f1", idempotency_key="form:1")
    runner.run(ws, sub, [AddTag(tag="vip")], actor="form:f1", idempotency_key="form:2")  # already tagged
    assert [(t, d["tag"]) for t, d, _ in spy.calls] == [("tag_added", "vip")]
    assert spy.calls[0][2].startswith("form:1#tag_added#")


def test_admin_patch_adding_and_removing_tags_fires_triggers(aws, manual_clock) -> None:
    world = StepWorld()
    ws = world.workspace()
    world.scenario(ws, {"name": "vip welcome", "triggers": [{"type": "tag_added", "tag": "vip"}],
                        "steps": [{"id": "hello", "line": text("VIPへようこそ")}]})
    TagRepository().create(ws, TagIn(name="vip"))
    sub = world.friend(ws, "U1")
    spy = SpySink()
    Services(scenario_service=spy).crm.patch(ws, sub, SubscriberPatch(add_tags=["vip"]), actor="operator:o1")
    Services(scenario_service=spy).crm.patch(ws, sub, SubscriberPatch(add_tags=["vip"]), actor="operator:o1")  # no change
    Services(scenario_service=spy).crm.patch(ws, sub, SubscriberPatch(remove_tags=["vip"]), actor="operator:o1")
    assert [(t, d["tag"]) for t, d, _ in spy.calls] == [("tag_added", "vip"), ("tag_removed", "vip")]
    crm = world.services.crm
    crm.patch(ws, sub, SubscriberPatch(add_tags=["vip"]), actor="operator:o1")
    world.tick()
    world.drain()
    assert [r.text for r in world.line.of("U1")] == ["VIPへようこそ"]


def test_sms_goes_to_e164_even_for_a_phone_stored_before_normalisation(aws, manual_clock) -> None:
    world = StepWorld()
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "sms", "steps": [{"id": "s1", "sms": {"text": "hi"}}]})
    sub = world.friend(ws, "U1", phone="090-1234-5678")
    world.enroll(ws, sub, scenario)
    world.tick()
    world.drain()
    assert [m["to"] for m in world.sms.sent] == ["+819012345678"]


class CrashAfterWrite:
    """A process that dies after the tag write, before the trigger reaches the scenario engine."""

    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any] | None,
                   idempotency_key: str) -> list[str]:
        raise SystemExit("crashed between the write and the trigger")


def test_a_crash_between_the_tag_write_and_its_trigger_is_recovered_by_the_retry(aws, manual_clock) -> None:
    world = StepWorld()
    ws = world.workspace()
    sub = world.friend(ws, "U1")
    actions = [AddTag(tag="vip"), AddToField(field="points", amount=1)]
    root = world.services
    wired = {"scenarios": root.scenario_service, "webhooks": root.webhooks, "events": root.webhooks}
    crashing = ActionRunner(root.subscribers, root.timeline, **wired, tag_triggers=CrashAfterWrite())
    with pytest.raises(SystemExit):
        crashing.run(ws, sub, actions, actor="form:f1", idempotency_key="form:1")
    spy = SpySink()
    retry = ActionRunner(root.subscribers, root.timeline, **wired, tag_triggers=spy)
    retry.run(ws, sub, actions, actor="form:f1", idempotency_key="form:1")  # the cause is delivered again
    assert [(t, d["tag"], k.split("#")[0]) for t, d, k in spy.calls] == [("tag_added", "vip", "form:1")]
    friend = world.services.subscribers.require(ws, sub)
    assert friend.fields["points"] == 1  # the retry applied nothing twice
    entries, _ = world.services.timeline.page(ws, sub)
    assert [e.kind for e in entries].count("tag_added") == 1  # the same timeline entry, rewritten
    retry.run(ws, sub, [AddTag(tag="vip")], actor="form:f1", idempotency_key="form:2")  # a new cause: present
    assert len(spy.calls) == 1
