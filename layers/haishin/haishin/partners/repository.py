"""Partners in WorkspaceTable (records described in ``haishin.partners.models``): every DynamoDB read and write of
the partners feature."""

from __future__ import annotations

from typing import Any

from haishin.errors import NotFound
from haishin.partners.models import CommissionModel, PartnerModel, commission_pk, partner_sk
from haishin.storage.base import save_if
from haishin.workspaces.models import workspace_pk


class PartnerRepository:
    def save(self, partner: PartnerModel) -> PartnerModel:
        partner.save()
        return partner

    def new(self, workspace_id: str, partner_id: str, **values: Any) -> PartnerModel:
        return PartnerModel(pk=workspace_pk(workspace_id), sk=partner_sk(partner_id), workspace_id=workspace_id,
                            partner_id=partner_id, **values)

    def find(self, workspace_id: str, partner_id: str) -> PartnerModel | None:
        try:
            return PartnerModel.get(workspace_pk(workspace_id), partner_sk(partner_id), consistent_read=True)
        except PartnerModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, partner_id: str) -> PartnerModel:
        partner = self.find(workspace_id, partner_id)
        if partner is None:
            raise NotFound("パートナーが見つかりません", where=f"partner {partner_id}")
        return partner

    def all(self, workspace_id: str) -> list[PartnerModel]:
        return list(PartnerModel.query(workspace_pk(workspace_id), PartnerModel.sk.startswith("partner#")))

    def delete(self, partner: PartnerModel) -> None:
        partner.delete()

    # ------------------------------------------------------------------ commission rows
    def add_row(self, row: CommissionModel) -> bool:
        """Written only if new (the row key is its cause): False when it was there already."""
        return save_if(row, CommissionModel.sk.does_not_exist())

    def new_row(self, workspace_id: str, partner_id: str, month: str, key: str, **values: Any) -> CommissionModel:
        return CommissionModel(pk=commission_pk(workspace_id, partner_id), sk=f"{month}#{key}",
                               workspace_id=workspace_id, partner_id=partner_id, month=month, **values)

    def rows(self, workspace_id: str, partner_id: str, month: str | None = None) -> list[CommissionModel]:
        pk = commission_pk(workspace_id, partner_id)
        if month:
            return list(CommissionModel.query(pk, CommissionModel.sk.startswith(f"{month}#"), consistent_read=True))
        return list(CommissionModel.query(pk, consistent_read=True))
