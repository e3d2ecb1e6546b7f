"""Member sites in WorkspaceTable (records in ``haishin.members.models``): every DynamoDB read and write of the
feature. Access changes are read-modify-write with optimistic locking (the record's version), so a purchase and a
refund arriving together both land; a completed lesson is saved only if absent, so a double tap counts once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from haishin.errors import Conflict, NotFound
from haishin.members.models import (
    AccessModel,
    CourseModel,
    MemberSessionModel,
    ProgressModel,
    access_sk,
    course_pk,
    course_sk,
    done_sk,
    session_pk,
)
from haishin.storage.base import condition_failed
from haishin.workspaces.models import workspace_pk

_RETRIES = 10


class MemberRepository:
    # ------------------------------------------------------------------ courses
    def create_course(self, workspace_id: str, course_id: str, definition: dict[str, Any], *,
                      now: datetime) -> CourseModel:
        item = CourseModel(pk=workspace_pk(workspace_id), sk=course_sk(course_id), workspace_id=workspace_id,
                           course_id=course_id, definition=definition, created_at=now, updated_at=now)
        item.save(condition=CourseModel.pk.does_not_exist())
        return item

    def find_course(self, workspace_id: str, course_id: str) -> CourseModel | None:
        try:
            return CourseModel.get(workspace_pk(workspace_id), course_sk(course_id), consistent_read=True)
        except CourseModel.DoesNotExist:
            return None

    def require_course(self, workspace_id: str, course_id: str) -> CourseModel:
        item = self.find_course(workspace_id, course_id)
        if item is None:
            raise NotFound("コースが見つかりません", where=f"course {course_id}")
        return item

    def courses(self, workspace_id: str) -> list[CourseModel]:
        return list(CourseModel.query(workspace_pk(workspace_id), CourseModel.sk.startswith("course#")))

    def save_course(self, item: CourseModel, definition: dict[str, Any], *, now: datetime) -> None:
        item.definition = definition
        item.updated_at = now
        try:
            item.save()
        except PutError as exc:
            if condition_failed(exc):
                raise Conflict("コースがほかの操作で変わりました。再読み込みしてからもう一度お試しください",
                               where=f"course {item.course_id}") from exc
            raise

    def delete_course(self, item: CourseModel) -> None:
        item.delete()

    # ------------------------------------------------------------------ access
    def access(self, workspace_id: str, course_id: str, subscriber_id: str) -> AccessModel | None:
        try:
            return AccessModel.get(course_pk(workspace_id, course_id), access_sk(subscriber_id),
                                   consistent_read=True)
        except AccessModel.DoesNotExist:
            return None

    def change_access(self, workspace_id: str, course_id: str, subscriber_id: str, *, now: datetime,
                      change: Callable[[dict[str, Any]], bool]) -> AccessModel | None:
        """Apply ``change`` to the grants (it answers whether anything changed); the record is created on the first
        grant. None when there is no record and nothing to grant."""
        for _ in range(_RETRIES):
            item = self.access(workspace_id, course_id, subscriber_id)
            fresh = item is None
            grants = dict(item.grants or {}) if item is not None else {}
            if not change(grants):
                return item
            if item is None:
                item = AccessModel(pk=course_pk(workspace_id, course_id), sk=access_sk(subscriber_id),
                                   workspace_id=workspace_id, course_id=course_id, subscriber_id=subscriber_id,
                                   started_at=now)
            item.grants = grants
            item.updated_at = now
            try:
                if fresh:
                    item.save(condition=AccessModel.pk.does_not_exist())
                else:
                    item.save()
                return item
            except (PutError, UpdateError) as exc:
                if not condition_failed(exc):
                    raise
        raise Conflict("受講権限がほかの操作で変わり続けています。もう一度お試しください",
                       where=f"course {course_id}")

    def members(self, workspace_id: str, course_id: str) -> tuple[list[AccessModel], list[ProgressModel]]:
        """Every member of the course and every completed lesson (one query of the course's partition)."""
        access: list[AccessModel] = []
        progress: list[ProgressModel] = []
        for item in AccessModel.query(course_pk(workspace_id, course_id), AccessModel.sk.startswith("acc#")):
            access.append(item)
        for done in ProgressModel.query(course_pk(workspace_id, course_id), ProgressModel.sk.startswith("done#")):
            progress.append(done)
        return access, progress

    # ------------------------------------------------------------------ progress
    def complete(self, workspace_id: str, course_id: str, subscriber_id: str, lesson_id: str, *,
                 now: datetime) -> bool:
        """True when this call recorded the completion (False: it was already recorded)."""
        item = ProgressModel(pk=course_pk(workspace_id, course_id), sk=done_sk(subscriber_id, lesson_id),
                             subscriber_id=subscriber_id, lesson_id=lesson_id, completed_at=now)
        try:
            item.save(condition=ProgressModel.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def completed(self, workspace_id: str, course_id: str, subscriber_id: str) -> dict[str, datetime]:
        return {p.lesson_id: p.completed_at for p in ProgressModel.query(
            course_pk(workspace_id, course_id), ProgressModel.sk.startswith(f"done#{subscriber_id}#"),
            consistent_read=True)}

    # ------------------------------------------------------------------ sessions
    def create_session(self, workspace_id: str, subscriber_id: str, digest: str, *, via: str, now: datetime,
                       expires_at: int) -> None:
        MemberSessionModel(pk=session_pk(workspace_id, subscriber_id), sk=digest, workspace_id=workspace_id,
                           subscriber_id=subscriber_id, via=via, created_at=now,
                           expires_at=expires_at).save(condition=MemberSessionModel.pk.does_not_exist())

    def session(self, workspace_id: str, subscriber_id: str, digest: str) -> MemberSessionModel | None:
        try:
            return MemberSessionModel.get(session_pk(workspace_id, subscriber_id), digest, consistent_read=True)
        except MemberSessionModel.DoesNotExist:
            return None

    def sessions(self, workspace_id: str, subscriber_id: str) -> list[MemberSessionModel]:
        return list(MemberSessionModel.query(session_pk(workspace_id, subscriber_id), consistent_read=True))

    def delete_session(self, item: MemberSessionModel) -> None:
        item.delete()
