"""Every signature or token comparison refuses non-ASCII input as invalid (400/401/403), never a 500.

``hmac.compare_digest`` raises TypeError on a non-ASCII str, and ``str.isdigit`` accepts digits ``int`` cannot
read ("²"): both reached the public endpoints from a header or URL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from haishin.forms import tokens
from haishin.forms.inputs import FormDefinition
from haishin.ingest.webhook import ChannelRef, WebhookService
from haishin.line.signature import sign
from haishin.links.service import LinkDefinition
from haishin.payments.keys import StripeKeys
from haishin.payments.signature import SignatureError, sign_header, verify
from haishin.secrets import InMemorySecretStore
from haishin.wiring import Services

WS = "w_ascii"
WHSEC = "whsec_ascii_test"
NON_ASCII = ["ｘ", "é", "署名", "\u00b2"]


def _token_variants(good: str) -> list[str]:
    sub, exp, mac = good.split(".")
    return [f"{sub}.{exp}.{mac[:-1]}ｘ", f"{sub}.{exp}.署名", f"{sub}.\u00b2.{mac}", f"{sub}.{exp}\u00b2.{mac}",
            f"{sub}.１２３.{mac}", "ｘ.ｙ.ｚ"]


def test_link_signer_refuses_non_ascii_tokens(aws: Any, manual_clock: Any) -> None:
    signer = tokens.LinkSigner(InMemorySecretStore())
    good = signer.mint(tokens.FORM, WS, "s_1", "f_1")
    assert signer.verify(tokens.FORM, WS, "f_1", good).subscriber_id == "s_1"
    for bad in _token_variants(good):
        with pytest.raises(tokens.TokenInvalid):
            signer.verify(tokens.FORM, WS, "f_1", bad)


@pytest.mark.parametrize("text", NON_ASCII)
def test_stripe_signature_with_non_ascii_is_a_signature_error(manual_clock: Any, text: str) -> None:
    payload = b'{"id":"evt_1","type":"invoice.paid","data":{"object":{}}}'
    header = sign_header(WHSEC, payload)
    for bad in (header[:-1] + text, f"t={text},v1=abc", header + f",v1={text}"):
        with pytest.raises(SignatureError):
            verify(payload, bad, [WHSEC])


def test_stripe_webhook_answers_400_to_a_non_ascii_signature(aws: Any, manual_clock: Any) -> None:
    secrets = InMemorySecretStore()
    StripeKeys(secrets).put(WS, "test", secret_key="sk_test_1", webhook_secrets=[WHSEC])
    service = Services(secrets=secrets).payments
    body = json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}}).encode()
    header = sign_header(WHSEC, body)
    status, _ = service.handle_webhook(WS, body, header[:-2] + "ｘｙ")
    assert status == 400
    assert service.handle_webhook(WS, body, header)[0] == 200


def test_forms_and_links_refuse_non_ascii_tokens_with_a_page(aws: Any, manual_clock: Any) -> None:
    root = Services(secrets=InMemorySecretStore())
    collab, forms, links = root.collaborators, root.forms, root.links
    friend = collab.subscribers.new(WS, source="api")
    collab.subscribers.create(friend, [])
    form_id = forms.create(WS, FormDefinition.model_validate({
        "name": "n", "title": "t", "fields": [{"key": "name", "label": "お名前", "type": "text"}]})).form_id
    good = forms.mint_link(WS, form_id, friend.subscriber_id)["token"]
    link = links.create(WS, LinkDefinition(name="l", target_url="https://shop.example.jp/"))  # type: ignore[arg-type]
    link_token = links.mint(WS, link.link_id, friend.subscriber_id)["token"]
    pages = root.pages
    for bad in _token_variants(good):
        assert forms.open(form_id, bad).outcome == "token_invalid"
        data = {"name": ["x"], "_nonce": ["n-1"], "website": [""]}
        assert forms.submit(form_id, data, token=bad).outcome == "token_invalid"
        page = pages.handle({"rawPath": f"/f/{form_id}", "queryStringParameters": {"t": bad},
                             "requestContext": {"http": {"method": "GET"}}})
        assert page["statusCode"] == 403
    link_id, _, bound = link_token.partition(".")
    for bad in _token_variants(bound):
        assert links.click(f"{link_id}.{bad}").outcome == "token_invalid"
        page = pages.handle({"rawPath": f"/c/{link_id}.{bad}", "requestContext": {"http": {"method": "GET"}}})
        assert page["statusCode"] == 403 and "location" not in page["headers"]


class OneChannel:
    def get(self, channel_id: str) -> ChannelRef | None:
        return ChannelRef("1234567890", WS, "s") if channel_id == "1234567890" else None


class Secret:
    def channel_secret(self, secret_name: str, *, fresh: bool = False) -> str | None:
        return "a" * 32


class Sink:
    def send(self, body: str) -> None:  # pragma: no cover - nothing is enqueued here
        raise AssertionError(body)


@pytest.mark.parametrize("text", NON_ASCII)
def test_line_webhook_non_ascii_signature_or_channel_is_refused(text: str) -> None:
    service = WebhookService(OneChannel(), Secret(), Sink(), max_body_bytes=1024)
    body = '{"events":[]}'
    good = sign("a" * 32, body.encode())
    event = {"pathParameters": {"channel_id": "1234567890"}, "headers": {"x-line-signature": good[:-1] + text},
             "body": body}
    assert service.handle(event)["statusCode"] == 401
    event = {"pathParameters": {"channel_id": "123456789" + text}, "headers": {"x-line-signature": good},
             "body": body}
    assert service.handle(event)["statusCode"] == 404
