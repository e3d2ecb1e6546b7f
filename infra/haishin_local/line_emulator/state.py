"""The emulator's in-memory records: channels, users, deliveries, reply tokens, retry keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .richmenu import RichMenuImage


@dataclass
class Channel:
    channel_id: str
    channel_secret: str
    access_token: str
    bot_user_id: str
    basic_id: str
    display_name: str
    webhook_url: str | None = None
    picture_url: str | None = None
    monthly_quota: int | None = None  # None: unlimited (quota type "none")
    webhook_active: bool = True
    followers: set[str] = field(default_factory=set)
    ever_followed: set[str] = field(default_factory=set)
    consumption: int = 0
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_rich_menu: str | None = None
    user_rich_menus: dict[str, str] = field(default_factory=dict)
    rich_menu_images: dict[str, RichMenuImage] = field(default_factory=dict)  # set once per menu, never replaced
    rich_menu_aliases: dict[str, str] = field(default_factory=dict)  # alias ID -> rich menu ID (may be deleted)
    audiences: dict[int, dict[str, Any]] = field(default_factory=dict)
    audience_members: dict[int, set[str]] = field(default_factory=dict)

    @staticmethod
    def default_bot_user_id(channel_id: str) -> str:
        return "U" + hashlib.md5(("bot:" + channel_id).encode(), usedforsecurity=False).hexdigest()

    def info(self) -> dict[str, Any]:
        """Public description (never the secret or the token)."""
        return {
            "channelId": self.channel_id,
            "botUserId": self.bot_user_id,
            "basicId": self.basic_id,
            "displayName": self.display_name,
            "webhookUrl": self.webhook_url,
            "followers": sorted(self.followers),
            "monthlyQuota": self.monthly_quota,
            "consumption": self.consumption,
        }


@dataclass
class User:
    user_id: str
    display_name: str
    picture_url: str | None = None
    language: str = "ja"
    status_message: str | None = None

    def profile(self) -> dict[str, Any]:
        body: dict[str, Any] = {"displayName": self.display_name, "userId": self.user_id, "language": self.language}
        if self.picture_url:
            body["pictureUrl"] = self.picture_url
        if self.status_message:
            body["statusMessage"] = self.status_message
        return body


@dataclass
class Delivery:
    seq: int
    channel_id: str
    user_id: str
    endpoint: str  # reply | push | multicast | narrowcast | broadcast
    message: dict[str, Any]
    retry_key: str | None
    request_id: str
    at: datetime
    status: str  # delivered | blocked
    message_id: str
    quote_token: str
    unit: str | None = None  # customAggregationUnits[0] of the request (push, multicast)
    bubble: int = 1  # 1-based position of the message in its request

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "channelId": self.channel_id,
            "userId": self.user_id,
            "endpoint": self.endpoint,
            "message": self.message,
            "retryKey": self.retry_key,
            "requestId": self.request_id,
            "at": self.at.isoformat(),
            "status": self.status,
            "messageId": self.message_id,
            "quoteToken": self.quote_token,
            **({"unit": self.unit} if self.unit else {}),
        }


@dataclass
class ReplyToken:
    channel_id: str
    user_id: str
    issued_at: datetime
    used: bool = False


@dataclass
class ReadToken:
    """A ``markAsReadToken`` a message event carried: marking with it reads that message and the ones before it."""

    channel_id: str
    user_id: str
    seq: int  # the friend's message (``UserAction.seq``) it belongs to


@dataclass
class ChatMark:
    """What the bot did to a 1:1 chat: ``read`` (mark-as-read, up to ``upto_seq``) or ``loading`` (the animation)."""

    seq: int
    channel_id: str
    user_id: str
    kind: str  # read | loading
    at: datetime
    upto_seq: int | None = None
    loading_seconds: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "channelId": self.channel_id,
            "userId": self.user_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "uptoSeq": self.upto_seq,
            "loadingSeconds": self.loading_seconds,
        }


@dataclass
class AcceptedKey:
    request_id: str
    accepted_at: datetime
    sent_messages: list[dict[str, str]] | None


@dataclass(frozen=True)
class FollowerCursor:
    """What a ``next`` token of ``GET /v2/bot/followers/ids`` stands for: the page after ``after_user_id``."""

    channel_id: str
    after_user_id: str
    issued_at: datetime


@dataclass
class UserAction:
    """Something the friend did on the phone (shown on the phone page next to what the bot sent)."""

    seq: int
    channel_id: str
    user_id: str
    kind: str  # follow | unfollow | text | postback
    text: str | None
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "channelId": self.channel_id,
            "userId": self.user_id,
            "kind": self.kind,
            "text": self.text,
            "at": self.at.isoformat(),
        }


@dataclass
class WebhookRecord:
    seq: int
    channel_id: str
    body: dict[str, Any]
    status: int
    reason: str  # LINE's reason: OK | COULD_NOT_CONNECT | REQUEST_TIMEOUT | ERROR_STATUS_CODE | UNCLASSIFIED
    detail: str
    elapsed_ms: float
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "channelId": self.channel_id,
            "body": self.body,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail,
            "elapsedMs": round(self.elapsed_ms, 1),
            "slow": self.elapsed_ms > 2000,  # LINE logs a timeout past about 2 s
            "at": self.at.isoformat(),
        }
