"""Email (SES) and SMS (SNS) senders, and how their errors classify (retryable, permanent or ambiguous).

SES and SNS have no idempotency key, so a send is retried only when it certainly did not happen: AWS answered with
a throttling/unavailable error code, or the connection was never made. A read timeout or a connection dropped
after the request went out is *ambiguous* (AWS may have accepted it): it is not retried inside the call, neither by
us nor by botocore (the clients are built with botocore's own retries off), and the delivery is recorded as failed
with "outcome unknown" so an operator decides. At most once, never twice.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, parseaddr
from typing import Any, Protocol

from haishin.errors import ExternalServiceError

_RETRYABLE_AWS = {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure", "InternalError",
                  "RequestTimeout", "TooManyRequestsException", "InternalErrorException", "KMSThrottlingException"}


class ChannelError(ExternalServiceError):
    def __init__(self, message: str, *, retryable: bool, where: str, ambiguous: bool = False) -> None:
        super().__init__(message, where=where)
        self.retryable = retryable and not ambiguous
        self.ambiguous = ambiguous  # the request may have been accepted: never resent blindly


def _never_reached_aws(exc: Exception) -> bool:
    """A failure to connect (DNS, refused, connect timeout): the request never left, so a retry cannot repeat it."""
    try:
        from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError  # noqa: PLC0415
    except ImportError:  # pragma: no cover - boto3 is in every function that sends email/SMS
        return False
    return isinstance(exc, ConnectTimeoutError | EndpointConnectionError)


def _client(service: str) -> Any:
    """A boto3 client without botocore's automatic retries (they would resend an ambiguous SES/SNS request)."""
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    config = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=10)
    return boto3.client("ses", config=config) if service == "ses" else boto3.client("sns", config=config)


def _classify(exc: Exception, where: str) -> ChannelError:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str((response.get("Error") or {}).get("Code", ""))
    if code:
        return ChannelError(f"{code}: {exc}", retryable=code in _RETRYABLE_AWS, where=where)
    if _never_reached_aws(exc):
        return ChannelError(f"{type(exc).__name__}: {exc}", retryable=True, where=where)
    # a read timeout, a dropped connection, anything else: AWS may have sent it
    return ChannelError(f"outcome unknown (may have been sent; not resent): {type(exc).__name__}: {exc}",
                        retryable=False, ambiguous=True, where=where)


def unsubscribe_headers(url: str, mailto: str | None = None) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe (https, and mailto when there is one) and RFC 8058 one-click: a mail client POSTs
    ``List-Unsubscribe=One-Click`` to the URL, which stops the channel without a page (haishin.pages.unsubscribe)."""
    targets = [f"<{url}>"] + ([f"<mailto:{mailto}?subject=unsubscribe>"] if mailto else [])
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def ses_source(source: str) -> str:
    """SES takes a non-ASCII display name only as an RFC 2047 encoded-word: ``=?utf-8?b?...?= <a@shop.jp>``."""
    name, address = parseaddr(source)
    return formataddr((name, address), charset="utf-8") if address else source


class EmailSender(Protocol):
    def send(self, *, source: str, to: str, subject: str, html: str | None, text: str | None,
             headers: dict[str, str] | None = None) -> str: ...


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str, sender_id: str | None = None) -> str: ...


class SesEmailSender:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _ses(self) -> Any:
        if self._client is None:
            self._client = _client("ses")
        return self._client

    def send(self, *, source: str, to: str, subject: str, html: str | None, text: str | None,
             headers: dict[str, str] | None = None) -> str:
        if headers:  # SES v1 send_email carries no custom headers: a raw MIME message does
            return self._send_raw(source=source, to=to, subject=subject, html=html, text=text, headers=headers)
        body: dict[str, Any] = {}
        if html:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        if text:
            body["Text"] = {"Data": text, "Charset": "UTF-8"}
        try:
            response = self._ses().send_email(
                Source=ses_source(source), Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            )
        except Exception as exc:
            raise _classify(exc, "SES send_email") from exc
        return str(response.get("MessageId", ""))


    def _send_raw(self, *, source: str, to: str, subject: str, html: str | None, text: str | None,
                  headers: dict[str, str]) -> str:
        # RFC 5322's hard limit: a signed URL is one long token, and at the default 78 the header would be folded
        # into RFC 2047 encoded-words, which no mail client reads as List-Unsubscribe
        message = EmailMessage(policy=SMTP.clone(max_line_length=998))
        message["Subject"] = subject
        message["From"] = source
        message["To"] = to
        for name, value in headers.items():
            message[name] = value
        message.set_content(text or "", charset="utf-8")
        if html:
            message.add_alternative(html, subtype="html", charset="utf-8")
        try:
            response = self._ses().send_raw_email(Source=ses_source(source), Destinations=[to],
                                                  RawMessage={"Data": message.as_bytes()})
        except Exception as exc:
            raise _classify(exc, "SES send_raw_email") from exc
        return str(response.get("MessageId", ""))


class SnsSmsSender:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            self._client = _client("sns")
        return self._client

    def send(self, *, phone: str, text: str, sender_id: str | None = None) -> str:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if sender_id:  # shown instead of a number where the destination country supports sender IDs
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        try:
            response = self._sns().publish(PhoneNumber=phone, Message=text, MessageAttributes=attributes)
        except Exception as exc:
            raise _classify(exc, "SNS publish") from exc
        return str(response.get("MessageId", ""))
