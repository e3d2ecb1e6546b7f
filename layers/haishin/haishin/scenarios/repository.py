"""Scenario definitions in WorkspaceTable, versioned.

- head:    pk ``ws#<workspace_id>`` sk ``scenario#<scenario_id>``: the latest definition (listing, triggers)
- version: pk ``ws#<workspace_id>`` sk ``scnver#<scenario_id>#<version:06d>``: immutable; an enrollment pins the
  version it started on, so editing a scenario never changes what a friend half-way through it receives.
Saving writes both in one transaction, conditional on the expected head version (two editors cannot both win).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from haishin import clock, ids
from haishin.errors import Conflict, NotFound
from haishin.scenarios.models import Scenario
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, connection, model_meta
from haishin.workspaces.models import workspace_pk

_HEAD_TTL_S = 30.0


def head_sk(scenario_id: str) -> str:
    return f"scenario#{scenario_id}"


def version_sk(scenario_id: str, version: int) -> str:
    return f"scnver#{scenario_id}#{version:06d}"


class ScenarioItem(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    scenario_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute()
    definition = JSONTextAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)
    deleted = NumberAttribute(default=0)

    def scenario(self) -> Scenario:
        return Scenario.model_validate(self.definition)


class ScenarioRepository:
    """Reads are cached per container: versions forever (immutable), heads for a few seconds."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str, int], Scenario] = {}
        self._heads: dict[str, tuple[float, list[Scenario]]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ write
    def save(self, workspace_id: str, scenario: Scenario, *, expected_version: int | None = None,
             actor: str | None = None, now: datetime | None = None) -> Scenario:
        """Create (no id or a new id) or update; returns the stored scenario with its new version."""
        now = now or clock.now()
        scenario_id = scenario.id or ids.new_id("scn_")
        current = self.get_head(workspace_id, scenario_id)
        if expected_version is not None and current is not None and current.version != expected_version:
            raise Conflict(f"the scenario changed meanwhile (version {current.version}, you edited "
                           f"{expected_version}); reload it", where="version")
        version = (current.version if current else 0) + 1
        stored = scenario.model_copy(update={"id": scenario_id, "version": version}, deep=True)
        definition = stored.model_dump(mode="json", by_alias=True)
        common: dict[str, Any] = {"workspace_id": workspace_id, "scenario_id": scenario_id, "name": stored.name,
                  "status": stored.status, "version": version, "definition": definition, "updated_at": now,
                  "updated_by": actor}
        head = ScenarioItem(workspace_pk(workspace_id), head_sk(scenario_id), **common)
        frozen = ScenarioItem(workspace_pk(workspace_id), version_sk(scenario_id, version), **common)
        condition = (ScenarioItem.pk.does_not_exist() if current is None
                     else ScenarioItem.version == current.version)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(head, condition=condition)
                transaction.save(frozen, condition=ScenarioItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise Conflict("the scenario changed meanwhile; reload it", where="version") from exc
        self.invalidate(workspace_id)
        return stored

    def delete(self, workspace_id: str, scenario_id: str) -> None:
        """Soft delete: versions stay (enrollments in progress finish), the head stops matching triggers."""
        item = self._head_item(workspace_id, scenario_id)
        if item is None:
            raise NotFound(f"このシナリオはワークスペースにありません: {scenario_id}", where="scenario_id")
        item.update(actions=[ScenarioItem.deleted.set(1), ScenarioItem.status.set("paused")])
        self.invalidate(workspace_id)

    def invalidate(self, workspace_id: str) -> None:
        with self._lock:
            self._heads.pop(workspace_id, None)

    # ------------------------------------------------------------------ read
    def _head_item(self, workspace_id: str, scenario_id: str) -> ScenarioItem | None:
        try:
            return ScenarioItem.get(workspace_pk(workspace_id), head_sk(scenario_id), consistent_read=True)
        except ScenarioItem.DoesNotExist:
            return None

    def get_head(self, workspace_id: str, scenario_id: str) -> Scenario | None:
        item = self._head_item(workspace_id, scenario_id)
        if item is None or item.deleted:
            return None
        return item.scenario()

    def require(self, workspace_id: str, scenario_id: str) -> Scenario:
        found = self.get_head(workspace_id, scenario_id)
        if found is None:
            raise NotFound(f"このシナリオはワークスペースにありません: {scenario_id}", where="scenario_id")
        return found

    def version(self, workspace_id: str, scenario_id: str, version: int) -> Scenario:
        key = (workspace_id, scenario_id, version)
        with self._lock:
            hit = self._versions.get(key)
        if hit is not None:
            return hit
        try:
            item = ScenarioItem.get(workspace_pk(workspace_id), version_sk(scenario_id, version))
        except ScenarioItem.DoesNotExist as exc:
            raise NotFound("scenario version not found", where=f"scenario {scenario_id} v{version}") from exc
        scenario = item.scenario()
        with self._lock:
            self._versions[key] = scenario
        return scenario

    def list(self, workspace_id: str, *, cached: bool = False) -> list[Scenario]:
        if cached:
            with self._lock:
                hit = self._heads.get(workspace_id)
            if hit and time.monotonic() - hit[0] < _HEAD_TTL_S:
                return hit[1]
        items = ScenarioItem.query(workspace_pk(workspace_id), ScenarioItem.sk.startswith("scenario#"))
        scenarios = [item.scenario() for item in items if not item.deleted]
        with self._lock:
            self._heads[workspace_id] = (time.monotonic(), scenarios)
        return scenarios
