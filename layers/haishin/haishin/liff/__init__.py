"""LIFF (LINE Front-end Framework) apps of a channel: the LIFF ID's format, the endpoint URL to register, LIFF URLs.

A LIFF app belongs to a LINE Login channel (LINE allows 30 per Login channel). The marketer adds one in the LINE
Developers console with our endpoint URL ``<public base>/liff/<Messaging API channel ID>`` (the channel in the path
tells our page which LIFF ID to ``liff.init`` with: LIFF does not tell a page its own ID), then pastes its LIFF ID
(``<Login channel ID>-<8 characters>``) in the admin's channel screen. ``https://liff.line.me/<liffId><path>``
then opens ``<endpoint><path>`` inside LINE: ``/f/<form_id>`` (a form), ``/sem/<event_id>`` (a seminar), ``/me``
(the friend's page).

Stdlib only, no other Haishin package: rich menus, messages and pages all build LIFF URLs with ``liff_url``.
"""

from __future__ import annotations

import re
from typing import Any

from haishin.errors import ValidationFailed

LIFF_ID_RE = re.compile(r"^(\d{10})-([A-Za-z0-9]{8})$")
LIFF_BASE = "https://liff.line.me"
MAX_APPS_PER_LOGIN_CHANNEL = 30  # LINE's limit; the emulator enforces it
PATH_RE = re.compile(r"^/(?:f/[A-Za-z0-9_-]{1,64}|sem/[A-Za-z0-9_-]{1,64}|me)$")


def check_liff_id(liff_id: str, login_channel_id: str | None) -> str:
    """``liff_id`` when it is a LIFF ID of the channel's LINE Login channel; ValidationFailed (Japanese) otherwise."""
    if not login_channel_id:
        raise ValidationFailed("先に LINE ログインチャネル (チャネル ID とシークレット) を設定してください。"
                               "LIFF アプリは LINE ログインチャネルに追加します", where="liff_id")
    match = LIFF_ID_RE.match(liff_id)
    if match is None:
        raise ValidationFailed("LIFF ID の形式が正しくありません (「LINE ログインチャネルの ID (10 桁)-英数字 8 文字」"
                               "、例: 1234567890-AbCdEfGh。LINE Developers コンソール > LIFF タブで確認できます)",
                               where="liff_id")
    if match.group(1) != login_channel_id:
        raise ValidationFailed(f"この LIFF ID は設定中の LINE ログインチャネル ({login_channel_id}) のものでは"
                               "ありません。同じ LINE ログインチャネルに追加した LIFF アプリの ID を入力してください",
                               where="liff_id")
    return liff_id


def liff_endpoint_url(base: str, channel_id: str) -> str:
    """The endpoint URL to register for the channel's LIFF app (our pages function, stage prefix in ``base``)."""
    return f"{base.rstrip('/')}/liff/{channel_id}"


def liff_url(channel: Any, path: str) -> str:
    """``https://liff.line.me/<liffId><path>`` for a channel (anything with a ``liff_id``) and a page path
    (``/f/<form_id>`` or ``/me``, an optional ``?query`` kept). ValueError when the channel has no LIFF app or the
    path is not one of our LIFF pages (the caller shows its own Japanese error)."""
    liff_id = getattr(channel, "liff_id", None)
    if not liff_id or not LIFF_ID_RE.match(str(liff_id)):
        raise ValueError("the channel has no LIFF app (set its LIFF ID in the channel screen)")
    page, _, query = path.partition("?")
    if not PATH_RE.match(page):
        raise ValueError(f"not a LIFF page path: {path!r} (/f/<form_id>, /sem/<event_id> or /me)")
    return f"{LIFF_BASE}/{liff_id}{page}" + (f"?{query}" if query else "")


__all__ = ["LIFF_BASE", "LIFF_ID_RE", "MAX_APPS_PER_LOGIN_CHANNEL", "check_liff_id", "liff_endpoint_url", "liff_url"]
