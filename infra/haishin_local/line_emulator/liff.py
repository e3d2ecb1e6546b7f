"""LIFF (LINE Front-end Framework) as LINE runs it for a friend, for the local system and the browser tests.

- LIFF apps belong to a LINE Login channel (registered with ``LineLogin.register_login_channel``), at most 30 per
  Login channel as on LINE. The control API adds them (``POST /_emulator/liff_apps`` ``{login_channel_id,
  endpoint_url, liff_id?, view_type?}`` -> ``{"liffId"}``; ``GET`` lists, ``DELETE /_emulator/liff_apps/<id>``),
  which stands in for adding one in the LINE Developers console (LINE's LIFF server API is not emulated). A LIFF ID
  is ``<login channel ID>-<8 characters>``, as LINE issues them.
- The opener: ``GET /_emulator/liff/open?user=<U…>&url=https://liff.line.me/<liffId>/<path>[?query]`` is what LINE
  does when the friend taps a LIFF URL in a chat or a rich menu. It issues a real emulator ID token for the app's
  Login channel and that user (``LineLogin.issue_id_token``: signed as LINE Login signs, so ``/oauth2/v2.1/verify``
  accepts it) and redirects to ``<endpoint URL><path>[?query]#liff-mock=<base64url JSON>``: the context LINE's
  LIFF mock plugin (``@line/liff-mock``) runs the page with (isInClient, the ID token, the user). The phone page
  opens every ``https://liff.line.me/`` URL through it.
- ``liff.sendMessages``: ``POST /_emulator/liff/send`` ``{liff_id, id_token, messages}`` (a simple cross-origin
  request from the page; CORS allowed). The ID token must be valid for the app's Login channel; each text message
  is posted into the chat of the Login channel's linked bot as the friend, with the webhook message event, as LINE
  does. Only text messages (LINE also allows others; Haishin sends text only).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import string
import threading
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .login import Page

if TYPE_CHECKING:
    from .emulator import Emulator

Json = dict[str, Any]

LIFF_BASE = "https://liff.line.me/"
MAX_APPS_PER_LOGIN_CHANNEL = 30  # "You can add up to 30 LIFF apps to one channel"
VIEW_TYPES = ("compact", "tall", "full")
MAX_SEND_MESSAGES = 5  # liff.sendMessages: "Max: 5 messages"
MAX_TEXT = 5000
_ALPHABET = string.ascii_letters + string.digits
CORS = {"Access-Control-Allow-Origin": "*"}


@dataclass
class LiffApp:
    liff_id: str
    login_channel_id: str
    endpoint_url: str
    view_type: str = "full"

    def as_dict(self) -> Json:
        return {"liffId": self.liff_id, "view": {"type": self.view_type, "url": self.endpoint_url},
                "loginChannelId": self.login_channel_id}


class LiffApps:
    """The LIFF apps of the emulator's Login channels, the opener and ``liff.sendMessages``."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._lock = threading.RLock()
        self._apps: dict[str, LiffApp] = {}

    def reset(self, full: bool = False) -> None:
        if full:
            with self._lock:
                self._apps.clear()

    # ------------------------------------------------------------------ apps (control API)
    def add(self, login_channel_id: str, endpoint_url: str, liff_id: str | None = None,
            view_type: str = "full") -> Json:
        if self._emulator.login.channel(login_channel_id) is None:
            raise ValueError(f"login_channel_id {login_channel_id!r} is not a registered LINE Login channel")
        parsed = urllib.parse.urlsplit(endpoint_url or "")
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise ValueError("endpoint_url must be an absolute URL (https on LINE)")
        if view_type not in VIEW_TYPES:
            raise ValueError(f"view_type must be one of {', '.join(VIEW_TYPES)}")
        with self._lock:
            own = [a for a in self._apps.values() if a.login_channel_id == login_channel_id]
            if liff_id is not None:
                if not liff_id.startswith(f"{login_channel_id}-") or len(liff_id) != len(login_channel_id) + 9:
                    raise ValueError("liff_id must be <login channel ID>-<8 characters>")
                if liff_id in self._apps and self._apps[liff_id].login_channel_id != login_channel_id:
                    raise ValueError("that liff_id belongs to another Login channel")
            if (liff_id is None or liff_id not in self._apps) and len(own) >= MAX_APPS_PER_LOGIN_CHANNEL:
                raise ValueError(f"The maximum number of LIFF apps ({MAX_APPS_PER_LOGIN_CHANNEL}) has been reached")
            liff_id = liff_id or f"{login_channel_id}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
            app = self._apps[liff_id] = LiffApp(liff_id, login_channel_id, endpoint_url, view_type)
            return app.as_dict()

    def list(self, login_channel_id: str | None = None) -> Json:
        with self._lock:
            return {"apps": [a.as_dict() for a in self._apps.values()
                             if login_channel_id is None or a.login_channel_id == login_channel_id]}

    def delete(self, liff_id: str) -> None:
        with self._lock:
            if self._apps.pop(liff_id, None) is None:
                raise KeyError(liff_id)

    # ------------------------------------------------------------------ the opener
    def resolve(self, url: str) -> tuple[LiffApp, str]:
        """The app and the rest (``/path?query``) of a ``https://liff.line.me/<liffId>/...`` URL; KeyError."""
        if not url.startswith(LIFF_BASE):
            raise KeyError("not a LIFF URL")
        rest = url[len(LIFF_BASE):]
        cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        liff_id, tail = rest[:cut], rest[cut:]
        with self._lock:
            app = self._apps.get(liff_id)
        if app is None:
            raise KeyError(liff_id)
        return app, tail

    def open(self, user_id: str, url: str) -> Page:
        """LINE opening a LIFF URL for ``user_id``: the endpoint + path, with the LIFF context for the mock plugin."""
        try:
            app, tail = self.resolve(url)
        except KeyError:
            return _page(404, "LIFF アプリが見つかりません", f"この LIFF URL のアプリは登録されていません: {url}")
        if not (len(user_id) == 33 and user_id.startswith("U")):
            return _page(400, "LINE ユーザーが正しくありません",
                         "user に U で始まる LINE ユーザー ID を指定してください。")
        path, _, query = tail.partition("?")
        endpoint = urllib.parse.urlsplit(app.endpoint_url)
        target = endpoint.path.rstrip("/") + (path if path not in ("", "/") else "")
        merged = "&".join(q for q in (endpoint.query, query) if q)
        token = self._emulator.login.issue_id_token(app.login_channel_id, user_id)
        user = self._emulator._ensure_user(user_id)
        context = {"idToken": token, "userId": user_id, "liffId": app.liff_id, "inClient": True,
                   "displayName": user.display_name}
        fragment = "liff-mock=" + base64.urlsafe_b64encode(
            json.dumps(context, ensure_ascii=False).encode("utf-8")).rstrip(b"=").decode("ascii")
        location = urllib.parse.urlunsplit((endpoint.scheme, endpoint.netloc, target, merged, fragment))
        return Page.redirect(location)

    # ------------------------------------------------------------------ liff.sendMessages
    def send(self, body: Json) -> Page:
        liff_id, id_token, messages = str(body.get("liff_id") or ""), str(body.get("id_token") or ""), \
            body.get("messages")
        with self._lock:
            app = self._apps.get(liff_id)
        if app is None:
            return _json(404, {"message": "The LIFF app does not exist"})
        verified = self._emulator.login.verify({"id_token": id_token, "client_id": app.login_channel_id})
        if verified.status != 200:
            return _json(401, {"message": "invalid ID token"})
        user_id = str(json.loads(verified.body)["sub"])
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_SEND_MESSAGES:
            return _json(400, {"message": f"messages must be 1-{MAX_SEND_MESSAGES} messages"})
        texts: list[str] = []
        for message in messages:
            if not isinstance(message, dict) or message.get("type") != "text" \
                    or not isinstance(message.get("text"), str) or not 1 <= len(message["text"]) <= MAX_TEXT:
                return _json(400, {"message": "only text messages (1-5000 characters) are emulated"})
            texts.append(message["text"])
        bot = self._emulator.login.channel(app.login_channel_id)
        bot_channel_id = bot.bot_channel_id if bot is not None else None
        if not bot_channel_id or user_id not in self._emulator.followers(bot_channel_id):
            return _json(403, {"message": "The user is not a friend of the LINE Official Account of the LIFF app"})
        statuses = [self._emulator.send_text(bot_channel_id, user_id, text) for text in texts]
        return _json(200, {"status": statuses[-1]})


def _json(status: int, body: Json) -> Page:
    page = Page.json(status, body)
    page.headers.update(CORS)
    return page


def _page(status: int, title: str, message: str) -> Page:
    return Page.html(status, f"<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>{html.escape(title)}"
                             f"</title><body style=\"font-family:sans-serif;padding:24px\"><h1>{html.escape(title)}"
                             f"</h1><p>{html.escape(message)}</p></body></html>")
