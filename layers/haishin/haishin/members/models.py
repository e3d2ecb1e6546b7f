"""Member-site records in WorkspaceTable.

- course:   pk ``ws#<ws>`` sk ``course#<course_id>`` (title, chapters, lessons as JSON: a course is read whole by
            every member page, and a few hundred lessons of text stay far below DynamoDB's 400 KB item)
- access:   pk ``crs#<ws>#<course_id>`` sk ``acc#<subscriber_id>``: ``grants`` maps each source (``order:<id>``,
            ``tag``, ``manual``) to when it began and, once it is ending, ``ends_at``; the member has access while
            any grant is open. ``started_at`` (the first grant) is what drip days count from.
- progress: same partition, sk ``done#<subscriber_id>#<lesson_id>`` (one row per completed lesson: the course's
            members, progress and drop-off are one query of the partition)
- session:  pk ``msess#<ws>#<subscriber_id>`` sk ``<sha256 of the session secret>``: server-side member sessions;
            "log out everywhere" (the member or staff) deletes the partition
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def course_sk(course_id: str) -> str:
    return f"course#{course_id}"


def course_pk(workspace_id: str, course_id: str) -> str:
    return f"crs#{workspace_id}#{course_id}"


def access_sk(subscriber_id: str) -> str:
    return f"acc#{subscriber_id}"


def done_sk(subscriber_id: str, lesson_id: str) -> str:
    return f"done#{subscriber_id}#{lesson_id}"


def session_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"msess#{workspace_id}#{subscriber_id}"


class CourseModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    definition = JSONTextAttribute()  # haishin.members.inputs.CourseIn as JSON (lesson IDs filled in)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class AccessModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    grants = JSONTextAttribute(default=dict)  # source -> {"at": iso, "ends_at": iso | None}
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ProgressModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    subscriber_id = UnicodeAttribute()
    lesson_id = UnicodeAttribute()
    completed_at = UTCDateTimeAttribute()


class MemberSessionModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    via = UnicodeAttribute()  # email | line
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # epoch seconds (DynamoDB TTL; readers check it: TTL deletion is lazy)
