"""Import jobs in WorkspaceTable: pk ``ws#<id>`` sk ``import#<job_id>``; their row errors at
sk ``import#<job_id>#err#<line:09d>#<n>`` (line, column, reason), at most ``MAX_STORED_ERRORS`` per job.

Progress (total, processed, created, updated, skipped, errors, last_line) is committed after each chunk of rows has
been written, so ``last_line`` is always a line up to which every row is in the database: a resumed import skips
the records up to it and carries on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from haishin.errors import NotFound
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.workspaces.models import workspace_pk

MAX_STORED_ERRORS = 10_000
JobStatus = Literal["uploaded", "running", "paused", "completed", "failed"]


class ImportOptions(BaseModel):
    """How a file maps onto friends.

    mapping: CSV header -> target; headers not named are auto-mapped (field label or key, or the column names the
    export writes: 友だちID, 表示名, LINEユーザーID, メールアドレス, 電話番号, タグ, 流入経路) or ignored.
    Targets: ``subscriber_id``, ``display_name``, ``email``, ``phone``, ``line_user_id`` (needs ``channel_id``),
    ``inflow_route``, ``tags`` (names or IDs separated by , or 、), ``field:<key>``, ``ignore``.
    dedupe_by: which identity finds an existing friend (``auto``: 友だちID, then LINE user ID, email, phone).
    on_duplicate: ``update`` the existing friend or ``skip`` the row.
    empty_values: ``keep`` (an empty cell never wipes a filled field; the default) or ``clear``.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid")
    mapping: dict[str, str] = Field(default_factory=dict)
    channel_id: str | None = None
    dedupe_by: Literal["auto", "line_user_id", "email", "phone"] = "auto"
    on_duplicate: Literal["update", "skip"] = "update"
    empty_values: Literal["keep", "clear"] = "keep"
    tags_mode: Literal["add", "replace"] = "add"
    create_missing_tags: bool = True


class ImportJobModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    status = UnicodeAttribute(default="uploaded")
    filename = UnicodeAttribute(null=True)
    source = JSONTextAttribute(default=dict)
    encoding = UnicodeAttribute(null=True)
    header = JSONTextAttribute(default=list)
    options = JSONTextAttribute(default=dict)
    total = NumberAttribute(default=0)
    processed = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    errors = NumberAttribute(default=0)
    last_line = NumberAttribute(default=1)  # the header is line 1
    message = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(default="system")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    # "<channel_id>|<rule kind>": followers of these channels changed what rich menu rules of that kind read
    # (ADDed after each chunk, so a paused or crashed import remembers them); read when the import completes
    menu_marks = UnicodeSetAttribute(null=True)
    rich_menu_jobs = JSONTextAttribute(null=True)  # {channel_id: re-link job ID} started when it completed


class ImportErrorModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    line = NumberAttribute()
    column = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()


def job_sk(job_id: str) -> str:
    return f"import#{job_id}"


def load_job(workspace_id: str, job_id: str) -> ImportJobModel:
    try:
        return ImportJobModel.get(workspace_pk(workspace_id), job_sk(job_id), consistent_read=True)
    except ImportJobModel.DoesNotExist:
        raise NotFound(f"no import '{job_id}'", where="import_id") from None


def job_to_dict(job: ImportJobModel) -> dict[str, Any]:
    return {
        "import_id": job.job_id, "status": job.status, "filename": job.filename, "encoding": job.encoding,
        "header": job.header, "options": job.options, "total": int(job.total), "processed": int(job.processed),
        "created": int(job.created), "updated": int(job.updated), "skipped": int(job.skipped),
        "errors": int(job.errors), "last_committed_line": int(job.last_line), "message": job.message,
        "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "rich_menu_jobs": dict(job.rich_menu_jobs or {}),
    }


def error_report(workspace_id: str, job_id: str, *, limit: int = 1000, after: str | None = None
                 ) -> tuple[list[dict[str, Any]], str | None]:
    condition: Any = ImportErrorModel.sk.startswith(f"import#{job_id}#err#")
    if after:
        condition = ImportErrorModel.sk.between(after + "\x00", f"import#{job_id}#err#\uffff")
    rows = list(ImportErrorModel.query(workspace_pk(workspace_id), condition, limit=limit))
    out = [{"line": int(r.line), "column": r.column, "reason": r.reason} for r in rows]
    return out, (rows[-1].sk if len(rows) == limit else None)
