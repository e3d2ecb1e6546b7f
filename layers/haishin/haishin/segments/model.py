"""THE segment model (絞り込み): nested AND/OR groups of conditions, validated with pydantic.

A segment is a ``Group`` (JSON ``{"match": "all"|"any", "conditions": [...]}``); a condition is one of the models
below, told apart by ``type``. An empty ``all`` group matches every friend. Merged-away rows (``merged_into``) never
match. Example::

    {"match": "all", "conditions": [
        {"type": "tags", "match": "any", "tags": ["tag_VIP", "常連"]},
        {"type": "field", "field": "birthday", "op": "within_days", "days": 30},
        {"type": "group", "match": "any", "conditions": [
            {"type": "follow", "status": "following"},
            {"type": "unsubscribed", "channel": "email", "value": false}]},
        {"type": "scenario", "scenario_id": "sc_1", "status": "not_in"},
        {"type": "list", "list_id": "lst_1", "mode": "exclude"},
        {"type": "coupon", "coupon_id": "cpn_1", "status": "unredeemed"}]}

Field conditions name a field key, or a built-in: ``$display_name``, ``$email``, ``$phone`` (text),
``$created_at``, ``$last_interaction_at`` (datetime), ``$inflow_route`` (text).
Operators by field type: every type has ``empty`` / ``not_empty``; ``eq`` / ``ne`` for all (``ne`` includes empty
values); ``lt`` / ``gt`` for number, text, date, datetime; ``contains`` / ``not_contains`` for text (substring,
NFKC + case-insensitive) and multiple choice (has that choice); ``before`` / ``after`` (= lt / gt) and
``within_days`` (the last ``days`` days up to now, in the workspace time zone) for date and datetime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

FieldOp = Literal[
    "eq", "ne", "lt", "gt", "contains", "not_contains", "empty", "not_empty", "before", "after", "within_days"
]
BUILTIN_FIELDS = {
    "$display_name": "text",
    "$email": "text",
    "$phone": "text",
    "$inflow_route": "text",
    "$created_at": "datetime",
    "$last_interaction_at": "datetime",
}


class _Condition(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class TagsCondition(_Condition):
    """Has any / all / none of the tags (tag IDs or names; names are resolved when the segment is compiled)."""

    type: Literal["tags"] = "tags"
    match: Literal["any", "all", "none"] = "any"
    tags: list[str] = Field(min_length=1, max_length=500)


class FieldCondition(_Condition):
    type: Literal["field"] = "field"
    field: str = Field(min_length=1, max_length=100)
    op: FieldOp
    value: Any = None
    days: int | None = Field(default=None, ge=0, le=36500)

    @model_validator(mode="after")
    def _needs(self) -> FieldCondition:
        if self.op == "within_days" and self.days is None:
            raise ValueError("within_days には日数 (days) が必要です")
        if self.op not in ("empty", "not_empty", "within_days") and (self.value is None or self.value == ""):
            raise ValueError(f"条件 {self.op} には値が必要です")
        return self


class FollowCondition(_Condition):
    """LINE follow status: on ``channel_id``, or (without it) following = on any channel, blocked = on none and
    blocked on at least one, unknown = seen but no follow event, no_line = not on LINE at all."""

    type: Literal["follow"] = "follow"
    status: Literal["following", "blocked", "unknown", "no_line"]
    channel_id: str | None = None


class ScenarioCondition(_Condition):
    """Reads EnrollmentsTable items pk ``enr#<ws>#<subscriber>`` sk ``<scenario_id>`` attribute ``status``
    (active | completed | stopped): enrolled = active, completed, stopped, not_in = no enrollment item."""

    type: Literal["scenario"] = "scenario"
    scenario_id: str = Field(min_length=1)
    status: Literal["enrolled", "completed", "stopped", "not_in"]


class InflowRouteCondition(_Condition):
    type: Literal["inflow_route"] = "inflow_route"
    routes: list[str] = Field(min_length=1)
    negate: bool = False


class FormAnsweredCondition(_Condition):
    """Reads the subscriber's ``forms_answered`` set (the forms area adds the form ID on each answer)."""

    type: Literal["form_answered"] = "form_answered"
    form_id: str = Field(min_length=1)
    answered: bool = True


class PurchasedCondition(_Condition):
    """Reads the subscriber's ``products`` set (maintained by the payments area)."""

    type: Literal["purchased"] = "purchased"
    products: list[str] = Field(min_length=1)
    match: Literal["any", "all", "none"] = "any"


class TotalSpentCondition(_Condition):
    """Reads the subscriber's ``total_spent`` (maintained by the payments area; absent counts as 0)."""

    type: Literal["total_spent"] = "total_spent"
    op: Literal["gt", "gte", "lt", "lte", "eq"]
    amount: float


class LastInteractionCondition(_Condition):
    type: Literal["last_interaction"] = "last_interaction"
    op: Literal["before", "after", "within_days", "not_within_days", "never"]
    at: datetime | None = None
    days: int | None = Field(default=None, ge=0, le=36500)

    @model_validator(mode="after")
    def _needs(self) -> LastInteractionCondition:
        if self.op in ("before", "after") and (self.at is None or self.at.tzinfo is None):
            raise ValueError(f"{self.op} needs 'at' with a time zone")
        if self.op in ("within_days", "not_within_days") and self.days is None:
            raise ValueError(f"{self.op} needs days")
        return self


class ListCondition(_Condition):
    """An uploaded list of LINE user IDs or emails (``haishin.segments.lists``), included or excluded."""

    type: Literal["list"] = "list"
    list_id: str = Field(min_length=1)
    mode: Literal["include", "exclude"] = "include"


class UnsubscribedCondition(_Condition):
    """配信停止: ``channel`` all = 全配信停止 (unsubscribed_all); line / email / sms = that channel."""

    type: Literal["unsubscribed"] = "unsubscribed"
    channel: Literal["all", "line", "email", "sms"] = "all"
    value: bool = True


class CouponCondition(_Condition):
    """Coupons (``haishin.coupons``): ``unredeemed`` = received and not used yet while the coupon is still valid,
    ``redeemed`` = used at least once, ``received`` = handed a code, ``not_received``. Without ``coupon_id``: any
    coupon of the workspace. Read from the coupon assignment records when the segment is compiled."""

    type: Literal["coupon"] = "coupon"
    coupon_id: str | None = Field(default=None, max_length=100)
    status: Literal["unredeemed", "redeemed", "received", "not_received"] = "unredeemed"


class Group(_Condition):
    type: Literal["group"] = "group"
    match: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(default_factory=list, max_length=100)


Condition = Annotated[
    TagsCondition | FieldCondition | FollowCondition | ScenarioCondition | InflowRouteCondition
    | FormAnsweredCondition | PurchasedCondition | TotalSpentCondition | LastInteractionCondition | ListCondition
    | UnsubscribedCondition | CouponCondition | Group,
    Field(discriminator="type"),
]
# No model_rebuild() here: the schemas are built on first use (defer_build, for the admin API's cold start), when
# ``Condition`` above resolves from this module.

Segment = Group  # the root of a segment is a group
SEGMENT_ADAPTER: TypeAdapter[Group] = TypeAdapter(Group)
EVERYONE = Group.model_construct()  # Group() with its defaults, without building the schema at import


def parse_segment(raw: Any) -> Group:
    """Validate JSON into a segment; pydantic's error path (``conditions.2.value``) says where it is wrong."""
    if raw is None:
        return EVERYONE
    return SEGMENT_ADAPTER.validate_python(raw)


def walk(group: Group) -> list[Any]:
    """Every condition in the tree (groups included), depth first."""
    out: list[Any] = []
    for condition in group.conditions:
        out.append(condition)
        if isinstance(condition, Group):
            out.extend(walk(condition))
    return out
