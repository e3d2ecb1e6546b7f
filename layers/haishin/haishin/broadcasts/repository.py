"""Reading and writing broadcast items, their content and slices; the counters and the "done" transition."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from haishin import clock
from haishin.broadcasts.models import (
    BroadcastContentModel,
    BroadcastModel,
    BroadcastSliceModel,
    broadcast_sk,
    content_sk,
)
from haishin.errors import NotFound
from haishin.segments.saved import SavedSegmentRepository
from haishin.workspaces.models import WorkspaceModel, default_line_channel, workspace_pk


def _condition_failed(exc: Exception) -> bool:
    return "ConditionalCheckFailed" in str(exc) or "ConditionalCheckFailed" in repr(getattr(exc, "cause", ""))


class BroadcastRepository:
    def find(self, workspace_id: str, broadcast_id: str) -> BroadcastModel | None:
        try:
            return BroadcastModel.get(workspace_pk(workspace_id), broadcast_sk(broadcast_id), consistent_read=True)
        except BroadcastModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, broadcast_id: str) -> BroadcastModel:
        found = self.find(workspace_id, broadcast_id)
        if found is None:
            raise NotFound(f"no broadcast '{broadcast_id}'", where="broadcast_id")
        return found

    def status(self, workspace_id: str, broadcast_id: str) -> str | None:
        """The status alone (the worker's per-batch cancel check: one strongly consistent read of a small item)."""
        try:
            item = BroadcastModel.get(workspace_pk(workspace_id), broadcast_sk(broadcast_id), consistent_read=True,
                                      attributes_to_get=["status"])
        except BroadcastModel.DoesNotExist:
            return None
        return str(item.status)

    def all(self, workspace_id: str) -> list[BroadcastModel]:
        items = BroadcastModel.query(workspace_pk(workspace_id), BroadcastModel.sk.startswith("broadcast#"))
        return sorted((i for i in items if i.sk.count("#") == 1), key=lambda b: b.created_at, reverse=True)

    def content(self, workspace_id: str, broadcast_id: str) -> dict[str, Any]:
        try:
            item = BroadcastContentModel.get(workspace_pk(workspace_id), content_sk(broadcast_id),
                                             consistent_read=True)
        except BroadcastContentModel.DoesNotExist:
            raise NotFound(f"broadcast '{broadcast_id}' has no content", where="content") from None
        return dict(item.content)

    def save_content(self, workspace_id: str, broadcast_id: str, content: dict[str, Any]) -> None:
        BroadcastContentModel(workspace_pk(workspace_id), content_sk(broadcast_id), content=content).save()

    def slices(self, workspace_id: str, broadcast_id: str) -> list[BroadcastSliceModel]:
        return list(BroadcastSliceModel.query(workspace_pk(workspace_id),
                                              BroadcastSliceModel.sk.startswith(f"broadcast#{broadcast_id}#slice#"),
                                              consistent_read=True))

    def delete(self, workspace_id: str, broadcast_id: str) -> None:
        pk = workspace_pk(workspace_id)
        items = list(BroadcastSliceModel.query(pk, BroadcastSliceModel.sk.startswith(broadcast_sk(broadcast_id))))
        with BroadcastSliceModel.batch_write() as batch:
            for item in items:
                batch.delete(item)

    @staticmethod
    def daily_cap(broadcast: BroadcastModel) -> int:
        """The workspace's daily frequency cap for this broadcast: 0 (none) when it opts out or none is set."""
        if broadcast.respect_daily_cap is False:
            return 0
        try:
            workspace = WorkspaceModel.get(*WorkspaceModel.key(broadcast.workspace_id))
        except WorkspaceModel.DoesNotExist:
            return 0
        return int(workspace.frequency_cap_per_day or 0)

    @staticmethod
    def line_channel(broadcast: BroadcastModel) -> str | None:
        """The LINE channel a broadcast goes out on: its own, else the workspace's default. The planner resolves it
        once per slice, so no batch looks it up again."""
        return broadcast.line_channel_id or default_line_channel(broadcast.workspace_id)

    def segment_of(self, broadcast: BroadcastModel) -> Any:
        """The inline definition, a saved segment's definition, or None (everyone)."""
        if broadcast.segment_id:
            return load_saved_segment(broadcast.workspace_id, broadcast.segment_id)
        return broadcast.segment

    def note_error(self, broadcast: BroadcastModel, error: str) -> None:
        BroadcastModel(broadcast.pk, broadcast.sk).update(actions=[BroadcastModel.last_error.set(error[:500])])

    def maybe_finish(self, workspace_id: str, broadcast_id: str) -> bool:
        """``sending`` -> ``done`` once every planned recipient is settled (sent, failed or dropped by a cancel)."""
        now = clock.now()
        try:
            BroadcastModel(workspace_pk(workspace_id), broadcast_sk(broadcast_id)).update(
                actions=[BroadcastModel.status.set("done"), BroadcastModel.finished_at.set(now),
                         BroadcastModel.updated_at.set(now)],
                condition=(BroadcastModel.status == "sending") & (BroadcastModel.planning_complete == True)  # noqa: E712
                & (BroadcastModel.settled >= BroadcastModel.planned),
            )
            return True
        except UpdateError as exc:
            if _condition_failed(exc):
                return False
            raise


def load_saved_segment(workspace_id: str, segment_id: str) -> Any:
    """A saved segment's definition (JSON), from the segments area's repository."""
    try:
        saved = SavedSegmentRepository().get(workspace_id, segment_id)
    except NotFound:
        raise NotFound(f"no saved segment '{segment_id}'", where="segment_id") from None
    return saved.definition
