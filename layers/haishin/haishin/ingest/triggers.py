"""What ingestion needs of the scenario engine (``haishin.scenarios.service.ScenarioService`` implements it; the
composition root passes it in).

Triggers fired from ingestion: ``friend_added`` (follow; detail ``{"channel_id", "is_unblocked"}``), and
``stop_all(reason="blocked")`` on unfollow. ``idempotency_key`` is deterministic (``follow:<webhookEventId>``): the
engine must enroll at most once per key.
"""

from __future__ import annotations

from typing import Any, Protocol

FRIEND_ADDED = "friend_added"


class ScenarioTriggers(Protocol):
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> object: ...

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> object: ...
