"""Validating and coercing raw values (API JSON, CSV cells, form answers) into a field's stored form.

Errors are ``ValidationFailed`` whose message names the field by its label and whose ``where`` is
``fields.<key>`` (callers such as the CSV importer re-point ``where`` at a line and column).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from haishin.errors import ValidationFailed
from haishin.fields.models import FieldDefinition, FieldType
from haishin.jpdates import DEFAULT_TZ, DateParseError, format_jp, parse_jp_datetime
from haishin.storage.base import iso

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "はい", "有", "あり", "○", "〇", "◯", "済", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", "いいえ", "無", "なし", "×", "✕", "未", "f"})
_LIST_SPLIT = re.compile(r"\s*[,、\n]\s*")


@dataclass(frozen=True)
class Coerced:
    value: Any  # the stored form; None means "empty" (clear)
    end: str | None = None  # ISO end of a datetime range


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip() == ""  # str.strip() also removes the full-width space
    return isinstance(raw, list | tuple | set) and len(raw) == 0


def _fail(definition: FieldDefinition, message: str) -> ValidationFailed:
    return ValidationFailed(f"「{definition.label}」{message}", where=f"fields.{definition.key}")


def coerce(definition: FieldDefinition, raw: Any, *, tz: str = DEFAULT_TZ, now: datetime | None = None) -> Coerced:
    """The stored form of ``raw`` for ``definition`` (``Coerced(None)`` when empty)."""
    if is_empty(raw):
        return Coerced(None)
    kind = definition.type
    if kind is FieldType.TEXT:
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            raise _fail(definition, f" must be text, not {type(raw).__name__}")
        text = str(raw)
        if len(text) > 10_000:
            raise _fail(definition, " is longer than 10,000 characters")
        return Coerced(text)
    if kind is FieldType.NUMBER:
        return Coerced(_number(definition, raw))
    if kind is FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return Coerced(raw)
        word = unicodedata.normalize("NFKC", str(raw)).strip().lower()
        if word in TRUE_WORDS:
            return Coerced(True)
        if word in FALSE_WORDS:
            return Coerced(False)
        raise _fail(definition, f" must be yes or no (はい/いいえ, 1/0, TRUE/FALSE): '{raw}'")
    if kind is FieldType.CHOICE:
        return Coerced(_choice(definition, str(raw)))
    if kind is FieldType.MULTI_CHOICE:
        items = raw if isinstance(raw, list | tuple | set) else _LIST_SPLIT.split(str(raw).strip())
        chosen = {_choice(definition, str(item)) for item in items if not is_empty(item)}
        return Coerced([c for c in definition.choices if c in chosen])
    if kind is FieldType.DATE:
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return Coerced(raw.isoformat())
        parsed = _parse(definition, raw, tz, now)
        return Coerced(parsed.start.date().isoformat())
    if kind is FieldType.DATETIME:
        if isinstance(raw, datetime):
            if raw.tzinfo is None:
                raise _fail(definition, " needs a time zone")
            return Coerced(iso(raw))
        parsed = _parse(definition, raw, tz, now)
        return Coerced(iso(parsed.start), iso(parsed.end) if parsed.end else None)
    raise _fail(definition, f" has an unknown type {kind}")  # pragma: no cover


def _parse(definition: FieldDefinition, raw: Any, tz: str, now: datetime | None) -> Any:
    try:
        return parse_jp_datetime(str(raw), tz=tz, now=now)
    except DateParseError as exc:
        raise _fail(definition, f": {exc}") from None


def _number(definition: FieldDefinition, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _fail(definition, " must be a number, not yes/no")
    if isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").replace("円", "").lstrip("¥")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _fail(definition, f" must be a number: '{raw}'") from None
    if not value.is_finite():
        raise _fail(definition, f" must be a finite number: '{raw}'")
    return int(value) if value == value.to_integral_value() else float(value)


def _choice(definition: FieldDefinition, raw: str) -> str:
    if raw in definition.choices:
        return raw
    wanted = unicodedata.normalize("NFKC", raw).strip()
    for choice in definition.choices:
        if unicodedata.normalize("NFKC", choice) == wanted:
            return choice
    raise _fail(definition, f" must be one of {', '.join(definition.choices)}: '{raw}'")


def add_number(definition: FieldDefinition, current: Any, amount: float) -> int | float:
    """Scoring: ``current + amount`` (an empty field counts as 0); only for number fields."""
    if definition.type is not FieldType.NUMBER:
        raise _fail(definition, " is not a number field, so it cannot be added to")
    base = 0 if is_empty(current) else _number(definition, current)
    total = Decimal(str(base)) + Decimal(str(amount))
    return int(total) if total == total.to_integral_value() else float(total)


def to_text(definition: FieldDefinition | None, value: Any, end: str | None = None, *, tz: str = DEFAULT_TZ) -> str:
    """The CSV/display form of a stored value; ``coerce`` reads it back to the same stored value."""
    if value is None:
        return ""
    kind = definition.type if definition else None
    if kind is FieldType.DATETIME and isinstance(value, str):
        start = datetime.fromisoformat(value).astimezone(UTC)
        return format_jp(start, tz=tz, end=datetime.fromisoformat(end) if end else None)
    if kind is FieldType.DATE and isinstance(value, str):
        return value.replace("-", "/")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
