"""Member pages (会員サイト) at /m/<workspace_id>/<course_id>/...: mobile-first HTML, no script.

- ``GET  .../``                the course (chapters, lessons open / locked until a date / done, progress), or the
                               login form when the browser holds no live session
- ``POST .../login``           ``email``: sends a login link to a member with access (the page says the same to
                               anyone, so it never tells who is a member)
- ``GET  .../auth?t=&n=``      the link from the e-mail shows a button; ``POST .../auth`` spends the link and sets
                               the session cookie (a mail scanner that fetches the link cannot use it up)
- ``GET  .../l/<lesson>``      a lesson (text, video, attachments); ``POST`` with ``action=complete`` marks it done
- ``GET  .../l/<lesson>/a/<asset>`` an uploaded attachment of the lesson, streamed to a member with access while the
                               lesson is open (never cached; nobody else gets it, whatever the URL)
- ``POST .../logout``          ends this session; ``everywhere=1`` ends every session of the member
- ``GET  .../line?ch=<channel>`` LINE Login (offered when a LINE channel of the workspace has a Login channel): to
                               LINE's consent screen, the state bound to this browser by a short-lived cookie
- ``GET  /m/<workspace_id>/``  the member's home: the courses their session has access to (any course's login
                               page logs in; the session covers every course of the workspace)
- ``GET  /m/line/callback``    LINE's answer (one callback URL for every site, registered in the Login channel): the
                               friend of that LINE user, with access to the course, gets the session cookie

The session cookie is HttpOnly, SameSite=Lax (a cross-site form post carries no cookie), scoped to the
workspace's member pages, and Secure unless served over plain http (the local system).
"""

from __future__ import annotations

import logging
import urllib.parse
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from haishin.errors import ExternalServiceError, HaishinError, NotFound
from haishin.line.login import LoginRefused
from haishin.members.inputs import EMBED_HOSTS
from haishin.members.service import LINE_STATE_TTL, SESSION_VALIDITY, Member, MemberService, line_callback_url
from haishin.pages import http
from haishin.pages.html import content_security_policy, file_response, message_page, page, redirect, render
from haishin.pages.inflow import login_cookie, request_cookies
from haishin.public_url import public_base

log = logging.getLogger(__name__)

COOKIE = "haishin_member"
ZONE = ZoneInfo("Asia/Tokyo")


def _opens_label(at: datetime | None) -> str:
    if at is None:
        return ""
    local = at.astimezone(ZONE)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _member_page(status: int, body: str) -> dict[str, Any]:
    # lessons may embed a YouTube or Vimeo player: exactly those hosts may be framed, nothing else
    return page(status, body, {"content-security-policy":
                               content_security_policy() + "; frame-src " + " ".join(EMBED_HOSTS)})


def _cookie(workspace_id: str, value: str, max_age: int) -> str:
    secure = "; Secure" if public_base().startswith("https://") else ""
    return f"{COOKIE}={value}; Max-Age={max_age}; Path=/m/{workspace_id}/; HttpOnly; SameSite=Lax{secure}"


class MemberPages:
    def __init__(self, members: MemberService) -> None:
        self.members = members

    def handle(self, parts: list[str], event: dict[str, Any]) -> dict[str, Any]:
        """``parts``: the path after ``/m``."""
        if parts == ["line", "callback"] and http.method(event) == "GET":
            return self._line_callback(event)
        if len(parts) == 1 and http.method(event) == "GET":
            return self._home(parts[0], event)
        if len(parts) < 2:
            return message_page(404, "ページが見つかりません", "URLをご確認ください。")
        workspace_id, course_id, rest = parts[0], parts[1], parts[2:]
        method = http.method(event)
        form: dict[str, list[str]] = {}
        if method == "POST":
            try:
                form = http.form_data(event)
            except HaishinError as exc:
                return message_page(exc.http_status, "送信内容を読み取れませんでした", exc.message)
        try:
            title = self.members.course(workspace_id, course_id).definition["title"]
        except NotFound:
            return message_page(404, "コースが見つかりません", "URLが正しいかご確認ください。")
        base = f"/m/{workspace_id}/{course_id}/"
        member = self.members.member(workspace_id, request_cookies(event).get(COOKIE))
        try:
            if rest == ["login"] and method == "POST":
                return self._send_link(workspace_id, course_id, title, base, form)
            if rest == ["auth"] and method == "GET":
                return _member_page(200, render("member_login.html.j2", title=title, notice="", error="",
                                                confirm=True, confirm_action=f"{base}auth",
                                                token=http.query(event, "t") or "", nonce=http.query(event, "n") or "",
                                                login_action=f"{base}login"))
            if rest == ["auth"] and method == "POST":
                return self._login(workspace_id, course_id, title, base, form)
            if rest == ["line"] and method == "GET":
                return self._line_start(workspace_id, course_id, title, base, http.query(event, "ch") or "")
            if rest == ["logout"] and method == "POST":
                if member is not None:
                    self.members.logout(member, everywhere=(form.get("everywhere") or [""])[0] == "1")
                response = redirect(base, status=303)
                response["cookies"] = [_cookie(workspace_id, "", 0)]
                return response
            if member is None and (rest == [] or (len(rest) == 2 and rest[0] == "l")) and method == "GET":
                return self._login_form(title, base, self._line_links(workspace_id, base))
            if member is None:
                return self._login_form(title, base, self._line_links(workspace_id, base), status=403,
                                        error="ログインしてください。")
            if rest == [] and method == "GET":
                return self._course(member, course_id, base)
            if len(rest) == 2 and rest[0] == "l":
                return self._lesson(member, course_id, rest[1], base, event, form)
            if len(rest) == 4 and rest[0] == "l" and rest[2] == "a" and method == "GET":
                item, data = self.members.attachment(workspace_id, course_id, member.subscriber_id, rest[1], rest[3])
                return file_response(item.content_type, data, cache="private, no-store", download_name=item.name)
        except HaishinError as exc:
            return message_page(exc.http_status, "ページを表示できませんでした", exc.message)
        return message_page(404, "ページが見つかりません", "URLをご確認ください。")

    def _home(self, workspace_id: str, event: dict[str, Any]) -> dict[str, Any]:
        member = self.members.member(workspace_id, request_cookies(event).get(COOKIE))
        if member is None:
            return message_page(200, "ログインしてください", "受講中のコースのページからログインしてください。")
        courses = self.members.member_courses(workspace_id, member.subscriber_id)
        return _member_page(200, render("member_home.html.j2", title="マイコース", courses=courses,
                                        home=f"/m/{workspace_id}/"))

    def _line_links(self, workspace_id: str, base: str) -> list[str]:
        """The 「LINEでログイン」 link of each LINE channel of the workspace with a Login channel."""
        return [f"{base}line?" + urllib.parse.urlencode({"ch": c}) for c in self.members.line_channels(workspace_id)]

    @staticmethod
    def _login_form(title: str, base: str, line_links: list[str] | None = None, *, status: int = 200,
                    notice: str = "", error: str = "") -> dict[str, Any]:
        return _member_page(status, render("member_login.html.j2", title=title, notice=notice, error=error,
                                           confirm=False, confirm_action="", token="", nonce="",
                                           login_action=f"{base}login", line_links=line_links or []))

    def _line_start(self, workspace_id: str, course_id: str, title: str, base: str, channel_id: str) -> dict[str, Any]:
        try:
            started = self.members.line_login_start(workspace_id, course_id, channel_id)
        except LoginRefused as exc:
            return self._login_form(title, base, self._line_links(workspace_id, base), status=400, error=exc.message)
        response = redirect(started.authorize_url, status=302)
        path = urllib.parse.urlsplit(line_callback_url()).path
        response["cookies"] = [login_cookie(started.cookie_name, started.cookie_value,
                                            max_age=int(LINE_STATE_TTL.total_seconds()), path=path)]
        return response

    def _line_callback(self, event: dict[str, Any]) -> dict[str, Any]:
        query = {name: http.query(event, name) or "" for name in ("code", "state", "error")}
        try:
            done = self.members.line_login(query, request_cookies(event))
        except HaishinError as exc:
            if isinstance(exc, ExternalServiceError):
                log.exception("LINE Login did not answer (member site)")
                return message_page(502, "ただいま混み合っています", "時間をおいてもう一度お試しください。")
            log.info("member LINE Login refused: %s", exc.where)
            return message_page(exc.http_status, "ログインできませんでした", exc.message,
                                detail="お手数ですが、会員サイトのログインページからもう一度お試しください。")
        # Post/Redirect/Get: the code and state leave the address bar; the course page reads the new session
        response = redirect(f"/m/{done.workspace_id}/{done.course_id}/", status=303)
        response["cookies"] = [_cookie(done.workspace_id, done.cookie, int(SESSION_VALIDITY.total_seconds()))]
        return response

    def _send_link(self, workspace_id: str, course_id: str, title: str, base: str,
                   form: dict[str, list[str]]) -> dict[str, Any]:
        email = (form.get("email") or [""])[0]
        try:
            self.members.request_login(workspace_id, course_id, email)
        except HaishinError as exc:
            if exc.http_status >= 500:
                raise
            return self._login_form(title, base, status=exc.http_status, error=exc.message)
        return self._login_form(title, base, notice="ご登録のメールアドレスであれば、ログイン用リンクをお送りしました。"
                                "メールをご確認ください。")

    def _login(self, workspace_id: str, course_id: str, title: str, base: str,
               form: dict[str, list[str]]) -> dict[str, Any]:
        token, nonce = (form.get("t") or [""])[0], (form.get("n") or [""])[0]
        try:
            _, cookie = self.members.login(workspace_id, course_id, token, nonce)
        except HaishinError as exc:
            return self._login_form(title, base, status=exc.http_status,
                                    error=f"{exc.message}。もう一度ログイン用リンクをお送りください。")
        response = redirect(base, status=303)
        response["cookies"] = [_cookie(workspace_id, cookie, int(SESSION_VALIDITY.total_seconds()))]
        return response

    def _course(self, member: Member, course_id: str, base: str) -> dict[str, Any]:
        view = self.members.member_course(member.workspace_id, course_id, member.subscriber_id)
        for chapter in view["chapters"]:
            for lesson in chapter["lessons"]:
                lesson["opens_label"] = _opens_label(lesson["opens_at"])
        return _member_page(200, render("member_course.html.j2", title=view["title"], course=view, base=base,
                                        home=f"/m/{member.workspace_id}/"))

    def _lesson(self, member: Member, course_id: str, lesson_id: str, base: str, event: dict[str, Any],
                form: dict[str, list[str]]) -> dict[str, Any]:
        ws, sid = member.workspace_id, member.subscriber_id
        notice = error = ""
        status = 200
        if http.method(event) == "POST":
            if (form.get("action") or [""])[0] != "complete":
                return message_page(400, "操作が正しくありません", "ページを読み込み直してください。")
            try:
                self.members.complete_lesson(ws, course_id, sid, lesson_id)
                return redirect(f"{base}l/{lesson_id}?done=1", status=303)
            except HaishinError as exc:
                if exc.http_status == 404:
                    raise
                error, status = exc.message, exc.http_status
        elif http.query(event, "done") == "1":
            notice = "レッスンを完了にしました。"
        view, lesson = self.members.member_lesson(ws, course_id, sid, lesson_id)
        if not view["active"]:
            return _member_page(403, render("member_course.html.j2", title=view["title"], course=view, base=base,
                                            home=f"/m/{ws}/"))
        lesson["opens_label"] = _opens_label(lesson["opens_at"])
        flat = [x for c in view["chapters"] for x in c["lessons"]]
        index = next(n for n, x in enumerate(flat) if x["id"] == lesson_id)
        prev = flat[index - 1] if index > 0 and flat[index - 1]["open"] else None
        nxt = flat[index + 1] if index + 1 < len(flat) and flat[index + 1]["open"] else None
        return _member_page(status, render("member_lesson.html.j2", title=lesson["title"], course=view,
                                           lesson=lesson, base=base, notice=notice, error=error, prev=prev,
                                           next=nxt))
