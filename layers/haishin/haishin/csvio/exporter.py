"""CSV export of a segment with chosen columns, in UTF-8 with BOM (Excel) or Shift_JIS (CP932).

- Headers are the Japanese names the importer auto-maps back (field columns use the field's label), values are in
  the forms the importer reads (dates ``2021/01/01``, datetimes ``2021/01/01 11:00〜12:00`` in the workspace time
  zone, multiple choice and tags joined by ``,``), so exporting then importing round-trips every field.
- CP932: the usual Unicode look-alikes are mapped to what CP932 has (〜 U+301C -> ～, − U+2212 -> －, ‖ -> ∥,
  ¢ £ ¬ -> ￠ ￡ ￢); any other character CP932 lacks (emoji, some kanji variants) becomes 〓 (geta, the visible
  Japanese placeholder) and is reported with its line, column and code point.
- The LINE user ID column needs VIEW_LINE_USER_IDS: without it the column is left out (and reported as omitted).
- Every cell, headers included, is neutralised against CSV injection (``csvio.cells``: a leading ``'`` before
  ``= + - @``, tab or CR); the importer takes it off again, so the round trip stays lossless.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from haishin import ids
from haishin.auth.caller import Caller
from haishin.auth.permissions import Permission
from haishin.csvio.cells import neutralise_row
from haishin.csvio.encoding import exports_bucket, s3_client
from haishin.errors import ValidationFailed
from haishin.fields.models import FieldDefinition
from haishin.fields.repository import FieldRepository
from haishin.fields.values import to_text
from haishin.segments import model as m
from haishin.segments.engine import SegmentEngine
from haishin.subscribers.models import follow_status
from haishin.tags.repository import TagRepository

ExportEncoding = Literal["utf-8-sig", "cp932"]
BUILTIN_COLUMNS: dict[str, str] = {
    "subscriber_id": "友だちID",
    "display_name": "表示名",
    "line_user_id": "LINEユーザーID",
    "email": "メールアドレス",
    "phone": "電話番号",
    "tags": "タグ",
    "inflow_route": "流入経路",
    "follow_status": "状態",
    "created_at": "登録日時",
    "last_interaction_at": "最終反応日時",
    "total_spent": "購入総額",
}
CP932_LOOKALIKES = str.maketrans({
    "\u301c": "\uff5e", "\u2212": "\uff0d", "\u2016": "\u2225", "\u00a2": "\uffe0", "\u00a3": "\uffe1",
    "\u00ac": "\uffe2", "\u2014": "\u2015",
})
PLACEHOLDER = "〓"


def encode_sheet(text: str, encoding: ExportEncoding) -> bytes:
    """A whole CSV text as the bytes Excel opens: UTF-8 with BOM, or CP932 with the look-alikes mapped and any
    other character CP932 lacks as 〓."""
    if encoding == "cp932":
        text = text.translate(CP932_LOOKALIKES)
        return "".join(ch if _in_cp932(ch) else PLACEHOLDER for ch in text).encode("cp932")
    return text.encode("utf-8-sig")


def _in_cp932(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True
_ATTRIBUTES = {
    "subscriber_id": [], "display_name": ["display_name"], "line_user_id": ["line"], "email": ["email"],
    "phone": ["phone"], "tags": ["tags"], "inflow_route": ["inflow_route"], "follow_status": ["line"],
    "created_at": ["created_at"], "last_interaction_at": ["last_interaction_at"], "total_spent": ["total_spent"],
}


@dataclass
class ExportResult:
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    omitted_columns: list[str] = field(default_factory=list)
    replaced: list[dict[str, Any]] = field(default_factory=list)  # {line, column, char, codepoint}
    export_id: str | None = None
    url: str | None = None
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"export_id": self.export_id, "rows": self.rows, "columns": self.columns,
                "omitted_columns": self.omitted_columns, "replaced": self.replaced[:1000],
                "replaced_count": len(self.replaced), "url": self.url}


def default_columns(definitions: Mapping[str, FieldDefinition]) -> list[str]:
    return [*BUILTIN_COLUMNS, *(f"field:{key}" for key in definitions)]


class Exporter:
    def __init__(self, engine: SegmentEngine | None = None, tz: str = "Asia/Tokyo") -> None:
        self.engine = engine or SegmentEngine()
        self.fields = FieldRepository()
        self.tags = TagRepository()
        self.tz = tz

    def write(
        self, workspace_id: str, segment: m.Group, out: IO[bytes], *, caller: Caller | None,
        columns: list[str] | None = None, encoding: ExportEncoding = "utf-8-sig", channel_id: str | None = None,
        header: bool = True,
    ) -> ExportResult:
        if encoding not in ("utf-8-sig", "cp932"):
            raise ValidationFailed("encoding must be utf-8-sig or cp932", where="encoding")
        definitions = self.fields.by_key(workspace_id)
        columns = list(columns or default_columns(definitions))
        result = ExportResult()
        for column in columns:
            if column.startswith("field:"):
                if column[6:] not in definitions:
                    raise ValidationFailed(f"no field '{column[6:]}'", where=f"columns.{column}")
            elif column not in BUILTIN_COLUMNS:
                raise ValidationFailed(f"no column '{column}'", where=f"columns.{column}")
        if "line_user_id" in columns and not (caller is not None and caller.can(Permission.VIEW_LINE_USER_IDS)):
            columns.remove("line_user_id")
            result.omitted_columns.append("line_user_id")
        result.columns = columns
        tag_names = {t.tag_id: t.name for t in self.tags.all(workspace_id)}
        headers = [definitions[c[6:]].label if c.startswith("field:") else BUILTIN_COLUMNS[c] for c in columns]
        attributes: set[str] = {"field_ends"}
        for column in columns:
            attributes.update(["fields"] if column.startswith("field:") else _ATTRIBUTES[column])
        compiled = self.engine.compile(workspace_id, segment)
        text = io.TextIOWrapper(out, encoding=encoding, errors="strict", newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\r\n")
        line = 0
        if header:  # without it: a bare list of values (LINE user IDs for a LINE audience upload, one per line)
            line = 1
            writer.writerow(self._encodable(neutralise_row(headers), 1, headers, result, encoding))
        for row in self.engine.iter_matches(compiled, extra=attributes):
            line += 1
            cells = neutralise_row([self._cell(column, row, definitions, tag_names, channel_id) for column in columns])
            writer.writerow(self._encodable(cells, line, headers, result, encoding))
            result.rows += 1
        text.flush()
        text.detach()
        return result

    def _cell(self, column: str, row: Mapping[str, Any], definitions: Mapping[str, FieldDefinition],
              tag_names: Mapping[str, str], channel_id: str | None) -> str:
        if column.startswith("field:"):
            key = column[6:]
            return to_text(definitions[key], (row.get("fields") or {}).get(key),
                           (row.get("field_ends") or {}).get(key), tz=self.tz)
        if column == "tags":
            return ",".join(sorted(tag_names[t] for t in (row.get("tags") or ()) if t in tag_names))
        if column == "line_user_id":
            line = row.get("line") or {}
            account = line.get(channel_id) if channel_id else next(iter(line.values()), None)
            return str((account or {}).get("user_id") or "")
        if column == "follow_status":
            return follow_status(row.get("line"), channel_id)
        value = row.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    @staticmethod
    def _encodable(cells: list[str], line: int, headers: list[str], result: ExportResult,
                   encoding: str) -> list[str]:
        if encoding != "cp932":
            return cells
        out = []
        for index, raw in enumerate(cells):
            cell = raw.translate(CP932_LOOKALIKES)
            try:
                cell.encode("cp932")
            except UnicodeEncodeError:
                chars = []
                for ch in cell:
                    try:
                        ch.encode("cp932")
                        chars.append(ch)
                    except UnicodeEncodeError:
                        chars.append(PLACEHOLDER)
                        result.replaced.append({"line": line, "column": headers[index], "char": ch,
                                                "codepoint": f"U+{ord(ch):04X}"})
                cell = "".join(chars)
            out.append(cell)
        return out

    def to_s3(self, workspace_id: str, segment: m.Group, *, caller: Caller | None, columns: list[str] | None,
              encoding: ExportEncoding, channel_id: str | None = None, header: bool = True) -> ExportResult:
        """Write the export to the exports bucket and return a presigned download URL (valid 15 minutes).

        The file is built in a spooled temporary file (memory up to 8 MiB, then disk), then uploaded."""
        import tempfile  # noqa: PLC0415

        export_id = ids.new_id("exp_")
        key = f"exports/{workspace_id}/{export_id}.csv"
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
            result = self.write(workspace_id, segment, spool, caller=caller, columns=columns,
                                encoding=encoding, channel_id=channel_id, header=header)
            spool.seek(0)
            client = s3_client()
            client.upload_fileobj(spool, exports_bucket(), key, ExtraArgs={
                "ContentType": f"text/csv; charset={'Shift_JIS' if encoding == 'cp932' else 'UTF-8'}",
                "ContentDisposition": f'attachment; filename="{export_id}.csv"'})
            result.url = client.generate_presigned_url(
                "get_object", Params={"Bucket": exports_bucket(), "Key": key}, ExpiresIn=900)
        result.export_id = export_id
        result.key = key
        return result
