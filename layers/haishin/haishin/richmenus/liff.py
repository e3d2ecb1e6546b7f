"""The URL a rich menu's ``liff`` area opens.

PLACEHOLDER owned by the LIFF helper: with a channel's LIFF app configured, this becomes
``https://liff.line.me/<liff_id><path>`` (the page gets the friend's ID token from LIFF). Until then the area opens
the page on our public base URL (outside LIFF the page falls back to LINE Login or the signed link).
"""

from __future__ import annotations

from haishin.public_url import public_base


def liff_url(workspace_id: str, channel_id: str, path: str) -> str:
    del workspace_id, channel_id  # the channel's LIFF ID decides the URL once LIFF is configured (LIFF helper)
    return f"{public_base()}{path}"


__all__ = ["liff_url"]
