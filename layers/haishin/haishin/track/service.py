"""Click tracking on every message: the rewriting at render time and what a click does.

Rendering (``Tracker.rewrite``, called by the one renderer's ``line_messages(..., track=...)``): every http(s) URL
becomes ``<public base>/c/<link>.<friend>.<source>.<mac>`` (``haishin.track.tokens``). The target record (link ID ->
workspace, URL) is written once per URL and container (a conditional put, remembered in process), so planning a
broadcast for 100,000 friends writes it once, not 100,000 times.

A click (``TrackService.click``): one GetItem (the target: workspace and URL), the HMAC checked with the workspace's
signing key (cached), then counted on the source (broadcast and its variant, scenario step, auto-reply) and on the
friend's inflow route when the friend has one, total (ADD) and unique (a conditional marker per friend). A forged or
malformed token redirects nowhere and counts nothing. Counting failures are logged; the friend still gets the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.errors import NotFound
from haishin.forms.tokens import LinkSigner
from haishin.links.service import ClickResult
from haishin.public_url import public_base
from haishin.track import tokens
from haishin.track.repository import TrackRepository
from haishin.track.rewrite import rewrite_in_place, rewrite_message_text, rewrite_uri_action
from haishin.ttl_cache import TtlLru

log = logging.getLogger(__name__)

_ENSURED_MAX = 20_000
_JST = ZoneInfo("Asia/Tokyo")


def day_jst(at: datetime) -> str:
    """``yyyymmdd`` of ``at`` in Japan time: the day a rich menu tap is counted on."""
    return at.astimezone(_JST).strftime("%Y%m%d")


def richmenu_scope(menu_id: str) -> str:
    """Click counters of a rich menu's tracked URLs: sub ``area#<index>#<yyyymmdd>`` (totals only: anonymous)."""
    return f"richmenu#{menu_id}"
_KEY_TTL_S = 300.0


def scopes(source: tokens.Source) -> list[tuple[str, str]]:
    """The (scope, sub) counters one click on ``source`` adds to."""
    if source.kind == "b":
        found = [(f"broadcast#{source.id}", "all")]
        if source.sub is not None:
            found.append((f"broadcast#{source.id}", f"variant#{source.sub}"))
        return found
    if source.kind == "s":
        found = [(f"scenario#{source.id}", f"step#{source.sub or ''}")]
        if source.variant is not None:  # an A/B test step: also its variant (scenarios.abtest.click_sub)
            found.append((f"scenario#{source.id}", f"step#{source.sub or ''}#variant#{source.variant}"))
        return found
    return [(f"autoreply#{source.id}", "all")]


@dataclass(frozen=True)
class _SourceState:
    """What every friend's Tracker of one source shares (kept per source for the key's TTL: planning a broadcast
    makes one Tracker per friend)."""

    source: tokens.Source
    encoded: str
    key: bytes
    base: str  # <public base>/c/
    untouched: tuple[str, str]  # never wrapped: our tracked URLs (no double wrap) and the opt-out page


class Tracker:
    """Rewrites one friend's rendered messages for one source (what the renderer is handed); the renderer calls
    ``uri_action`` / ``message_text`` from its own walk."""

    def __init__(self, service: TrackService, workspace_id: str, subscriber_id: str, state: _SourceState) -> None:
        self.service = service
        self.workspace_id = workspace_id
        self.subscriber_id = subscriber_id
        self.source = state.source
        self._state = state
        self._minter = tokens.Minter(state.key, workspace_id, subscriber_id, state.encoded)

    def wrap(self, url: str) -> str:
        return self._state.base + self._minter.token(self.service.ensure(self.workspace_id, url))

    def uri_action(self, action: dict[str, Any]) -> None:
        rewrite_uri_action(action, self.wrap, self._state.untouched)

    def message_text(self, message: Any) -> None:
        rewrite_message_text(message, self.wrap, self._state.untouched)

    def rewrite(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rewrites already rendered messages in place (and returns them)."""
        return rewrite_in_place(messages, self.wrap, self._state.untouched)


class TrackService:
    def __init__(self, *, secrets: Any, subscribers: Any, timeline: Any,
                 repository: TrackRepository | None = None) -> None:
        self.signer = LinkSigner(secrets)
        self.subscribers = subscribers
        self.timeline = timeline
        self.repository = repository or TrackRepository()
        self._ensured: dict[tuple[str, str], str] = {}  # (workspace, URL) -> link ID, target written
        self._keys = TtlLru(1_000)
        self._sources = TtlLru(1_000)  # per source: its key, encoding and base URL, shared by every friend's Tracker

    # ------------------------------------------------------------------ rendering
    def tracker(self, workspace_id: str, subscriber_id: str, kind: str, source_id: str, sub: str | None = None,
                variant: str | None = None) -> Tracker:
        """kind: ``b`` (broadcast; sub = variant index), ``s`` (scenario; sub = step ID, variant = the A/B step's
        variant index), ``a`` (auto-reply)."""
        base = public_base()
        cache_key = f"{base}|{workspace_id}|{kind}|{source_id}|{sub}|{variant}"
        found, state = self._sources.get(cache_key)
        if not found:
            source = tokens.Source(kind, source_id, sub, variant)
            state = _SourceState(source, source.encode(), self.key(workspace_id), f"{base}/c/",
                                 (f"{base}/c/", f"{base}/u/"))
            self._sources.put(cache_key, state, _KEY_TTL_S)
        return Tracker(self, workspace_id, subscriber_id, state)

    def shared_url(self, workspace_id: str, url: str, kind: str, source_id: str, sub: str) -> str:
        """A tracked URL every friend shares (a rich menu area, ``kind`` ``r``): its taps are counted on the
        source without a friend (``tokens.ANONYMOUS``)."""
        return self.tracker(workspace_id, tokens.ANONYMOUS, kind, source_id, sub).wrap(url)

    def key(self, workspace_id: str, *, create: bool = True) -> bytes:
        found, key = self._keys.get(workspace_id)
        if not found:
            key = self.signer.key(workspace_id, create=create)
            self._keys.put(workspace_id, key, _KEY_TTL_S)
        return bytes(key)

    def ensure(self, workspace_id: str, url: str) -> str:
        """The URL's link ID, its target record written on the first use in this container (it never changes)."""
        link_id = self._ensured.get((workspace_id, url))
        if link_id is None:
            link_id = tokens.link_id_for(workspace_id, url)
            self.repository.ensure_target(link_id, workspace_id, url, clock.now())
            if len(self._ensured) >= _ENSURED_MAX:
                self._ensured.clear()
            self._ensured[(workspace_id, url)] = link_id
        return link_id

    # ------------------------------------------------------------------ click
    def click(self, token: str) -> ClickResult:
        try:
            parsed = tokens.parse(token)
        except tokens.TrackTokenInvalid as exc:
            return ClickResult("token_invalid", token_reason=exc.reason)
        target = self.repository.target(parsed.link_id)
        if target is None:
            return ClickResult("not_found")
        workspace_id = target.workspace_id
        try:
            source = tokens.verify(self.key(workspace_id, create=False), workspace_id, parsed)
        except (tokens.TrackTokenInvalid, NotFound) as exc:
            reason = exc.reason if isinstance(exc, tokens.TrackTokenInvalid) else "signature"
            log.info("tracked URL %s: refused a %s token", parsed.link_id, reason)
            return ClickResult("token_invalid", link_id=parsed.link_id, token_reason=reason)
        if parsed.subscriber_id == tokens.ANONYMOUS:  # a rich menu area's URL: counted, nobody attributed
            if source.kind == "r":
                try:
                    self.repository.add(workspace_id, richmenu_scope(source.id),
                                        f"area#{source.sub or 0}#{day_jst(clock.now())}")
                except Exception:  # the friend still reaches the page
                    log.exception("tracked URL %s: counting failed", parsed.link_id)
            return ClickResult("redirect", target_url=target.target_url, link_id=parsed.link_id)
        result = ClickResult("redirect", target_url=with_friend_token(
            target.target_url, lambda: self.friend_token(workspace_id, parsed.subscriber_id)),
            link_id=parsed.link_id, subscriber_id=parsed.subscriber_id)
        try:
            result.first_click = self._record(workspace_id, parsed.subscriber_id, source, target.target_url)
        except Exception:  # the friend still reaches the page
            log.exception("tracked URL %s: counting failed", parsed.link_id)
        return result

    def _record(self, workspace_id: str, subscriber_id: str, source: tokens.Source, url: str) -> bool:
        now = clock.now()
        counted = list(scopes(source))
        subscriber = self.subscribers.get(workspace_id, subscriber_id)
        route = getattr(subscriber, "inflow_route", None) if subscriber is not None else None
        if route:
            counted.append((f"route#{route}", "all"))
        first = False
        self.repository.note_last_click(workspace_id, subscriber_id, source.encode(), now)  # conversions: one put
        for scope, sub in counted:
            first = self.repository.count(workspace_id, scope, sub, subscriber_id, now) or first
        if subscriber is not None:
            self.timeline.append(workspace_id, subscriber_id, "link_clicked",
                                 {"target_url": url, "source": tokens.KINDS[source.kind], "source_id": source.id,
                                  "sub": source.sub}, actor="friend", at=now)
        return first

    # ------------------------------------------------------------------ conversions
    def friend_token(self, workspace_id: str, subscriber_id: str) -> str:
        """The signed friend token a thank-you page passes to ``/cv/<code>?f=`` (``tokens.friend_token``)."""
        return tokens.friend_token(self.key(workspace_id), workspace_id, subscriber_id, epoch_day())

    def friend_of(self, workspace_id: str, token: str) -> str | None:
        """The friend a token names, or None when it is malformed, forged, expired or the workspace has no key."""
        try:
            return tokens.verify_friend_token(self.key(workspace_id, create=False), workspace_id, token, epoch_day())
        except (tokens.TrackTokenInvalid, NotFound):
            return None

    def last_click(self, workspace_id: str, subscriber_id: str) -> tuple[tokens.Source, datetime] | None:
        """The friend's last counted click on a tracked URL: its source and time."""
        found = self.repository.last_click(workspace_id, subscriber_id)
        if found is None:
            return None
        try:
            return tokens.Source.decode(found[0]), found[1]
        except tokens.TrackTokenInvalid:
            return None

    # ------------------------------------------------------------------ counts
    def counts(self, workspace_id: str, scope: str) -> dict[str, tuple[int, int]]:
        return self.repository.stats(workspace_id, scope)

    def clickers(self, workspace_id: str, scope: str, sub: str) -> set[str]:
        """The friends who clicked a tracked URL of (scope, sub), e.g. one A/B variant of a broadcast."""
        return set(self.repository.friends(workspace_id, scope, sub))

    def broadcast_view(self, workspace_id: str, broadcast_id: str, *, delivered: int,
                       variant_delivered: dict[int, int] | None = None) -> dict[str, Any]:
        """Clicks on a broadcast: total, unique friends, click rate (= unique / delivered; UTAGE's "LINE open rate
        measured by URL clicks"), and the same per A/B variant."""
        counts = self.counts(workspace_id, f"broadcast#{broadcast_id}")
        clicks, unique = counts.get("all", (0, 0))
        variants = []
        for sub, (v_clicks, v_unique) in sorted(counts.items()):
            if sub.startswith("variant#"):
                index = int(sub.split("#", 1)[1])
                v_delivered = (variant_delivered or {}).get(index)
                variants.append({"variant": index, "clicks": v_clicks, "unique_clicks": v_unique,
                                 "delivered": v_delivered, "click_rate": rate(v_unique, v_delivered)})
        return {"broadcast_id": broadcast_id, "clicks": clicks, "unique_clicks": unique, "delivered": delivered,
                "click_rate": rate(unique, delivered), "variants": variants}

    def scenario_view(self, workspace_id: str, scenario_id: str, step_ids: list[str]) -> dict[str, Any]:
        """Clicks on each step of a scenario (total and unique friends)."""
        counts = self.counts(workspace_id, f"scenario#{scenario_id}")
        return {"scenario_id": scenario_id, "steps": [
            {"step_id": step_id, "clicks": counts.get(f"step#{step_id}", (0, 0))[0],
             "unique_clicks": counts.get(f"step#{step_id}", (0, 0))[1]} for step_id in step_ids]}

    def single_view(self, workspace_id: str, scope: str) -> dict[str, int]:
        """Clicks on an auto-reply (``autoreply#<id>``) or an inflow route (``route#<name>``)."""
        clicks, unique = self.counts(workspace_id, scope).get("all", (0, 0))
        return {"clicks": clicks, "unique_clicks": unique}


FRIEND_PARAM = "hs_cv"


def epoch_day() -> int:
    return int(clock.now().timestamp() // 86_400)


def with_friend_token(url: str, token: Callable[[], str]) -> str:
    """``url`` with an empty ``hs_cv=`` query parameter filled with the friend token (the marketer opts a link in
    by writing ``hs_cv=`` into it); any other URL is returned as it is (no token leaks to other sites)."""
    if FRIEND_PARAM not in url:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k == FRIEND_PARAM and not v for k, v in query):
        return url
    filled = [(k, token() if k == FRIEND_PARAM and not v else v) for k, v in query]
    return urlunsplit(parts._replace(query=urlencode(filled, safe="~")))


def rate(unique: int, delivered: int | None) -> float | None:
    """Click rate = unique clickers / delivered (None when nothing was delivered)."""
    return round(unique / delivered, 4) if delivered else None


__all__ = ["FRIEND_PARAM", "TrackService", "Tracker", "day_jst", "epoch_day", "rate", "richmenu_scope", "scopes",
           "with_friend_token"]
