"""Form field definitions and server-side validation (messages in Japanese, shown next to the field)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from haishin.phone import INVALID_PHONE_MESSAGE, to_e164

FieldType = Literal["text", "email", "phone", "number", "date", "select", "checkboxes", "radio", "textarea",
                    "seminar_session"]
CHOICE_TYPES = frozenset({"select", "checkboxes", "radio"})
# Where an answer goes on the subscriber: a contact attribute or a custom field (友だち情報).
CONTACT_TARGETS = frozenset({"email", "phone", "display_name"})

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FormField(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    label: str = Field(min_length=1, max_length=200)
    type: FieldType = "text"
    required: bool = False
    options: list[str] = Field(default_factory=list)
    help: str | None = Field(default=None, max_length=500)
    placeholder: str | None = Field(default=None, max_length=200)
    max_length: int = Field(default=1000, ge=1, le=10000)
    min: float | None = None
    max: float | None = None
    # "email" | "phone" | "display_name" | "field:<name>"; None writes the custom field named like the key.
    maps_to: str | None = None
    # type "seminar_session": the seminar whose sessions (with seats left) the friend picks; submitting registers
    # them (haishin.seminars through the forms' late-bound collaborator, ``Collaborators.seminar_sessions``)
    seminar_id: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _choices(self) -> FormField:
        if self.type in CHOICE_TYPES and not self.options:
            raise ValueError(f"項目 '{self.key}' ({self.type}) には選択肢が必要です")
        if self.type == "seminar_session" and not self.seminar_id:
            raise ValueError(f"項目 '{self.key}' (セミナー日程) にはセミナーの指定が必要です")
        if self.type == "seminar_session" and self.maps_to:
            raise ValueError(f"項目 '{self.key}' (セミナー日程) は友だち情報に保存できません (申込みになります)")
        if self.maps_to and self.maps_to not in CONTACT_TARGETS and not self.maps_to.startswith("field:"):
            raise ValueError("maps_to は email、phone、display_name、field:<項目名> のいずれかです")
        return self

    @property
    def target(self) -> str:
        if self.maps_to:
            return self.maps_to
        if self.type == "email":
            return "email"
        if self.type == "phone":
            return "phone"
        return f"field:{self.key}"


class FormDefinition(BaseModel):
    """What the admin sends to create or replace a form."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    fields: list[FormField] = Field(min_length=1, max_length=100)
    submit_label: str = Field(default="送信する", max_length=50)
    actions: list[dict[str, Any]] = Field(default_factory=list)  # haishin.actions, validated on save
    channel_id: str | None = None
    auto_reply: str | None = Field(default=None, max_length=5000)  # a template (haishin.render)
    thank_you_message: str = Field(default="ご回答ありがとうございました。", max_length=5000)
    redirect_url: HttpUrl | None = None
    status: Literal["open", "closed"] = "open"

    @field_validator("fields")
    @classmethod
    def _unique_keys(cls, fields: list[FormField]) -> list[FormField]:
        keys = [f.key for f in fields]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate:
            raise ValueError(f"項目キー '{duplicate}' が重複しています")
        return fields


def _one(field: FormField, raw: list[str]) -> tuple[Any, str | None]:
    text = (raw[0] if raw else "").strip()
    if not text:
        if field.required:
            verb = "選択" if field.type in {"select", "radio", "seminar_session"} else "入力"
            return None, f"「{field.label}」を{verb}してください。"
        return None, None
    if len(text) > field.max_length:
        return text, f"{field.max_length}文字以内で入力してください。"
    if field.type == "email":
        if not _EMAIL.match(text):
            return text, "メールアドレスの形式が正しくありません（例：hanako@example.com）。"
        return text, None
    if field.type == "phone":
        if to_e164(text) is None:
            return text, INVALID_PHONE_MESSAGE
        return text, None
    if field.type == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return text, "半角数字で入力してください。"
        if field.min is not None and number < field.min:
            return text, f"{field.min:g}以上の数値を入力してください。"
        if field.max is not None and number > field.max:
            return text, f"{field.max:g}以下の数値を入力してください。"
        return text, None
    if field.type == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            return text, "日付を正しく入力してください（例：2026-01-31）。"
        return text, None
    if field.type in {"select", "radio"} and text not in field.options:
        return text, "選択肢の中から選んでください。"
    return text, None


def validate(fields: list[FormField], data: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the answers. Returns (values as entered, errors by field key). ``values`` keeps what the friend typed,
    so a re-rendered page shows it again; ``typed_values`` converts it once there are no errors."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        raw = data.get(field.key, [])
        if field.type == "checkboxes":
            chosen = [c for c in raw if c]
            values[field.key] = chosen
            if field.required and not chosen:
                errors[field.key] = f"「{field.label}」を1つ以上選択してください。"
            elif any(c not in field.options for c in chosen):
                errors[field.key] = "選択肢の中から選んでください。"
            continue
        value, error = _one(field, raw)
        values[field.key] = value if value is not None else ""
        if error:
            errors[field.key] = error
    return values, errors


def typed_value(field: FormField, value: Any) -> Any:
    if value in ("", None, []):
        return None
    if field.type == "number":
        number = float(str(value).replace(",", ""))
        return int(number) if number.is_integer() else number
    if field.type == "phone":
        return to_e164(str(value)) or str(value)
    if field.type == "email":
        return str(value).strip().lower()
    return value
