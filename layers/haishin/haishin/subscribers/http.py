"""Small helpers the CRM routes share: JSON bodies validated by pydantic into ``ValidationFailed`` (where = the
field path), query parameters, and the caller's view of friends."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ValidationError

from haishin.errors import ValidationFailed, pydantic_message

M = TypeVar("M", bound=BaseModel)


def where_of(error: ValidationError) -> tuple[str, str, list[dict[str, str]]]:
    problems = [{"where": ".".join(str(p) for p in e["loc"]), "message": pydantic_message(e)} for e in error.errors()]
    first = problems[0] if problems else {"where": "", "message": "invalid"}
    return first["where"], first["message"], problems


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where, message, problems = where_of(exc)
        raise ValidationFailed(f"{where}: {message}" if where else message, where=where or None,
                               details=problems) from None


def body(router: APIGatewayHttpRouter) -> Any:
    try:
        return router.current_event.json_body or {}
    except ValueError:
        raise ValidationFailed("the body is not JSON", where="body") from None


def query(router: APIGatewayHttpRouter, name: str, default: str | None = None) -> str | None:
    return router.current_event.get_query_string_value(name, default)


def int_query(router: APIGatewayHttpRouter, name: str, default: int, low: int, high: int) -> int:
    raw = query(router, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", where=name) from None
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}", where=name)
    return value


def decode_upload(payload: dict[str, Any]) -> bytes:
    """An upload body: {"csv": "<text>"} (sent as UTF-8) or {"base64": "<bytes>"} (any encoding, e.g. Shift_JIS)."""
    if isinstance(payload.get("base64"), str):
        try:
            return base64.b64decode(payload["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("base64 is not valid base64", where="base64") from None
    if isinstance(payload.get("csv"), str):
        return str(payload["csv"]).encode("utf-8")
    raise ValidationFailed("send the file as 'csv' (text) or 'base64'", where="csv")
