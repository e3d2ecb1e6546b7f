"""Timeline entries in TimelineTable.

- entry: pk ``tl#<workspace_id>#<subscriber_id>`` sk ``<iso time>#<entry_id>``
- chat messages (kind ``message_in`` / ``message_out``) are also indexed on gsi1:
  gsi1pk ``chat#<workspace_id>#<subscriber_id>`` gsi1sk = sk, so the 1:1 chat reads only messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from haishin import clock, ids
from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, iso, model_meta

CHAT_KINDS = frozenset({"message_in", "message_out"})


class ChatIndex(GlobalSecondaryIndex["TimelineEntryModel"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TimelineEntryModel(HaishinModel):
    Meta = model_meta("TIMELINE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    chat = ChatIndex()

    workspace_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    # follow, unfollow, message_in, message_out, tag_added, tag_removed, field_changed, enrolled, step_sent,
    # scenario_stopped, form_answered, purchase, refund, merged, unsubscribed, event (other LINE events)
    kind = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    data = JSONTextAttribute(default=dict)
    # who caused it: "friend", "system", "operator:<id>", "scenario:<id>", "broadcast:<id>"
    actor = UnicodeAttribute(default="system")


def timeline_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"tl#{workspace_id}#{subscriber_id}"


def chat_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"chat#{workspace_id}#{subscriber_id}"


class Timeline:
    def append(
        self,
        workspace_id: str,
        subscriber_id: str,
        kind: str,
        data: dict[str, Any] | None = None,
        *,
        actor: str = "system",
        at: datetime | None = None,
        entry_id: str | None = None,
    ) -> TimelineEntryModel:
        """Add an entry. Pass a deterministic ``entry_id`` (e.g. the webhook event ID) so a retry overwrites
        the same entry instead of adding a second one."""
        at = at or clock.now()
        entry_id = entry_id or ids.new_id("t_")
        sk = f"{iso(at)}#{entry_id}"
        entry = TimelineEntryModel(
            pk=timeline_pk(workspace_id, subscriber_id),
            sk=sk,
            workspace_id=workspace_id,
            subscriber_id=subscriber_id,
            entry_id=entry_id,
            kind=kind,
            at=at,
            data=data or {},
            actor=actor,
        )
        if kind in CHAT_KINDS:
            entry.gsi1pk = chat_pk(workspace_id, subscriber_id)
            entry.gsi1sk = sk
        entry.save()
        return entry

    def page(
        self, workspace_id: str, subscriber_id: str, *, limit: int = 50, cursor: str | None = None,
        chat_only: bool = False, subscriber: Any = None,
    ) -> tuple[list[TimelineEntryModel], str | None]:
        """Newest first. ``cursor`` is the sk of the last entry of the previous page.

        Pass the friend's ``subscriber`` record to include its ``imported`` entry: a friend an import created
        records the import on its own item (no timeline write per imported row); the entry is shown on the page
        where it falls in time."""
        if chat_only:
            condition = TimelineEntryModel.gsi1sk < cursor if cursor else None
            results = TimelineEntryModel.chat.query(
                chat_pk(workspace_id, subscriber_id), condition, scan_index_forward=False, limit=limit
            )
        else:
            condition = TimelineEntryModel.sk < cursor if cursor else None
            results = TimelineEntryModel.query(
                timeline_pk(workspace_id, subscriber_id), condition, scan_index_forward=False, limit=limit
            )
        entries = list(results)
        imported = imported_entry(subscriber) if subscriber is not None and not chat_only else None
        if imported is not None and (cursor is None or imported.sk < cursor):
            oldest_here = entries[-1].sk if len(entries) == limit else ""
            if imported.sk > oldest_here:  # it belongs on this page, not a later one
                entries = sorted([*entries, imported], key=lambda e: e.sk, reverse=True)
                if len(entries) > limit:
                    entries = entries[:limit]
                    return entries, entries[-1].sk
        next_cursor = entries[-1].sk if len(entries) == limit else None
        return entries, next_cursor


def imported_entry(subscriber: Any) -> TimelineEntryModel | None:
    """The ``imported`` entry of a friend an import created (from ``SubscriberModel.imported_from``), unsaved."""
    origin = getattr(subscriber, "imported_from", None)
    if not origin:
        return None
    entry_id = f"import_{origin.get('import_id')}_{origin.get('line')}"
    at = subscriber.created_at
    return TimelineEntryModel(
        pk=timeline_pk(subscriber.workspace_id, subscriber.subscriber_id), sk=f"{iso(at)}#{entry_id}",
        workspace_id=subscriber.workspace_id, subscriber_id=subscriber.subscriber_id, entry_id=entry_id,
        kind="imported", at=at, actor=str(origin.get("actor") or "system"),
        data={"import_id": origin.get("import_id"), "line": origin.get("line"), "created": True},
    )
