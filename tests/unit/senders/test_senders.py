"""Sender identities (issue 16 part 3): From only a verified identity of the workspace, chosen per scenario or the
workspace default, never a hard-coded sender; refused at save and again at send time; one workspace cannot use
another's domain; every marketing e-mail carries the 特定電子メール法 footer, a text part and List-Unsubscribe; SMS
carry the sender's name, the opt-out link and the sender ID."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from haishin.api.app import AdminApi
from haishin.broadcasts.service import BroadcastInput
from haishin.delivery.email_sms import SesEmailSender, SnsSmsSender
from haishin.delivery.messages import step_delivery_id
from haishin.errors import Conflict, ValidationFailed
from haishin.render import Renderer
from haishin.scenarios.enrollments import enrollment_pk
from haishin.senders.compose import compose_email, compose_sms, text_from_html
from haishin.senders.identity import WorkspaceIdentity
from haishin.senders.repository import SenderRepository
from haishin.senders.service import Sender, SenderRefused, SenderService, dns_records
from haishin.senders.ses import IdentityState, SesIdentities
from haishin.wiring import install
from haishin.workspaces.models import WorkspaceModel, workspace_pk
from haishin.workspaces.service import WorkspaceService
from tests.support.admin_api import call_admin_api
from tests.unit.broadcasts.harness import BroadcastWorld
from tests.unit.scenarios.step_harness import POSTAL_ADDRESS, FakeSesIdentities, StepWorld, sender_of

MAIL = {"subject": "ようこそ {{ name }}",
        "html": "<p>こんにちは {{ name }} さん</p><p><a href='https://shop.example.jp/'>お店</a></p>"}


def _step_world(aws: Any) -> tuple[StepWorld, str]:
    world = StepWorld()
    return world, world.workspace()


def _send_step(world: StepWorld, ws: str, scenario: dict[str, Any], *, email: str = "hanako@example.com",
               name: str = "Hanako") -> str:
    saved = world.scenario(ws, scenario)
    sub = world.friend(ws, "U1", email=email, name=name)
    world.enroll(ws, sub, saved)
    world.tick()
    world.drain()
    return sub


# ---------------------------------------------------------------------------------------------- send time
def test_a_step_email_is_sent_from_the_scenarios_email_from(aws: Any, manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    world.services.senders.create(ws, {"from_name": "花子サロン", "from_address": "news@salon.example.jp",
                                       "reply_to": "info@salon.example.jp"})
    _send_step(world, ws, {"name": "m", "email_from": "news@salon.example.jp", "steps": [{"id": "m1", "email": MAIL}]})
    [sent] = world.email.sent
    assert sent["source"] == "花子サロン <news@salon.example.jp>"
    assert sent["headers"]["Reply-To"] == "info@salon.example.jp"
    assert "no-reply@example.com" not in str(sent)


def test_a_step_email_without_email_from_uses_the_workspace_default(aws: Any, manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    _send_step(world, ws, {"name": "m", "steps": [{"id": "m1", "email": MAIL}]})
    [sent] = world.email.sent
    assert sent["source"] == f"Salon <{sender_of(ws)}>"


def test_the_footer_text_part_and_unsubscribe_header_are_on_every_marketing_email(aws: Any,
                                                                                   manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    WorkspaceService().patch(ws, {"legal_name": "株式会社A&B <サロン>"})
    _send_step(world, ws, {"name": "m", "steps": [{"id": "m1", "email": MAIL}]}, name="<b>Hanako</b>")
    [sent] = world.email.sent
    url = sent["headers"]["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://localhost/u/")
    assert sent["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # HTML: variables escaped by the one renderer, and the footer (name escaped too) with the postal address
    assert "&lt;b&gt;Hanako&lt;/b&gt;" in sent["html"] and "<b>Hanako" not in sent["html"]
    assert "株式会社A&amp;B &lt;サロン&gt;" in sent["html"] and POSTAL_ADDRESS in sent["html"]
    assert f'href="{url}"' in sent["html"]
    # text part made from the HTML (the marketer gave none), with the same footer in plain text
    text = sent["text"]
    assert text.startswith("こんにちは <b>Hanako</b> さん\n")
    assert "お店 (https://shop.example.jp/)" in text
    assert "株式会社A&B <サロン>" in text and f"住所: {POSTAL_ADDRESS}" in text and f"配信停止: {url}" in text


def test_without_a_postal_address_the_email_fails_visibly_in_japanese(aws: Any, manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    WorkspaceService().patch(ws, {"postal_address": ""})
    sub = _send_step(world, ws, {"name": "m", "steps": [{"id": "m1", "email": MAIL}]})
    assert world.email.sent == []
    scenario_id = world.services.scenarios.list(ws)[0].id
    row = world.services.ledger.get(step_delivery_id(enrollment_pk(ws, sub), scenario_id, 1, "m1", "email"))
    assert row is not None and row.status == "failed" and "住所" in str(row.error)


def test_a_removed_identity_fails_the_message_instead_of_sending_as_someone_else(aws: Any,
                                                                                 manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    made = world.services.senders.create(ws, {"from_address": "news@salon.example.jp"})
    saved = world.scenario(ws, {"name": "m", "email_from": "news@salon.example.jp",
                                "steps": [{"id": "m1", "email": MAIL}]})
    world.services.senders.delete(ws, made["identity_id"])
    sub = world.friend(ws, "U1", email="hanako@example.com")
    world.enroll(ws, sub, saved)
    world.tick()
    world.drain()
    assert world.email.sent == []
    row = world.services.ledger.get(step_delivery_id(enrollment_pk(ws, sub), saved.id, 1, "m1", "email"))
    assert row is not None and row.status == "failed" and "news@salon.example.jp" in str(row.error)


def test_an_identity_that_lost_its_verification_is_not_sent_from(aws: Any, manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    world.ses.verify(sender_of(ws), verified=False)
    world.services.senders._cache.clear()
    _send_step(world, ws, {"name": "m", "steps": [{"id": "m1", "email": MAIL}]})
    assert world.email.sent == []


# ---------------------------------------------------------------------------------------------- save time
def test_a_scenario_with_an_unverified_or_foreign_email_from_is_refused_at_save(aws: Any, manual_clock: Any
                                                                               ) -> None:
    world = StepWorld()
    ses = world.ses
    ses.auto_verify = False
    previous = install(world.services)
    try:
        world.workspace("ws_a")
        world.workspace("ws_b")
        ses.verify(sender_of("ws_a"))
        world.services.senders.create("ws_b", {"from_address": "news@b-shop.example.jp"})
        api = AdminApi()
        steps = [{"id": "m1", "email": {"subject": "s", "text": "t"}}]
        status, body = call_admin_api(api, "POST", "/api/scenarios", workspace="ws_b",
                                      body={"name": "m", "email_from": "news@b-shop.example.jp", "steps": steps})
        assert status == 422 and body["where"] == "email_from" and "認証されていません" in body["message"]
        status, body = call_admin_api(api, "POST", "/api/scenarios", workspace="ws_b",
                                      body={"name": "m", "email_from": sender_of("ws_a"), "steps": steps})
        assert status == 422 and body["where"] == "email_from" and "送信者ではありません" in body["message"]
        ses.verify("b-shop.example.jp")
        world.services.senders._cache.clear()
        status, body = call_admin_api(api, "POST", "/api/scenarios", workspace="ws_b",
                                      body={"name": "m", "email_from": "news@b-shop.example.jp", "steps": steps})
        assert status in (200, 201), body
    finally:
        install(previous)


def test_a_broadcast_from_another_workspaces_identity_is_refused(aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    world.workspace("ws_a")
    world.workspace("ws_b")
    content = {"email": {"subject": "セール", "text": "本文", "from": sender_of("ws_a")}}
    with pytest.raises(SenderRefused) as refused:
        world.service.create("ws_b", BroadcastInput(name="x", channel="email", content=content, everyone=True))
    assert refused.value.where == "content.email.from"
    made = world.service.create("ws_b", BroadcastInput(name="x", channel="email", everyone=True, content={
        "email": {"subject": "セール", "text": "本文", "from": sender_of("ws_b")}}))
    assert made.channel == "email"


def test_an_email_broadcast_is_sent_from_its_identity_with_footer(aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    ws = world.workspace("ws_a")
    world.friends(ws, 2, email="x@example.com")
    made = world.service.create(ws, BroadcastInput(name="x", channel="email", everyone=True, content={
        "email": {"subject": "セール", "html": "<p>本日限り</p>", "from": sender_of(ws)}}))
    world.service.send_now(ws, made.broadcast_id)
    world.plan()
    world.drain()
    assert len(world.email.sent) == 2
    for sent in world.email.sent:
        assert sent["source"] == f"Salon <{sender_of(ws)}>"
        assert POSTAL_ADDRESS in sent["html"] and POSTAL_ADDRESS in sent["text"]
        assert sent["headers"]["List-Unsubscribe"].startswith("<https://localhost/u/")


def test_an_email_broadcast_needs_the_postal_address_before_it_is_sent(aws: Any, manual_clock: Any) -> None:
    world = BroadcastWorld()
    ws = world.workspace("ws_a")
    made = world.service.create(ws, BroadcastInput(name="x", channel="email", everyone=True, content={
        "email": {"subject": "セール", "text": "本日限り"}}))
    WorkspaceService().patch(ws, {"postal_address": None})
    world.services.senders._cache.clear()
    with pytest.raises(ValidationFailed) as missing:
        world.service.send_now(ws, made.broadcast_id)
    assert missing.value.where == "postal_address" and "特定電子メール法" in missing.value.message


# ---------------------------------------------------------------------------------------------- identities
def test_one_workspace_cannot_take_another_workspaces_domain(aws: Any, manual_clock: Any) -> None:
    service = SenderService(SenderRepository(), FakeSesIdentities())
    service.create("ws_a", {"from_address": "info@a-shop.example.jp", "kind": "domain"})
    with pytest.raises(Conflict):
        service.create("ws_b", {"from_address": "sale@a-shop.example.jp", "kind": "domain"})
    with pytest.raises(ValidationFailed) as refused:
        service.create("ws_b", {"from_address": "sale@a-shop.example.jp", "kind": "address"})
    assert refused.value.where == "from_address"
    # the same workspace may add more addresses of its own domain
    service.create("ws_a", {"from_address": "news@a-shop.example.jp", "kind": "domain"})
    with pytest.raises(SenderRefused):
        service.require_verified("ws_b", "info@a-shop.example.jp", where="email_from")


def test_removing_the_last_identity_of_a_domain_deletes_it_in_ses_and_frees_it(aws: Any, manual_clock: Any) -> None:
    ses = FakeSesIdentities()
    service = SenderService(SenderRepository(), ses)
    first = service.create("ws_a", {"from_address": "info@a-shop.example.jp"})
    second = service.create("ws_a", {"from_address": "news@a-shop.example.jp"})
    assert first["default"] and not second["default"]
    service.delete("ws_a", first["identity_id"])
    assert "delete a-shop.example.jp" not in ses.calls
    service.delete("ws_a", second["identity_id"])
    assert "delete a-shop.example.jp" in ses.calls
    service.create("ws_b", {"from_address": "info@a-shop.example.jp"})  # free again


def test_the_settings_view_shows_the_state_and_the_dns_records(aws: Any, manual_clock: Any) -> None:
    ses = FakeSesIdentities(auto_verify=False)
    service = SenderService(SenderRepository(), ses)
    made = service.create("ws_a", {"from_name": "A", "from_address": "info@a-shop.example.jp"})
    assert made["verified"] is False and made["status_label"] == "認証待ち"
    cnames = [r for r in made["dns_records"] if r["type"] == "CNAME"]
    assert len(cnames) == 3 and all(r["name"].endswith("._domainkey.a-shop.example.jp") for r in cnames)
    assert all(r["value"].endswith(".dkim.amazonses.com") for r in cnames)
    assert {r["purpose"] for r in made["dns_records"]} == {"DKIM", "DMARC", "SPF"}
    ses.verify("a-shop.example.jp")
    assert service.list("ws_a")["items"][0]["verified"] is False  # cached briefly
    assert service.list("ws_a", fresh=True)["items"][0]["verified"] is True
    address = service.create("ws_a", {"from_address": "me@gmail.example.com", "kind": "address"})
    assert address["dns_records"] == []


def test_dns_records_for_an_address_are_none_and_for_a_domain_follow_the_tokens() -> None:
    state = IdentityState(exists=True, verified=False, status="PENDING", dkim_tokens=["t1", "t2", "t3"])
    records = dns_records(state, "domain", "shop.example.jp")
    assert records[0] == {**records[0], "name": "t1._domainkey.shop.example.jp", "value": "t1.dkim.amazonses.com"}
    assert dns_records(state, "address", "a@shop.example.jp") == []


def test_ses_identities_against_ses_v2(aws: Any) -> None:
    ses = SesIdentities(aws.client("sesv2"))
    ses.create("shop.example.jp", domain=True, tags={"haishin:workspace": "ws_a"})
    ses.create("shop.example.jp", domain=True, tags={"haishin:workspace": "ws_a"})  # asked twice: fine
    state = ses.get("shop.example.jp")
    assert state.exists
    ses.delete("shop.example.jp")
    assert ses.get("shop.example.jp").exists is False
    ses.delete("shop.example.jp")  # already gone: fine


@pytest.mark.parametrize("body,where", [({"from_address": "not an address"}, "from_address"),
                                        ({"from_address": "a@b.example.jp", "reply_to": "x"}, "reply_to"),
                                        ({"from_address": "a@b.example.jp", "kind": "dns"}, "kind"),
                                        ({"from_address": "a@b.example.jp", "from_name": "A\r\nBcc: x"},
                                         "from_name"),
                                        ({"from_address": "a@b.example.jp", "extra": 1}, "extra")])
def test_bad_identities_are_refused_naming_the_field(aws: Any, body: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        SenderService(SenderRepository(), FakeSesIdentities()).create("ws_a", body)
    assert refused.value.where == where


# ---------------------------------------------------------------------------------------------- composition
def test_a_raw_email_is_multipart_alternative_with_the_footer(aws: Any) -> None:
    ses = aws.client("ses")
    ses.verify_email_identity(EmailAddress="news@shop.example.jp")
    composed = compose_email(Renderer(), sender=Sender("snd_1", "ショップ", "news@shop.example.jp", "info@shop.example.jp"),
                             workspace=WorkspaceIdentity("ショップ", "大阪府大阪市1-1"), subject="件名",
                             html="<html><body><p>本文</p></body></html>", text=None,
                             unsubscribe_url="https://localhost/u/x", headers={"List-Unsubscribe": "<https://localhost/u/x>"})
    SesEmailSender(ses).send(source=composed.source, to="a@example.com", subject=composed.subject,
                             html=composed.html, text=composed.text, headers=composed.headers)
    backend = get_backend("ses")[DEFAULT_ACCOUNT_ID]["us-east-1"]
    message: Any = email.message_from_bytes(backend.sent_messages[-1].raw_data.encode(),
                                                    policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]
    html = message.get_payload()[1].get_content()
    assert html.index("大阪府大阪市1-1") < html.index("</body>")
    assert message["Reply-To"] == "info@shop.example.jp"


def test_text_from_html_keeps_lines_and_links_and_drops_styles() -> None:
    html = "<style>p{color:red}</style><h1>お知らせ</h1><p>1行目<br>2行目</p><ul><li>A</li><li>B</li></ul>" \
           "<a href='https://x.example/'>詳しく</a><script>alert(1)</script>"
    assert text_from_html(html) == "お知らせ\n\n1行目\n2行目\n\n・A\n\n・B\n\n詳しく (https://x.example/)"


def test_an_sms_carries_the_sender_name_and_the_opt_out_link() -> None:
    workspace = WorkspaceIdentity("サロン花子", "東京都", sms_sender_id="SALON", sms_optout_text="停止はこちら")
    assert compose_sms("ご予約の前日です", workspace=workspace, unsubscribe_url="https://x/u/t") == \
        "ご予約の前日です\n【サロン花子】停止はこちら https://x/u/t"
    default = compose_sms("本文", workspace=WorkspaceIdentity("店", None), unsubscribe_url="https://x/u/t")
    assert default.endswith("【店】配信停止はこちら https://x/u/t")


def test_an_sms_step_goes_out_with_the_sender_id_and_the_opt_out_text(aws: Any, manual_clock: Any) -> None:
    world, ws = _step_world(aws)
    WorkspaceService().patch(ws, {"sms_sender_id": "SALON"})
    saved = world.scenario(ws, {"name": "s", "steps": [{"id": "s1", "sms": {"text": "明日ご予約です"}}]})
    sub = world.friend(ws, "U1", phone="09012345678")
    world.enroll(ws, sub, saved)
    world.tick()
    world.drain()
    [sent] = world.sms.sent
    assert sent["to"] == "+819012345678" and sent["sender_id"] == "SALON"
    assert sent["text"].startswith("明日ご予約です\n【Salon】配信停止はこちら https://localhost/u/")


def test_sns_gets_the_sender_id_attribute(aws: Any) -> None:
    class Sns:
        def publish(self, **kwargs: Any) -> dict[str, Any]:
            self.kwargs = kwargs
            return {"MessageId": "m"}

    sns = Sns()
    SnsSmsSender(sns).send(phone="+819012345678", text="t", sender_id="SALON")
    assert sns.kwargs["MessageAttributes"]["AWS.SNS.SMS.SenderID"] == {"DataType": "String", "StringValue": "SALON"}
    SnsSmsSender(sns).send(phone="+819012345678", text="t")
    assert "AWS.SNS.SMS.SenderID" not in sns.kwargs["MessageAttributes"]


@pytest.mark.parametrize("value", ["12345", "TOO-LONG-SENDER", "with space", "日本語"])
def test_a_bad_sms_sender_id_is_refused(aws: Any, value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        WorkspaceService().patch("ws_a", {"sms_sender_id": value})
    assert refused.value.where == "sms_sender_id"


def test_workspace_settings_keep_the_sender_details(aws: Any, manual_clock: Any) -> None:
    WorkspaceService().patch("ws_a", {"name": "A", "postal_address": " 東京都 ", "legal_name": "株式会社A",
                                      "sms_sender_id": "ASHOP", "sms_optout_text": "停止"})
    view = WorkspaceService().patch("ws_a", {"quiet_hours_start": "21:00", "quiet_hours_end": "08:00"})
    assert (view["postal_address"], view["legal_name"], view["sms_sender_id"], view["sms_optout_text"]) == (
        "東京都", "株式会社A", "ASHOP", "停止")
    assert WorkspaceModel.get(workspace_pk("ws_a"), "workspace").postal_address == "東京都"


def test_the_composition_root_gives_the_worker_and_broadcasts_the_same_senders() -> None:
    from haishin.wiring import Services  # noqa: PLC0415

    root = Services(ses_identities=FakeSesIdentities())
    assert root.worker.senders is root.senders is root.broadcasts.senders
    assert root.senders.ses is root.ses_identities


def test_ses_unable_to_answer_at_send_time_retries_instead_of_failing(aws: Any, manual_clock: Any) -> None:
    from haishin.delivery.worker import RetryLater  # noqa: PLC0415
    from haishin.errors import ExternalServiceError  # noqa: PLC0415

    world, ws = _step_world(aws)
    world.services.senders._cache.clear()

    def unavailable(name: str) -> Any:
        raise ExternalServiceError("SES から認証状態を読めませんでした: ServiceUnavailable", where="sender")

    world.ses.get = unavailable  # type: ignore[method-assign]
    saved = world.scenario(ws, {"name": "m", "steps": [{"id": "m1", "email": MAIL}]})
    sub = world.friend(ws, "U1", email="hanako@example.com")
    world.enroll(ws, sub, saved)
    world.tick()
    [message] = world.waiting
    with pytest.raises(RetryLater):
        world.services.worker.process(message, budget_s=0.01)
    row = world.services.ledger.get(step_delivery_id(enrollment_pk(ws, sub), saved.id, 1, "m1", "email"))
    assert row is not None and row.status == "retrying" and world.email.sent == []


def test_ses_gets_a_japanese_display_name_as_an_encoded_word(aws: Any) -> None:
    class Ses:
        def send_raw_email(self, **kwargs: Any) -> dict[str, Any]:
            self.kwargs = kwargs
            return {"MessageId": "m"}

    ses = Ses()
    SesEmailSender(ses).send(source="サロン青山 <news@shop.example.jp>", to="a@example.com", subject="件名",
                             html=None, text="本文", headers={"List-Unsubscribe": "<https://x/u/t>"})
    assert ses.kwargs["Source"].isascii() and ses.kwargs["Source"].endswith(" <news@shop.example.jp>")
    message = email.message_from_bytes(ses.kwargs["RawMessage"]["Data"], policy=email.policy.default)
    assert str(message["From"]) == "サロン青山 <news@shop.example.jp>"
