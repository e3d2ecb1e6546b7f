"""One EventBridge Scheduler one-time schedule per scheduled broadcast.

``at(YYYY-MM-DDTHH:MM:SS)`` in the workspace's time zone, ``ActionAfterCompletion: DELETE``, target the planner
Lambda (``settings().broadcast_planner_arn``) with ``settings().scheduler_role_arn`` and the input
``{"broadcast_id", "workspace_id"}``. Scheduler may invoke a target twice: the planner's conditional transition
makes the second invocation a no-op. Editing the time updates the schedule; cancelling deletes it.
A target that still fails after Scheduler's retries goes to ``settings().scheduler_dlq_arn`` (template:
``BroadcastScheduleDeadLetterQueue``, alarmed) instead of vanishing; the step tick's sweep
(``BroadcastRepository.resume_stalled``) restarts a broadcast that is overdue or stuck in planning.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from haishin.config import settings
from haishin.errors import ExternalServiceError


def schedule_name(workspace_id: str, broadcast_id: str) -> str:
    # Scheduler names: up to 64 characters of [0-9a-zA-Z-_.]
    return f"bc-{broadcast_id}"[:64]


class BroadcastScheduler:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415

            self._client = boto3.client("scheduler")
        return self._client

    def _request(self, workspace_id: str, broadcast_id: str, local: datetime, zone: str) -> dict[str, Any]:
        s = settings()
        target: dict[str, Any] = {
            "Arn": s.broadcast_planner_arn,
            "RoleArn": s.scheduler_role_arn,
            "Input": json.dumps({"broadcast_id": broadcast_id, "workspace_id": workspace_id}),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        }
        if s.scheduler_dlq_arn:
            target["DeadLetterConfig"] = {"Arn": s.scheduler_dlq_arn}
        return {
            "Name": schedule_name(workspace_id, broadcast_id),
            "GroupName": s.scheduler_group,
            "ScheduleExpression": f"at({local.replace(tzinfo=None, microsecond=0).isoformat(timespec='seconds')})",
            "ScheduleExpressionTimezone": zone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": target,
            "Description": f"Haishin broadcast {broadcast_id} of workspace {workspace_id}",
        }

    def put(self, workspace_id: str, broadcast_id: str, local: datetime, zone: str) -> str:
        """Create the schedule, or move it when it exists. Returns its name."""
        request = self._request(workspace_id, broadcast_id, local, zone)
        try:
            self.client.create_schedule(**request)
        except Exception as exc:
            if type(exc).__name__ != "ConflictException":
                raise ExternalServiceError(f"配信の予約を登録できませんでした: {exc}", where="at") from exc
            try:
                self.client.update_schedule(**request)
            except Exception as again:
                raise ExternalServiceError(f"配信の予約を変更できませんでした: {again}", where="at") from again
        return str(request["Name"])

    def delete(self, workspace_id: str, broadcast_id: str) -> None:
        try:
            self.client.delete_schedule(Name=schedule_name(workspace_id, broadcast_id),
                                        GroupName=settings().scheduler_group)
        except Exception as exc:
            if type(exc).__name__ != "ResourceNotFoundException":  # already fired (and deleted) or never made
                raise ExternalServiceError(f"配信の予約を取り消せませんでした: {exc}", where="schedule") from exc

    def get(self, workspace_id: str, broadcast_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.get_schedule(Name=schedule_name(workspace_id, broadcast_id),
                                                 GroupName=settings().scheduler_group))
        except Exception as exc:
            if type(exc).__name__ == "ResourceNotFoundException":
                return None
            raise
