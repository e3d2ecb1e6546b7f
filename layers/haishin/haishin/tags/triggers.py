"""Scenario triggers fired when a friend's tags change: ``tag_added`` and ``tag_removed``.

Every writer that changes a friend's tags one friend at a time (``ActionRunner`` for forms, postbacks, auto-replies
and scenario steps; ``CrmService.patch`` for the admin page and API) computes the *change* inside its optimistic
write (a tag already present is not "added" again) and hands it here after the write. The scenario engine is a
collaborator (``TriggerSink``, implemented by ``haishin.scenarios.service.ScenarioService``) passed in where services
are built, so this package never imports the scenarios package.

Idempotent under retries: the key is derived from the cause (the caller's idempotency key, or the subscriber's
version after the write), the change kind and the tag ID; the engine enrolls at most once per key and scenario.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

TAG_ADDED = "tag_added"
TAG_REMOVED = "tag_removed"
TAG_TRIGGERS = frozenset({TAG_ADDED, TAG_REMOVED})


@runtime_checkable
class TriggerSink(Protocol):
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any] | None,
                   idempotency_key: str) -> object: ...


def fire_tag_changes(sink: TriggerSink | None, workspace_id: str, subscriber_id: str,
                     changes: Iterable[tuple[str, dict[str, Any]]], idempotency_key: str) -> None:
    """``changes``: (kind, {"tag_id", "tag"}) as recorded on the timeline; other kinds are ignored."""
    if sink is None:
        return
    for kind, data in changes:
        if kind not in TAG_TRIGGERS:
            continue
        tag_id = str(data["tag_id"])
        sink.on_trigger(workspace_id, subscriber_id, kind, {"tag_id": tag_id, "tag": data.get("tag") or tag_id},
                        idempotency_key=f"{idempotency_key}#{kind}#{tag_id}")
