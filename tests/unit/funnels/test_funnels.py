"""Funnels: building (Japanese validation naming the place), the public pages (escaped, accessible, no framework),
opt-in through the hosted form starting the funnel's scenario, checkout with the order bump returning to the next
page, evergreen countdowns per visitor, stats and A/B variants."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from funnels_env import WS
from pydantic import ValidationError

from haishin.errors import NotFound, ValidationFailed
from haishin.funnels.inputs import FunnelIn, embed_url
from haishin.pages.funnels import page_html


def _optin_funnel(env: Any, **overrides: Any) -> tuple[str, str]:
    form_id = env.form()
    funnel_id = env.funnel([
        {"page_id": "lp", "kind": "optin", "title": "無料講座<script>x</script>", "blocks": [
            {"type": "heading", "text": "3日で学ぶLINE集客"},
            {"type": "text", "text": "<img src=x onerror=alert(1)>\n2行目"},
            {"type": "image", "url": "https://cdn.example.com/a.png", "alt": "講師の写真"},
            {"type": "countdown", "mode": "evergreen", "minutes": 60},
            {"type": "form", "form_id": form_id},
            {"type": "faq", "items": [{"q": "費用は？", "a": "無料です"}]},
            {"type": "testimonial", "quote": "売上が2倍に", "name": "山田さん"},
        ]},
        {"page_id": "sales", "kind": "sales", "title": "本講座のご案内", "blocks": [
            {"type": "product", "product_id": env.product()},
            {"type": "video", "url": "https://www.youtube.com/watch?v=abc_DEF-123", "title": "紹介動画"},
        ]},
        {"page_id": "thanks", "kind": "thanks", "title": "ありがとうございました", "blocks": [
            {"type": "button", "label": "会員サイトへ", "target": "url", "url": "https://example.com/m"},
        ]},
    ], **overrides)
    return funnel_id, form_id


def test_pages_render_escaped_accessible_and_frameworkless(env: Any) -> None:
    funnel_id, _ = _optin_funnel(env)
    page = env.request("GET", f"/f/{WS}/{funnel_id}/lp")
    body = page["body"]
    assert page["statusCode"] == 200 and '<html lang="ja">' in body
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body  # the marketer's text
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert 'alt="講師の写真"' in body and 'width="640" height="360"' in body
    assert '<label for="f-email">メールアドレス' in body and 'type="email"' in body
    assert body.count("<script") == 1 and "src=" not in body.split("<script", 1)[1].split(">", 1)[0]  # inline only
    assert 'role="timer"' in body and "01:00:00" in body  # evergreen: 60 minutes from this first visit
    csp = page["headers"]["content-security-policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in csp
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp
    assert page["cookies"][0].startswith("hfv=") and "HttpOnly" in page["cookies"][0]
    sales = env.request("GET", f"/f/{WS}/{funnel_id}/sales")["body"]
    assert "¥29,800" in sales and "テンプレート集（¥4,980）" in sales and "合計 ¥34,780" in sales
    assert 'src="https://www.youtube-nocookie.com/embed/abc_DEF-123"' in sales and 'title="紹介動画"' in sales


def test_evergreen_countdown_runs_from_the_visitors_first_visit(env: Any, manual_clock: Any) -> None:
    funnel_id, _ = _optin_funnel(env)
    first = env.request("GET", f"/f/{WS}/{funnel_id}/lp")
    cookie = first["cookies"][0]
    manual_clock.advance(timedelta(minutes=45))
    again = env.request("GET", f"/f/{WS}/{funnel_id}/lp", cookie=cookie)
    assert "00:15:00" in again["body"] and "cookies" not in again  # the same visitor: 15 minutes left
    fresh = env.request("GET", f"/f/{WS}/{funnel_id}/lp")  # another visitor starts their own hour
    assert "01:00:00" in fresh["body"]
    manual_clock.advance(timedelta(minutes=20))
    over = env.request("GET", f"/f/{WS}/{funnel_id}/lp", cookie=cookie)["body"]
    assert re.search(r"<strong data-left hidden>", over) and "受付は終了しました" in over


def test_opt_in_registers_the_reader_starts_the_scenario_and_moves_on(env: Any) -> None:
    funnel_id, _ = _optin_funnel(env, scenario_id="sc_welcome")
    page = env.request("GET", f"/f/{WS}/{funnel_id}/lp")
    cookie = page["cookies"][0]
    nonce = re.search(r'name="_nonce" value="([^"]+)"', page["body"]).group(1)
    bad = env.request("POST", f"/f/{WS}/{funnel_id}/lp", {"action": "optin", "_nonce": nonce, "email": "x"}, cookie)
    assert bad["statusCode"] == 422 and 'aria-invalid="true"' in bad["body"] and env.scenarios.started == []
    form = {"action": "optin", "_nonce": nonce, "email": "Reader@Example.com", "website": ""}
    done = env.request("POST", f"/f/{WS}/{funnel_id}/lp", form, cookie)
    assert done["statusCode"] == 303 and done["headers"]["location"].endswith(f"/f/{WS}/{funnel_id}/sales")
    reader = env.root.subscribers.find_by_email(WS, "reader@example.com")
    assert reader is not None and env.scenarios.started == ["sc_welcome"]
    again = env.request("POST", f"/f/{WS}/{funnel_id}/lp", form, cookie)  # a double submit: once
    assert again["statusCode"] == 303 and env.scenarios.started == ["sc_welcome"]
    stats = env.service.stats(WS, funnel_id)["pages"][0]["variants"][0]
    assert (stats["visitors"], stats["optins"], stats["optin_rate"]) == (1, 1, 1.0)


def test_buying_opens_checkout_with_the_order_bump_and_returns_to_the_next_page(env: Any) -> None:
    funnel_id, _ = _optin_funnel(env)
    went = env.request("POST", f"/f/{WS}/{funnel_id}/sales", {"action": "buy"})
    assert went["statusCode"] == 303
    session = env.stripe.objects[went["headers"]["location"].rsplit("/", 1)[1]]
    assert [i["price"]["unit_amount"] for i in session["_line_items"]] == [29800, 4980]  # the bump: 2nd line
    assert session["success_url"].endswith(f"/f/{WS}/{funnel_id}/thanks")
    assert env.service.stats(WS, funnel_id)["pages"][1]["variants"][0]["checkouts"] == 1


def test_a_b_variants_split_visitors_and_use_the_abtests_verdict(env: Any) -> None:
    form_id = env.form()
    funnel_id = env.funnel([{"page_id": "lp", "kind": "optin", "title": "案A", "blocks": [
        {"type": "form", "form_id": form_id}], "variants": [
        {"title": "案B", "blocks": [{"type": "form", "form_id": form_id}]}]}])
    seen = {"案A": 0, "案B": 0}
    for _ in range(40):
        body = env.request("GET", f"/f/{WS}/{funnel_id}/lp")["body"]
        seen["案A" if "<h1>案A</h1>" in body else "案B"] += 1
    assert seen["案A"] > 5 and seen["案B"] > 5
    page = env.service.stats(WS, funnel_id)["pages"][0]
    assert [v["visitors"] for v in page["variants"]] == [seen["案A"], seen["案B"]]
    assert page["abtest"]["ready"] is False and "まだ判定できません" in page["abtest"]["message"]


def test_bad_funnels_are_refused_in_japanese_at_their_place(env: Any) -> None:
    with pytest.raises(ValidationFailed, match="フォーム「frm_nope」が見つかりません") as info:
        env.funnel([{"page_id": "lp", "kind": "optin", "title": "t", "blocks": [
            {"type": "form", "form_id": "frm_nope"}]}])
    assert info.value.where == "pages[0].blocks[0]"
    with pytest.raises(ValidationFailed, match="流入経路"):
        env.funnel([{"page_id": "lp", "kind": "optin", "title": "t", "blocks": [
            {"type": "button", "label": "LINEで受け取る", "target": "route", "route_code": "nope"}]}])
    with pytest.raises(ValidationError, match="重複"):
        FunnelIn.model_validate({"name": "n", "pages": [{"page_id": "a", "kind": "optin", "title": "t"}] * 2})
    with pytest.raises(ValidationError, match="YouTube または Vimeo"):
        FunnelIn.model_validate({"name": "n", "pages": [{"page_id": "a", "kind": "sales", "title": "t", "blocks": [
            {"type": "video", "url": "https://evil.example.com/v", "title": "x"}]}]})
    with pytest.raises(ValidationError, match="https://"):
        FunnelIn.model_validate({"name": "n", "pages": [{"page_id": "a", "kind": "sales", "title": "t", "blocks": [
            {"type": "image", "url": "javascript:alert(1)", "alt": "x"}]}]})
    assert env.service.all(WS) == []  # nothing was stored


def test_drafts_unknown_pages_and_other_workspaces_answer_404(env: Any) -> None:
    funnel_id, _ = _optin_funnel(env, status="draft")
    assert env.request("GET", f"/f/{WS}/{funnel_id}/lp")["statusCode"] == 404
    stored = env.service.view(env.service.get(WS, funnel_id))
    body = FunnelIn.model_validate({"name": stored["name"], "pages": stored["pages"], "status": "published"})
    env.service.update(WS, funnel_id, body)
    assert env.request("GET", f"/f/{WS}/{funnel_id}/lp")["statusCode"] == 200
    assert env.request("GET", f"/f/{WS}/{funnel_id}/nope")["statusCode"] == 404
    assert env.request("GET", f"/f/w_other/{funnel_id}/lp")["statusCode"] == 404
    with pytest.raises(NotFound):
        env.service.get("w_other", funnel_id)


def test_embed_urls() -> None:
    assert embed_url("https://youtu.be/abc123") == "https://www.youtube-nocookie.com/embed/abc123"
    assert embed_url("https://vimeo.com/12345") == "https://player.vimeo.com/video/12345"
    assert embed_url("https://www.youtube.com/watch?v=a%22b") is None


def test_preview_shows_drafts_and_counts_nothing(env: Any) -> None:
    funnel_id, _ = _optin_funnel(env, status="draft")
    html = page_html(env.service.preview(WS, funnel_id, "lp"))
    assert "3日で学ぶLINE集客" in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert env.service.stats(WS, funnel_id)["pages"][0]["variants"][0]["visitors"] == 0
    with pytest.raises(NotFound):
        env.service.preview("w_other", funnel_id, "lp")
