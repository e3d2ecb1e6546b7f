"""The LINE Login behind a route URL: ``/r/<code>`` -> LINE's authorize screen -> ``/login/callback``.

- start: the route's channel must have a LINE Login channel (ID + secret in the channel's secret). The ``state`` is
  ``<payload>.<signature>``: base64url JSON (workspace, route, a random ``jti``, the ``nonce``, an expiry 10 minutes
  on) signed HMAC-SHA256 with the Login channel secret. ``bot_prompt=aggressive`` asks the user to add the bot.
- the state is bound to the browser that opened the route URL: ``/r/<code>`` sets a short-lived HttpOnly,
  SameSite=Lax cookie (Secure on https) holding a random value whose hash is in the signed state; the callback
  refuses a state that comes without its cookie (a state stolen, replayed or planted from another browser: login CSRF).
- callback: the state's signature, expiry and browser binding are checked, then its ``jti`` is claimed through
  THE run-once mechanism (``storage.once``), so a state (and the code that came with it) works once. The code is
  exchanged with LINE (``haishin.line.login``), the ID token verified (signature, iss, aud, exp, our nonce). Then:
  a friend who follows the channel already is attributed now (the first step of a scenario the route started is queued
  at once, ``FirstStepsNow``) and their rich menu re-linked (route rules, ``FriendMenus``); anyone else gets a pending
  attribution that their follow consumes (``RouteService.take_pending``). A route that replaces the friend-added
  scenarios whose login's own follow was processed first (LINE sends the follow before redirecting the browser) stops
  the friend-added enrollments that follow started. The follow webhook may also arrive before the callback: after
  writing the pending record the friend is read again, and whoever takes the pending record first attributes.
- Any refusal (LINE's ``error``, a bad state, a replayed state, a refused code, a bad ID token) raises
  ``LoginRefused`` before anything is stored. When LINE's token endpoint does not answer, the state's claim is
  released, so a reload of the callback may try again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from haishin import clock
from haishin.channels.service import login_callback_url
from haishin.errors import ExternalServiceError, NotFound
from haishin.line import login as line_login
from haishin.line.login import LoginRefused, LoginStart
from haishin.public_url import public_base
from haishin.routes.models import RouteModel
from haishin.routes.service import RouteService, visit_reference
from haishin.scenarios.triggers import FRIEND_ADDED, ROUTE_STARTED
from haishin.secrets import SecretStore, secret_name
from haishin.storage.base import iso
from haishin.storage.once import Once
from haishin.subscribers.models import follow_status
from haishin.subscribers.repository import SubscriberRepository

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
MAX_STATE_LENGTH = 1024


COOKIE_PREFIX = line_login.STATE_COOKIE_PREFIX


class Channels(Protocol):
    def require(self, workspace_id: str, channel_id: str) -> Any: ...


class FirstStepsQueue(Protocol):
    """``haishin.scenarios.instant.FirstStepsNow``: a started scenario's "immediately" first step, queued now."""

    def queue(self, workspace_id: str, subscriber_id: str, *, trigger: str | tuple[str, ...]) -> int: ...


class FriendMenus(Protocol):
    """``haishin.richmenus.relink.FriendMenus``: re-links one friend's rich menu (never raises)."""

    def relink(self, workspace_id: str, subscriber_id: str, *, channel_id: str | None = None,
               needs: tuple[str, ...] | None = None, scenario_id: str | None = None) -> list[dict[str, Any]]: ...


class Enrollments(Protocol):
    """``haishin.scenarios.service.ScenarioService``: a friend's enrollments, and stopping one."""

    def enrollments_of(self, workspace_id: str, subscriber_id: str) -> list[dict[str, Any]]: ...

    def stop(self, workspace_id: str, subscriber_id: str, scenario_id: str, *, reason: str) -> bool: ...


@dataclass(frozen=True)
class LoginResult:
    outcome: Literal["attributed", "pending"]
    route: RouteModel
    line_user_id: str
    add_friend_url: str | None  # where a user who did not add the bot may still add it


def callback_url() -> str:
    return login_callback_url(public_base())


def cookie_name(binding: str) -> str:
    return line_login.state_cookie_name(binding)


class InflowLogin:
    def __init__(self, *, routes: RouteService, secrets: SecretStore, channels: Channels,
                 subscribers: SubscriberRepository, once: Once, first_steps: FirstStepsQueue,
                 enrollments: Enrollments, menus: FriendMenus | None = None) -> None:
        self.routes = routes
        self.secrets = secrets
        self.channels = channels
        self.subscribers = subscribers
        self.once = once
        self.first_steps = first_steps
        self.enrollments = enrollments
        self.menus = menus  # rich menu route rules: a friend attributed here may now get another menu

    def _login_channel(self, route: RouteModel) -> tuple[str, str]:
        try:
            stored = self.secrets.get(secret_name(route.workspace_id, "line", route.channel_id))
        except NotFound:
            stored = {}
        channel_id, secret = stored.get("login_channel_id"), stored.get("login_channel_secret")
        if not channel_id or not secret:
            raise LoginRefused("この流入経路の LINE チャネルに LINE ログインチャネルが設定されていません",
                               where="login_channel_id")
        return str(channel_id), str(secret)

    # ------------------------------------------------------------------ /r/<code>
    def start(self, code: str, visit: str | None = None) -> LoginStart:
        """The LINE Login authorize URL for the route behind ``code`` and the cookie that binds its state to this
        browser; NotFound for an unknown code. ``visit``: the page visit the route URL came from (a funnel page's
        signed reference, ``?fv=``), kept in the signed state and handed on with the friend's attribution."""
        route = self.routes.by_code(code)
        if route is None:
            raise NotFound("この QR コード・URL は無効です", where="code")
        login_id, login_secret = self._login_channel(route)
        nonce = secrets.token_urlsafe(16)
        claims: dict[str, Any] = {"w": route.workspace_id, "r": route.route_id, "j": secrets.token_urlsafe(16),
                                  "n": nonce, "e": int(clock.epoch_seconds() + STATE_TTL.total_seconds())}
        if visit_reference(visit):
            claims["v"] = visit
        state, name, browser = line_login.new_state(claims, login_secret)
        url = line_login.authorize_url(channel_id=login_id, redirect_uri=callback_url(), state=state, nonce=nonce)
        return LoginStart(url, name, browser)

    # ------------------------------------------------------------------ /login/callback
    def _state(self, state: str, cookies: dict[str, str]) -> tuple[RouteModel, dict[str, Any], str, str]:
        refused = LoginRefused("ログインの確認に失敗しました。もう一度 QR コード・URL から開いてください",
                               where="state")
        parsed = line_login.state_claims(state, max_length=MAX_STATE_LENGTH)
        if parsed is None:
            raise refused
        payload, signature, claims = parsed
        if not all(isinstance(claims.get(k), str) for k in ("w", "r", "j", "n", "b")):
            raise refused
        try:
            route = self.routes.get(claims["w"], claims["r"])
        except NotFound:
            raise refused from None
        login_id, login_secret = self._login_channel(route)
        if not line_login.state_signed(payload, signature, login_secret):
            raise refused
        if not isinstance(claims.get("e"), int) or claims["e"] <= clock.epoch_seconds():
            raise LoginRefused("ログインの有効期限が切れました。もう一度 QR コード・URL から開いてください",
                               where="state (expired)")
        if not line_login.same_browser(claims["b"], cookies):
            raise LoginRefused("ログインを始めたブラウザと違うブラウザで開かれたため、確認できませんでした。"
                               "QR コード・URL を開いたブラウザのまま、もう一度お試しください", where="state (browser)")
        return route, claims, login_id, login_secret

    def callback(self, query: dict[str, str], cookies: dict[str, str] | None = None) -> LoginResult:
        """LINE's redirect: ``query`` its parameters, ``cookies`` the browser's (the state's binding must be one)."""
        if query.get("error"):
            raise LoginRefused("LINE ログインがキャンセルされました", where=f"LINE Login ({query['error']})")
        route, claims, login_id, login_secret = self._state(query.get("state", ""), cookies or {})
        code = query.get("code", "")
        if not code:
            raise LoginRefused("LINE ログインの認可コードがありません", where="code")
        claim = self.once.claim(f"login-state:{claims['j']}", ttl=STATE_TTL * 2, lease=STATE_TTL * 2)
        if not claim.acquired:
            raise LoginRefused("このログインはすでに使われています。もう一度 QR コード・URL から開いてください",
                               where="state (replayed)")
        try:
            tokens = line_login.exchange_code(code=code, redirect_uri=callback_url(), channel_id=login_id,
                                              channel_secret=login_secret)
        except ExternalServiceError:  # LINE did not answer: the user may reload and try the same state again
            self.once.release(f"login-state:{claims['j']}")
            raise
        id_claims = line_login.verify_id_token(tokens["id_token"], channel_id=login_id, channel_secret=login_secret,
                                               nonce=claims["n"])
        self.once.complete(f"login-state:{claims['j']}", ttl=STATE_TTL * 2)
        started = datetime.fromtimestamp(claims["e"], UTC) - STATE_TTL
        visit = claims.get("v") if isinstance(claims.get("v"), str) else None
        return self.link_user(route, str(id_claims["sub"]), cause=f"login:{claims['j']}", started=started,
                              visit=visit)

    def link_user(self, route: RouteModel, line_user_id: str, *, cause: str, started: datetime,
                  visit: str | None = None) -> LoginResult:
        """The LINE user logged in by ``route`` (the login began at ``started``; ``visit``: the page visit it came
        from): attributed now or pending (the follow attributes it, with the visit)."""
        ws, channel_id = route.workspace_id, route.channel_id
        if self._following(ws, channel_id, line_user_id):
            return self._attribute_now(route, line_user_id, cause, started, visit)
        self.routes.remember_login(ws, channel_id, line_user_id, route, visit=visit)
        if self._following(ws, channel_id, line_user_id):  # the follow was processed meanwhile
            taken = self.routes.take_pending(ws, channel_id, line_user_id)
            if taken is not None:
                return self._attribute_now(taken.route, line_user_id, cause, started, taken.visit)
        return LoginResult("pending", route, line_user_id, self._add_friend_url(route))

    def _following(self, workspace_id: str, channel_id: str, line_user_id: str) -> bool:
        subscriber = self.subscribers.find_by_line_user(workspace_id, channel_id, line_user_id)
        return subscriber is not None and follow_status(subscriber.line, channel_id) == "following"

    def _attribute_now(self, route: RouteModel, line_user_id: str, cause: str, started: datetime,
                       visit: str | None = None) -> LoginResult:
        ws = route.workspace_id
        subscriber = self.subscribers.find_by_line_user(ws, route.channel_id, line_user_id)
        assert subscriber is not None
        followed_at = str((subscriber.line or {}).get(route.channel_id, {}).get("followed_at") or "")
        new_friend = bool(followed_at) and followed_at >= iso(started)  # this login's own follow came first
        if new_friend and route.replace_friend_added:
            self._undo_friend_added(ws, subscriber.subscriber_id, started)
        self.routes.attribute(ws, subscriber.subscriber_id, route, cause=cause, first_follow=new_friend, visit=visit)
        if self.menus is not None:  # the route is the friend's now: route (and segment) rules of any channel
            self.menus.relink(ws, subscriber.subscriber_id, needs=("route", "segment"))
        # a scenario the route started sends its "immediately" first step now, not at the next tick; if the queue
        # does not answer, the step is still due and the tick sends it: the login itself succeeded
        try:
            self.first_steps.queue(ws, subscriber.subscriber_id, trigger=ROUTE_STARTED)
        except Exception:
            log.exception("the first step of a route's scenario is left to the step tick")
        return LoginResult("attributed", route, line_user_id, None)

    def _undo_friend_added(self, workspace_id: str, subscriber_id: str, started: datetime) -> None:
        """The follow of this login was processed before its callback, without knowing the route: the friend-added
        scenarios it started are stopped (their later steps are not sent; a step already sent stays sent)."""
        for item in self.enrollments.enrollments_of(workspace_id, subscriber_id):
            if item["trigger"] == FRIEND_ADDED and item["status"] == "active" \
                    and datetime.fromisoformat(str(item["enrolled_at"])) >= started:
                self.enrollments.stop(workspace_id, subscriber_id, item["scenario_id"], reason="route:replaced")

    def _add_friend_url(self, route: RouteModel) -> str | None:
        try:
            basic_id = self.channels.require(route.workspace_id, route.channel_id).basic_id
        except NotFound:
            return None
        return f"https://line.me/R/ti/p/{basic_id}" if basic_id else None
