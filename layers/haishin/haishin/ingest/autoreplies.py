"""Keyword auto-replies (自動応答): stored per workspace, optionally limited to one channel.

Item in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``autoreply#<auto_reply_id>``.

Matching: rules are tried by ascending ``priority`` (1 before 10), then by creation; the first enabled rule whose
channel matches (or is empty: every channel) and one of whose keywords matches wins. Text is normalised with NFKC
(full-width ＡＢＣ / half-width ｶﾅ become their usual forms) and, for ``exact`` and ``contains``, case-folded.
``regex`` searches the NFKC text with Python's ``re`` (patterns are length-limited and compiled on save).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from haishin import clock, ids
from haishin.actions import parse_actions
from haishin.errors import NotFound, ValidationFailed
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.workspaces.models import workspace_pk

MATCH_TYPES = ("exact", "contains", "regex")
MESSAGE_TYPES = frozenset({"text", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"})
MAX_TEXT_TO_MATCH = 2000
SK_PREFIX = "autoreply#"


class AutoReplyModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    auto_reply_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel_id = UnicodeAttribute(null=True)
    match_type = UnicodeAttribute()
    keywords = JSONTextAttribute(default=list)
    priority = NumberAttribute(default=100)
    enabled = BooleanAttribute(default=True)
    messages = JSONTextAttribute(default=list)
    actions = JSONTextAttribute(default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.auto_reply_id, "name": self.name, "channel_id": self.channel_id,
            "match_type": self.match_type, "keywords": list(self.keywords or []), "priority": int(self.priority),
            "enabled": bool(self.enabled), "messages": list(self.messages or []), "actions": list(self.actions or []),
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
        }


class AutoReplyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    channel_id: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    match_type: Literal["exact", "contains", "regex"]
    keywords: list[str] = Field(min_length=1, max_length=50)
    priority: int = Field(default=100, ge=0, le=100000)
    enabled: bool = True
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=5)
    actions: list[dict[str, Any]] = Field(default_factory=list, max_length=20)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        for index, keyword in enumerate(value):
            if not keyword.strip() or len(keyword) > 200:
                raise ValueError(f"keyword {index} must be 1 to 200 characters")
        return value

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, message in enumerate(value):
            kind = message.get("type")
            if kind not in MESSAGE_TYPES:
                raise ValueError(f"message {index} has an unknown type {kind!r}")
            if kind == "text":
                text = message.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= 5000:
                    raise ValueError(f"message {index}: text must be 1 to 5000 characters")
        return value


def _field_error(error: ValidationError) -> ValidationFailed:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    problems = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")} for e in error.errors()]
    return ValidationFailed(message, where=where, details=problems)


def validate_input(raw: Any) -> AutoReplyInput:
    if not isinstance(raw, dict):
        raise ValidationFailed("send a JSON object", where="body")
    try:
        data = AutoReplyInput.model_validate(raw)
    except ValidationError as error:
        raise _field_error(error) from error
    if data.match_type == "regex":
        for index, keyword in enumerate(data.keywords):
            try:
                re.compile(keyword)
            except re.error as exc:
                raise ValidationFailed(f"not a valid regular expression: {exc}", where=f"keywords.{index}") from exc
    try:
        parse_actions(data.actions)
    except ValidationError as error:
        failed = _field_error(error)
        failed.where = f"actions.{failed.where}" if failed.where else "actions"
        raise failed from error
    return data


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def matches(rule: AutoReplyModel, text: str) -> bool:
    text = normalise(text[:MAX_TEXT_TO_MATCH])
    folded = text.casefold()
    for keyword in rule.keywords or []:
        if rule.match_type == "exact" and folded == normalise(keyword).casefold():
            return True
        if rule.match_type == "contains" and normalise(keyword).casefold() in folded:
            return True
        if rule.match_type == "regex":
            try:
                if re.search(keyword, text):
                    return True
            except re.error:
                continue
    return False


def first_match(rules: list[AutoReplyModel], text: str, channel_id: str) -> AutoReplyModel | None:
    for rule in sorted(rules, key=lambda r: (int(r.priority), r.created_at)):
        if not rule.enabled or (rule.channel_id and rule.channel_id != channel_id):
            continue
        if matches(rule, text):
            return rule
    return None


class AutoReplyStore:
    """CRUD plus a short per-container cache of each workspace's rules for the consumer."""

    def __init__(self, cache_ttl_s: float = 10.0) -> None:
        self._ttl = cache_ttl_s
        self._cache: dict[str, tuple[float, list[AutoReplyModel]]] = {}
        self._lock = threading.Lock()

    def list_rules(self, workspace_id: str) -> list[AutoReplyModel]:
        rules = list(AutoReplyModel.query(workspace_pk(workspace_id), AutoReplyModel.sk.startswith(SK_PREFIX)))
        return sorted(rules, key=lambda r: (int(r.priority), r.created_at))

    def rules_for(self, workspace_id: str) -> list[AutoReplyModel]:
        with self._lock:
            hit = self._cache.get(workspace_id)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        rules = self.list_rules(workspace_id)
        with self._lock:
            self._cache[workspace_id] = (time.monotonic(), rules)
        return rules

    def match(self, workspace_id: str, channel_id: str, text: str) -> AutoReplyModel | None:
        return first_match(self.rules_for(workspace_id), text, channel_id)

    def get(self, workspace_id: str, auto_reply_id: str) -> AutoReplyModel:
        try:
            return AutoReplyModel.get(workspace_pk(workspace_id), SK_PREFIX + auto_reply_id, consistent_read=True)
        except AutoReplyModel.DoesNotExist as exc:
            raise NotFound("auto-reply not found", where=f"auto-reply {auto_reply_id}") from exc

    def create(self, workspace_id: str, raw: Any, *, now: datetime | None = None) -> AutoReplyModel:
        data = validate_input(raw)
        now = now or clock.now()
        auto_reply_id = ids.new_id("ar_")
        rule = AutoReplyModel(
            pk=workspace_pk(workspace_id), sk=SK_PREFIX + auto_reply_id, workspace_id=workspace_id,
            auto_reply_id=auto_reply_id, created_at=now, updated_at=now, **data.model_dump(),
        )
        rule.save(condition=AutoReplyModel.pk.does_not_exist())
        self._forget(workspace_id)
        return rule

    def update(self, workspace_id: str, auto_reply_id: str, raw: Any) -> AutoReplyModel:
        rule = self.get(workspace_id, auto_reply_id)
        data = validate_input(raw)
        for key, value in data.model_dump().items():
            setattr(rule, key, value)
        rule.updated_at = clock.now()
        rule.save()
        self._forget(workspace_id)
        return rule

    def delete(self, workspace_id: str, auto_reply_id: str) -> None:
        self.get(workspace_id, auto_reply_id).delete()
        self._forget(workspace_id)

    def _forget(self, workspace_id: str) -> None:
        with self._lock:
            self._cache.pop(workspace_id, None)
