"""Domain errors. Each says what was wrong and where, so the API can show it in place."""

from __future__ import annotations

from collections.abc import Mapping
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


# ------------------------------------------------------------------------------- pydantic's problems, in Japanese
# pydantic (and Powertools' body validation, which uses it) words its problems in English ("Field required"). A
# marketer reads them in the admin, so every place that turns a pydantic error into a ValidationFailed words it with
# ``pydantic_message``: one table, keyed by pydantic's stable error ``type``, the numbers taken from the error's ctx.
# ``value_error`` / ``assertion_error`` and our own PydanticCustomErrors carry our own (Japanese) message: kept.
_PYDANTIC_JA: dict[str, str] = {
    "missing": "入力してください（必須です）",
    "missing_argument": "入力してください（必須です）",
    "extra_forbidden": "この項目は使えません（指定できない項目です）",
    "unexpected_keyword_argument": "この項目は使えません（指定できない項目です）",
    "no_such_attribute": "この項目は使えません（指定できない項目です）",
    "string_type": "文字列で入力してください",
    "string_too_short": "{min_length} 文字以上で入力してください",
    "string_too_long": "{max_length} 文字以内で入力してください",
    "string_pattern_mismatch": "形式が正しくありません",
    "string_unicode": "文字列が正しくありません（UTF-8 ではありません）",
    "int_type": "整数で入力してください",
    "int_parsing": "整数で入力してください",
    "int_parsing_size": "数が大きすぎます",
    "int_from_float": "整数で入力してください（小数は使えません）",
    "float_type": "数値で入力してください",
    "float_parsing": "数値で入力してください",
    "finite_number": "有限の数値で入力してください",
    "decimal_type": "数値で入力してください",
    "decimal_parsing": "数値で入力してください",
    "bool_type": "true か false で指定してください",
    "bool_parsing": "true か false で指定してください",
    "greater_than": "{gt} より大きい値にしてください",
    "greater_than_equal": "{ge} 以上にしてください",
    "less_than": "{lt} より小さい値にしてください",
    "less_than_equal": "{le} 以下にしてください",
    "multiple_of": "{multiple_of} の倍数にしてください",
    "too_short": "{min_length} 件以上指定してください",
    "too_long": "{max_length} 件以内にしてください",
    "literal_error": "次のいずれかを指定してください: {expected}",
    "enum": "次のいずれかを指定してください: {expected}",
    "union_tag_invalid": "種類 {tag} は使えません。次のいずれかを指定してください: {expected_tags}",
    "union_tag_not_found": "種類（{discriminator}）を指定してください",
    "url_type": "URL を文字列で入力してください",
    "url_parsing": "URL の形式が正しくありません",
    "url_syntax_violation": "URL の形式が正しくありません",
    "url_scheme": "URL は {expected_schemes} で始めてください",
    "url_too_long": "URL は {max_length} 文字以内で入力してください",
    "json_invalid": "JSON の形式が正しくありません",
    "json_type": "JSON の文字列で指定してください",
    "model_type": "オブジェクト（{{...}}）で指定してください",
    "model_attributes_type": "オブジェクト（{{...}}）で指定してください",
    "dataclass_type": "オブジェクト（{{...}}）で指定してください",
    "dict_type": "オブジェクト（{{...}}）で指定してください",
    "list_type": "リスト（[...]）で指定してください",
    "tuple_type": "リスト（[...]）で指定してください",
    "set_type": "リスト（[...]）で指定してください",
    "iterable_type": "リスト（[...]）で指定してください",
    "none_required": "この項目は指定できません（空にしてください）",
    "date_type": "日付（YYYY-MM-DD）で入力してください",
    "date_parsing": "日付（YYYY-MM-DD）で入力してください",
    "date_from_datetime_parsing": "日付（YYYY-MM-DD）で入力してください",
    "date_from_datetime_inexact": "日付（YYYY-MM-DD）で入力してください（時刻は付けられません）",
    "datetime_type": "日時（YYYY-MM-DDTHH:MM:SS+09:00）で入力してください",
    "datetime_parsing": "日時（YYYY-MM-DDTHH:MM:SS+09:00）で入力してください",
    "datetime_from_date_parsing": "日時（YYYY-MM-DDTHH:MM:SS+09:00）で入力してください",
    "datetime_object_invalid": "日時が正しくありません",
    "timezone_aware": "タイムゾーン付きの日時で入力してください（例: +09:00）",
    "timezone_naive": "タイムゾーンなしの日時で入力してください",
    "time_type": "時刻（HH:MM）で入力してください",
    "time_parsing": "時刻（HH:MM）で入力してください",
    "time_delta_type": "期間で入力してください",
    "time_delta_parsing": "期間で入力してください",
    "uuid_type": "UUID で入力してください",
    "uuid_parsing": "UUID の形式が正しくありません",
    "bytes_type": "文字列で入力してください",
    "bytes_too_short": "{min_length} バイト以上で入力してください",
    "bytes_too_long": "{max_length} バイト以内で入力してください",
    "frozen_field": "この項目は変更できません",
    "frozen_instance": "この項目は変更できません",
    "is_instance_of": "値の種類が正しくありません",
}
_GENERIC_JA = "入力が正しくありません"


def pydantic_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a Japanese sentence for a marketer."""
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "") or "")
    if kind in ("value_error", "assertion_error"):  # our own validator's message: keep it as written
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ") or _GENERIC_JA
    if "url" not in error and not msg.isascii():
        # A PydanticCustomError of ours (it may reuse a pydantic type name, e.g. "url_scheme"): pydantic's own
        # errors carry a documentation url and English words; ours carry neither, and are Japanese already.
        return msg
    template = _PYDANTIC_JA.get(kind)
    if template is None:
        return f"{_GENERIC_JA}（{msg}）" if msg else _GENERIC_JA
    ctx = {key: _ctx_value(value) for key, value in dict(error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):  # a ctx without the number: the sentence without it
        return template.split("{", 1)[0].rstrip(" :（") or _GENERIC_JA


def _ctx_value(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    return str(value).replace("' or '", "' または '")  # pydantic lists choices as "'a', 'b' or 'c'"
