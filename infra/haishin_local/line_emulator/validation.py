"""Request validation with LINE's error shape: ``{"message": "The request body has N error(s)", "details": [...]}``.

Only the rules that matter for catching real bugs are checked (required fields, sizes, known types); the goal is
that a body the emulator accepts is one LINE would accept too, not a full reimplementation of LINE's validator.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from typing import Any

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_MULTICAST_TO = 500
MAX_BULK_RICHMENU = 500
MAX_ALT_TEXT = 1500
MAX_URL = 2000
MAX_QUICK_REPLY_ITEMS = 13
MAX_WEBHOOK_URL = 500
MAX_DELIVERY_TAG = 30
# Rich menu object (https://developers.line.biz/en/reference/messaging-api/#rich-menu-object): width 800-2500 px,
# height at least 250 px, width / height at least 1.45, at most 20 areas, name <= 300, chatBarText <= 14 characters.
RICH_MENU_MIN_WIDTH = 800
RICH_MENU_MAX_WIDTH = 2500
RICH_MENU_MIN_HEIGHT = 250
RICH_MENU_MIN_RATIO = 1.45
MAX_RICH_MENU_AREAS = 20
# customAggregationUnits (push, multicast): at most one unit, 1-30 characters of [a-zA-Z0-9_].
MAX_AGGREGATION_UNITS = 1
AGGREGATION_UNIT = re.compile(r"[a-zA-Z0-9_]{1,30}")

MESSAGE_TYPES = (
    "text",
    "textV2",
    "image",
    "video",
    "audio",
    "location",
    "sticker",
    "imagemap",
    "template",
    "flex",
    "coupon",
)
TEMPLATE_TYPES = ("buttons", "confirm", "carousel", "image_carousel")
ACTION_TYPES = (
    "postback",
    "message",
    "uri",
    "datetimepicker",
    "camera",
    "cameraRoll",
    "location",
    "richmenuswitch",
    "clipboard",
)
# camera, cameraRoll and location actions "can be configured only with quick reply buttons".
RICH_MENU_ACTION_TYPES = ("postback", "message", "uri", "datetimepicker", "richmenuswitch", "clipboard")
URI_ACTION_SCHEMES = ("http", "https", "line", "tel")
_HOST_LABELS = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?")

Detail = dict[str, str]


def _path(prop: str, key: str) -> str:
    return f"{prop}.{key}" if prop else key


def is_https_url(value: Any, allow_http: bool = False, max_len: int = MAX_WEBHOOK_URL) -> bool:
    """A well-formed absolute https URL of at most ``max_len`` characters (what LINE accepts as a webhook URL).

    Refused: other schemes (http unless ``allow_http``), no host, spaces or control characters anywhere, a port that
    is not a number in range, a broken IPv6 literal, a host name that is not DNS-shaped.
    """
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        return False
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        return False
    if parts.scheme not in (("https", "http") if allow_http else ("https",)):
        return False
    host = parts.hostname
    if not host:
        return False
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return _HOST_LABELS.fullmatch(ascii_host) is not None


class Problems:
    """Collects ``details`` entries in LINE's format."""

    def __init__(self, allow_http_urls: bool = False) -> None:
        self.details: list[Detail] = []
        self.allow_http_urls = allow_http_urls

    def add(self, prop: str, message: str) -> None:
        self.details.append({"message": message, "property": prop})

    def body(self) -> dict[str, Any]:
        return {"message": f"The request body has {len(self.details)} error(s)", "details": self.details}

    def __bool__(self) -> bool:
        return bool(self.details)

    # small typed checks -------------------------------------------------------------------------------------
    def require_str(self, obj: dict[str, Any], key: str, prop: str, max_len: int | None = None) -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            self.add(_path(prop, key), "must be specified")
            return None
        if not isinstance(value, str):
            self.add(_path(prop, key), "must be a string")
            return None
        if max_len is not None and len(value) > max_len:
            self.add(_path(prop, key), f"Length must be between 0 and {max_len}")
        return value

    def require_url(self, obj: dict[str, Any], key: str, prop: str) -> None:
        value = self.require_str(obj, key, prop, MAX_URL)
        if value is None:
            return
        ok = value.startswith("https://") or (self.allow_http_urls and value.startswith("http://"))
        if not ok:
            self.add(_path(prop, key), "must be non-empty and a valid HTTPS URL")

    def require_number(self, obj: dict[str, Any], key: str, prop: str) -> None:
        value = obj.get(key)
        if value is None:
            self.add(_path(prop, key), "must be specified")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            self.add(_path(prop, key), "must be a number")

    def require_int(self, obj: dict[str, Any], key: str, prop: str, lo: int) -> int | None:
        """An integer (JSON number without a fraction, not a boolean) of at least ``lo``; None when it is not."""
        value = obj.get(key)
        if value is None:
            self.add(_path(prop, key), "must be specified")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(_path(prop, key), "must be an integer")
            return None
        if value < lo:
            self.add(_path(prop, key), f"must be greater than or equal to {lo}")
            return None
        return value

    def require_list(self, obj: dict[str, Any], key: str, prop: str, lo: int, hi: int) -> list[Any] | None:
        value = obj.get(key)
        if value is None:
            self.add(_path(prop, key), "must be specified")
            return None
        if not isinstance(value, list):
            self.add(_path(prop, key), "must be an array")
            return None
        if not lo <= len(value) <= hi:
            self.add(_path(prop, key), f"Size must be between {lo} and {hi}")
        return value


def validate_messages(body: dict[str, Any], problems: Problems) -> list[dict[str, Any]]:
    """Checks ``body["messages"]``; returns the list (possibly invalid: look at ``problems``)."""
    messages = body.get("messages")
    if messages is None:
        problems.add("messages", "must be specified")
        return []
    if not isinstance(messages, list):
        problems.add("messages", "must be an array")
        return []
    if not 1 <= len(messages) <= MAX_MESSAGES:
        problems.add("messages", f"Size must be between 1 and {MAX_MESSAGES}")
        return messages
    for index, message in enumerate(messages):
        _validate_message(message, f"messages[{index}]", problems)
    return messages


def _validate_message(message: Any, prop: str, p: Problems) -> None:
    if not isinstance(message, dict):
        p.add(prop, "must be an object")
        return
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        p.add(f"{prop}.type", "must be one of [" + ", ".join(MESSAGE_TYPES) + "]")
        return
    if kind in ("text", "textV2"):
        p.require_str(message, "text", prop, MAX_TEXT)
    elif kind in ("image", "video"):
        p.require_url(message, "originalContentUrl", prop)
        p.require_url(message, "previewImageUrl", prop)
    elif kind == "audio":
        p.require_url(message, "originalContentUrl", prop)
        p.require_number(message, "duration", prop)
    elif kind == "location":
        p.require_str(message, "title", prop, 100)
        p.require_str(message, "address", prop, 100)
        p.require_number(message, "latitude", prop)
        p.require_number(message, "longitude", prop)
    elif kind == "sticker":
        p.require_str(message, "packageId", prop)
        p.require_str(message, "stickerId", prop)
    elif kind == "imagemap":
        p.require_url(message, "baseUrl", prop)
        p.require_str(message, "altText", prop, MAX_ALT_TEXT)
        size = message.get("baseSize")
        if not isinstance(size, dict):
            p.add(f"{prop}.baseSize", "must be specified")
        else:
            p.require_number(size, "width", f"{prop}.baseSize")
            p.require_number(size, "height", f"{prop}.baseSize")
        p.require_list(message, "actions", prop, 0, 50)
    elif kind == "template":
        p.require_str(message, "altText", prop, 400)
        _validate_template(message.get("template"), f"{prop}.template", p)
    elif kind == "coupon":
        p.require_str(message, "couponId", prop)
        if message.get("deliveryTag") is not None:
            p.require_str(message, "deliveryTag", prop, MAX_DELIVERY_TAG)
    elif kind == "flex":
        p.require_str(message, "altText", prop, MAX_ALT_TEXT)
        contents = message.get("contents")
        if not isinstance(contents, dict):
            p.add(f"{prop}.contents", "must be specified")
        elif contents.get("type") not in ("bubble", "carousel"):
            p.add(f"{prop}.contents.type", "must be one of [bubble, carousel]")
    quick = message.get("quickReply")
    if quick is not None:
        if not isinstance(quick, dict):
            p.add(f"{prop}.quickReply", "must be an object")
        else:
            items = p.require_list(quick, "items", f"{prop}.quickReply", 1, MAX_QUICK_REPLY_ITEMS) or []
            for index, item in enumerate(items):
                item_prop = f"{prop}.quickReply.items[{index}]"
                if not isinstance(item, dict) or item.get("type") != "action":
                    p.add(f"{item_prop}.type", "must be action")
                    continue
                _validate_action(item.get("action"), f"{item_prop}.action", p)


def _validate_template(template: Any, prop: str, p: Problems) -> None:
    if not isinstance(template, dict):
        p.add(prop, "must be specified")
        return
    kind = template.get("type")
    if kind not in TEMPLATE_TYPES:
        p.add(f"{prop}.type", "must be one of [" + ", ".join(TEMPLATE_TYPES) + "]")
        return
    if kind == "buttons":
        p.require_str(template, "text", prop, 160)
        for index, action in enumerate(p.require_list(template, "actions", prop, 1, 4) or []):
            _validate_action(action, f"{prop}.actions[{index}]", p)
    elif kind == "confirm":
        p.require_str(template, "text", prop, 240)
        for index, action in enumerate(p.require_list(template, "actions", prop, 2, 2) or []):
            _validate_action(action, f"{prop}.actions[{index}]", p)
    else:
        columns = p.require_list(template, "columns", prop, 1, 10) or []
        for index, column in enumerate(columns):
            column_prop = f"{prop}.columns[{index}]"
            if not isinstance(column, dict):
                p.add(column_prop, "must be an object")
                continue
            if kind == "image_carousel":
                p.require_url(column, "imageUrl", column_prop)
                _validate_action(column.get("action"), f"{column_prop}.action", p)
            else:
                p.require_str(column, "text", column_prop, 120)
                for a_index, action in enumerate(p.require_list(column, "actions", column_prop, 1, 3) or []):
                    _validate_action(action, f"{column_prop}.actions[{a_index}]", p)


def _validate_action(action: Any, prop: str, p: Problems, allowed: tuple[str, ...] = ACTION_TYPES) -> None:
    if not isinstance(action, dict):
        p.add(prop, "must be specified")
        return
    kind = action.get("type")
    if kind not in allowed:
        p.add(f"{prop}.type", "must be one of [" + ", ".join(allowed) + "]")
        return
    if kind == "postback":
        p.require_str(action, "data", prop, 300)
    elif kind == "message":
        p.require_str(action, "text", prop, 300)
    elif kind == "uri":
        uri = p.require_str(action, "uri", prop, 1000)
        if uri is not None and urllib.parse.urlsplit(uri).scheme.lower() not in URI_ACTION_SCHEMES:
            p.add(f"{prop}.uri", "invalid uri")
    elif kind == "datetimepicker":
        p.require_str(action, "data", prop, 300)
        p.require_str(action, "mode", prop)
    elif kind == "richmenuswitch":
        p.require_str(action, "richMenuAliasId", prop, 32)
        p.require_str(action, "data", prop, 300)
    elif kind == "clipboard":
        p.require_str(action, "clipboardText", prop, 1000)


def validate_aggregation_units(body: dict[str, Any], problems: Problems) -> None:
    """``customAggregationUnits`` (push and multicast): optional; at most one unit name of 1-30 ``[a-zA-Z0-9_]``."""
    if body.get("customAggregationUnits") is None:
        return
    units = problems.require_list(body, "customAggregationUnits", "", 0, MAX_AGGREGATION_UNITS)
    for index, unit in enumerate(units or []):
        if not isinstance(unit, str) or AGGREGATION_UNIT.fullmatch(unit) is None:
            problems.add(f"customAggregationUnits[{index}]", "must match ^[a-zA-Z0-9_]{1,30}$")


def validate_rich_menu(menu: dict[str, Any], p: Problems) -> None:
    """A rich menu object as ``POST /v2/bot/richmenu`` and ``POST /v2/bot/richmenu/validate`` take it."""
    width = height = None
    size = menu.get("size")
    if not isinstance(size, dict):
        p.add("size", "must be specified")
    else:
        width = p.require_int(size, "width", "size", 1)
        height = p.require_int(size, "height", "size", 1)
        if width is not None and not RICH_MENU_MIN_WIDTH <= width <= RICH_MENU_MAX_WIDTH:
            p.add("size.width", f"must be between {RICH_MENU_MIN_WIDTH} and {RICH_MENU_MAX_WIDTH}")
            width = None
        if height is not None and height < RICH_MENU_MIN_HEIGHT:
            p.add("size.height", f"must be greater than or equal to {RICH_MENU_MIN_HEIGHT}")
            height = None
        if width is not None and height is not None and width / height < RICH_MENU_MIN_RATIO:
            p.add("size", f"aspect ratio (width / height) must be at least {RICH_MENU_MIN_RATIO}")
    selected = menu.get("selected")
    if selected is None:
        p.add("selected", "must be specified")
    elif not isinstance(selected, bool):
        p.add("selected", "must be a boolean")
    p.require_str(menu, "name", "", 300)
    p.require_str(menu, "chatBarText", "", 14)
    areas = p.require_list(menu, "areas", "", 0, MAX_RICH_MENU_AREAS) or []
    for index, area in enumerate(areas):
        area_prop = f"areas[{index}]"
        if not isinstance(area, dict):
            p.add(area_prop, "must be an object")
            continue
        _validate_bounds(area.get("bounds"), f"{area_prop}.bounds", width, height, p)
        _validate_action(area.get("action"), f"{area_prop}.action", p, RICH_MENU_ACTION_TYPES)


def _validate_bounds(bounds: Any, prop: str, width: int | None, height: int | None, p: Problems) -> None:
    """x, y >= 0, width, height >= 1, and the area inside the menu (checked when the menu's size itself is valid)."""
    if not isinstance(bounds, dict):
        p.add(prop, "must be specified")
        return
    x = p.require_int(bounds, "x", prop, 0)
    y = p.require_int(bounds, "y", prop, 0)
    w = p.require_int(bounds, "width", prop, 1)
    h = p.require_int(bounds, "height", prop, 1)
    if x is None or y is None or w is None or h is None or width is None or height is None:
        return
    if x + w > width or y + h > height:
        p.add(prop, f"must be inside the rich menu ({width}x{height})")


# ---------------------------------------------------------------------------------------------------------- chat
LOADING_MIN_S = 5
LOADING_MAX_S = 60
LOADING_STEP_S = 5


def validate_mark_as_read(body: dict[str, Any], problems: Problems) -> str | None:
    """``{"markAsReadToken": "..."}`` (POST /v2/bot/chat/markAsRead)."""
    return problems.require_str(body, "markAsReadToken", "")


def validate_loading(body: dict[str, Any], problems: Problems) -> tuple[str | None, int | None]:
    """``{"chatId": userId, "loadingSeconds": 5..60, a multiple of 5}`` (POST /v2/bot/chat/loading/start).

    Only a 1:1 chat: a group (``C...``) or room (``R...``) ID is refused. ``loadingSeconds`` may be left out."""
    chat_id = problems.require_str(body, "chatId", "")
    if chat_id is not None and chat_id[:1] in ("C", "R"):
        problems.add("chatId", "only a user ID (a 1:1 chat) can show the loading animation")
    seconds = body.get("loadingSeconds")
    if seconds is None:
        return chat_id, None
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        problems.add("loadingSeconds", "must be an integer")
        return chat_id, None
    if not LOADING_MIN_S <= seconds <= LOADING_MAX_S or seconds % LOADING_STEP_S:
        problems.add("loadingSeconds",
                     f"must be a multiple of {LOADING_STEP_S} from {LOADING_MIN_S} to {LOADING_MAX_S}")
        return chat_id, None
    return chat_id, seconds
