"""Inviting, changing and removing operators, and applying their record to a signed-in caller."""

from __future__ import annotations

import dataclasses
import os
import uuid
from typing import Any, Protocol

from haishin import clock
from haishin.auth.caller import Caller
from haishin.auth.permissions import OWNER_ONLY, Permission, Role, effective_permissions
from haishin.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haishin.operators.models import OperatorModel, operator_sk
from haishin.operators.repository import OperatorRepository
from haishin.ownership import owned_channel
from haishin.workspaces.models import workspace_pk
from haishin.workspaces.service import WorkspaceService


class Directory(Protocol):
    """Where sign-in accounts live: Cognito in AWS; locally the dev login. ``invite`` returns the account's
    immutable subject (``sub``), which keys the operator record."""

    def invite(self, workspace_id: str, email: str, role: Role) -> str: ...

    def set_role(self, email: str, role: Role) -> None: ...

    def disable(self, email: str) -> None: ...


def local_subject(email: str) -> str:
    """The dev login's ``sub`` for an e-mail (stable, like a Cognito user's): the local stand-in for the directory."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"haishin-local:{email.strip().lower()}"))


class LocalDirectory:
    def invite(self, workspace_id: str, email: str, role: Role) -> str:
        return local_subject(email)

    def set_role(self, email: str, role: Role) -> None:
        return None

    def disable(self, email: str) -> None:
        return None


def _subject(user: dict[str, Any]) -> tuple[str, str | None]:
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}
    return attributes.get("sub", ""), attributes.get("custom:workspace_id")


class CognitoDirectory:
    def __init__(self, user_pool_id: str, client: Any = None) -> None:
        self.user_pool_id = user_pool_id
        self._client = client

    def _idp(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("cognito-idp")
        return self._client

    def invite(self, workspace_id: str, email: str, role: Role) -> str:
        """Creates the Cognito user (Cognito e-mails the temporary password) and returns its ``sub``. An account
        that already exists for this workspace (an operator removed and invited again) is enabled and reused;
        one of another workspace is a conflict (``custom:workspace_id`` is immutable)."""
        idp = self._idp()
        try:
            created = idp.admin_create_user(
                UserPoolId=self.user_pool_id, Username=email, DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                                {"Name": "custom:workspace_id", "Value": workspace_id}],
            )
            sub, _ = _subject(created["User"])
        except idp.exceptions.UsernameExistsException as exc:
            sub, existing_workspace = _subject(idp.admin_get_user(UserPoolId=self.user_pool_id, Username=email))
            if existing_workspace != workspace_id:
                raise Conflict("このメールアドレスは別のワークスペースで使われています", where="email") from exc
            idp.admin_enable_user(UserPoolId=self.user_pool_id, Username=email)
        self.set_role(email, role)
        return sub

    def set_role(self, email: str, role: Role) -> None:
        """Keeps the Cognito group in step with the record (the admin shows it); the API never trusts it."""
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
    def __init__(self, directory: Directory | None = None, repository: OperatorRepository | None = None) -> None:
        self.directory = directory or default_directory()
        self.repository = repository or OperatorRepository()

    # ------------------------------------------------------------------ the caller
    def apply(self, caller: Caller) -> Caller:
        """What a signed-in subject may do in the token's workspace: only its operator record says. No record
        (or a removed one) is 403 whatever the token's groups claim; the role, grants, denials and channel limit
        come from the record, and so does the e-mail the audit log names."""
        record = self.repository.get(caller.workspace_id, caller.operator_id)
        if record is None:
            raise PermissionDenied("このワークスペースのオペレーターとして登録されていません", where="operator")
        if record.status == "removed":
            raise PermissionDenied("このオペレーターはワークスペースから削除されています", where="operator")
        role = Role(record.role)
        permissions = effective_permissions(
            role, frozenset(Permission(p) for p in record.granted or set()),
            frozenset(Permission(p) for p in record.denied or set()),
        )
        return dataclasses.replace(caller, email=record.email, role=role, permissions=permissions,
                                   channel_id=record.channel_id)

    def create_owner(self, workspace_id: str, operator_id: str, email: str, *,
                     workspace_name: str | None = None) -> OperatorModel:
        """A workspace's first owner (or another owner, for recovery), made by ops tooling with the account's
        ``sub`` already known: the create-owner command (Cognito) and the local seed use this. Creates the
        workspace record when missing. Idempotent for the same subject."""
        if not workspace_id.strip() or not operator_id.strip():
            raise ValidationFailed("workspace_id and the account's sub are required", where="workspace_id")
        email = email.strip().lower()
        if "@" not in email:
            raise ValidationFailed("an e-mail address is needed", where="email")
        WorkspaceService().ensure(workspace_id, name=workspace_name)
        record = self.repository.get(workspace_id, operator_id)
        if record is not None and record.status != "removed" and record.role == Role.OWNER.value:
            return record
        record = OperatorModel(
            pk=workspace_pk(workspace_id), sk=operator_sk(operator_id), workspace_id=workspace_id,
            operator_id=operator_id, email=email, role=Role.OWNER.value, granted=set(), denied=set(),
            status="active", invited_by="create-owner", invited_at=clock.now(),
        )
        self.repository.save(record)
        return record

    # ------------------------------------------------------------------ management
    def all(self, workspace_id: str) -> list[OperatorModel]:
        return self.repository.all(workspace_id)

    def get(self, workspace_id: str, email: str) -> OperatorModel:
        record = self.repository.by_email(workspace_id, email)
        if record is None:
            raise NotFound("operator not found", where=f"operator {email}")
        return record

    def invite(self, caller: Caller, email: str, role: str, *, display_name: str | None = None,
               granted: list[str] | None = None, denied: list[str] | None = None,
               channel_id: str | None = None) -> OperatorModel:
        parsed_role = self._role(role)
        granted_set = _permissions(granted, "granted")
        denied_set = _permissions(denied, "denied")
        self._may_hand_out(caller, parsed_role, granted_set, denied_set)
        email = email.strip().lower()
        if "@" not in email:
            raise ValidationFailed("an e-mail address is needed", where="email")
        if channel_id is not None:
            owned_channel(caller.workspace_id, channel_id)
        existing = self.repository.by_email(caller.workspace_id, email)
        if existing is not None and existing.status != "removed":
            raise Conflict("このオペレーターはすでにワークスペースにいます", where="email")
        operator_id = self.directory.invite(caller.workspace_id, email, parsed_role)
        record = OperatorModel(
            pk=workspace_pk(caller.workspace_id), sk=operator_sk(operator_id), workspace_id=caller.workspace_id,
            operator_id=operator_id, email=email, display_name=display_name, role=parsed_role.value,
            granted={p.value for p in granted_set}, denied={p.value for p in denied_set},
            channel_id=channel_id, status="invited", invited_by=caller.email, invited_at=clock.now(),
        )
        self.repository.create(record)
        return record

    def update(self, caller: Caller, email: str, *, role: str | None = None, granted: list[str] | None = None,
               denied: list[str] | None = None, channel_id: str | None = None,
               clear_channel: bool = False) -> OperatorModel:
        record = self.get(caller.workspace_id, email)
        if record.status == "removed":
            raise NotFound("operator not found", where=f"operator {email}")
        self._may_manage(caller, record)
        new_role = self._role(role) if role is not None else Role(record.role)
        new_granted = _permissions(granted, "granted") if granted is not None else _permissions(record.granted,
                                                                                              "granted")
        new_denied = _permissions(denied, "denied") if denied is not None else _permissions(record.denied, "denied")
        self._may_hand_out(caller, new_role, new_granted, new_denied)
        if channel_id is not None and not clear_channel:
            owned_channel(caller.workspace_id, channel_id)
        if role is not None:
            record.role = new_role.value
            self.directory.set_role(record.email, new_role)
        record.granted = {p.value for p in new_granted}
        record.denied = {p.value for p in new_denied}
        if channel_id is not None or clear_channel:
            record.channel_id = None if clear_channel else channel_id
        self.repository.save(record)
        return record

    def remove(self, caller: Caller, email: str) -> OperatorModel:
        record = self.get(caller.workspace_id, email)
        if record.operator_id == caller.operator_id:
            raise ValidationFailed("you cannot remove yourself", where="email")
        self._may_manage(caller, record)
        record.status = "removed"
        record.removed_at = clock.now()
        self.repository.save(record)
        self.directory.disable(record.email)
        return record

    @staticmethod
    def _role(role: str) -> Role:
        try:
            return Role(role)
        except ValueError as exc:
            raise ValidationFailed(f"role must be one of {', '.join(r.value for r in Role)}", where="role") from exc

    @staticmethod
    def _may_manage(caller: Caller, record: OperatorModel) -> None:
        """Only an owner manages owners and anyone who holds an owner-only permission; nobody but an owner
        changes their own record (an admin cannot lift their own denials)."""
        if caller.role == Role.OWNER:
            return
        if record.role == Role.OWNER.value:
            raise PermissionDenied("only an owner can manage owners", where="role")
        held = effective_permissions(Role(record.role), _permissions(record.granted, "granted"),
                                     _permissions(record.denied, "denied"))
        if held & OWNER_ONLY:
            raise PermissionDenied("この権限を持つオペレーターはオーナーだけが変更できます", where="role")
        if record.operator_id == caller.operator_id:
            raise PermissionDenied("自分の権限はオーナーだけが変更できます", where="operator")

    @staticmethod
    def _may_hand_out(caller: Caller, role: Role, granted: frozenset[Permission],
                      denied: frozenset[Permission]) -> None:
        """A non-owner hands out (by role or grant) only permissions they hold themselves and that are not
        owner-only (``OWNER_ONLY``)."""
        if caller.role == Role.OWNER:
            return
        if role == Role.OWNER:
            raise PermissionDenied("only an owner can manage owners", where="role")
        given = effective_permissions(role, granted, denied)
        owner_only = sorted(p.value for p in given & OWNER_ONLY)
        if owner_only:
            where = "granted" if granted & OWNER_ONLY else "role"
            raise PermissionDenied(f"オーナーだけが付与できる権限です: {', '.join(owner_only)}", where=where)
        beyond = sorted(p.value for p in given - caller.permissions)
        if beyond:
            where = "granted" if granted - caller.permissions else "role"
            raise PermissionDenied(f"自分が持たない権限は付与できません: {', '.join(beyond)}", where=where)
