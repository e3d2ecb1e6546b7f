"""Every e-mail carries List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post: One-Click (RFC 8058) pointing at the
friend's signed /u/ URL, and the rendered {{ unsubscribe_url }} is that signed, absolute URL."""

from __future__ import annotations

import email
from typing import Any

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from haishin.delivery.email_sms import SesEmailSender, unsubscribe_headers
from tests.unit.scenarios.step_harness import StepWorld


def test_a_step_email_carries_one_click_headers_for_this_friend(aws: Any, manual_clock: Any) -> None:
    world = StepWorld()
    ws = world.workspace()
    world.scenario(ws, {"name": "mail", "triggers": [{"type": "friend_added"}], "steps": [
        {"id": "m1", "email": {"subject": "お知らせ", "html": "<a href='{{ unsubscribe_url }}'>停止</a>"}}]})
    sub = world.friend(ws, "U1", email="a@example.com")
    world.services.scenario_service.on_trigger(ws, sub, "friend_added", {}, "evt-1")
    world.tick()
    world.drain()
    sent = world.email.sent[0]
    url = sent["headers"]["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://localhost/u/") and f"href='{url}'" in sent["html"]
    assert sent["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = world.services.optout.verify(url.rsplit("/", 1)[1])
    assert (target.workspace_id, target.subscriber_id, target.channel) == (ws, sub, "email")


def test_ses_sender_sends_the_headers_in_a_raw_message(aws: Any) -> None:
    ses = aws.client("ses")
    ses.verify_email_identity(EmailAddress="shop@example.jp")
    url = "https://localhost/u/w_shop.email.s_01M95ZANYEZ6F6BS8D3MA619BC.2111930761." + "L" * 43  # a real length
    headers = unsubscribe_headers(url, mailto="unsubscribe@example.jp")
    SesEmailSender(ses).send(source="shop@example.jp", to="a@example.com", subject="お知らせ",
                             html="<p>こんにちは</p>", text="こんにちは", headers=headers)
    backend = get_backend("ses")[DEFAULT_ACCOUNT_ID]["us-east-1"]
    raw = [m for m in backend.sent_messages if hasattr(m, "raw_data")][-1].raw_data
    message = email.message_from_string(raw)
    unfolded = " ".join(str(message["List-Unsubscribe"]).split())  # long headers are folded (RFC 5322)
    assert unfolded == f"<{url}>, <mailto:unsubscribe@example.jp?subject=unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
