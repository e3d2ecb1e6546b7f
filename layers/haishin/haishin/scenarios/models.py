"""The scenario definition (what a marketer writes, in the admin or as YAML/JSON): pydantic, strict, explained errors.

Timing rules (all explicit, all shown by the simulator):
- ``immediately``: at enrollment for the first step; right after the previous step for later steps.
- ``after``: ``amount`` ``unit`` counted ``from: enrollment`` (the enrollment time) or ``from: previous_step`` (the
  previous step's *scheduled* time, not its actual send time, so a late send does not push every later step),
  rounded to the nearest whole minute (09:03:29 -> 09:03, 09:03:30 -> 09:04; never before the moment it is planned):
  every due time is a whole minute, sent by the tick of that minute (docs/production/lag.md).
- ``day_at``: local calendar day ``day`` (day 0 = the enrollment's local date in the workspace zone) at ``at``
  ("HH:MM"). An enrollment after ``at`` on day 0 follows ``late_enrollment``: ``same_day_next_slot`` sends at the next
  tick minute, ``next_day`` moves to day 1 at ``at``, ``skip`` skips the step. Never a silent day slip: the simulator
  states which rule applied.
- ``relative_to_date``: ``days`` days after (negative: before) the date in field ``field``, at ``at`` local time.
  A missing/invalid date follows ``if_missing``; a time already past at enrollment follows ``if_past``.
  With ``minutes`` set, the field holds a date and time (e.g. a seminar's start, ``seminar_start``) and the step is
  due ``minutes`` minutes after it (negative: before; -1440 = a day before, -60 = an hour before); ``days`` and
  ``at`` are then not used.
A step is never due before the previous step (times are made monotonic). Quiet hours of the workspace move a due time
inside the window to the window's end (local zone), at scheduling and again at send time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from haishin.abtests.assign import MAX_VARIANTS, MIN_VARIANTS, variant_label
from haishin.abtests.variants import MAX_WEIGHT, parse_variants
from haishin.actions import Action
from haishin.errors import ValidationFailed, pydantic_message
from haishin.line.client import MAX_MESSAGES_PER_SEND
from haishin.render import RenderError, renderer

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHANNELS = ("line", "email", "sms")


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True)


def _hhmm(value: str) -> str:
    if not isinstance(value, str) or not HHMM.match(value):
        raise ValueError("時刻は HH:MM で入力してください")
    return value


# ---------------------------------------------------------------------------------------------------------- timings
class Immediately(_Strict):
    type: Literal["immediately"] = "immediately"


class After(_Strict):
    type: Literal["after"] = "after"
    amount: int = Field(ge=0, le=100_000)
    unit: Literal["minutes", "hours", "days"]
    from_: Literal["enrollment", "previous_step"] = Field("previous_step", alias="from")


class DayAt(_Strict):
    type: Literal["day_at"] = "day_at"
    day: int = Field(ge=0, le=3650)
    at: str
    late_enrollment: Literal["same_day_next_slot", "next_day", "skip"] = "next_day"

    _check_at = field_validator("at")(_hhmm)


class RelativeToDate(_Strict):
    type: Literal["relative_to_date"] = "relative_to_date"
    field: str = Field(min_length=1, max_length=100)
    days: int = Field(ge=-3650, le=3650)
    at: str = "09:00"
    if_missing: Literal["skip_step", "end"] = "skip_step"
    if_past: Literal["skip_step", "send_now"] = "skip_step"
    minutes: int | None = Field(default=None, ge=-525_600, le=525_600)  # from a date-and-time field (see above)

    _check_at = field_validator("at")(_hhmm)


Timing = Annotated[Immediately | After | DayAt | RelativeToDate, Field(discriminator="type")]


# ---------------------------------------------------------------------------------------------------------- conditions
class HasTag(_Strict):
    type: Literal["has_tag"] = "has_tag"
    tag: str = Field(min_length=1)


class LacksTag(_Strict):
    type: Literal["lacks_tag"] = "lacks_tag"
    tag: str = Field(min_length=1)


class FieldIs(_Strict):
    type: Literal["field"] = "field"
    field: str = Field(min_length=1)
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "exists", "not_exists", "contains", "in"] = "eq"
    value: Any = None


Condition = Annotated[HasTag | LacksTag | FieldIs, Field(discriminator="type")]


class StepConditions(_Strict):
    all: list[Condition] = Field(default_factory=list)  # every one must hold (AND)
    any: list[Condition] = Field(default_factory=list)  # when given, at least one must hold (OR)
    on_fail: Literal["skip", "end_enrollment"] = "skip"


# ---------------------------------------------------------------------------------------------------------- content
LINE_TYPES = {
    "text": ("text",),
    "image": ("originalContentUrl", "previewImageUrl"),
    "sticker": ("packageId", "stickerId"),
    "flex": ("altText", "contents"),
    "template": ("altText", "template"),
    "imagemap": ("baseUrl", "altText", "baseSize", "actions"),
    "video": ("originalContentUrl", "previewImageUrl"),
    "audio": ("originalContentUrl", "duration"),
    "location": ("title", "address", "latitude", "longitude"),
}


def check_line_message(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise ValueError("LINE メッセージはオブジェクトで指定してください")
    kind = message.get("type")
    if kind not in LINE_TYPES:
        raise ValueError(f"type は {', '.join(LINE_TYPES)} のいずれかです")
    missing = [key for key in LINE_TYPES[kind] if key not in message]
    if missing:
        raise ValueError(f"{kind} メッセージには {', '.join(missing)} が必要です")
    if kind == "text" and not str(message["text"]).strip():
        raise ValueError("本文が空です")
    if kind == "text" and len(str(message["text"])) > 5000:
        raise ValueError("本文は5000文字までです")
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 13:
            raise ValueError("quickReply.items は1〜13個です")
    return message


class EmailContent(_Strict):
    subject: str = Field(min_length=1, max_length=500)
    html: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _has_body(self) -> EmailContent:
        if not self.html and not self.text:
            raise ValueError("メールには HTML か テキストの本文が必要です")
        return self


class SmsContent(_Strict):
    text: str = Field(min_length=1, max_length=1600)


def _check_line(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_MESSAGES_PER_SEND:
        raise ValueError(f"LINE で一度に送れるメッセージは1〜{MAX_MESSAGES_PER_SEND}通です ({len(value)}通あります)")
    for message in value:
        check_line_message(message)
    return value


class StepContent(_Strict):
    """The message content of one A/B variant of a step: the same parts as the step's own."""

    line: list[dict[str, Any]] | None = None
    email: EmailContent | None = None
    sms: SmsContent | None = None

    _check_line = field_validator("line")(_check_line)

    @property
    def channels(self) -> list[str]:
        return [c for c in CHANNELS if getattr(self, c)]


class StepVariant(_Strict):
    content: StepContent
    weight: int = Field(1, ge=1, le=MAX_WEIGHT)


class Step(_Strict):
    id: str = ""
    name: str = ""
    timing: Timing = Field(default_factory=Immediately)
    conditions: StepConditions | None = None
    line: list[dict[str, Any]] | None = None
    email: EmailContent | None = None
    sms: SmsContent | None = None
    actions: list[Action] = Field(default_factory=list)
    # A/B test (docs/production/stepab.md): 2-4 variants of the content; variant A is also the step's own content
    # (what the simulator, the preview and the channel planning read); each friend receives one variant.
    variants: list[StepVariant] | None = Field(None, min_length=MIN_VARIANTS, max_length=MAX_VARIANTS)

    _check_line = field_validator("line")(_check_line)

    @field_validator("variants", mode="before")
    @classmethod
    def _no_test(cls, value: Any) -> Any:
        return None if value == [] else value  # [] ends a test, as for broadcasts

    @model_validator(mode="after")
    def _variant_a(self) -> Step:
        if not self.variants:
            return self
        first = self.variants[0].content
        if self.line is None and self.email is None and self.sms is None:
            self.line, self.email, self.sms = first.line, first.email, first.sms
        elif (self.line, self.email, self.sms) != (first.line, first.email, first.sms):
            raise ValueError("A/Bテストのステップの内容はパターンAと同じにしてください"
                             "（各パターンは variants に書きます）")
        for index, variant in enumerate(self.variants):
            if variant.content.channels != self.channels:
                raise ValueError(f"パターン{variant_label(index)}の送信チャネルはパターンAと同じにしてください")
        return self

    @property
    def channels(self) -> list[str]:
        return [c for c in CHANNELS if getattr(self, c)]

    def content_of(self, variant: int | None) -> StepContent:
        """The content variant ``variant`` sends (None or no test: the step's own)."""
        if variant is not None and self.variants and 0 <= variant < len(self.variants):
            return self.variants[variant].content
        return StepContent(line=self.line, email=self.email, sms=self.sms)


def _tag_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


class Trigger(_Strict):
    type: Literal["friend_added", "form_submitted", "purchase_completed", "tag_added", "tag_removed", "admin", "api",
                  "csv", "booking_created", "booking_canceled", "lesson_completed", "course_completed"]
    form_id: str | None = None
    course_id: str | None = None  # lesson_completed / course_completed: only this member-site course
    product_id: str | None = None
    tag: str | None = None

    def matches(self, trigger: str, detail: dict[str, Any]) -> bool:
        if trigger != self.type:
            return False
        if self.type == "form_submitted" and self.form_id:
            return detail.get("form_id") == self.form_id
        if self.type == "purchase_completed" and self.product_id:
            return detail.get("product_id") == self.product_id
        if self.type in {"lesson_completed", "course_completed"} and self.course_id:
            return detail.get("course_id") == self.course_id
        if self.type in {"tag_added", "tag_removed"} and self.tag:  # the tag by ID or by name (as typed)
            return self.tag == detail.get("tag_id") or _tag_key(self.tag) == _tag_key(str(detail.get("tag") or ""))
        return True


class Lateness(_Strict):
    """What a step due long ago (after an outage) does: ``send_late`` always, or ``skip_if_late`` by more than
    ``max_late_minutes`` (a skipped step is recorded in the ledger as ``skipped_late``)."""

    policy: Literal["send_late", "skip_if_late"] = "send_late"
    max_late_minutes: int = Field(60, ge=1, le=10_080)


class Scenario(_Strict):
    id: str = ""
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    status: Literal["active", "paused", "draft"] = "active"
    version: int = 0
    line_channel_id: str | None = None  # which LINE official account sends (None: the workspace's only channel)
    triggers: list[Trigger] = Field(default_factory=list)
    stop_on: list[Trigger] = Field(default_factory=list)
    restart: Literal["ignore", "restart", "after_completion"] = "ignore"
    lateness: Lateness = Field(default_factory=lambda: Lateness(max_late_minutes=60))
    channel_mode: Literal["all", "first_available"] = "all"
    email_from: str | None = None
    steps: list[Step] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ids(self) -> Scenario:
        seen: set[str] = set()
        for index, step in enumerate(self.steps):
            if not step.id:
                step.id = f"step{index + 1}"
            if not ID.match(step.id):
                raise ValueError(f"steps[{index}].id: 英数字・_・- だけが使えます")
            if step.id in seen:
                raise ValueError(f"steps[{index}].id: '{step.id}' が重複しています")
            seen.add(step.id)
        return self


# ---------------------------------------------------------------------------------------------------------- parsing
_TAGS = {"immediately", "after", "day_at", "relative_to_date", "has_tag", "lacks_tag", "field", "add_tag",
         "remove_tag", "set_field", "add_to_field", "start_scenario", "stop_scenario", "stop_all_scenarios",
         "call_webhook", "function-after"}


def where_of(loc: tuple[Any, ...]) -> str:
    """pydantic's location as the path a marketer reads: ("steps", 2, "timing", "day_at", "at") -> steps[2].timing.at"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS or str(part).startswith(("function-", "tagged-union")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_scenario(raw: Any) -> Scenario:
    """Validate a scenario; raises ValidationFailed whose ``where`` names the step and field (first problem) and whose
    ``details`` lists every problem."""

    _check_variants(raw)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems: list[dict[str, str]] = []
        for error in exc.errors():
            message = pydantic_message(error)
            where = where_of(tuple(error.get("loc", ())))
            if message.startswith("steps[") and ": " in message:  # raised by the model validator
                where, message = message.split(": ", 1)
            problems.append({"where": str(where), "message": message})
        raise ValidationFailed(problems[0]["message"], where=problems[0]["where"], details=problems) from exc
    # Templates must compile now, not at 3 a.m. when the step is due.
    render = renderer()
    try:
        for index, step in enumerate(scenario.steps):
            base = f"steps[{index}]"
            for m, line_message in enumerate(step.line or []):
                _check_json_templates(render, line_message, f"{base}.line[{m}]")
            if step.email:
                render.check(step.email.subject, where=f"{base}.email.subject")
                if step.email.html:
                    render.check(step.email.html, where=f"{base}.email.html", html=True)
                if step.email.text:
                    render.check(step.email.text, where=f"{base}.email.text")
            if step.sms:
                render.check(step.sms.text, where=f"{base}.sms.text")
            for v, variant in enumerate(step.variants or []):
                at = f"{base}.variants[{v}].content"
                for m, line_message in enumerate(variant.content.line or []):
                    _check_json_templates(render, line_message, f"{at}.line[{m}]")
                if variant.content.email:
                    render.check(variant.content.email.subject, where=f"{at}.email.subject")
                    if variant.content.email.html:
                        render.check(variant.content.email.html, where=f"{at}.email.html", html=True)
                    if variant.content.email.text:
                        render.check(variant.content.email.text, where=f"{at}.email.text")
                if variant.content.sms:
                    render.check(variant.content.sms.text, where=f"{at}.sms.text")
    except RenderError as exc:
        raise ValidationFailed(exc.message, where=exc.where, details=[{"where": exc.where, "message": exc.message}]
                               ) from exc
    return scenario


def _content_checker() -> Callable[[Any], dict[str, Any]]:
    """Checks one variant's content; every variant after A must use A's channels."""
    channels: list[list[str]] = []

    def content(value: Any) -> dict[str, Any]:
        try:
            checked = StepContent.model_validate(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = where_of(("content", *tuple(error.get("loc", ()))))
            raise ValidationFailed(pydantic_message(error), where=where) from None
        if not checked.channels:
            raise ValidationFailed("LINE・メール・SMSのどれかの内容が必要です", where="content")
        if channels and checked.channels != channels[0]:
            raise ValidationFailed(f"送信チャネルはパターンAと同じにしてください（{'・'.join(channels[0])}）",
                                   where="content")
        channels.append(checked.channels)
        return checked.model_dump(mode="json")

    return content


def _variant_at(step: int) -> Callable[[int], str]:
    return lambda n: f"steps[{step}].variants[{n}]"


def _check_variants(raw: Any) -> None:
    """A step's A/B variants, checked as a broadcast's are (``haishin.abtests.variants``: Japanese errors at
    ``steps[i].variants``, ``steps[i].variants[j].weight``, ``steps[i].variants[j].content.line[0]``), and every
    variant on the channels of variant A."""
    steps = raw.get("steps") if isinstance(raw, dict) else None
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        variants = step.get("variants") if isinstance(step, dict) else None
        if variants is None or variants == []:
            continue
        parse_variants(variants, _content_checker(), root=f"steps[{i}].variants", at=_variant_at(i))


def _check_json_templates(render: Any, value: Any, where: str) -> None:
    if isinstance(value, str):
        if "{" in value:
            render.check(value, where=where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json_templates(render, item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json_templates(render, item, f"{where}.{key}")
