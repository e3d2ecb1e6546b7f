"""SES v2 identities: create (a domain with Easy DKIM, or an address), read the verification state, delete.

The same calls work on AWS and on the local system's SES (moto, made strict by ``haishin_local.moto_main``: an
identity sends only once verified, as on AWS). The client is built lazily, so nothing reaches AWS before a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from haishin.errors import ExternalServiceError


@dataclass(frozen=True)
class IdentityState:
    exists: bool
    verified: bool  # VerifiedForSendingStatus: SES accepts mail From it
    status: str  # VerificationStatus: PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE | NOT_STARTED | MISSING
    dkim_status: str | None = None
    dkim_tokens: list[str] = field(default_factory=list)


MISSING = IdentityState(exists=False, verified=False, status="MISSING")


class IdentityApi(Protocol):
    def create(self, name: str, *, domain: bool, tags: dict[str, str]) -> None: ...

    def get(self, name: str) -> IdentityState: ...

    def delete(self, name: str) -> None: ...


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(((response or {}).get("Error") or {}).get("Code", "")) if isinstance(response, dict) else ""


class SesIdentities:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _ses(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("sesv2")
        return self._client

    def create(self, name: str, *, domain: bool, tags: dict[str, str]) -> None:
        arguments: dict[str, Any] = {"EmailIdentity": name,
                                     "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        if domain:  # Easy DKIM: SES makes the keys and gives the three CNAME tokens
            arguments["DkimSigningAttributes"] = {"NextSigningKeyLength": "RSA_2048_BIT"}
        try:
            self._ses().create_email_identity(**arguments)
        except Exception as exc:
            if _code(exc) == "AlreadyExistsException":
                return  # already asked (this workspace added it before): its state is read below
            raise ExternalServiceError(f"SES が送信者の登録を受け付けませんでした: {_code(exc) or exc}",
                                       where="from_address") from exc

    def get(self, name: str) -> IdentityState:
        try:
            found = self._ses().get_email_identity(EmailIdentity=name)
        except Exception as exc:
            if _code(exc) == "NotFoundException":
                return MISSING
            raise ExternalServiceError(f"SES から認証状態を読めませんでした: {_code(exc) or exc}",
                                       where="sender") from exc
        dkim = found.get("DkimAttributes") or {}
        return IdentityState(exists=True, verified=bool(found.get("VerifiedForSendingStatus")),
                             status=str(found.get("VerificationStatus") or "PENDING"),
                             dkim_status=dkim.get("Status"), dkim_tokens=list(dkim.get("Tokens") or []))

    def delete(self, name: str) -> None:
        try:
            self._ses().delete_email_identity(EmailIdentity=name)
        except Exception as exc:
            if _code(exc) != "NotFoundException":
                raise ExternalServiceError(f"SES の送信者を削除できませんでした: {_code(exc) or exc}",
                                           where="sender") from exc
