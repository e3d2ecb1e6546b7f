"""Reading and writing field definitions, and applying typed changes to a subscriber's values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from pynamodb.exceptions import PutError

from haishin import clock
from haishin.errors import Conflict, NotFound, ValidationFailed, pydantic_message
from haishin.fields.models import FieldDefinition, FieldDefinitionModel, field_sk
from haishin.fields.values import Coerced, add_number, coerce, is_empty
from haishin.workspaces.models import workspace_pk

EmptyPolicy = Literal["keep", "clear"]


class FieldRepository:
    def all(self, workspace_id: str) -> list[FieldDefinition]:
        rows = FieldDefinitionModel.query(
            workspace_pk(workspace_id), FieldDefinitionModel.sk.startswith("field#"), consistent_read=True
        )
        return sorted((row.to_definition() for row in rows), key=lambda d: (d.position, d.label))

    def by_key(self, workspace_id: str) -> dict[str, FieldDefinition]:
        return {d.key: d for d in self.all(workspace_id)}

    def get(self, workspace_id: str, key: str) -> FieldDefinition | None:
        try:
            return FieldDefinitionModel.get(workspace_pk(workspace_id), field_sk(key), consistent_read=True)\
                .to_definition()
        except FieldDefinitionModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, key: str) -> FieldDefinition:
        found = self.get(workspace_id, key)
        if found is None:
            raise NotFound(f"no field '{key}'", where=f"fields.{key}")
        return found

    def create(self, workspace_id: str, definition: FieldDefinition) -> FieldDefinition:
        existing = self.all(workspace_id)
        if any(d.label == definition.label for d in existing):
            raise Conflict(f"「{definition.label}」という表示名の項目はすでにあります", where="label")
        now = clock.now()
        row = FieldDefinitionModel(
            pk=workspace_pk(workspace_id), sk=field_sk(definition.key), workspace_id=workspace_id,
            key=definition.key, label=definition.label, type=definition.type.value, choices=definition.choices,
            scope=definition.scope, scenario_id=definition.scenario_id, position=definition.position,
            required=definition.required, created_at=now, updated_at=now,
        )
        try:
            row.save(condition=FieldDefinitionModel.pk.does_not_exist())
        except PutError as exc:
            raise Conflict(f"キー「{definition.key}」の項目はすでにあります", where="key") from exc
        return definition

    def update(self, workspace_id: str, key: str, changes: Mapping[str, Any]) -> FieldDefinition:
        """Change label, choices, position, scope, required (the type and key stay: stored values depend on them)."""
        current = self.require(workspace_id, key)
        if "type" in changes and changes["type"] != current.type.value:
            raise ValidationFailed("a field's type cannot change; create a new field", where="type")
        if "key" in changes and changes["key"] != key:
            raise ValidationFailed("a field's key cannot change", where="key")
        try:
            merged = FieldDefinition.model_validate({**current.model_dump(mode="json"), **dict(changes)})
        except ValidationError as exc:  # the field of the change that is wrong (422), not a 500
            first = exc.errors()[0]
            raise ValidationFailed(pydantic_message(first),
                                   where=".".join(str(p) for p in first.get("loc", ())) or "body") from None
        if merged.label != current.label and any(d.label == merged.label for d in self.all(workspace_id)):
            raise Conflict(f"「{merged.label}」という表示名の項目はすでにあります", where="label")
        row = FieldDefinitionModel.get(workspace_pk(workspace_id), field_sk(key), consistent_read=True)
        row.label = merged.label
        row.choices = merged.choices
        row.position = merged.position
        row.scope = merged.scope
        row.scenario_id = merged.scenario_id
        row.required = merged.required
        row.updated_at = clock.now()
        row.save()
        return merged

    def delete(self, workspace_id: str, key: str) -> None:
        """Removes the definition; values stay on subscribers (invisible) until a field with the key comes back."""
        self.require(workspace_id, key)
        FieldDefinitionModel(workspace_pk(workspace_id), field_sk(key)).delete()


@dataclass
class FieldChanges:
    """Typed changes for one subscriber, computed before anything is written (so a row is never half-written)."""

    values: dict[str, Coerced] = field(default_factory=dict)  # key -> coerced (value None = clear)
    additions: dict[str, float] = field(default_factory=dict)  # key -> amount (scoring)

    def apply(
        self, fields: dict[str, Any], ends: dict[str, Any], definitions: Mapping[str, FieldDefinition]
    ) -> list[dict[str, Any]]:
        """Apply in place; returns the timeline data of each actual change ({field, old, new})."""
        changed: list[dict[str, Any]] = []
        for key, coerced in self.values.items():
            old = fields.get(key)
            if coerced.value is None:
                if key in fields:
                    del fields[key]
                    ends.pop(key, None)
                    changed.append({"field": key, "old": old, "new": None})
                continue
            if old != coerced.value or ends.get(key) != coerced.end:
                fields[key] = coerced.value
                if coerced.end:
                    ends[key] = coerced.end
                else:
                    ends.pop(key, None)
                changed.append({"field": key, "old": old, "new": coerced.value})
        for key, amount in self.additions.items():
            old = fields.get(key)
            new = add_number(definitions[key], old, amount)
            fields[key] = new
            changed.append({"field": key, "old": old, "new": new})
        return changed


def plan_field_changes(
    definitions: Mapping[str, FieldDefinition],
    raw_values: Mapping[str, Any],
    *,
    empty_values: EmptyPolicy = "clear",
    additions: Mapping[str, float] | None = None,
    tz: str = "Asia/Tokyo",
    now: datetime | None = None,
) -> FieldChanges:
    """Validate every value first; raise ``ValidationFailed`` (naming the field) before anything is changed.

    ``empty_values``: ``clear`` (an explicit empty value clears the field; the API's PATCH default) or ``keep``
    (an empty value leaves a filled field untouched; the CSV import's default, so a blank 名前 column never wipes
    names of friends who registered elsewhere).
    """
    plan = FieldChanges()
    for key, raw in raw_values.items():
        definition = definitions.get(key)
        if definition is None:
            raise ValidationFailed(f"no field '{key}'", where=f"fields.{key}")
        if is_empty(raw) and empty_values == "keep":
            continue
        plan.values[key] = coerce(definition, raw, tz=tz, now=now)
        if definition.required and plan.values[key].value is None:
            raise ValidationFailed(f"「{definition.label}」は必須項目のため空にできません", where=f"fields.{key}")
    for key, amount in (additions or {}).items():
        definition = definitions.get(key)
        if definition is None:
            raise ValidationFailed(f"no field '{key}'", where=f"fields.{key}")
        add_number(definition, 0, amount)  # type check now, value later
        plan.additions[key] = amount
    return plan
