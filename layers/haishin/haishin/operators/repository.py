"""The only code that reads and writes operator records."""

from __future__ import annotations

from haishin.errors import Conflict
from haishin.operators.models import OPERATOR_PREFIX, OperatorModel, operator_sk
from haishin.storage.base import condition_failed
from haishin.workspaces.models import workspace_pk


class OperatorRepository:
    def get(self, workspace_id: str, operator_id: str) -> OperatorModel | None:
        """The record of one sign-in subject in one workspace (strongly consistent: a removal counts at once)."""
        if not operator_id:
            return None
        try:
            return OperatorModel.get(workspace_pk(workspace_id), operator_sk(operator_id), consistent_read=True)
        except OperatorModel.DoesNotExist:
            return None

    def all(self, workspace_id: str) -> list[OperatorModel]:
        return list(OperatorModel.query(workspace_pk(workspace_id), OperatorModel.sk.startswith(OPERATOR_PREFIX),
                                        consistent_read=True))

    def by_email(self, workspace_id: str, email: str) -> OperatorModel | None:
        """The admin names operators by e-mail; a workspace has few, so this reads them all. The newest record
        wins when a removed operator was invited again under a new account."""
        wanted = email.strip().lower()
        found = [o for o in self.all(workspace_id) if o.email == wanted]
        live = [o for o in found if o.status != "removed"]
        pool = live or found
        return max(pool, key=lambda o: o.invited_at) if pool else None

    def create(self, record: OperatorModel, *, replace_removed: bool = True) -> None:
        condition = OperatorModel.sk.does_not_exist()
        if replace_removed:
            condition = condition | (OperatorModel.status == "removed")
        try:
            record.save(condition=condition)
        except Exception as exc:
            if condition_failed(exc):
                raise Conflict("このオペレーターはすでにワークスペースにいます", where="email") from exc
            raise

    def save(self, record: OperatorModel) -> None:
        record.save()
