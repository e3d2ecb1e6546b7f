"""Conversion points: CRUD for the admin, recording a conversion once, its attribution, and the counts.

A conversion point (code = ID = URL part) has a kind:
- ``purchase``: a Stripe payment completing (the ``purchase_completed`` event; optionally one product); its value
  is the amount paid;
- ``form``: a form answer (one form, or any); ``tag``: a tag added (one tag);
- ``url``: a hit on ``/cv/<code>?f=<friend token>[&txn=<order number>]`` (a thank-you page's pixel) or an API call
  ``POST /api/conversions`` naming the friend.
Non-purchase kinds are worth the point's fixed ``value`` (0 when unset).

Recording (``record``): once per (point, cause) through the run-once claims (``storage.once.Once``; the cause is
the order, the form answer, the tag event, the ``txn`` or the API's ``event_id``; a URL hit without ``txn`` counts
once per friend). Attribution, read when the conversion happens: the friend's LAST CLICK on a tracked URL
(``track``'s per-friend record) if within the point's window, the LAST MESSAGE the friend received (the newest
``message_out`` / ``step_sent`` timeline entry within the window: scenario steps, auto-replies, and per-friend
sends that write one; broadcast batches write no per-friend timeline entry, so a broadcast is credited by its
clicks only — see docs/production/conv.md), and the friend's inflow route (no window: it is
where the friend came from). Counters (ADD, atomic) per point and per source: conversions, unique friends, revenue.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from haishin import clock
from haishin.conversions.models import ConversionPointModel, points_pk
from haishin.conversions.repository import ConversionRepository
from haishin.errors import NotFound, ValidationFailed
from haishin.public_url import public_base
from haishin.storage.base import iso
from haishin.storage.once import Once
from haishin.track.tokens import KINDS, Source, TrackTokenInvalid

log = logging.getLogger(__name__)

EVENT_KINDS = {"purchase_completed": "purchase", "form_submitted": "form", "tag_added": "tag"}
MAX_WINDOW_DAYS = 90
ONCE_TTL = timedelta(days=400)  # a cause never counts twice for longer than any window or Stripe redelivery
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10
MESSAGE_KINDS = ("message_out", "step_sent")
TIMELINE_LOOKBACK = 30  # newest timeline entries read to find the last message


class PointDefinition(BaseModel):
    """What the admin sends to create or replace a conversion point."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["purchase", "form", "tag", "url"]
    form_id: str | None = None
    tag_id: str | None = None
    product_id: str | None = None
    window_days: int = Field(default=7, ge=1, le=MAX_WINDOW_DAYS)
    value: int | None = Field(default=None, ge=0, le=100_000_000)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("名前を入力してください")
        return value.strip()


class ConversionCall(BaseModel):
    """``POST /api/conversions``: a server-side conversion of one friend at a ``url`` point."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    subscriber_id: str = Field(min_length=1, max_length=80)
    event_id: str | None = Field(default=None, min_length=1, max_length=200)
    value: int | None = Field(default=None, ge=0, le=100_000_000)


def point_url(code: str) -> str:
    return f"{public_base()}/cv/{code}"


def snippet(code: str) -> str:
    """The thank-you page's pixel (the friend token arrives as ``hs_cv`` on the landing page's URL)."""
    return (f'<img src="{point_url(code)}?f=HS_CV&txn=ORDER_ID" width="1" height="1" alt="">')


def source_view(encoded: str) -> dict[str, Any]:
    try:
        source = Source.decode(encoded)
    except TrackTokenInvalid:
        return {"kind": "unknown", "id": encoded, "sub": None}
    return {"kind": KINDS[source.kind], "id": source.id, "sub": source.sub}


def source_counters(attr: str, source: Source) -> list[tuple[str, str]]:
    """The (scope, sub) counters of a source for one attribution (``click`` or ``message``)."""
    if source.kind == "b":
        found = [(f"broadcast#{source.id}", attr), (f"broadcast#{source.id}", "ab")]
        if attr == "click" and source.sub is not None:
            found.append((f"broadcast#{source.id}", f"click#variant#{source.sub}"))
        return found
    if source.kind == "s":
        return [(f"scenario#{source.id}", f"{attr}#step#{source.sub or ''}")]
    return [(f"autoreply#{source.id}", attr)]


def _triple(values: tuple[int, int, int] | None) -> dict[str, int]:
    conversions, unique, revenue = values or (0, 0, 0)
    return {"conversions": conversions, "unique_conversions": unique, "revenue": revenue}


class ConversionService:
    def __init__(self, *, repository: ConversionRepository, track: Any, subscribers: Any, timeline: Any,
                 once: Once) -> None:
        self.repository = repository
        self.track = track  # haishin.track.service.TrackService: last clicks and friend tokens
        self.subscribers = subscribers
        self.timeline = timeline
        self.once = once

    # ------------------------------------------------------------------ admin: points
    def create(self, workspace_id: str, definition: PointDefinition) -> ConversionPointModel:
        self._check(definition)
        now = clock.now()
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        point = ConversionPointModel(pk=points_pk(workspace_id), sk=code, created_at=now, updated_at=now)
        self._apply(point, definition)
        self.repository.create(point, workspace_id)
        return point

    def replace(self, workspace_id: str, code: str, definition: PointDefinition) -> ConversionPointModel:
        self._check(definition)
        point = self.repository.require(workspace_id, code)
        self._apply(point, definition)
        point.updated_at = clock.now()
        self.repository.save(point)
        return point

    def delete(self, workspace_id: str, code: str) -> None:
        self.repository.require(workspace_id, code)
        self.repository.delete(workspace_id, code)

    @staticmethod
    def _check(definition: PointDefinition) -> None:
        if definition.kind == "tag" and not definition.tag_id:
            raise ValidationFailed("タグを選んでください", where="tag_id")
        if definition.kind != "tag" and definition.tag_id:
            raise ValidationFailed("タグは種類「タグ追加」でだけ指定できます", where="tag_id")
        if definition.kind != "form" and definition.form_id:
            raise ValidationFailed("フォームは種類「フォーム回答」でだけ指定できます", where="form_id")
        if definition.kind != "purchase" and definition.product_id:
            raise ValidationFailed("商品は種類「購入」でだけ指定できます", where="product_id")
        if definition.kind == "purchase" and definition.value is not None:
            raise ValidationFailed("購入の売上は支払われた金額です（固定値は指定できません）", where="value")

    @staticmethod
    def _apply(point: ConversionPointModel, definition: PointDefinition) -> None:
        point.name = definition.name
        point.kind = definition.kind
        point.form_id = definition.form_id
        point.tag_id = definition.tag_id
        point.product_id = definition.product_id
        point.window_days = definition.window_days
        point.value = definition.value

    def view(self, point: ConversionPointModel, *, stats: dict[str, tuple[int, int, int]] | None = None
             ) -> dict[str, Any]:
        code = point.sk
        found = {
            "code": code, "name": point.name, "kind": point.kind, "form_id": point.form_id, "tag_id": point.tag_id,
            "product_id": point.product_id, "window_days": int(point.window_days or 7),
            "value": int(point.value) if point.value is not None else None,
            "url": point_url(code), "snippet": snippet(code),
            "created_at": iso(point.created_at), "updated_at": iso(point.updated_at),
        }
        if stats is not None:
            found.update(_triple(stats.get("all")))
        return found

    def views(self, workspace_id: str) -> list[dict[str, Any]]:
        return [self.view(p, stats=self.repository.stats(workspace_id, f"point#{p.sk}"))
                for p in sorted(self.repository.points(workspace_id), key=lambda p: p.created_at)]

    def detail(self, workspace_id: str, code: str) -> dict[str, Any]:
        """The point with its totals, its breakdown by source (last click, last message, route) and its recent
        conversions."""
        point = self.repository.require(workspace_id, code)
        stats = self.repository.stats(workspace_id, f"point#{code}")
        view = self.view(point, stats=stats)
        breakdown = []
        for sub, values in sorted(stats.items()):
            attr, _, rest = sub.partition("#")
            if attr in ("click", "message"):
                breakdown.append({"attribution": attr, "source": source_view(rest), **_triple(values)})
            elif attr == "route":
                breakdown.append({"attribution": "route", "source": {"kind": "route", "id": rest, "sub": None},
                                  **_triple(values)})
        view["breakdown"] = sorted(breakdown, key=lambda b: (-b["conversions"], b["attribution"]))
        view["recent"] = [{"subscriber_id": c.subscriber_id, "value": int(c.value or 0), "cause": c.cause,
                           "attribution": c.attribution or {}, "at": iso(c.at)}
                          for c in self.repository.recent(workspace_id, code)]
        return view

    # ------------------------------------------------------------------ events (the WebhookEvents protocol)
    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        """A domain event (purchase, form answer, tag added): a conversion at every matching point."""
        kind = EVENT_KINDS.get(event_type)
        subscriber_id = data.get("subscriber_id")
        if kind is None or not subscriber_id:
            return 0
        recorded = 0
        for point in self.repository.points(workspace_id):
            if point.kind != kind or not self._matches(point, data):
                continue
            value = int(data.get("amount") or 0) if kind == "purchase" else int(point.value or 0)
            if self.record(workspace_id, point, str(subscriber_id), f"{kind}:{idempotency_key}", value):
                recorded += 1
        return recorded

    @staticmethod
    def _matches(point: ConversionPointModel, data: dict[str, Any]) -> bool:
        if point.kind == "form":
            return point.form_id in (None, "", data.get("form_id"))
        if point.kind == "tag":
            return bool(point.tag_id) and point.tag_id == data.get("tag_id")
        if point.kind == "purchase":
            return point.product_id in (None, "", data.get("product_id"))
        return False

    # ------------------------------------------------------------------ URL hits and API calls
    def hit(self, code: str, friend_token: str | None, txn: str | None) -> str:
        """A hit on ``/cv/<code>``: ``recorded`` | ``duplicate`` | ``not_found`` | ``token_invalid``."""
        workspace_id = self.repository.workspace_of(code) if _plain(code) else None
        point = self.repository.get(workspace_id, code) if workspace_id else None
        if workspace_id is None or point is None or point.kind != "url":
            return "not_found"
        subscriber_id = self.track.friend_of(workspace_id, friend_token or "") if friend_token else None
        if subscriber_id is None or self.subscribers.get(workspace_id, subscriber_id) is None:
            return "token_invalid"
        cause = f"url:{txn.strip()[:200]}" if txn and txn.strip() else f"url:friend:{subscriber_id}"
        recorded = self.record(workspace_id, point, subscriber_id, cause, int(point.value or 0))
        return "recorded" if recorded else "duplicate"

    def call(self, workspace_id: str, body: ConversionCall) -> dict[str, Any]:
        """``POST /api/conversions`` (the friend is checked to be this workspace's by the API's front door)."""
        point = self.repository.get(workspace_id, body.code)
        if point is None:
            raise NotFound("コンバージョンポイントが見つかりません", where="code")
        if point.kind != "url":
            raise ValidationFailed("APIで記録できるのは種類「URL・API」のポイントだけです", where="code")
        if self.subscribers.get(workspace_id, body.subscriber_id) is None:
            raise NotFound("友だちが見つかりません", where="subscriber_id")
        cause = f"api:{body.event_id}" if body.event_id else f"url:friend:{body.subscriber_id}"
        value = body.value if body.value is not None else int(point.value or 0)
        recorded = self.record(workspace_id, point, body.subscriber_id, cause, value)
        return {"code": body.code, "subscriber_id": body.subscriber_id, "recorded": recorded}

    # ------------------------------------------------------------------ recording
    def record(self, workspace_id: str, point: ConversionPointModel, subscriber_id: str, cause: str,
               value: int) -> bool:
        """One conversion, once per (point, cause); True when it was recorded now."""
        code = point.sk
        key = f"cv#{workspace_id}#{code}#{cause}"
        claim = self.once.claim(key, ttl=ONCE_TTL)
        if not claim.acquired:
            return False
        try:
            now = clock.now()
            attribution, counters = self.attribute(workspace_id, code, subscriber_id,
                                                   int(point.window_days or 7), now)
            for scope, sub in counters:
                self.repository.add(workspace_id, scope, sub, subscriber_id, value, now)
            conversion_id = hashlib.sha256(key.encode()).hexdigest()[:20]
            self.repository.log(workspace_id, code, conversion_id, subscriber_id=subscriber_id, value=value,
                                cause=cause, attribution=attribution, at=now)
            self.timeline.append(workspace_id, subscriber_id, "converted",
                                 {"code": code, "name": point.name, "value": value, **attribution},
                                 actor="system", at=now, entry_id=f"cv_{conversion_id}")
        except BaseException:
            self.once.release(key)
            raise
        self.once.complete(key, ttl=ONCE_TTL)
        return True

    def attribute(self, workspace_id: str, code: str, subscriber_id: str, window_days: int, now: datetime
                  ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """(what the conversion is attributed to, the counters it adds to: each once)."""
        since = now - timedelta(days=window_days)
        attribution: dict[str, str] = {}
        counters: list[tuple[str, str]] = [(f"point#{code}", "all")]
        click = self.track.last_click(workspace_id, subscriber_id)
        if click is not None and click[1] >= since:
            source, at = click
            attribution.update(click=source.encode(), click_at=iso(at))
            counters.append((f"point#{code}", f"click#{source.encode()}"))
            counters.extend(source_counters("click", source))
        message = self.last_message(workspace_id, subscriber_id, since)
        if message is not None:
            source, at = message
            attribution.update(message=source.encode(), message_at=iso(at))
            counters.append((f"point#{code}", f"message#{source.encode()}"))
            counters.extend(source_counters("message", source))
        subscriber = self.subscribers.get(workspace_id, subscriber_id)
        route = getattr(subscriber, "inflow_route", None) if subscriber is not None else None
        if route:
            attribution["route"] = str(route)
            counters += [(f"point#{code}", f"route#{route}"), (f"route#{route}", "all")]
        return attribution, list(dict.fromkeys(counters))  # a broadcast both clicked and last: its A/B once

    def last_message(self, workspace_id: str, subscriber_id: str, since: datetime) -> tuple[Source, datetime] | None:
        entries, _ = self.timeline.page(workspace_id, subscriber_id, limit=TIMELINE_LOOKBACK)
        for entry in entries:
            if entry.at < since:
                return None
            if entry.kind not in MESSAGE_KINDS:
                continue
            data = entry.data or {}
            if entry.kind == "step_sent" and data.get("scenario_id"):
                return Source("s", str(data["scenario_id"]), str(data.get("step_id") or "")), entry.at
            if data.get("auto_reply_id"):
                return Source("a", str(data["auto_reply_id"])), entry.at
            actor = entry.actor or ""
            if actor.startswith("broadcast:") and actor != "broadcast:":
                return Source("b", actor.split(":", 1)[1]), entry.at
        return None

    # ------------------------------------------------------------------ reads per source
    def broadcast_view(self, workspace_id: str, broadcast_id: str, *, delivered: int) -> dict[str, Any]:
        stats = self.repository.stats(workspace_id, f"broadcast#{broadcast_id}")
        variants = []
        for sub, values in sorted(stats.items()):
            if sub.startswith("click#variant#"):
                variants.append({"variant": int(sub.rsplit("#", 1)[1]), "by_click": _triple(values)})
        return {"broadcast_id": broadcast_id, "delivered": delivered, "by_click": _triple(stats.get("click")),
                "by_message": _triple(stats.get("message")), "any": _triple(stats.get("ab")),
                "conversion_rate": _rate(_triple(stats.get("ab"))["unique_conversions"], delivered),
                "variants": variants}

    def scenario_view(self, workspace_id: str, scenario_id: str, step_ids: list[str]) -> dict[str, Any]:
        stats = self.repository.stats(workspace_id, f"scenario#{scenario_id}")
        return {"scenario_id": scenario_id, "steps": [
            {"step_id": s, "by_click": _triple(stats.get(f"click#step#{s}")),
             "by_message": _triple(stats.get(f"message#step#{s}"))} for s in step_ids]}

    def single_view(self, workspace_id: str, scope: str, sub: str) -> dict[str, int]:
        return _triple(self.repository.stats(workspace_id, scope).get(sub))

    def converters(self, workspace_id: str, broadcast_id: str) -> dict[str, int]:
        """Friends with a conversion attributed to the broadcast (last click or last message) -> their revenue."""
        return dict(self.repository.friends(workspace_id, f"broadcast#{broadcast_id}", "ab"))


def _plain(code: str) -> bool:
    return 1 <= len(code) <= 40 and all(c.isalnum() or c in "-_" for c in code) and code.isascii()


def _rate(unique: int, delivered: int) -> float | None:
    return round(unique / delivered, 4) if delivered else None


__all__ = ["ConversionCall", "ConversionService", "PointDefinition", "point_url", "snippet", "source_counters"]
