"""1:1 chat (個別チャット): a friend's conversation both ways, and an operator's push.

Sending is idempotent per client request: the ``Idempotency-Key`` header (or a generated one) becomes both the
LINE ``X-Line-Retry-Key`` (``retry_key("chat", workspace, subscriber, key)``) and a claim in IdempotencyTable, so a
retried request neither sends twice nor writes a second ``message_out``.

Opening the chat (its first page) marks the friend's messages read on LINE, once: the events consumer keeps the
newest message's ``markAsReadToken`` on ``line[channel]["read_token"]``; the first page marks with it and then
forgets it (only if no newer message replaced it meanwhile), so a second open sends nothing. A failure is logged
and never fails the page; a token LINE refused (4xx) is forgotten, one LINE could not take now (5xx, 429, timeout)
is kept for the next open.
"""

from __future__ import annotations

import logging
from typing import Any

from haishin import clock, ids
from haishin.errors import Conflict, ExternalServiceError, ValidationFailed
from haishin.line.client import MAX_MESSAGES_PER_SEND, LineApiError
from haishin.storage.once import EventInProgress
from haishin.subscribers.line_reach import choose_line_account, push_to_friend
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline, TimelineEntryModel

MAX_PAGE = 100
log = logging.getLogger("haishin.chat")


def chat_view(entry: TimelineEntryModel) -> dict[str, Any]:
    return {
        "id": entry.entry_id, "cursor": entry.sk, "kind": entry.kind,
        "direction": "in" if entry.kind == "message_in" else "out",
        "at": entry.at.isoformat(), "actor": entry.actor, "data": entry.data or {},
    }


class ChatService:
    def __init__(self, clients: Any, *, subscribers: SubscriberRepository, timeline: Timeline, ledger: Any) -> None:
        self.clients = clients
        self.subscribers = subscribers
        self.timeline = timeline
        self.ledger = ledger  # haishin.storage.once.EventLedger: an operator's reply is sent once

    def history(self, workspace_id: str, subscriber_id: str, *, cursor: str | None, limit: int,
                allowed_channel: str | None = None) -> dict[str, Any]:
        subscriber = self.subscribers.require(workspace_id, subscriber_id)  # another workspace's subscriber: 404
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(f"limit is 1 to {MAX_PAGE}", where="limit")
        entries, next_cursor = self.timeline.page(workspace_id, subscriber_id, limit=limit, cursor=cursor or None,
                                                  chat_only=True)
        if not cursor:  # the operator opened the chat (later pages are older messages)
            self._mark_read(workspace_id, subscriber, allowed_channel)
        return {"messages": [chat_view(e) for e in entries], "next_cursor": next_cursor}

    def _mark_read(self, workspace_id: str, subscriber: Any, allowed_channel: str | None) -> None:
        for channel_id, account in sorted((subscriber.line or {}).items()):
            token = (account or {}).get("read_token")
            if not token or (allowed_channel and channel_id != allowed_channel):
                continue
            try:
                self.clients.for_channel(workspace_id, channel_id).mark_as_read(str(token))
            except LineApiError as error:
                log.warning("marking the chat read failed on channel %s (HTTP %s): %s", channel_id, error.status,
                            error.message)
                if error.retryable:
                    continue  # kept: the next open tries again
            except Exception as exc:  # e.g. the channel's secret is gone: the page still opens
                log.warning("marking the chat read failed on channel %s (%s)", channel_id, type(exc).__name__)
                continue
            self._forget_read_token(workspace_id, subscriber.subscriber_id, channel_id, str(token))

    def _forget_read_token(self, workspace_id: str, subscriber_id: str, channel_id: str, token: str) -> None:
        def change(s: Any) -> None:
            account = dict((s.line or {}).get(channel_id) or {})
            if account.get("read_token") == token:  # a newer message's token stays for the next open
                account.pop("read_token", None)
                s.line = {**(s.line or {}), channel_id: account}

        try:
            self.subscribers.mutate(workspace_id, subscriber_id, change)
        except Exception as exc:  # marked on LINE already; at worst the next open marks again (harmless)
            log.warning("could not record the chat as read (%s)", type(exc).__name__)

    def send(self, workspace_id: str, subscriber_id: str, body: Any, *, operator_id: str,
             idempotency_key: str | None, allowed_channel: str | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object", where="body")
        subscriber = self.subscribers.require(workspace_id, subscriber_id)
        messages = body.get("messages")
        if messages is None:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                raise ValidationFailed("write a message (text) or send LINE message objects (messages)", where="text")
            if len(text) > 5000:
                raise ValidationFailed("a text message is at most 5000 characters", where="text")
            messages = [{"type": "text", "text": text}]
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES_PER_SEND:
            raise ValidationFailed(f"LINE sends 1 to {MAX_MESSAGES_PER_SEND} messages at once", where="messages")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or not message.get("type"):
                raise ValidationFailed("each message is a LINE message object with a type", where=f"messages.{index}")
        reach = choose_line_account(subscriber.line, body.get("channel_id") or allowed_channel)
        if reach is None:
            raise ValidationFailed("this friend is not reachable on that LINE channel", where="channel_id")
        channel_id = reach.channel_id
        if allowed_channel and channel_id != allowed_channel:
            raise ValidationFailed("this operator may only chat on their own channel", where="channel_id")
        if reach.blocked:
            raise Conflict("この友だちはアカウントをブロックしています。LINE は届けません", where="channel_id")
        key = (idempotency_key or "").strip()[:128] or ids.new_id("chat_")
        claim_key = f"chat#{workspace_id}#{subscriber_id}#{key}"
        try:
            if self.ledger.claim(claim_key) == "done":
                return {"status": "already_sent", "idempotency_key": key}
        except EventInProgress as exc:
            raise Conflict("このメッセージはいま送信中です", where="Idempotency-Key") from exc
        try:
            result = push_to_friend(self.clients, workspace_id, subscriber.line, messages, channel_id=channel_id,
                                    retry_key=ids.retry_key("chat", workspace_id, subscriber_id, key))
        except LineApiError as error:
            self.ledger.release(claim_key)
            if error.retryable:
                raise ExternalServiceError("LINE がいまメッセージを受け付けませんでした。もう一度お試しください",
                                           where="LINE API") from error
            raise ValidationFailed(f"LINE refused the message: {error.message}", where="messages") from error
        except BaseException:
            self.ledger.release(claim_key)
            raise
        entry = self.timeline.append(
            workspace_id, subscriber_id, "message_out",
            {"channel_id": channel_id, "messages": messages, "via": "push",
             "request_id": getattr(result, "request_id", None)},
            actor=f"operator:{operator_id}", at=clock.now(), entry_id=f"chat:{key}",
        )
        self.ledger.done(claim_key)
        return {"status": "sent", "idempotency_key": key, "message": chat_view(entry)}
