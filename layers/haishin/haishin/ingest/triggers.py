"""What ingestion needs of the scenario engine (``haishin.scenarios.service.ScenarioService`` implements it; the
composition root passes it in).

Triggers fired from ingestion: ``friend_added`` (follow; detail ``{"channel_id", "is_unblocked"}``), and
``stop_all(reason="blocked")`` on unfollow. ``idempotency_key`` is deterministic (``follow:<webhookEventId>``): the
engine must enroll at most once per key. ``enroll=False``: the trigger's stops only (a follow by an inflow route that
replaces the friend-added scenarios).
"""

from __future__ import annotations

from typing import Any, Protocol

from haishin.scenarios.triggers import FRIEND_ADDED, ROUTE_STARTED

__all__ = ["FRIEND_ADDED", "ROUTE_STARTED", "ScenarioTriggers"]


class ScenarioTriggers(Protocol):
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str, *, enroll: bool = True) -> object: ...

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> object: ...
