"""Field definitions (友だち情報 / 読者項目) in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``field#<key>``.

The value of a field lives on the subscriber row (``SubscriberModel.fields[key]``) in its stored form:
text -> str; number -> int or float; date -> ``YYYY-MM-DD``; datetime -> ISO-8601 UTC text (``iso()``; the end of a
range goes to ``SubscriberModel.field_ends[key]``); choice -> str (one of ``choices``); multi_choice -> list of str
in ``choices`` order; boolean -> bool.

Scope: ``shared`` (共通: every scenario reads and writes it) or ``scenario`` (シナリオ別: belongs to ``scenario_id``).
Keys are unique per workspace whatever the scope, so a value never needs a scope to be found.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta

RESERVED_PREFIX = "_"  # keys starting with "_" are the system's (e.g. summaries other areas maintain)


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"  # プルダウン / single choice
    MULTI_CHOICE = "multi_choice"  # チェックボックス / multiple choice
    BOOLEAN = "boolean"


class FieldDefinition(BaseModel):
    """A field as the API and the domain see it."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
    label: str = Field(min_length=1, max_length=100)
    type: FieldType
    choices: list[str] = Field(default_factory=list, max_length=200, validate_default=True)
    scope: Literal["shared", "scenario"] = "shared"
    scenario_id: str | None = Field(default=None, validate_default=True)
    position: int = 0
    # 必須: a value, once given, cannot be cleared (admin edit, CSV import with "clear"); screens and forms show
    # the field as required. Friends who never gave one (a LINE follow) simply have none.
    required: bool = False

    @field_validator("choices")
    @classmethod
    def _choices(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # Checked here, not in the model validator, so the error names `choices` (the screen shows it there).
        kind = info.data.get("type")
        if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and not value:
            raise ValueError("選択式の項目には選択肢を 1 つ以上入れてください")
        if kind is not None and kind not in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and value:
            raise ValueError("選択肢は選択式の項目にだけ設定できます")
        cleaned = [c.strip() for c in value]
        for choice in cleaned:
            if not choice:
                raise ValueError("空の選択肢は入れられません")
            if "," in choice or "、" in choice:
                raise ValueError(f"選択肢に「,」「、」は使えません(CSV で選択肢を区切る文字です): 「{choice}」")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("同じ選択肢が 2 回入っています")
        return cleaned

    @field_validator("scenario_id")
    @classmethod
    def _scenario(cls, value: str | None, info: ValidationInfo) -> str | None:
        scope = info.data.get("scope")
        if scope == "scenario" and not value:
            raise ValueError("シナリオ別の項目にはシナリオを選んでください")
        if scope == "shared" and value:
            raise ValueError("共通の項目にはシナリオを指定できません")
        return value


class FieldDefinitionModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    key = UnicodeAttribute()
    label = UnicodeAttribute()
    type = UnicodeAttribute()
    choices = JSONTextAttribute(default=list)
    scope = UnicodeAttribute(default="shared")
    scenario_id = UnicodeAttribute(null=True)
    position = NumberAttribute(default=0)
    required = BooleanAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    def to_definition(self) -> FieldDefinition:
        return FieldDefinition(
            key=self.key, label=self.label, type=FieldType(self.type), choices=list(self.choices or []),
            scope=self.scope, scenario_id=self.scenario_id, position=int(self.position or 0),  # type: ignore[arg-type]
            required=bool(self.required),
        )


def field_sk(key: str) -> str:
    return f"field#{key}"


def definition_to_dict(definition: FieldDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json")
