"""LINE Login v2.1 as LINE runs it, for the local system and the tests.

- ``GET /oauth2/v2.1/authorize``: checks the request as LINE does (``response_type=code``, a registered Login channel
  as ``client_id``, a ``redirect_uri`` registered for it, ``state``, a ``scope`` with ``openid``) and shows the consent
  screen (許可する / キャンセル). With ``bot_prompt=normal`` the consent screen carries the add-friend checkbox for the
  linked Messaging API channel; with ``bot_prompt=aggressive`` a second screen asks to add the friend. Approving
  redirects to ``redirect_uri?code=..&state=..`` (plus ``friendship_status_changed=true|false`` when a bot prompt
  was asked); cancelling redirects with ``error=access_denied``.
- ``POST /oauth2/v2.1/token``: exchanges a code (single use, valid 10 minutes, ``redirect_uri`` and the client
  credentials must match) for ``access_token``, ``id_token``, ``expires_in``.
- ID tokens as LINE issues them to web logins: a JWT signed HS256 with the Login channel secret; ``iss``
  ``https://access.line.me``, ``sub`` the user ID, ``aud`` the channel ID, ``exp``, ``iat``, ``nonce``, ``amr``,
  and ``name`` / ``picture`` with the ``profile`` scope. Signed with the standard library, independently of the
  library our side verifies with.
- ``POST /oauth2/v2.1/verify``: ``id_token`` + ``client_id`` (optionally ``nonce``, ``user_id``), LINE's error bodies.

Adding the friend on a consent screen sends the Messaging API channel's follow webhook, as ``Emulator.follow`` does.
All time comes from ``haishin.clock``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from haishin import clock

if TYPE_CHECKING:
    from .emulator import Emulator

Json = dict[str, Any]

ISSUER = "https://access.line.me"
CODE_TTL = timedelta(minutes=10)  # "The authorization code is only valid for 10 minutes"
ID_TOKEN_TTL = timedelta(hours=1)
ACCESS_TOKEN_TTL_S = 30 * 24 * 3600  # "An access token is valid for 30 days"
SESSION_TTL = timedelta(minutes=30)
BOT_PROMPTS = ("normal", "aggressive")


@dataclass
class LoginChannel:
    channel_id: str
    channel_secret: str
    redirect_uris: list[str]
    bot_channel_id: str | None = None  # the linked LINE Official Account (Messaging API channel)


@dataclass
class AuthSession:
    """An authorize request waiting for the user on the consent screens."""

    channel_id: str
    redirect_uri: str
    state: str
    scopes: list[str]
    nonce: str | None
    bot_prompt: str | None
    created: datetime
    user_id: str | None = None


@dataclass
class Grant:
    channel_id: str
    user_id: str
    redirect_uri: str
    scopes: list[str]
    nonce: str | None
    issued: datetime
    used: bool = False


@dataclass
class Page:
    """What the HTTP layer sends: a status, a content type, a body and headers (``Location`` for redirects)."""

    status: int
    content_type: str = "application/json"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def json(status: int, body: Json) -> Page:
        return Page(status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8"))

    @staticmethod
    def html(status: int, body: str) -> Page:
        return Page(status, "text/html; charset=utf-8", body.encode("utf-8"))

    @staticmethod
    def redirect(url: str) -> Page:
        return Page(302, "text/plain; charset=utf-8", b"", {"Location": url})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_id_token(claims: Json, secret: str) -> str:
    """An HS256 JWT as LINE signs web-login ID tokens (header ``{"typ":"JWT","alg":"HS256"}``)."""
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _error(description: str, error: str = "invalid_request", status: int = 400) -> Page:
    return Page.json(status, {"error": error, "error_description": description})


class LineLogin:
    """LINE Login's authorize, token and verify endpoints, bound to an ``Emulator`` (its users and follows)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._lock = threading.RLock()
        self._channels: dict[str, LoginChannel] = {}
        self.reset()

    def reset(self, full: bool = False) -> None:
        with self._lock:
            self._sessions: dict[str, AuthSession] = {}
            self._grants: dict[str, Grant] = {}
            self._access_tokens: dict[str, str] = {}
            if full:
                self._channels.clear()

    # ------------------------------------------------------------------ control
    def register_login_channel(
        self, channel_id: str, channel_secret: str, redirect_uris: list[str], bot_channel_id: str | None = None
    ) -> Json:
        if not channel_id or not channel_secret:
            raise ValueError("channel_id and channel_secret are required")
        if not isinstance(redirect_uris, list) or not all(isinstance(u, str) and u for u in redirect_uris):
            raise ValueError("redirect_uris must be a list of URLs")
        with self._lock:
            self._channels[channel_id] = LoginChannel(channel_id, channel_secret, list(redirect_uris), bot_channel_id)
        return {"channelId": channel_id, "redirectUris": list(redirect_uris), "botChannelId": bot_channel_id}

    def channel(self, channel_id: str) -> LoginChannel | None:
        with self._lock:
            return self._channels.get(channel_id)

    def issue_id_token(self, channel_id: str, user_id: str, nonce: str | None = None,
                       scopes: tuple[str, ...] = ("openid", "profile"), *, issued: datetime | None = None,
                       secret: str | None = None) -> str:
        """An ID token for ``user_id`` (tests use ``issued`` and ``secret`` to make expired or forged ones)."""
        with self._lock:
            channel = self._channels[channel_id]
            at = issued or clock.now()
            claims: Json = {
                "iss": ISSUER,
                "sub": user_id,
                "aud": channel_id,
                "exp": int((at + ID_TOKEN_TTL).timestamp()),
                "iat": int(at.timestamp()),
                "amr": ["linesso"],
            }
            if nonce is not None:
                claims["nonce"] = nonce
            if "profile" in scopes:
                user = self._emulator._ensure_user(user_id)
                claims["name"] = user.display_name
                if user.picture_url:
                    claims["picture"] = user.picture_url
            return sign_id_token(claims, secret if secret is not None else channel.channel_secret)

    # ------------------------------------------------------------------ HTTP
    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Page:
        route = path.rstrip("/")
        if route == "/oauth2/v2.1/authorize" and method in ("GET", "HEAD"):
            return self.authorize(query)
        if route == "/oauth2/v2.1/authorize/consent" and method == "POST":
            return self.consent(form.get("session", ""), form.get("user_id", ""), form.get("action", "allow"),
                                form.get("add_friend") in ("1", "on", "true"))
        if route == "/oauth2/v2.1/authorize/friend" and method == "POST":
            return self.add_friend_screen(form.get("session", ""), form.get("add") in ("1", "on", "true"))
        if route == "/oauth2/v2.1/token" and method == "POST":
            return self.token(form)
        if route == "/oauth2/v2.1/verify" and method == "POST":
            return self.verify(form)
        return Page.json(404, {"message": "Not found"})

    def authorize(self, query: dict[str, str]) -> Page:
        with self._lock:
            channel = self._channels.get(query.get("client_id", ""))
            if channel is None:
                return _error_page("client_id が登録された LINE ログインチャネルではありません。(invalid client_id)")
            redirect_uri = query.get("redirect_uri", "")
            if redirect_uri not in channel.redirect_uris:
                return _error_page("redirect_uri がチャネルに登録されたコールバック URL と一致しません。"
                                   "(Invalid redirect_uri value.)")
            state = query.get("state", "")
            if query.get("response_type") != "code":
                return Page.redirect(_with(redirect_uri, error="unsupported_response_type",
                                           error_description="response_type must be code", state=state))
            scopes = query.get("scope", "").split()
            if "openid" not in scopes or not set(scopes) <= {"openid", "profile", "email"}:
                return Page.redirect(_with(redirect_uri, error="invalid_scope",
                                           error_description="scope must include openid", state=state))
            if not state:
                return Page.redirect(_with(redirect_uri, error="invalid_request",
                                           error_description="state is required"))
            bot_prompt = query.get("bot_prompt") or None
            if bot_prompt is not None and bot_prompt not in BOT_PROMPTS:
                return Page.redirect(_with(redirect_uri, error="invalid_request",
                                           error_description="bot_prompt must be normal or aggressive", state=state))
            session_id = secrets.token_urlsafe(16)
            self._sessions[session_id] = AuthSession(channel.channel_id, redirect_uri, state, scopes,
                                                     query.get("nonce") or None, bot_prompt, clock.now())
            bot = self._bot_name(channel) if bot_prompt == "normal" else None
            users = sorted(self._emulator._users)
        return Page.html(200, _consent_html(session_id, channel.channel_id, scopes, bot, users))

    def consent(self, session_id: str, user_id: str, action: str, add_friend: bool) -> Page:
        """The user answers the consent screen as ``user_id`` (any ``U`` + 32 hex ID; unknown ones are created)."""
        with self._lock:
            session = self._live_session(session_id)
            if session is None:
                return _error_page("ログインの有効期限が切れました。最初からやり直してください。")
            if action != "allow":
                self._sessions.pop(session_id, None)
                return Page.redirect(_with(session.redirect_uri, error="access_denied",
                                           error_description="The resource owner denied the request.",
                                           state=session.state))
            if not (len(user_id) == 33 and user_id.startswith("U")):
                return _error_page("LINE ユーザー ID が正しくありません。")
            self._emulator._ensure_user(user_id)
            session.user_id = user_id
            channel = self._channels[session.channel_id]
            already = self._is_friend(channel, user_id)
            if session.bot_prompt == "aggressive" and channel.bot_channel_id and not already:
                return Page.html(200, _friend_html(session_id, self._bot_name(channel) or ""))
        return self._finish(session_id, add_friend and session.bot_prompt == "normal")

    def add_friend_screen(self, session_id: str, add: bool) -> Page:
        with self._lock:
            session = self._live_session(session_id)
            if session is None or session.user_id is None:
                return _error_page("ログインの有効期限が切れました。最初からやり直してください。")
        return self._finish(session_id, add)

    def _finish(self, session_id: str, add_friend: bool) -> Page:
        with self._lock:
            session = self._sessions.pop(session_id)
            assert session.user_id is not None
            channel = self._channels[session.channel_id]
            changed = False
            follow = add_friend and channel.bot_channel_id is not None and not self._is_friend(channel, session.user_id)
            code = secrets.token_urlsafe(15)
            self._grants[code] = Grant(session.channel_id, session.user_id, session.redirect_uri, session.scopes,
                                       session.nonce, clock.now())
        if follow:
            assert channel.bot_channel_id is not None
            self._emulator.follow(channel.bot_channel_id, session.user_id)  # the follow webhook, as LINE sends it
            changed = True
        params = {"code": code, "state": session.state}
        if session.bot_prompt is not None and channel.bot_channel_id is not None:
            params["friendship_status_changed"] = "true" if changed else "false"
        return Page.redirect(_with(session.redirect_uri, **params))

    def token(self, form: dict[str, str]) -> Page:
        with self._lock:
            if form.get("grant_type") != "authorization_code":
                return _error("unsupported grant_type", "unsupported_grant_type")
            channel = self._channels.get(form.get("client_id", ""))
            if channel is None or not hmac.compare_digest(channel.channel_secret, form.get("client_secret", "")):
                return _error("invalid client", "invalid_client")
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.channel_id != channel.channel_id:
                return _error("invalid authorization code", "invalid_grant")
            if grant.used or clock.now() - grant.issued > CODE_TTL:
                grant.used = True
                return _error("invalid authorization code", "invalid_grant")
            if form.get("redirect_uri") != grant.redirect_uri:
                return _error("redirect_uri does not match", "invalid_grant")
            grant.used = True
            access_token = secrets.token_urlsafe(32)
            self._access_tokens[access_token] = grant.user_id
            id_token = self.issue_id_token(channel.channel_id, grant.user_id, grant.nonce, tuple(grant.scopes))
        return Page.json(200, {
            "access_token": access_token,
            "expires_in": ACCESS_TOKEN_TTL_S,
            "id_token": id_token,
            "refresh_token": secrets.token_urlsafe(16),
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        })

    def verify(self, form: dict[str, str]) -> Page:
        token, client_id = form.get("id_token", ""), form.get("client_id", "")
        if not token or not client_id:
            return _error("id_token and client_id are required")
        with self._lock:
            channel = self._channels.get(client_id)
        parts = token.split(".")
        if len(parts) != 3:
            return _error("Invalid IdToken.")
        try:
            claims = json.loads(_unb64(parts[1]))
            header = json.loads(_unb64(parts[0]))
            signature = _unb64(parts[2])
        except (ValueError, UnicodeDecodeError):
            return _error("Invalid IdToken.")
        if not isinstance(claims, dict) or header.get("alg") != "HS256":
            return _error("Invalid IdToken.")
        if channel is None or claims.get("aud") != client_id:
            return _error("Invalid IdToken Audience.")
        expected = hmac.new(channel.channel_secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
        if not hmac.compare_digest(expected.digest(), signature):
            return _error("Invalid IdToken.")  # LINE says no more for a bad signature
        if claims.get("iss") != ISSUER:
            return _error("Invalid IdToken Issuer.")
        if int(claims.get("exp", 0)) <= int(clock.now().timestamp()):
            return _error("IdToken expired.")
        if form.get("nonce") is not None and claims.get("nonce") != form.get("nonce"):
            return _error("Invalid IdToken Nonce.")
        if form.get("user_id") is not None and claims.get("sub") != form.get("user_id"):
            return _error("Invalid IdToken Subject Identifier.")
        return Page.json(200, claims)

    # ------------------------------------------------------------------ helpers
    def _live_session(self, session_id: str) -> AuthSession | None:
        session = self._sessions.get(session_id)
        if session is None or clock.now() - session.created > SESSION_TTL:
            self._sessions.pop(session_id, None)
            return None
        return session

    def _is_friend(self, channel: LoginChannel, user_id: str) -> bool:
        if channel.bot_channel_id is None:
            return False
        return user_id in self._emulator.followers(channel.bot_channel_id)

    def _bot_name(self, channel: LoginChannel) -> str | None:
        if channel.bot_channel_id is None:
            return None
        return str(self._emulator.channel_info(channel.bot_channel_id)["displayName"])


def _with(url: str, **params: str) -> str:
    split = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(split.query) + list(params.items())
    return urllib.parse.urlunsplit(split._replace(query=urllib.parse.urlencode(query)))


_STYLE = ("<style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}"
          "button{display:block;width:100%;padding:.8rem;margin:.5rem 0;font-size:1rem}"
          ".allow{background:#06c755;color:#fff;border:0}</style>")


def _error_page(message: str) -> Page:
    return Page.html(400, f"<!doctype html><html lang=ja><meta charset=utf-8><title>LINE Login</title>{_STYLE}"
                          f"<h1>エラー</h1><p class=error>{html.escape(message)}</p></html>")


def _consent_html(session_id: str, channel_id: str, scopes: list[str], bot_name: str | None, users: list[str]) -> str:
    options = "".join(f"<option value='{html.escape(u)}'>" for u in users)
    friend = ""
    if bot_name is not None:
        friend = (f"<label><input type=checkbox name=add_friend value=1 checked> "
                  f"{html.escape(bot_name)} を友だち追加する</label>")
    return (f"<!doctype html><html lang=ja><meta charset=utf-8><title>LINE Login</title>{_STYLE}"
            f"<h1>LINE ログイン</h1><p>チャネル {html.escape(channel_id)} が次の情報へのアクセスを求めています: "
            f"{html.escape(' '.join(scopes))}</p>"
            f"<form method=post action='/oauth2/v2.1/authorize/consent'>"
            f"<input type=hidden name=session value='{html.escape(session_id)}'>"
            f"<label>LINE ユーザー ID <input name=user_id list=users required pattern='U[0-9a-f]{{32}}'></label>"
            f"<datalist id=users>{options}</datalist>{friend}"
            f"<button class=allow name=action value=allow>許可する</button>"
            f"<button name=action value=deny formnovalidate>キャンセル</button></form></html>")


def _friend_html(session_id: str, bot_name: str) -> str:
    return (f"<!doctype html><html lang=ja><meta charset=utf-8><title>LINE Login</title>{_STYLE}"
            f"<h1>友だち追加</h1><p>{html.escape(bot_name)} を友だち追加しますか?</p>"
            f"<form method=post action='/oauth2/v2.1/authorize/friend'>"
            f"<input type=hidden name=session value='{html.escape(session_id)}'>"
            f"<button class=allow name=add value=1>追加</button>"
            f"<button name=add value=0>追加しない</button></form></html>")
