"""Step conditions, evaluated against the subscriber at send time (the worker), and by the simulator."""

from __future__ import annotations

from typing import Any

from haishin.scenarios.models import Condition, FieldIs, HasTag, LacksTag, StepConditions


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def holds(condition: Condition, tags: set[str], fields: dict[str, Any]) -> bool:
    if isinstance(condition, HasTag):
        return condition.tag in tags
    if isinstance(condition, LacksTag):
        return condition.tag not in tags
    assert isinstance(condition, FieldIs)
    present = condition.field in fields and fields[condition.field] not in (None, "")
    value = fields.get(condition.field)
    op = condition.op
    if op == "exists":
        return present
    if op == "not_exists":
        return not present
    if op == "eq":
        return value == condition.value or (present and str(value) == str(condition.value))
    if op == "ne":
        return not (value == condition.value or (present and str(value) == str(condition.value)))
    if op == "contains":
        if isinstance(value, list):
            return condition.value in value
        return present and str(condition.value) in str(value)
    if op == "in":
        return isinstance(condition.value, list) and value in condition.value
    left, right = _number(value), _number(condition.value)
    if left is None or right is None:
        if not present:
            return False
        left_s, right_s = str(value), str(condition.value)  # ISO dates compare as text
        return {"gt": left_s > right_s, "gte": left_s >= right_s, "lt": left_s < right_s,
                "lte": left_s <= right_s}[op]
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def evaluate(conditions: StepConditions | None, tags: set[str], fields: dict[str, Any]) -> bool:
    if conditions is None:
        return True
    if not all(holds(c, tags, fields) for c in conditions.all):
        return False
    return not conditions.any or any(holds(c, tags, fields) for c in conditions.any)
