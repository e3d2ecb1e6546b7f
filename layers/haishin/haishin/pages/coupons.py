"""The friend's own coupon page (使う): ``/cpn/<workspace_id>/<coupon_id>?t=<signed token>``, the link of
``coupon("cpn_...", "url")`` in a message (a coupon card's button) and of each coupon on マイページ.

At the counter the friend opens it and shows it: GET shows the coupon, their code and whether it can be used now;
「使う」 (POST ``action=confirm``) turns the page into the staff's check (the code large, the time now, the discount)
and 「店員が確認しました (利用済みにする)」 (POST ``action=redeem``) records the redemption (source ``friend``) through
the same checks and transaction as the staff page, so a second press, an expired coupon or a used-up limit is refused
in Japanese and nothing changes. A forged or expired link shows a Japanese page."""

from __future__ import annotations

from typing import Any

from haishin.errors import HaishinError
from haishin.pages import http
from haishin.pages.html import message_page, page, render


def coupon_page(service: Any, workspace_id: str, coupon_id: str, event: dict[str, Any]) -> dict[str, Any]:
    token = http.query(event, "t") or ""
    try:
        form = http.posted_form(event)
    except HaishinError as exc:
        return message_page(exc.http_status, "送信内容を読み取れませんでした", exc.message)
    try:  # then the signed link: a forged, expired or another coupon's link changes nothing
        service.friend_of(workspace_id, coupon_id, token)
    except HaishinError as exc:
        return message_page(403, "このリンクは無効です", exc.message,
                            detail="お手数ですが、LINE のトーク画面から最新のリンクを開き直してください。")
    action = (form.get("action") or [""])[0]
    error = notice = ""
    status = 200
    step = "show"
    if action == "redeem":
        try:
            service.friend_redeem(workspace_id, coupon_id, token)
            notice, step = "利用済みにしました。ご利用ありがとうございます。", "done"
        except HaishinError as exc:
            error, status = exc.message, exc.http_status
    elif action == "confirm":
        step = "confirm"
    elif action:
        error, status = "操作が正しくありません", 404
    try:
        card = service.friend_card(workspace_id, coupon_id, token)
    except HaishinError as exc:
        return message_page(exc.http_status, "クーポンが見つかりません", exc.message)
    if step == "confirm" and not card["usable"]:
        step = "show"
    html = render("coupon.html.j2", title=card["name"], card=card, step=step, notice=notice, error=error)
    return page(status, html)
