"""The friend's booking pages (予約), server-rendered, no script:

- GET  /b?t=<workspace>.<token>[&menu=&staff=&date=]: menu -> staff (or anyone) -> a week of open slots;
- POST /b (t, menu_id, staff_id, start): books the slot (a slot taken meanwhile re-renders the week with the error;
  a paid menu's booking shows its pay link); with ``op=wait`` joins the waitlist of a full slot;
- GET  /b/cancel/<booking_id>?t=<token>[&staff=&from=]: the booking with its cancel button and the open slots of the
  same menu to move it to (by staff, two weeks at a time up to the menu's horizon); POST cancels it, or with
  ``op=reschedule``, ``start`` and ``staff_id`` moves it (both before the cutoff).

A GET never books or cancels anything (link previews fetch URLs). Forged or expired links change nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from haishin import clock
from haishin.bookings.service import BookingService, book_url, cancel_path
from haishin.errors import HaishinError
from haishin.forms import tokens
from haishin.pages import http
from haishin.pages.forms import TOKEN_MESSAGES
from haishin.pages.html import message_page, page, render
from haishin.public_url import public_base

WEEKDAY_JA = "月火水木金土日"
MOVE_WINDOW_DAYS = 14  # the move list shows two weeks at a time (前の期間 / 次の期間 up to the menu's horizon)


def _forged(reason: str) -> dict[str, Any]:
    title, message = TOKEN_MESSAGES.get(reason, TOKEN_MESSAGES["signature"])
    return message_page(403, title, message, detail="予約は変更されていません。")


def _href(signed: str, **params: str) -> str:
    return f"{public_base()}/b?" + urlencode({"t": signed, **{k: v for k, v in params.items() if v}})


class BookingPages:
    def __init__(self, bookings: BookingService) -> None:
        self.bookings = bookings

    def handle(self, parts: list[str], event: dict[str, Any]) -> dict[str, Any]:
        method = http.method(event)
        if parts == ["b"] and method == "GET":
            return self.week(
                http.query(event, "t") or "",
                http.query(event, "menu") or "",
                http.query(event, "staff") or "",
                http.query(event, "date") or "",
            )
        if parts == ["b"] and method == "POST":
            return self.book(event)
        if len(parts) == 3 and parts[:2] == ["b", "cancel"] and method in ("GET", "POST"):
            return self.cancel(parts[2], event)
        return message_page(404, "ページが見つかりません", "URLをご確認ください。")

    # ------------------------------------------------------------------ choosing a slot
    def week(
        self, signed: str, menu_id: str, staff_id: str, start: str, *, error: str | None = None, status: int = 200
    ) -> dict[str, Any]:
        try:
            binding = self.bookings.verify_link(signed)
        except tokens.TokenInvalid as exc:
            return _forged(exc.reason)
        ws = binding.workspace_id
        zone = self.bookings.zone(ws)
        today = clock.now().astimezone(zone).date()
        try:
            first = max(date.fromisoformat(start), today) if start else today
        except ValueError:
            first = today
        menus = [m for m in self.bookings.list_menus(ws) if m.definition.get("active", True)]
        menu = next((m for m in menus if m.menu_id == menu_id), None)
        view_menus = [
            {
                "menu_id": m.menu_id,
                "name": m.definition["name"],
                "duration": m.definition["duration_minutes"],
                "price": m.definition.get("price"),
                "current": m is menu,
                "href": _href(signed, menu=m.menu_id),
            }
            for m in menus
        ]
        staff_view: list[dict[str, Any]] = []
        days = None
        prev_href = next_href = ""
        if menu is not None:
            everyone = [
                s
                for s in self.bookings.list_staff(ws)
                if s.definition.get("active", True)
                and (not s.definition.get("menu_ids") or menu.menu_id in s.definition["menu_ids"])
            ]
            names = {s.staff_id: s.definition["name"] for s in everyone}
            if staff_id not in names:
                staff_id = ""
            staff_view = [
                {
                    "staff_id": "",
                    "name": "指名なし",
                    "current": not staff_id,
                    "href": _href(signed, menu=menu.menu_id, date=first.isoformat()),
                }
            ]
            staff_view += [
                {
                    "staff_id": sid,
                    "name": name,
                    "current": sid == staff_id,
                    "href": _href(signed, menu=menu.menu_id, staff=sid, date=first.isoformat()),
                }
                for sid, name in names.items()
            ]
            slots = self.bookings.slots(
                ws, menu.menu_id, staff_id=staff_id, start_date=first, days=7, include_full=True
            )
            open_times = {s.start for s in slots if s.remaining > 0}
            slots = [s for s in slots if s.remaining > 0 or s.start not in open_times]  # full for everyone
            seen: set[str] = set()
            days = []
            for offset in range(7):
                day = first + timedelta(days=offset)
                todays = []
                for slot in slots:
                    local = slot.start.astimezone(zone)
                    key = slot.start.isoformat()
                    if local.date() != day or (not staff_id and key in seen):
                        continue  # "anyone": one button per time; the first staff member free then takes it
                    seen.add(key)
                    todays.append(
                        {
                            "start": key,
                            "time": local.strftime("%H:%M"),
                            "staff_id": staff_id,
                            "staff_name": names.get(staff_id, "") if staff_id else "",
                            "full": slot.remaining <= 0,
                        }
                    )
                days.append({"label": f"{day.month}月{day.day}日（{WEEKDAY_JA[day.weekday()]}）", "slots": todays})
            prev_href = _href(
                signed, menu=menu.menu_id, staff=staff_id, date=max(first - timedelta(days=7), today).isoformat()
            )
            next_href = _href(signed, menu=menu.menu_id, staff=staff_id, date=(first + timedelta(days=7)).isoformat())
        html = render(
            "booking.html.j2",
            title="ご予約",
            error=error,
            menus=view_menus,
            staff=staff_view,
            days=days,
            prev_href=prev_href,
            next_href=next_href,
            token=signed,
            menu_id=menu_id,
            action=f"{public_base()}/b",
        )
        return page(status, html)

    def book(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            form = http.form_data(event)
        except HaishinError as error:
            return message_page(error.http_status, "送信内容が正しくありません", error.message)
        field = {k: (v or [""])[0] for k, v in form.items()}
        signed = field.get("t", "")
        try:
            binding = self.bookings.verify_link(signed)
        except tokens.TokenInvalid as exc:
            return _forged(exc.reason)
        body = {
            "menu_id": field.get("menu_id", ""),
            "staff_id": field.get("staff_id", ""),
            "start": field.get("start", ""),
        }
        if field.get("op") == "wait":
            return self.wait(signed, binding, body)
        try:
            booking = self.bookings.book(binding.workspace_id, body, subscriber_id=binding.subscriber_id)
        except HaishinError as error:
            start = field.get("start", "")[:10]
            return self.week(
                signed, body["menu_id"], body["staff_id"], start, error=error.message, status=error.http_status
            )
        if booking.status == "pending_payment":
            return self._done(booking, "お支払いをお待ちしています", "お支払いが済むと予約が確定します。")
        return self._done(booking, "ご予約を承りました", "LINEに確認メッセージをお送りしました。")

    def wait(self, signed: str, binding: Any, body: dict[str, str]) -> dict[str, Any]:
        """キャンセル待ち for a full slot: the friend is booked when a place frees (and told on LINE)."""
        try:
            item = self.bookings.join_waitlist(binding.workspace_id, body, subscriber_id=binding.subscriber_id)
        except HaishinError as error:
            start = body.get("start", "")[:10]
            return self.week(
                signed, body["menu_id"], body["staff_id"], start, error=error.message, status=error.http_status
            )
        local = item.start.astimezone(self.bookings.zone(binding.workspace_id))
        when = f"{local.month}月{local.day}日（{WEEKDAY_JA[local.weekday()]}）{local.strftime('%H:%M')}"
        return message_page(
            200,
            "キャンセル待ちで受け付けました",
            f"{when} の枠に空きが出たら自動でご予約し、LINEでお知らせします。",
        )

    def _done(
        self,
        booking: Any,
        title: str,
        message: str,
        *,
        cancellable: bool = True,
        reschedule: bool = False,
        staff_id: str = "",
        first: str = "",
    ) -> dict[str, Any]:
        ws = booking.workspace_id
        zone = self.bookings.zone(ws)
        menu = self.bookings.repository.menu(ws, booking.menu_id)
        staff = self.bookings.repository.staff(ws, booking.staff_id)
        local = booking.start.astimezone(zone)
        when = (
            f"{local.year}年{local.month}月{local.day}日（{WEEKDAY_JA[local.weekday()]}）"
            f"{local.strftime('%H:%M')}〜{booking.end.astimezone(zone).strftime('%H:%M')}"
        )
        cutoff = (booking.start - timedelta(hours=int(menu.definition.get("cancel_cutoff_hours") or 0))).astimezone(
            zone
        )
        live = booking.status in ("booked", "pending_payment")
        token = self.bookings.cancel_token(booking) if cancellable and live else ""
        pay_url = self.bookings.pay_url(booking) if booking.status == "pending_payment" else ""
        hold = booking.hold_until.astimezone(zone) if pay_url and booking.hold_until else None
        options: list[dict[str, str]] = []
        move: dict[str, Any] = {}
        if reschedule and token and booking.status == "booked":
            move = self._move_choices(booking, token, staff_id, first)
            for slot in self.bookings.reschedule_options(
                booking, staff_id=move["staff_id"], first=move["first"], days=MOVE_WINDOW_DAYS
            ):
                at = slot.start.astimezone(zone)
                options.append(
                    {
                        "start": slot.start.isoformat(),
                        "label": f"{at.month}/{at.day}（{WEEKDAY_JA[at.weekday()]}）{at.strftime('%H:%M')}",
                    }
                )
        html = render(
            "booking_done.html.j2",
            title=title,
            message=message,
            menu=menu.definition["name"],
            staff=staff.definition["name"],
            when=when,
            cancel_action=cancel_path(booking.booking_id) if token else "",
            cancel_token=token,
            options=options,
            move=move,
            pay_url=pay_url,
            hold=f"{hold.month}月{hold.day}日 {hold.strftime('%H:%M')}" if hold else "",
            cutoff=f"{cutoff.month}月{cutoff.day}日 {cutoff.strftime('%H:%M')}",
        )
        return page(200, html)

    def _move_choices(self, booking: Any, token: str, staff_id: str, first: str) -> dict[str, Any]:
        """The move section's filters: the staff members offering the menu (or 指名なし) and the two-week window
        within the menu's horizon, as links back to the same signed page."""
        ws = booking.workspace_id
        menu = self.bookings.repository.menu(ws, booking.menu_id)
        names = {
            s.staff_id: s.definition["name"]
            for s in self.bookings.list_staff(ws)
            if s.definition.get("active", True)
            and (not s.definition.get("menu_ids") or booking.menu_id in s.definition["menu_ids"])
        }
        staff_id = staff_id if staff_id in names else ""
        today, end = self.bookings.reschedule_horizon(booking)
        try:
            start = min(max(date.fromisoformat(first), today), end) if first else today
        except ValueError:
            start = today
        base = f"{cancel_path(booking.booking_id)}?"

        def href(sid: str, day: date) -> str:
            return base + urlencode({"t": token, **({"staff": sid} if sid else {}), "from": day.isoformat()})

        window_end = min(start + timedelta(days=MOVE_WINDOW_DAYS), end)
        last = window_end - timedelta(days=1)
        return {
            "staff_id": staff_id,
            "first": start,
            "staff": [{"staff_id": "", "name": "指名なし", "current": not staff_id, "href": href("", start)}]
            + [
                {"staff_id": sid, "name": n, "current": sid == staff_id, "href": href(sid, start)}
                for sid, n in names.items()
            ],
            "period": f"{start.month}/{start.day}〜{last.month}/{last.day}",
            "prev_href": href(staff_id, max(start - timedelta(days=MOVE_WINDOW_DAYS), today)) if start > today else "",
            "next_href": href(staff_id, window_end) if window_end < end else "",
            "horizon_days": int(menu.definition.get("reschedule_days") or 14),
        }

    # ------------------------------------------------------------------ cancelling
    def cancel(self, booking_id: str, event: dict[str, Any]) -> dict[str, Any]:
        token = http.query(event, "t") or ""
        form: dict[str, list[str]] = {}
        if http.method(event) == "POST":
            try:
                form = http.form_data(event)
            except HaishinError as error:
                return message_page(error.http_status, "送信内容が正しくありません", error.message)
            token = (form.get("t") or [token])[0]
        try:
            booking = self.bookings.verify_cancel(booking_id, token)
        except tokens.TokenInvalid as exc:
            return _forged(exc.reason)
        if http.method(event) == "GET":
            if booking.status not in ("booked", "pending_payment"):
                return message_page(200, "この予約はキャンセル済みです", "新しいご予約はLINEのメニューからどうぞ。")
            return self._done(
                booking,
                "ご予約内容",
                "内容をご確認ください。",
                reschedule=True,
                staff_id=http.query(event, "staff") or "",
                first=http.query(event, "from") or "",
            )
        if (form.get("op") or [""])[0] == "reschedule":
            try:
                moved = self.bookings.friend_reschedule(
                    booking, (form.get("start") or [""])[0], (form.get("staff_id") or [""])[0]
                )
            except HaishinError as error:
                return message_page(
                    error.http_status, "日時を変更できませんでした", error.message, detail="予約は変更されていません。"
                )
            return self._done(moved, "ご予約を変更しました", "LINEに確認メッセージをお送りしました。")
        try:
            self.bookings.cancel(booking.workspace_id, booking_id, by_staff=False)
        except HaishinError as error:
            return message_page(
                error.http_status, "キャンセルできませんでした", error.message, detail="予約は変更されていません。"
            )
        return message_page(200, "ご予約をキャンセルしました", "またのご予約をお待ちしております。")


__all__ = ["BookingPages", "book_url"]
