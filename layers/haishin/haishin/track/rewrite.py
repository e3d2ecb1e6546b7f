"""Rewriting the URLs of rendered LINE messages (pure: no I/O; ``wrap`` does the minting).

What is rewritten: every http(s) URL in the ``text`` of a ``text`` message, and the ``uri`` / ``linkUri`` of every
URI action anywhere in a message (template buttons, flex, imagemap, quick reply, rich message actions).
What is not: a URL written ``notrack:https://...`` (the marker is removed and the URL left as is), a URL that is
already one of our tracked URLs (``<public base>/c/...``: never double-wrapped), our own opt-out page
(``<public base>/u/...``: it must work directly, and leaving is not a marketing click), and anything but http(s).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

NOTRACK = "notrack:"
Prefixes = str | tuple[str, ...]  # URLs under these are left as written (our tracked URLs, our opt-out page)
# a URL ends at whitespace, quotes, angle brackets or Japanese punctuation/brackets (common right after a URL)
_URL = re.compile(r"(notrack:)?(https?://[^\s<>\"'、。「」『』（）()【】！？]+)", re.IGNORECASE)
_TEXT_TYPES = ("text", "textV2")

Wrap = Callable[[str], str]


def _rewrite_text(text: str, wrap: Wrap, tracked_prefix: Prefixes) -> str:
    if "http" not in text.lower():
        return text

    def one(match: re.Match[str]) -> str:
        url = match.group(2)
        if match.group(1) or url.startswith(tracked_prefix):
            return url
        return wrap(url)

    return _URL.sub(one, text)


def _rewrite_uri(uri: str, wrap: Wrap, tracked_prefix: Prefixes) -> str:
    if uri.lower().startswith(NOTRACK):
        return uri[len(NOTRACK):]
    if not uri.lower().startswith(("http://", "https://")) or uri.startswith(tracked_prefix):
        return uri
    return wrap(uri)


def rewrite_uri_action(action: dict[str, Any], wrap: Wrap, tracked_prefix: Prefixes) -> None:
    """One URI action (``{"type": "uri", ...}``), in place: its ``uri`` and ``linkUri``."""
    for key in ("uri", "linkUri"):
        value = action.get(key)
        if isinstance(value, str):
            action[key] = _rewrite_uri(value, wrap, tracked_prefix)


def rewrite_message_text(message: Any, wrap: Wrap, tracked_prefix: Prefixes) -> None:
    """The ``text`` of one text message, in place (other messages have no free text to rewrite)."""
    if isinstance(message, dict) and message.get("type") in _TEXT_TYPES and isinstance(message.get("text"), str):
        message["text"] = _rewrite_text(message["text"], wrap, tracked_prefix)


def _walk(value: Any, wrap: Wrap, tracked_prefix: Prefixes) -> None:
    """Rewrites the URI actions under ``value`` in place."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _walk(item, wrap, tracked_prefix)
        return
    for item in value.values():
        if isinstance(item, (dict, list)):
            _walk(item, wrap, tracked_prefix)
    if value.get("type") == "uri":
        rewrite_uri_action(value, wrap, tracked_prefix)


def rewrite_in_place(messages: list[dict[str, Any]], wrap: Wrap, tracked_prefix: Prefixes) -> list[dict[str, Any]]:
    """``rewrite_messages`` on messages the caller owns: no copy. (The renderer does the same in its own walk:
    ``Renderer.json(track=...)`` calls ``rewrite_uri_action`` / ``rewrite_message_text`` through the Tracker.)"""
    for message in messages:
        if not isinstance(message, dict):
            continue
        _walk(message, wrap, tracked_prefix)
        rewrite_message_text(message, wrap, tracked_prefix)
    return messages


def rewrite_messages(messages: list[dict[str, Any]], wrap: Wrap, tracked_prefix: Prefixes) -> list[dict[str, Any]]:
    """The messages with their URLs wrapped (a copy; the input is left as it is); ``tracked_prefix``
    (``<base>/c/``) marks URLs already tracked."""
    return rewrite_in_place(copy.deepcopy(messages), wrap, tracked_prefix)


def has_trackable_url(messages: Any) -> bool:
    """True when rewriting would change something (then every friend needs their own render: push, not multicast)."""
    seen: list[str] = []

    def note(url: str) -> str:
        seen.append(url)
        return url

    rewrite_messages(list(messages or []), note, "\0")
    return bool(seen)


__all__ = ["NOTRACK", "has_trackable_url", "rewrite_in_place", "rewrite_message_text", "rewrite_messages",
           "rewrite_uri_action"]
