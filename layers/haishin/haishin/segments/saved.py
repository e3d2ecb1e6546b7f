"""Saved segments in WorkspaceTable: pk ``ws#<id>`` sk ``segment#<segment_id>`` (name, definition JSON)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from haishin import clock, ids
from haishin.errors import NotFound
from haishin.segments.model import Group, parse_segment
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta
from haishin.workspaces.models import workspace_pk


class SavedSegmentModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    segment_id = UnicodeAttribute()
    name = UnicodeAttribute()
    definition = JSONTextAttribute(default=dict)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @property
    def segment(self) -> Group:
        return parse_segment(self.definition)


def saved_to_dict(saved: SavedSegmentModel) -> dict[str, Any]:
    return {"segment_id": saved.segment_id, "name": saved.name, "definition": saved.definition,
            "created_at": saved.created_at.isoformat(), "updated_at": saved.updated_at.isoformat()}


class SavedSegmentRepository:
    def all(self, workspace_id: str) -> list[SavedSegmentModel]:
        return list(SavedSegmentModel.query(workspace_pk(workspace_id), SavedSegmentModel.sk.startswith("segment#")))

    def get(self, workspace_id: str, segment_id: str) -> SavedSegmentModel:
        try:
            return SavedSegmentModel.get(workspace_pk(workspace_id), f"segment#{segment_id}", consistent_read=True)
        except SavedSegmentModel.DoesNotExist:
            raise NotFound(f"no segment '{segment_id}'", where="segment_id") from None

    def create(self, workspace_id: str, name: str, segment: Group) -> SavedSegmentModel:
        now = clock.now()
        segment_id = ids.new_id("seg_")
        saved = SavedSegmentModel(pk=workspace_pk(workspace_id), sk=f"segment#{segment_id}", workspace_id=workspace_id,
                                  segment_id=segment_id, name=name, definition=segment.model_dump(mode="json"),
                                  created_at=now, updated_at=now)
        saved.save()
        return saved

    def update(self, workspace_id: str, segment_id: str, name: str, segment: Group) -> SavedSegmentModel:
        saved = self.get(workspace_id, segment_id)
        saved.name = name
        saved.definition = segment.model_dump(mode="json")
        saved.updated_at = clock.now()
        saved.save()
        return saved

    def delete(self, workspace_id: str, segment_id: str) -> None:
        self.get(workspace_id, segment_id).delete()
