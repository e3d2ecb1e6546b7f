"""How LINE events reach the scenario engine, without depending on it.

The engine (``haishin.scenarios``, written separately) is expected to expose ``haishin.scenarios.service``
with a class ``ScenarioService`` constructible without arguments that implements ``ScenarioTriggers`` below (and
``haishin.actions.ScenarioControl``: ``start`` / ``stop`` / ``stop_all``). ``load_triggers`` wires it when that
module exists; otherwise a no-op that logs, so ingestion works before the engine lands.

Triggers fired from ingestion: ``friend_added`` (follow; detail ``{"channel_id", "is_unblocked"}``), and
``stop_all(reason="blocked")`` on unfollow. ``idempotency_key`` is deterministic (``follow:<webhookEventId>``): the
engine must enroll at most once per key.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger("haishin.ingest")

FRIEND_ADDED = "friend_added"


class ScenarioTriggers(Protocol):
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> None: ...

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> None: ...


class NoopTriggers:
    """Used until ``haishin.scenarios.service`` exists: logs what it would have done; also a ScenarioControl."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> None:
        self.calls.append(("trigger", workspace_id, subscriber_id, trigger, idempotency_key))
        log.info("no scenario engine installed: trigger %s for %s ignored", trigger, subscriber_id)

    def stop_all(self, workspace_id: str, subscriber_id: str, *, reason: str) -> None:
        self.calls.append(("stop_all", workspace_id, subscriber_id, reason))
        log.info("no scenario engine installed: stop_all(%s) for %s ignored", reason, subscriber_id)

    def start(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, trigger: str) -> None:
        self.calls.append(("start", workspace_id, subscriber_id, scenario_id, trigger))
        log.info("no scenario engine installed: start %s for %s ignored", scenario_id, subscriber_id)

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> None:
        self.calls.append(("stop", workspace_id, subscriber_id, scenario_id, reason))
        log.info("no scenario engine installed: stop %s for %s ignored", scenario_id, subscriber_id)


def load_triggers() -> Any:
    """The scenario engine, as wired for the handlers (``haishin.wiring``)."""
    from haishin.wiring import services  # noqa: PLC0415 - the engine pulls in the delivery path; load on first use

    return services().scenario_service
