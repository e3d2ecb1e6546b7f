"""配信停止 (opt-out) of one friend, per channel or for every channel.

The public URL is ``/u/{token}`` with token = ``<workspace_id>.<channel>.<LinkSigner token>``; the LinkSigner HMAC
(purpose ``unsubscribe``, target = the channel) binds workspace, friend and channel, so a token can neither be
forged nor reused for another friend or channel. The link lives long (a law-required opt-out must keep working).
"all" sets ``unsubscribed_all`` and stops every scenario (UTAGE's %cancelall%); a channel sets only that channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from haishin import clock
from haishin.errors import ValidationFailed
from haishin.forms import tokens
from haishin.forms.collab import Collaborators
from haishin.optout import counters
from haishin.optout.keywords import DEFAULT_RESUME, DEFAULT_STOP, DEFAULTS, Keywords
from haishin.public_url import public_base
from haishin.storage.base import iso
from haishin.subscribers.models import SubscriberModel

UNSUBSCRIBE = "unsubscribe"
VALIDITY = timedelta(days=3650)
CHANNELS = ("line", "email", "sms")
SCOPES = (*CHANNELS, "all")


STOP_KEYWORD = DEFAULT_STOP[0]  # the defaults; a workspace sets its own (haishin.optout.keywords)
RESUME_KEYWORD = DEFAULT_RESUME[0]
RESUME_REPLY = "LINEでのお知らせの配信を再開しました。"


def stop_reply(keywords: Keywords = DEFAULTS) -> str:
    return f"LINEでのお知らせの配信を停止しました。再開するときは「{keywords.resume[0]}」と送信してください。"


STOP_REPLY = stop_reply()


def keyword_of(text: str, keywords: Keywords = DEFAULTS) -> str | None:
    """"stop" | "resume" | None for a LINE text (NFKC, spaces and trailing punctuation ignored)."""
    return keywords.action_of(text)


@dataclass(frozen=True)
class OptOutTarget:
    workspace_id: str
    subscriber_id: str
    channel: str


def state_of(subscriber: SubscriberModel) -> dict[str, Any]:
    flags = subscriber.unsubscribed or {}
    return {"all": bool(subscriber.unsubscribed_all), **{c: bool(flags.get(c)) for c in CHANNELS}}


def detail_of(subscriber: SubscriberModel) -> dict[str, Any]:
    """``state_of`` plus ``changes``: per scope, the last change's ``stopped``, ``at`` (ISO) and ``via`` (page,
    one_click, keyword, admin, ...); a scope never changed since this was recorded is absent."""
    return {**state_of(subscriber), "changes": dict(subscriber.unsubscribed_changes or {})}


class OptOutService:
    def __init__(self, collab: Collaborators) -> None:
        self.collab = collab

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
        return str(self.collab.workspaces.get(workspace_id).get("name") or workspace_id)

    # ------------------------------------------------------------------ state
    def state(self, workspace_id: str, subscriber_id: str) -> dict[str, Any]:
        return state_of(self.collab.subscribers.require(workspace_id, subscriber_id))

    def detail(self, workspace_id: str, subscriber_id: str) -> dict[str, Any]:
        return detail_of(self.collab.subscribers.require(workspace_id, subscriber_id))

    def set(self, workspace_id: str, subscriber_id: str, scope: str, stopped: bool, *, reason: str
            ) -> dict[str, Any]:
        """Stop (stopped=True) or resume one channel, or every channel (scope "all")."""
        if scope not in SCOPES:
            raise ValidationFailed("配信停止の対象が正しくありません", where=f"scope {scope}")

        was_stopped: dict[str, bool] = {}
        changed: list[bool] = []
        now = clock.now()

        def change(subscriber: SubscriberModel) -> None:
            before = state_of(subscriber)
            flags = dict(subscriber.unsubscribed or {})
            was_stopped["stopped"] = bool(subscriber.unsubscribed_all) if scope == "all" else bool(flags.get(scope))
            if scope == "all":
                subscriber.unsubscribed_all = stopped
                if not stopped:  # 配信再開 of everything clears every channel too
                    flags = {}
            else:
                flags[scope] = stopped
                if not stopped:
                    subscriber.unsubscribed_all = False
            subscriber.unsubscribed = flags
            changed[:] = [state_of(subscriber) != before]
            if changed[0]:  # when and how, per scope, for the admin (the last change of each)
                history = dict(subscriber.unsubscribed_changes or {})
                history[scope] = {"stopped": stopped, "at": iso(now), "via": reason}
                subscriber.unsubscribed_changes = history

        subscriber = self.collab.subscribers.mutate(workspace_id, subscriber_id, change)
        if changed and changed[0]:
            counters.count(workspace_id, scope if stopped else "resumed", at=now)
        if stopped and scope == "all":
            self.collab.scenario_service().unsubscribe(workspace_id, subscriber_id, None, reason=reason)
        if stopped and not was_stopped.get("stopped"):  # one event per real opt-out (the write's version names it)
            self.collab.publish(workspace_id, "unsubscribed",
                                {"subscriber_id": subscriber_id, "scope": scope, "reason": reason},
                                idempotency_key=f"optout:{subscriber_id}:{scope}:v{subscriber.version}")
        return state_of(subscriber)
