"""Turns a form outcome (``haishin.forms.service.SubmitResult``) into the page the friend sees."""

from __future__ import annotations

from typing import Any

from haishin.forms.service import SubmitResult, form_url
from haishin.pages.html import message_page, page, redirect, render

TOKEN_MESSAGES = {
    "expired": ("このリンクの有効期限が切れています",
                "お手数ですが、LINEのトーク画面から最新のリンクを開き直してください。"),
    "signature": ("このリンクは無効です",
                  "リンクが正しく開けませんでした。LINEのトーク画面からもう一度開いてください。"),
    "malformed": ("このリンクは無効です",
                  "リンクが正しく開けませんでした。LINEのトーク画面からもう一度開いてください。"),
}


def form_page(result: SubmitResult, *, status: int = 200, liff_id: str = "") -> dict[str, Any]:
    """The form; ``liff_id`` set when it was opened as a LIFF app (its thank-you page then posts into the chat)."""
    assert result.form is not None and result.definition is not None
    html = render("form.html.j2", title=result.definition.title, form=result.definition,
                  action=form_url(result.form.form_id), values=result.values, errors=result.errors,
                  nonce=result.nonce, token=result.token, liff_id=liff_id, choices=result.choices)
    return page(status, html)


def respond(result: SubmitResult, *, liff_id: str = "") -> dict[str, Any]:
    if result.outcome == "not_found":
        return message_page(404, "フォームが見つかりません", "URLをご確認ください。")
    if result.outcome == "closed":
        return message_page(410, "受付を終了しました", "このフォームは現在回答を受け付けていません。")
    if result.outcome == "throttled":
        return message_page(429, "しばらくお待ちください",
                            "送信が集中しています。1分ほど待ってからもう一度お試しください。")
    if result.outcome == "token_invalid":
        title, message = TOKEN_MESSAGES.get(result.token_reason or "signature", TOKEN_MESSAGES["signature"])
        return message_page(403, title, message, detail="回答は送信されていません。")
    if result.outcome == "invalid":
        return form_page(result, status=422 if result.errors else 200, liff_id=liff_id)
    seats = list(result.registrations.values())
    to_pay = any(seat.status == "pending_payment" for seat in seats)
    if result.outcome == "redirect" and result.redirect_url and not to_pay:  # a held seat: its payment comes first
        return redirect(result.redirect_url)
    assert result.definition is not None
    if seats:  # a seminar session field: what it got the friend (a held seat: 「お支払いへ進む」 to its checkout)
        return page(200, render("form_thanks.html.j2", title="送信が完了しました",
                                message=result.definition.thank_you_message, seats=seats))
    return message_page(200, "送信が完了しました", result.definition.thank_you_message)
