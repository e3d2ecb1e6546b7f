"""Partners in WorkspaceTable (records described in ``haishin.partners.models``): every DynamoDB read and write of
the partners feature."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from haishin.errors import NotFound
from haishin.partners.models import (
    CommissionModel,
    PartnerModel,
    PartnerOrderModel,
    commission_pk,
    order_index_pk,
    partner_sk,
)
from haishin.storage.base import save_if, update_if
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

    def row_by_key(self, workspace_id: str, partner_id: str, sk: str) -> CommissionModel | None:
        try:
            return CommissionModel.get(commission_pk(workspace_id, partner_id), sk, consistent_read=True)
        except CommissionModel.DoesNotExist:
            return None

    def rows_by_keys(self, workspace_id: str, partner_id: str, sks: Iterable[str]) -> list[CommissionModel]:
        """BatchGetItem (100 keys a call): the rows of one order, from the order index."""
        pk = commission_pk(workspace_id, partner_id)
        return list(CommissionModel.batch_get([(pk, sk) for sk in sorted(set(sks))], consistent_read=True))

    def decide(self, row: CommissionModel, status: str, *, by: str, at: datetime) -> bool:
        """Sets the row's approval status (only while it still is what the caller read: no lost update)."""
        expected = CommissionModel.status.does_not_exist() if row.status is None else \
            CommissionModel.status == row.status
        return update_if(row, [CommissionModel.status.set(status), CommissionModel.decided_by.set(by),
                               CommissionModel.decided_at.set(at)], expected)

    # ------------------------------------------------------------------ order → partner index
    def index_order(self, workspace_id: str, order_id: str, partner_id: str, *, rule: dict[str, Any] | None,
                    at: datetime) -> bool:
        """The order's attribution to ``partner_id``, written once (the first purchase event decides)."""
        item = PartnerOrderModel(pk=order_index_pk(workspace_id, order_id), sk=partner_id, rule=rule, at=at)
        return save_if(item, PartnerOrderModel.sk.does_not_exist())

    def index_row(self, workspace_id: str, order_id: str, partner_id: str, row_sk: str) -> None:
        PartnerOrderModel(pk=order_index_pk(workspace_id, order_id), sk=partner_id).update(
            actions=[PartnerOrderModel.row_keys.add({row_sk})])

    def order_partners(self, workspace_id: str, order_id: str) -> list[PartnerOrderModel]:
        return list(PartnerOrderModel.query(order_index_pk(workspace_id, order_id), consistent_read=True))
