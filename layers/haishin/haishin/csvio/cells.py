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


# Characters Shift_JIS (cp932) spells with another code point than Unicode's usual one, mapped before encoding.
CP932_LOOKALIKES = str.maketrans({
    "\u301c": "\uff5e", "\u2212": "\uff0d", "\u2016": "\u2225", "\u00a2": "\uffe0", "\u00a3": "\uffe1",
    "\u00ac": "\uffe2", "\u2014": "\u2015",
})
PLACEHOLDER = "〓"  # stands for a character cp932 cannot hold


def _in_cp932(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def encode_csv(text: str, encoding: str) -> bytes:
    """A finished CSV as downloaded: ``cp932`` (Excel's Shift_JIS; lookalikes mapped, any other character it cannot
    hold as ``PLACEHOLDER``) or else UTF-8 with a BOM (so Excel reads it as UTF-8)."""
    if encoding == "cp932":
        text = text.translate(CP932_LOOKALIKES)
        return "".join(ch if _in_cp932(ch) else PLACEHOLDER for ch in text).encode("cp932")
    return text.encode("utf-8-sig")


def encode_rows(rows: list[list[str]], encoding: str) -> bytes:
    """Rows as the file a marketer opens in Excel: cells neutralised, CRLF lines, then ``encode_csv``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(neutralise_row(row))
    return encode_csv(buffer.getvalue(), encoding)
