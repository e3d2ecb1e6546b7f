"""What the admin API accepts as a request body, checked once for every route before any route runs.

Every admin route takes a JSON object (or nothing). A body that is too large, sent as another media type, not
UTF-8, not JSON, or JSON that is not an object (an array, a string, null) is answered with a 4xx that names the
problem, in Japanese, with ``where: "body"`` (or ``"content-type"``) - never a 5xx from a route that trusted
``json_body``, and never a 2xx that ignored it. A new route gets these rules without doing anything; the
exceptions are listed here:

- ``POST /api/imports`` may carry a CSV file inline (``{"csv": ...}`` or ``{"base64": ...}``): 5.5 MiB, just under
  what a synchronous Lambda invocation can carry (6 MB for the whole event). Larger files go through
  ``POST /api/imports/upload-url`` (S3).
- ``POST /api/assets`` carries a file as base64 (an attachment is at most 4 MiB: 5.4 MB of base64): 5.5 MiB.
- ``POST /api/scenarios/import`` takes YAML (JSON is YAML too): the size rule only.

Everything else: 1 MiB (a scenario, a broadcast or a form definition is a few KB to a few hundred KB).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from haishin.errors import BadRequest, HaishinError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

DEFAULT_MAX_BYTES = 1 << 20
IMPORT_MAX_BYTES = 5_767_168  # 5.5 MiB
ASSET_MAX_BYTES = 5_767_000  # base64 of a 4 MiB attachment plus its JSON (haishin.assets.sniff.MAX_BYTES)
RICH_MENU_IMAGE_MAX_BYTES = 2 << 20  # base64 of LINE's 1 MB, with room so a larger image gets its own reason
UPLOAD_HINT = "大きなファイルは POST /api/imports/upload-url でアップロードしてください"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# (method, path suffix) -> (max bytes, JSON object required)
_EXCEPTIONS: dict[tuple[str, str], tuple[int, bool]] = {
    ("POST", "/api/imports"): (IMPORT_MAX_BYTES, True),
    ("POST", "/api/scenarios/import"): (DEFAULT_MAX_BYTES, False),
    ("POST", "/api/assets"): (ASSET_MAX_BYTES, True),
    ("PUT", "/image"): (RICH_MENU_IMAGE_MAX_BYTES, True),  # PUT /api/rich-menus/{id}/image
}


def rules_for(method: str, path: str) -> tuple[int, bool]:
    """(largest accepted body in bytes, whether the body must be a JSON object) for one route."""
    for (rule_method, suffix), rule in _EXCEPTIONS.items():
        if method == rule_method and path.rstrip("/").endswith(suffix):
            return rule
    return DEFAULT_MAX_BYTES, True


def _kib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB" if size >= 1 << 20 else f"{max(size // 1024, 1)} KB"


def too_large(size: int, limit: int, *, hint: str = "") -> PayloadTooLarge:
    message = f"リクエストの本文が大きすぎます ({_kib(size)}、上限 {_kib(limit)})。" + (f"{hint}。" if hint else "")
    return PayloadTooLarge(message, where="body", details={"size": size, "limit": limit})


def check_body(event: dict[str, Any]) -> None:
    """Raise the 4xx for a body the route cannot take (see the module docstring)."""
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method") or "GET").upper()
    body = event.get("body")
    if method not in BODY_METHODS or body in (None, ""):
        return
    path = str(event.get("rawPath") or "")
    limit, json_object = rules_for(method, path)
    hint = UPLOAD_HINT if limit == IMPORT_MAX_BYTES else ""
    text = body if isinstance(body, str) else bytes(body).decode("latin-1")
    if event.get("isBase64Encoded"):
        if len(text) > (limit * 4) // 3 + 4:
            raise too_large((len(text) * 3) // 4, limit, hint=hint)
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("リクエストの本文の base64 が壊れています", where="body") from None
    else:
        raw = text.encode("utf-8", errors="surrogatepass")
    if len(raw) > limit:
        raise too_large(len(raw), limit, hint=hint)
    if not json_object or not raw.strip():
        return
    headers = event.get("headers") or {}
    media_type = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "application/json")
    media_type = media_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"本文は JSON (Content-Type: application/json) で送ってください ({media_type} は受け付けません)",
            where="content-type")
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("リクエストの本文が UTF-8 ではありません。JSON を UTF-8 で送ってください",
                         where="body") from None
    try:
        value = json.loads(decoded)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        at = f" ({line} 行 {column} 文字目)" if line and column else ""
        raise BadRequest(f"リクエストの本文が JSON として読めません{at}", where="body") from None
    if not isinstance(value, dict):
        kind = {list: "配列", str: "文字列", int: "数値", float: "数値", bool: "真偽値"}.get(type(value), "null")
        raise ValidationFailed(
            f"リクエストの本文は JSON オブジェクト ({{...}}) で送ってください ({kind}は受け付けません)", where="body")


def problem(event: dict[str, Any]) -> HaishinError | None:
    try:
        check_body(event)
    except HaishinError as error:
        return error
    return None


IDEMPOTENCY_KEY_MAX = 100


def idempotency_key(headers: dict[str, str] | None) -> str | None:
    """The request's ``Idempotency-Key`` (any case; API Gateway HTTP APIs lower-case header names), the admin's name
    for one user action, so a double click or a retried request does the action once. None when not sent;
    ``ValidationFailed`` at the header when it is not 1-100 printable ASCII characters."""
    key = next((value for name, value in (headers or {}).items() if name.lower() == "idempotency-key"), None)
    if key is not None and not (0 < len(key) <= IDEMPOTENCY_KEY_MAX and key.isascii() and key.isprintable()):
        raise ValidationFailed(f"Idempotency-Key は {IDEMPOTENCY_KEY_MAX} 文字以内の英数字にしてください",
                               where="Idempotency-Key")
    return key
