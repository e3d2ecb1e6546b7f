"""Who sees which rich menu: a channel's ordered rules (first match wins), else the channel's default menu.

A rule is ``{"menu_id", "condition"}``; a condition is one of

- ``{"type": "tag", "tag_id"}``: the friend has the tag;
- ``{"type": "segment", "segment_id"}``: the friend is in the saved segment (THE segment engine's predicate);
- ``{"type": "scenario_step", "scenario_id", "step_index"}``: the friend is enrolled in the scenario (active or
  completed, not stopped) and at or past that step: the step at ``step_index`` (0-based) was reached, i.e. the
  enrollment's ``next_step`` is beyond it, or the scenario was completed;
- ``{"type": "route", "route_id"}``: the friend came in by that inflow route (the friend's first-touch route:
  ``inflow_route_id`` when the attribution stored it, else the ``inflow_route`` name, as the segment condition
  ``inflow_route`` reads it).

This module is pure: a ``RuleBook`` (the compiled rules of one channel) picks a friend's menu from a subscriber row
(``haishin.storage.shard_scan`` decoding) and the friend's scenario positions. Nothing here reads storage or calls
LINE; ``haishin.richmenus.relink`` compiles a book (resolving IDs through repositories) and acts on its answers.

A friend is a candidate on a channel only when they follow it with a known LINE user ID (``line_target``); the
"target" of a candidate is a Haishin menu ID, or ``None`` for "the channel's default" (a per-user link removed, so
LINE shows the default menu, or none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from haishin.segments.engine import CompiledSegment, EvalContext

Row = dict[str, Any]
MAX_RULES = 50
LINE_LINK_BATCH = 500  # LINE's bulk link / unlink: 1 to 500 user IDs per request


# ------------------------------------------------------------------------------------------------ stored shapes
class _Condition(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class TagRuleCondition(_Condition):
    type: Literal["tag"] = "tag"
    tag_id: str = Field(min_length=1, max_length=100)


class SegmentRuleCondition(_Condition):
    type: Literal["segment"] = "segment"
    segment_id: str = Field(min_length=1, max_length=100)


class ScenarioStepRuleCondition(_Condition):
    type: Literal["scenario_step"] = "scenario_step"
    scenario_id: str = Field(min_length=1, max_length=100)
    step_index: int = Field(ge=0, le=1000)


class RouteRuleCondition(_Condition):
    type: Literal["route"] = "route"
    route_id: str = Field(min_length=1, max_length=100)


RuleCondition = Annotated[
    TagRuleCondition | SegmentRuleCondition | ScenarioStepRuleCondition | RouteRuleCondition,
    Field(discriminator="type"),
]


class RuleIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    menu_id: str = Field(min_length=1, max_length=100)
    condition: RuleCondition


class RuleSetIn(BaseModel):
    """``PUT /api/rich-menu-rules``: the whole ordered list of a channel (replaces the stored one)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    channel_id: str = Field(min_length=1, max_length=64)
    default_menu_id: str | None = Field(default=None, max_length=100)
    rules: list[RuleIn] = Field(default_factory=list, max_length=MAX_RULES)


RULE_SET_ADAPTER: TypeAdapter[RuleSetIn] = TypeAdapter(RuleSetIn)
CONDITION_ADAPTER: TypeAdapter[Any] = TypeAdapter(RuleCondition)


def parse_condition(raw: Any) -> Any:
    return CONDITION_ADAPTER.validate_python(raw)


# ------------------------------------------------------------------------------------------------ evaluation
@dataclass
class PageFacts:
    """What a page of rows needs beyond the rows: scenario positions ``(subscriber_id, scenario_id) -> (status,
    next_step)`` (only for the scenarios the book names), and the segment engine's context built from them."""

    positions: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    segment_context: EvalContext | None = None


Test = Callable[[Row, PageFacts], bool]


@dataclass(frozen=True)
class CompiledRule:
    number: int  # 1-based, as the marketer reads the list
    menu_id: str
    test: Test


@dataclass(frozen=True)
class Choice:
    menu_id: str | None  # None: the channel's default (no per-user link)
    reason: str  # "rule <n>" | "default" | "none"


@dataclass
class RuleBook:
    """One channel's compiled rules. ``menus``: Haishin menu ID -> LINE rich menu ID of the published menus the
    rules and the default name (an unpublished menu's rule is skipped: LINE cannot show it)."""

    workspace_id: str
    channel_id: str
    default_menu_id: str | None
    rules: list[CompiledRule]
    menus: dict[str, str]
    attributes: set[str] = field(default_factory=set)
    scenario_ids: set[str] = field(default_factory=set)
    segments: list[CompiledSegment] = field(default_factory=list)
    version: int = 0

    def facts(self, positions: Mapping[tuple[str, str], tuple[str, int]], now: Any = None) -> PageFacts:
        context = None
        if self.segments:
            base = self.segments[0].context
            lists: dict[str, Any] = {}
            for compiled in self.segments:
                lists.update(compiled.context.lists)
            context = EvalContext(now=now or base.now, lists=lists,
                                  enrollments={key: status for key, (status, _step) in positions.items()})
        return PageFacts(positions=dict(positions), segment_context=context)

    def choose(self, row: Row, facts: PageFacts | None = None) -> Choice:
        """The first rule whose condition holds and whose menu is published, else the default."""
        facts = facts if facts is not None else PageFacts()
        if row.get("merged_into"):
            return Choice(None, "none")
        for rule in self.rules:
            if rule.menu_id in self.menus and rule.test(row, facts):
                return Choice(rule.menu_id, f"rule {rule.number}")
        if self.default_menu_id:
            return Choice(None, "default")
        return Choice(None, "none")

    def line_menu(self, menu_id: str | None) -> str | None:
        return self.menus.get(menu_id) if menu_id else None


def line_target(row: Row, channel_id: str) -> str | None:
    """The friend's LINE user ID on the channel when they follow it (a candidate for a menu), else None."""
    account = (row.get("line") or {}).get(channel_id) or {}
    if account.get("status") != "following" or not account.get("user_id") or row.get("merged_into"):
        return None
    return str(account["user_id"])


# ------------------------------------------------------------------------------------------------ condition tests
def tag_test(tag_id: str) -> Test:
    return lambda row, _facts: tag_id in (row.get("tags") or ())


def route_test(route_id: str, route_name: str) -> Test:
    """The friend's first route is this one: by ``inflow_route_id`` (stored by route attributions since issue 20's
    follow-up, so a renamed route keeps its friends); a row without it (attributed before, or named by a tracked
    link, an import or the admin) is matched by the route's current name, as before."""

    def test(row: Row, _facts: PageFacts) -> bool:
        stored = row.get("inflow_route_id")
        if stored:
            return bool(stored == route_id)
        return bool(row.get("inflow_route") == route_name)

    return test


def step_test(scenario_id: str, step_index: int) -> Test:
    def test(row: Row, facts: PageFacts) -> bool:
        position = facts.positions.get((str(row["subscriber_id"]), scenario_id))
        if position is None:
            return False
        status, next_step = position
        return status == "completed" or (status == "active" and next_step > step_index)

    return test


def segment_test(compiled: CompiledSegment) -> Test:
    def test(row: Row, facts: PageFacts) -> bool:
        return compiled.matches(row, facts.segment_context or compiled.context)

    return test


T = TypeVar("T")


def chunks(items: list[T], size: int = LINE_LINK_BATCH) -> list[list[T]]:
    """``items`` in runs of ``size`` (LINE's 500 user IDs per bulk call)."""
    return [items[i:i + size] for i in range(0, len(items), size)]
