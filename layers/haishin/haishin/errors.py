"""Domain errors. Each says what was wrong and where, so the API can show it in place."""

from __future__ import annotations

from typing import Any


class HaishinError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, where: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.where:
            body["where"] = self.where
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(HaishinError):
    code = "validation_failed"
    http_status = 422


class BadRequest(HaishinError):
    """The request itself is malformed (a body that is not JSON, broken base64)."""

    code = "bad_request"
    http_status = 400


class PayloadTooLarge(HaishinError):
    code = "payload_too_large"
    http_status = 413


class UnsupportedMediaType(HaishinError):
    code = "unsupported_media_type"
    http_status = 415


class NotFound(HaishinError):
    code = "not_found"
    http_status = 404


class Conflict(HaishinError):
    code = "conflict"
    http_status = 409


class PermissionDenied(HaishinError):
    code = "forbidden"
    http_status = 403


class Unauthenticated(HaishinError):
    code = "unauthenticated"
    http_status = 401


class ExternalServiceError(HaishinError):
    """A platform (LINE, Stripe, AWS) failed in a way a retry may fix."""

    code = "external_service_error"
    http_status = 502


class ConfigurationError(HaishinError):
    """The deployment lacks a setting it needs (said in ``where``); an operator fixes it, a retry does not."""

    code = "configuration_error"
    http_status = 500
