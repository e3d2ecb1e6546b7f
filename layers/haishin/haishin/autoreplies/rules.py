"""Keyword auto-replies (自動応答): stored per workspace, optionally limited to one channel.

Item in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``autoreply#<auto_reply_id>``.

Matching: rules are tried by ascending ``priority`` (1 before 10), then by creation; the first enabled rule whose
channel matches (or is empty: every channel) and one of whose keywords matches wins. Text is normalised with NFKC
(full-width ＡＢＣ / half-width ｶﾅ become their usual forms) and, for ``exact`` and ``contains``, case-folded.
``regex`` searches the NFKC text with the ``regex`` package, whose searches take a ``timeout``: a marketer's
pattern can never hold the events consumer. A pattern that could backtrack catastrophically is refused when the
rule is saved (``check_pattern``): back-references, a repeat inside a variable repeat (``(a+)+``), and anything
that runs out of time on adversarial probe texts (``(a|aa)+$``). At match time a search that still runs past
``MATCH_TIMEOUT_S`` counts as no match and is logged.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from datetime import datetime
from typing import Any, Literal

import regex
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from haishin import clock, ids
from haishin.actions import parse_actions
from haishin.errors import NotFound, ValidationFailed, pydantic_message
from haishin.render import renderer
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.workspaces.models import workspace_pk

MATCH_TYPES = ("exact", "contains", "regex")
MESSAGE_TYPES = frozenset({"text", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"})
MAX_TEXT_TO_MATCH = 2000
SK_PREFIX = "autoreply#"
MATCH_TIMEOUT_S = 0.05  # per search, at match time (a friend's message is at most MAX_TEXT_TO_MATCH characters)
PROBE_TIMEOUT_S = 0.25  # per probe text, when a rule is saved
PROBE_BUDGET_S = 1.0  # all probes of one pattern together
MAX_PROBE_CHARS = 24
logger = Logger(child=True)


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
    model_config = ConfigDict(defer_build=True, extra="forbid")

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
                raise ValueError(f"キーワード {index} は1〜200文字で入力してください")
        return value

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, message in enumerate(value):
            kind = message.get("type")
            if kind not in MESSAGE_TYPES:
                raise ValueError(f"メッセージ {index} の種類 {kind!r} は使えません")
            if kind == "text":
                text = message.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= 5000:
                    raise ValueError(f"メッセージ {index}: 本文は1〜5000文字で入力してください")
        return value


def _field_error(error: ValidationError) -> ValidationFailed:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = pydantic_message(first)
    problems = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": pydantic_message(e)}
                for e in error.errors()]
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
            problem = check_pattern(keyword)
            if problem:
                raise ValidationFailed(problem, where=f"keywords.{index}")
    try:
        parse_actions(data.actions)
    except ValidationError as error:
        failed = _field_error(error)
        failed.where = f"actions.{failed.where}" if failed.where else "actions"
        raise failed from error
    _check_templates(data.messages, "messages")
    return data


def _check_templates(value: Any, where: str) -> None:
    """Reply messages are templates (rendered when a friend's text matches): they must compile and stay within the
    sandbox's caps now, not fail or hang in the events consumer."""
    if isinstance(value, str):
        if "{" in value:
            renderer().check(value, where=where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_templates(item, f"{where}.{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_templates(item, f"{where}.{key}")


NESTED_REPEAT = "(a+)+ のような、繰り返しの中の繰り返しは使えません。繰り返しを1段にしてください"
SLOW_PATTERN = "この正規表現は、届いたメッセージによっては照合が終わらなくなるおそれがあるため保存できません: {reason}"


def _children(op: Any, arg: Any) -> list[Any]:
    """The sub-trees of one ``re._parser`` node."""
    import re._constants as c  # noqa: PLC0415

    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return [arg[2]]
    if op in (c.SUBPATTERN, c.ATOMIC_GROUP):
        return [arg[-1]]
    if op == c.BRANCH:
        return list(arg[1])
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [arg[1]]
    if op == c.GROUPREF_EXISTS:
        return [part for part in arg[1:] if part is not None]
    return []


def _walk(items: Any) -> Any:
    """Every (op, arg) of a parsed pattern, depth first."""
    for op, arg in items:
        yield op, arg
        for child in _children(op, arg):
            yield from _walk(child)


def _repeats(items: Any) -> list[tuple[int, int, Any]]:
    """(min, max, subpattern) of every repeat in a parsed pattern."""
    import re._constants as c  # noqa: PLC0415

    return [(arg[0], arg[1], arg[2]) for op, arg in _walk(items)
            if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT)]


def check_pattern(pattern: str) -> str | None:
    """Why a marketer's regular expression cannot be saved (a Japanese message), or None when it is safe."""
    import re._parser as sre_parse  # noqa: PLC0415 - the stdlib parser gives the tree the checks walk

    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        return f"正規表現として正しくありません: {exc}"
    literal_chars: set[str] = set()
    try:
        tree = sre_parse.parse(pattern)
    except re.error:
        tree = None  # syntax only ``regex`` knows (\p{Han}...): the probes below still apply
    if tree is not None:
        import re._constants as c  # noqa: PLC0415

        nodes = list(_walk(tree))
        if any(op in (c.GROUPREF, c.GROUPREF_EXISTS) for op, _ in nodes):
            return SLOW_PATTERN.format(reason="後方参照 (\\1 や (?P=名前)) は使えません")
        for _low, high, sub in _repeats(tree):
            if high > 1 and any(low != inner_high for low, inner_high, _ in _repeats(sub)):
                return SLOW_PATTERN.format(reason=NESTED_REPEAT)
        literal_chars = {chr(arg) for op, arg in nodes if op == c.LITERAL}
        literal_chars |= {chr(a) for op, arg in nodes if op == c.IN for o, a in arg if o == c.LITERAL}
    probes = ["a", "0", " ", "あ", "ア", "予", *sorted(literal_chars)][:MAX_PROBE_CHARS]
    deadline = time.monotonic() + PROBE_BUDGET_S  # a save never waits longer than this, however many probes
    for ch in probes:
        for text in (ch * MAX_TEXT_TO_MATCH + "\u0000", ch * MAX_TEXT_TO_MATCH):
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                compiled.search(text, timeout=min(PROBE_TIMEOUT_S, remaining))
            except TimeoutError:
                return SLOW_PATTERN.format(reason=f"「{ch}」が続くメッセージで照合が時間内に終わりません")
    return None


def search(pattern: str, text: str) -> bool:
    """A bounded search: past ``MATCH_TIMEOUT_S`` (or an invalid pattern saved before the checks) is no match."""
    try:
        return regex.search(pattern, text, timeout=MATCH_TIMEOUT_S) is not None
    except regex.error:
        return False
    except TimeoutError:
        logger.warning("auto-reply pattern timed out", extra={"pattern": pattern[:200]})
        return False


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
        if rule.match_type == "regex" and search(keyword, text):
            return True
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

    def rule_matching(self, workspace_id: str, text: str) -> AutoReplyModel | None:
        """The first enabled rule, on any channel, that would answer ``text`` (used to refuse clashing keywords)."""
        for rule in self.list_rules(workspace_id):
            if rule.enabled and matches(rule, text):
                return rule
        return None

    def get(self, workspace_id: str, auto_reply_id: str) -> AutoReplyModel:
        try:
            return AutoReplyModel.get(workspace_pk(workspace_id), SK_PREFIX + auto_reply_id, consistent_read=True)
        except AutoReplyModel.DoesNotExist as exc:
            raise NotFound("自動応答が見つかりません", where=f"auto-reply {auto_reply_id}") from exc

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
