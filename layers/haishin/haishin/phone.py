"""Phone numbers to E.164 (``+819012345678``), the one normal form stored, matched and sent to SMS.

Accepted as marketers and friends type them: half- or full-width digits; hyphens (any dash), spaces, dots and
parentheses between digits; Japanese national numbers with the trunk ``0`` (``090-1234-5678`` -> ``+819012345678``,
``03-1234-5678`` -> ``+81312345678``); international numbers with ``+`` (``+81 90 1234 5678``; a stray trunk ``0``
after ``+81``, as in ``+81 (0)90...``, is dropped). Anything else is not a phone number: ``to_e164`` returns None
and the caller reports it where the number was entered.
"""

from __future__ import annotations

import re
import unicodedata

INVALID_PHONE_MESSAGE = "電話番号の形式が正しくありません（例：090-1234-5678 または +819012345678）。"

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー－().]")
_JP_NATIONAL = re.compile(r"^0\d{9,10}$")  # 0 + 9 digits (landline, 0120) or 0 + 10 digits (mobile, 050, 0800)
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$")  # E.164: at most 15 digits after +


def to_e164(value: str) -> str | None:
    """The number in E.164, or None when ``value`` is not a phone number we can place."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or "").strip())
    if _JP_NATIONAL.match(text):
        return "+81" + text[1:]
    if text.startswith("+810"):
        text = "+81" + text[4:]
    if not _INTERNATIONAL.match(text):
        return None
    if text.startswith("+81") and not 9 <= len(text) - 3 <= 10:
        return None
    return text


def alias_form(value: str) -> str:
    """The key a stored phone is matched by: E.164 when it is a number, else its digits (legacy rows that never
    passed validation still get a stable, if unmatched, key)."""
    return to_e164(value) or legacy_key(value)


def legacy_key(value: str) -> str:
    """The alias key phones had before E.164 (digits, a leading + kept): what a backfill moves aliases away from."""
    text = unicodedata.normalize("NFKC", value).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" + digits) if text.startswith("+") else digits
