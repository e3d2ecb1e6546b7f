"""Rich menu images and aliases as LINE checks them: image type and size read from the bytes (stdlib only), alias IDs.

https://developers.line.biz/en/reference/messaging-api/#upload-rich-menu-image ("Requirements for rich menu image"):
JPEG or PNG, width 800-2500 px, height at least 250 px, width / height at least 1.45, at most 1 MB. An image can be
set once; "You can't replace an image set to a rich menu". The emulator also requires the image to be exactly the
menu's ``size`` (LINE scales the menu's areas onto the image, so a differently sized image is a bug in the caller).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

from .validation import RICH_MENU_MAX_WIDTH, RICH_MENU_MIN_HEIGHT, RICH_MENU_MIN_RATIO, RICH_MENU_MIN_WIDTH

MAX_IMAGE_BYTES = 1024 * 1024  # "Max file size: 1 MB"
IMAGE_TYPES = ("image/jpeg", "image/png")
MAX_ALIASES = 1000  # "up to 1000 rich menu aliases per one LINE Official Account"
ALIAS_ID = re.compile(r"[a-z0-9_-]{1,32}")  # "Max character limit: 32", a-z, 0-9, underscore, hyphen

# LINE's documented error bodies (messaging-api reference, "Error response" of each endpoint).
IMAGE_NOT_ALLOWED = "The image size is not allowed for richmenu"
IMAGE_ALREADY_SET = "An image has already been uploaded to the richmenu"
MUST_UPLOAD_IMAGE = "must upload richmenu image before applying it to user"
RICHMENU_NOT_FOUND = "richmenu not found"
ALIAS_NOT_FOUND = "richmenu alias not found"
ALIAS_CONFLICT = "conflict richmenu alias id"
NO_DEFAULT = "no default richmenu"
USER_HAS_NO_MENU = "the user has no richmenu"

# ``postback.params.status`` of the postback event a rich menu switch action sends.
SWITCH_SUCCESS = "SUCCESS"
SWITCH_ALIAS_NOT_FOUND = "RICHMENU_ALIAS_ID_NOTFOUND"
SWITCH_MENU_NOT_FOUND = "RICHMENU_NOTFOUND"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic); C4 (DHT), C8 (JPG), CC (DAC) are not.
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass(frozen=True)
class RichMenuImage:
    content_type: str
    data: bytes
    width: int
    height: int


class ImageRefused(ValueError):
    """An image LINE would refuse; ``reason`` says which rule (the emulator's words, for ``details``)."""

    def __init__(self, reason: str, prop: str = "image") -> None:
        super().__init__(reason)
        self.reason = reason
        self.prop = prop


def sniff(data: bytes) -> tuple[str, int, int] | None:
    """``(content type, width, height)`` read from a PNG's IHDR or a JPEG's SOF marker; None for anything else."""
    if data.startswith(_PNG_MAGIC):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data[:2] == b"\xff\xd8":
        size = _jpeg_size(data)
        return ("image/jpeg", *size) if size else None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # standalone markers (TEM, RSTn, SOI)
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        if marker in _SOF_MARKERS:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def check_image(content_type: str, data: bytes, menu_size: dict[str, int]) -> RichMenuImage:
    """The image as LINE would accept it for a menu of ``menu_size``, or ImageRefused with the rule broken."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused(f"the file is {len(data)} bytes; at most {MAX_IMAGE_BYTES} (1 MB)", "image.bytes")
    found = sniff(data)
    if found is None:
        raise ImageRefused("the bytes are not a JPEG or PNG image", "image.type")
    kind, width, height = found
    if kind != content_type:
        raise ImageRefused(f"Content-Type is {content_type} but the bytes are {kind}", "image.type")
    if not RICH_MENU_MIN_WIDTH <= width <= RICH_MENU_MAX_WIDTH:
        raise ImageRefused(f"width {width} px: must be {RICH_MENU_MIN_WIDTH} to {RICH_MENU_MAX_WIDTH}", "image.width")
    if height < RICH_MENU_MIN_HEIGHT:
        raise ImageRefused(f"height {height} px: must be at least {RICH_MENU_MIN_HEIGHT}", "image.height")
    if width / height < RICH_MENU_MIN_RATIO:
        raise ImageRefused(
            f"width / height is {width / height:.2f}: must be at least {RICH_MENU_MIN_RATIO}", "image.ratio"
        )
    if (width, height) != (menu_size.get("width"), menu_size.get("height")):
        raise ImageRefused(
            f"the image is {width}x{height} but the rich menu is {menu_size.get('width')}x{menu_size.get('height')}",
            "image.size",
        )
    return RichMenuImage(kind, bytes(data), width, height)


def media_type(header: str | None) -> str:
    """``image/png; charset=x`` -> ``image/png`` (lower case)."""
    return (header or "").split(";", 1)[0].strip().lower()


@lru_cache(maxsize=32)  # a 2500x1686 image takes ~0.15 s to compress
def png_bytes(width: int, height: int, rgb: tuple[int, int, int] = (6, 199, 85), pad_to: int = 0) -> bytes:
    """A valid one-colour RGB PNG of ``width`` x ``height`` (tests and the in-process default menu image).

    ``pad_to`` appends an ancillary chunk so the file reaches that many bytes (to test the 1 MB limit)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    idat = zlib.compress(row * height, 9)
    out = _PNG_MAGIC + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", idat)
    if pad_to > len(out) + 24:
        out += chunk(b"haPd", b"\x00" * (pad_to - len(out) - 24))
    return out + chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    """The markers of a baseline JPEG of that size (SOI, APP0, SOF0, EOI): enough for the size check, not a picture."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"
