"""The one LINE Messaging API client, over line-bot-sdk v3, pointed at ``settings().line_api_base``.

line-bot-sdk costs about 1.6 s to import, so it is imported on first use, never at module import; the webhook
path never imports this module at all. Every error becomes a ``LineApiError`` that says whether a retry can help:
LINE asks to retry only on 5xx and timeouts; 429 is retried with backoff; 409 on a retry key means "already
accepted" and is reported as success by the callers that send with a key.

Reads (bot info, profile, quota) are made while someone waits (an admin request inside API Gateway's 30 s, the
marketer's "send now"): a 429 or 5xx is retried with full jitter (``haishin.retry``) for at most
``READ_BUDGET_S``; a longer outage becomes ``LineUnavailable`` (503, a Japanese message), never LINE's raw text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from haishin import clock
from haishin.config import settings
from haishin.errors import ExternalServiceError
from haishin.line import units as line_units
from haishin.retry import BudgetSpent, with_backoff
from haishin.secrets import secret_name

MAX_MESSAGES_PER_SEND = 5
MAX_MULTICAST_RECIPIENTS = 500
_TIMEOUT = (3.05, 15.0)  # connect, read (seconds)
_READ_TIMEOUT = (3.05, 4.0)  # reads someone waits for
READ_BUDGET_S = 5.0  # retrying a read (429/5xx/timeouts) inside a request's budget (API Gateway: 30 s)
LOADING_SECONDS = 5  # the loading animation's default length (it ends earlier when the bot's message arrives)
log = logging.getLogger(__name__)
LINE_UNAVAILABLE_JA = "LINE が混み合っているか一時的に応答していません。少し時間をおいてから、もう一度お試しください。"


class LineApiError(ExternalServiceError):
    def __init__(self, status: int | None, message: str, *, request_id: str | None = None,
                 details: Any = None) -> None:
        super().__init__(message, where=f"LINE API (HTTP {status})" if status else "LINE API", details=details)
        self.status = status
        self.request_id = request_id

    @property
    def retryable(self) -> bool:
        """5xx, 429 and timeouts (status None) may succeed later; other 4xx will not."""
        return self.status is None or self.status == 429 or self.status >= 500

    @property
    def already_accepted(self) -> bool:
        return self.status == 409

    @property
    def throttled(self) -> bool:
        return self.status == 429


def is_reply_token_gone(error: LineApiError) -> bool:
    """LINE refused a reply because its token was used, expired or unknown (``400 Invalid reply token``): the same
    messages may still go by push."""
    return error.status == 400 and "reply token" in (error.message or "").lower()


class LineUnavailable(ExternalServiceError):
    """LINE kept answering 429/5xx (or nothing) for longer than a read may wait: try again later."""

    code = "line_unavailable"
    http_status = 503

    def __init__(self, last: LineApiError) -> None:
        super().__init__(LINE_UNAVAILABLE_JA, where="LINE API",
                         details={"status": last.status, "request_id": last.request_id})
        self.last = last


@dataclass(frozen=True)
class SendResult:
    request_id: str | None
    # True when LINE answered 409 to a retry key: an earlier attempt was accepted, nothing was sent twice.
    already_accepted: bool = False
    # the aggregation unit the message went out with (None: none asked for, or LINE refused it and it went without)
    unit: str | None = None


def is_unit_refused(error: LineApiError) -> bool:
    """LINE refused the request because of its ``customAggregationUnits`` (a bad name, or the month's 1,000 unit
    names used up): the same messages go again without a unit."""
    if error.status != 400:
        return False
    body = error.details
    text = (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")) + (error.message or "")
    return "customAggregationUnits" in text or "aggregation unit" in text.lower()


_sdk_lock = threading.Lock()
_sdk: Any = None
_insight_sdk: Any = None


def _messaging() -> Any:
    global _sdk
    if _sdk is None:
        with _sdk_lock:
            if _sdk is None:
                import linebot.v3.messaging as sdk  # noqa: PLC0415 - 1.6 s import, only where LINE is called

                _sdk = sdk
    return _sdk


def _insight() -> Any:
    global _insight_sdk
    if _insight_sdk is None:
        with _sdk_lock:
            if _insight_sdk is None:
                from linebot.v3 import insight  # noqa: PLC0415 - part of line-bot-sdk, only where LINE is read

                _insight_sdk = insight
    return _insight_sdk


class LineClient:
    """One channel's client. Construct with its access token; reuse across invocations (keeps connections)."""

    def __init__(self, access_token: str, *, base_url: str | None = None) -> None:
        sdk = _messaging()
        configuration = sdk.Configuration(host=base_url or settings().line_api_base, access_token=access_token)
        self._api_client = sdk.ApiClient(configuration)
        self._api = sdk.MessagingApi(self._api_client)
        self._configuration = configuration
        self._insight_api: Any = None
        self._blob_api: Any = None
        # aggregation units this container saw LINE refuse (bad name or the month's limit), and the month LINE said
        # the limit was reached: a unit not known to be in use is then not asked for again this month
        self._units_lock = threading.Lock()
        self._units_used: dict[str, set[str]] = {}
        self._units_refused: dict[str, set[str]] = {}
        self._units_full: set[str] = set()
        self.read_budget_s = READ_BUDGET_S
        self.sleep: Callable[[float], None] = time.sleep
        self.monotonic: Callable[[], float] = time.monotonic

    # ------------------------------------------------------------------ helpers
    def _call(self, method: str, *args: Any, timeout: tuple[float, float] = _TIMEOUT, api: Any = None,
              **kwargs: Any) -> Any:
        sdk = _messaging()
        errors = (sdk.ApiException,) if api is None else (sdk.ApiException, _insight().ApiException)
        try:
            return getattr(api or self._api, method)(*args, _request_timeout=timeout, **kwargs)
        except errors as exc:
            headers = exc.headers or {}
            raise LineApiError(
                exc.status, _error_message(exc.body), request_id=headers.get("x-line-request-id"),
                details=exc.body,
            ) from exc
        except Exception as exc:  # urllib3 timeouts and connection errors: retryable, status unknown
            transport = type(exc).__module__.startswith(("urllib3", "socket", "http"))
            if transport or isinstance(exc, OSError | TimeoutError):
                raise LineApiError(None, f"no answer from LINE: {type(exc).__name__}") from exc
            raise

    def _read(self, method: str, *args: Any, deadline: float | None = None, api: Any = None) -> Any:
        """A read someone waits for: 429/5xx/timeouts retried with full jitter for ``read_budget_s`` (or until
        ``deadline``, shared by the reads of one answer)."""
        try:
            return with_backoff(lambda: self._call(method, *args, timeout=_READ_TIMEOUT, api=api),
                                deadline=deadline if deadline is not None else self.monotonic() + self.read_budget_s,
                                base_delay=0.25, max_delay=2.0,
                                sleep=self.sleep, monotonic=self.monotonic)
        except BudgetSpent as spent:
            assert isinstance(spent.error, LineApiError)
            raise LineUnavailable(spent.error) from spent.error

    def _send(self, method: str, request: Any, retry_key: str | None) -> SendResult:
        try:
            response = self._call(method, request, x_line_retry_key=retry_key)
        except LineApiError as error:
            if error.already_accepted and retry_key:
                return SendResult(request_id=error.request_id, already_accepted=True)
            raise
        return SendResult(request_id=(response.headers or {}).get("x-line-request-id"))

    @staticmethod
    def _check_messages(messages: list[dict[str, Any]]) -> None:
        if not 1 <= len(messages) <= MAX_MESSAGES_PER_SEND:
            raise ValueError(f"LINE sends 1 to {MAX_MESSAGES_PER_SEND} messages at once, not {len(messages)}")

    # ------------------------------------------------------------------ sending
    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
             unit: str | None = None) -> SendResult:
        """``unit``: LINE's aggregation unit (``haishin.line.units``) for its per-unit statistics, if it can be had."""
        self._check_messages(messages)
        return self._send_with_unit("push_message_with_http_info", "PushMessageRequest",
                                    {"to": to, "messages": messages}, retry_key, unit)

    def multicast(self, to: list[str], messages: list[dict[str, Any]], *, retry_key: str | None = None,
                  unit: str | None = None) -> SendResult:
        self._check_messages(messages)
        if not 1 <= len(to) <= MAX_MULTICAST_RECIPIENTS:
            raise ValueError(f"multicast takes 1 to {MAX_MULTICAST_RECIPIENTS} user IDs, not {len(to)}")
        return self._send_with_unit("multicast_with_http_info", "MulticastRequest",
                                    {"to": to, "messages": messages}, retry_key, unit)

    def _send_with_unit(self, method: str, model: str, body: dict[str, Any], retry_key: str | None,
                        unit: str | None) -> SendResult:
        """The send, with ``customAggregationUnits`` when ``unit`` may be had. Statistics never cost a delivery: a
        unit LINE refuses (a bad name; the month's 1,000 names used up) is logged and the same request goes again
        without it, with the same retry key (LINE keeps a key only for a request it accepted)."""
        month = line_units.month_of(clock.now())
        unit = unit if unit and self._unit_allowed(unit, month) else None
        if unit is None:
            return self._send(method, getattr(_messaging(), model).from_dict(body), retry_key)
        try:
            result = self._send(method, getattr(_messaging(), model).from_dict(
                {**body, "customAggregationUnits": [unit]}), retry_key)
        except LineApiError as error:
            if not is_unit_refused(error):
                raise
            self._unit_refused(unit, month, error)
            return self._send(method, getattr(_messaging(), model).from_dict(body), retry_key)
        with self._units_lock:
            self._units_used.setdefault(month, set()).add(unit)
        return SendResult(result.request_id, result.already_accepted, unit=unit)

    def _unit_allowed(self, unit: str, month: str) -> bool:
        if line_units.UNIT_NAME.fullmatch(unit) is None:
            log.warning("aggregation unit %r is not a name LINE takes; sent without it", unit)
            return False
        with self._units_lock:
            if unit in self._units_refused.get(month, ()):
                return False
            return month not in self._units_full or unit in self._units_used.get(month, ())

    def _unit_refused(self, unit: str, month: str, error: LineApiError) -> None:
        log.warning("LINE refused aggregation unit %s (%s); the message was sent without it, so LINE's statistics "
                    "will not count it", unit, error.message)
        with self._units_lock:
            for stale in [m for m in self._units_refused if m != month]:
                self._units_refused.pop(stale, None)
                self._units_used.pop(stale, None)
            self._units_refused.setdefault(month, set()).add(unit)
            if "limit" in (error.message or "").lower():
                self._units_full.add(month)

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        self._check_messages(messages)
        request = _messaging().ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        response = self._call("reply_message_with_http_info", request)
        return SendResult(request_id=(response.headers or {}).get("x-line-request-id"))

    # ------------------------------------------------------------------ the 1:1 chat
    def mark_as_read(self, mark_as_read_token: str) -> None:
        """Marks the friend's message that carried ``mark_as_read_token`` (a message event's ``markAsReadToken``)
        and every earlier one of the chat as read. Tokens do not expire. Not retried: the caller decides."""
        request = _messaging().MarkMessagesAsReadByTokenRequest.from_dict({"markAsReadToken": mark_as_read_token})
        self._call("mark_messages_as_read_by_token", request, timeout=_READ_TIMEOUT)

    def show_loading(self, user_id: str, seconds: int = LOADING_SECONDS) -> None:
        """LINE's loading animation in a 1:1 chat for ``seconds`` (5-60, a multiple of 5), or until the bot's next
        message arrives. Shown only while the friend has the chat open. Not retried: it is a courtesy."""
        if not 5 <= seconds <= 60 or seconds % 5:
            raise ValueError(f"the loading animation lasts 5 to 60 seconds in steps of 5, not {seconds}")
        request = _messaging().ShowLoadingAnimationRequest.from_dict({"chatId": user_id, "loadingSeconds": seconds})
        self._call("show_loading_animation", request, timeout=_READ_TIMEOUT)

    # ------------------------------------------------------------------ reading
    def bot_info(self) -> dict[str, Any]:
        return dict(self._read("get_bot_info").to_dict())

    def profile(self, user_id: str) -> dict[str, Any]:
        return dict(self._read("get_profile", user_id).to_dict())

    def quota(self) -> dict[str, Any]:
        """{"type": "limited"|"none", "value": monthly limit or None, "totalUsage": used this month}."""
        deadline = self.monotonic() + self.read_budget_s  # one budget for both reads
        quota = self._read("get_message_quota", deadline=deadline).to_dict()
        consumption = self._read("get_message_quota_consumption", deadline=deadline).to_dict()
        return {"type": quota.get("type"), "value": quota.get("value"), "totalUsage": consumption.get("totalUsage")}

    # ------------------------------------------------------------------ per-unit statistics
    def _insight_client(self) -> Any:
        if self._insight_api is None:
            insight = _insight()
            self._insight_api_client = insight.ApiClient(insight.Configuration(
                host=self._configuration.host, access_token=self._configuration.access_token))
            self._insight_api = insight.Insight(self._insight_api_client)
        return self._insight_api

    def unit_statistics(self, unit: str, since: str, until: str) -> dict[str, Any]:
        """LINE's statistics of one aggregation unit between two dates (``yyyyMMdd``, Japan time, at most 30 days
        apart): ``{"overview": {...}, "messages": [...], "clicks": [...]}`` in LINE's camelCase; a figure below 20
        users is None (LINE's privacy rule)."""
        response = self._read("get_statistics_per_unit", unit, since, until, api=self._insight_client())
        return dict(response.to_dict())

    def units_used_this_month(self) -> int:
        """How many aggregation unit names the channel used this month (LINE's limit: 1,000)."""
        return int(self._read("get_aggregation_unit_usage").to_dict().get("numOfCustomAggregationUnits") or 0)

    def unit_names_this_month(self, *, limit: int = 100, start: str | None = None) -> tuple[list[str], str | None]:
        """One page of the unit names used this month, and the token for the next page (None: no more)."""
        body = self._read("get_aggregation_unit_name_list", str(limit), start).to_dict()
        return list(body.get("customAggregationUnits") or []), body.get("next")

    # ------------------------------------------------------------------ rich menus (haishin.richmenus)
    def _blob_client(self) -> Any:
        """MessagingApiBlob on the api-data host (where LINE takes rich menu images)."""
        if self._blob_api is None:
            sdk = _messaging()
            self._blob_api_client = sdk.ApiClient(sdk.Configuration(
                host=settings().line_data_api_base, access_token=self._configuration.access_token))
            self._blob_api = sdk.MessagingApiBlob(self._blob_api_client)
        return self._blob_api

    def create_rich_menu(self, body: dict[str, Any]) -> str:
        """A rich menu (LINE's JSON: size, selected, name, chatBarText, areas); its ``richMenuId``."""
        request = _messaging().RichMenuRequest.from_dict(body)
        return str(self._call("create_rich_menu", request).rich_menu_id)

    def upload_rich_menu_image(self, rich_menu_id: str, content_type: str, data: bytes) -> None:
        """The menu's image (JPEG or PNG, at most 1 MB), to the api-data host. A menu takes one image, once."""
        self._call("set_rich_menu_image", rich_menu_id, bytes(data), api=self._blob_client(),
                   _headers={"Content-Type": content_type})

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        """Deletes the menu; LINE drops every per-user link to it (those friends see the default menu)."""
        self._call("delete_rich_menu", rich_menu_id)

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        self._call("set_default_rich_menu", rich_menu_id)

    def cancel_default_rich_menu(self) -> None:
        self._call("cancel_default_rich_menu")

    def create_rich_menu_alias(self, alias_id: str, rich_menu_id: str) -> None:
        request = _messaging().CreateRichMenuAliasRequest.from_dict(
            {"richMenuAliasId": alias_id, "richMenuId": rich_menu_id})
        self._call("create_rich_menu_alias", request)

    def update_rich_menu_alias(self, alias_id: str, rich_menu_id: str) -> None:
        request = _messaging().UpdateRichMenuAliasRequest.from_dict({"richMenuId": rich_menu_id})
        self._call("update_rich_menu_alias", alias_id, request)

    def delete_rich_menu_alias(self, alias_id: str) -> None:
        self._call("delete_rich_menu_alias", alias_id)

    def rich_menu_insight(self, rich_menu_id: str, since: str, until: str) -> dict[str, Any]:
        """LINE's statistics of one rich menu made with the Messaging API between two days (``yyyyMMdd``, Japan
        time): impressions of the menu and clicks per area (by bounds), LINE's camelCase. Below LINE's privacy
        threshold only ``richMenuId`` comes back. Aggregated by the next day."""
        return dict(self._read("get_rich_menu_insight_summary", rich_menu_id, since, until,
                               api=self._insight_client()).to_dict())

    # ------------------------------------------------------------------ rich menu links (menu rules)
    # Links are idempotent on LINE's side (linking the menu a user already has, or unlinking a user with none, is
    # harmless), so these take no retry key; callers retry 429/5xx with ``haishin.retry``.
    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        """Link one user to a rich menu (it overrides the channel's default for that user)."""
        self._call("link_rich_menu_id_to_user", user_id, rich_menu_id)

    def unlink_rich_menu(self, user_id: str) -> None:
        """Remove one user's per-user menu: the channel's default menu (if any) shows again. LINE answers 404 when
        the user has nothing linked; that is the wanted state, so it is success here."""
        try:
            self._call("unlink_rich_menu_id_from_user", user_id)
        except LineApiError as error:
            if error.status != 404:
                raise

    def link_rich_menu_to_users(self, rich_menu_id: str, user_ids: list[str]) -> None:
        """Link 1 to 500 users to one rich menu in one request (LINE's bulk link; 202 Accepted)."""
        if not 1 <= len(user_ids) <= MAX_MULTICAST_RECIPIENTS:
            raise ValueError(f"bulk link takes 1 to {MAX_MULTICAST_RECIPIENTS} user IDs, not {len(user_ids)}")
        request = _messaging().RichMenuBulkLinkRequest.from_dict({"richMenuId": rich_menu_id, "userIds": user_ids})
        self._call("link_rich_menu_id_to_users", request)

    def unlink_rich_menus(self, user_ids: list[str]) -> None:
        for start in range(0, len(user_ids), 500):
            request = _messaging().RichMenuBulkUnlinkRequest.from_dict({"userIds": user_ids[start : start + 500]})
            self._call("unlink_rich_menu_id_from_users", request)

    def close(self) -> None:
        self._api_client.close()
        if self._insight_api is not None:
            self._insight_api_client.close()
        if self._blob_api is not None:
            self._blob_api_client.close()


def _error_message(body: Any) -> str:
    import json  # noqa: PLC0415

    if isinstance(body, bytes | str):
        try:
            parsed = json.loads(body)
        except ValueError:
            return str(body)[:200] or "LINE answered with an error"
        message = parsed.get("message", "LINE answered with an error")
        details = parsed.get("details") or []
        if details:
            message += ": " + "; ".join(f"{d.get('property', '')} {d.get('message', '')}".strip() for d in details)
        return str(message)
    return "LINE answered with an error"


class LineClients:
    """Clients per channel, built from the channel's secret; cached per container."""

    def __init__(self, secrets: Any, channels: Any = None) -> None:
        self._secrets = secrets
        self._clients: dict[str, LineClient] = {}
        self._lock = threading.Lock()

    def for_channel(self, workspace_id: str, channel_id: str) -> LineClient:
        key = f"{workspace_id}/{channel_id}"
        with self._lock:
            client = self._clients.get(key)
        if client is None:

            token = self._secrets.get(secret_name(workspace_id, "line", channel_id))["access_token"]
            client = LineClient(token)
            with self._lock:
                self._clients[key] = client
        return client

    def forget(self, workspace_id: str, channel_id: str) -> None:
        """After a token rotation."""
        with self._lock:
            client = self._clients.pop(f"{workspace_id}/{channel_id}", None)
        if client:
            client.close()
