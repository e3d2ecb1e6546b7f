"""The composition root's one late listener: looked up on each call, never at construction, whatever its kind."""

from __future__ import annotations

import copy
from typing import Any

from haishin.webhook_events import EventFanout, LateListener


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        self.calls.append(("publish", workspace_id, event_type, idempotency_key))
        return 0

    def on_menu_replaced(self, workspace_id: str, channel_id: str, old_line_id: str, new_line_id: str | None) -> None:
        self.calls.append(("replaced", workspace_id, channel_id, old_line_id, new_line_id))


def test_the_listener_is_looked_up_on_the_first_event_not_when_the_fanout_is_built() -> None:
    built: list[Recorder] = []

    def get() -> Recorder:
        if not built:
            built.append(Recorder())
        return built[0]

    webhooks = Recorder()
    fanout = EventFanout(webhooks, LateListener(get))
    assert built == []
    fanout.publish("ws1", "tag_added", {}, idempotency_key="k1")
    assert built[0].calls == [("publish", "ws1", "tag_added", "k1")]
    assert webhooks.calls == [("publish", "ws1", "tag_added", "k1")]


def test_any_listener_kind_is_forwarded_to_what_get_returns_then() -> None:
    first, second = Recorder(), Recorder()
    current = [first]
    late = LateListener(lambda: current[0])
    late.on_menu_replaced("ws1", "ch1", "old", "new")
    current[0] = second
    late.on_menu_replaced("ws1", "ch1", "new", None)
    assert first.calls == [("replaced", "ws1", "ch1", "old", "new")]
    assert second.calls == [("replaced", "ws1", "ch1", "new", None)]


def test_copying_or_probing_private_names_never_looks_the_listener_up() -> None:
    def get() -> Recorder:
        raise AssertionError("looked up")

    late = LateListener(get)
    assert not hasattr(late, "_private")
    copy.copy(late)
