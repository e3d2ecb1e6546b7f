"""The friend's own seminar page (/sem/<workspace_id>/<event_id>?t=<signed token>): the sessions with seats left,
register (a seat or a waitlist place), the registration with its check-in QR, and cancel before the deadline.
A GET only shows; a POST with ``action=register`` (``session_id``) or ``action=cancel`` acts. Refusals (after the
deadline, a forged or expired link, already registered) are Japanese and change nothing."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from haishin import clock
from haishin.errors import HaishinError, NotFound
from haishin.pages import http
from haishin.pages.html import message_page, page, render
from haishin.routes.qr import qr_code
from haishin.routes.service import route_url
from haishin.seminars.service import SeminarService


def _label(starts: str, ends: str) -> str:
    a, b = datetime.fromisoformat(starts), datetime.fromisoformat(ends)
    weekday = "月火水木金土日"[a.weekday()]
    return f"{a.year}年{a.month}月{a.day}日({weekday}) {a:%H:%M}〜{b:%H:%M}"


def _when(value: str) -> str:
    at = datetime.fromisoformat(value)
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def qr_data_uri(text: str) -> str:
    """The check-in QR as an inline SVG (the page's policy allows ``img-src data:``; nothing is fetched)."""
    data, media_type = qr_code(text, "svg", scale=6)
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def seminar_page(
    service: SeminarService, workspace_id: str, event_id: str, event: dict[str, Any], *, action: str = ""
) -> dict[str, Any]:
    """``action``: where the page's forms post (the LIFF entry renders this page under its own URL and posts to the
    signed page); empty: the page's own URL."""
    token = http.query(event, "t") or ""
    notice = error = ""
    status = 200
    form: dict[str, list[str]] = {}
    if http.method(event) == "POST":
        try:  # the body's own problem first (wrong type, too large), whoever sent it
            form = http.form_data(event)
        except HaishinError as exc:
            return message_page(exc.http_status, "送信内容を読み取れませんでした", exc.message)
    try:
        service.friend_of(workspace_id, event_id, token)
    except HaishinError as exc:
        return message_page(
            403,
            "このリンクは無効です",
            exc.message,
            detail="お手数ですが、LINE のトーク画面から最新のリンクを開き直してください。",
        )
    if http.method(event) == "POST":
        try:
            action = (form.get("action") or [""])[0]
            if action == "register":
                ref = (form.get("ref") or [""])[0] or http.query(event, "ref") or None  # a partner's link code
                session_id = (form.get("session_id") or [""])[0]
                reg = service.friend_register(workspace_id, event_id, token, session_id, partner_code=ref)
                notice = {
                    "confirmed": "お申込みが完了しました。",
                    "pending_payment": "お席を仮押さえしました。下のボタンから参加費をお支払いください。",
                }.get(reg.status, "満席のため、キャンセル待ちで受け付けました。空きが出たら LINE でお知らせします。")
            elif action == "cancel":
                service.friend_cancel(workspace_id, event_id, token)
                notice = "お申込みをキャンセルしました。"
            else:
                raise NotFound("操作が正しくありません", where="action")
        except HaishinError as exc:
            error, status = exc.message, exc.http_status
    try:
        state = service.friend_state(workspace_id, event_id, token)
    except HaishinError as exc:
        return message_page(exc.http_status, "セミナーが見つかりません", exc.message)
    now = clock.now()
    sessions = [
        {
            **s,
            "label": _label(s["starts_at"], s["ends_at"]),
            "place": s["venue"] or "オンライン",
            "closed": datetime.fromisoformat(s["deadline"]) < now,
        }
        for s in state["sessions"]
    ]
    reg = state["registration"]
    chosen = next((s for s in sessions if reg and s["session_id"] == reg["session_id"]), None)
    html = render(
        "seminar.html.j2",
        title=state["event"]["title"],
        event=state["event"],
        sessions=sessions,
        registration=reg,
        chosen_label=f"{chosen['label']} {chosen['place']}" if chosen else "",
        can_cancel=bool(chosen and not chosen["closed"]),
        qr_text=state["qr"] or "",
        qr_svg=qr_data_uri(state["qr"]) if state["qr"] else "",
        pay_url=state["pay_url"] or "",
        hold_label=_when(state["hold_until"]) if state["hold_until"] else "",
        notice=notice,
        error=error,
        action=action,
    )
    return page(status, html)


def seminar_landing(
    service: SeminarService, routes: Any, event_id: str, event: dict[str, Any], liff: Any = None
) -> dict[str, Any]:
    """A partner's per-seminar link (``/s/<event_id>?ref=<code>``, built by haishin.partners): anyone may open it, so
    it shows the event and its sessions (no friend, no registration) and sends the visitor through the partner's
    route (``/r/<code>``: LINE Login, friend added, the partner's touch recorded); the registration that follows
    (LINE or the friend's page) is attributed to the partner by that touch, or by ``ref`` on the friend's page.
    A visitor who is a friend already registers right away: the LIFF entry of the route's channel
    (``liff.line.me/<liffId>/sem/<event>?ref=<code>``) identifies them by their LINE ID token and opens their own
    seminar page, which registers them with the partner named (``liff``: haishin.pages.liff.LiffPages)."""
    code = (http.query(event, "ref") or "").strip()
    route = routes.by_code(code) if code and routes is not None else None
    if route is None:
        return message_page(
            404, "このリンクは正しくありません", "紹介コード (ref) が見つかりません。URL をご確認ください。"
        )
    try:
        item = service.get(route.workspace_id, event_id)
    except NotFound:
        return message_page(404, "セミナーが見つかりません", "終了したか、URL が正しくありません。")
    zone = service.zone(route.workspace_id)
    now = clock.now()
    sessions = [
        {
            **view,
            "label": _label(view["starts_at"], view["ends_at"]),
            "place": view["venue"] or "オンライン",
            "closed": datetime.fromisoformat(view["deadline"]) < now,
        }
        for view in (service.session_view(s, zone) for s in service.sessions(route.workspace_id, event_id))
    ]
    html = render(
        "seminar_landing.html.j2",
        title=item.definition.get("title", ""),
        event=service.event_view(item),
        sessions=sessions,
        join_url=route_url(route.code),
        friend_url=liff.entry_url(route.channel_id, f"/sem/{event_id}?{urlencode({'ref': route.code})}")
        if liff is not None
        else None,
    )
    return page(200, html)
