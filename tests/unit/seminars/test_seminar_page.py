"""The friend's signed seminar page: sessions with seats left, register, the check-in QR, cancel; a forged link and
a registration after the deadline are refused in Japanese and change nothing."""

from __future__ import annotations

import urllib.parse
from datetime import datetime
from typing import Any

import pytest
from seminars_env import WS

from haishin.errors import ValidationFailed
from haishin.payments.products import ProductDefinition
from haishin.seminars.inputs import SeminarIn, SessionIn


def request(env: Any, method: str, path: str, token: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": f"t={token}",
        "queryStringParameters": {"t": token},
        "headers": {"host": "localhost", "content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"http": {"method": method, "path": path}, "stage": "$default", "domainName": "localhost"},
        "isBase64Encoded": False,
    }
    if form is not None:
        event["body"] = urllib.parse.urlencode(form)
    return env.root.pages.handle(event)


def test_register_show_qr_cancel(env: Any, friends: Any, manual_clock: Any) -> None:
    event = env.service.create(WS, SeminarIn(title="<b>集客</b>セミナー"))
    session = env.service.add_session(
        WS,
        event.event_id,
        SessionIn(
            starts_at=datetime(2026, 1, 10, 19),
            ends_at=datetime(2026, 1, 10, 21),
            deadline=datetime(2026, 1, 10, 12),
            venue="渋谷会議室",
            capacity=1,
        ),
    )
    (a,) = friends(1)
    url = env.service.friend_link(WS, event.event_id, a)
    path, token = urllib.parse.urlsplit(url).path, url.split("?t=")[1]
    shown = request(env, "GET", path, token)
    assert (
        shown["statusCode"] == 200
        and "残り 1 席" in shown["body"]
        and "2026年1月10日(土) 19:00〜21:00" in shown["body"]
    )
    assert "<b>集客</b>" not in shown["body"]  # escaped
    done = request(env, "POST", path, token, {"action": "register", "session_id": session.session_id})
    assert done["statusCode"] == 200 and "お申込みが完了しました" in done["body"]
    assert 'data-testid="sem-qr"' in done["body"] and "data:image/svg+xml;base64," in done["body"]
    again = request(env, "POST", path, token, {"action": "register", "session_id": session.session_id})
    assert again["statusCode"] == 409 and "すでに" in again["body"]
    forged = request(env, "GET", path, token[:-4] + "AAAA")
    assert forged["statusCode"] == 403 and "正しくありません" in forged["body"]
    gone = request(env, "POST", path, token, {"action": "cancel"})
    assert "キャンセルしました" in gone["body"]
    (s,) = env.service.sessions(WS, event.event_id)
    assert s.taken == 0
    manual_clock.set(datetime.fromisoformat("2026-01-10T04:00:00+00:00"))
    late = request(env, "POST", path, token, {"action": "register", "session_id": session.session_id})
    assert late["statusCode"] == 409 and "申込締切" in late["body"]
    (s,) = env.service.sessions(WS, event.event_id)
    assert s.taken == 0 and "受付終了" in late["body"]


def test_a_paid_seminar_names_its_product_and_the_page_links_the_payment(env: Any, friends: Any) -> None:
    with pytest.raises(ValidationFailed, match="決済商品") as info:
        env.service.create(WS, SeminarIn(title="有料", price={"kind": "product", "product_id": "prd_missing"}))
    assert info.value.where == "price"
    product = env.root.payments.create_product(WS, ProductDefinition(name="有料セミナー参加費", amount=3000))
    event = env.service.create(WS, SeminarIn(title="有料", price={"kind": "product", "product_id": product.product_id}))
    session = env.service.add_session(
        WS,
        event.event_id,
        SessionIn(starts_at=datetime(2026, 1, 10, 19), ends_at=datetime(2026, 1, 10, 21), venue="会場", capacity=3),
    )
    (a,) = friends(1)
    url = env.service.friend_link(WS, event.event_id, a)
    path, token = urllib.parse.urlsplit(url).path, url.split("?t=")[1]
    done = request(env, "POST", path, token, {"action": "register", "session_id": session.session_id})
    assert 'data-testid="sem-pay"' in done["body"] and f"/p/{product.product_id}" in done["body"]
