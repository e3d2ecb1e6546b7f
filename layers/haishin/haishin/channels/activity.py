"""What the consumer records about a channel: last event, verify requests, and its greeting (cached)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from haishin.channels.models import ChannelSettingsModel, settings_sk
from haishin.storage.base import condition_failed
from haishin.workspaces.models import ChannelModel, channel_pk, workspace_pk

log = logging.getLogger("haishin.channels")


class ChannelActivity:
    def __init__(self, cache_ttl_s: float = 30.0) -> None:
        self._ttl = cache_ttl_s
        self._greetings: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def _set_if_newer(self, channel_id: str, attribute: Any, at: datetime) -> None:
        """One conditional UpdateItem; an older time never overwrites a newer one (batches finish out of order)."""
        try:
            ChannelModel(pk=channel_pk(channel_id), sk="channel").update(
                actions=[attribute.set(at)],
                condition=ChannelModel.pk.exists() & (attribute.does_not_exist() | (attribute < at)),
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                log.warning("could not record channel activity for %s: %s", channel_id, type(exc).__name__)

    def touch(self, channel_id: str, at: datetime) -> None:
        self._set_if_newer(channel_id, ChannelModel.last_event_at, at)

    def verified(self, channel_id: str, at: datetime) -> None:
        self._set_if_newer(channel_id, ChannelModel.webhook_verified_at, at)

    def greeting(self, workspace_id: str, channel_id: str) -> list[dict[str, Any]]:
        key = f"{workspace_id}/{channel_id}"
        with self._lock:
            hit = self._greetings.get(key)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        try:
            item = ChannelSettingsModel.get(workspace_pk(workspace_id), settings_sk(channel_id))
            messages = list(item.greeting_messages or []) if item.greeting_enabled else []
        except ChannelSettingsModel.DoesNotExist:
            messages = []
        with self._lock:
            self._greetings[key] = (time.monotonic(), messages)
        return messages
