"""Who is calling the admin API, taken from the JWT claims API Gateway's authorizer verified."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from haishin.auth.permissions import Permission, Role, effective_permissions
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


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    if not claims:
        raise Unauthenticated("sign in first")
    workspace_id = claims.get("custom:workspace_id")
    if not workspace_id:
        raise Unauthenticated("the token has no workspace", where="custom:workspace_id")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):  # API Gateway passes list claims as "[a b]" text
        groups = groups.strip("[]").replace(",", " ").split()
    roles = [Role(g) for g in groups if g in Role.__members__.values()]
    # The strongest role wins when an operator is in several groups.
    order = [Role.OWNER, Role.ADMIN, Role.OPERATOR, Role.VIEWER]
    role = next((r for r in order if r in roles), None)
    if role is None:
        raise PermissionDenied("the operator has no role", where="cognito:groups")
    return Caller(
        operator_id=str(claims.get("sub", "")),
        email=str(claims.get("email", "")),
        workspace_id=str(workspace_id),
        role=role,
        permissions=effective_permissions(role),
        channel_id=claims.get("custom:channel_id") or None,
    )
