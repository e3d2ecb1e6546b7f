"""The one action model. Scenario steps, LINE postbacks, forms, auto-replies and products all run the same actions.

An action is data (validated with pydantic, so a scenario file or a postback payload that names a bad action gets an
error saying which field is wrong); ``ActionRunner`` applies a list of them to one subscriber.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from haishin import clock
from haishin.subscribers.models import SubscriberModel
from haishin.subscribers.repository import SubscriberRepository
from haishin.tags.repository import TagRepository
from haishin.tags.triggers import TriggerSink, fire_tag_changes, recorded_tag_changes, remember_tag_changes
from haishin.timeline.models import Timeline
from haishin.webhook_events import WebhookCaller, WebhookEvents


class _Action(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class AddTag(_Action):
    type: Literal["add_tag"] = "add_tag"
    tag: str = Field(min_length=1, max_length=100)


class RemoveTag(_Action):
    type: Literal["remove_tag"] = "remove_tag"
    tag: str = Field(min_length=1, max_length=100)


class SetField(_Action):
    type: Literal["set_field"] = "set_field"
    field: str = Field(min_length=1, max_length=100)
    value: Any = None


class AddToField(_Action):
    """Scoring: add (or, with a negative amount, subtract) to a numeric field."""

    type: Literal["add_to_field"] = "add_to_field"
    field: str = Field(min_length=1, max_length=100)
    amount: float


class StartScenario(_Action):
    type: Literal["start_scenario"] = "start_scenario"
    scenario_id: str = Field(min_length=1)


class StopScenario(_Action):
    type: Literal["stop_scenario"] = "stop_scenario"
    scenario_id: str = Field(min_length=1)


class StopAllScenarios(_Action):
    type: Literal["stop_all_scenarios"] = "stop_all_scenarios"


ENDPOINT_ID = re.compile(r"^whep_[0-9A-Z]{26}$")


class CallWebhook(_Action):
    """A signed, queued, retried call to one of the workspace's webhook endpoints (``haishin.webhooks``).

    It names an endpoint registered in the admin (URL and signing secret live there), never a raw URL: the URL is
    checked once where an owner registers it, and another workspace's endpoint is refused (``haishin.ownership``).
    """

    type: Literal["call_webhook"] = "call_webhook"
    endpoint_id: str

    @field_validator("endpoint_id")
    @classmethod
    def _endpoint_id(cls, value: str) -> str:
        if not ENDPOINT_ID.match(value):
            raise ValueError("endpoint_id: Webhook エンドポイントのID（whep_ で始まる）を指定してください")
        return value


Action = Annotated[
    AddTag | RemoveTag | SetField | AddToField | StartScenario | StopScenario | StopAllScenarios | CallWebhook,
    Field(discriminator="type"),
]
ACTIONS_ADAPTER: TypeAdapter[list[Action]] = TypeAdapter(list[Action], config=ConfigDict(defer_build=True))


def parse_actions(raw: Any) -> list[Action]:
    """Validate raw JSON into actions; pydantic's error names the index and field that is wrong."""
    return ACTIONS_ADAPTER.validate_python(raw)


class ScenarioControl(Protocol):
    """Implemented by the scenario engine (haishin.scenarios)."""

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None: ...

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> object: ...

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> object: ...


class ActionRunner:
    def __init__(
        self,
        subscribers: SubscriberRepository,
        timeline: Timeline,
        *,
        scenarios: ScenarioControl,
        webhooks: WebhookCaller,
        events: WebhookEvents,
        tags: TagRepository | None = None,
        tag_triggers: TriggerSink | None = None,
    ) -> None:
        self.subscribers = subscribers
        self.timeline = timeline
        self.scenarios = scenarios
        self.webhooks = webhooks
        self.events = events  # tag_added / tag_removed also go to the endpoints subscribed to them
        self.tags = tags or TagRepository()
        # tag_added / tag_removed go to the scenario engine: given explicitly, or the scenario control itself
        # when it takes triggers (ScenarioService does).
        self.tag_triggers = tag_triggers if tag_triggers is not None else (
            scenarios if isinstance(scenarios, TriggerSink) else None)

    def run(
        self, workspace_id: str, subscriber_id: str, actions: Sequence[Action], *, actor: str,
        idempotency_key: str,
    ) -> SubscriberModel | None:
        """Apply actions in order. Subscriber changes are saved in one write; side effects follow it.

        ``idempotency_key`` identifies the cause (e.g. "postback:<webhookEventId>") so that re-running after a
        crash does not call a webhook twice (the webhook queue dedupes on it).
        """
        if not actions:
            return None
        changes: list[tuple[str, dict[str, Any]]] = []
        # Friends carry tag IDs; actions name tags by name or ID. Unknown names become new tags (as in Lステップ,
        # where a tag action may introduce a tag).
        tag_names = [a.tag for a in actions if isinstance(a, AddTag | RemoveTag)]
        tag_ids = dict(zip(tag_names, self.tags.resolve(workspace_id, tag_names, create_missing=True), strict=True)) \
            if tag_names else {}

        happened: list[datetime] = []

        tagging = any(isinstance(a, AddTag | RemoveTag) for a in actions)

        def change(subscriber: SubscriberModel) -> None:
            changes.clear()
            now = clock.now()
            recorded = recorded_tag_changes(subscriber, idempotency_key, now) if tagging else None
            if recorded is not None:  # this cause wrote before a crash: nothing again, its triggers still fire
                changes[:] = recorded[0]
                happened[:] = [recorded[1]]
                return
            happened[:] = [now]
            tags = set(subscriber.tags or set())
            fields = dict(subscriber.fields or {})
            for action in actions:
                if isinstance(action, AddTag) and tag_ids[action.tag] not in tags:
                    tags.add(tag_ids[action.tag])
                    changes.append(("tag_added", {"tag_id": tag_ids[action.tag], "tag": action.tag}))
                elif isinstance(action, RemoveTag) and tag_ids[action.tag] in tags:
                    tags.discard(tag_ids[action.tag])
                    changes.append(("tag_removed", {"tag_id": tag_ids[action.tag], "tag": action.tag}))
                elif isinstance(action, SetField) and fields.get(action.field) != action.value:
                    changes.append(("field_changed", {"field": action.field, "old": fields.get(action.field),
                                                      "new": action.value}))
                    fields[action.field] = action.value
                elif isinstance(action, AddToField):
                    old = fields.get(action.field) or 0
                    new = (float(old) if isinstance(old, int | float | str) and str(old) else 0.0) + action.amount
                    new_value: float | int = int(new) if new.is_integer() else new
                    fields[action.field] = new_value
                    changes.append(("field_changed", {"field": action.field, "old": old, "new": new_value}))
            subscriber.tags = tags
            subscriber.fields = fields
            if tagging:
                remember_tag_changes(subscriber, idempotency_key, changes, now)

        needs_write = any(isinstance(a, AddTag | RemoveTag | SetField | AddToField) for a in actions)
        subscriber = (
            self.subscribers.mutate(workspace_id, subscriber_id, change) if needs_write
            else self.subscribers.require(workspace_id, subscriber_id)
        )
        now = happened[0] if happened else clock.now()  # a replay rewrites the same timeline entries
        for index, (kind, data) in enumerate(changes):
            self.timeline.append(workspace_id, subscriber_id, kind, data, actor=actor, at=now,
                                 entry_id=f"{idempotency_key}#{index}")
        fire_tag_changes(self.tag_triggers, workspace_id, subscriber_id, changes, idempotency_key)
        for index, (kind, data) in enumerate(changes):
            if kind in ("tag_added", "tag_removed"):
                self.events.publish(workspace_id, kind, {"subscriber_id": subscriber_id, **data, "cause": actor},
                                    idempotency_key=f"{idempotency_key}#{index}")
        for action in actions:
            if isinstance(action, StartScenario | StopScenario | StopAllScenarios):
                if self.scenarios is None:
                    raise RuntimeError("scenario actions need the scenario engine")
                if isinstance(action, StartScenario):
                    self.scenarios.start(workspace_id, subscriber_id, action.scenario_id, trigger=actor)
                elif isinstance(action, StopScenario):
                    self.scenarios.stop(workspace_id, subscriber_id, action.scenario_id, reason=actor)
                else:
                    self.scenarios.stop_all(workspace_id, subscriber_id, reason=actor)
            elif isinstance(action, CallWebhook):
                if self.webhooks is None:
                    raise RuntimeError("webhook actions need the webhook queue")
                self.webhooks.enqueue(
                    workspace_id, subscriber_id, action.endpoint_id,
                    {"cause": actor, "tags": sorted(subscriber.tags or set()), "fields": subscriber.fields or {}},
                    idempotency_key=f"{idempotency_key}#webhook#{action.endpoint_id}",
                )
        return subscriber
