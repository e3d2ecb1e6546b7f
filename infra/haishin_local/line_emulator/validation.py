"""Request validation with LINE's error shape: ``{"message": "The request body has N error(s)", "details": [...]}``.

Only the rules that matter for catching real bugs are checked (required fields, sizes, known types); the goal is
that a body the emulator accepts is one LINE would accept too, not a full reimplementation of LINE's validator.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_MULTICAST_TO = 500
MAX_BULK_RICHMENU = 500
MAX_ALT_TEXT = 1500
MAX_URL = 2000
MAX_QUICK_REPLY_ITEMS = 13

MESSAGE_TYPES = ("text", "textV2", "image", "video", "audio", "location", "sticker", "imagemap", "template", "flex")
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

Detail = dict[str, str]


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
            self.add(f"{prop}.{key}", "must be specified")
            return None
        if not isinstance(value, str):
            self.add(f"{prop}.{key}", "must be a string")
            return None
        if max_len is not None and len(value) > max_len:
            self.add(f"{prop}.{key}", f"Length must be between 0 and {max_len}")
        return value

    def require_url(self, obj: dict[str, Any], key: str, prop: str) -> None:
        value = self.require_str(obj, key, prop, MAX_URL)
        if value is None:
            return
        ok = value.startswith("https://") or (self.allow_http_urls and value.startswith("http://"))
        if not ok:
            self.add(f"{prop}.{key}", "must be non-empty and a valid HTTPS URL")

    def require_number(self, obj: dict[str, Any], key: str, prop: str) -> None:
        value = obj.get(key)
        if value is None:
            self.add(f"{prop}.{key}", "must be specified")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            self.add(f"{prop}.{key}", "must be a number")

    def require_list(self, obj: dict[str, Any], key: str, prop: str, lo: int, hi: int) -> list[Any] | None:
        value = obj.get(key)
        if value is None:
            self.add(f"{prop}.{key}", "must be specified")
            return None
        if not isinstance(value, list):
            self.add(f"{prop}.{key}", "must be an array")
            return None
        if not lo <= len(value) <= hi:
            self.add(f"{prop}.{key}", f"Size must be between {lo} and {hi}")
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


def _validate_action(action: Any, prop: str, p: Problems) -> None:
    if not isinstance(action, dict):
        p.add(prop, "must be specified")
        return
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        p.add(f"{prop}.type", "must be one of [" + ", ".join(ACTION_TYPES) + "]")
        return
    if kind == "postback":
        p.require_str(action, "data", prop, 300)
    elif kind == "message":
        p.require_str(action, "text", prop, 300)
    elif kind == "uri":
        p.require_str(action, "uri", prop, 1000)
    elif kind == "datetimepicker":
        p.require_str(action, "data", prop, 300)
        p.require_str(action, "mode", prop)
