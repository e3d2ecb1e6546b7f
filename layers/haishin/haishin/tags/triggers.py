"""Scenario triggers fired when a friend's tags change: ``tag_added`` and ``tag_removed``.

Every writer that changes a friend's tags one friend at a time (``ActionRunner`` for forms, postbacks, auto-replies
and scenario steps; ``CrmService.patch`` for the admin page and API) computes the *change* inside its optimistic
write (a tag already present is not "added" again) and hands it here after the write. The scenario engine is a
collaborator (``TriggerSink``, implemented by ``haishin.scenarios.service.ScenarioService``) passed in where services
are built, so this package never imports the scenarios package.

Idempotent under retries: the key is derived from the cause (the caller's idempotency key, or the subscriber's
version after the write), the change kind and the tag ID; the engine enrolls at most once per key and scenario.

Durable across a crash between the write and the trigger (``recorded_tag_changes``, ``remember_tag_changes``): a
writer whose cause is retried (a LINE event, a queued step, a Stripe event, an import chunk) records the cause's
changes on the friend's row in the same optimistic write as the tags (``tag_changes_by_cause``: cause key -> when
and which changes, kept ``REPLAY_WINDOW``). The retry finds its cause recorded, applies nothing again and fires the
recorded changes (the engine's keys make that harmless when they had fired), instead of seeing "tag already
present, nothing changed" and losing them. No extra write: the record rides on the write that changes the tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
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


REPLAY_WINDOW = timedelta(hours=24)  # longer than any retry of a cause (SQS retention of a retried message aside)


def _recent(subscriber: Any, now: datetime) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, entry in dict(getattr(subscriber, "tag_changes_by_cause", None) or {}).items():
        try:
            at = datetime.fromisoformat(str(entry["at"]))
        except (KeyError, TypeError, ValueError):
            continue
        if now - at <= REPLAY_WINDOW:
            kept[key] = entry
    return kept


def recorded_tag_changes(subscriber: Any, cause: str, now: datetime
                         ) -> tuple[list[tuple[str, dict[str, Any]]], datetime] | None:
    """Inside the optimistic write, before changing anything: (the changes, when) this cause already wrote on the
    row (a retry after a crash: apply nothing again, fire these), or None for a new cause."""
    entry = _recent(subscriber, now).get(cause)
    if entry is None:
        return None
    return [(str(kind), dict(data)) for kind, data in entry["changes"]], datetime.fromisoformat(str(entry["at"]))


def remember_tag_changes(subscriber: Any, cause: str, changes: list[tuple[str, dict[str, Any]]], now: datetime
                         ) -> None:
    """Inside the optimistic write that changes the tags: record ``changes`` (whole, so a replay rewrites the same
    timeline entries) under ``cause`` when they hold a tag change; drop records older than ``REPLAY_WINDOW``."""
    kept = _recent(subscriber, now)
    if any(kind in TAG_TRIGGERS for kind, _data in changes):
        kept[cause] = {"at": now.isoformat(), "changes": [[kind, data] for kind, data in changes]}
    subscriber.tag_changes_by_cause = kept or None
