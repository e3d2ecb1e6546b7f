"""CSV imports: upload (text, base64, or a presigned S3 PUT for big files), options, preview, start/resume,
status, error report.

``POST /api/imports/{id}/start`` works for up to ``RUN_SECONDS`` (well inside the 30 s HTTP API limit), commits
progress after each chunk and answers with the job: ``paused`` means "call start again" (the admin polls it),
``completed`` means done. An interrupted run (a Lambda timeout) resumes from the last committed line the same way.
"""


from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin import ids
from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.csvio.encoding import S3Source, exports_bucket, s3_client
from haishin.csvio.jobs import ImportJobModel, ImportOptions, error_report, job_to_dict, load_job
from haishin.errors import ValidationFailed
from haishin.subscribers.http import body, decode_upload, int_query, query, validate
from haishin.wiring import services
from haishin.workspaces.models import workspace_pk

router = APIGatewayHttpRouter()
RUN_SECONDS = 20.0
MAX_INLINE_BYTES = 5 * 1024 * 1024  # the Lambda payload limit is 6 MB; bigger files go through S3


class UploadIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    filename: str = Field(default="upload.csv", max_length=255)
    csv: str | None = None
    base64: str | None = None
    s3_key: str | None = None
    options: ImportOptions | None = None


def _actor() -> str:
    return f"operator:{current_caller().operator_id}"


@router.post("/imports/upload-url")
@requires(Permission.IMPORT_CSV)
def upload_url() -> dict[str, Any]:
    """A presigned PUT URL for a big file; then POST /imports with the returned s3_key."""
    ws = current_caller().workspace_id
    key = f"imports/{ws}/{ids.new_id('upl_')}.csv"
    url = s3_client().generate_presigned_url("put_object", Params={"Bucket": exports_bucket(), "Key": key},
                                             ExpiresIn=900)
    return {"upload_url": url, "s3_key": key, "expires_in": 900}


@router.post("/imports")
@requires(Permission.IMPORT_CSV)
def create_import() -> Any:
    ws = current_caller().workspace_id
    request = validate(UploadIn, body(router))
    service = services().imports
    if request.s3_key:
        if not request.s3_key.startswith(f"imports/{ws}/"):
            raise ValidationFailed("that upload belongs to another workspace", where="s3_key")
        job = service.create_job(ws, S3Source(exports_bucket(), request.s3_key), filename=request.filename,
                                 actor=_actor(), options=request.options)
    else:
        data = decode_upload(request.model_dump())
        if len(data) > MAX_INLINE_BYTES:
            raise ValidationFailed("files over 5 MB go through POST /api/imports/upload-url", where="csv")
        job = service.upload(ws, request.filename, data, actor=_actor(), options=request.options)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=job_to_dict(job))


@router.get("/imports")
@requires(Permission.IMPORT_CSV)
def list_imports() -> dict[str, Any]:
    ws = current_caller().workspace_id
    jobs = [j for j in ImportJobModel.query(workspace_pk(ws), ImportJobModel.sk.startswith("import#"))
            if j.sk.count("#") == 1]
    return {"imports": [job_to_dict(j) for j in sorted(jobs, key=lambda j: j.created_at, reverse=True)]}


@router.get("/imports/<import_id>")
@requires(Permission.IMPORT_CSV)
def get_import(import_id: str) -> dict[str, Any]:
    return job_to_dict(load_job(current_caller().workspace_id, import_id))


@router.put("/imports/<import_id>/options")
@requires(Permission.IMPORT_CSV)
def set_options(import_id: str) -> dict[str, Any]:
    options = validate(ImportOptions, body(router))
    return job_to_dict(services().imports.set_options(current_caller().workspace_id, import_id, options))


@router.get("/imports/<import_id>/preview")
@requires(Permission.IMPORT_CSV)
def preview(import_id: str) -> dict[str, Any]:
    return services().imports.preview(current_caller().workspace_id, import_id,
                                   rows=int_query(router, "rows", 20, 1, 200))


@router.post("/imports/<import_id>/start")
@requires(Permission.IMPORT_CSV)
def start(import_id: str) -> dict[str, Any]:
    job = services().imports.run(current_caller().workspace_id, import_id, seconds=RUN_SECONDS)
    return job_to_dict(load_job(current_caller().workspace_id, job.job_id))


@router.get("/imports/<import_id>/errors")
@requires(Permission.IMPORT_CSV)
def errors(import_id: str) -> dict[str, Any]:
    ws = current_caller().workspace_id
    load_job(ws, import_id)
    items, cursor = error_report(ws, import_id, limit=int_query(router, "limit", 1000, 1, 5000),
                                 after=query(router, "cursor"))
    return {"errors": items, "next_cursor": cursor}
