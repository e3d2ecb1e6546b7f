"""Rewriting the URLs of rendered LINE messages (pure: no I/O; ``wrap`` does the minting).

What is rewritten: every http(s) URL in the ``text`` of a ``text`` message, and the ``uri`` / ``linkUri`` of every
URI action anywhere in a message (template buttons, flex, imagemap, quick reply, rich message actions).
What is not: a URL written ``notrack:https://...`` (the marker is removed and the URL left as is), a URL that is
already one of our tracked URLs (``<public base>/c/...``: never double-wrapped), and anything but http(s).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

NOTRACK = "notrack:"
# a URL ends at whitespace, quotes, angle brackets or Japanese punctuation/brackets (common right after a URL)
_URL = re.compile(r"(notrack:)?(https?://[^\s<>\"'、。「」『』（）()【】！？]+)", re.IGNORECASE)
_TEXT_TYPES = ("text", "textV2")

Wrap = Callable[[str], str]


def _rewrite_text(text: str, wrap: Wrap, tracked_prefix: str) -> str:
    if "http" not in text.lower():
        return text

    def one(match: re.Match[str]) -> str:
        url = match.group(2)
        if match.group(1) or url.startswith(tracked_prefix):
            return url
        return wrap(url)

    return _URL.sub(one, text)


def _rewrite_uri(uri: str, wrap: Wrap, tracked_prefix: str) -> str:
    if uri.lower().startswith(NOTRACK):
        return uri[len(NOTRACK):]
    if not uri.lower().startswith(("http://", "https://")) or uri.startswith(tracked_prefix):
        return uri
    return wrap(uri)


def _walk(value: Any, wrap: Wrap, tracked_prefix: str) -> Any:
    if isinstance(value, list):
        return [_walk(item, wrap, tracked_prefix) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _walk(item, wrap, tracked_prefix) for key, item in value.items()}
    if out.get("type") == "uri":
        for key in ("uri", "linkUri"):
            if isinstance(out.get(key), str):
                out[key] = _rewrite_uri(out[key], wrap, tracked_prefix)
    return out


def rewrite_messages(messages: list[dict[str, Any]], wrap: Wrap, tracked_prefix: str) -> list[dict[str, Any]]:
    """The messages with their URLs wrapped; ``tracked_prefix`` (``<base>/c/``) marks URLs already tracked."""
    result = []
    for message in messages:
        out = _walk(message, wrap, tracked_prefix)
        if isinstance(out, dict) and out.get("type") in _TEXT_TYPES and isinstance(out.get("text"), str):
            out["text"] = _rewrite_text(out["text"], wrap, tracked_prefix)
        result.append(out)
    return result


def has_trackable_url(messages: Any) -> bool:
    """True when rewriting would change something (then every friend needs their own render: push, not multicast)."""
    seen: list[str] = []

    def note(url: str) -> str:
        seen.append(url)
        return url

    rewrite_messages(list(messages or []), note, "\0")
    return bool(seen)


__all__ = ["NOTRACK", "has_trackable_url", "rewrite_messages"]
