"""Rich menu rules: evaluation order, one friend re-linked on a tag change with one LINE call (none when the menu does
not change), the bulk job's 500-ID chunks, progress, resume after a crash, 429 retried, and foreign IDs refused with
the rule's number (nothing stored)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from haishin import clock
from haishin.csvio.importer import ImportService, import_rows
from haishin.csvio.jobs import ImportOptions
from haishin.errors import HaishinError, NotFound, ValidationFailed
from haishin.line.client import LineApiError
from haishin.ownership import require_owned
from haishin.richmenus.relink import JOB_KIND, FriendMenus, RelinkJobs, RichMenuRules, RuleBooks
from haishin.richmenus.rules import (
    CompiledRule,
    PageFacts,
    RuleBook,
    RuleSetIn,
    line_target,
    route_test,
    step_test,
    tag_test,
)
from haishin.richmenus.rules_repository import NO_LINK, RelinkJobModel, RuleRepository
from haishin.routes.repository import RouteRepository
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.scenarios.repository import ScenarioRepository
from haishin.segments.engine import SegmentEngine
from haishin.segments.model import parse_segment
from haishin.segments.saved import SavedSegmentRepository
from haishin.subscribers.models import SubscriberModel, subscriber_pk
from haishin.tags.repository import TagIn, TagRepository

WS = "w_rmrules"
OTHER = "w_rmrules_other"
CH = "1660000020"
CH2 = "1660000021"


# ------------------------------------------------------------------------------------------------ fakes
@dataclass
class FakeMenus:
    """PublishedMenus: menu ID -> (workspace, channel, LINE ID or None)."""

    menus: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    defaults: list[tuple[str, str, str | None]] = field(default_factory=list)

    def menu_channel(self, workspace_id: str, menu_id: str) -> str | None:
        found = self.menus.get(menu_id)
        return found[1] if found and found[0] == workspace_id else None

    def line_menu_id(self, workspace_id: str, menu_id: str) -> str | None:
        found = self.menus.get(menu_id)
        return found[2] if found and found[0] == workspace_id else None

    def set_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        self.defaults.append((workspace_id, channel_id, menu_id))


class Crash(BaseException):
    """A Lambda that stops mid-run (timeout): nothing in the job catches it."""


@dataclass
class FakeLine:
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    fail: list[BaseException | None] = field(default_factory=list)  # consumed one per call

    def _maybe_fail(self) -> None:
        if self.fail:
            error = self.fail.pop(0)
            if error is not None:
                raise error

    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        self._maybe_fail()
        self.calls.append(("link", rich_menu_id, user_id))

    def unlink_rich_menu(self, user_id: str) -> None:
        self._maybe_fail()
        self.calls.append(("unlink", user_id))

    def link_rich_menu_to_users(self, rich_menu_id: str, user_ids: list[str]) -> None:
        assert 1 <= len(user_ids) <= 500
        self._maybe_fail()
        self.calls.append(("bulk_link", rich_menu_id, list(user_ids)))

    def unlink_rich_menus(self, user_ids: list[str]) -> None:
        assert 1 <= len(user_ids) <= 500
        self._maybe_fail()
        self.calls.append(("bulk_unlink", list(user_ids)))


@dataclass
class FakeClients:
    line: FakeLine = field(default_factory=FakeLine)

    def for_channel(self, workspace_id: str, channel_id: str) -> FakeLine:
        return self.line


@dataclass
class FakeQueue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, body: dict[str, Any]) -> None:
        self.sent.append(body)


class FakeChannels:
    def require(self, workspace_id: str, channel_id: str) -> Any:
        if (workspace_id, channel_id) not in {(WS, CH), (WS, CH2), (OTHER, "1660000029")}:
            raise HaishinError("no channel", where="channel_id")
        return object()


@dataclass
class World:
    menus: FakeMenus
    clients: FakeClients
    queue: FakeQueue
    repository: RuleRepository
    friends: FriendMenus
    jobs: RelinkJobs
    rules: RichMenuRules

    @property
    def calls(self) -> list[tuple[Any, ...]]:
        return self.clients.line.calls


@pytest.fixture
def world(aws: Any, manual_clock: Any) -> World:
    menus = FakeMenus({"rmn_A": (WS, CH, "richmenu-a"), "rmn_B": (WS, CH, "richmenu-b"),
                       "rmn_D": (WS, CH, "richmenu-d"), "rmn_OTHERCH": (WS, CH2, "richmenu-x"),
                       "rmn_THEIRS": (OTHER, "1660000029", "richmenu-t")})
    clients = FakeClients()
    queue = FakeQueue()
    repository = RuleRepository()
    books = RuleBooks(menus, engine=SegmentEngine(), segments=SavedSegmentRepository(), routes=RouteRepository())
    enrollments = EnrollmentRepository()
    return World(
        menus, clients, queue, repository,
        FriendMenus(repository, books, enrollments, clients, sleep=lambda _s: None),
        RelinkJobs(repository, books, enrollments, clients, sleep=lambda _s: None, max_workers=4),
        RichMenuRules(repository, books, queue, menus=menus, channels=FakeChannels(), tags=TagRepository(),
                      segments=SavedSegmentRepository(), scenarios=ScenarioRepository(), routes=RouteRepository(),
                      enrollments=enrollments),
    )


def _friend(number: int, *, tags: set[str] | None = None, status: str = "following", channel: str = CH,
            route: str | None = None, route_id: str | None = None) -> SubscriberModel:
    sid = f"s_{number:06d}"
    return SubscriberModel(pk=subscriber_pk(WS, sid), sk=sid, workspace_id=WS, subscriber_id=sid, source="line",
                           line={channel: {"user_id": f"U{number:032x}", "status": status}},
                           tags=tags or None, inflow_route=route, inflow_route_id=route_id, created_at=_now(),
                           updated_at=_now())


def _now() -> Any:
    return clock.now()


def _save_many(friends: list[SubscriberModel]) -> None:
    with SubscriberModel.batch_write() as batch:
        for friend in friends:
            batch.save(friend)


def _tag(workspace: str, name: str) -> str:
    return TagRepository().create(workspace, TagIn(name=name)).tag_id


def _save(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return world.rules.save(WS, RuleSetIn.model_validate(body))


# ------------------------------------------------------------------------------------------------ pure evaluation
def test_first_matching_rule_wins_else_the_default_and_unpublished_menus_are_skipped() -> None:
    book = RuleBook(WS, CH, "rmn_D", [
        CompiledRule(1, "rmn_DRAFT", tag_test("tag_vip")),  # not published: skipped
        CompiledRule(2, "rmn_A", tag_test("tag_vip")),
        CompiledRule(3, "rmn_B", route_test("rt_insta", "instagram")),
    ], {"rmn_A": "richmenu-a", "rmn_B": "richmenu-b"})
    both = {"subscriber_id": "s_1", "tags": {"tag_vip"}, "inflow_route": "instagram"}
    assert (book.choose(both).menu_id, book.choose(both).reason) == ("rmn_A", "rule 2")
    route_only = {"subscriber_id": "s_2", "inflow_route": "instagram"}
    assert book.choose(route_only).reason == "rule 3"
    nobody = {"subscriber_id": "s_3"}
    assert (book.choose(nobody).menu_id, book.choose(nobody).reason) == (None, "default")
    book.default_menu_id = None
    assert book.choose(nobody).reason == "none"
    assert book.choose({**both, "merged_into": "s_9"}).reason == "none"


def test_route_rule_matches_the_stored_route_id_else_the_routes_current_name() -> None:
    test = route_test("rt_insta", "Instagram")
    facts = PageFacts()
    assert test({"inflow_route": "旧名", "inflow_route_id": "rt_insta"}, facts)  # renamed since: the ID decides
    assert not test({"inflow_route": "Instagram", "inflow_route_id": "rt_other"}, facts)  # same name, other route
    assert test({"inflow_route": "Instagram"}, facts)  # attributed before IDs were stored: by name
    assert not test({"inflow_route": "旧名"}, facts)  # ... so a rename loses those (documented)
    assert not test({}, facts)


def test_renaming_a_route_keeps_its_friends_menu(world: World) -> None:
    repository = RouteRepository()
    route = repository.create(WS, "rt_insta", "code1234", _now(), name="instagram", channel_id=CH)
    _save_many([_friend(1, route="instagram", route_id="rt_insta"), _friend(2, route="instagram"),
                _friend(3, route="instagram", route_id="rt_other")])
    route.name = "Instagram プロフィール"
    repository.save(route)
    _save(world, {"channel_id": CH, "rules": [
        {"menu_id": "rmn_B", "condition": {"type": "route", "route_id": "rt_insta"}}]})
    world.jobs.handle(world.queue.sent[-1])
    assert [(c[1], tuple(c[2])) for c in world.calls] == [("richmenu-b", (f"U{1:032x}",))]
    assert world.rules.friend_menu(WS, "s_000001")["reason"] == "rule 1"
    assert world.rules.friend_menu(WS, "s_000002")["reason"] == "none"  # old name, no ID: lost by the rename
    world.clients.line.calls.clear()
    assert world.friends.relink(WS, "s_000001", channel_id=CH) == []  # one friend's path reads the ID too


def test_scenario_step_rule_is_at_or_after_the_step_and_candidates_follow_with_a_user_id() -> None:
    test = step_test("sc_1", 2)
    row = {"subscriber_id": "s_1"}
    assert not test(row, PageFacts())
    assert not test(row, PageFacts({("s_1", "sc_1"): ("active", 2)}))  # step 2 not reached yet
    assert test(row, PageFacts({("s_1", "sc_1"): ("active", 3)}))
    assert test(row, PageFacts({("s_1", "sc_1"): ("completed", 5)}))
    assert not test(row, PageFacts({("s_1", "sc_1"): ("stopped", 9)}))
    assert line_target({"line": {CH: {"user_id": "U1", "status": "following"}}}, CH) == "U1"
    assert line_target({"line": {CH: {"user_id": "U1", "status": "blocked"}}}, CH) is None
    assert line_target({"line": {CH2: {"user_id": "U1", "status": "following"}}}, CH) is None


# ------------------------------------------------------------------------------------------------ one friend
def test_a_tag_change_relinks_one_friend_with_one_call_and_an_unchanged_friend_costs_none(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save(world, {"channel_id": CH, "default_menu_id": "rmn_D",
                  "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    friend = _friend(1, tags={vip})
    friend.save()
    world.friends.publish(WS, "tag_added", {"subscriber_id": friend.subscriber_id, "tag_id": vip},
                          idempotency_key="k1")
    assert world.calls == [("link", "richmenu-a", f"U{1:032x}")]
    assert world.repository.linked_menu(WS, CH, friend.subscriber_id) == ("rmn_A", "richmenu-a")
    # the same event again (a retry), or a tag change that does not move the menu: no call
    world.friends.publish(WS, "tag_added", {"subscriber_id": friend.subscriber_id, "tag_id": vip},
                          idempotency_key="k1")
    assert len(world.calls) == 1
    # the tag removed: back to the default = the per-user link removed (one call)
    friend.refresh()
    friend.tags = None
    friend.save()
    world.friends.publish(WS, "tag_removed", {"subscriber_id": friend.subscriber_id, "tag_id": vip},
                          idempotency_key="k2")
    assert world.calls[1:] == [("unlink", f"U{1:032x}")]
    assert world.repository.linked_menu(WS, CH, friend.subscriber_id) == ("", "")


def test_a_new_friend_with_the_default_needs_no_call_and_other_events_are_ignored(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save(world, {"channel_id": CH, "default_menu_id": "rmn_D",
                  "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    friend = _friend(2)
    friend.save()
    assert world.friends.relink(WS, friend.subscriber_id, channel_id=CH) == []
    assert world.calls == []
    assert world.repository.linked_menu(WS, CH, friend.subscriber_id) is NO_LINK
    assert world.friends.publish(WS, "form_submitted", {"subscriber_id": friend.subscriber_id},
                                 idempotency_key="x") == 0


def test_a_line_failure_never_fails_the_cause_and_a_429_is_retried(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save(world, {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    friend = _friend(3, tags={vip})
    friend.save()
    world.clients.line.fail = [LineApiError(429, "slow down"), None]
    assert len(world.friends.relink(WS, friend.subscriber_id)) == 1
    assert world.calls == [("link", "richmenu-a", f"U{3:032x}")]
    other = _friend(4, tags={vip})
    other.save()
    world.clients.line.fail = [LineApiError(400, "bad")]
    assert world.friends.relink(WS, other.subscriber_id) == []  # logged; nothing recorded, so a later change retries
    assert world.repository.linked_menu(WS, CH, other.subscriber_id) is NO_LINK


# ------------------------------------------------------------------------------------------------ bulk
def test_the_bulk_job_links_in_chunks_of_500_with_progress_and_a_second_run_calls_nothing(world: World) -> None:
    vip = _tag(WS, "VIP")
    friends = [_friend(n, tags={vip} if n <= 1201 else None) for n in range(1, 1251)]
    friends.append(_friend(5000, tags={vip}, status="blocked"))  # not a candidate
    _save_many(friends)
    view = _save(world, {"channel_id": CH, "default_menu_id": "rmn_D",
                         "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    job_id = view["job"]["id"]
    assert view["job"]["status"] == "queued"
    assert world.queue.sent == [{"kind": JOB_KIND, "workspace_id": WS, "job_id": job_id}]
    outcome = world.jobs.handle(world.queue.sent[0])
    assert outcome["outcome"] == "done" and outcome["calls"] == 3
    sizes = [len(call[2]) for call in world.calls]
    assert [c[0] for c in world.calls] == ["bulk_link"] * 3 and sorted(sizes) == [201, 500, 500]
    assert world.menus.defaults == [(WS, CH, "rmn_D")]
    job = world.rules.job(WS, job_id)
    assert {k: job[k] for k in ("status", "total", "done", "linked", "unlinked", "calls")} == {
        "status": "done", "total": 1250, "done": 1250, "linked": 1201, "unlinked": 0, "calls": 3}
    # the same rules again: everyone already has their menu
    again = _save(world, {"channel_id": CH, "default_menu_id": "rmn_D",
                          "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    world.jobs.handle(world.queue.sent[-1])
    assert len(world.calls) == 3
    assert world.rules.job(WS, again["job"]["id"])["calls"] == 0
    # the rule removed: the 1,201 fall back to the default: unlink in chunks of 500
    last = _save(world, {"channel_id": CH, "default_menu_id": "rmn_D", "rules": []})
    world.jobs.handle(world.queue.sent[-1])
    assert [len(c[1]) for c in world.calls[3:]] == [500, 500, 201]
    assert world.rules.job(WS, last["job"]["id"])["unlinked"] == 1201


def test_a_crashed_job_resumes_without_redoing_finished_chunks(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save_many([_friend(n, tags={vip}) for n in range(1, 1101)])
    view = _save(world, {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag",
                                                                                          "tag_id": vip}}]})
    world.clients.line.fail = [None, Crash()]
    with pytest.raises(Crash):
        world.jobs.handle(world.queue.sent[0])
    assert len(world.calls) == 1
    middle = world.rules.job(WS, view["job"]["id"])
    assert middle["status"] == "running" and middle["linked"] == 500 and middle["total"] == 1100
    world.jobs.handle(world.queue.sent[0])  # SQS redelivers the message
    linked = [uid for call in world.calls for uid in call[2]]
    assert len(linked) == 1100 and len(set(linked)) == 1100  # nobody linked twice
    assert [len(c[2]) for c in world.calls] == [500, 500, 100]
    done = world.rules.job(WS, view["job"]["id"])
    assert (done["status"], done["linked"], done["done"], done["calls"]) == ("done", 1100, 1100, 3)


def test_a_429_in_the_bulk_job_is_retried_and_a_newer_save_supersedes_a_job(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save_many([_friend(n, tags={vip}) for n in range(1, 11)])
    body = {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]}
    first = _save(world, body)
    second = _save(world, body)
    assert world.jobs.handle(world.queue.sent[0])["outcome"] == "superseded"
    assert world.rules.job(WS, first["job"]["id"])["status"] == "failed"
    world.clients.line.fail = [LineApiError(429, "slow down"), LineApiError(500, "oops")]
    assert world.jobs.handle(world.queue.sent[1])["outcome"] == "done"
    assert len(world.calls) == 1 and world.rules.job(WS, second["job"]["id"])["linked"] == 10


def test_segment_route_and_scenario_step_rules_in_the_bulk_job(world: World) -> None:
    vip = _tag(WS, "VIP")
    segment = SavedSegmentRepository().create(WS, "VIPs", parse_segment(
        {"match": "all", "conditions": [{"type": "tags", "match": "any", "tags": [vip]}]}))
    route = RouteRepository().create(WS, "rt_insta", "code1234", _now(), name="instagram", channel_id=CH)
    _save_many([_friend(1, tags={vip}), _friend(2, route="instagram"), _friend(3)])
    _save(world, {"channel_id": CH, "rules": [
        {"menu_id": "rmn_A", "condition": {"type": "segment", "segment_id": segment.segment_id}},
        {"menu_id": "rmn_B", "condition": {"type": "route", "route_id": route.route_id}}]})
    world.jobs.handle(world.queue.sent[-1])
    assert sorted((c[1], tuple(c[2])) for c in world.calls) == [
        ("richmenu-a", (f"U{1:032x}",)), ("richmenu-b", (f"U{2:032x}",))]
    assert world.rules.friend_menu(WS, "s_000002") == {"menu_id": "rmn_B", "reason": "rule 2", "channel_id": CH,
                                                       "linked": "rmn_B"}
    assert world.rules.friend_menu(WS, "s_000003")["reason"] == "none"


# ------------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(("rule", "message", "where"), [
    ({"menu_id": "rmn_THEIRS", "condition": {"type": "tag", "tag_id": "{mine}"}}, "ルール 2: メニューが見つかりません",
     "rules.1.menu_id"),
    ({"menu_id": "rmn_OTHERCH", "condition": {"type": "tag", "tag_id": "{mine}"}}, "ルール 2: メニューは別の LINE チャネル",
     "rules.1.menu_id"),
    ({"menu_id": "rmn_B", "condition": {"type": "tag", "tag_id": "{theirs}"}}, "ルール 2: タグが見つかりません",
     "rules.1.condition.tag_id"),
    ({"menu_id": "rmn_B", "condition": {"type": "route", "route_id": "rt_theirs"}}, "ルール 2: 流入経路が見つかりません",
     "rules.1.condition.route_id"),
    ({"menu_id": "rmn_B", "condition": {"type": "segment", "segment_id": "seg_nope"}}, "ルール 2: セグメントが見つかりません",
     "rules.1.condition.segment_id"),
    ({"menu_id": "rmn_B", "condition": {"type": "scenario_step", "scenario_id": "sc_nope", "step_index": 0}},
     "ルール 2: シナリオが見つかりません", "rules.1.condition.scenario_id"),
])
def test_another_workspaces_ids_are_refused_naming_the_rule_and_nothing_is_stored(
        world: World, rule: dict[str, Any], message: str, where: str) -> None:
    mine, theirs = _tag(WS, "VIP"), _tag(OTHER, "他社")
    RouteRepository().create(OTHER, "rt_theirs", "code9999", _now(), name="他社経路", channel_id="1660000029")
    raw = str(rule).replace("{mine}", mine).replace("{theirs}", theirs)
    rule = eval(raw)  # noqa: S307 - the parametrised dict with the tag IDs filled in
    with pytest.raises(ValidationFailed) as refused:
        _save(world, {"channel_id": CH, "rules": [
            {"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": mine}}, rule]})
    assert refused.value.message.startswith(message) and refused.value.where == where
    assert world.repository.rule_set(WS, CH) is None and world.queue.sent == []
    assert list(RelinkJobModel.query(f"ws#{WS}", RelinkJobModel.sk.startswith("rmjob#"))) == []


def test_the_planner_lambda_routes_relink_jobs_by_the_same_kind() -> None:
    source = (Path(__file__).parents[3] / "functions" / "broadcast_planner" / "app.py").read_text()
    assert f'RELINK_KIND = "{JOB_KIND}"' in source


def test_a_republished_menu_relinks_exactly_its_friends(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save_many([_friend(n, tags={vip} if n <= 3 else None) for n in range(1, 6)])
    _save(world, {"channel_id": CH, "default_menu_id": "rmn_D",
                  "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    world.jobs.handle(world.queue.sent[-1])
    assert [(c[1], len(c[2])) for c in world.calls] == [("richmenu-a", 3)]
    world.menus.menus["rmn_A"] = (WS, CH, "richmenu-a2")  # the rich menus service re-published it
    world.rules.on_menu_replaced(WS, CH, "richmenu-a", "richmenu-a2")
    assert len(world.queue.sent) == 2
    world.jobs.handle(world.queue.sent[-1])
    assert [(c[1], len(c[2])) for c in world.calls[1:]] == [("richmenu-a2", 3)]
    world.rules.on_menu_replaced(WS, CH2, "richmenu-x", None)  # no rules on that channel: nothing to do
    assert len(world.queue.sent) == 2


def test_the_front_door_names_the_rule_of_a_foreign_reference(aws: Any) -> None:
    theirs = _tag(OTHER, "他社")
    with pytest.raises(NotFound) as refused:
        require_owned(WS, {"channel_id": None, "rules": [
            {"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": theirs}}] * 3})
    assert refused.value.message.startswith("ルール 1: このタグはワークスペースにありません")
    assert refused.value.where == "rules.0.condition.tag_id"


def test_a_job_line_refuses_for_good_fails_with_a_japanese_error(world: World) -> None:
    vip = _tag(WS, "VIP")
    _save_many([_friend(1, tags={vip})])
    view = _save(world, {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag",
                                                                                          "tag_id": vip}}]})
    world.clients.line.fail = [LineApiError(400, "richmenu not found")]
    assert world.jobs.handle(world.queue.sent[-1])["outcome"] == "failed"
    job = world.rules.job(WS, view["job"]["id"])
    assert job["status"] == "failed" and job["error"].startswith("メニューの反映に失敗しました") and job["finished_at"]
    assert world.jobs.handle(world.queue.sent[-1])["outcome"] == "ignored:failed"  # a redelivery does nothing


# ------------------------------------------------------------------------------------------------ CSV imports
class _NoTriggers:
    def on_trigger(self, *args: Any, **kwargs: Any) -> None: ...


def _import(world: World, csv_text: str, monkeypatch: pytest.MonkeyPatch, **service: Any) -> dict[str, Any]:
    monkeypatch.setenv("EXPORTS_BUCKET", "haishin-exports-rm")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="haishin-exports-rm")
    return import_rows(ImportService(triggers=_NoTriggers(), menus=world.rules, **service), WS,
                       csv_text.encode("utf-8-sig"), ImportOptions())


def test_a_csv_import_that_tags_followers_starts_one_bulk_job_per_channel(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    vip = _tag(WS, "VIP")
    _tag(WS, "常連")
    _save_many([_friend(n) for n in range(1, 6)] + [_friend(6, channel=CH2)])
    RouteRepository().create(WS, "rt_x", "codex123", _now(), name="x", channel_id=CH2)
    _save(world, {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    _save(world, {"channel_id": CH2, "rules": [{"menu_id": "rmn_OTHERCH",
                                                "condition": {"type": "route", "route_id": "rt_x"}}]})
    for message in list(world.queue.sent):
        world.jobs.handle(message)
    world.queue.sent.clear()

    rows = "".join(f"s_{n:06d},VIP\r\n" for n in range(1, 6)) + "s_000006,VIP\r\n"
    job = _import(world, "友だちID,タグ\r\n" + rows, monkeypatch)
    assert job["status"] == "completed" and job["updated"] == 6
    # CH has a tag rule: one job for its five friends; CH2's rules read no tags: nothing started there
    assert list(job["rich_menu_jobs"]) == [CH]
    assert world.queue.sent == [{"kind": JOB_KIND, "workspace_id": WS, "job_id": job["rich_menu_jobs"][CH]}]
    assert world.calls == []  # no LINE call per friend during the import
    assert world.jobs.handle(world.queue.sent[0])["outcome"] == "done"
    [(kind, menu, users)] = world.calls  # one call with the five IDs (in shard order)
    assert (kind, menu, sorted(users)) == ("bulk_link", "richmenu-a", [f"U{n:032x}" for n in range(1, 6)])

    world.queue.sent.clear()
    job = _import(world, "友だちID,タグ\r\n" + rows, monkeypatch)  # the same tags again: nothing changed
    assert job["rich_menu_jobs"] == {} and world.queue.sent == []
    job = _import(world, "友だちID,タグ\r\ns_000001,常連\r\n", monkeypatch)  # a tag no rule names still re-checks
    assert list(job["rich_menu_jobs"]) == [CH]


def test_a_paused_import_remembers_the_channels_to_relink(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    vip = _tag(WS, "VIP")
    _save_many([_friend(1), _friend(2, status="blocked")])
    _save(world, {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    world.jobs.handle(world.queue.sent[-1])
    world.queue.sent.clear()
    monkeypatch.setenv("EXPORTS_BUCKET", "haishin-exports-rm")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="haishin-exports-rm")
    service = ImportService(triggers=_NoTriggers(), menus=world.rules, chunk_size=1)
    upload = service.upload(WS, "t.csv", "友だちID,タグ\r\ns_000001,VIP\r\ns_000002,VIP\r\n".encode(), actor="t")
    paused = service.run(WS, upload.job_id, seconds=0)
    assert paused.status == "paused" and paused.menu_marks == {f"{CH}|tag", f"{CH}|segment"}
    assert world.queue.sent == []  # not before the file is in
    done = service.run(WS, upload.job_id)
    assert done.status == "completed" and list(done.rich_menu_jobs) == [CH] and len(world.queue.sent) == 1
    world.jobs.handle(world.queue.sent[0])
    assert world.calls == [("bulk_link", "richmenu-a", [f"U{1:032x}"])]  # the blocked friend is no candidate


def test_an_import_creating_friends_relinks_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    vip = _tag(WS, "VIP")
    _save(world, {"channel_id": CH, "rules": [{"menu_id": "rmn_A", "condition": {"type": "tag", "tag_id": vip}}]})
    world.queue.sent.clear()
    job = _import(world, "メールアドレス,タグ\r\nnew@example.jp,VIP\r\n", monkeypatch)
    assert job["created"] == 1 and job["rich_menu_jobs"] == {} and world.queue.sent == []  # follows no channel yet
