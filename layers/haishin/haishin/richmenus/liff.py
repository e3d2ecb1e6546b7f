"""The URL a rich menu's ``liff`` area opens: ``https://liff.line.me/<the channel's LIFF ID><path>`` (``haishin.liff``),
so the page knows the friend from LIFF's ID token. A channel without a LIFF app cannot publish such an area: the
marketer is told to set its LIFF ID first (a plain URL would open the page outside LIFF, knowing no one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from haishin.errors import ValidationFailed
from haishin.liff import liff_url


class LiffAreaUrls:
    """``(workspace_id, channel_id, path) -> URL`` over a channel lookup (the channels service's ``require``)."""

    def __init__(self, channel: Callable[[str, str], Any]) -> None:
        self._channel = channel

    def __call__(self, workspace_id: str, channel_id: str, path: str) -> str:
        try:
            return liff_url(self._channel(workspace_id, channel_id), path)
        except ValueError as exc:
            raise ValidationFailed(
                "このチャネルには LIFF アプリがありません。チャネル画面で LIFF ID を設定してから公開してください",
                where="areas",
            ) from exc


__all__ = ["LiffAreaUrls"]
