"""CSV cells that spreadsheets must not run as formulas (CSV injection), written and read back losslessly.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (OWASP "CSV Injection"). Every CSV we write passes its cells through ``neutralise``: such a
cell gets a leading single quote, which spreadsheets show as text and do not evaluate. A cell that already starts
with quotes followed by one of those characters gets one more quote, so ``unneutralise`` (the importer's side)
can always take exactly one away: export then import gives back every value unchanged, including values that
really start with a quote.
"""

from __future__ import annotations

import csv
import io
import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise(cell: str) -> str:
    """The cell as it is written to a CSV file."""
    if cell.startswith(FORMULA_TRIGGERS) or _NEUTRALISED.match(cell):
        return "'" + cell
    return cell


def unneutralise(cell: str) -> str:
    """The value a cell written by ``neutralise`` stood for (other cells are returned unchanged)."""
    return cell[1:] if _NEUTRALISED.match(cell) else cell


def neutralise_row(cells: list[str]) -> list[str]:
    return [neutralise(cell) for cell in cells]


def unneutralise_row(cells: list[str]) -> list[str]:
    return [unneutralise(cell) for cell in cells]


def encode_csv(rows: list[list[str]], encoding: str) -> bytes:
    """Rows as the file a marketer opens in Excel: cells neutralised, CRLF lines, UTF-8 with BOM (``utf-8-sig``) or
    Shift_JIS (``cp932``; a character CP932 lacks becomes 〓 rather than failing the export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(neutralise_row(row))
    text = buffer.getvalue()
    if encoding == "cp932":
        return _cp932_bytes(text)
    return text.encode("utf-8-sig")


def _cp932_bytes(text: str) -> bytes:
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp932"))
        except UnicodeEncodeError:
            out.append("〓".encode("cp932"))
    return b"".join(out)
