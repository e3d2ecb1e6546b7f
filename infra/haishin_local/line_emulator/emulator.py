"""The LINE Messaging API emulator: the API subset Haishin uses, LINE's limits, recording, faults, and a friend's side.

``LineEmulator.handle_api`` is the whole API behaviour (HTTP-free, so it is testable in-process); ``server.py`` only
moves bytes. All business time (retry-key window, reply-token expiry, timestamps) comes from ``haishin.clock``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from haishin import clock

from . import webhook
from .liff import LiffApps
from .limits import Faults, RateLimiter
from .login import LineLogin
from .richmenu import (
    ALIAS_CONFLICT,
    ALIAS_ID,
    ALIAS_NOT_FOUND,
    IMAGE_ALREADY_SET,
    IMAGE_NOT_ALLOWED,
    IMAGE_TYPES,
    MAX_ALIASES,
    MUST_UPLOAD_IMAGE,
    NO_DEFAULT,
    RICHMENU_NOT_FOUND,
    SWITCH_ALIAS_NOT_FOUND,
    SWITCH_MENU_NOT_FOUND,
    SWITCH_SUCCESS,
    USER_HAS_NO_MENU,
    ImageRefused,
    check_image,
    media_type,
    png_bytes,
)
from .richmenu_insight import RichMenuInsight
from .state import (
    AcceptedKey,
    Channel,
    ChatMark,
    Delivery,
    FollowerCursor,
    ReadToken,
    ReplyToken,
    User,
    UserAction,
    WebhookRecord,
)
from .units import UnitBook, urls_in
from .validation import (
    MAX_BULK_RICHMENU,
    MAX_MULTICAST_TO,
    Problems,
    is_https_url,
    validate_aggregation_units,
    validate_loading,
    validate_mark_as_read,
    validate_messages,
    validate_rich_menu,
)

MAX_BODY_BYTES = 2 * 1024 * 1024
RETRY_KEY_WINDOW = timedelta(hours=24)
REPLY_TOKEN_TTL = timedelta(seconds=60)
RETRY_KEY_ENDPOINTS = frozenset({"push", "multicast", "narrowcast", "broadcast"})
SEND_ENDPOINTS = ("reply", "push", "multicast", "narrowcast", "broadcast")
ERROR_STATUSES = (500, 502, 503)
FOLLOWERS_DEFAULT_LIMIT = 300
FOLLOWERS_MAX_LIMIT = 1000
FOLLOWERS_CURSOR_TTL = timedelta(hours=24)  # "The continuation token expires in 24 hours"
MAX_RICH_MENUS = 1000  # per channel through the Messaging API
RICH_MENU_ID = re.compile(r"richmenu-[0-9a-f]{32}")
LOADING_SECONDS_DEFAULT = 20  # "Default: 20" (display a loading animation)

AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}
RATE_LIMITED = {"message": "The API rate limit has been exceeded. Try again later."}
NOT_FOUND = {"message": "Not found"}
# https://developers.line.biz/en/reference/messaging-api/#get-webhook-endpoint-information (and #test-webhook-endpoint
# without an endpoint): "If the webhook URL isn't set (404 Not Found)".
WEBHOOK_NOT_FOUND = {"message": "Webhook endpoint not found"}
INVALID_WEBHOOK_URL = {"message": "Invalid webhook endpoint URL"}
# https://developers.line.biz/en/reference/messaging-api/#get-audience-group: 400, not 404, for an unknown group.
AUDIENCE_NOT_FOUND = {"message": "audience group not found", "details": [{"message": "AUDIENCE_GROUP_NOT_FOUND"}]}

Json = dict[str, Any]


@dataclass
class ApiResponse:
    """What to answer. ``hang_s`` > 0 means: wait that long, then close the connection without any response."""

    status: int
    body: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0
    raw: bytes | None = None  # a binary answer (rich menu image download) instead of JSON
    content_type: str = "application/json"

    def json_bytes(self) -> bytes:
        return json.dumps(self.body if self.body is not None else {}, ensure_ascii=False).encode("utf-8")


class _Reject(Exception):
    def __init__(self, status: int, body: Json) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


Handler = Callable[["_Call"], "tuple[int, Json] | ApiResponse"]


@dataclass
class _Call:
    channel: Channel
    body: Json
    params: dict[str, str]
    query: dict[str, str]
    retry_key: str | None
    request_id: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    raw: bytes = b""  # the body as sent (binary uploads)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    limit_class: str
    handler: str
    needs_body: bool = False


def _route(method: str, path: str, name: str, handler: str, limit_class: str = "default", body: bool = False) -> _Route:
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
    return _Route(method, re.compile(regex), name, limit_class, handler, body)


ROUTES: tuple[_Route, ...] = (
    _route("POST", "/v2/bot/message/reply", "reply", "_api_reply", body=True),
    _route("POST", "/v2/bot/message/push", "push", "_api_push", body=True),
    _route("POST", "/v2/bot/message/multicast", "multicast", "_api_multicast", "multicast", body=True),
    _route("POST", "/v2/bot/message/narrowcast", "narrowcast", "_api_narrowcast", "narrowcast", body=True),
    _route("POST", "/v2/bot/message/broadcast", "broadcast", "_api_broadcast", "broadcast", body=True),
    _route("GET", "/v2/bot/message/progress/narrowcast", "narrowcast_progress", "_api_narrowcast_progress"),
    _route("GET", "/v2/bot/message/quota", "quota", "_api_quota"),
    _route("GET", "/v2/bot/message/aggregation/info", "aggregation_info", "_api_aggregation_info"),
    _route("GET", "/v2/bot/message/aggregation/list", "aggregation_list", "_api_aggregation_list"),
    _route("GET", "/v2/bot/insight/message/event/aggregation", "unit_statistics", "_api_unit_statistics"),
    _route("GET", "/v2/bot/insight/richmenu/{richMenuId}/summary", "richmenu_insight_summary",
           "_api_richmenu_insight_summary"),
    _route("GET", "/v2/bot/message/quota/consumption", "quota_consumption", "_api_quota_consumption"),
    _route("GET", "/v2/bot/profile/{userId}", "profile", "_api_profile"),
    _route("GET", "/v2/bot/info", "bot_info", "_api_bot_info"),
    _route("GET", "/v2/bot/followers/ids", "followers_ids", "_api_followers_ids"),
    _route("POST", "/v2/bot/richmenu", "richmenu_create", "_api_richmenu_create", "richmenu_manage", body=True),
    _route("POST", "/v2/bot/richmenu/validate", "richmenu_validate", "_api_richmenu_validate", body=True),
    _route("GET", "/v2/bot/richmenu/list", "richmenu_list", "_api_richmenu_list", "richmenu_list"),
    # api-data.line.me in LINE; the emulator serves both hosts on one base URL (LINE_DATA_API_BASE points here)
    _route("POST", "/v2/bot/richmenu/{richMenuId}/content", "richmenu_image_upload", "_api_richmenu_image_upload"),
    _route("GET", "/v2/bot/richmenu/{richMenuId}/content", "richmenu_image_download", "_api_richmenu_image_download"),
    _route("POST", "/v2/bot/richmenu/alias", "richmenu_alias_create", "_api_richmenu_alias_create", body=True),
    _route("GET", "/v2/bot/richmenu/alias/list", "richmenu_alias_list", "_api_richmenu_alias_list"),
    _route("GET", "/v2/bot/richmenu/alias/{richMenuAliasId}", "richmenu_alias_get", "_api_richmenu_alias_get"),
    _route("POST", "/v2/bot/richmenu/alias/{richMenuAliasId}", "richmenu_alias_update", "_api_richmenu_alias_update",
           body=True),
    _route("DELETE", "/v2/bot/richmenu/alias/{richMenuAliasId}", "richmenu_alias_delete", "_api_richmenu_alias_delete",
           "richmenu_alias_delete"),
    _route("GET", "/v2/bot/user/all/richmenu", "richmenu_get_default", "_api_richmenu_get_default"),
    _route("DELETE", "/v2/bot/user/all/richmenu", "richmenu_cancel_default", "_api_richmenu_cancel_default"),
    _route("POST", "/v2/bot/richmenu/bulk/link", "richmenu_bulk_link", "_api_richmenu_bulk_link", body=True),
    _route("POST", "/v2/bot/richmenu/bulk/unlink", "richmenu_bulk_unlink", "_api_richmenu_bulk_unlink", body=True),
    _route("GET", "/v2/bot/richmenu/{richMenuId}", "richmenu_get", "_api_richmenu_get"),
    _route("DELETE", "/v2/bot/richmenu/{richMenuId}", "richmenu_delete", "_api_richmenu_delete", "richmenu_manage"),
    _route("POST", "/v2/bot/user/all/richmenu/{richMenuId}", "richmenu_set_default", "_api_richmenu_set_default"),
    _route("POST", "/v2/bot/user/{userId}/richmenu/{richMenuId}", "richmenu_link", "_api_richmenu_link"),
    _route("DELETE", "/v2/bot/user/{userId}/richmenu", "richmenu_unlink", "_api_richmenu_unlink"),
    _route("GET", "/v2/bot/user/{userId}/richmenu", "richmenu_get_user", "_api_richmenu_get_user"),
    _route("POST", "/v2/bot/audienceGroup/upload", "audience_upload", "_api_audience_upload", "audience", body=True),
    _route("PUT", "/v2/bot/audienceGroup/upload", "audience_add", "_api_audience_add", "audience", body=True),
    _route("GET", "/v2/bot/audienceGroup/{audienceGroupId}", "audience_get", "_api_audience_get", "audience"),
    _route("POST", "/v2/bot/chat/markAsRead", "mark_as_read", "_api_mark_as_read", body=True),
    _route("POST", "/v2/bot/chat/loading/start", "loading_start", "_api_loading_start", body=True),
    _route("PUT", "/v2/bot/channel/webhook/endpoint", "webhook_set", "_api_webhook_set", "webhook_settings", body=True),
    _route("GET", "/v2/bot/channel/webhook/endpoint", "webhook_get", "_api_webhook_get", "webhook_settings"),
    _route("POST", "/v2/bot/channel/webhook/test", "webhook_test", "_api_webhook_test", "webhook_test", body=True),
)


class Emulator:
    """State and behaviour; ``LineEmulator`` (in ``server.py``) adds the HTTP server around it."""

    def __init__(
        self,
        rate_limits: dict[str, tuple[float, float]] | None = None,
        webhook_timeout_s: float = 10.0,
        allow_http_urls: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        self._limiter = RateLimiter(rate_limits)
        self._faults = Faults()
        self.webhook_timeout_s = webhook_timeout_s
        self.allow_http_urls = allow_http_urls
        self._channels: dict[str, Channel] = {}
        self._tokens: dict[str, str] = {}  # access token -> channel id
        self._users: dict[str, User] = {}
        self.reply_token_ttl = REPLY_TOKEN_TTL  # tests shorten it (0 refuses every reply); reset() restores it
        self.login = LineLogin(self)  # LINE Login v2.1 (authorize, token, verify)
        self.liff = LiffApps(self)  # LIFF apps of the Login channels, the opener, liff.sendMessages (liff.py)
        self.units = UnitBook()  # aggregation units: monthly names, the friend's opens and taps (units.py)
        self.menu_insight = RichMenuInsight()  # rich menu impressions and area clicks (richmenu_insight.py)
        self._reset_records()

    def _reset_records(self) -> None:
        self._seq = 0
        self._deliveries: list[Delivery] = []
        self._actions: list[UserAction] = []
        self._webhooks: list[WebhookRecord] = []
        self._reply_tokens: dict[str, ReplyToken] = {}
        self._read_tokens: dict[str, ReadToken] = {}
        self._chat_marks: list[ChatMark] = []
        self._retry_keys: dict[tuple[str, str], AcceptedKey] = {}
        self._narrowcasts: dict[str, Json] = {}
        self._follower_cursors: dict[str, FollowerCursor] = {}
        self._calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.units.reset()
        self.menu_insight.reset()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # ------------------------------------------------------------------ channels and users (control API)
    def register_channel(
        self,
        channel_id: str,
        channel_secret: str,
        access_token: str,
        bot_user_id: str | None = None,
        basic_id: str | None = None,
        display_name: str | None = None,
        webhook_url: str | None = None,
        picture_url: str | None = None,
        monthly_quota: int | None = None,
    ) -> Json:
        """Creates or updates a channel (followers and records are kept on update). Returns its public info."""
        with self._lock:
            owner = self._tokens.get(access_token)
            if owner is not None and owner != channel_id:
                raise ValueError("access token already belongs to another channel")
            channel = self._channels.get(channel_id)
            if channel is None:
                channel = Channel(
                    channel_id=channel_id,
                    channel_secret=channel_secret,
                    access_token=access_token,
                    bot_user_id=bot_user_id or Channel.default_bot_user_id(channel_id),
                    basic_id=basic_id or "@" + channel_id[-7:].lower(),
                    display_name=display_name or f"Channel {channel_id}",
                )
                self._channels[channel_id] = channel
            else:
                self._tokens.pop(channel.access_token, None)
                channel.channel_secret = channel_secret
                channel.access_token = access_token
                channel.bot_user_id = bot_user_id or channel.bot_user_id
                channel.basic_id = basic_id or channel.basic_id
                channel.display_name = display_name or channel.display_name
            channel.webhook_url = webhook_url if webhook_url is not None else channel.webhook_url
            channel.picture_url = picture_url if picture_url is not None else channel.picture_url
            channel.monthly_quota = monthly_quota
            self._tokens[access_token] = channel_id
            return channel.info()

    def rotate_token(self, channel_id: str, new_token: str | None = None) -> str:
        """Issues a new access token for the channel; the old one stops working at once."""
        with self._lock:
            channel = self._channel(channel_id)
            token = new_token or secrets.token_urlsafe(128)
            if token in self._tokens and self._tokens[token] != channel_id:
                raise ValueError("access token already belongs to another channel")
            self._tokens.pop(channel.access_token, None)
            channel.access_token = token
            self._tokens[token] = channel_id
            return token

    def set_webhook_url(self, channel_id: str, url: str | None) -> None:
        with self._lock:
            self._channel(channel_id).webhook_url = url

    def channel_info(self, channel_id: str) -> Json:
        with self._lock:
            return self._channel(channel_id).info()

    def channels(self) -> list[Json]:
        with self._lock:
            return [c.info() for c in self._channels.values()]

    def add_user(
        self,
        user_id: str,
        display_name: str,
        picture_url: str | None = None,
        language: str = "ja",
        status_message: str | None = None,
    ) -> Json:
        with self._lock:
            user = User(user_id, display_name, picture_url, language, status_message)
            self._users[user_id] = user
            return user.profile()

    def add_follower(self, channel_id: str, user_id: str) -> None:
        """Makes a user a follower without a webhook (friends who followed before the system existed)."""
        with self._lock:
            channel = self._channel(channel_id)
            self._ensure_user(user_id)
            channel.followers.add(user_id)
            channel.ever_followed.add(user_id)

    def followers(self, channel_id: str) -> list[str]:
        with self._lock:
            return sorted(self._channel(channel_id).followers)

    def quota_consumption(self, channel_id: str) -> int:
        with self._lock:
            return self._channel(channel_id).consumption

    def _channel(self, channel_id: str) -> Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        return channel

    def _ensure_user(self, user_id: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = User(user_id, f"User {user_id[-4:]}")
        return user

    # ------------------------------------------------------------------ recording (control API)
    def received(self, user_id: str, channel_id: str | None = None, include_blocked: bool = False) -> list[Json]:
        """Messages the user received, oldest first; ``include_blocked`` adds sends LINE accepted, not delivered."""
        with self._lock:
            return [
                d.as_dict()
                for d in self._deliveries
                if d.user_id == user_id
                and (channel_id is None or d.channel_id == channel_id)
                and (include_blocked or d.status == "delivered")
            ]

    def deliveries(self, channel_id: str | None = None) -> list[Json]:
        with self._lock:
            return [d.as_dict() for d in self._deliveries if channel_id is None or d.channel_id == channel_id]

    def user_actions(self, user_id: str, channel_id: str | None = None) -> list[Json]:
        with self._lock:
            return [
                a.as_dict()
                for a in self._actions
                if a.user_id == user_id and (channel_id is None or a.channel_id == channel_id)
            ]

    def chat_marks(self, user_id: str, channel_id: str | None = None, kind: str | None = None) -> list[Json]:
        """Mark-as-read (``kind`` "read") and loading animations ("loading") the bot made in the user's chat."""
        with self._lock:
            return [
                m.as_dict()
                for m in self._chat_marks
                if m.user_id == user_id
                and (channel_id is None or m.channel_id == channel_id)
                and (kind is None or m.kind == kind)
            ]

    def unread(self, channel_id: str, user_id: str) -> list[Json]:
        """The user's messages (text and other messages, oldest first) the bot has not marked as read."""
        with self._lock:
            upto = max(
                (m.upto_seq or 0 for m in self._chat_marks
                 if m.kind == "read" and m.channel_id == channel_id and m.user_id == user_id),
                default=0,
            )
            return [
                a.as_dict()
                for a in self._actions
                if a.channel_id == channel_id and a.user_id == user_id and a.kind == "text" and a.seq > upto
            ]

    def webhook_log(self, channel_id: str | None = None) -> list[Json]:
        with self._lock:
            return [w.as_dict() for w in self._webhooks if channel_id is None or w.channel_id == channel_id]

    def stats(self) -> Json:
        with self._lock:
            delivered: dict[str, int] = defaultdict(int)
            blocked: dict[str, int] = defaultdict(int)
            for d in self._deliveries:
                (delivered if d.status == "delivered" else blocked)[d.endpoint] += 1
            webhooks: dict[str, int] = defaultdict(int)
            for w in self._webhooks:
                webhooks[str(w.status)] += 1
            return {
                "calls": {name: dict(codes) for name, codes in self._calls.items()},
                "delivered": dict(delivered),
                "blocked": dict(blocked),
                "webhooks": dict(webhooks),
                "quotaConsumption": {c.channel_id: c.consumption for c in self._channels.values()},
            }

    def reset(self, full: bool = False) -> None:
        """Forgets records, counters, retry keys, reply tokens, rate buckets, faults and quota consumption.

        Channels, users and who follows whom are kept unless ``full``.
        """
        with self._lock:
            self._reset_records()
            self._limiter.reset()
            self._faults = Faults()
            self.reply_token_ttl = REPLY_TOKEN_TTL
            for channel in self._channels.values():
                channel.consumption = 0
            self.login.reset(full=full)
            self.liff.reset(full=full)
            if full:
                self._channels.clear()
                self._tokens.clear()
                self._users.clear()

    # ------------------------------------------------------------------ faults and limits (control API)
    def set_faults(
        self,
        error_rate: float = 0.0,
        timeout_rate: float = 0.0,
        latency_ms: float = 0.0,
        throttle_burst: int = 0,
        error_burst: int = 0,
        status: int | None = None,
        timeout_s: float = 3.0,
        timeout_after_delivery: bool = False,
        endpoints: Iterable[str] | None = None,
        seed: int | None = 0,
    ) -> Json:
        faults = Faults.build(
            endpoints=endpoints,
            error_rate=error_rate,
            timeout_rate=timeout_rate,
            latency_ms=latency_ms,
            throttle_burst=throttle_burst,
            error_burst=error_burst,
            status=status,
            timeout_s=timeout_s,
            timeout_after_delivery=timeout_after_delivery,
            seed=seed,
        )
        with self._lock:
            self._faults = faults
            return faults.as_dict()

    def set_reply_token_ttl(self, ttl: timedelta | None) -> None:
        """How long a webhook's reply token may be used (None: LINE's, about a minute; 0: every reply is refused
        with ``Invalid reply token``, as a token used or expired before the bot answered)."""
        with self._lock:
            self.reply_token_ttl = REPLY_TOKEN_TTL if ttl is None else ttl

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = Faults()

    def faults(self) -> Json:
        with self._lock:
            return self._faults.as_dict()

    def set_rate_limits(self, limits: dict[str, tuple[float, float]]) -> Json:
        """E.g. ``{"multicast": (5, 1.0)}``: 5 requests per second. Refills all buckets."""
        self._limiter.configure(limits)
        return {name: list(value) for name, value in self._limiter.limits.items()}

    def rate_limits(self) -> Json:
        return {name: list(value) for name, value in self._limiter.limits.items()}

    # ------------------------------------------------------------------ the Messaging API
    def handle_api(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes | None
    ) -> ApiResponse:
        """One API request. ``headers`` keys are lower case; ``raw`` None means the body was over 2 MB."""
        request_id = str(uuid.uuid4())
        route, params = self._match(method, path)
        name = route.name if route else "unknown"
        response = self._process(route, params, query, headers, raw, request_id)
        response.headers["x-line-request-id"] = request_id
        with self._lock:
            self._calls[name]["timeout" if response.hang_s > 0 else str(response.status)] += 1
        return response

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        for route in ROUTES:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found.groupdict()
        return None, {}

    def _process(
        self,
        route: _Route | None,
        params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes | None,
        request_id: str,
    ) -> ApiResponse:
        if raw is None:
            return ApiResponse(413, {"message": "Request Entity Too Large"})
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        with self._lock:
            channel_id = self._tokens.get(token)
            channel = self._channels.get(channel_id) if channel_id else None
        if channel is None:
            return ApiResponse(401, dict(AUTH_FAILED))
        if route is None:
            return ApiResponse(404, dict(NOT_FOUND))
        if not self._limiter.allow(channel.channel_id, route.limit_class, route.name):
            return ApiResponse(429, dict(RATE_LIMITED))

        # faults
        hang_after = 0.0
        with self._lock:
            faults = self._faults
            roll = -1.0
            throttled = False
            burst_error = False
            error_status = 500
            if faults.applies(route.name):
                if faults.throttle_burst > 0:
                    faults.throttle_burst -= 1
                    throttled = True
                elif faults.error_burst > 0:
                    faults.error_burst -= 1
                    burst_error = True
                    error_status = faults.status or faults.rng.choice(ERROR_STATUSES)
                else:
                    roll = faults.rng.random()
                    error_status = faults.status or faults.rng.choice(ERROR_STATUSES)
        if throttled:
            return ApiResponse(429, dict(RATE_LIMITED))
        if faults.latency_ms > 0 and faults.applies(route.name):
            time.sleep(faults.latency_ms / 1000.0)
        if burst_error or 0 <= roll < faults.error_rate:
            return ApiResponse(error_status, {"message": "Internal server error"})
        if faults.error_rate <= roll < faults.error_rate + faults.timeout_rate:
            if not faults.timeout_after_delivery:
                return ApiResponse(0, hang_s=max(faults.timeout_s, 0.001))
            hang_after = max(faults.timeout_s, 0.001)

        retry_key = headers.get("x-line-retry-key")
        if retry_key is not None:
            if route.name not in RETRY_KEY_ENDPOINTS:
                return ApiResponse(400, {"message": "X-Line-Retry-Key header is not supported for this API"})
            try:
                retry_key = str(uuid.UUID(retry_key))
            except ValueError:
                return ApiResponse(400, {"message": "The retry key must be a UUID in hexadecimal format"})

        body: Json = {}
        if route.needs_body and (raw or route.name != "webhook_test"):  # the webhook test's body is optional
            try:
                parsed = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:  # LINE's documented message for non-JSON
                where = "line: -, column: -"
                if isinstance(exc, json.JSONDecodeError):
                    where = f"line: {exc.lineno}, column: {exc.colno}"
                return ApiResponse(400, {"message": f"The request body could not be parsed as JSON ({where})"})
            if not isinstance(parsed, dict):
                return ApiResponse(
                    400,
                    {
                        "message": "The request body has 1 error(s)",
                        "details": [{"message": "must be a JSON object", "property": ""}],
                    },
                )
            body = parsed

        call = _Call(channel, body, params, query, retry_key, request_id, headers, raw)
        handler: Handler = getattr(self, route.handler)
        if route.name == "webhook_test":  # posts to the bot: must not hold the lock
            try:
                result = handler(call)
            except _Reject as reject:
                return ApiResponse(reject.status, reject.body)
            return result if isinstance(result, ApiResponse) else ApiResponse(*result)
        with self._lock:
            now = clock.now()
            if retry_key is not None:
                accepted = self._retry_keys.get((channel.channel_id, retry_key))
                if accepted is not None and now - accepted.accepted_at < RETRY_KEY_WINDOW:
                    conflict: Json = {"message": "The retry key is already accepted"}
                    if accepted.sent_messages is not None:
                        conflict["sentMessages"] = accepted.sent_messages
                    return ApiResponse(409, conflict, {"x-line-accepted-request-id": accepted.request_id})
            try:
                result = handler(call)
            except _Reject as reject:
                return ApiResponse(reject.status, reject.body)
            if isinstance(result, ApiResponse):  # a binary answer
                return result
            status, out = result
            if retry_key is not None and 200 <= status < 300:
                self._retry_keys[(channel.channel_id, retry_key)] = AcceptedKey(
                    request_id, now, out.get("sentMessages")
                )
        if hang_after:
            return ApiResponse(status, out, hang_s=hang_after)
        return ApiResponse(status, out)

    # ------------------------------------------------------------------ sending
    def _messages(self, body: Json, problems: Problems) -> list[Json]:
        return validate_messages(body, problems)

    def _deliver(self, call: _Call, endpoint: str, users: Iterable[str], messages: list[Json]) -> list[Json]:
        """Records one delivery per user and message. Returns ``sentMessages`` for the last user."""
        channel = call.channel
        users = list(users)
        if endpoint != "reply" and channel.monthly_quota is not None:
            would = sum(1 for u in users if u in channel.followers) * len(messages)
            if channel.consumption + would > channel.monthly_quota:
                raise _Reject(429, {"message": "You have reached your monthly limit."})
        now = clock.now()
        unit = self.units.unit_of(call.body) if endpoint in ("push", "multicast") else None
        refused = self.units.admit(channel.channel_id, unit, now)
        if refused is not None:
            raise _Reject(400, refused)
        self.units.record_use(channel.channel_id, unit, now)
        sent: list[Json] = []
        for user_id in users:
            delivered = user_id in channel.followers
            sent = []
            for bubble, message in enumerate(messages, start=1):
                record = Delivery(
                    seq=self._next_seq(),
                    channel_id=channel.channel_id,
                    user_id=user_id,
                    endpoint=endpoint,
                    message=message,
                    retry_key=call.retry_key,
                    request_id=call.request_id,
                    at=now,
                    status="delivered" if delivered else "blocked",
                    message_id=webhook.message_id(),
                    quote_token=webhook.quote_token(),
                    unit=unit,
                    bubble=bubble,
                )
                self._deliveries.append(record)
                sent.append({"id": record.message_id, "quoteToken": record.quote_token})
                if delivered and endpoint != "reply":
                    channel.consumption += 1
        return sent

    def _api_reply(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        token = call.body.get("replyToken")
        if not isinstance(token, str) or not token:
            problems.add("replyToken", "must be specified")
        messages = self._messages(call.body, problems)
        if problems:
            return 400, problems.body()
        issued = self._reply_tokens.get(str(token))
        if (
            issued is None
            or issued.used
            or issued.channel_id != call.channel.channel_id
            or self.reply_token_ttl <= timedelta(0)
            or clock.now() - issued.issued_at > self.reply_token_ttl
        ):
            return 400, {"message": "Invalid reply token"}
        issued.used = True
        return 200, {"sentMessages": self._deliver(call, "reply", [issued.user_id], messages)}

    def _api_push(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        to = call.body.get("to")
        if not isinstance(to, str) or not to:
            problems.add("to", "must be specified")
        messages = self._messages(call.body, problems)
        validate_aggregation_units(call.body, problems)
        if problems:
            return 400, problems.body()
        return 200, {"sentMessages": self._deliver(call, "push", [str(to)], messages)}

    def _api_multicast(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        to = problems.require_list(call.body, "to", "", 1, MAX_MULTICAST_TO)
        if to is not None and not all(isinstance(u, str) and u for u in to):
            problems.add("to", "must be an array of user IDs")
        messages = self._messages(call.body, problems)
        validate_aggregation_units(call.body, problems)
        if problems:
            return 400, problems.body()
        self._deliver(call, "multicast", dict.fromkeys(to or []), messages)
        return 200, {}

    def _api_broadcast(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        messages = self._messages(call.body, problems)
        if problems:
            return 400, problems.body()
        self._deliver(call, "broadcast", sorted(call.channel.followers), messages)
        return 200, {}

    def _api_narrowcast(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        messages = self._messages(call.body, problems)
        targets = set(call.channel.followers)
        recipient = call.body.get("recipient")
        if recipient is not None:
            resolved = self._resolve_recipient(call.channel, recipient, "recipient", problems)
            targets &= resolved
        limit = call.body.get("limit")
        if problems:
            return 400, problems.body()
        ordered = sorted(targets)
        if isinstance(limit, dict) and isinstance(limit.get("max"), int):
            ordered = ordered[: limit["max"]]
        self._deliver(call, "narrowcast", ordered, messages)
        at = clock.now().isoformat()
        self._narrowcasts[call.request_id] = {
            "phase": "succeeded",
            "successCount": len(ordered),
            "failureCount": 0,
            "targetCount": len(ordered),
            "acceptedTime": at,
            "completedTime": at,
        }
        return 202, {}

    def _resolve_recipient(self, channel: Channel, recipient: Any, prop: str, problems: Problems) -> set[str]:
        if not isinstance(recipient, dict):
            problems.add(prop, "must be an object")
            return set()
        kind = recipient.get("type")
        if kind == "audience":
            group = recipient.get("audienceGroupId")
            if not isinstance(group, int) or group not in channel.audience_members:
                problems.add(f"{prop}.audienceGroupId", "audience group not found")
                return set()
            return set(channel.audience_members[group])
        if kind == "operator":
            result: set[str] | None = None
            for op in ("and", "or"):
                parts = recipient.get(op)
                if parts is None:
                    continue
                sets = [self._resolve_recipient(channel, p, f"{prop}.{op}[{i}]", problems) for i, p in enumerate(parts)]
                combined = set.intersection(*sets) if op == "and" and sets else set().union(*sets)
                result = combined if result is None else result & combined
            if recipient.get("not") is not None:
                excluded = self._resolve_recipient(channel, recipient["not"], f"{prop}.not", problems)
                result = (set(channel.followers) if result is None else result) - excluded
            return result if result is not None else set(channel.followers)
        problems.add(f"{prop}.type", "must be one of [audience, operator]")
        return set()

    def _api_narrowcast_progress(self, call: _Call) -> tuple[int, Json]:
        progress = self._narrowcasts.get(call.query.get("requestId", ""))
        return (200, dict(progress)) if progress else (404, dict(NOT_FOUND))

    # ------------------------------------------------------------------ chat: mark as read, loading animation
    def _api_mark_as_read(self, call: _Call) -> tuple[int, Json]:
        """https://developers.line.biz/en/reference/messaging-api/#mark-as-read: the token of a message event marks
        that message and every earlier one of the chat as read. ``200 {}``. A token this channel did not issue is a
        400 (LINE documents the status only)."""
        problems = Problems()
        token = validate_mark_as_read(call.body, problems)
        if problems:
            return 400, problems.body()
        issued = self._read_tokens.get(str(token))
        if issued is None or issued.channel_id != call.channel.channel_id:
            return 400, {"message": "Invalid markAsReadToken",
                         "details": [{"message": "invalid token", "property": "markAsReadToken"}]}
        self._chat_marks.append(ChatMark(self._next_seq(), issued.channel_id, issued.user_id, "read", clock.now(),
                                         upto_seq=issued.seq))
        return 200, {}

    def _api_loading_start(self, call: _Call) -> tuple[int, Json]:
        """https://developers.line.biz/en/reference/messaging-api/#display-a-loading-indicator: a 1:1 chat only
        (``chatId`` a user ID, not a group or room), ``loadingSeconds`` 5-60 in steps of 5 (default 20). ``202 {}``.
        The emulator also refuses a user who does not follow the channel now (LINE cannot show it to them)."""
        problems = Problems()
        chat_id, seconds = validate_loading(call.body, problems)
        if problems:
            return 400, problems.body()
        if chat_id not in call.channel.followers:
            problems.add("chatId", "the user does not follow this channel")
            return 400, problems.body()
        self._chat_marks.append(ChatMark(self._next_seq(), call.channel.channel_id, str(chat_id), "loading",
                                         clock.now(), loading_seconds=seconds or LOADING_SECONDS_DEFAULT))
        return 202, {}

    # ------------------------------------------------------------------ info, profile, quota
    def _api_quota(self, call: _Call) -> tuple[int, Json]:
        quota = call.channel.monthly_quota
        return 200, ({"type": "none"} if quota is None else {"type": "limited", "value": quota})

    def _api_aggregation_info(self, call: _Call) -> tuple[int, Json]:
        return 200, self.units.usage(call.channel.channel_id, clock.now())

    def _api_aggregation_list(self, call: _Call) -> tuple[int, Json]:
        return self.units.names(call.channel.channel_id, clock.now(), call.query.get("limit"), call.query.get("start"))

    def _api_unit_statistics(self, call: _Call) -> tuple[int, Json]:
        mine = [d for d in self._deliveries if d.channel_id == call.channel.channel_id]
        return self.units.statistics(call.channel.channel_id, call.query, mine)

    def _api_richmenu_insight_summary(self, call: _Call) -> tuple[int, Json]:
        menu_id = call.params["richMenuId"]
        return self.menu_insight.summary(call.channel.channel_id, menu_id, call.channel.rich_menus.get(menu_id),
                                         call.query, clock.now())

    def _api_quota_consumption(self, call: _Call) -> tuple[int, Json]:
        return 200, {"totalUsage": call.channel.consumption}

    def _api_profile(self, call: _Call) -> tuple[int, Json]:
        user_id = call.params["userId"]
        user = self._users.get(user_id)
        if user is None or user_id not in call.channel.followers:
            return 404, dict(NOT_FOUND)
        return 200, user.profile()

    def _api_bot_info(self, call: _Call) -> tuple[int, Json]:
        channel = call.channel
        info: Json = {
            "userId": channel.bot_user_id,
            "basicId": channel.basic_id,
            "displayName": channel.display_name,
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        if channel.picture_url:
            info["pictureUrl"] = channel.picture_url
        return 200, info

    def _api_followers_ids(self, call: _Call) -> tuple[int, Json]:
        """Pages of at most ``limit`` (default 300, 1-1000) user IDs in a stable order; ``next`` is an opaque token
        (valid 24 hours of emulator time) for the page after, present only while IDs remain."""
        raw_limit = call.query.get("limit")
        limit = FOLLOWERS_DEFAULT_LIMIT
        if raw_limit is not None:
            try:
                limit = int(raw_limit)
            except ValueError:
                limit = 0
            if not 1 <= limit <= FOLLOWERS_MAX_LIMIT:
                # LINE documents no body for this case; the detail names the query parameter as LINE's details do.
                return 400, {
                    "message": "The request has 1 error(s)",
                    "details": [{"message": f"must be between 1 and {FOLLOWERS_MAX_LIMIT}", "property": "limit"}],
                }
        now = clock.now()
        after = ""
        start = call.query.get("start")
        if start is not None:
            cursor = self._follower_cursors.get(start)
            if (
                cursor is None
                or cursor.channel_id != call.channel.channel_id
                or now - cursor.issued_at > FOLLOWERS_CURSOR_TTL
            ):
                return 400, {"message": "Invalid start param"}
            after = cursor.after_user_id
        remaining = [u for u in sorted(call.channel.followers) if u > after]
        page = remaining[:limit]
        out: Json = {"userIds": page}
        if len(remaining) > len(page):
            token = secrets.token_urlsafe(24)
            self._follower_cursors[token] = FollowerCursor(call.channel.channel_id, page[-1], now)
            out["next"] = token
        return 200, out

    # ------------------------------------------------------------------ rich menus
    def create_rich_menu(self, channel_id: str, rich_menu: Json | None = None, image: bool = True) -> str:
        """Stores a rich menu (a valid default one when none is given); ValueError for a menu LINE would refuse.

        ``image`` (in-process convenience): also sets a plain PNG of the menu's size, so the menu can be linked, made
        default and aliased at once, as a menu set up through the API would be after its image upload."""
        if rich_menu is not None:
            problems = Problems()
            validate_rich_menu(rich_menu, problems)
            if problems:
                raise ValueError(f"invalid rich menu: {problems.details}")
        with self._lock:
            channel = self._channel(channel_id)
            menu_id = "richmenu-" + secrets.token_hex(16)
            menu = json.loads(
                json.dumps(
                    rich_menu
                    or {
                        "size": {"width": 2500, "height": 843},
                        "selected": False,
                        "name": "menu",
                        "chatBarText": "メニュー",
                        "areas": [],
                    }
                )
            )
            menu["richMenuId"] = menu_id
            channel.rich_menus[menu_id] = menu
            if image:
                size = menu["size"]
                channel.rich_menu_images[menu_id] = check_image(
                    "image/png", png_bytes(size["width"], size["height"]), size
                )
            return menu_id

    def set_rich_menu_image(self, channel_id: str, menu_id: str, data: bytes, content_type: str | None = None) -> None:
        """In process: LINE's upload rules (ImageRefused, or ValueError when the menu already has an image)."""
        with self._lock:
            channel = self._channel(channel_id)
            menu = channel.rich_menus[menu_id]
            if menu_id in channel.rich_menu_images:
                raise ValueError(IMAGE_ALREADY_SET)
            found = content_type or ("image/png" if data[:4] == b"\x89PNG" else "image/jpeg")
            channel.rich_menu_images[menu_id] = check_image(found, data, menu["size"])

    def rich_menu_of(self, channel_id: str, user_id: str) -> str | None:
        """The menu the friend sees: the per-user menu, else the default (LINE's display priority)."""
        with self._lock:
            channel = self._channel(channel_id)
            return self._shown_menu(channel, user_id)[0]

    def rich_menu_state(self, channel_id: str) -> Json:
        """Everything about the channel's rich menus (control API, for tests and people)."""
        with self._lock:
            channel = self._channel(channel_id)
            return {
                "richmenus": [
                    {**menu, "image": self._image_meta(channel, menu_id)}
                    for menu_id, menu in channel.rich_menus.items()
                ],
                "aliases": [{"richMenuAliasId": a, "richMenuId": m} for a, m in channel.rich_menu_aliases.items()],
                "default": channel.default_rich_menu,
                "users": dict(channel.user_rich_menus),
            }

    def rich_menu_image(self, channel_id: str, menu_id: str) -> tuple[str, bytes]:
        """(content type, bytes) of a menu's image; KeyError when there is none."""
        with self._lock:
            image = self._channel(channel_id).rich_menu_images[menu_id]
            return image.content_type, image.data

    @staticmethod
    def _image_meta(channel: Channel, menu_id: str) -> Json | None:
        image = channel.rich_menu_images.get(menu_id)
        if image is None:
            return None
        return {"contentType": image.content_type, "width": image.width, "height": image.height,
                "bytes": len(image.data)}

    @staticmethod
    def _shown_menu(channel: Channel, user_id: str) -> tuple[str | None, str]:
        linked = channel.user_rich_menus.get(user_id)
        if linked is not None and linked in channel.rich_menus:
            return linked, "user"
        if channel.default_rich_menu is not None and channel.default_rich_menu in channel.rich_menus:
            return channel.default_rich_menu, "default"
        return None, "none"

    def _api_richmenu_create(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        validate_rich_menu(call.body, problems)
        if problems:
            return 400, problems.body()
        if len(call.channel.rich_menus) >= MAX_RICH_MENUS:
            return 400, {"message": f"The number of rich menus has reached the limit ({MAX_RICH_MENUS})"}
        return 200, {"richMenuId": self.create_rich_menu(call.channel.channel_id, call.body, image=False)}

    def _api_richmenu_validate(self, call: _Call) -> tuple[int, Json]:
        problems = Problems(self.allow_http_urls)
        validate_rich_menu(call.body, problems)
        return (400, problems.body()) if problems else (200, {})

    def _api_richmenu_list(self, call: _Call) -> tuple[int, Json]:
        return 200, {"richmenus": list(call.channel.rich_menus.values())}

    def _api_richmenu_get(self, call: _Call) -> tuple[int, Json]:
        menu = call.channel.rich_menus.get(call.params["richMenuId"])
        return (200, dict(menu)) if menu else (404, dict(NOT_FOUND))

    def _api_richmenu_delete(self, call: _Call) -> tuple[int, Json]:
        """Unlinks it from users and as default. Aliases stay (LINE: delete the aliases, then the menu); a switch to
        an alias whose menu is gone reports ``RICHMENU_NOTFOUND``."""
        menu_id = call.params["richMenuId"]
        if call.channel.rich_menus.pop(menu_id, None) is None:
            return 404, dict(NOT_FOUND)
        call.channel.rich_menu_images.pop(menu_id, None)
        call.channel.user_rich_menus = {u: m for u, m in call.channel.user_rich_menus.items() if m != menu_id}
        if call.channel.default_rich_menu == menu_id:
            call.channel.default_rich_menu = None
        return 200, {}

    def _api_richmenu_image_upload(self, call: _Call) -> tuple[int, Json]:
        """https://developers.line.biz/en/reference/messaging-api/#upload-rich-menu-image: unknown menu 404; a
        Content-Type other than image/jpeg or image/png 415; an image already set, or one outside the requirements,
        400 with LINE's message (``details`` carry the emulator's reason)."""
        menu = call.channel.rich_menus.get(call.params["richMenuId"])
        if menu is None:
            return 404, dict(NOT_FOUND)
        content_type = media_type(call.headers.get("content-type"))
        if content_type not in IMAGE_TYPES:
            return 415, {"message": "Unsupported Media Type: Content-Type must be image/jpeg or image/png"}
        if call.params["richMenuId"] in call.channel.rich_menu_images:
            return 400, {"message": IMAGE_ALREADY_SET}
        try:
            image = check_image(content_type, call.raw, menu["size"])
        except ImageRefused as refused:
            return 400, {"message": IMAGE_NOT_ALLOWED, "details": [{"message": refused.reason,
                                                                     "property": refused.prop}]}
        call.channel.rich_menu_images[call.params["richMenuId"]] = image
        return 200, {}

    def _api_richmenu_image_download(self, call: _Call) -> tuple[int, Json] | ApiResponse:
        image = call.channel.rich_menu_images.get(call.params["richMenuId"])
        if image is None:
            return 404, dict(NOT_FOUND)
        return ApiResponse(200, raw=image.data, content_type=image.content_type)

    def _applicable_menu(self, call: _Call, menu_id: str) -> None:
        """Default and single link: a malformed ID 400, an unknown one 404 ``Not found``, one without an image 400."""
        if RICH_MENU_ID.fullmatch(menu_id) is None:
            raise _Reject(400, {"message": RICHMENU_NOT_FOUND})
        if menu_id not in call.channel.rich_menus:
            raise _Reject(404, dict(NOT_FOUND))
        if menu_id not in call.channel.rich_menu_images:
            raise _Reject(400, {"message": MUST_UPLOAD_IMAGE, "details": []})

    def _api_richmenu_set_default(self, call: _Call) -> tuple[int, Json]:
        self._applicable_menu(call, call.params["richMenuId"])
        call.channel.default_rich_menu = call.params["richMenuId"]
        return 200, {}

    def _api_richmenu_get_default(self, call: _Call) -> tuple[int, Json]:
        menu_id = call.channel.default_rich_menu
        if menu_id is None or menu_id not in call.channel.rich_menus:
            return 404, {"message": NO_DEFAULT, "details": []}
        return 200, {"richMenuId": menu_id}

    def _api_richmenu_cancel_default(self, call: _Call) -> tuple[int, Json]:
        call.channel.default_rich_menu = None
        return 200, {}

    def _api_richmenu_link(self, call: _Call) -> tuple[int, Json]:
        """Only a friend gets the menu; for anyone else LINE answers 200 and links nothing."""
        self._applicable_menu(call, call.params["richMenuId"])
        user_id = call.params["userId"]
        if user_id in call.channel.followers:
            call.channel.user_rich_menus[user_id] = call.params["richMenuId"]
        return 200, {}

    def _api_richmenu_unlink(self, call: _Call) -> tuple[int, Json]:
        call.channel.user_rich_menus.pop(call.params["userId"], None)
        return 200, {}

    def _api_richmenu_get_user(self, call: _Call) -> tuple[int, Json]:
        user_id = call.params["userId"]
        menu_id = call.channel.user_rich_menus.get(user_id)
        if menu_id is None or menu_id not in call.channel.rich_menus or user_id not in call.channel.followers:
            return 404, {"message": USER_HAS_NO_MENU, "details": []}
        return 200, {"richMenuId": menu_id}

    def _bulk_users(self, call: _Call) -> list[str]:
        problems = Problems()
        users = problems.require_list(call.body, "userIds", "", 1, MAX_BULK_RICHMENU)
        if problems:
            raise _Reject(400, problems.body())
        for index, user_id in enumerate(users or []):
            if not isinstance(user_id, str) or not user_id:
                # LINE's documented answer for an invalid user ID in bulk link / unlink (no details).
                message = f"The property, 'userIds[{index}]', in the request body is invalid (line: -, column: -)"
                raise _Reject(400, {"message": message})
        return list(users or [])

    def _api_richmenu_bulk_link(self, call: _Call) -> tuple[int, Json]:
        """https://developers.line.biz/en/reference/messaging-api/#link-rich-menu-to-users: a malformed ID is a 400
        with details, an unknown one a 404 (unlike linking one user, which answers 400), no image 400. Friends only
        are linked (others are skipped, still 202)."""
        menu_id = call.body.get("richMenuId")
        users = self._bulk_users(call)
        if not isinstance(menu_id, str) or RICH_MENU_ID.fullmatch(menu_id) is None:
            problems = Problems()
            problems.add("richMenuId", "invalid richMenuId")
            return 400, problems.body()
        if menu_id not in call.channel.rich_menus:
            return 404, {"message": RICHMENU_NOT_FOUND, "details": []}
        if menu_id not in call.channel.rich_menu_images:
            return 400, {"message": MUST_UPLOAD_IMAGE, "details": []}
        for user_id in users:
            if user_id in call.channel.followers:
                call.channel.user_rich_menus[user_id] = menu_id
        return 202, {}

    def _api_richmenu_bulk_unlink(self, call: _Call) -> tuple[int, Json]:
        for user_id in self._bulk_users(call):
            call.channel.user_rich_menus.pop(user_id, None)
        return 202, {}

    # ------------------------------------------------------------------ rich menu aliases
    def _alias_target(self, call: _Call, problems: Problems) -> str | None:
        """``richMenuId`` of an alias request: malformed -> details; unknown or without an image -> LINE's 400."""
        menu_id = call.body.get("richMenuId")
        if not isinstance(menu_id, str) or RICH_MENU_ID.fullmatch(menu_id) is None:
            problems.add("richMenuId", "invalid richMenuId")
            return None
        return menu_id

    def _check_alias_target(self, call: _Call, menu_id: str) -> None:
        if menu_id not in call.channel.rich_menus or menu_id not in call.channel.rich_menu_images:
            raise _Reject(400, {"message": RICHMENU_NOT_FOUND, "details": []})

    @staticmethod
    def _path_alias(call: _Call) -> str:
        alias_id = call.params["richMenuAliasId"]
        if ALIAS_ID.fullmatch(alias_id) is None:
            raise _Reject(400, {"message": "The value for the 'richMenuAliasId' parameter is invalid"})
        return alias_id

    def _api_richmenu_alias_create(self, call: _Call) -> tuple[int, Json]:
        """https://developers.line.biz/en/reference/messaging-api/#create-rich-menu-alias"""
        problems = Problems()
        alias_id = call.body.get("richMenuAliasId")
        if not isinstance(alias_id, str) or ALIAS_ID.fullmatch(alias_id) is None:
            problems.add("richMenuAliasId", "must match ^[a-z0-9_-]{1,32}$")
        menu_id = self._alias_target(call, problems)
        if problems or menu_id is None:
            return 400, problems.body()
        self._check_alias_target(call, menu_id)
        aliases = call.channel.rich_menu_aliases
        if alias_id in aliases:
            return 400, {"message": ALIAS_CONFLICT, "details": []}
        if len(aliases) >= MAX_ALIASES:
            return 400, {"message": f"The number of rich menu aliases has reached the limit ({MAX_ALIASES})",
                         "details": []}
        aliases[str(alias_id)] = menu_id
        return 200, {}

    def _api_richmenu_alias_update(self, call: _Call) -> tuple[int, Json]:
        alias_id = self._path_alias(call)
        problems = Problems()
        menu_id = self._alias_target(call, problems)
        if problems or menu_id is None:
            return 400, problems.body()
        if alias_id not in call.channel.rich_menu_aliases:
            return 404, {"message": ALIAS_NOT_FOUND, "details": []}
        self._check_alias_target(call, menu_id)
        call.channel.rich_menu_aliases[alias_id] = menu_id
        return 200, {}

    def _api_richmenu_alias_delete(self, call: _Call) -> tuple[int, Json]:
        alias_id = self._path_alias(call)
        if call.channel.rich_menu_aliases.pop(alias_id, None) is None:
            return 404, {"message": ALIAS_NOT_FOUND, "details": []}
        return 200, {}

    def _api_richmenu_alias_get(self, call: _Call) -> tuple[int, Json]:
        alias_id = self._path_alias(call)
        menu_id = call.channel.rich_menu_aliases.get(alias_id)
        if menu_id is None:
            return 404, {"message": ALIAS_NOT_FOUND, "details": []}
        return 200, {"richMenuAliasId": alias_id, "richMenuId": menu_id}

    def _api_richmenu_alias_list(self, call: _Call) -> tuple[int, Json]:
        return 200, {"aliases": [{"richMenuAliasId": a, "richMenuId": m}
                                 for a, m in call.channel.rich_menu_aliases.items()]}

    # ------------------------------------------------------------------ audiences
    def _audience_ids(self, call: _Call, problems: Problems, required: bool) -> list[str]:
        audiences = call.body.get("audiences")
        if audiences is None:
            if required:
                problems.add("audiences", "must be specified")
            return []
        if not isinstance(audiences, list) or len(audiences) > 10000:
            problems.add("audiences", "Size must be between 0 and 10000")
            return []
        ids = []
        for index, item in enumerate(audiences):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                problems.add(f"audiences[{index}].id", "must be specified")
            else:
                ids.append(item["id"])
        return ids

    def _api_audience_upload(self, call: _Call) -> tuple[int, Json]:
        problems = Problems()
        description = call.body.get("description")
        if not isinstance(description, str) or not description or len(description) > 120:
            problems.add("description", "Length must be between 1 and 120")
        ids = self._audience_ids(call, problems, required=False)
        if problems:
            return 400, problems.body()
        channel = call.channel
        group_id = 10_000_000_000 + len(self._channels) * 1_000_000 + len(channel.audiences) + 1
        created = int(clock.now().timestamp())
        group: Json = {
            "audienceGroupId": group_id,
            "createRoute": "MESSAGING_API",
            "type": "UPLOAD",
            "description": description,
            "created": created,
            "permission": "READ_WRITE",
            "expireTimestamp": created + 180 * 86400,
            "isIfaAudience": bool(call.body.get("isIfaAudience", False)),
        }
        channel.audiences[group_id] = group
        channel.audience_members[group_id] = set(ids)
        return 202, dict(group)

    def _api_audience_add(self, call: _Call) -> tuple[int, Json]:
        problems = Problems()
        group_id = call.body.get("audienceGroupId")
        ids = self._audience_ids(call, problems, required=True)
        if problems:
            return 400, problems.body()
        if not isinstance(group_id, int) or group_id not in call.channel.audiences:
            return 400, json.loads(json.dumps(AUDIENCE_NOT_FOUND))
        call.channel.audience_members[group_id].update(ids)
        return 202, {}

    def _api_audience_get(self, call: _Call) -> tuple[int, Json]:
        try:
            group_id = int(call.params["audienceGroupId"])
        except ValueError:
            group_id = -1
        group = call.channel.audiences.get(group_id)
        if group is None:
            return 400, json.loads(json.dumps(AUDIENCE_NOT_FOUND))
        count = len(call.channel.audience_members[group_id])
        return 200, {
            "audienceGroup": {**group, "status": "READY", "audienceCount": count},
            "jobs": [
                {
                    "audienceGroupJobId": group_id * 10,
                    "audienceGroupId": group_id,
                    "description": group["description"],
                    "type": "DIFF_ADD",
                    "jobStatus": "FINISHED",
                    "created": group["created"],
                    "audienceCount": count,
                }
            ],
        }

    # ------------------------------------------------------------------ webhook settings
    def _api_webhook_set(self, call: _Call) -> tuple[int, Json]:
        """LINE: "a valid HTTPS URL" of "500 characters or less" (http too when the emulator allows http URLs)."""
        endpoint = call.body.get("endpoint")
        if not is_https_url(endpoint, self.allow_http_urls):
            return 400, dict(INVALID_WEBHOOK_URL)
        call.channel.webhook_url = endpoint
        return 200, {}

    def _api_webhook_get(self, call: _Call) -> tuple[int, Json]:
        if not call.channel.webhook_url:
            return 404, dict(WEBHOOK_NOT_FOUND)
        return 200, {"endpoint": call.channel.webhook_url, "active": call.channel.webhook_active}

    def _api_webhook_test(self, call: _Call) -> tuple[int, Json]:
        """With ``endpoint``: validate it, then send the empty test event there. Without: the channel's URL (404
        when none is set). The answer is always 200 with the outcome; only the request itself can be a 4xx."""
        endpoint = call.body.get("endpoint")
        if endpoint is not None and not is_https_url(endpoint, self.allow_http_urls):
            return 400, dict(INVALID_WEBHOOK_URL)
        if endpoint is None:
            with self._lock:
                if not call.channel.webhook_url:
                    return 404, dict(WEBHOOK_NOT_FOUND)
        outcome = self._send_events(call.channel.channel_id, [], url=endpoint)
        return 200, {
            "success": outcome.reason == "OK",
            "timestamp": clock.now().isoformat().replace("+00:00", "Z"),
            "statusCode": outcome.status,
            "reason": outcome.reason,
            "detail": outcome.detail,
        }

    # ------------------------------------------------------------------ acting as a friend
    def issue_reply_token(self, channel_id: str, user_id: str) -> str:
        """A reply token as an event would carry (for tests that skip the webhook)."""
        with self._lock:
            self._channel(channel_id)
            token = webhook.reply_token()
            self._reply_tokens[token] = ReplyToken(channel_id, user_id, clock.now())
            return token

    def follow(self, channel_id: str, user_id: str) -> int:
        """The user adds the bot as a friend (or unblocks it): a follow event. Returns the webhook's HTTP status."""
        with self._lock:
            channel = self._channel(channel_id)
            self._ensure_user(user_id)
            unblocked = user_id in channel.ever_followed
            channel.followers.add(user_id)
            channel.ever_followed.add(user_id)
            event = self._event(channel, "follow", user_id, reply=True)
            event["follow"] = {"isUnblocked": unblocked}
            self._record_action(channel_id, user_id, "follow", None)
        return self._send_events(channel_id, [event]).status

    def unfollow(self, channel_id: str, user_id: str) -> int:
        """The user blocks the bot: an unfollow event (no reply token); the user stops receiving messages."""
        with self._lock:
            channel = self._channel(channel_id)
            channel.followers.discard(user_id)
            event = self._event(channel, "unfollow", user_id, reply=False)
            self._record_action(channel_id, user_id, "unfollow", None)
        return self._send_events(channel_id, [event]).status

    def send_text(self, channel_id: str, user_id: str, text: str) -> int:
        with self._lock:
            channel = self._channel(channel_id)
            self._ensure_user(user_id)
            event = self._event(channel, "message", user_id, reply=True)
            event["message"] = {
                "id": webhook.message_id(),
                "type": "text",
                "text": text,
                "quoteToken": webhook.quote_token(),
                "markAsReadToken": self._read_token(channel_id, user_id),
            }
            self._record_action(channel_id, user_id, "text", text)
        return self._send_events(channel_id, [event]).status

    def postback(
        self, channel_id: str, user_id: str, data: str, params: Json | None = None, display_text: str | None = None
    ) -> int:
        with self._lock:
            channel = self._channel(channel_id)
            self._ensure_user(user_id)
            event = self._event(channel, "postback", user_id, reply=True)
            event["postback"] = {"data": data}
            if params:
                event["postback"]["params"] = params
            self._record_action(channel_id, user_id, "postback", display_text or data)
        return self._send_events(channel_id, [event]).status

    # ------------------------------------------------------------------ the friend taps the rich menu
    def phone_rich_menu(self, channel_id: str, user_id: str) -> Json | None:
        """What the phone shows under the chat: the friend's menu (per-user link, else default) with its image, or
        None (no menu, no image, or the friend does not follow the channel)."""
        with self._lock:
            channel = self._channel(channel_id)
            menu_id, via = self._shown_menu(channel, user_id)
            if menu_id is None or menu_id not in channel.rich_menu_images or user_id not in channel.followers:
                return None
            menu = channel.rich_menus[menu_id]
            query = urllib.parse.urlencode({"channel": channel_id, "menu": menu_id})
            return {
                "richMenuId": menu_id,
                "via": via,
                "name": menu.get("name"),
                "size": dict(menu["size"]),
                "selected": bool(menu.get("selected")),
                "chatBarText": menu.get("chatBarText"),
                "areas": [{"index": i, "bounds": dict(a["bounds"]), "action": dict(a["action"])}
                          for i, a in enumerate(menu.get("areas", []))],
                "image": "/_emulator/phone/richmenu_image?" + query,
            }

    def rich_menu_tap(self, channel_id: str, user_id: str, menu_id: str, area: int) -> Json:
        """The friend taps area ``area`` of the menu they see; LINE's behaviour per action type:

        - postback: a postback event (no ``params``); ``displayText`` shows as the friend's message.
        - message: the text is sent as the friend's message (a message event).
        - uri: nothing is sent; the answer's ``open`` is the URL the phone opens.
        - richmenuswitch: the alias's menu becomes the friend's per-user menu and a postback event carries
          ``params`` ``{"newRichMenuAliasId", "status": "SUCCESS"}`` (or a failure status without the alias ID).
        - clipboard: nothing is sent; the answer's ``copy`` is the text.
        - datetimepicker: not emulated (ValueError).
        """
        with self._lock:
            channel = self._channel(channel_id)
            shown, _ = self._shown_menu(channel, user_id)
            if shown != menu_id or user_id not in channel.followers:
                raise ValueError("that rich menu is not the one the friend sees")
            areas = channel.rich_menus[menu_id].get("areas", [])
            if not 0 <= area < len(areas):
                raise ValueError(f"the rich menu has no area {area}")
            action = dict(areas[area]["action"])
            if action.get("type") != "datetimepicker":  # not emulated: refused below, so not counted
                self.menu_insight.click(channel_id, menu_id, user_id, area, clock.now())
        kind = action.get("type")
        out: Json = {"type": kind}
        if kind == "postback":
            out["status"] = self._postback(channel_id, user_id, str(action["data"]), None, action.get("displayText"))
        elif kind == "message":
            out["status"] = self.send_text(channel_id, user_id, str(action["text"]))
        elif kind == "uri":
            out["open"] = action["uri"]
        elif kind == "clipboard":
            out["copy"] = action.get("clipboardText")
        elif kind == "richmenuswitch":
            params = self.switch_rich_menu(channel_id, user_id, str(action["richMenuAliasId"]))
            out["params"] = params
            out["status"] = self._postback(channel_id, user_id, str(action["data"]), params, None)
        else:
            raise ValueError(f"{kind} actions are not emulated on the phone page")
        return out

    def rich_menu_seen(self, channel_id: str, user_id: str, menu_id: str) -> None:
        """The phone page shows the friend's menu open: an impression of it (LINE's rich menu insight)."""
        with self._lock:
            channel = self._channel(channel_id)
            shown, _ = self._shown_menu(channel, user_id)
            if shown != menu_id or user_id not in channel.followers:
                raise ValueError("that rich menu is not the one the friend sees")
            self.menu_insight.impression(channel_id, menu_id, user_id, clock.now())

    def age_rich_menu_insight(self, days: int) -> int:
        """Moves the recorded rich menu events ``days`` into the past (LINE aggregates them by the next day)."""
        with self._lock:
            return self.menu_insight.age(days)

    def switch_rich_menu(self, channel_id: str, user_id: str, alias_id: str) -> Json:
        """A rich menu switch action's effect: the alias's menu becomes the friend's per-user menu (LINE shows the
        per-user menu from then on). Returns the postback event's ``params``."""
        with self._lock:
            channel = self._channel(channel_id)
            menu_id = channel.rich_menu_aliases.get(alias_id)
            if menu_id is None:
                return {"status": SWITCH_ALIAS_NOT_FOUND}
            if menu_id not in channel.rich_menus:
                return {"status": SWITCH_MENU_NOT_FOUND}
            channel.user_rich_menus[user_id] = menu_id
            return {"newRichMenuAliasId": alias_id, "status": SWITCH_SUCCESS}

    def _postback(self, channel_id: str, user_id: str, data: str, params: Json | None, shown: str | None) -> int:
        """A postback event; the friend's chat shows ``shown`` (a ``displayText``) only when given, as in LINE."""
        with self._lock:
            channel = self._channel(channel_id)
            self._ensure_user(user_id)
            event = self._event(channel, "postback", user_id, reply=True)
            event["postback"] = {"data": data}
            if params:
                event["postback"]["params"] = params
            if shown:
                self._record_action(channel_id, user_id, "postback", shown)
        return self._send_events(channel_id, [event]).status

    def send_events(self, channel_id: str, events: list[Json]) -> int:
        """Sends arbitrary (already built) events, e.g. an unknown event type, signed like the others."""
        return self._send_events(channel_id, events).status

    def redeliver(self, webhook_event_id: str) -> int:
        """Sends an earlier event again with ``deliveryContext.isRedelivery: true`` (same webhookEventId)."""
        with self._lock:
            for record in reversed(self._webhooks):
                for event in record.body.get("events", []):
                    if event.get("webhookEventId") == webhook_event_id:
                        again = json.loads(json.dumps(event))
                        again["deliveryContext"] = {"isRedelivery": True}
                        channel_id = record.channel_id
                        break
                else:
                    continue
                break
            else:
                raise KeyError(f"no webhook event {webhook_event_id}")
        return self._send_events(channel_id, [again]).status

    def verify_webhook(self, channel_id: str) -> int:
        """The console's "verify" button: ``{"destination": ..., "events": []}``."""
        return self._send_events(channel_id, []).status

    def last_event(self, channel_id: str | None = None, user_id: str | None = None) -> Json | None:
        """The newest event sent (with its replyToken and webhookEventId), optionally for one channel/user."""
        with self._lock:
            for record in reversed(self._webhooks):
                if channel_id is not None and record.channel_id != channel_id:
                    continue
                for event in reversed(record.body.get("events", [])):
                    if user_id is None or event.get("source", {}).get("userId") == user_id:
                        return dict(event)
            return None

    def _event(self, channel: Channel, kind: str, user_id: str, reply: bool) -> Json:
        now = clock.now()
        token = None
        if reply:
            token = webhook.reply_token()
            self._reply_tokens[token] = ReplyToken(channel.channel_id, user_id, now)
        return webhook.base_event(kind, user_id, now, token)

    def _read_token(self, channel_id: str, user_id: str) -> str:
        """A message event's ``markAsReadToken``, for the message recorded next (no expiry, as LINE's)."""
        token = webhook.mark_as_read_token()
        self._read_tokens[token] = ReadToken(channel_id, user_id, self._seq + 1)
        return token

    def _record_action(self, channel_id: str, user_id: str, kind: str, text: str | None) -> None:
        self._actions.append(UserAction(self._next_seq(), channel_id, user_id, kind, text, clock.now()))

    def _send_events(self, channel_id: str, events: list[Json], url: str | None = None) -> webhook.Outcome:
        """Signs and POSTs to the webhook URL (or ``url``) without holding the lock (the bot may call back)."""
        with self._lock:
            channel = self._channel(channel_id)
            url, secret, destination = url or channel.webhook_url, channel.channel_secret, channel.bot_user_id
        body = {"destination": destination, "events": events}
        started = time.monotonic()
        if url:
            outcome = webhook.post(url, secret, webhook.encode(body), self.webhook_timeout_s)
        else:
            outcome = webhook.Outcome(0, "COULD_NOT_CONNECT", "no webhook URL")
        elapsed_ms = (time.monotonic() - started) * 1000
        with self._lock:
            self._webhooks.append(
                WebhookRecord(
                    self._next_seq(), channel_id, body, outcome.status, outcome.reason, outcome.detail, elapsed_ms,
                    clock.now(),
                )
            )
        return outcome

    # ------------------------------------------------------------------ the friend reads and taps (aggregation units)
    def phone_seen(self, channel_id: str, user_id: str, seqs: Iterable[int]) -> int:
        """The phone page showed these bot messages: one impression each (the first time), for a unit's message."""
        wanted = {int(s) for s in seqs}
        counted = 0
        with self._lock:
            now = clock.now()
            for d in self._deliveries:
                if d.seq in wanted and d.channel_id == channel_id and d.user_id == user_id and d.status == "delivered":
                    counted += self.units.impression(channel_id, user_id, d.seq, d.unit, d.bubble, now)
        return counted

    def phone_open(self, channel_id: str, user_id: str, seq: int, url: str) -> str:
        """The friend opened ``url`` from the bot message ``seq``: a click for its unit. Only a URL that message
        carries is opened (the page is no open redirect)."""
        with self._lock:
            found = next((d for d in self._deliveries if d.seq == int(seq) and d.channel_id == channel_id
                          and d.user_id == user_id and d.status == "delivered"), None)
            if found is None or url not in urls_in(found.message):
                raise ValueError("that message has no such URL")
            self.units.impression(channel_id, user_id, found.seq, found.unit, found.bubble, clock.now())
            self.units.click(channel_id, user_id, found.unit, found.bubble, url, clock.now())
        return url

    # ------------------------------------------------------------------ the phone page's feed
    def phone_state(self, channel_id: str, user_id: str, after: int = 0) -> Json:
        with self._lock:
            channel = self._channel(channel_id)
            user = self._ensure_user(user_id)
            items: list[Json] = []
            for d in self._deliveries:
                if d.channel_id == channel_id and d.user_id == user_id and d.status == "delivered" and d.seq > after:
                    items.append({"seq": d.seq, "from": "bot", "message": d.message, "at": d.at.isoformat()})
            for a in self._actions:
                if a.channel_id == channel_id and a.user_id == user_id and a.seq > after:
                    items.append({"seq": a.seq, "from": "user", "kind": a.kind, "text": a.text, "at": a.at.isoformat()})
            items.sort(key=lambda item: int(item["seq"]))
            return {
                "channel": {"channelId": channel_id, "displayName": channel.display_name},
                "user": user.profile(),
                "following": user_id in channel.followers,
                "items": items,
                "last": self._seq,
                "richMenu": self.phone_rich_menu(channel_id, user_id),
            }
