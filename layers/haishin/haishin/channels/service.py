"""Connect, rotate and disconnect LINE channels. Secrets go to the SecretStore only; responses carry masked hints.

- connect: validates the values' shapes (channel ID: 10 digits; channel secret: 32 hex characters), then the
  access token with ``GET /v2/bot/info``; stores ``{"channel_secret", "access_token", "login_channel_id",
  "login_channel_secret"}`` under ``secret_name(ws, "line", channel_id)`` and the ChannelModel (bot_user_id,
  basic_id, name from the bot info). Reconnecting a channel of the same workspace updates it; a channel connected to
  another workspace is a conflict.
- rotate: a new token (and optionally a new secret) is validated the same way and must belong to the same bot;
  caches are invalidated so the next call uses the new value (``LineClients.forget`` and the store's invalidate).
- disconnect: per-user rich menus of the channel's friends are unlinked first (batches of 500), then Haishin's
  published rich menus of the channel are deleted on LINE with their aliases (``RichMenuCleanup``, marked draft),
  then the channel is marked disconnected (the webhook answers 404 from then on) and its secret deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from haishin import clock
from haishin.channels.models import ChannelSettingsModel, settings_sk
from haishin.errors import Conflict, ExternalServiceError, NotFound, ValidationFailed
from haishin.liff import check_liff_id, liff_endpoint_url
from haishin.line.client import MAX_MESSAGES_PER_SEND, LineApiError, LineClient
from haishin.secrets import SecretStore, mask, secret_name
from haishin.storage.base import save_if
from haishin.subscribers.repository import SubscriberRepository
from haishin.workspaces.models import ChannelModel, channel_pk, workspace_pk

CHANNEL_ID_RE = re.compile(r"^\d{10}$")
SECRET_RE = re.compile(r"^[0-9a-fA-F]{32}$")
UNLINK_BATCH = 500

ClientFactory = Callable[[str], Any]  # access token -> a LineClient-like object (bot_info, unlink_rich_menus)


class RichMenuCleanup(Protocol):
    """``haishin.richmenus.service.RichMenuService``: takes the channel's published menus down on LINE."""

    def forget_channel(self, workspace_id: str, channel_id: str, client: Any) -> int: ...


def _default_factory(token: str) -> Any:
    return LineClient(token)


def webhook_url(base: str, channel_id: str) -> str:
    return f"{base.rstrip('/')}/line/webhook/{channel_id}"


def login_callback_url(base: str) -> str:
    """The LINE Login channel's callback URL, pasted in the LINE Developers console (inflow routes log in by it)."""
    return f"{base.rstrip('/')}/login/callback"


def member_login_callback_url(base: str) -> str:
    """The second callback URL of the LINE Login channel: members of the member sites (会員サイト) log in by it."""
    return f"{base.rstrip('/')}/m/line/callback"


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"{name} is required", where=name)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", where=name)
    return value.strip()


def _check_channel_id(value: str, where: str = "channel_id") -> str:
    if not CHANNEL_ID_RE.match(value):
        raise ValidationFailed(
            "a LINE channel ID is 10 digits (LINE Developers console > the channel > Basic settings)", where=where
        )
    return value


def _check_secret(value: str, where: str = "channel_secret") -> str:
    if not SECRET_RE.match(value):
        raise ValidationFailed(
            "a channel secret is 32 hexadecimal characters (Basic settings > Channel secret)", where=where
        )
    return value


def _check_login_channel(login_channel_id: str | None, login_channel_secret: str | None, channel_id: str) -> None:
    """The LINE Login channel (inflow routes log friends in with it): its ID and secret come together."""
    if login_channel_id and not login_channel_secret:
        raise ValidationFailed("LINE ログインチャネルのチャネルシークレットも入力してください",
                               where="login_channel_secret")
    if login_channel_secret and not login_channel_id:
        raise ValidationFailed("LINE ログインチャネルのチャネル ID も入力してください", where="login_channel_id")
    if login_channel_id and not CHANNEL_ID_RE.match(login_channel_id):
        raise ValidationFailed("LINE ログインチャネルのチャネル ID は 10 桁の数字です (LINE Developers コンソール > "
                               "LINE ログインチャネル > チャネル基本設定)", where="login_channel_id")
    if login_channel_id and login_channel_id == channel_id:
        raise ValidationFailed("Messaging API チャネルとは別の、LINE ログインチャネルの ID を入力してください",
                               where="login_channel_id")
    if login_channel_secret and not SECRET_RE.match(login_channel_secret):
        raise ValidationFailed("LINE ログインチャネルのチャネルシークレットは 32 文字の英数字 (16 進数) です",
                               where="login_channel_secret")


class ChannelService:
    def __init__(
        self,
        secrets: SecretStore,
        *,
        client_factory: ClientFactory | None = None,
        clients: Any = None,
        subscribers: SubscriberRepository | None = None,
        rich_menus: RichMenuCleanup | None = None,
    ) -> None:
        self.rich_menus = rich_menus  # the composition root always gives it (tests of other parts may not)
        self.secrets = secrets
        self.client_factory = client_factory or _default_factory
        self.clients = clients  # LineClients whose cached client must be forgotten after a rotation
        self.subscribers = subscribers or SubscriberRepository()

    # ------------------------------------------------------------------ reading
    @staticmethod
    def view(channel: ChannelModel, base: str) -> dict[str, Any]:
        """What the API shows: never a secret or a token, only their masked hints."""
        return {
            "channel_id": channel.channel_id,
            "name": channel.name,
            "bot_user_id": channel.bot_user_id,
            "basic_id": channel.basic_id,
            "status": channel.status,
            "login_channel_id": channel.login_channel_id,
            "channel_secret_hint": channel.channel_secret_hint,
            "access_token_hint": channel.access_token_hint,
            "connected_at": channel.connected_at.isoformat() if channel.connected_at else None,
            "webhook_verified_at": channel.webhook_verified_at.isoformat() if channel.webhook_verified_at else None,
            "last_event_at": channel.last_event_at.isoformat() if channel.last_event_at else None,
            "webhook_url": webhook_url(base, channel.channel_id),
            "login_callback_url": login_callback_url(base),
            "member_login_callback_url": member_login_callback_url(base),
            "liff_id": channel.liff_id,
            "liff_endpoint_url": liff_endpoint_url(base, channel.channel_id),
        }

    def find(self, channel_id: str) -> ChannelModel | None:
        """The channel behind a public URL (no workspace in it), or None."""
        return self._find(channel_id) if CHANNEL_ID_RE.match(channel_id) else None

    def _find(self, channel_id: str) -> ChannelModel | None:
        try:
            return ChannelModel.get(channel_pk(channel_id), "channel", consistent_read=True)
        except ChannelModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, channel_id: str) -> ChannelModel:
        channel = self._find(channel_id) if channel_id.isdigit() else None
        if channel is None or channel.workspace_id != workspace_id:  # another workspace's channel: not yours
            raise NotFound(f"この LINE チャネルはワークスペースにありません: {channel_id}", where="channel_id")
        return channel

    def list_channels(self, workspace_id: str) -> list[ChannelModel]:
        return sorted(ChannelModel.by_workspace.query(workspace_pk(workspace_id)), key=lambda c: c.channel_id)

    # ------------------------------------------------------------------ LINE checks
    def _bot_info(self, token: str) -> dict[str, Any]:
        client = self.client_factory(token)
        try:
            info = client.bot_info()
        except LineApiError as error:
            if error.retryable:
                raise ExternalServiceError("LINE がトークンの確認に応答しませんでした。もう一度お試しください",
                                           where="LINE API") from error
            raise ValidationFailed("LINE rejected this channel access token", where="access_token") from error
        finally:
            close = getattr(client, "close", None)
            if close:
                close()
        return {
            "bot_user_id": info.get("userId") or info.get("user_id"),
            "basic_id": info.get("basicId") or info.get("basic_id"),
            "name": info.get("displayName") or info.get("display_name"),
        }

    # ------------------------------------------------------------------ connect
    def connect(self, workspace_id: str, body: Any) -> ChannelModel:
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object", where="body")
        channel_id = _check_channel_id(_text(body, "channel_id", required=True) or "")
        channel_secret = _check_secret(_text(body, "channel_secret", required=True) or "")
        access_token = _text(body, "access_token", required=True) or ""
        name = _text(body, "name", required=False)
        login_channel_id = _text(body, "login_channel_id", required=False)
        login_channel_secret = _text(body, "login_channel_secret", required=False)
        _check_login_channel(login_channel_id, login_channel_secret, channel_id)
        existing = self._find(channel_id)
        if existing is not None and existing.workspace_id != workspace_id and existing.status == "connected":
            raise Conflict("このチャネルは別のワークスペースに接続されています", where="channel_id")
        info = self._bot_info(access_token)
        name_to_store = name or info["name"]
        secret = {"channel_secret": channel_secret, "access_token": access_token}
        if login_channel_id:
            secret["login_channel_id"] = login_channel_id
        if login_channel_secret:
            secret["login_channel_secret"] = login_channel_secret
        name_of_secret = secret_name(workspace_id, "line", channel_id)
        self.secrets.put(name_of_secret, secret)
        channel = ChannelModel.for_channel(
            workspace_id, channel_id,
            name=name_to_store, bot_user_id=info["bot_user_id"], basic_id=info["basic_id"],
            secret_name=name_of_secret, channel_secret_hint=mask(channel_secret), access_token_hint=mask(access_token),
            login_channel_id=login_channel_id, status="connected", connected_at=clock.now(),
        )
        if existing is not None and existing.workspace_id == workspace_id:
            channel.webhook_verified_at = existing.webhook_verified_at
            channel.last_event_at = existing.last_event_at
        condition = (ChannelModel.pk.does_not_exist() | (ChannelModel.workspace_id == workspace_id)
                     | (ChannelModel.status == "disconnected"))
        if not save_if(channel, condition):
            raise Conflict("このチャネルは別のワークスペースに接続されています", where="channel_id")
        self._forget(workspace_id, channel_id, name_of_secret)
        return channel

    # ------------------------------------------------------------------ rotate
    def rotate(self, workspace_id: str, channel_id: str, body: Any) -> ChannelModel:
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object", where="body")
        channel = self.require(workspace_id, channel_id)
        if channel.status != "connected":
            raise Conflict("チャネルの接続が解除されています。もう一度接続してください", where="channel_id")
        access_token = _text(body, "access_token", required=True) or ""
        new_secret = _text(body, "channel_secret", required=False)
        if new_secret:
            _check_secret(new_secret)
        info = self._bot_info(access_token)
        if channel.bot_user_id and info["bot_user_id"] and info["bot_user_id"] != channel.bot_user_id:
            raise ValidationFailed("this access token belongs to another LINE channel", where="access_token")
        stored = dict(self.secrets.get(channel.secret_name))
        stored["access_token"] = access_token
        if new_secret:
            stored["channel_secret"] = new_secret
        self.secrets.put(channel.secret_name, stored)
        actions: list[Any] = [ChannelModel.access_token_hint.set(mask(access_token) or "")]
        if new_secret:
            actions.append(ChannelModel.channel_secret_hint.set(mask(new_secret) or ""))
        channel.update(actions=actions)
        self._forget(workspace_id, channel_id, channel.secret_name)
        return channel

    # ------------------------------------------------------------------ LINE Login channel
    def set_login(self, workspace_id: str, channel_id: str, body: Any) -> ChannelModel:
        """Sets (both values) or removes (both empty) the LINE Login channel inflow routes log friends in with."""
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object", where="body")
        unknown = sorted(set(body) - {"login_channel_id", "login_channel_secret"})
        if unknown:
            raise ValidationFailed(f"不明な項目です: {unknown[0]}", where=unknown[0])
        channel = self.require(workspace_id, channel_id)
        if channel.status != "connected":
            raise Conflict("チャネルの接続が解除されています。もう一度接続してください", where="channel_id")
        login_channel_id = _text(body, "login_channel_id", required=False)
        login_channel_secret = _text(body, "login_channel_secret", required=False)
        _check_login_channel(login_channel_id, login_channel_secret, channel_id)
        stored = dict(self.secrets.get(channel.secret_name))
        stored.pop("login_channel_id", None)
        stored.pop("login_channel_secret", None)
        if login_channel_id and login_channel_secret:
            stored["login_channel_id"] = login_channel_id
            stored["login_channel_secret"] = login_channel_secret
        self.secrets.put(channel.secret_name, stored)
        channel.update(actions=[ChannelModel.login_channel_id.set(login_channel_id) if login_channel_id
                                else ChannelModel.login_channel_id.remove()])
        self._forget(workspace_id, channel_id, channel.secret_name)
        return channel

    # ------------------------------------------------------------------ LIFF app
    def set_liff(self, workspace_id: str, channel_id: str, body: Any) -> ChannelModel:
        """Sets (``{"liff_id": "<loginChannelId>-<8 chars>"}``) or removes (empty) the channel's LIFF app: one
        added to the channel's LINE Login channel with our endpoint URL (``liff_endpoint_url``)."""
        if not isinstance(body, dict):
            raise ValidationFailed("JSON オブジェクトを送ってください", where="body")
        unknown = sorted(set(body) - {"liff_id"})
        if unknown:
            raise ValidationFailed(f"不明な項目です: {unknown[0]}", where=unknown[0])
        channel = self.require(workspace_id, channel_id)
        if channel.status != "connected":
            raise Conflict("チャネルの接続が解除されています。もう一度接続してください", where="channel_id")
        liff_id = _text(body, "liff_id", required=False)
        if liff_id:
            check_liff_id(liff_id, channel.login_channel_id)
        channel.update(actions=[ChannelModel.liff_id.set(liff_id) if liff_id else ChannelModel.liff_id.remove()])
        return channel

    # ------------------------------------------------------------------ disconnect
    def friends_user_ids(self, workspace_id: str, channel_id: str) -> list[str]:
        out = []
        for subscriber in self.subscribers.iter_all(workspace_id):
            account = (subscriber.line or {}).get(channel_id)
            if account and account.get("user_id") and account.get("status") == "following":
                out.append(str(account["user_id"]))
        return out

    def disconnect(self, workspace_id: str, channel_id: str) -> ChannelModel:
        channel = self.require(workspace_id, channel_id)
        if channel.status == "connected":
            try:
                token = self.secrets.get(channel.secret_name).get("access_token")
            except NotFound:
                token = None
            user_ids = self.friends_user_ids(workspace_id, channel_id)
            if token and (user_ids or self.rich_menus is not None):
                client = self.client_factory(str(token))
                try:
                    for start in range(0, len(user_ids), UNLINK_BATCH):
                        client.unlink_rich_menus(user_ids[start : start + UNLINK_BATCH])
                    if self.rich_menus is not None:  # Haishin's menus and aliases: nothing stays on LINE
                        self.rich_menus.forget_channel(workspace_id, channel_id, client)
                except LineApiError as error:
                    if error.retryable:
                        raise ExternalServiceError(
                            "リッチメニューの解除中に LINE が応答しませんでした。もう一度お試しください",
                                                   where="LINE API") from error
                    # A revoked token cannot unlink anything; LINE drops a dead channel's menus with it.
                finally:
                    close = getattr(client, "close", None)
                    if close:
                        close()
        channel.update(actions=[ChannelModel.status.set("disconnected")])
        self.secrets.delete(channel.secret_name)
        self._forget(workspace_id, channel_id, channel.secret_name)
        return channel

    # ------------------------------------------------------------------ greeting
    def get_greeting(self, workspace_id: str, channel_id: str) -> dict[str, Any]:
        """The greeting (友だち追加時あいさつ) as set, read strongly: what the admin edits, not the consumer's cache.
        A channel never given one answers ``enabled: false`` with no messages."""
        self.require(workspace_id, channel_id)
        try:
            item = ChannelSettingsModel.get(workspace_pk(workspace_id), settings_sk(channel_id), consistent_read=True)
        except ChannelSettingsModel.DoesNotExist:
            return {"channel_id": channel_id, "enabled": False, "messages": [], "updated_at": None}
        return {"channel_id": channel_id, "enabled": bool(item.greeting_enabled),
                "messages": list(item.greeting_messages or []),
                "updated_at": item.updated_at.isoformat() if item.updated_at else None}

    def set_greeting(self, workspace_id: str, channel_id: str, body: Any) -> dict[str, Any]:
        self.require(workspace_id, channel_id)
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object", where="body")
        messages = body.get("messages") or []
        enabled = bool(body.get("enabled", bool(messages)))
        if not isinstance(messages, list) or len(messages) > MAX_MESSAGES_PER_SEND:
            raise ValidationFailed(f"あいさつメッセージは {MAX_MESSAGES_PER_SEND} 通までです", where="messages")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or not message.get("type"):
                raise ValidationFailed("メッセージの種類(type)がありません", where=f"messages.{index}")
            if message["type"] == "text" and not str(message.get("text") or "").strip():
                # LINE refuses an empty text: the greeting would silently never arrive at a new friend
                raise ValidationFailed("テキストを入力してください", where=f"messages.{index}.text")
        if enabled and not messages:
            raise ValidationFailed("送るメッセージを 1 通以上入れてください", where="messages")
        ChannelSettingsModel(
            pk=workspace_pk(workspace_id), sk=settings_sk(channel_id), workspace_id=workspace_id,
            channel_id=channel_id, greeting_enabled=enabled, greeting_messages=messages, updated_at=clock.now(),
        ).save()
        return {"channel_id": channel_id, "enabled": enabled, "messages": messages}

    def _forget(self, workspace_id: str, channel_id: str, name_of_secret: str) -> None:
        if self.clients is not None:
            self.clients.forget(workspace_id, channel_id)
        invalidate = getattr(self.secrets, "invalidate", None)
        if invalidate:
            invalidate(name_of_secret)
