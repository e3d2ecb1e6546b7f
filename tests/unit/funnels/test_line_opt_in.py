"""A funnel's LINE opt-in: the page's LINE button carries the visitor's signed reference through the inflow route,
so the LINE friend the route adds is this visitor's opt-in (noted on the visitor, counted on the page and variant,
the funnel's scenario started once) and the buyer of their later purchase; a forged, expired, another workspace's
or an unpublished funnel's reference is ignored. The thanks page links the courses of the sale and of the accepted
upsell."""

from __future__ import annotations

import html
import re
import urllib.parse
from datetime import timedelta
from typing import Any

from funnels_env import WS

from haishin import clock
from haishin.funnels.inputs import FunnelIn
from haishin.funnels.models import FunnelVisitorModel, stats_pk, visitor_sk
from haishin.routes.service import RouteDefinition
from haishin.secrets import secret_name
from haishin.workspaces.models import ChannelModel

CH = "1650000077"
FRIEND = "U" + "5" * 32


def _setup(env: Any) -> tuple[str, Any, Any]:
    ChannelModel.for_channel(WS, CH, name="講座", basic_id="@course", secret_name=secret_name(WS, "line", CH),
                             status="connected", connected_at=clock.now()).save()
    route = env.root.routes.create(WS, RouteDefinition.model_validate({"name": "ファネル LP", "channel_id": CH}))
    funnel_id = env.funnel([
        {"page_id": "lp", "kind": "optin", "title": "無料講座", "blocks": [
            {"type": "button", "label": "LINEで受け取る", "target": "route", "route_code": route.code}]},
        {"page_id": "sales", "kind": "sales", "title": "本講座", "blocks": [
            {"type": "product", "product_id": env.product(course_ids=["crs_main"])}]},
        {"page_id": "up", "kind": "upsell", "title": "特別なご案内", "blocks": [
            {"type": "product", "product_id": env.product(name="個別相談", amount=9800, order_bump=None,
                                                          course_ids=["crs_bonus", "crs_main"]),
             "button_label": "購入する"}]},
        {"page_id": "thanks", "kind": "thanks", "title": "ありがとうございました", "blocks": []},
    ], scenario_id="sc_line")
    friend, _ = env.root.subscribers.get_or_create_for_line_user(WS, CH, FRIEND)
    return funnel_id, route, friend


def _visit_of(env: Any, funnel_id: str, route: Any, cookie: str | None = None) -> tuple[str, str]:
    """The opt-in page as a visitor opens it: (their cookie, the visit reference its LINE button carries)."""
    page = env.request("GET", f"/f/{WS}/{funnel_id}/lp", cookie=cookie)
    href = html.unescape(re.search(rf'href="([^"]*/r/{route.code}[^"]*)"', page["body"]).group(1))
    (visit,) = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)["fv"]
    return cookie or page["cookies"][0], visit


def _optins(env: Any, funnel_id: str) -> int:
    return int(env.service.stats(WS, funnel_id)["pages"][0]["variants"][0]["optins"])


def _known(funnel_id: str, cookie: str) -> Any:
    visitor_id = cookie.split("=", 1)[1].split(".", 1)[0]
    try:
        return FunnelVisitorModel.get(stats_pk(WS, funnel_id), visitor_sk(visitor_id))
    except FunnelVisitorModel.DoesNotExist:
        return None


def test_the_line_friend_of_the_button_is_the_visitors_opt_in_and_the_buyer(env: Any) -> None:
    funnel_id, route, friend = _setup(env)
    cookie, visit = _visit_of(env, funnel_id, route)
    # the route attributes the friend (the callback, or the follow for a new friend) and hands the visit on; a
    # second login through the same button (or a redelivered follow) starts and counts nothing more
    for cause in ("login:j1", "login:j2"):
        env.root.routes.attribute(WS, friend.subscriber_id, route, cause=cause, first_follow=True, visit=visit)
    assert env.scenarios.started == ["sc_line"] and _optins(env, funnel_id) == 1
    assert _known(funnel_id, cookie).subscriber_id == friend.subscriber_id

    env.stripe.register_webhook("http://local/stripe", "whsec_x", transport=lambda url, body, headers:
                                env.root.payments.handle_webhook(WS, body, headers["Stripe-Signature"])[0])
    went = env.request("POST", f"/f/{WS}/{funnel_id}/sales", {"action": "buy"}, cookie)
    session_id = went["headers"]["location"].rsplit("/", 1)[1]
    assert env.stripe.objects[session_id]["metadata"]["subscriber_id"] == friend.subscriber_id  # the LINE friend
    env.stripe.complete_checkout(session_id, email="someone@example.jp")
    env.request("POST", f"/f/{WS}/{funnel_id}/up", {"action": "buy"}, cookie)  # one click on the saved card
    orders = env.root.payments.list_orders(WS, subscriber_id=friend.subscriber_id)
    assert sorted((o.status, o.paid_total) for o in orders) == [("paid", 9800), ("paid", 34780)]

    # the thanks page: the sale's course and the upsell's own, each once
    thanks = env.request("GET", f"/f/{WS}/{funnel_id}/thanks", cookie=cookie)["body"]
    linked = re.findall(rf'href="[^"]*/m/{WS}/(crs_[a-z]+)/">会員サイトで受講する', thanks)
    assert linked == ["crs_main", "crs_bonus"]


def test_forged_expired_foreign_and_unpublished_references_are_ignored(env: Any, manual_clock: Any) -> None:
    funnel_id, route, friend = _setup(env)
    cookie, visit = _visit_of(env, funnel_id, route)
    funnel, page, variant, visitor, expiry, mac = visit.split(".")
    forged = [
        ".".join([funnel, page, variant, "f" * 24, expiry, mac]),  # another visitor's ID under this signature
        ".".join([funnel, "sales", variant, visitor, expiry, mac]),  # another page
        ".".join([funnel, page, "B", visitor, expiry, mac]),  # another variant
        ".".join([funnel, page, variant, visitor, str(int(expiry) + 3600), mac]),  # a later expiry
        visit[:-2] + ("AA" if not visit.endswith("AA") else "BB"),  # the signature changed
        "fnl_x.lp.A", "", "....."]
    for reference in forged:
        env.service.arrived(WS, friend.subscriber_id, reference)
    env.service.arrived("w_other", friend.subscriber_id, visit)  # another workspace's route: not its key
    body = FunnelIn.model_validate({**env.service.get(WS, funnel_id).definition, "status": "draft"})
    env.service.update(WS, funnel_id, body)
    env.service.arrived(WS, friend.subscriber_id, visit)  # the funnel is no longer published
    assert env.scenarios.started == [] and _optins(env, funnel_id) == 0 and _known(funnel_id, cookie) is None

    env.service.update(WS, funnel_id, body.model_copy(update={"status": "published"}))
    manual_clock.advance(timedelta(hours=2, seconds=1))  # the button's reference lasts 2 hours
    env.service.arrived(WS, friend.subscriber_id, visit)
    assert env.scenarios.started == [] and _optins(env, funnel_id) == 0
    _, fresh = _visit_of(env, funnel_id, route, cookie)  # the page opened again: a new reference works
    env.service.arrived(WS, friend.subscriber_id, fresh)
    assert env.scenarios.started == ["sc_line"] and _optins(env, funnel_id) == 1


def test_the_admin_preview_carries_no_visitor_reference(env: Any) -> None:
    funnel_id, route, _ = _setup(env)
    preview = env.root.funnel_preview.html(WS, funnel_id, "lp")
    assert f"/r/{route.code}\"" in preview and "fv=" not in preview
