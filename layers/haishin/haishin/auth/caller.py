"""Who is calling the admin API, taken from the JWT claims API Gateway's authorizer verified."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from haishin.auth.permissions import Permission, Role
from haishin.errors import PermissionDenied, Unauthenticated


@dataclass(frozen=True)
class Caller:
    operator_id: str
    email: str
    workspace_id: str
    role: Role
    permissions: frozenset[Permission]
    # An operator limited to one channel (None: all channels of the workspace).
    channel_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(f"this needs the permission '{permission.value}'", where=permission.value)

    def require_channel(self, channel_id: str) -> None:
        if self.channel_id is not None and self.channel_id != channel_id:
            raise PermissionDenied("this operator is limited to another channel", where=f"channel {channel_id}")


def _verified(value: Any) -> bool:
    # A Cognito ID token carries a boolean; API Gateway's JWT authorizer hands claims to the function as text.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """Who the token says is calling, and nothing more: the sign-in subject (``sub``), its workspace and a
    verified e-mail. The token's groups grant nothing; ``OperatorService.apply`` reads the operator record of
    (workspace, sub) for the role and permissions, and refuses a subject that has none."""
    if not claims:
        raise Unauthenticated("sign in first")
    subject = str(claims.get("sub") or "")
    if not subject:
        raise Unauthenticated("the token names no account", where="sub")
    workspace_id = claims.get("custom:workspace_id")
    if not workspace_id:
        raise Unauthenticated("the token has no workspace", where="custom:workspace_id")
    if not _verified(claims.get("email_verified")):
        raise PermissionDenied("メールアドレスの確認が済んでいません。確認コードで確認してからサインインしてください",
                               where="email_verified")
    return Caller(
        operator_id=subject,
        email=str(claims.get("email", "")),
        workspace_id=str(workspace_id),
        role=Role.VIEWER,
        permissions=frozenset(),
    )
