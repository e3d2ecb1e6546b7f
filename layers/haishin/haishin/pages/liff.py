"""LIFF pages: forms and the friend's own page (マイページ) opened inside LINE, the friend known by LINE itself.

``https://liff.line.me/<liffId><path>`` opens ``<public base>/liff/<channel_id><path>`` (the endpoint registered for
the channel's LIFF app, ``haishin.liff``). Every LIFF page works in two steps, with no token in any URL:

1. ``GET /liff/<channel_id>[/f/<form_id> | /me]``: a small page whose script (``/liff/app.js``, the official
   ``@line/liff`` SDK bundled by the admin's build) runs ``liff.init``, takes the friend's ID token
   (``liff.getIDToken``) and posts it back to the same URL. Outside LINE it falls back to LINE Login
   (``liff.login``), or to today's signed link when one came with the URL (``?t=``).
2. ``POST /liff/<channel_id>/...`` (``id_token`` in the body): LINE checks the token (``POST /oauth2/v2.1/verify``
   with the channel's Login channel ID, ``haishin.line.login.verify_with_line``); the friend is the channel's
   follower with that LINE user ID (``sub``). A forged, expired or other channel's token, or someone who is not a
   friend, gets a Japanese page, and nothing is stored. Then the page itself:
   - a form: the form page as today, its signed token minted for this friend (in the form body, never the URL), and
     ``_liff`` = the LIFF ID, so the thank-you page (form submit function) runs ``liff.sendMessages``;
   - ``/b``: the booking page (``haishin.pages.bookings``) with a booking link minted for this friend (2 hours);
   - ``/sem/<event_id>``: the friend's seminar page (``haishin.pages.seminars``), its signed link minted for this
     friend (2 hours) and used as its forms' action;
   - ``/me``: the friend's name, their opt-out settings (``haishin.optout``, changed by the same POST with ``op``),
     their upcoming bookings (with the signed cancel link before the cutoff), seminar registrations (with their
     signed seminar page: the check-in QR) and coupons, each read through its package's service.

Locally the page config turns LINE's LIFF mock plugin on (``LIFF_MOCK``, set by the local runtime only): the LINE
emulator opens LIFF URLs with a real emulator ID token in the URL fragment, the rest of the page is the same.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from haishin.config import settings
from haishin.errors import ExternalServiceError, HaishinError, NotFound
from haishin.forms.service import FormService
from haishin.liff import LIFF_ID_RE, liff_url
from haishin.line import login as line_login
from haishin.line.login import LoginRefused
from haishin.optout.service import OptOutService, state_of
from haishin.pages import http
from haishin.pages.forms import form_page, respond
from haishin.pages.html import liff_security_policy, message_page, page, render
from haishin.pages.seminars import seminar_page
from haishin.public_url import public_base
from haishin.subscribers.models import SubscriberModel, follow_status
from haishin.subscribers.repository import SubscriberRepository

log = logging.getLogger(__name__)

BUNDLE = Path(__file__).parent / "static" / "liff.js"
FORM_TOKEN_VALIDITY = timedelta(hours=2)  # the signed token the LIFF form page carries in its body
SENT_MESSAGE = "フォームを送信しました"
FORM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ME_SCOPES = {"line": "LINE", "all": "すべて (LINE・メール・SMS)"}


ChannelModel = Any  # haishin.workspaces.models.ChannelModel (pages never import PynamoDB models)


class Channels(Protocol):
    def find(self, channel_id: str) -> Any: ...


def script_url() -> str:
    return f"{public_base()}/liff/app.js"


def mock_config() -> dict[str, str]:
    """The page config's mock part: on only where the local runtime set LIFF_MOCK (never in AWS)."""
    if not settings().liff_mock:
        return {"mock": "", "emulator": ""}
    return {"mock": "1", "emulator": settings().line_api_base}


def liff_page(status: int, template: str, **context: Any) -> dict[str, Any]:
    mock = mock_config()
    html = render(template, script_url=script_url(), **mock, **context)
    return page(status, html, {"content-security-policy": liff_security_policy(mock["emulator"] or None)})


class LiffPages:
    def __init__(self, *, channels: Channels, subscribers: SubscriberRepository, forms: FormService,
                 optout: OptOutService, verify: Any = None, bookings: Any = None, seminars: Any = None,
                 coupons: Any = None) -> None:
        self.bookings = bookings  # haishin.pages.bookings.BookingPages: /liff/<channel>/b (予約 in LINE)
        self.seminars = seminars  # haishin.seminars.service.SeminarService: /liff/<channel>/sem/<event>, マイページ
        self.coupons = coupons  # haishin.coupons.service.CouponService (マイページ: the friend's coupons)
        self.channels = channels
        self.subscribers = subscribers
        self.forms = forms
        self.optout = optout
        self.verify = verify or line_login.verify_with_line

    # ------------------------------------------------------------------ routing
    def handle(self, parts: list[str], event: dict[str, Any]) -> dict[str, Any]:
        """``parts`` = the path after ``/liff``."""
        method = http.method(event)
        if parts == ["app.js"] and method == "GET":
            return bundle()
        body: dict[str, list[str]] = {}
        if method == "POST":
            try:  # a body that is not a small form post is named first, as on every other route
                body = http.form_data(event)
            except HaishinError as error:
                return message_page(error.http_status, "ページを開けませんでした", error.message)
        if not parts:
            return _not_found()
        channel_id, rest = parts[0], parts[1:]
        booking = rest == ["b"] and self.bookings is not None
        named = len(rest) == 2 and bool(FORM_ID_RE.match(rest[1]))
        seminar = named and rest[0] == "sem" and self.seminars is not None
        if not (rest in ([], ["me"]) or booking or seminar or (named and rest[0] == "f")):
            return _not_found()
        channel = self.channels.find(channel_id)
        if channel is None or channel.status != "connected" or not channel.liff_id \
                or not LIFF_ID_RE.match(channel.liff_id) or not channel.login_channel_id:
            return message_page(404, "このページは開けません",
                                "この LINE 公式アカウントでは LIFF アプリが設定されていません。")
        if method == "GET":
            return self.shell(channel, rest, event)
        if method == "POST":
            return self.open(channel, rest, body, ref=(http.query(event, "ref") or "").strip()[:64])
        return message_page(405, "このページは開けません", "URLをご確認ください。")

    # ------------------------------------------------------------------ step 1: the LIFF shell
    def shell(self, channel: ChannelModel, rest: list[str], event: dict[str, Any]) -> dict[str, Any]:
        token = http.query(event, "t") or ""
        fallback = ""
        if rest and rest[0] == "f" and token:  # outside LINE, today's signed link still opens the form
            fallback = f"{public_base()}/f/{rest[1]}?t={token}"
        if rest == ["b"] and token:  # and the booking page
            fallback = f"{public_base()}/b?t={token}"
        if rest and rest[0] == "sem" and token:  # and the seminar page
            fallback = f"{public_base()}/sem/{channel.workspace_id}/{rest[1]}?t={token}"
        here = f"{public_base()}/liff/{channel.channel_id}" + ("/" + "/".join(rest) if rest else "")
        ref = (http.query(event, "ref") or "").strip()[:64]
        if rest and rest[0] == "sem" and ref:  # a partner's code (/s/<event>?ref=) rides along to the seminar page
            here += "?" + urlencode({"ref": ref})
        return liff_page(200, "liff.html.j2", title="読み込み中", liff_id=channel.liff_id, mode="shell" if rest
                         else "endpoint", action=here, fallback=fallback, send="")

    # ------------------------------------------------------------------ step 2: the friend, then the page
    def open(self, channel: ChannelModel, rest: list[str], body: dict[str, list[str]], *, ref: str = ""
             ) -> dict[str, Any]:
        id_token = (body.get("id_token") or [""])[0]
        try:
            subscriber = self.friend(channel, id_token)
        except LoginRefused as exc:
            log.info("LIFF: ID token refused for channel %s: %s", channel.channel_id, exc.where)
            return message_page(403, "LINE で本人確認ができませんでした", exc.message,
                                detail="何も保存されていません。LINE のトーク画面からもう一度開いてください。")
        except ExternalServiceError:
            log.exception("LIFF: LINE's verify endpoint did not answer")
            return message_page(502, "ただいま混み合っています", "時間をおいてもう一度お試しください。")
        if rest == ["me"]:
            return self.me(channel, subscriber, id_token, body)
        if rest and rest[0] == "f":
            return self.form(channel, subscriber, rest[1])
        if rest == ["b"] and self.bookings is not None:  # the friend's booking page, its link minted for them now
            signed = self.bookings.bookings.mint_link(channel.workspace_id, subscriber.subscriber_id,
                                                      validity=FORM_TOKEN_VALIDITY).split("?t=", 1)[1]
            return self.bookings.week(signed, "", "", "")
        if rest and rest[0] == "sem" and self.seminars is not None:
            return self.seminar(channel, subscriber, rest[1], ref=ref)
        return message_page(200, "LINE で開きました", "LINE のトーク画面のリンクやメニューからページを開いてください。")

    def friend(self, channel: ChannelModel, id_token: str) -> SubscriberModel:
        """The channel's friend behind a LIFF ID token (checked by LINE); LoginRefused when it cannot be trusted or
        its user is not a friend of the channel. Reads only."""
        assert channel.login_channel_id
        claims = self.verify(id_token, channel_id=channel.login_channel_id)
        subscriber = self.subscribers.find_by_line_user(channel.workspace_id, channel.channel_id, str(claims["sub"]))
        if subscriber is None or follow_status(subscriber.line, channel.channel_id) != "following":
            raise LoginRefused("この LINE 公式アカウントを友だち追加してから、もう一度開いてください",
                               where="id_token (not a friend)")
        return subscriber

    def entry_url(self, channel_id: str, path: str) -> str | None:
        """``https://liff.line.me/<liffId><path>`` of a connected channel's LIFF app; None without one."""
        channel = self.channels.find(channel_id)
        if channel is None or channel.status != "connected":
            return None
        try:
            return liff_url(channel, path)
        except ValueError:
            return None

    def seminar(self, channel: ChannelModel, subscriber: SubscriberModel, event_id: str, *, ref: str = ""
                ) -> dict[str, Any]:
        """The friend's seminar page, its signed link minted for them now (2 hours): its forms post to that signed
        page (the token in the page body, never in the LIFF URL), with a partner's ``ref`` when the entry had one
        (the registration then names the partner)."""
        try:
            url = self.seminars.friend_link(channel.workspace_id, event_id, subscriber.subscriber_id,
                                            validity=FORM_TOKEN_VALIDITY)
        except NotFound:
            return message_page(404, "セミナーが見つかりません", "終了したか、URL が正しくありません。")
        token = url.split("?t=", 1)[1]
        shown = {"requestContext": {"http": {"method": "GET"}}, "queryStringParameters": {"t": token},
                 "rawQueryString": f"t={token}"}
        if ref:
            url += "&" + urlencode({"ref": ref})
        return seminar_page(self.seminars, channel.workspace_id, event_id, shown, action=url)

    def form(self, channel: ChannelModel, subscriber: SubscriberModel, form_id: str) -> dict[str, Any]:
        form = self.forms.resolve(form_id)
        if form is None or form.workspace_id != channel.workspace_id:
            return message_page(404, "フォームが見つかりません", "URLをご確認ください。")
        try:
            token = self.forms.mint_link(channel.workspace_id, form_id, subscriber.subscriber_id,
                                         validity=FORM_TOKEN_VALIDITY)["token"]
        except NotFound:
            return message_page(404, "フォームが見つかりません", "URLをご確認ください。")
        result = self.forms.open(form_id, token)
        if result.outcome != "invalid":  # closed, gone: the same pages as the signed link shows
            return respond(result)
        return form_page(result, liff_id=channel.liff_id or "")

    def me(self, channel: ChannelModel, subscriber: SubscriberModel, id_token: str,
           body: dict[str, list[str]]) -> dict[str, Any]:
        ws, sid = channel.workspace_id, subscriber.subscriber_id
        op, scope = (body.get("op") or [""])[0], (body.get("scope") or ["line"])[0]
        notice = ""
        if op in ("stop", "resume"):
            if scope not in ME_SCOPES:
                return message_page(400, "送信内容が正しくありません", "配信停止の対象が正しくありません。")
            self.optout.set(ws, sid, scope, op == "stop", reason="liff")
            notice = f"{ME_SCOPES[scope]}の配信を{'停止' if op == 'stop' else '再開'}しました。"
            subscriber = self.subscribers.require(ws, sid)
        state = state_of(subscriber)
        name = subscriber.display_name or "お客さま"
        bookings = self.bookings.bookings.upcoming_for(ws, sid) if self.bookings is not None else []
        seminars = self.seminars.of_friend(ws, sid) if self.seminars is not None else []
        coupons = self.coupons.of_friend(ws, sid) if self.coupons is not None else []
        return liff_page(200, "me.html.j2", title="マイページ", friend_name=name, state=state, notice=notice,
                         bookings=bookings, seminars=seminars, coupons=coupons,
                         action=f"{public_base()}/liff/{channel.channel_id}/me", id_token=id_token,
                         sender=self.optout.sender(ws), liff_id=channel.liff_id, mode="page", fallback="", send="")


def form_done_page(result: Any, liff_id: str) -> dict[str, Any]:
    """The thank-you page of a form sent from LIFF: the same text as today's, and the script posts
    ``SENT_MESSAGE`` into the chat as the friend (``liff.sendMessages``, only inside LINE). A seminar seat held
    for payment gets the plain thank-you page instead: its 「お支払いへ進む」 button comes first."""
    to_pay = any(seat.status == "pending_payment" for seat in result.registrations.values())
    if not LIFF_ID_RE.match(liff_id) or result.outcome != "thanks" or result.definition is None or to_pay:
        return respond(result, liff_id=liff_id if LIFF_ID_RE.match(liff_id) else "")
    return liff_page(200, "liff.html.j2", title="送信が完了しました", liff_id=liff_id, mode="done", action="",
                     fallback="", send=SENT_MESSAGE, message=result.definition.thank_you_message)


def bundle() -> dict[str, Any]:
    try:
        script = BUNDLE.read_text(encoding="utf-8")
    except OSError:
        log.error("LIFF bundle missing at %s (run `make admin`)", BUNDLE)
        return {"statusCode": 404, "headers": {"content-type": "text/plain; charset=utf-8"},
                "body": "LIFF script not built (make admin)"}
    return {"statusCode": 200, "headers": {"content-type": "text/javascript; charset=utf-8",
                                           "cache-control": "public, max-age=300",
                                           "x-content-type-options": "nosniff"}, "body": script}


def _not_found() -> dict[str, Any]:
    return message_page(404, "ページが見つかりません", "URLをご確認ください。")
