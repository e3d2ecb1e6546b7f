"""A rich menu image checked from its bytes (standard library only: the PNG IHDR chunk, the JPEG SOF segment).

LINE takes JPEG or PNG, 800-2500 px wide, at least 250 px high, width/height at least 1.45, at most 1 MB; the
image must have the menu's size. Every refusal says why, in Japanese, before anything is stored.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from haishin.errors import ValidationFailed
from haishin.richmenus.models import MAX_IMAGE_BYTES, size_problem

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers (not DHT, JPG, DAC)
_STANDALONE = frozenset(range(0xD0, 0xDA)) | {0x01}  # RSTn, SOI, EOI, TEM: no length


@dataclass(frozen=True)
class ImageMeta:
    content_type: str
    width: int
    height: int
    bytes: int

    def to_dict(self) -> dict[str, int | str]:
        return {"content_type": self.content_type, "width": self.width, "height": self.height, "bytes": self.bytes}


def _refuse(reason: str) -> ValidationFailed:
    return ValidationFailed(f"この画像はリッチメニューに使えません: {reason}", where="image")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise _refuse("PNG の形式が壊れています（IHDR がありません）")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index, end = 2, len(data)
    while index < end:
        if data[index] != 0xFF:
            raise _refuse("JPEG の形式が壊れています")
        while index < end and data[index] == 0xFF:  # fill bytes
            index += 1
        if index >= end:
            break
        marker = data[index]
        index += 1
        if marker in _STANDALONE:
            continue
        if index + 2 > end:
            break
        length = struct.unpack(">H", data[index : index + 2])[0]
        if marker in _SOF:
            if index + 7 > end:
                break
            height, width = struct.unpack(">HH", data[index + 3 : index + 7])
            return int(width), int(height)
        if marker == 0xDA or length < 2:  # image data before any frame header: broken
            break
        index += length
    raise _refuse("JPEG の形式が壊れています（画像サイズが読めません）")


def inspect(data: bytes, declared_type: str | None = None) -> ImageMeta:
    """The image's type and size from its bytes; ValidationFailed (Japanese, with the reason) when LINE would refuse
    it. ``declared_type``: what the admin said it is (must agree with the bytes)."""
    if not data:
        raise _refuse("画像が空です")
    if len(data) > MAX_IMAGE_BYTES:
        raise _refuse(f"ファイルサイズは 1 MB までです（{len(data) / 1024 / 1024:.2f} MB あります）")
    if data.startswith(PNG_SIGNATURE):
        content_type = "image/png"
        width, height = _png_size(data)
    elif data.startswith(b"\xff\xd8"):
        content_type = "image/jpeg"
        width, height = _jpeg_size(data)
    else:
        raise _refuse("JPEG か PNG の画像を選んでください（ファイルの中身が JPEG でも PNG でもありません）")
    if declared_type and declared_type.lower().replace("image/jpg", "image/jpeg") != content_type:
        raise _refuse(f"ファイルの中身（{content_type}）と指定された種類（{declared_type}）が違います")
    problem = size_problem(width, height)
    if problem:
        raise _refuse(problem)
    return ImageMeta(content_type, width, height, len(data))


__all__ = ["ImageMeta", "inspect"]
