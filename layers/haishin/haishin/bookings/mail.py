"""The booking confirmation by e-mail, for a friend with an address: the existing SES sender
(``haishin.delivery.email_sms``), From the workspace's default sender identity while SES has it verified
(``SenderService.for_send``: never from an address the workspace does not own), at most once per key through THE
run-once mechanism (SES has no idempotency key, so a retry of the booking's follow-up sends nothing twice).

A confirmation is a transactional message, not advertising (特定電子メール法 covers advertising), so it carries no
配信停止 footer; its text names the shop and the booking."""

from __future__ import annotations

from typing import Any

from haishin.delivery.email_sms import EmailSender
from haishin.storage.once import Once


class BookingMail:
    def __init__(self, email: EmailSender, senders: Any, once: Once) -> None:
        self._email = email
        self._senders = senders  # haishin.senders.service.SenderService
        self._once = once

    def send(self, workspace_id: str, *, to: str, subject: str, text: str, key: str) -> bool:
        """True when it went out now; False when ``key`` was sent before. SenderRefused (no verified default
        sender) and SES errors propagate: the caller logs them, the booking stands."""
        sender = self._senders.for_send(workspace_id, None)
        headers = {"Reply-To": sender.reply_to} if sender.reply_to else None

        def send() -> None:
            self._email.send(source=sender.source, to=to, subject=subject, html=None, text=text, headers=headers)

        return self._once.run_once(key, send)


__all__ = ["BookingMail"]
