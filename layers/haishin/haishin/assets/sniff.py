"""What a file is, read from its bytes (never from the name or the browser's claim), and the limits per kind.

Images (funnel image blocks): PNG, JPEG, WebP, GIF up to 2 MB. Attachments (lessons): PDF, ZIP and the Office
formats (Word, Excel, PowerPoint: the OOXML ZIP containers and the legacy OLE files), and the same images, up to
4 MB (a download is streamed by the pages function: its base64 must stay under Lambda's 6 MB response).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from haishin.errors import ValidationFailed

Kind = Literal["image", "attachment"]
MAX_BYTES: dict[str, int] = {"image": 2 << 20, "attachment": 4 << 20}

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
_OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".zip": "application/zip",
}
_OLE = {".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint"}
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WHAT = {"image": "PNG・JPEG・WebP・GIF の画像",
         "attachment": "PDF・Word・Excel・PowerPoint・ZIP または画像 (PNG・JPEG・WebP・GIF)"}


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    width: int | None = None  # images whose header gives the size (PNG, GIF, WebP VP8X)
    height: int | None = None


def _image(data: bytes) -> Sniffed | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        return Sniffed("image/png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return Sniffed("image/gif", int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little"))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        if data[12:16] == b"VP8X" and len(data) >= 30:
            return Sniffed("image/webp", int.from_bytes(data[24:27], "little") + 1,
                           int.from_bytes(data[27:30], "little") + 1)
        return Sniffed("image/webp")
    return None


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def _document(data: bytes, name: str) -> Sniffed | None:
    if data.startswith(b"%PDF-"):
        return Sniffed("application/pdf")
    ext = _extension(name)
    if data.startswith(b"PK\x03\x04"):  # every OOXML file is a ZIP: the name tells which Office format
        return Sniffed(_OOXML.get(ext, "application/zip"))
    if data.startswith(_OLE_SIGNATURE) and ext in _OLE:
        return Sniffed(_OLE[ext])
    return None


def _size(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB" if size >= 1 << 20 else f"{max(size // 1024, 1)} KB"


def sniff(kind: Kind, name: str, data: bytes) -> Sniffed:
    """The file's type from its bytes; ValidationFailed (Japanese, ``where: "file"``) for an empty, too large or
    unaccepted file of this kind."""
    if not data:
        raise ValidationFailed("ファイルが空です", where="file")
    limit = MAX_BYTES[kind]
    if len(data) > limit:
        raise ValidationFailed(f"ファイルが大きすぎます（{_size(len(data))}、上限 {_size(limit)}）", where="file",
                               details={"size": len(data), "limit": limit})
    found = _image(data) or (_document(data, name) if kind == "attachment" else None)
    if found is None:
        raise ValidationFailed(
            f"このファイルは使えません。{_WHAT[kind]}を選んでください（ファイルの中身で判定しています）", where="file")
    return found


__all__ = ["IMAGE_TYPES", "MAX_BYTES", "Kind", "Sniffed", "sniff"]
