"""Where CSV bytes come from, and which encoding they are in.

Detection: the whole file is decoded strictly as UTF-8 (a BOM, which Excel writes, is dropped by ``utf-8-sig``);
if any byte sequence is not UTF-8 the file is decoded strictly as CP932 (Windows Shift_JIS: the superset Excel
and Japanese tools really write, with 髙, ①, ㈱ and NEC/IBM extensions that plain ``shift_jis`` rejects). A file that
is neither is refused with the line of the first bad byte; nothing is ever decoded with ``errors="replace"``, so
mojibake cannot enter the database. Both passes stream in 1 MiB chunks (memory stays flat).

Mojibake (文字化け) that is already *in* the text: a UTF-8 file opened in Excel as Shift_JIS and saved again is
valid CP932 (or valid UTF-8) whose text is garbage such as 「繝｡繝ｼ繝ｫ」. ``mojibake_cause`` recognises a cell
whose characters, encoded back the way they were misread, decode strictly as Japanese text in the other encoding
(UTF-8 read as CP932; CP932 or UTF-8 read as Latin-1 / Windows-1252), and a cell holding U+FFFD (characters a
wrong decoder already threw away). The importer refuses such a file before any row is written, naming the line,
the column and the likely cause.
"""

from __future__ import annotations

import codecs
import io
import os
import re
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


MOJIBAKE_UTF8_AS_CP932 = "文字化けしています: UTF-8 のファイルを Shift_JIS として開いて保存した可能性があります"
MOJIBAKE_CP932_AS_LATIN = ("文字化けしています: Shift_JIS のファイルを欧文の文字コード (Latin-1 / Windows-1252)"
                           " として開いて保存した可能性があります")
MOJIBAKE_UTF8_AS_LATIN = ("文字化けしています: UTF-8 のファイルを欧文の文字コード (Latin-1 / Windows-1252)"
                          " として開いて保存した可能性があります")
MOJIBAKE_REPLACED = ("文字化けしています: 読み取れなかった文字 (\ufffd) が含まれています。Shift_JIS と UTF-8 を"
                     "取り違えて開き、保存した可能性があります")
# What Python (U+FFFD), Windows (・) and many tools (?) put where a byte sequence could not be decoded.
_REPLACEMENTS = re.compile("[\ufffd\u30fb?]")
_CONTINUATION = bytes(range(0x80, 0xC0))


def _japanese(ch: str) -> bool:
    code = ord(ch)
    return (0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF)


def _utf8_read_as_cp932(cell: str) -> bool:
    """Part of the cell is UTF-8 Japanese that was decoded as CP932 (undecodable bytes replaced by ・, ? or U+FFFD):
    between two replacements, the characters encoded back to CP932 decode strictly as at least two Japanese
    characters in UTF-8 (genuine Shift_JIS text almost never does: its kana lead bytes are UTF-8 continuations)."""
    for index, segment in enumerate(_REPLACEMENTS.split(cell)):
        if segment.isascii():
            continue
        try:
            raw = segment.encode(CP932)
        except UnicodeEncodeError:
            continue
        if index:  # a replacement may have eaten a sequence's first bytes
            raw = raw.lstrip(_CONTINUATION)
        text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(raw, final=False)
        if "\ufffd" in text or any(not ch.isascii() and not _japanese(ch) for ch in text):
            continue
        if sum(1 for ch in text if _japanese(ch)) >= 2:
            return True
    return False


def _read_as_latin(cell: str, encoding: str) -> bool:
    """The cell is ``encoding`` (CP932 or UTF-8) Japanese that was decoded as Latin-1 or Windows-1252."""
    for latin in ("cp1252", "latin-1"):
        try:
            text = cell.encode(latin).decode(encoding)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if sum(1 for ch in text if _japanese(ch)) >= 2 and all(ch.isascii() or _japanese(ch) for ch in text):
            return True
    return False


def mojibake_cause(cell: str) -> str | None:
    """Why ``cell`` looks like mojibake (a Japanese message), or None when it reads as clean text."""
    if cell.isascii():
        return None
    if _utf8_read_as_cp932(cell):
        return MOJIBAKE_UTF8_AS_CP932
    if any(0x80 <= ord(ch) <= 0x2122 for ch in cell):  # Latin-1 / Windows-1252 letters and symbols
        if _read_as_latin(cell, CP932):
            return MOJIBAKE_CP932_AS_LATIN
        if _read_as_latin(cell, "utf-8"):
            return MOJIBAKE_UTF8_AS_LATIN
    if "\ufffd" in cell:
        return MOJIBAKE_REPLACED
    return None


def refuse_mojibake(line: int, column: str, cell: str) -> None:
    """Raise naming the line and column when ``cell`` is mojibake (nothing of the file is imported)."""
    cause = mojibake_cause(cell)
    if cause is not None:
        raise ValidationFailed(
            f"{line} 行目「{column}」列で{cause}。元のファイルを正しい文字コードで開き直し、"
            "「CSV UTF-8」または「CSV (コンマ区切り)」で保存し直してください",
            where=f"line {line}", details={"line": line, "column": column, "value": cell[:100], "cause": cause},
        )
