"""The 配信停止 page (/u/{token}). A GET only shows the page (link previews and crawlers fetch URLs and must not
unsubscribe anyone); a POST with ``action=stop`` stops the chosen scope, ``action=resume`` resumes it. A POST with
``List-Unsubscribe=One-Click`` (RFC 8058, sent by mail clients) stops the token's channel without a page."""

from __future__ import annotations

from typing import Any

from haishin.errors import HaishinError, NotFound
from haishin.forms import tokens
from haishin.optout.service import SCOPES, OptOutService
from haishin.pages import http
from haishin.pages.html import message_page, page, render

LABELS = {"line": "LINE", "email": "メール", "sms": "SMS", "all": "すべて"}


def _invalid() -> dict[str, Any]:
    return message_page(403, "このリンクは無効です", "配信停止のリンクが正しく開けませんでした。"
                        "お手数ですが、届いたメッセージのリンクからもう一度開いてください。")


def unsubscribe_page(service: OptOutService, token: str, event: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, list[str]] = {}
    if http.method(event) == "POST":
        try:  # a body that is not a small form post is named first, as on every other route
            form = http.form_data(event, multipart=True)  # RFC 8058 one-click may come as multipart
        except HaishinError as error:
            return message_page(error.http_status, "送信内容が正しくありません", error.message)
    try:
        target = service.verify(token)
        state = service.state(target.workspace_id, target.subscriber_id)
    except (tokens.TokenInvalid, NotFound):
        return _invalid()
    sender = service.sender(target.workspace_id)
    if http.method(event) == "POST":
        one_click = (form.get("List-Unsubscribe") or [""])[0] == "One-Click"
        action = "stop" if one_click else (form.get("action") or [""])[0]
        scope = target.channel if one_click else (form.get("scope") or [target.channel])[0]
        if action not in ("stop", "resume") or scope not in SCOPES:
            return message_page(400, "送信内容が正しくありません", "もう一度お試しください。")
        if action == "resume":
            scope = "all" if state["all"] else target.channel
        state = service.set(target.workspace_id, target.subscriber_id, scope, action == "stop",
                            reason="one_click" if one_click else "link")
        if one_click:
            return {"statusCode": 200, "headers": {"content-type": "text/plain; charset=utf-8",
                                                   "cache-control": "no-store"}, "body": "unsubscribed"}
        title = "配信を停止しました" if action == "stop" else "配信を再開しました"
        stopped = action == "stop"
        message = (f"{LABELS[scope]}の配信を停止しました。再開するには下のボタンを押してください。" if stopped
                   else f"{LABELS[scope]}の配信を再開しました。")
    else:
        stopped = state["all"] or state[target.channel]
        title = "配信停止" if not stopped else "配信は停止中です"
        message = (f"{LABELS[target.channel]}でのお知らせの配信を停止できます。" if not stopped
                   else "現在、配信は停止されています。")
    html = render("unsubscribe.html.j2", title=title, message=message, stopped=stopped, channel=target.channel,
                  channel_label=LABELS[target.channel], sender=sender)
    return page(200, html)
