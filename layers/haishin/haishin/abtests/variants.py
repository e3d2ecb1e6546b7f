"""The input of an A/B test's variants, the same for broadcasts and scenario steps:
``variants: [{"content": {...}, "weight": 1-1000}, ...]`` (2-4). Errors are Japanese ``ValidationFailed`` naming the
field: ``<at(n)>`` is where variant ``n`` sits (``variants.1`` for a broadcast, ``steps[0].variants[1]`` for a
scenario step); ``validate`` checks one content and raises ``ValidationFailed`` whose ``where`` starts at the
content (``content.line.0.text``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from haishin.abtests.assign import MAX_VARIANTS, MIN_VARIANTS, variant_label
from haishin.errors import ValidationFailed

MAX_WEIGHT = 1000


def parse_variants(raw: Any, validate: Callable[[Any], dict[str, Any]], *, root: str = "variants",
                   at: Callable[[int], str] = lambda n: f"variants.{n}") -> tuple[list[int], list[dict[str, Any]]]:
    """(weights, contents) of 2-4 variants; ``root`` is where the list itself sits."""
    if not isinstance(raw, list) or not MIN_VARIANTS <= len(raw) <= MAX_VARIANTS:
        raise ValidationFailed(f"A/Bテストのパターンは{MIN_VARIANTS}〜{MAX_VARIANTS}個です", where=root)
    weights: list[int] = []
    contents: list[dict[str, Any]] = []
    for index, variant in enumerate(raw):
        where = at(index)
        if not isinstance(variant, dict) or set(variant) - {"content", "weight"}:
            raise ValidationFailed("パターンは content と weight だけを持つオブジェクトです", where=where)
        weight = variant.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= MAX_WEIGHT:
            raise ValidationFailed(f"配分（weight）は1〜{MAX_WEIGHT}の整数です", where=f"{where}.weight")
        if variant.get("content") in (None, {}):
            raise ValidationFailed(f"パターン{variant_label(index)}の内容がありません", where=f"{where}.content")
        try:
            contents.append(validate(variant["content"]))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, where=f"{where}.{exc.where or 'content'}") from None
        weights.append(weight)
    return weights, contents


__all__ = ["MAX_WEIGHT", "parse_variants"]
