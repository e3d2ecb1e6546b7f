"""Inviting, changing and removing operators, and applying their record to a signed-in caller."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Protocol

from haishin import clock
from haishin.auth.caller import Caller
from haishin.auth.permissions import Permission, Role, effective_permissions
from haishin.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haishin.operators.models import OperatorModel, operator_sk
from haishin.workspaces.models import workspace_pk


class Directory(Protocol):
    """Where sign-in accounts live: Cognito in AWS; nothing locally (the dev login signs any email)."""

    def invite(self, workspace_id: str, email: str, role: Role) -> None: ...

    def set_role(self, email: str, role: Role) -> None: ...

    def disable(self, email: str) -> None: ...


class LocalDirectory:
    def invite(self, workspace_id: str, email: str, role: Role) -> None:
        return None

    def set_role(self, email: str, role: Role) -> None:
        return None

    def disable(self, email: str) -> None:
        return None


class CognitoDirectory:
    def __init__(self, user_pool_id: str, client: Any = None) -> None:
        self.user_pool_id = user_pool_id
        self._client = client

    def _idp(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("cognito-idp")
        return self._client

    def invite(self, workspace_id: str, email: str, role: Role) -> None:
        idp = self._idp()
        try:
            idp.admin_create_user(
                UserPoolId=self.user_pool_id, Username=email, DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                                {"Name": "custom:workspace_id", "Value": workspace_id}],
            )
        except idp.exceptions.UsernameExistsException as exc:
            raise Conflict("this e-mail already has an account", where="email") from exc
        self.set_role(email, role)

    def set_role(self, email: str, role: Role) -> None:
        idp = self._idp()
        groups = idp.admin_list_groups_for_user(UserPoolId=self.user_pool_id, Username=email).get("Groups", [])
        for group in groups:
            if group["GroupName"] != role.value:
                idp.admin_remove_user_from_group(UserPoolId=self.user_pool_id, Username=email,
                                                 GroupName=group["GroupName"])
        idp.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=email, GroupName=role.value)

    def disable(self, email: str) -> None:
        self._idp().admin_disable_user(UserPoolId=self.user_pool_id, Username=email)


def default_directory() -> Directory:
    pool = os.environ.get("USER_POOL_ID")
    return CognitoDirectory(pool) if pool else LocalDirectory()


def _permissions(raw: list[str] | set[str] | None, where: str) -> frozenset[Permission]:
    values = set(raw or [])
    unknown = sorted(v for v in values if v not in Permission.__members__.values())
    if unknown:
        raise ValidationFailed(f"unknown permission: {', '.join(unknown)}", where=where)
    return frozenset(Permission(v) for v in values)


class OperatorService:
    def __init__(self, directory: Directory | None = None) -> None:
        self.directory = directory or default_directory()

    # ------------------------------------------------------------------ the caller
    def apply(self, caller: Caller) -> Caller:
        """Refine a token's caller with the operator record: removed -> refused; role, grants, denials, channel."""
        if not caller.email:
            return caller
        try:
            record = OperatorModel.get(workspace_pk(caller.workspace_id), operator_sk(caller.email))
        except OperatorModel.DoesNotExist:
            return caller  # the workspace's first owner exists only in the directory
        if record.status == "removed":
            raise PermissionDenied("this operator was removed from the workspace", where="operator")
        role = Role(record.role)
        permissions = effective_permissions(
            role, frozenset(Permission(p) for p in record.granted or set()),
            frozenset(Permission(p) for p in record.denied or set()),
        )
        return dataclasses.replace(caller, role=role, permissions=permissions, channel_id=record.channel_id)

    # ------------------------------------------------------------------ management
    def all(self, workspace_id: str) -> list[OperatorModel]:
        return list(OperatorModel.query(workspace_pk(workspace_id), OperatorModel.sk.startswith("operator#")))

    def get(self, workspace_id: str, email: str) -> OperatorModel:
        try:
            return OperatorModel.get(workspace_pk(workspace_id), operator_sk(email))
        except OperatorModel.DoesNotExist as exc:
            raise NotFound("operator not found", where=f"operator {email}") from exc

    def invite(self, caller: Caller, email: str, role: str, *, display_name: str | None = None,
               granted: list[str] | None = None, denied: list[str] | None = None,
               channel_id: str | None = None) -> OperatorModel:
        parsed_role = self._role(role)
        self._may_assign(caller, parsed_role)
        email = email.strip().lower()
        if "@" not in email:
            raise ValidationFailed("an e-mail address is needed", where="email")
        record = OperatorModel(
            pk=workspace_pk(caller.workspace_id), sk=operator_sk(email), workspace_id=caller.workspace_id,
            email=email, display_name=display_name, role=parsed_role.value,
            granted={p.value for p in _permissions(granted, "granted")},
            denied={p.value for p in _permissions(denied, "denied")},
            channel_id=channel_id, status="invited", invited_by=caller.email, invited_at=clock.now(),
        )
        try:
            record.save(condition=OperatorModel.sk.does_not_exist() | (OperatorModel.status == "removed"))
        except Exception as exc:
            if "ConditionalCheckFailed" in str(exc):
                raise Conflict("this operator is already in the workspace", where="email") from exc
            raise
        self.directory.invite(caller.workspace_id, email, parsed_role)
        return record

    def update(self, caller: Caller, email: str, *, role: str | None = None, granted: list[str] | None = None,
               denied: list[str] | None = None, channel_id: str | None = None,
               clear_channel: bool = False) -> OperatorModel:
        record = self.get(caller.workspace_id, email)
        if record.status == "removed":
            raise NotFound("operator not found", where=f"operator {email}")
        self._may_assign(caller, Role(record.role))
        if role is not None:
            parsed_role = self._role(role)
            self._may_assign(caller, parsed_role)
            record.role = parsed_role.value
            self.directory.set_role(record.email, parsed_role)
        if granted is not None:
            record.granted = {p.value for p in _permissions(granted, "granted")}
        if denied is not None:
            record.denied = {p.value for p in _permissions(denied, "denied")}
        if channel_id is not None or clear_channel:
            record.channel_id = None if clear_channel else channel_id
        record.save()
        return record

    def remove(self, caller: Caller, email: str) -> OperatorModel:
        record = self.get(caller.workspace_id, email)
        self._may_assign(caller, Role(record.role))
        if record.email == caller.email:
            raise ValidationFailed("you cannot remove yourself", where="email")
        record.status = "removed"
        record.removed_at = clock.now()
        record.save()
        self.directory.disable(record.email)
        return record

    @staticmethod
    def _role(role: str) -> Role:
        try:
            return Role(role)
        except ValueError as exc:
            raise ValidationFailed(f"role must be one of {', '.join(r.value for r in Role)}", where="role") from exc

    @staticmethod
    def _may_assign(caller: Caller, role: Role) -> None:
        if role == Role.OWNER and caller.role != Role.OWNER:
            raise PermissionDenied("only an owner can manage owners", where="role")
