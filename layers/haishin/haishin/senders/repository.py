"""The only code that reads and writes sender identities, their default and the SES identity claims."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError

from haishin import clock
from haishin.errors import Conflict
from haishin.senders.models import (
    DEFAULT_SK,
    SenderDefaultModel,
    SenderIdentityModel,
    SesClaimModel,
    claim_pk,
    sender_sk,
)
from haishin.storage.base import condition_failed
from haishin.workspaces.models import WorkspaceModel, workspace_pk


class SenderRepository:
    def workspace(self, workspace_id: str) -> WorkspaceModel | None:
        try:
            return WorkspaceModel.get(*WorkspaceModel.key(workspace_id))
        except WorkspaceModel.DoesNotExist:
            return None

    def list(self, workspace_id: str) -> list[SenderIdentityModel]:
        return list(SenderIdentityModel.query(workspace_pk(workspace_id), SenderIdentityModel.sk.startswith("sender#"),
                                              consistent_read=True))

    def get(self, workspace_id: str, identity_id: str) -> SenderIdentityModel | None:
        try:
            return SenderIdentityModel.get(workspace_pk(workspace_id), sender_sk(identity_id), consistent_read=True)
        except SenderIdentityModel.DoesNotExist:
            return None

    def save(self, identity: SenderIdentityModel) -> None:
        identity.save()

    def delete(self, identity: SenderIdentityModel) -> None:
        identity.delete()

    # ------------------------------------------------------------------ default
    def default_id(self, workspace_id: str) -> str | None:
        try:
            return str(SenderDefaultModel.get(workspace_pk(workspace_id), DEFAULT_SK, consistent_read=True).identity_id)
        except SenderDefaultModel.DoesNotExist:
            return None

    def set_default(self, workspace_id: str, identity_id: str | None) -> None:
        if identity_id is None:
            try:
                SenderDefaultModel(workspace_pk(workspace_id), DEFAULT_SK, identity_id="").delete()
            except DeleteError:
                pass
            return
        SenderDefaultModel(workspace_pk(workspace_id), DEFAULT_SK, identity_id=identity_id).save()

    # ------------------------------------------------------------------ claims
    def owner(self, ses_identity: str) -> str | None:
        try:
            return str(SesClaimModel.get(claim_pk(ses_identity), "claim", consistent_read=True).workspace_id)
        except SesClaimModel.DoesNotExist:
            return None

    def claim(self, ses_identity: str, workspace_id: str, *, where: str) -> None:
        """Take the SES identity for ``workspace_id`` (idempotent for that workspace); Conflict if another has it."""
        try:
            SesClaimModel(claim_pk(ses_identity), "claim", workspace_id=workspace_id, created_at=clock.now()).save(
                condition=SesClaimModel.pk.does_not_exist() | (SesClaimModel.workspace_id == workspace_id))
        except PutError as exc:
            if not condition_failed(exc):
                raise
            raise Conflict(f"{ses_identity} は別のワークスペースが送信者として登録済みのため使えません", where=where
                           ) from exc

    def release(self, ses_identity: str, workspace_id: str) -> None:
        try:
            SesClaimModel(claim_pk(ses_identity), "claim").delete(condition=SesClaimModel.workspace_id == workspace_id)
        except DeleteError as exc:
            if not condition_failed(exc):
                raise
