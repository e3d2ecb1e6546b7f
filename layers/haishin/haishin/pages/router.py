"""The pages Lambda's routes: GET /f/{form_id} (a form), GET /p/{product_id}[/done|/canceled] (the product page and
the checkout results), POST /p/{product_id} (starts the checkout: only a POST creates an order and a Stripe Checkout
Session), GET /c/{token} (a tracked link: counts, attributes the friend, redirects to the link's stored target only),
GET /cv/{code}?f=<friend token>[&txn=] (a conversion point's pixel: records the conversion, answers a 1x1 GIF),
GET /partner/{token} (a partner's own report, haishin.partners),
GET|POST /liff/<channel_id>[/f/<form_id>|/me] and GET /liff/app.js (LIFF pages: haishin.pages.liff),
GET|POST /b and /b/cancel/<booking_id> (予約: haishin.pages.bookings),
GET|POST /sem/<workspace_id>/<event_id>?t= (a friend's seminar page: haishin.pages.seminars), GET /s/<event_id>?ref=
(a partner's seminar link: the event, then the partner's route into LINE), GET|POST /cpn/<workspace_id>/<coupon_id>?t=
(a friend's coupon 使う page: haishin.pages.coupons),
GET|POST /m/<workspace_id>/<course_id>/... (会員サイト: haishin.pages.members),
GET|POST /f/<workspace_id>/<funnel_id>/<page_id> (a funnel's page: haishin.pages.funnels),
GET /a/<workspace_id>/<asset_id> (an uploaded image of a funnel page: haishin.assets; cached a year, immutable)."""

from __future__ import annotations

import base64
import logging
from typing import Any

from haishin.assets.service import IMAGE_CACHE
from haishin.errors import HaishinError, NotFound
from haishin.forms import tokens
from haishin.forms.service import FormService
from haishin.links.service import LinkService
from haishin.optout.service import OptOutService
from haishin.pages import http
from haishin.pages.coupons import coupon_page
from haishin.pages.forms import TOKEN_MESSAGES, respond
from haishin.pages.funnels import funnel_page
from haishin.pages.html import file_response, message_page, page, redirect, render
from haishin.pages.products import product_page
from haishin.pages.seminars import seminar_landing, seminar_page
from haishin.pages.unsubscribe import unsubscribe_page
from haishin.partners.service import KIND_LABELS, STATUS_LABELS, ReportLinkInvalid
from haishin.payments.service import PaymentService
from haishin.public_url import route_path, serving
from haishin.track.tokens import looks_like

log = logging.getLogger(__name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1x1 transparent GIF


class Pages:
    def __init__(self, *, forms: FormService, payments: PaymentService, links: LinkService,
                 optout: OptOutService, track: Any = None, conversions: Any = None, liff: Any = None,
                 partners: Any = None, bookings: Any = None, seminars: Any = None, routes: Any = None,
                 coupons: Any = None, members: Any = None, funnels: Any = None, assets: Any = None) -> None:
        self.assets = assets  # haishin.assets.service.AssetService: /a/<workspace>/<asset> (funnel images)
        self.coupons = coupons  # haishin.coupons.service.CouponService: /cpn/<workspace>/<coupon> (the 使う page)
        self.members = members  # haishin.pages.members.MemberPages: /m/<workspace>/<course>/... (会員サイト)
        self.funnels = funnels  # haishin.funnels.service.FunnelService: /f/<workspace>/<funnel>/<page>
        self.routes = routes  # haishin.routes.service.RouteService: a partner's /s/<event>?ref=<code> link
        self.partners = partners  # haishin.partners.service.PartnerService: /partner/<signed token> reports
        self.bookings = bookings  # haishin.pages.bookings.BookingPages: /b (予約) and /b/cancel/<id>
        self.seminars = seminars  # haishin.seminars.service.SeminarService: /sem/<workspace>/<event> (friend's page)
        self.liff = liff  # haishin.pages.liff.LiffPages: /liff/<channel_id>/... (forms and マイページ in LINE)
        self.conversions = conversions  # haishin.conversions.service.ConversionService: /cv/ URLs
        self.track = track  # haishin.track.service.TrackService: /c/ URLs rewritten into messages
        self.forms = forms
        self.payments = payments
        self.links = links
        self.optout = optout

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        with serving(event):  # URLs on these pages (form action, checkout return) start with this request's base
            return self._route(event)

    def _route(self, event: dict[str, Any]) -> dict[str, Any]:
        parts = [p for p in route_path(event).split("/") if p]
        if http.method(event) == "GET" and len(parts) == 2 and parts[0] == "f":
            return respond(self.forms.open(parts[1], http.query(event, "t")))
        if http.method(event) in ("GET", "POST") and len(parts) == 4 and parts[0] == "f" and self.funnels:
            return funnel_page(self.funnels, parts[1], parts[2], parts[3], event)
        if http.method(event) == "GET" and len(parts) == 3 and parts[0] == "a" and self.assets is not None:
            return self.image(parts[1], parts[2])
        if http.method(event) == "GET" and len(parts) >= 2 and parts[0] == "p":
            return self.checkout(parts[1], parts[2] if len(parts) > 2 else None, event)
        if http.method(event) == "POST" and len(parts) == 2 and parts[0] == "p":
            return self.start_checkout(parts[1], event)
        if http.method(event) == "GET" and len(parts) == 2 and parts[0] == "c":
            return self.tracked_link(parts[1])
        if http.method(event) == "GET" and len(parts) == 2 and parts[0] == "cv" and self.conversions is not None:
            return self.conversion(parts[1], http.query(event, "f"), http.query(event, "txn"))
        if http.method(event) == "GET" and len(parts) == 2 and parts[0] == "partner" and self.partners is not None:
            return self.partner_report(parts[1])
        if parts and parts[0] == "liff" and self.liff is not None:
            return self.liff.handle(parts[1:], event)
        if parts and parts[0] == "b" and self.bookings is not None:
            return self.bookings.handle(parts, event)
        if http.method(event) in ("GET", "POST") and len(parts) == 3 and parts[0] == "sem" and self.seminars:
            return seminar_page(self.seminars, parts[1], parts[2], event)
        if http.method(event) in ("GET", "POST") and len(parts) == 3 and parts[0] == "cpn" and self.coupons:
            return coupon_page(self.coupons, parts[1], parts[2], event)
        if http.method(event) == "GET" and len(parts) == 2 and parts[0] == "s" and self.seminars:
            return seminar_landing(self.seminars, self.routes, parts[1], event, liff=self.liff)
        if http.method(event) in ("GET", "POST") and parts and parts[0] == "m" and self.members is not None:
            return self.members.handle(parts[1:], event)
        if http.method(event) in ("GET", "POST") and len(parts) == 2 and parts[0] == "u":
            return unsubscribe_page(self.optout, parts[1], event)
        return message_page(404, "ページが見つかりません", "URLをご確認ください。")

    def image(self, workspace_id: str, asset_id: str) -> dict[str, Any]:
        try:
            item, data = self.assets.public_image(workspace_id, asset_id)
        except NotFound:
            return message_page(404, "画像が見つかりません", "URLをご確認ください。")
        return file_response(item.content_type, data, cache=IMAGE_CACHE)

    def tracked_link(self, token: str) -> dict[str, Any]:
        # a URL rewritten into a message (haishin.track), or a tracked link of haishin.links
        result = self.track.click(token) if self.track is not None and looks_like(token) else self.links.click(token)
        if result.outcome == "redirect" and result.target_url:
            return redirect(result.target_url, status=302)  # only ever the link's stored target_url
        if result.outcome == "token_invalid":
            return message_page(403, "このリンクは無効です",
                                "リンクが正しく開けませんでした。LINEのトーク画面からもう一度開いてください。")
        return message_page(404, "リンクが見つかりません", "URLをご確認ください。")

    def partner_report(self, token: str) -> dict[str, Any]:
        try:
            _, report = self.partners.open_report(token)
        except ReportLinkInvalid as exc:
            if str(exc) == "rotated":
                return message_page(403, "このリンクは使えなくなりました",
                                    "レポートのURLが新しくなりました。ショップから届いた最新のURLを開いてください。")
            return message_page(403, "このリンクは無効です",
                                "レポートのURLが正しくありません。ショップから届いたURLをそのまま開いてください。")
        context = {k: v for k, v in report.items() if k != "name"}
        return page(200, render("partner.html.j2", title=f"{report['name']} さまの成果レポート",
                                partner_name=report["name"], kinds=KIND_LABELS, statuses=STATUS_LABELS, **context))

    def conversion(self, code: str, token: str | None, txn: str | None) -> dict[str, Any]:
        outcome = self.conversions.hit(code, token, txn)
        if outcome in ("recorded", "duplicate"):
            return {"statusCode": 200, "headers": {"content-type": "image/gif", "cache-control": "no-store"},
                    "body": base64.b64encode(PIXEL).decode(), "isBase64Encoded": True}
        if outcome == "token_invalid":
            return message_page(403, "このURLは無効です",
                                "お客さまを確認できませんでした。LINEのメッセージから開き直してください。")
        return message_page(404, "ページが見つかりません", "URLをご確認ください。")

    def checkout(self, product_id: str, result: str | None, event: dict[str, Any]) -> dict[str, Any]:
        if result == "done":
            return message_page(200, "お支払いが完了しました",
                                "ご購入ありがとうございます。詳しいご案内をLINEでお送りします。")
        if result == "canceled":
            return message_page(200, "お支払いはキャンセルされました", "料金は請求されていません。")
        if result is not None:
            return message_page(404, "ページが見つかりません", "URLをご確認ください。")
        token = http.query(event, "s")
        try:  # reads only: a link preview fetching this URL starts no checkout
            product, definition, _ = self.payments.offer(product_id, token)
            code = http.query(event, "ref")  # a partner's link: the visit is signed into the page's form
            signed = self.partners.sign_ref(product.workspace_id, code) if code and self.partners else None
            return product_page(definition, token, partner_ref=signed)
        except tokens.TokenInvalid as exc:
            title, message = TOKEN_MESSAGES.get(exc.reason, TOKEN_MESSAGES["signature"])
            return message_page(403, title, message, detail="お支払いは行われていません。")
        except NotFound:
            return message_page(404, "商品が見つかりません", "販売が終了したか、URLが正しくありません。")

    def _partner_ref(self, product_id: str, form: dict[str, list[str]]) -> tuple[str, Any] | None:
        """The product page's signed partner visit (``pr``), verified; a forged one credits nobody."""
        signed = (form.get("pr") or [""])[0]
        if not signed or self.partners is None:
            return None
        product = self.payments.resolve_product(product_id)
        return self.partners.verify_ref(product.workspace_id, signed) if product is not None else None

    def start_checkout(self, product_id: str, event: dict[str, Any]) -> dict[str, Any]:
        try:  # not a form post, or too large: say so (the page's own button always sends a small form post)
            form = http.form_data(event)
        except HaishinError as error:
            return message_page(error.http_status, "お支払い画面を開けませんでした", error.message,
                                detail="お支払いは行われていません。")
        token = (form.get("s") or [""])[0] or http.query(event, "s")
        try:
            ref = (form.get("r") or [""])[0] or http.query(event, "r")  # a seminar seat the order pays for
            return redirect(self.payments.start_checkout(product_id, token, ref or None,
                                                         partner_ref=self._partner_ref(product_id, form)), status=303)
        except tokens.TokenInvalid as exc:
            title, message = TOKEN_MESSAGES.get(exc.reason, TOKEN_MESSAGES["signature"])
            return message_page(403, title, message, detail="お支払いは行われていません。")
        except NotFound:
            return message_page(404, "商品が見つかりません", "販売が終了したか、URLが正しくありません。")
        except HaishinError:
            log.exception("checkout could not start for %s", product_id)
            return message_page(502, "お支払い画面を開けませんでした", "時間をおいてもう一度お試しください。")
