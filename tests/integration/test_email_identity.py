"""E-mail sender identities through the running local system (issue 16 part 3): an identity is added in settings
and SES is asked to verify it (PENDING, with the DKIM CNAMEs to add); a scenario From it is refused until SES says
verified; once verified (the local SES's stand-in for the DNS records), a friend enrolled with an e-mail address
receives a multipart e-mail From that identity with the 特定電子メール法 footer and List-Unsubscribe; another
workspace cannot send a broadcast From this workspace's identity; and first_available sends on LINE only."""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

WS, CH = "w_mailid", "1234500171"
SECRET, TOKEN = "5c3c0a1b2d4e5f60718293a4b5c6d7a9", "mail-identity-token-00000000000000000001"
WS2, CH2 = "w_mailid_other", "1234500172"
SECRET2, TOKEN2 = "5c3c0a1b2d4e5f60718293a4b5c6d7b0", "mail-identity-token-00000000000000000002"
USER = "U" + "6a" * 16
DOMAIN = "salon-identity.example.jp"
SENDER = f"news@{DOMAIN}"
FRIEND = "hanako.identity@example.com"
POSTAL = "東京都港区南青山1-2-3"


def raw_emails(system: Any, to: str) -> list[Any]:
    with urllib.request.urlopen(f"{system.moto_endpoint}/moto-api/data.json", timeout=10) as response:
        data = json.loads(response.read())
    raws = (data.get("ses") or {}).get("RawMessage") or []
    messages = [email.message_from_bytes(str(r["raw_data"]).encode(), policy=email.policy.default) for r in raws]
    return [m for m in messages if m["To"] == to]


def test_identity_verification_gates_sending_the_email_carries_the_footer_and_first_available(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)
    assert json_request("PATCH", f"{api}/api/workspace", {"postal_address": POSTAL}, auth)[0] == 200

    # added in settings: SES is asked, the identity is PENDING and the DNS records are shown
    status, identity = json_request("POST", f"{api}/api/senders", {
        "from_name": "サロン青山", "from_address": SENDER, "reply_to": f"info@{DOMAIN}", "kind": "domain"}, auth)
    assert status == 201, identity
    assert identity["verified"] is False and identity["status"] == "PENDING" and identity["default"] is True
    cnames = [r for r in identity["dns_records"] if r["type"] == "CNAME"]
    assert len(cnames) == 3 and all(r["name"].endswith(f"._domainkey.{DOMAIN}") for r in cnames)
    assert any(r["purpose"] == "DMARC" for r in identity["dns_records"])

    # the local SES, like SES, refuses mail From an identity that is not verified yet
    with pytest.raises(ClientError) as rejected:
        system.client("ses").send_email(Source=SENDER, Destination={"ToAddresses": [FRIEND]}, Message={
            "Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}})
    assert rejected.value.response["Error"]["Code"] == "MessageRejected"

    # a scenario From an unverified identity is refused, naming the field
    mail = {"subject": "ようこそ {{ name }} さん", "html": "<p>ご登録ありがとうございます、{{ name }} さん</p>"}
    body = {"name": "welcome-mail", "email_from": SENDER, "channel_mode": "first_available",
            "steps": [{"id": "m1", "email": mail}]}
    status, refused = json_request("POST", f"{api}/api/scenarios", body, auth)
    assert status == 422 and refused["where"] == "email_from" and "認証されていません" in refused["message"], refused

    # the DNS records are in place (local SES: /_dev/ses/verify): verified, and the scenario saves
    status, verified = json_request("POST", f"{api}/_dev/ses/verify", {"identity": DOMAIN})
    assert status == 200, verified
    status, listed = json_request("GET", f"{api}/api/senders?refresh=1", headers=auth)
    assert status == 200 and listed["items"][0]["verified"] is True and listed["items"][0]["status_label"] == "認証済み"
    status, scenario = json_request("POST", f"{api}/api/scenarios", body, auth)
    assert status in (200, 201), scenario

    # a friend with an e-mail address is enrolled: the local SES receives one multipart e-mail From the identity
    assert system.line_emulator.follow(CH, USER) == 200
    system.drain()
    status, friends = json_request("GET", f"{api}/api/subscribers", headers=auth)
    sub = friends["items"][0]["subscriber_id"]
    assert json_request("PATCH", f"{api}/api/subscribers/{sub}", {"email": FRIEND}, auth)[0] == 200
    status, _ = json_request("POST", f"{api}/api/scenarios/{scenario['id']}/enrollments", {"subscriber_id": sub}, auth)
    assert status == 200
    system.advance(timedelta(minutes=1))
    system.drain()
    [message] = raw_emails(system, FRIEND)
    assert message["From"].addresses[0].addr_spec == SENDER and message["From"].addresses[0].display_name == "サロン青山"
    assert message["Reply-To"] == f"info@{DOMAIN}"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    unsubscribe = str(message["List-Unsubscribe"]).strip("<>")
    assert "/u/" in unsubscribe and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for part in (text, html):
        assert POSTAL in part and unsubscribe in part
    assert text.startswith("ご登録ありがとうございます")  # the text part made from the HTML

    # another workspace cannot send a broadcast From this workspace's identity (nor claim its domain)
    auth2, _ = connect_workspace(system, WS2, CH2, SECRET2, TOKEN2)
    status, refused = json_request("POST", f"{api}/api/broadcasts", {
        "name": "なりすまし", "channel": "email", "everyone": True,
        "content": {"email": {"subject": "セール", "text": "本文", "from": SENDER}}}, auth2)
    assert status == 422 and refused["where"] == "content.email.from", refused
    status, refused = json_request("POST", f"{api}/api/senders", {"from_address": f"sale@{DOMAIN}"}, auth2)
    assert status == 409 and refused["where"] == "from_address", refused
    status, refused = json_request("POST", f"{api}/api/senders", {"from_address": f"sale@{DOMAIN}",
                                                                  "kind": "address"}, auth2)
    assert status == 422 and refused["where"] == "from_address", refused

    # first_available (the scenario's channel control): the friend has LINE, so LINE only, no e-mail as well
    status, fallback = json_request("POST", f"{api}/api/scenarios", {
        "name": "fallback", "channel_mode": "first_available", "steps": [{
            "id": "s1", "line": [{"type": "text", "text": "LINEでお知らせ"}],
            "email": {"subject": "メールでお知らせ", "text": "本文"}}]}, auth)
    assert status in (200, 201), fallback
    before = len(raw_emails(system, FRIEND))
    status, _ = json_request("POST", f"{api}/api/scenarios/{fallback['id']}/enrollments", {"subscriber_id": sub}, auth)
    assert status == 200
    system.advance(timedelta(minutes=1))
    system.drain()
    texts = [str((d.get("message") or {}).get("text")) for d in system.line_emulator.received(USER, CH)]
    assert "LINEでお知らせ" in texts
    assert len(raw_emails(system, FRIEND)) == before
