"""Every segment operator on a fixed data set; count() equals the search total; sorting and cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from haishin.errors import ValidationFailed
from haishin.segments.engine import SegmentEngine
from haishin.segments.lists import ListRepository
from haishin.segments.model import parse_segment
from haishin.subscribers.models import line_account
from haishin.subscribers.repository import SubscriberRepository
from haishin.tags.counts import tag_counts
from haishin.timeline.models import Timeline
from haishin.wiring import services
from tests.unit.crm.conftest import CHANNEL, WS

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def uid(n: int) -> str:
    return f"U{n:032x}"


@pytest.fixture
def people(crm) -> dict[str, str]:
    """name -> subscriber_id for six friends with known data."""
    repo = SubscriberRepository()
    t = crm.tags
    spec: dict[str, dict[str, Any]] = {
        "a": {"tags": {t["VIP"], t["常連"]}, "fields": {"name": "青木", "score": 10, "birthday": "1990-01-01",
              "visit": "2026-01-01T01:00:00.000000+00:00", "plan": "松", "interests": ["美容", "旅行"],
              "member": True}, "line": {CHANNEL: line_account(uid(1), "following")}, "email": "a@example.jp",
              "inflow_route": "qr_shop", "products": {"prod_1"}, "total_spent": 12000, "forms_answered": {"f1"},
              "last_interaction_at": NOW - timedelta(days=1)},
        "b": {"tags": {t["VIP"]}, "fields": {"name": "馬場", "score": 50, "birthday": "1985-06-15",
              "visit": "2025-06-01T01:00:00.000000+00:00", "plan": "竹", "interests": ["健康"], "member": False},
              "line": {CHANNEL: line_account(uid(2), "blocked")}, "email": "b@example.jp", "inflow_route": "ad",
              "products": {"prod_2"}, "total_spent": 3000, "last_interaction_at": NOW - timedelta(days=40)},
        "c": {"tags": {t["休眠"]}, "fields": {"name": "千葉", "score": 0}, "email": "c@example.jp",
              "unsubscribed_all": True},
        "d": {"tags": set(), "fields": {"score": -5, "interests": ["美容"]},
              "line": {CHANNEL: line_account(uid(4), "following")}, "inflow_route": "qr_shop",
              "last_interaction_at": NOW - timedelta(days=3)},
        "e": {"tags": {t["常連"]}, "fields": {"name": "江藤", "birthday": "2000-12-31", "member": True},
              "line": {CHANNEL: line_account(uid(5), "unknown")}, "email": "e@example.jp",
              "unsubscribed": {"email": True}},
        "merged": {"tags": {t["VIP"]}, "fields": {"score": 99}, "merged_into": "someone"},
    }
    out = {}
    for name, data in spec.items():
        subscriber = repo.new(WS, source="api")
        for key, value in data.items():
            setattr(subscriber, key, value)
        aliases = [("email", data["email"])] if "email" in data else []
        repo.create(subscriber, aliases)
        out[name] = subscriber.subscriber_id
    table = boto3.client("dynamodb", region_name="us-east-1")
    for name, status in (("a", "active"), ("b", "completed"), ("d", "stopped")):
        table.put_item(TableName="EnrollmentsTable", Item={
            "pk": {"S": f"enr#{WS}#{out[name]}"}, "sk": {"S": "sc_1"}, "status": {"S": status}})
    return out


CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"type": "tags", "match": "any", "tags": ["VIP", "休眠"]}, {"a", "b", "c"}),
    ({"type": "tags", "match": "all", "tags": ["VIP", "常連"]}, {"a"}),
    ({"type": "tags", "match": "none", "tags": ["VIP"]}, {"c", "d", "e"}),
    ({"type": "field", "field": "name", "op": "eq", "value": "青木"}, {"a"}),
    ({"type": "field", "field": "name", "op": "ne", "value": "青木"}, {"b", "c", "d", "e"}),
    ({"type": "field", "field": "name", "op": "contains", "value": "葉"}, {"c"}),
    ({"type": "field", "field": "name", "op": "not_contains", "value": "葉"}, {"a", "b", "d", "e"}),
    ({"type": "field", "field": "score", "op": "lt", "value": "１０"}, {"c", "d"}),
    ({"type": "field", "field": "score", "op": "gt", "value": 0}, {"a", "b"}),
    ({"type": "field", "field": "score", "op": "empty"}, {"e"}),
    ({"type": "field", "field": "name", "op": "not_empty"}, {"a", "b", "c", "e"}),
    ({"type": "field", "field": "birthday", "op": "before", "value": "1990/01/01"}, {"b"}),
    ({"type": "field", "field": "birthday", "op": "after", "value": "1990年1月1日"}, {"e"}),
    ({"type": "field", "field": "visit", "op": "within_days", "days": 7}, {"a"}),
    ({"type": "field", "field": "visit", "op": "eq", "value": "2026/01/01"}, {"a"}),
    ({"type": "field", "field": "visit", "op": "before", "value": "2026/01/01 00:00"}, {"b"}),
    ({"type": "field", "field": "plan", "op": "eq", "value": "竹"}, {"b"}),
    ({"type": "field", "field": "interests", "op": "contains", "value": "美容"}, {"a", "d"}),
    ({"type": "field", "field": "member", "op": "eq", "value": "はい"}, {"a", "e"}),
    ({"type": "field", "field": "$email", "op": "empty"}, {"d"}),
    ({"type": "follow", "status": "following"}, {"a", "d"}),
    ({"type": "follow", "status": "blocked"}, {"b"}),
    ({"type": "follow", "status": "unknown", "channel_id": CHANNEL}, {"e"}),
    ({"type": "follow", "status": "no_line"}, {"c"}),
    ({"type": "scenario", "scenario_id": "sc_1", "status": "enrolled"}, {"a"}),
    ({"type": "scenario", "scenario_id": "sc_1", "status": "completed"}, {"b"}),
    ({"type": "scenario", "scenario_id": "sc_1", "status": "stopped"}, {"d"}),
    ({"type": "scenario", "scenario_id": "sc_1", "status": "not_in"}, {"c", "e"}),
    ({"type": "inflow_route", "routes": ["qr_shop"]}, {"a", "d"}),
    ({"type": "inflow_route", "routes": ["qr_shop"], "negate": True}, {"b", "c", "e"}),
    ({"type": "form_answered", "form_id": "f1"}, {"a"}),
    ({"type": "form_answered", "form_id": "f1", "answered": False}, {"b", "c", "d", "e"}),
    ({"type": "purchased", "products": ["prod_1", "prod_2"]}, {"a", "b"}),
    ({"type": "purchased", "products": ["prod_1"], "match": "none"}, {"b", "c", "d", "e"}),
    ({"type": "total_spent", "op": "gt", "amount": 5000}, {"a"}),
    ({"type": "total_spent", "op": "lte", "amount": 3000}, {"b", "c", "d", "e"}),
    ({"type": "last_interaction", "op": "within_days", "days": 7}, {"a", "d"}),
    ({"type": "last_interaction", "op": "not_within_days", "days": 7}, {"b", "c", "e"}),
    ({"type": "last_interaction", "op": "never"}, {"c", "e"}),
    ({"type": "last_interaction", "op": "before", "at": "2025-12-01T00:00:00+09:00"}, {"b"}),
    ({"type": "unsubscribed", "channel": "all"}, {"c"}),
    ({"type": "unsubscribed", "channel": "email"}, {"e"}),
    ({"type": "group", "match": "any", "conditions": [
        {"type": "tags", "tags": ["休眠"]},
        {"type": "group", "match": "all", "conditions": [
            {"type": "follow", "status": "following"}, {"type": "field", "field": "score", "op": "lt", "value": 0}]},
    ]}, {"c", "d"}),
]


def test_every_operator_returns_exactly_the_expected_friends(people: dict[str, str]) -> None:
    engine = SegmentEngine()
    names = {v: k for k, v in people.items()}
    for condition, expected in CASES:
        segment = parse_segment({"match": "all", "conditions": [condition]})
        page = engine.search(WS, segment, limit=100)
        got = {names[row["subscriber_id"]] for row in page.items}
        assert got == expected, condition
        assert engine.count(WS, segment) == page.total == len(expected), condition


def test_lists_include_and_exclude(people: dict[str, str]) -> None:
    engine = SegmentEngine()
    names = {v: k for k, v in people.items()}
    lines = ListRepository().create(WS, "event", "line_user_id", [uid(1), uid(4), "Unobody"])
    emails = ListRepository().create(WS, "mail", "email", ["B@EXAMPLE.JP", "c@example.jp"])
    for condition, expected in [
        ({"type": "list", "list_id": lines.list_id}, {"a", "d"}),
        ({"type": "list", "list_id": emails.list_id, "mode": "exclude"}, {"a", "d", "e"}),
    ]:
        page = engine.search(WS, parse_segment({"conditions": [condition]}), limit=100)
        assert {names[r["subscriber_id"]] for r in page.items} == expected
        assert page.total == engine.count(WS, parse_segment({"conditions": [condition]}))


def test_sorting_and_cursor_pages(people: dict[str, str]) -> None:
    engine = SegmentEngine()
    names = {v: k for k, v in people.items()}
    everyone = parse_segment({})
    seen: list[str] = []
    cursor = None
    while True:
        page = engine.search(WS, everyone, limit=2, sort="field:score", order="desc", cursor=cursor)
        seen += [names[r["subscriber_id"]] for r in page.items]
        assert page.total == 5
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["b", "a", "c", "d", "e"]  # empty scores last


def test_bad_segments_say_where(people: dict[str, str]) -> None:
    engine = SegmentEngine()
    with pytest.raises(ValidationFailed) as raised:
        engine.count(WS, parse_segment({"conditions": [{"type": "field", "field": "nope", "op": "empty"}]}))
    assert raised.value.where == "conditions.0.field"
    with pytest.raises(ValidationFailed) as raised:
        engine.count(WS, parse_segment({"conditions": [{"type": "field", "field": "plan", "op": "gt", "value": 1}]}))
    assert raised.value.where == "conditions.0.op"
    with pytest.raises(ValidationFailed) as raised:
        engine.count(WS, parse_segment({"conditions": [{"type": "tags", "tags": ["無いタグ"]}]}))
    assert raised.value.where == "conditions.0.tags"


def test_merge_unions_tags_fills_fields_repoints_aliases_and_counts_stay_right(crm, people) -> None:
    before = tag_counts(WS)
    winner = services().crm.merge(WS, people["d"], people["e"], actor="operator:x")
    assert winner.tags == {crm.tags["常連"]}
    assert winner.fields["score"] == -5 and winner.fields["name"] == "江藤"  # winner wins, loser fills gaps
    assert winner.fields["interests"] == ["美容"]
    assert SubscriberRepository().find_by_email(WS, "e@example.jp").subscriber_id == people["d"]
    loser = SubscriberRepository().require(WS, people["e"])
    assert loser.merged_into == people["d"]
    assert [e.kind for e in Timeline().page(WS, people["e"])[0]] == ["merged"]
    assert [e.kind for e in Timeline().page(WS, people["d"])[0]] == ["merged"]
    after = tag_counts(WS)
    assert after[crm.tags["常連"]] == before[crm.tags["常連"]]  # e's 常連 moved to d: still two friends (a, d)
    assert SegmentEngine().count(WS, parse_segment({})) == 4
