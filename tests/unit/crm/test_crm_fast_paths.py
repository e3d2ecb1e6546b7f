"""The fast paths behind the 100,000-friend targets give exactly what the slow, obvious paths give:

- new friends from an import are written as DynamoDB JSON built directly: the same items PynamoDB would write;
- the scan client takes ``Items`` out of the raw body: rows decode to the same values the model reads;
- the tags pre-filter (a FilterExpression) never changes a count or a page, only how much DynamoDB sends;
- search reads the page's rows by key after the scan: the same rows, ``limit + 1`` per shard for the cursor.
"""

from __future__ import annotations

from datetime import UTC, datetime

from haishin.csvio.importer import NewFriend, new_subscriber_item
from haishin.segments import engine as engine_module
from haishin.segments.engine import SegmentEngine, tags_prefilter
from haishin.segments.model import parse_segment
from haishin.storage.base import iso
from haishin.storage.shard_scan import iter_shard_pages
from haishin.subscribers.models import line_account, shard_of
from haishin.subscribers.repository import SubscriberRepository
from tests.unit.crm.conftest import CHANNEL, WS

NOW = datetime(2026, 1, 5, 3, 4, 5, 678901, tzinfo=UTC)


def _same_item(fast: dict, slow: dict) -> None:
    assert set(fast) == set(slow)
    for name, value in slow.items():
        if "SS" in value:
            assert set(fast[name]["SS"]) == set(value["SS"]), name
        else:
            assert fast[name] == value, name


def test_new_friend_items_equal_what_pynamodb_writes() -> None:
    friends = [
        NewFriend("s_01"),
        NewFriend("s_02", display_name="髙橋①", inflow_route="qr", email="a@example.jp", phone="09012345678",
                  tags={"tag_b", "tag_a"}, fields={"name": "髙橋", "score": 12, "interests": ["美容", "旅行"]},
                  field_ends={"visit": "2021-01-01T03:00:00.000000+00:00"},
                  line={CHANNEL: line_account("U" + "a" * 32)},
                  imported_from={"import_id": "imp_1", "line": 7, "actor": "op1"}),
    ]
    for friend in friends:
        model = SubscriberRepository().new(WS, source="csv", now=NOW, subscriber_id=friend.subscriber_id)
        model.fields, model.field_ends, model.tags, model.line = {}, {}, set(), {}
        for name in ("display_name", "inflow_route", "email", "phone", "tags", "fields", "field_ends", "line",
                     "imported_from"):
            value = getattr(friend, name)
            if value:
                setattr(model, name, value)
        model.version = 1
        _same_item(new_subscriber_item(WS, friend, iso(NOW)), model.serialize())


def test_raw_scan_rows_decode_like_the_model(crm) -> None:
    repo = SubscriberRepository()
    friend = repo.new(WS, source="api", now=NOW)
    friend.tags = {crm.tags["VIP"]}
    friend.fields = {"name": "青木", "score": 10, "interests": ["美容"], "member": True}
    friend.line = {CHANNEL: line_account("U" + "b" * 32, "following")}
    friend.total_spent = 1234.5
    friend.unsubscribed_all = True
    repo.create(friend, [])
    shard = shard_of(friend.subscriber_id)
    rows = [row for page in iter_shard_pages(WS, shard, None) for row in page]
    assert len(rows) == 1
    row = rows[0]
    assert row["tags"] == {crm.tags["VIP"]}
    assert row["fields"] == friend.fields
    assert row["line"] == friend.line
    assert row["total_spent"] == 1234.5 and row["version"] == 1
    assert row["unsubscribed_all"] is True
    assert row["created_at"] == iso(NOW)


def test_tags_prefilter_expression() -> None:
    assert tags_prefilter([]) is None
    pre = tags_prefilter([("any", frozenset({"t2", "t1"})), ("none", frozenset({"t3"}))])
    assert pre is not None
    assert pre.expression == "(contains(#ftags, :ft0) OR contains(#ftags, :ft1)) AND NOT (contains(#ftags, :ft2))"
    assert pre.values == {":ft0": {"S": "t1"}, ":ft1": {"S": "t2"}, ":ft2": {"S": "t3"}}
    assert tags_prefilter([("all", frozenset(f"t{i}" for i in range(21)))]) is None  # too long: Python only


def test_prefilter_never_changes_counts_or_pages(crm, monkeypatch) -> None:
    repo = SubscriberRepository()
    vip, regular, dormant = crm.tags["VIP"], crm.tags["常連"], crm.tags["休眠"]
    tag_sets = [set(), {vip}, {regular}, {vip, regular}, {dormant}, {vip, dormant}] * 5
    for index, tags in enumerate(tag_sets):
        friend = repo.new(WS, source="api", now=NOW)
        friend.tags = tags
        friend.fields = {"score": index}
        if index == 7:
            friend.merged_into = "someone"
        repo.create(friend, [])
    segments = [
        {"conditions": [{"type": "tags", "tags": ["VIP"]}]},
        {"conditions": [{"type": "tags", "match": "all", "tags": ["VIP", "常連"]}]},
        {"conditions": [{"type": "tags", "match": "none", "tags": ["VIP"]},
                        {"type": "field", "field": "score", "op": "gt", "value": 3}]},
        {"match": "any", "conditions": [{"type": "tags", "tags": ["休眠"]},
                                        {"type": "field", "field": "score", "op": "lt", "value": 2}]},
    ]
    engine = SegmentEngine()
    with_filter = []
    for raw in segments:
        segment = parse_segment(raw)
        page = engine.search(WS, segment, limit=4, sort="field:score", order="desc")
        assert engine.count(WS, segment) == page.total
        with_filter.append((page.total, [r["subscriber_id"] for r in page.items], page.next_cursor))
    assert engine.compile(WS, parse_segment(segments[0])).prefilter is not None
    assert engine.compile(WS, parse_segment(segments[3])).prefilter is None  # an "any" root: nothing implied
    monkeypatch.setattr(engine_module, "tags_prefilter", lambda _conditions: None)
    without = []
    for raw in segments:
        segment = parse_segment(raw)
        page = engine.search(WS, segment, limit=4, sort="field:score", order="desc")
        without.append((page.total, [r["subscriber_id"] for r in page.items], page.next_cursor))
    assert with_filter == without
    assert [total for total, _, _ in without] == [14, 5, 13, 12]


def test_search_pages_walk_every_match_once_even_when_one_shard_holds_them(crm) -> None:
    repo = SubscriberRepository()
    same_shard = [sid for sid in (f"s_{n:04d}" for n in range(400)) if shard_of(sid) == 0][:7]
    ids = []
    for index, sid in enumerate(same_shard):
        friend = repo.new(WS, source="api", now=NOW, subscriber_id=sid)
        friend.fields = {"score": index}
        repo.create(friend, [])
        ids.append(friend.subscriber_id)
    engine = SegmentEngine()
    seen: list[str] = []
    cursor = None
    while True:
        page = engine.search(WS, parse_segment({}), limit=3, sort="field:score", order="asc", cursor=cursor)
        seen += [r["subscriber_id"] for r in page.items]
        assert all(r["source"] == "api" if "source" in r else "created_at" in r for r in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ids
