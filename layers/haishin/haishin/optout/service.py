"""配信停止 (opt-out) of one friend, per channel or for every channel.

The public URL is ``/u/{token}`` with token = ``<workspace_id>.<channel>.<LinkSigner token>``; the LinkSigner HMAC
(purpose ``unsubscribe``, target = the channel) binds workspace, friend and channel, so a token can neither be
forged nor reused for another friend or channel. The link lives long (a law-required opt-out must keep working).
"all" sets ``unsubscribed_all`` and stops every scenario (UTAGE's %cancelall%); a channel sets only that channel.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from haishin.errors import ValidationFailed
from haishin.forms import tokens
from haishin.forms.collab import Collaborators
from haishin.public_url import public_base
from haishin.subscribers.models import SubscriberModel
from haishin.workspaces.service import WorkspaceService

UNSUBSCRIBE = "unsubscribe"
VALIDITY = timedelta(days=3650)
CHANNELS = ("line", "email", "sms")
SCOPES = (*CHANNELS, "all")


STOP_KEYWORD = "配信停止"  # a LINE friend sends this to stop LINE broadcasts and steps
RESUME_KEYWORD = "配信再開"
STOP_REPLY = (f"LINEでのお知らせの配信を停止しました。再開するときは「{RESUME_KEYWORD}」と送信してください。")
RESUME_REPLY = "LINEでのお知らせの配信を再開しました。"


def keyword_of(text: str) -> str | None:
    """"stop" | "resume" | None for a LINE text (NFKC, spaces and trailing punctuation ignored)."""
    normalised = unicodedata.normalize("NFKC", text).strip().strip("。.!！").replace(" ", "")
    if normalised == STOP_KEYWORD:
        return "stop"
    if normalised == RESUME_KEYWORD:
        return "resume"
    return None


@dataclass(frozen=True)
class OptOutTarget:
    workspace_id: str
    subscriber_id: str
    channel: str


def state_of(subscriber: SubscriberModel) -> dict[str, Any]:
    flags = subscriber.unsubscribed or {}
    return {"all": bool(subscriber.unsubscribed_all), **{c: bool(flags.get(c)) for c in CHANNELS}}


class OptOutService:
    def __init__(self, collab: Collaborators | None = None) -> None:
        self.collab = collab or Collaborators()

    def signer(self) -> tokens.LinkSigner:
        return tokens.LinkSigner(self.collab.secret_store())

    # ------------------------------------------------------------------ links
    def token(self, workspace_id: str, subscriber_id: str, channel: str) -> str:
        signed = self.signer().mint(UNSUBSCRIBE, workspace_id, subscriber_id, channel, VALIDITY)
        return f"{workspace_id}.{channel}.{signed}"

    def url(self, workspace_id: str, subscriber_id: str, channel: str) -> str:
        return f"{public_base()}/u/{self.token(workspace_id, subscriber_id, channel)}"

    def verify(self, token: str) -> OptOutTarget:
        parts = token.split(".", 2)
        if len(parts) != 3 or not parts[0] or parts[1] not in CHANNELS:
            raise tokens.TokenInvalid("malformed")
        workspace_id, channel, signed = parts
        binding = self.signer().verify(UNSUBSCRIBE, workspace_id, channel, signed)
        return OptOutTarget(workspace_id, binding.subscriber_id, channel)

    def sender(self, workspace_id: str) -> str:
        """The sender's name shown on the page (特定電子メール法: who sends these messages)."""

        return str(WorkspaceService().get(workspace_id).get("name") or workspace_id)

    # ------------------------------------------------------------------ state
    def state(self, workspace_id: str, subscriber_id: str) -> dict[str, Any]:
        return state_of(self.collab.subscribers.require(workspace_id, subscriber_id))

    def set(self, workspace_id: str, subscriber_id: str, scope: str, stopped: bool, *, reason: str
            ) -> dict[str, Any]:
        """Stop (stopped=True) or resume one channel, or every channel (scope "all")."""
        if scope not in SCOPES:
            raise ValidationFailed("配信停止の対象が正しくありません", where=f"scope {scope}")

        def change(subscriber: SubscriberModel) -> None:
            flags = dict(subscriber.unsubscribed or {})
            if scope == "all":
                subscriber.unsubscribed_all = stopped
                if not stopped:  # 配信再開 of everything clears every channel too
                    flags = {}
            else:
                flags[scope] = stopped
                if not stopped:
                    subscriber.unsubscribed_all = False
            subscriber.unsubscribed = flags

        subscriber = self.collab.subscribers.mutate(workspace_id, subscriber_id, change)
        if stopped and scope == "all":
            self.collab.scenario_service().unsubscribe(workspace_id, subscriber_id, None, reason=reason)
        return state_of(subscriber)
