"""A minimal AWS client for the webhook path: SigV4 with hmac/hashlib, http.client, the AWS JSON protocol.

Why: boto3 + botocore cost hundreds of milliseconds at a Lambda cold start, and the LINE webhook must answer within
2 seconds including that start. This module imports only the standard library and speaks just what the webhook
needs: ``sqs.SendMessage``, ``secretsmanager.GetSecretValue`` and ``dynamodb.GetItem`` / ``UpdateItem``.

- Credentials: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` (what Lambda sets).
- Region: ``AWS_REGION`` (else ``AWS_DEFAULT_REGION``, else us-east-1).
- Endpoint: ``AWS_ENDPOINT_URL_<SERVICE>`` then ``AWS_ENDPOINT_URL`` (botocore's variables, so the same
  environment that points boto3 at moto or DynamoDB Local points this client there too), else
  ``https://<service>.<region>.amazonaws.com``.
- Connections are kept alive per thread and re-opened once when a kept-alive connection went stale.
- Nothing here logs request bodies (they may hold secrets).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import http.client

_ALGORITHM = "AWS4-HMAC-SHA256"

# service -> (signing name, X-Amz-Target prefix, content type, endpoint variable suffix)
SERVICES: dict[str, tuple[str, str, str, str]] = {
    "sqs": ("sqs", "AmazonSQS", "application/x-amz-json-1.0", "SQS"),
    "secretsmanager": ("secretsmanager", "secretsmanager", "application/x-amz-json-1.1", "SECRETS_MANAGER"),
    "dynamodb": ("dynamodb", "DynamoDB_20120810", "application/x-amz-json-1.0", "DYNAMODB"),
}


class AwsLiteError(Exception):
    """An AWS error answer (``status`` set) or a transport failure (``status`` None)."""

    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status = status
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.code in _RETRYABLE_CODES


_RETRYABLE_CODES = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "RequestThrottled",
     "ServiceUnavailable", "InternalFailure", "InternalServerError"}
)


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    session_token: str | None = None

    @classmethod
    def from_env(cls) -> Credentials:
        access_key = os.environ.get("AWS_ACCESS_KEY_ID", "")
        secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not access_key or not secret_key:
            raise AwsLiteError(None, "MissingCredentials", "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set")
        return cls(access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN") or None)


def region_from_env() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def endpoint_from_env(service: str, region: str) -> str:
    suffix = SERVICES[service][3] if service in SERVICES else service.upper()
    explicit = os.environ.get(f"AWS_ENDPOINT_URL_{suffix}") or os.environ.get("AWS_ENDPOINT_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"https://{service}.{region}.amazonaws.com"


# ---------------------------------------------------------------------------------------------------- SigV4
def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _uri_encode(value: str, *, keep_slash: bool) -> str:
    return urllib.parse.quote(value, safe="/-_.~" if keep_slash else "-_.~")


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


def sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    service: str,
    region: str,
    credentials: Credentials,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return ``headers`` plus ``x-amz-date``, ``x-amz-security-token`` (if any) and ``Authorization``.

    Follows the Signature Version 4 spec: canonical request (URI-encoded path, sorted query, lower-cased sorted
    headers with trimmed values, hex SHA-256 of the payload), string to sign, derived key, signature.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    parsed = urllib.parse.urlsplit(url)
    out = dict(headers)
    lower = {k.lower(): k for k in out}
    if "host" not in lower:
        out["host"] = parsed.netloc
    if "x-amz-date" not in lower:
        out["x-amz-date"] = amz_date
    else:
        amz_date = out[lower["x-amz-date"]]
        date = amz_date[:8]
    if credentials.session_token:
        out["x-amz-security-token"] = credentials.session_token

    canonical_headers_map: dict[str, str] = {}
    for name, raw_value in out.items():
        key = name.lower().strip()
        value = " ".join(str(raw_value).split())
        canonical_headers_map[key] = f"{canonical_headers_map[key]},{value}" if key in canonical_headers_map else value
    signed_headers = ";".join(sorted(canonical_headers_map))
    canonical_headers = "".join(f"{k}:{canonical_headers_map[k]}\n" for k in sorted(canonical_headers_map))

    path = parsed.path or "/"
    # Normalise (the AWS test suite's rule for every service except S3) and encode each segment once.
    segments = [s for s in path.split("/") if s not in ("", ".")]
    normal: list[str] = []
    for segment in segments:
        if segment == "..":
            if normal:
                normal.pop()
        else:
            normal.append(segment)
    canonical_uri = "/" + "/".join(_uri_encode(urllib.parse.unquote(s), keep_slash=False) for s in normal)
    if path.endswith("/") and normal:
        canonical_uri += "/"
    query_pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    canonical_query = "&".join(
        f"{_uri_encode(k, keep_slash=False)}={_uri_encode(v, keep_slash=False)}" for k, v in sorted(query_pairs)
    )
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical_request = "\n".join(
        [method.upper(), canonical_uri, canonical_query, canonical_headers, signed_headers, payload_hash]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [_ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    signature = hmac.new(
        signing_key(credentials.secret_key, date, region, service), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    out["Authorization"] = (
        f"{_ALGORITHM} Credential={credentials.access_key}/{scope}, SignedHeaders={signed_headers}, "
        f"Signature={signature}"
    )
    return out


# ---------------------------------------------------------------------------------------------------- client
class AwsJsonClient:
    """One AWS service over the JSON protocol. ``call("SendMessage", {...})`` returns the decoded answer."""

    def __init__(
        self,
        service: str,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 3.0,
    ) -> None:
        if service not in SERVICES:
            raise ValueError(f"aws_lite does not speak {service}")
        self.service = service
        self.signing_name, self.target_prefix, self.content_type, _ = SERVICES[service]
        self.region = region or region_from_env()
        self.endpoint = (endpoint or endpoint_from_env(service, self.region)).rstrip("/")
        self._credentials = credentials
        self.timeout = timeout
        parsed = urllib.parse.urlsplit(self.endpoint)
        self._scheme = parsed.scheme or "https"
        self._netloc = parsed.netloc
        self._path = parsed.path or "/"
        self._local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        import http.client  # noqa: PLC0415 - 16 ms of stdlib (email.*): the webhook imports us, connects later

        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and not fresh:
            return conn
        if conn is not None:
            conn.close()
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(self._netloc, timeout=self.timeout)
        else:
            conn = http.client.HTTPConnection(self._netloc, timeout=self.timeout)
        self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        credentials = self._credentials or Credentials.from_env()
        headers = sign(
            "POST",
            f"{self._scheme}://{self._netloc}{self._path}",
            {"content-type": self.content_type, "x-amz-target": f"{self.target_prefix}.{operation}"},
            body,
            service=self.signing_name,
            region=self.region,
            credentials=credentials,
        )
        status, raw, query_error = self._send(headers, body)
        text = raw.decode("utf-8") if raw else ""
        if 200 <= status < 300:
            return json.loads(text) if text.strip() else {}
        return self._raise(status, text, query_error)

    def _send(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str | None]:
        import http.client  # noqa: PLC0415 - see _connection

        for attempt in range(2):
            conn = self._connection(fresh=attempt > 0)
            try:
                conn.request("POST", self._path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                return response.status, raw, response.getheader("x-amzn-query-error")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection the server had closed: re-open once, then give up.
                self.close()
                if attempt:
                    raise AwsLiteError(None, type(exc).__name__, str(exc)) from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise AwsLiteError(None, type(exc).__name__, str(exc)) from exc
        raise AwsLiteError(None, "Unreachable", "no answer")  # pragma: no cover

    @staticmethod
    def _raise(status: int, text: str, query_error: str | None) -> dict[str, Any]:
        code, message = f"HTTP{status}", text[:300]
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            raw_code = str(parsed.get("__type") or parsed.get("code") or code)
            code = raw_code.rsplit("#", 1)[-1]
            message = str(parsed.get("message") or parsed.get("Message") or "")
        if query_error:  # SQS: "AWS.SimpleQueueService.NonExistentQueue;Sender"
            code = code if code != f"HTTP{status}" else query_error.split(";", 1)[0]
        raise AwsLiteError(status, code, message)


# ---------------------------------------------------------------------------------------------------- helpers
class Sqs:
    def __init__(self, client: AwsJsonClient | None = None) -> None:
        self.client = client or AwsJsonClient("sqs")

    def send_message(self, queue_url: str, body: str, attributes: dict[str, str] | None = None) -> str:
        payload: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": body}
        if attributes:
            payload["MessageAttributes"] = {
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
            }
        return str(self.client.call("SendMessage", payload).get("MessageId", ""))


class SecretsManager:
    def __init__(self, client: AwsJsonClient | None = None) -> None:
        self.client = client or AwsJsonClient("secretsmanager")

    def get_secret_string(self, secret_id: str) -> str | None:
        """The secret's text, or None when it does not exist."""
        try:
            answer = self.client.call("GetSecretValue", {"SecretId": secret_id})
        except AwsLiteError as error:
            if error.code == "ResourceNotFoundException":
                return None
            raise
        value = answer.get("SecretString")
        return str(value) if value is not None else None


def to_attribute(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value (the subset the webhook path needs)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {k: to_attribute(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_attribute(attribute: dict[str, Any]) -> Any:
    (kind, value), = attribute.items()
    if kind in ("S", "B"):
        return value
    if kind == "N":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attribute(v) for k, v in value.items()}
    if kind == "L":
        return [from_attribute(v) for v in value]
    if kind in ("SS", "NS", "BS"):
        return set(value)
    raise TypeError(f"unknown attribute type {kind}")


class DynamoDb:
    def __init__(self, client: AwsJsonClient | None = None) -> None:
        self.client = client or AwsJsonClient("dynamodb")

    def get_item(
        self, table: str, key: dict[str, Any], *, consistent: bool = True, attributes: list[str] | None = None
    ) -> dict[str, Any] | None:
        payload: dict[str, Any] = {
            "TableName": table, "Key": {k: to_attribute(v) for k, v in key.items()}, "ConsistentRead": consistent,
        }
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            payload["ProjectionExpression"] = ", ".join(names)
            payload["ExpressionAttributeNames"] = names
        item = self.client.call("GetItem", payload).get("Item")
        return {k: from_attribute(v) for k, v in item.items()} if item else None

    def update_item(
        self, table: str, key: dict[str, Any], update_expression: str, *,
        names: dict[str, str] | None = None, values: dict[str, Any] | None = None, condition: str | None = None,
    ) -> bool:
        """Apply an update; False when ``condition`` did not hold."""
        payload: dict[str, Any] = {
            "TableName": table, "Key": {k: to_attribute(v) for k, v in key.items()},
            "UpdateExpression": update_expression,
        }
        if names:
            payload["ExpressionAttributeNames"] = names
        if values:
            payload["ExpressionAttributeValues"] = {k: to_attribute(v) for k, v in values.items()}
        if condition:
            payload["ConditionExpression"] = condition
        try:
            self.client.call("UpdateItem", payload)
        except AwsLiteError as error:
            if error.code == "ConditionalCheckFailedException":
                return False
            raise
        return True
