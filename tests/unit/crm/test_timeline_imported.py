"""A friend an import created shows one ``imported`` entry, in time order across pages, though no timeline item
was written for it (the friend item records the import)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from tests.unit.crm.conftest import WS

CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _imported_friend_with_entries(crm, before: int, after: int):
    repo = SubscriberRepository()
    friend = repo.new(WS, source="csv", now=CREATED)
    friend.imported_from = {"import_id": "imp_7", "line": 12, "actor": "op1"}
    repo.create(friend, [])
    timeline = Timeline()
    for i in range(before):  # older than the import (e.g. merged history)
        timeline.append(WS, friend.subscriber_id, "tag_added", {"i": -i}, at=CREATED - timedelta(minutes=i + 1))
    for i in range(after):
        timeline.append(WS, friend.subscriber_id, "tag_added", {"i": i}, at=CREATED + timedelta(minutes=i + 1))
    return friend


def _all_pages(friend, limit: int) -> list[str]:
    timeline, cursor, seen = Timeline(), None, []
    while True:
        entries, cursor = timeline.page(WS, friend.subscriber_id, limit=limit, cursor=cursor, subscriber=friend)
        assert len(entries) <= limit
        seen += [e.kind if e.kind == "imported" else f"{e.data['i']}" for e in entries]
        if cursor is None:
            return seen


def test_imported_entry_appears_once_in_time_order_whatever_the_page_size(crm) -> None:
    friend = _imported_friend_with_entries(crm, before=2, after=5)
    expected = ["4", "3", "2", "1", "0", "imported", "0", "-1"]
    for limit in (1, 2, 3, 5, 6, 7, 8, 50):
        assert _all_pages(friend, limit) == expected, limit


def test_imported_entry_carries_the_import_and_line(crm) -> None:
    friend = _imported_friend_with_entries(crm, before=0, after=0)
    entries, cursor = Timeline().page(WS, friend.subscriber_id, subscriber=friend)
    assert cursor is None
    [entry] = entries
    assert (entry.kind, entry.actor, entry.at) == ("imported", "op1", CREATED)
    assert entry.data == {"import_id": "imp_7", "line": 12, "created": True}


def test_friends_not_imported_and_the_chat_view_have_no_imported_entry(crm) -> None:
    repo = SubscriberRepository()
    friend = repo.new(WS, source="line", now=CREATED)
    repo.create(friend, [])
    assert Timeline().page(WS, friend.subscriber_id, subscriber=friend)[0] == []
    imported = _imported_friend_with_entries(crm, before=0, after=1)
    chat, _ = Timeline().page(WS, imported.subscriber_id, subscriber=imported, chat_only=True)
    assert chat == []
