"""Parsing API Gateway HTTP API (payload v2) events for the hosted pages (stdlib only)."""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import urllib.parse
from typing import Any

from haishin.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_FORM_BYTES = 256 * 1024
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MULTIPART_MEDIA_TYPE = "multipart/form-data"  # RFC 8058 allows mail clients to send a one-click POST either way


def raw_body(event: dict[str, Any], *, limit: int | None = None) -> bytes:
    """The request's bytes; PayloadTooLarge over ``limit`` (checked before decoding), BadRequest for broken base64."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if limit is not None and len(body) > (limit * 4) // 3 + 4:
            raise PayloadTooLarge(f"送信された内容が大きすぎます (上限 {limit // 1024} KB)", where="body")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("送信された内容の base64 が壊れています", where="body") from None
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge(f"送信された内容が大きすぎます (上限 {limit // 1024} KB)", where="body")
    return raw


def form_data(event: dict[str, Any], *, multipart: bool = False) -> dict[str, list[str]]:
    """A form post's fields. Anything but ``application/x-www-form-urlencoded`` (what the hosted form sends), or
    ``multipart/form-data`` where the caller accepts it, is refused (415), and so is a body over MAX_FORM_BYTES
    (413): never silently cut or read as an empty form."""
    body = raw_body(event, limit=MAX_FORM_BYTES)
    content_type = header(event, "content-type") or FORM_MEDIA_TYPE
    media_type = content_type.split(";", 1)[0].strip().lower()
    if multipart and media_type == MULTIPART_MEDIA_TYPE:
        return _multipart_fields(body, content_type)
    if media_type != FORM_MEDIA_TYPE:
        raise UnsupportedMediaType(
            f"フォームの送信形式が正しくありません ({media_type} ではなく {FORM_MEDIA_TYPE} で送ってください)",
            where="content-type")
    return urllib.parse.parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _multipart_fields(body: bytes, content_type: str) -> dict[str, list[str]]:
    """The text fields of a multipart/form-data body (files are ignored), parsed by the stdlib e-mail parser."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", errors="replace") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise BadRequest("multipart/form-data の本文が読めません (boundary を確認してください)", where="body")
    fields: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and part.get_filename() is None:
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
            fields.setdefault(name, []).append(text)
    return fields


def header(event: dict[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value)
    return None


def query(event: dict[str, Any], name: str) -> str | None:
    return (event.get("queryStringParameters") or {}).get(name)


def path_param(event: dict[str, Any], name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name) or "")


def source_ip(event: dict[str, Any]) -> str:
    return str(((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "")


def method(event: dict[str, Any]) -> str:
    return str(((event.get("requestContext") or {}).get("http") or {}).get("method") or "GET").upper()


def posted_form(event: dict[str, Any]) -> dict[str, list[str]]:
    """A POST's form fields ({} for a GET); a body that cannot be read raises (its own problem, whoever sent it)."""
    return form_data(event) if method(event) == "POST" else {}
