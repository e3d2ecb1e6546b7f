"""The member pages (/m/<ws>/<course>/...): login form, magic-link confirm + POST sets an HttpOnly session cookie,
the course with a locked drip lesson, a lesson completed by a form post, logout everywhere; escaped text, the
player's host allowed by the page's policy and nothing else; refusals in Japanese."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from typing import Any

from members_env import WS
from test_members import _login_link, buy, course, lesson_ids


def request(env: Any, method: str, path: str, *, query: dict[str, str] | None = None,
            form: dict[str, str] | None = None, cookie: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "rawPath": path, "rawQueryString": urllib.parse.urlencode(query or {}),
        "queryStringParameters": query or None,
        "headers": {"host": "localhost", "content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"http": {"method": method, "path": path}, "stage": "$default", "domainName": "localhost"},
        "isBase64Encoded": False,
    }
    if cookie:
        event["cookies"] = [cookie]
    if form is not None:
        event["body"] = urllib.parse.urlencode(form)
    return env.root.pages.handle(event)


def test_login_read_a_drip_course_complete_a_lesson_and_log_out(env: Any, friend: Any, manual_clock: Any) -> None:
    item = course(env)
    base = f"/m/{WS}/{item.course_id}/"
    sid = friend("hanako@example.jp")
    buy(env, sid, item.course_id)
    shown = request(env, "GET", base)
    assert shown["statusCode"] == 200 and "ログイン用リンクを送る" in shown["body"]
    sent = request(env, "POST", base + "login", form={"email": "hanako@example.jp"})
    nobody = request(env, "POST", base + "login", form={"email": "nobody@example.jp"})
    assert "ログイン用リンクをお送りしました" in sent["body"] and sent["body"] == nobody["body"]  # tells nothing
    token, nonce = _login_link(env)
    confirm = request(env, "GET", base + "auth", query={"t": token, "n": nonce})
    assert confirm["statusCode"] == 200 and "ログインする" in confirm["body"]  # a mail scanner's GET spends nothing
    done = request(env, "POST", base + "auth", form={"t": token, "n": nonce})
    assert done["statusCode"] == 303 and done["headers"]["location"] == base
    [set_cookie] = done["cookies"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and f"Path=/m/{WS}/" in set_cookie
    cookie = set_cookie.split(";")[0]
    again = request(env, "POST", base + "auth", form={"t": token, "n": nonce})
    assert again["statusCode"] == 403 and "すでに使われています" in again["body"]

    page = request(env, "GET", base, cookie=cookie)
    first, _second, third = lesson_ids(item)
    assert page["statusCode"] == 200 and "LINE集客講座" in page["body"] and "0 / 3" in page["body"]
    assert f'href="{base}l/{third}"' not in page["body"] and "1月12日 09:00 公開" in page["body"]  # 7 days, JST
    lesson = request(env, "GET", f"{base}l/{first}", cookie=cookie)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;講座の進め方" in lesson["body"]
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in lesson["body"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in \
        lesson["headers"]["content-security-policy"]
    locked = request(env, "GET", f"{base}l/{third}", cookie=cookie)
    assert "に公開されます" in locked["body"] and "完了にする" not in locked["body"]
    refused = request(env, "POST", f"{base}l/{third}", form={"action": "complete"}, cookie=cookie)
    assert refused["statusCode"] == 422 and "まだ公開されていません" in refused["body"]
    marked = request(env, "POST", f"{base}l/{first}", form={"action": "complete"}, cookie=cookie)
    assert marked["statusCode"] == 303
    assert "レッスンを完了にしました" in request(env, "GET", marked["headers"]["location"].split("?")[0],
                                          query={"done": "1"}, cookie=cookie)["body"]
    manual_clock.advance(timedelta(days=7))
    assert f'href="{base}l/{third}"' in request(env, "GET", base, cookie=cookie)["body"]

    out = request(env, "POST", base + "logout", form={"everywhere": "1"}, cookie=cookie)
    assert out["statusCode"] == 303 and "Max-Age=0" in out["cookies"][0]
    after = request(env, "GET", base, cookie=cookie)
    assert "ログイン用リンクを送る" in after["body"]
    assert request(env, "POST", f"{base}l/{first}", form={"action": "complete"}, cookie=cookie)["statusCode"] == 403


def test_unknown_course_and_bad_body(env: Any) -> None:
    assert request(env, "GET", f"/m/{WS}/crs_nope/")["statusCode"] == 404
    item = course(env)
    event_body = request(env, "GET", f"/m/other_ws/{item.course_id}/")
    assert event_body["statusCode"] == 404  # another workspace's course: not found
