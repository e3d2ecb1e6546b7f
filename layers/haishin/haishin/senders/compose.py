"""Every marketing e-mail and SMS is put together here, once, at send time (steps and broadcasts alike):

E-mail (特定電子メール法: the sender's name, postal address and a working opt-out in every marketing e-mail):
- From / Reply-To from a verified sender identity (``SenderService.for_send``);
- HTML and text parts (multipart/alternative): the text part is the marketer's, else made from the HTML;
- the footer (sender name, postal address, contact address, 配信停止 link) appended to both parts, rendered by THE
  renderer (``haishin.render``) with autoescape for HTML, so a workspace name like ``A&B <shop>`` stays text;
- List-Unsubscribe + List-Unsubscribe-Post (RFC 8058) headers.
No postal address in the settings: the message fails with a clear Japanese error instead of going out without it.

SMS (also 特定電子メール in Japan): the sender's name and the opt-out method (the /u/ link) appended, e.g.
``【サロン花子】配信停止はこちら https://…/u/…``; the SNS sender ID where the destination supports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from haishin.errors import ValidationFailed
from haishin.render import Renderer
from haishin.senders.identity import WorkspaceIdentity
from haishin.senders.service import Sender

DEFAULT_SMS_OPTOUT_TEXT = "配信停止はこちら"

FOOTER_TEXT = """

--
{{ sender_name }}
住所: {{ postal_address }}
お問い合わせ: {{ contact }}
このメールは配信を希望された方にお送りしています。
配信停止: {{ unsubscribe_url }}
"""

FOOTER_HTML = """
<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px">
<div style="font-size:12px;color:#666;line-height:1.6">
<div>{{ sender_name }}</div>
<div>住所: {{ postal_address }}</div>
<div>お問い合わせ: <a href="mailto:{{ contact }}">{{ contact }}</a></div>
<div>このメールは配信を希望された方にお送りしています。</div>
<div><a href="{{ unsubscribe_url }}">配信停止はこちら</a></div>
</div>
"""


class FooterMissing(ValidationFailed):
    code = "postal_address_required"


@dataclass
class ComposedEmail:
    source: str
    reply_to: str | None
    subject: str
    html: str | None
    text: str
    headers: dict[str, str] = field(default_factory=dict)


def require_postal_address(workspace: WorkspaceIdentity) -> str:
    if not (workspace.postal_address or "").strip():
        raise FooterMissing("特定電子メール法により、送信者の住所を設定 (設定 → ワークスペース → 住所) に登録するまで"
                            "マーケティングメールは送れません", where="postal_address")
    return str(workspace.postal_address).strip()


def compose_email(renderer: Renderer, *, sender: Sender, workspace: WorkspaceIdentity, subject: str,
                  html: str | None, text: str | None, unsubscribe_url: str, headers: dict[str, str]) -> ComposedEmail:
    address = require_postal_address(workspace)
    values = {"sender_name": workspace.name or sender.from_name, "postal_address": address,
              "contact": sender.reply_to or sender.from_address, "unsubscribe_url": unsubscribe_url}
    body_text = text if text else (text_from_html(html) if html else "")
    body_text = body_text.rstrip() + renderer.text(FOOTER_TEXT, values, where="footer.text")
    body_html = None
    if html:
        footer = renderer.text(FOOTER_HTML, values, where="footer.html", html=True)
        closing = re.search(r"</body\s*>", html, flags=re.IGNORECASE)
        body_html = html[:closing.start()] + footer + html[closing.start():] if closing else html + footer
    all_headers = dict(headers)
    if sender.reply_to:
        all_headers["Reply-To"] = sender.reply_to
    return ComposedEmail(source=sender.source, reply_to=sender.reply_to, subject=subject, html=body_html,
                         text=body_text, headers=all_headers)


def compose_sms(text: str, *, workspace: WorkspaceIdentity, unsubscribe_url: str) -> str:
    optout = (workspace.sms_optout_text or DEFAULT_SMS_OPTOUT_TEXT).strip()
    return f"{text.rstrip()}\n【{workspace.name}】{optout} {unsubscribe_url}"


# ---------------------------------------------------------------------------------------------- HTML -> text
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "blockquote",
          "section", "article", "header", "footer"}
_SKIP = {"style", "script", "head", "title", "template"}


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("・")
        if tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "a" and self._links:
            href = self._links.pop()
            if href and href.startswith(("http://", "https://")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def text_from_html(html: str) -> str:
    """A readable text part from the marketer's HTML: blocks become lines, links keep their URL, styles and scripts
    go. (Not a renderer: the HTML was already rendered and escaped by ``haishin.render``.)"""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
