"""Lighthouse (npm's ``lighthouse`` in admin/node_modules, Debian's Chromium headless, mobile profile) on the funnel
pages of the running local system: prints the performance and accessibility scores of each page (never asserts;
the issue's target is 90 or more for both).

The funnel: an opt-in page (heading, text, an evergreen countdown, the e-mail form, FAQ, testimonial), a sales page
(a product with an order bump) and a thanks page (text and a button), published in a fresh workspace.

The member site (会員サイト): a course of two chapters (a text lesson, a video lesson with attachments, a dripped one),
granted by staff to a friend with an e-mail address; measured are the login page (no session), and with the member's
session cookie (logged in by the e-mailed link, sent by Lighthouse as an extra header) the course page and a lesson.

Run: .venv/bin/python tests/bench/lighthouse_pages.py   (``make bench`` runs it with the others)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from haishin_local.runtime import LocalSystem
from tests.support.members import member_cookie, verified_sender

REPO = Path(__file__).resolve().parents[2]
LIGHTHOUSE = REPO / "admin" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WS = "ws_bench_lighthouse"
OWNER = "owner@lighthouse.example.jp"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
                "--disable-sync --no-first-run --disable-quic")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}, {os.cpu_count()} cpus]"


def api(system: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{system.base_url}{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def build_funnel(system: Any) -> dict[str, str]:
    system.create_owner(WS, OWNER)
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    api(system, token, "PUT", "/api/payments/stripe/keys",
        {"mode": "test", "secret_key": "sk_test_bench_lighthouse", "webhook_secrets": ["whsec_bench_lighthouse"]})
    form = api(system, token, "POST", "/api/forms", {
        "name": "無料講座の登録", "title": "無料講座の登録",
        "fields": [{"key": "email", "label": "メールアドレス", "type": "email", "required": True}],
        "submit_label": "無料で受け取る"})
    product = api(system, token, "POST", "/api/products", {
        "name": "LINE集客講座", "amount": 29800, "order_bump": {"name": "テンプレート集", "amount": 4980}})
    funnel = api(system, token, "POST", "/api/funnels", {"name": "計測用ファネル", "status": "published", "pages": [
        {"page_id": "lp", "kind": "optin", "title": "3日で学ぶLINE集客", "blocks": [
            {"type": "text", "text": "LINE公式アカウントで売上をつくる方法を、3日間の無料講座でお伝えします。"},
            {"type": "countdown", "mode": "evergreen", "minutes": 1440},
            {"type": "form", "form_id": form["form_id"]},
            {"type": "heading", "text": "よくある質問"},
            {"type": "faq", "items": [{"q": "費用はかかりますか?", "a": "無料です。"},
                                      {"q": "いつ届きますか?", "a": "登録後すぐに1日目が届きます。"}]},
            {"type": "testimonial", "quote": "3日目の内容をそのまま試して、予約が2倍になりました。", "name": "美容室オーナー"}]},
        {"page_id": "sales", "kind": "sales", "title": "本講座のご案内", "blocks": [
            {"type": "text", "text": "6週間で、配信・導線・決済まで仕組みを作ります。"},
            {"type": "product", "product_id": product["product_id"]}]},
        {"page_id": "thanks", "kind": "thanks", "title": "ご購入ありがとうございました", "blocks": [
            {"type": "text", "text": "ご案内をLINEでお送りしました。"},
            {"type": "button", "label": "会員サイトへ", "target": "url", "url": "https://example.com/members"}]},
    ]})
    return dict(funnel["urls"])


def build_course(system: Any) -> tuple[dict[str, str], str]:
    """The member pages to measure (name -> URL) and the member's session cookie (``name=value``)."""
    token = system.login(email=OWNER, workspace_id=WS, role="owner")
    verified_sender(system, {"Authorization": f"Bearer {token}"}, "school-lighthouse.example.jp")
    course = api(system, token, "POST", "/api/courses", {
        "title": "LINE集客講座", "description": "6週間で、配信・導線・決済まで仕組みを作ります。", "status": "published",
        "chapters": [
            {"title": "第1章 はじめに", "lessons": [
                {"title": "ようこそ", "body": "この講座の進め方です。\n毎日1レッスンずつ進めましょう。"},
                {"title": "配信の基本", "body": "配信の基本を動画で学びます。",
                 "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                 "attachments": [{"name": "ワークシート", "url": "https://example.com/worksheet.pdf"}]}]},
            {"title": "第2章 実践", "lessons": [
                {"title": "配信してみよう", "body": "実際に配信します。", "drip_days": 7}]}]})
    friend = api(system, token, "POST", "/api/subscribers", {"display_name": "計測 会員", "email": "member@example.jp"})
    api(system, token, "POST", f"/api/courses/{course['course_id']}/grants", {"subscriber_id": friend["subscriber_id"]})
    cookie = member_cookie(system, WS, course["course_id"], "member@example.jp")
    base = f"{system.base_url}/m/{WS}/{course['course_id']}/"
    lesson = course["chapters"][0]["lessons"][1]["id"]
    return {"login": base, "course": base, "lesson": f"{base}l/{lesson}"}, cookie


def lighthouse(url: str, cookie: str | None = None) -> dict[str, float]:
    headers = [f"--extra-headers={json.dumps({'Cookie': cookie})}"] if cookie else []
    run = subprocess.run(
        [str(LIGHTHOUSE), url, *headers, "--quiet", "--output=json", "--output-path=stdout", "--form-factor=mobile",
         "--only-categories=performance,accessibility", f"--chrome-flags={CHROME_FLAGS}", "--locale=ja"],
        env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(run.stdout)
    return {name: round(float(category["score"]) * 100) for name, category in report["categories"].items()}


def main() -> None:
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"lighthouse is not installed ({LIGHTHOUSE}); add it to admin devDependencies")
    with LocalSystem(port=0, seed=False, strict=False) as system:
        urls = build_funnel(system)
        print(f"funnel pages on the local system, Lighthouse mobile profile {load()}")
        for page_id, url in urls.items():
            scores = lighthouse(url)
            print(f"  /{page_id:<8} performance {scores['performance']:>3}  accessibility {scores['accessibility']:>3}"
                  f"  {load()}", flush=True)
        pages, cookie = build_course(system)
        print(f"member site pages (login: no session; course and lesson: logged in) {load()}")
        for name, url in pages.items():
            scores = lighthouse(url, None if name == "login" else cookie)
            print(f"  {name:<9} performance {scores['performance']:>3}  accessibility {scores['accessibility']:>3}"
                  f"  {load()}", flush=True)


if __name__ == "__main__":
    main()
