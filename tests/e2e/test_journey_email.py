"""Journey: 設定 → メール・SMS 送信者: add a domain sender (pending, with its DKIM CNAMEs), enter the 特定電子メール法
details, see it verified once the DNS records are in (the local SES's /_dev/ses/verify), then write an HTML e-mail
broadcast: the From list offers the verified sender, and the preview is a sandboxed iframe (no scripts).

Runs against the real local system shared by the journeys of this process, in its own workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

WS = "ws_e2e_email"
OWNER = "owner@email.example.jp"
DOMAIN = "e2e-salon.example.jp"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    s.create_owner(WS, OWNER)
    yield s


def test_add_a_sender_see_it_verified_and_write_an_html_broadcast(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + "#/settings/senders")
    page.get_by_role("heading", name="メール・SMS 送信者", exact=True).wait_for()

    form = page.get_by_test_id("sender-add")
    form.locator("input[name=from_name]").fill("サロン E2E")
    form.locator("input[name=from_address]").fill(f"news@{DOMAIN}")
    page.get_by_test_id("sender-add-submit").click()
    card = page.get_by_test_id(f"sender-news@{DOMAIN}")
    card.wait_for()
    assert card.get_by_test_id("sender-status").inner_text() == "認証待ち"
    assert card.locator("[data-testid=sender-dns] tbody tr").count() == 5  # 3 DKIM CNAMEs + DMARC + SPF
    assert f"._domainkey.{DOMAIN}" in card.get_by_test_id("sender-dns").inner_text()

    law = page.get_by_test_id("law-form")
    law.locator("input[name=postal_address]").fill("東京都港区六本木1-1-1")
    law.locator("input[name=sms_sender_id]").fill("SALON")
    page.get_by_test_id("law-save").click()
    page.get_by_test_id("law-saved").wait_for()
    assert "東京都港区六本木1-1-1" in page.get_by_test_id("law-preview").inner_text()

    system.verify_ses_identity(DOMAIN)  # the DNS records are in place
    page.get_by_test_id("senders-refresh").click()
    card.get_by_test_id("sender-status").get_by_text("認証済み").wait_for()
    snap("senders")

    page.goto(admin + "#/broadcasts")
    page.get_by_test_id("broadcast-new").first.click()
    page.get_by_test_id("broadcast-composer").wait_for()
    page.locator("select[name=channel]").select_option("email")
    page.locator(f"select[name='content.email.from'] option[value='news@{DOMAIN}']").wait_for(state="attached")
    page.get_by_test_id("email-html").fill("<h1>{{ name }} さんへ</h1><script>document.title='x'</script>")
    frame = page.get_by_test_id("email-preview")
    frame.wait_for()
    assert frame.get_attribute("sandbox") == ""
    assert "山田 花子 さんへ" in page.frame_locator("[data-testid=email-preview]").locator("h1").inner_text()
    snap("composer")
    assert browser_errors == [] or all("Content Security Policy" in e or "sandbox" in e for e in browser_errors)
