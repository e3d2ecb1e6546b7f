"""A funnel's public pages (``/f/<workspace_id>/<funnel_id>/<page_id>``, haishin.funnels): server-rendered,
mobile-first HTML with no client framework (one small inline script: the countdowns and the one-click guard).

GET shows the page (and counts the visitor once); POST ``action=optin`` submits the page's form block and moves on to
the next page; POST ``action=buy`` starts the product block's Stripe Checkout. The visitor is known by a cookie
(``hfv``: a random ID and the first visit's time, which evergreen countdowns run from and A/B variants split on)."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from haishin import clock
from haishin.errors import HaishinError, NotFound
from haishin.forms.service import SubmitResult
from haishin.funnels.inputs import embed_url
from haishin.funnels.service import OFFERS, FunnelService, PageView, Visitor, funnel_url
from haishin.pages import http
from haishin.pages.forms import respond
from haishin.pages.html import content_security_policy, message_page, page, redirect, render
from haishin.pages.inflow import request_cookies
from haishin.pages.products import plan_text, price_text
from haishin.public_url import public_base
from haishin.routes.service import route_url

log = logging.getLogger(__name__)

COOKIE = "hfv"
COOKIE_DAYS = 90
VIDEO_FRAMES = "https://www.youtube-nocookie.com https://player.vimeo.com"


def funnel_policy() -> str:
    """The pages' policy, plus the two video hosts a video block may embed (nothing else may be framed)."""
    return content_security_policy().replace("default-src 'none';", f"default-src 'none'; frame-src {VIDEO_FRAMES};", 1)


def visitor_of(event: dict[str, Any]) -> tuple[Visitor, str | None]:
    """The visitor of the cookie, or a new one with the ``Set-Cookie`` value that remembers them."""
    raw = request_cookies(event).get(COOKIE, "")
    visitor_id, _, seen = raw.partition(".")
    now = clock.now()
    if visitor_id.isalnum() and 16 <= len(visitor_id) <= 40 and seen.isdigit():
        first = datetime.fromtimestamp(min(int(seen), int(now.timestamp())), UTC)  # never in the future
        return Visitor(visitor_id, first), None
    visitor = Visitor(secrets.token_hex(12), now)
    secure = "; Secure" if public_base().startswith("https://") else ""
    path = urlsplit(public_base()).path.rstrip("/") + "/f/"
    cookie = (f"{COOKIE}={visitor.visitor_id}.{int(now.timestamp())}; Max-Age={COOKIE_DAYS * 86400}; Path={path}; "
              f"HttpOnly; SameSite=Lax{secure}")
    return visitor, cookie


def _left(seconds: int) -> str:
    days, rest = divmod(max(0, seconds), 86400)
    return (f"{days}日 " if days else "") + f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


def _blocks(view: PageView) -> list[dict[str, Any]]:
    now = clock.now()
    out: list[dict[str, Any]] = []
    for index, block in enumerate(view.blocks):
        item = block.model_dump(mode="json")
        if block.type == "video":
            item["embed"] = embed_url(block.url)
        elif block.type == "button":
            item["href"] = {"next": view.next_url, "url": block.url,
                            "route": _route_href(block.route_code, view.visit_ref)}[block.target]
        elif block.type == "countdown":
            end = view.deadlines[index]
            seconds = int((end - now).total_seconds())
            item.update(end_ms=int(end.timestamp() * 1000), left=_left(seconds), expired=seconds <= 0)
        elif block.type == "product" and view.product is not None:
            product, bump = view.product, view.product.order_bump
            item.update(name=product.name, price=price_text(product.amount, product.currency),
                        plan=plan_text(product), bump_name=bump.name if bump else "",
                        bump_price=price_text(bump.amount, product.currency) if bump else "",
                        total=price_text(product.payment_amount, product.currency),
                        # an upsell / downsell: 「いいえ」 goes on to the next page (a downsell, or the thanks page)
                        decline_href=view.next_url if view.page.kind in OFFERS else None)
        out.append(item)
    return out


def _route_href(code: str, visit_ref: str) -> str | None:
    """The inflow route's URL; with the visitor's signed reference, so the LINE friend it adds is this visitor."""
    if not code:
        return None
    return route_url(code) + (f"?{urlencode({'fv': visit_ref})}" if visit_ref else "")


def page_html(view: PageView) -> str:
    """The page's HTML (also the admin's preview, shown in a sandboxed iframe where no script runs)."""
    form = view.form
    return render("funnel.html.j2", title=view.title, blocks=_blocks(view),
                  form=form.definition if form is not None else None,
                  errors=form.errors if form is not None else {}, values=form.values if form is not None else {},
                  nonce=form.nonce if form is not None else "", member_urls=view.member_urls)


class FunnelPreview:
    """The builder's preview: a page's HTML as a new visitor would see it (drafts too, nothing counted). Built by the
    composition root on first use, so the admin API loads the page renderer (jinja2) only when a preview is asked."""

    def __init__(self, funnels: FunnelService) -> None:
        self.funnels = funnels

    def html(self, workspace_id: str, funnel_id: str, page_id: str) -> str:
        return page_html(self.funnels.preview(workspace_id, funnel_id, page_id))


def render_view(view: PageView, *, status: int = 200) -> dict[str, Any]:
    return page(status, page_html(view), {"content-security-policy": funnel_policy()})


def funnel_page(service: FunnelService, workspace_id: str, funnel_id: str, page_id: str,
                event: dict[str, Any]) -> dict[str, Any]:
    visitor, cookie = visitor_of(event)
    try:
        if http.method(event) != "POST":
            return _with_cookie(render_view(service.open(workspace_id, funnel_id, page_id, visitor)), cookie)
        try:
            form = http.form_data(event)
        except HaishinError as exc:
            return message_page(exc.http_status, "送信内容を読み取れませんでした", exc.message)
        action = (form.get("action") or [""])[0]
        if action == "buy":
            return _with_cookie(redirect(service.checkout(workspace_id, funnel_id, page_id, visitor), status=303),
                                cookie)
        if action != "optin":
            return message_page(400, "送信内容が正しくありません", "ページを開き直してからもう一度お試しください。")
        view, result = service.opt_in(workspace_id, funnel_id, page_id, visitor, form, ip=http.source_ip(event))
        return _with_cookie(_after_opt_in(view, result, workspace_id, funnel_id, page_id), cookie)
    except NotFound:
        return message_page(404, "ページが見つかりません", "公開が終了したか、URLが正しくありません。")
    except HaishinError:
        log.exception("funnel %s page %s failed", funnel_id, page_id)
        return message_page(502, "処理できませんでした", "時間をおいてもう一度お試しください。",
                            detail="お支払いは行われていません。")


def _after_opt_in(view: PageView, result: SubmitResult, workspace_id: str, funnel_id: str,
                  page_id: str) -> dict[str, Any]:
    if result.outcome == "invalid":
        return render_view(view, status=422)
    if result.outcome in ("thanks", "redirect"):  # registered (or a repeat of the same post): on to the next page
        return redirect(view.next_url or funnel_url(workspace_id, funnel_id, page_id), status=303)
    return respond(result)  # throttled, closed: the form's own answer


def _with_cookie(response: dict[str, Any], cookie: str | None) -> dict[str, Any]:
    if cookie:
        response["cookies"] = [cookie]
    return response
