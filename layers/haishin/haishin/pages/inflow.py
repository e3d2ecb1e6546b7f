"""The inflow function's pages: ``GET /r/{code}`` (a route URL or QR code: to LINE Login) and
``GET /login/callback`` (LINE Login's answer: attribute the friend, then the thank-you page ``?result=thanks``, or
LINE's add-friend URL for one who did not add the bot).

Every refusal is a Japanese page and stores nothing (``haishin.routes.login`` raises before any write)."""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

from haishin.errors import ExternalServiceError, NotFound
from haishin.line.login import LoginRefused
from haishin.pages import http
from haishin.pages.html import message_page, redirect
from haishin.public_url import public_base, route_path, serving
from haishin.routes.login import STATE_TTL, InflowLogin, callback_url

log = logging.getLogger(__name__)


class InflowPages:
    def __init__(self, login: InflowLogin) -> None:
        self.login = login

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        with serving(event):  # the callback URL sent to LINE starts with this request's base
            return self._route(event)

    def _route(self, event: dict[str, Any]) -> dict[str, Any]:
        parts = [p for p in route_path(event).split("/") if p]
        if http.method(event) != "GET":
            return message_page(405, "このページは開けません", "URLをご確認ください。")
        try:
            if len(parts) == 2 and parts[0] == "r":
                # ?fv=: the funnel page visit the button came from (signed there; checked where it is used)
                started = self.login.start(parts[1], http.query(event, "fv"))
                response = redirect(started.authorize_url, status=302)
                response["cookies"] = [login_cookie(started.cookie_name, started.cookie_value,
                                                    max_age=int(STATE_TTL.total_seconds()))]
                return response
            if parts == ["login", "callback"] and http.query(event, "result") == "thanks" \
                    and not http.query(event, "state"):
                return thanks_page()
            if parts == ["login", "callback"]:
                return self.callback(event)
        except NotFound:
            return message_page(404, "ページが見つかりません", "QR コードまたは URL をご確認ください。")
        except LoginRefused as exc:
            log.info("LINE Login refused: %s", exc.where)
            return message_page(400, "ログインできませんでした", exc.message,
                                detail="お手数ですが、もう一度 QR コードまたは URL から開いてください。")
        except ExternalServiceError:
            log.exception("LINE Login did not answer")
            return message_page(502, "ただいま混み合っています", "時間をおいてもう一度お試しください。")
        return message_page(404, "ページが見つかりません", "URLをご確認ください。")

    def callback(self, event: dict[str, Any]) -> dict[str, Any]:
        query = {name: http.query(event, name) or "" for name in ("code", "state", "error",
                                                                  "friendship_status_changed")}
        # the browser binding's cookie is left to expire (10 minutes): a replay from this browser is then told the
        # login was used, which is what happened
        result = self.login.callback(query, request_cookies(event))
        if result.outcome == "pending" and query["friendship_status_changed"] != "true" and result.add_friend_url:
            return redirect(result.add_friend_url, status=302)  # not a friend yet: LINE's add-friend screen
        # Post/Redirect/Get: the code and state leave the address bar, so a reload shows this page again instead of
        # spending the (single-use) state a second time
        return redirect(f"{public_base()}/login/callback?result=thanks", status=303)


def request_cookies(event: dict[str, Any]) -> dict[str, str]:
    """The request's cookies: API Gateway (HTTP API, payload 2.0) hands them as ``cookies``, one ``name=value``
    each; a ``cookie`` header is read too."""
    pairs = list(event.get("cookies") or [])
    header = http.header(event, "cookie")
    if header:
        pairs.extend(header.split(";"))
    out: dict[str, str] = {}
    for pair in pairs:
        name, _, value = str(pair).strip().partition("=")
        if name:
            out.setdefault(name, value)
    return out


def login_cookie(name: str, value: str, *, max_age: int, path: str | None = None) -> str:
    """The browser binding of a LINE Login: short-lived, HttpOnly, SameSite=Lax (LINE's redirect back is a
    top-level GET, which Lax lets through), scoped to the callback's path, and Secure unless the page is served over
    plain http (the local system on a developer's machine)."""
    path = path or urllib.parse.urlsplit(callback_url()).path or "/"
    secure = "; Secure" if public_base().startswith("https://") else ""
    return f"{name}={value}; Max-Age={max_age}; Path={path}; HttpOnly; SameSite=Lax{secure}"


def thanks_page() -> dict[str, Any]:
    return message_page(200, "ありがとうございます", "LINE のトーク画面をご確認ください。")
