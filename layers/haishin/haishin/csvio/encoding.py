"""Where CSV bytes come from, and which encoding they are in.

Detection: the whole file is decoded strictly as UTF-8 (a BOM, which Excel writes, is dropped by ``utf-8-sig``);
if any byte sequence is not UTF-8 the file is decoded strictly as CP932 (Windows Shift_JIS: the superset Excel
and Japanese tools really write, with 髙, ①, ㈱ and NEC/IBM extensions that plain ``shift_jis`` rejects). A file that
is neither is refused with the line of the first bad byte; nothing is ever decoded with ``errors="replace"``, so
mojibake cannot enter the database. Both passes stream in 1 MiB chunks (memory stays flat).
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from haishin.errors import ValidationFailed

CHUNK = 1 << 20
UTF8 = "utf-8-sig"
CP932 = "cp932"


class ImportSource(Protocol):
    def open(self) -> IO[bytes]: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class BytesSource:
    data: bytes

    def open(self) -> IO[bytes]:
        return io.BytesIO(self.data)

    def describe(self) -> dict[str, Any]:
        return {"kind": "bytes", "size": len(self.data)}


@dataclass(frozen=True)
class FileSource:
    path: str

    def open(self) -> IO[bytes]:
        return Path(self.path).open("rb")

    def describe(self) -> dict[str, Any]:
        return {"kind": "file", "path": self.path}


@dataclass(frozen=True)
class S3Source:
    bucket: str
    key: str

    def open(self) -> IO[bytes]:
        body: Any = s3_client().get_object(Bucket=self.bucket, Key=self.key)["Body"]
        return body  # StreamingBody: read(n) streams

    def describe(self) -> dict[str, Any]:
        return {"kind": "s3", "bucket": self.bucket, "key": self.key}


def s3_client() -> Any:
    import boto3  # noqa: PLC0415 - only the import/export paths need S3

    return boto3.client("s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                        or "us-east-1")


def exports_bucket() -> str:
    return os.environ.get("EXPORTS_BUCKET", "haishin-exports-local")


def source_from(description: dict[str, Any]) -> ImportSource:
    kind = description.get("kind")
    if kind == "s3":
        return S3Source(description["bucket"], description["key"])
    if kind == "file":
        return FileSource(description["path"])
    raise ValidationFailed(f"unknown import source {kind}", where="source")


def _decodes(open_stream: Callable[[], IO[bytes]], encoding: str) -> tuple[bool, int]:
    """(decodes strictly, line of the first bad byte)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with open_stream() as stream:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: exc.start].count(b"\n")
                return False, line
            line += text.count("\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, line
    return True, line


def detect_encoding(source: ImportSource) -> str:
    ok, _ = _decodes(source.open, UTF8)
    if ok:
        return UTF8
    ok, bad_line = _decodes(source.open, CP932)
    if ok:
        return CP932
    raise ValidationFailed(
        f"the file is neither UTF-8 nor Shift_JIS (CP932); the first unreadable bytes are on line {bad_line}."
        " Save it again as 'CSV UTF-8' or 'CSV (Shift_JIS)'",
        where=f"line {bad_line}",
    )


def open_text(source: ImportSource, encoding: str) -> io.TextIOWrapper:
    """A text stream for ``csv.reader`` (newline="" as the csv module wants)."""
    return io.TextIOWrapper(source.open(), encoding=encoding, errors="strict", newline="")
