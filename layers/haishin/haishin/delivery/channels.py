"""Email (SES) and SMS (SNS) senders, and how their errors classify (retryable or permanent)."""

from __future__ import annotations

from typing import Any, Protocol

from haishin.errors import ExternalServiceError

_RETRYABLE_AWS = {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure", "InternalError",
                  "RequestTimeout", "TooManyRequestsException", "InternalErrorException", "KMSThrottlingException"}


class ChannelError(ExternalServiceError):
    def __init__(self, message: str, *, retryable: bool, where: str) -> None:
        super().__init__(message, where=where)
        self.retryable = retryable


def _classify(exc: Exception, where: str) -> ChannelError:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str((response.get("Error") or {}).get("Code", ""))
    if code:
        return ChannelError(f"{code}: {exc}", retryable=code in _RETRYABLE_AWS, where=where)
    return ChannelError(f"{type(exc).__name__}: {exc}", retryable=True, where=where)  # transport: retry


class EmailSender(Protocol):
    def send(self, *, source: str, to: str, subject: str, html: str | None, text: str | None) -> str: ...


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str) -> str: ...


class SesEmailSender:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _ses(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("ses")
        return self._client

    def send(self, *, source: str, to: str, subject: str, html: str | None, text: str | None) -> str:
        body: dict[str, Any] = {}
        if html:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        if text:
            body["Text"] = {"Data": text, "Charset": "UTF-8"}
        try:
            response = self._ses().send_email(
                Source=source, Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            )
        except Exception as exc:
            raise _classify(exc, "SES send_email") from exc
        return str(response.get("MessageId", ""))


class SnsSmsSender:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("sns")
        return self._client

    def send(self, *, phone: str, text: str) -> str:
        try:
            response = self._sns().publish(PhoneNumber=phone, Message=text,
                                           MessageAttributes={"AWS.SNS.SMS.SMSType": {
                                               "DataType": "String", "StringValue": "Transactional"}})
        except Exception as exc:
            raise _classify(exc, "SNS publish") from exc
        return str(response.get("MessageId", ""))
