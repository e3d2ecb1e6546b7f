"""Rich menus in WorkspaceTable, and their images in S3: every read and write of the rich menu feature.

- menu:    pk ``ws#<workspace_id>`` sk ``richmenu#<menu_id>``: name, channel, size, chat-bar text, selected, areas
           (JSON), image meta (JSON or null), the LINE rich menu ID (null: not published), alias ID, status
- default: pk ``ws#<workspace_id>`` sk ``richmenudefault#<channel_id>``: the channel's default menu (Haishin and
           LINE IDs), so a re-publish moves LINE's default along
- taps:    pk ``rmtaps#<workspace_id>#<menu_id>`` sk ``<yyyymmdd>#<area index>``: ``taps`` and ``unique`` (ADD)
- marker:  pk ``rmtapfriend#<workspace_id>#<menu_id>#<yyyymmdd>#<area index>`` sk ``<subscriber_id>``: this friend
           tapped there that day (unique per day); ``expires_at`` drops it after 3 days
- image:   S3 ``<bucket>/richmenus/<workspace_id>/<menu_id>`` (``RICHMENU_IMAGES_BUCKET``; no expiry), the bytes
           as uploaded (at most 1 MB), kept so a re-publish can upload it to the new LINE menu
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from haishin.errors import NotFound
from haishin.storage.base import (
    HaishinModel,
    JSONTextAttribute,
    UTCDateTimeAttribute,
    add_once_per_marker,
    model_meta,
)
from haishin.storage.objects import BucketObjects
from haishin.workspaces.models import workspace_pk

MARKER_TTL_S = 3 * 86_400


def menu_sk(menu_id: str) -> str:
    return f"richmenu#{menu_id}"


def default_sk(channel_id: str) -> str:
    return f"richmenudefault#{channel_id}"


def taps_pk(workspace_id: str, menu_id: str) -> str:
    return f"rmtaps#{workspace_id}#{menu_id}"


def marker_pk(workspace_id: str, menu_id: str, day: str, area: int) -> str:
    return f"rmtapfriend#{workspace_id}#{menu_id}#{day}#{area}"


class RichMenuModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    menu_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    width = NumberAttribute()
    height = NumberAttribute()
    chat_bar_text = UnicodeAttribute()
    selected = BooleanAttribute(default=False)
    areas = JSONTextAttribute(default=list)
    image = JSONTextAttribute(null=True)  # {content_type, width, height, bytes}
    line_rich_menu_id = UnicodeAttribute(null=True)
    alias_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="draft")  # draft | published
    published_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ChannelDefaultModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    menu_id = UnicodeAttribute()
    line_rich_menu_id = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class TapStatsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    taps = NumberAttribute(null=True)
    unique = NumberAttribute(null=True)


class TapFriendModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute()


class RichMenuRepository:
    # ------------------------------------------------------------------ menus
    def create(self, menu: RichMenuModel) -> RichMenuModel:
        menu.save(condition=RichMenuModel.pk.does_not_exist())
        return menu

    def save(self, menu: RichMenuModel) -> RichMenuModel:
        menu.save()
        return menu

    def new(self, workspace_id: str, menu_id: str, now: datetime, **values: Any) -> RichMenuModel:
        return RichMenuModel(
            pk=workspace_pk(workspace_id),
            sk=menu_sk(menu_id),
            workspace_id=workspace_id,
            menu_id=menu_id,
            created_at=now,
            updated_at=now,
            **values,
        )

    def get(self, workspace_id: str, menu_id: str) -> RichMenuModel | None:
        try:
            return RichMenuModel.get(workspace_pk(workspace_id), menu_sk(menu_id), consistent_read=True)
        except RichMenuModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, menu_id: str, *, where: str = "menu_id") -> RichMenuModel:
        menu = self.get(workspace_id, menu_id)
        if menu is None:
            raise NotFound(f"リッチメニューが見つかりません: {menu_id}", where=where)
        return menu

    def all(self, workspace_id: str, channel_id: str | None = None) -> list[RichMenuModel]:
        menus = list(
            RichMenuModel.query(
                workspace_pk(workspace_id), RichMenuModel.sk.startswith("richmenu#"), consistent_read=True
            )
        )
        return [m for m in menus if channel_id is None or m.channel_id == channel_id]

    def delete(self, menu: RichMenuModel) -> None:
        menu.delete()

    # ------------------------------------------------------------------ the channel's default menu
    def default(self, workspace_id: str, channel_id: str) -> ChannelDefaultModel | None:
        try:
            return ChannelDefaultModel.get(workspace_pk(workspace_id), default_sk(channel_id), consistent_read=True)
        except ChannelDefaultModel.DoesNotExist:
            return None

    def set_default(
        self, workspace_id: str, channel_id: str, menu_id: str, line_rich_menu_id: str, now: datetime
    ) -> None:
        ChannelDefaultModel(
            pk=workspace_pk(workspace_id),
            sk=default_sk(channel_id),
            menu_id=menu_id,
            line_rich_menu_id=line_rich_menu_id,
            updated_at=now,
        ).save()

    def clear_default(self, workspace_id: str, channel_id: str) -> None:
        ChannelDefaultModel(pk=workspace_pk(workspace_id), sk=default_sk(channel_id)).delete()

    # ------------------------------------------------------------------ taps
    def count_tap(
        self, workspace_id: str, menu_id: str, day: str, area: int, subscriber_id: str | None, expires_at: int
    ) -> bool:
        """One tap on (menu, area, day): total (ADD), and unique when it is this friend's first there that day
        (a conditional marker and the ADD in one transaction). Returns True when it was the first."""
        stats = TapStatsModel(pk=taps_pk(workspace_id, menu_id), sk=f"{day}#{area}")
        stats.update(actions=[TapStatsModel.taps.add(1)])
        if not subscriber_id:
            return False
        return add_once_per_marker(
            TapFriendModel(pk=marker_pk(workspace_id, menu_id, day, area), sk=subscriber_id, expires_at=expires_at),
            stats, [TapStatsModel.unique.add(1)])

    def taps(self, workspace_id: str, menu_id: str, since: str, until: str) -> Iterator[tuple[str, int, int, int]]:
        """(day, area, taps, unique) of every counter row between two days (``yyyymmdd``, inclusive)."""
        for item in TapStatsModel.query(
            taps_pk(workspace_id, menu_id), TapStatsModel.sk.between(f"{since}#", f"{until}#~")
        ):
            day, _, area = item.sk.partition("#")
            if area.lstrip("-").isdigit():
                yield day, int(area), int(item.taps or 0), int(item.unique or 0)


class ImageStore:
    """Rich menu images in S3 (the bytes are up to 1 MB: too big for a DynamoDB item)."""

    def __init__(self, bucket: str | None = None, client: Any = None) -> None:
        self.objects = BucketObjects("RICHMENU_IMAGES_BUCKET", "richmenuimagesbucket", bucket=bucket, client=client)

    @property
    def bucket(self) -> str:
        return self.objects.bucket

    @staticmethod
    def key(workspace_id: str, menu_id: str) -> str:
        return f"richmenus/{workspace_id}/{menu_id}"

    def put(self, workspace_id: str, menu_id: str, content_type: str, data: bytes) -> None:
        self.objects.put(self.key(workspace_id, menu_id), content_type, data)

    def get(self, workspace_id: str, menu_id: str) -> tuple[str, bytes]:
        missing = NotFound("このリッチメニューには画像がまだありません", where="image")
        return self.objects.get(self.key(workspace_id, menu_id), missing)

    def delete(self, workspace_id: str, menu_id: str) -> None:
        self.objects.delete(self.key(workspace_id, menu_id))


__all__ = [
    "ChannelDefaultModel",
    "ImageStore",
    "RichMenuModel",
    "RichMenuRepository",
    "TapFriendModel",
    "TapStatsModel",
]
