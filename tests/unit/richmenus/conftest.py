"""Fixtures for rich menus: a fake LINE that holds rich menus and aliases as LINE does, S3 in moto, the composition
root with the fake, and a PNG/JPEG builder (standard library only)."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from haishin import wiring
from haishin.autoreplies.rules import AutoReplyStore
from haishin.channels.activity import ChannelActivity
from haishin.line.client import LineApiError
from haishin.richmenus.liff import LiffAreaUrls
from haishin.richmenus.repository import ImageStore
from haishin.richmenus.service import RichMenuService
from haishin.wiring import Services
from tests.unit.line.conftest import Api, FakeLine, FakeLineClients, RecordingTriggers

BUCKET = "richmenuimagesbucket"
_menu_ids = itertools.count(1)


def png(width: int, height: int) -> bytes:
    """A real (grayscale, 8-bit) PNG of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = (b"\x00" + b"\x80" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int, *, pad: int = 0) -> bytes:
    """The start of a baseline JPEG: SOI, an APP0 segment, SOF0 with the size (enough for the size check)."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * pad
    sof = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xc0"
        + struct.pack(">H", len(sof) + 2)
        + sof
        + b"\xff\xd9"
    )


@dataclass
class RichLine(FakeLine):
    """FakeLine plus LINE's rich menu endpoints (menus, images, aliases, the default), with LINE's refusals."""

    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    calls: list[tuple[str, ...]] = field(default_factory=list)
    create_error: LineApiError | None = None
    insight: dict[str, dict[str, Any]] = field(default_factory=dict)

    def create_rich_menu(self, body: dict[str, Any]) -> str:
        if self.create_error:
            raise self.create_error
        menu_id = f"richmenu-{next(_menu_ids):032x}"
        self.menus[menu_id] = body
        self.calls.append(("create", menu_id))
        return menu_id

    def upload_rich_menu_image(self, rich_menu_id: str, content_type: str, data: bytes) -> None:
        if rich_menu_id not in self.menus:
            raise LineApiError(404, "Not found")
        if rich_menu_id in self.images:
            raise LineApiError(409, "An image has already been uploaded to the richmenu")
        self.images[rich_menu_id] = (content_type, data)
        self.calls.append(("image", rich_menu_id))

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        if self.menus.pop(rich_menu_id, None) is None:
            raise LineApiError(404, "Not found")
        self.images.pop(rich_menu_id, None)
        if self.default == rich_menu_id:
            self.default = None
        self.calls.append(("delete", rich_menu_id))

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        if rich_menu_id not in self.menus:
            raise LineApiError(404, "Not found")
        self.default = rich_menu_id
        self.calls.append(("default", rich_menu_id))

    def cancel_default_rich_menu(self) -> None:
        self.default = None
        self.calls.append(("cancel_default",))

    def create_rich_menu_alias(self, alias_id: str, rich_menu_id: str) -> None:
        if alias_id in self.aliases:
            raise LineApiError(400, "conflict richmenu alias id")
        if rich_menu_id not in self.menus or rich_menu_id not in self.images:
            raise LineApiError(400, "richmenu not found or has no image")
        self.aliases[alias_id] = rich_menu_id
        self.calls.append(("alias", alias_id, rich_menu_id))

    def update_rich_menu_alias(self, alias_id: str, rich_menu_id: str) -> None:
        if alias_id not in self.aliases:
            raise LineApiError(400, "richmenu alias not found")
        self.aliases[alias_id] = rich_menu_id
        self.calls.append(("alias_update", alias_id, rich_menu_id))

    def rich_menu_insight(self, rich_menu_id: str, since: str, until: str) -> dict[str, Any]:
        if rich_menu_id not in self.insight:
            raise LineApiError(404, "Not found")
        return self.insight[rich_menu_id]

    def delete_rich_menu_alias(self, alias_id: str) -> None:
        if self.aliases.pop(alias_id, None) is None:
            raise LineApiError(400, "richmenu alias not found")
        self.calls.append(("alias_delete", alias_id))


class Replaced:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str | None]] = []

    def on_menu_replaced(self, workspace_id: str, channel_id: str, old_line_id: str, new_line_id: str | None) -> None:
        self.calls.append((workspace_id, channel_id, old_line_id, new_line_id))


@dataclass
class Rig:
    api: Api
    line: RichLine
    root: Services
    replaced: Replaced
    triggers: RecordingTriggers


@pytest.fixture
def rig(aws: Any, manual_clock: Any) -> Iterator[Rig]:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    line = RichLine()
    triggers = RecordingTriggers()
    replaced = Replaced()
    root = Services(
        line_clients=FakeLineClients(line),
        scenario_service=triggers,
        auto_replies=AutoReplyStore(cache_ttl_s=0),
        channel_activity=ChannelActivity(cache_ttl_s=0),
    )
    root._built["rich_menus"] = RichMenuService(
        line_clients=root.line_clients,
        track=root.track,
        actions=root.actions,
        images=ImageStore(BUCKET),
        liff_url=LiffAreaUrls(lambda ws, ch: root.channels.require(ws, ch)),  # noqa: PLW0108 - late, as in wiring
        listeners=[replaced],
    )
    previous = wiring.install(root)
    try:
        yield Rig(Api(), line, root, replaced, triggers)
    finally:
        wiring.install(previous)
