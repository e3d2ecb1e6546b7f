"""Uploaded lists (LINE user IDs or emails) that a segment includes or excludes.

WorkspaceTable: header pk ``ws#<id>`` sk ``list#<list_id>`` (name, kind, count, chunks); values in chunk items
sk ``list#<list_id>#<nnnn>`` holding up to 5,000 values each as JSON text (well under the 400 KB item limit).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin import clock, ids
from haishin.errors import NotFound, ValidationFailed
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.subscribers.repository import normalise_email
from haishin.workspaces.models import workspace_pk

ListKind = Literal["line_user_id", "email"]
CHUNK = 5000
MAX_VALUES = 1_000_000


class SubscriberListModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    list_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    value_count = NumberAttribute(null=True)
    chunks = NumberAttribute(null=True)
    values = JSONTextAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)


def normalise_value(kind: str, value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    return normalise_email(text) if kind == "email" else text


class ListRepository:
    def create(self, workspace_id: str, name: str, kind: ListKind, values: Iterable[str]) -> SubscriberListModel:
        cleaned = sorted({normalise_value(kind, v) for v in values if v and v.strip()})
        if not cleaned:
            raise ValidationFailed("the list is empty", where="values")
        if len(cleaned) > MAX_VALUES:
            raise ValidationFailed(f"a list holds at most {MAX_VALUES:,} values", where="values")
        if kind == "email":
            bad = next((v for v in cleaned if "@" not in v), None)
            if bad:
                raise ValidationFailed(f"not an email address: '{bad}'", where="values")
        list_id = ids.new_id("lst_")
        pk = workspace_pk(workspace_id)
        chunks = [cleaned[i : i + CHUNK] for i in range(0, len(cleaned), CHUNK)]
        with SubscriberListModel.batch_write() as batch:
            for index, chunk in enumerate(chunks):
                batch.save(SubscriberListModel(pk=pk, sk=f"list#{list_id}#{index:04d}", workspace_id=workspace_id,
                                               list_id=list_id, values=chunk))
        header = SubscriberListModel(pk=pk, sk=f"list#{list_id}", workspace_id=workspace_id, list_id=list_id,
                                     name=name, kind=kind, value_count=len(cleaned), chunks=len(chunks),
                                     created_at=clock.now())
        header.save()  # written last: a list is visible only once complete
        return header

    def header(self, workspace_id: str, list_id: str) -> SubscriberListModel:
        try:
            return SubscriberListModel.get(workspace_pk(workspace_id), f"list#{list_id}", consistent_read=True)
        except SubscriberListModel.DoesNotExist:
            raise NotFound(f"no list '{list_id}'", where="list_id") from None

    def load(self, workspace_id: str, list_id: str) -> tuple[str, frozenset[str]]:
        header = self.header(workspace_id, list_id)
        values: set[str] = set()
        for chunk in SubscriberListModel.query(
            workspace_pk(workspace_id), SubscriberListModel.sk.startswith(f"list#{list_id}#"), consistent_read=True
        ):
            values.update(chunk.values or [])
        return str(header.kind), frozenset(values)

    def all(self, workspace_id: str) -> list[dict[str, Any]]:
        out = []
        for item in SubscriberListModel.query(workspace_pk(workspace_id), SubscriberListModel.sk.startswith("list#")):
            if item.sk.count("#") == 1:
                out.append({"list_id": item.list_id, "name": item.name, "kind": item.kind, "count": item.value_count,
                            "created_at": item.created_at.isoformat() if item.created_at else None})
        return out

    def delete(self, workspace_id: str, list_id: str) -> None:
        self.header(workspace_id, list_id)
        pk = workspace_pk(workspace_id)
        items = list(SubscriberListModel.query(pk, SubscriberListModel.sk.startswith(f"list#{list_id}")))
        with SubscriberListModel.batch_write() as batch:
            for item in items:
                batch.delete(item)
