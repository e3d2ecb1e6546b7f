"""The workspace's 配信停止 / 配信再開 LINE keywords (a workspace setting; default 配信停止 and 配信再開).

Item in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``optout_keywords`` (absent: the defaults).

A friend's text matches a keyword after NFKC normalisation, trimming, dropping spaces and trailing 。.!！ (so
"配信停止。", "配信 停止" and full-width forms all count). Several keywords are allowed per action. A keyword is
refused when an enabled auto-reply would also answer it (the opt-out would silently win and the marketer's reply
never fire), when it is both a stop and a resume keyword, or when it is empty or too long; the message is Japanese
and names the keyword and, for a clash, the auto-reply. The auto-replies come in as a collaborator
(``RuleFinder``): this package does not import the LINE events package.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from typing import Any, Protocol

from pynamodb.attributes import UnicodeAttribute

from haishin import clock
from haishin.errors import ValidationFailed
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.workspaces.models import workspace_pk

DEFAULT_STOP = ("配信停止",)
DEFAULT_RESUME = ("配信再開",)
MAX_KEYWORDS = 10
MAX_KEYWORD_CHARS = 30
SK = "optout_keywords"


class OptOutKeywordsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=SK)
    stop = JSONTextAttribute(default=list)
    resume = JSONTextAttribute(default=list)
    updated_at = UTCDateTimeAttribute(null=True)


class RuleFinder(Protocol):
    def rule_matching(self, workspace_id: str, text: str) -> Any:
        """The enabled auto-reply (any channel) that would answer ``text``, or None."""


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip("。.!！").replace(" ", "").replace("\u3000", "")


class Keywords:
    def __init__(self, stop: list[str] | tuple[str, ...], resume: list[str] | tuple[str, ...]) -> None:
        self.stop = list(stop)
        self.resume = list(resume)
        self._stop = {normalise(k) for k in self.stop}
        self._resume = {normalise(k) for k in self.resume}

    def action_of(self, text: str) -> str | None:
        """"stop" | "resume" | None for a LINE text."""
        normalised = normalise(text)
        if normalised in self._stop:
            return "stop"
        if normalised in self._resume:
            return "resume"
        return None

    def view(self) -> dict[str, list[str]]:
        return {"stop": list(self.stop), "resume": list(self.resume)}


DEFAULTS = Keywords(DEFAULT_STOP, DEFAULT_RESUME)


def _clean(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed("キーワードを1つ以上入力してください", where=where)
    if len(value) > MAX_KEYWORDS:
        raise ValidationFailed(f"キーワードは{MAX_KEYWORDS}個までです", where=where)
    out: list[str] = []
    seen: set[str] = set()
    for index, keyword in enumerate(value):
        if not isinstance(keyword, str) or not normalise(keyword):
            raise ValidationFailed("空のキーワードは使えません", where=f"{where}.{index}")
        text = unicodedata.normalize("NFKC", keyword).strip()
        if len(text) > MAX_KEYWORD_CHARS:
            raise ValidationFailed(f"キーワード「{text}」は{MAX_KEYWORD_CHARS}文字以内にしてください",
                                   where=f"{where}.{index}")
        if normalise(text) in seen:
            continue
        seen.add(normalise(text))
        out.append(text)
    return out


class KeywordStore:
    """Read (cached briefly per container for the LINE events consumer) and write a workspace's keywords."""

    def __init__(self, cache_ttl_s: float = 10.0) -> None:
        self._ttl = cache_ttl_s
        self._cache: dict[str, tuple[float, Keywords]] = {}
        self._lock = threading.Lock()

    def get(self, workspace_id: str) -> Keywords:
        try:
            item = OptOutKeywordsModel.get(workspace_pk(workspace_id), SK, consistent_read=True)
        except OptOutKeywordsModel.DoesNotExist:
            return DEFAULTS
        return Keywords(item.stop or DEFAULT_STOP, item.resume or DEFAULT_RESUME)

    def cached(self, workspace_id: str) -> Keywords:
        with self._lock:
            hit = self._cache.get(workspace_id)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        keywords = self.get(workspace_id)
        with self._lock:
            self._cache[workspace_id] = (time.monotonic(), keywords)
        return keywords

    def put(self, workspace_id: str, body: Any, *, auto_replies: RuleFinder) -> Keywords:
        """Replace the keywords (``{"stop": [...], "resume": [...]}``), refusing clashes (see the module doc)."""
        if not isinstance(body, dict):
            raise ValidationFailed("JSONオブジェクトを送ってください", where="body")
        unknown = sorted(set(body) - {"stop", "resume"})
        if unknown:
            raise ValidationFailed(f"不明な項目「{unknown[0]}」です", where=unknown[0])
        stop = _clean(body.get("stop"), "stop")
        resume = _clean(body.get("resume"), "resume")
        both = {normalise(k) for k in stop} & {normalise(k) for k in resume}
        if both:
            word = next(k for k in resume if normalise(k) in both)
            raise ValidationFailed(f"「{word}」が配信停止と配信再開の両方に入っています", where="resume")
        for where, words in (("stop", stop), ("resume", resume)):
            for index, word in enumerate(words):
                rule = auto_replies.rule_matching(workspace_id, word)
                if rule is not None:
                    raise ValidationFailed(
                        f"キーワード「{word}」は自動応答「{rule.name}」と重なっています。"
                        "自動応答のキーワードを変えるか、別のキーワードにしてください",
                        where=f"{where}.{index}")
        OptOutKeywordsModel(workspace_pk(workspace_id), SK, stop=stop, resume=resume,
                            updated_at=clock.now()).save()
        with self._lock:
            self._cache.pop(workspace_id, None)
        return Keywords(stop, resume)

