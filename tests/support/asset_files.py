"""Small real file headers for asset tests (types are sniffed from the bytes)."""

from __future__ import annotations

import base64
import struct


def png(width: int = 640, height: int = 360) -> bytes:
    header = b"\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\x08\x06\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + header + b"\x00" * 64


def gif(width: int = 10, height: int = 20) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00" * 32


def webp(width: int = 300, height: int = 200) -> bytes:
    vp8x = b"VP8X" + b"\x0a\x00\x00\x00" + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + \
        (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 60  # every OOXML file is a ZIP container
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 60
HTML = b"<!doctype html><script>alert(1)</script>"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_bucket(aws: object) -> None:
    """The assets bucket (the ``aws`` fixture creates tables and queues; buckets are per test)."""
    aws.client("s3").create_bucket(Bucket="assetsbucket")  # type: ignore[attr-defined]
