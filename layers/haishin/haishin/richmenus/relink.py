"""Menu rules as use cases: the admin's rules and jobs, one friend's re-link, and the bulk re-link job.

One friend (``FriendMenus``), synchronously in the Lambda that changed them, within the cause's own retry:
- a tag added or removed: ``FriendMenus.publish`` is a listener of THE domain-event fan-out
  (``haishin.webhook_events.EventFanout``), so every writer that publishes ``tag_added`` / ``tag_removed`` (actions
  of forms, postbacks, auto-replies and scenario steps; the admin's friend page) re-links the friend;
- a follow (a new friend has no per-user link yet) and the inflow route attributed on that follow: the LINE event
  processor calls ``relink`` after the attribution;
- a scenario step sent: the step sender calls ``after_step``;
- a route login of someone already a friend: ``InflowLogin`` calls ``relink`` after the attribution.
It reads the friend's row (one GetItem), their scenario positions when a rule needs them, what is linked now (one
GetItem), and calls LINE only when the menu changes (one ``link`` or ``unlink``). Idempotent: linking the same menu
again is harmless on LINE's side, and the stored link is written after LINE accepted, so a retry of the cause
either finds the link done or repeats it. A failure is logged and never fails the cause (a rich menu is not worth
redelivering a webhook); the next change or the next bulk job puts it right.

Bulk (``RelinkJobs``): saving a channel's rules (``RichMenuRules.save``) stores them with a queued job in one
transaction and puts ``{"kind": "rich_menu_relink", ...}`` on PlannerQueue, whose consumer (the broadcast planner
Lambda: subscriber and enrollment reads, LINE secrets, 5 minutes) runs ``RelinkJobs.run``:
1. scan the 16 subscriber shards in parallel, with the stored links of each shard; compute each following
   friend's target; keep the friends whose target differs from what is linked, grouped by target;
2. per target, chunks of 500: ``link_rich_menu_to_users`` (or ``unlink_rich_menus`` for the default), 429/5xx
   retried with full jitter (``haishin.retry``), then the chunk's links stored and the job's counters ADDed.
So N changed friends cost ceil(N_target / 500) calls per target. A crashed or timed-out run is redelivered by SQS
and resumes: the scan sees the finished chunks' friends as linked already and leaves them out. A newer save of the
same channel supersedes a running job (checked before each chunk).

Many friends changed outside these paths (a CSV import): ``RichMenuRules.relink_channels`` starts one bulk job per
channel whose rules read what changed, never one call per friend.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from pydantic import ValidationError

from haishin import clock, ids
from haishin.config import settings
from haishin.errors import ExternalServiceError, NotFound, ValidationFailed
from haishin.retry import BudgetSpent, with_backoff
from haishin.richmenus.rules import (
    CompiledRule,
    RuleBook,
    RuleSetIn,
    chunks,
    line_target,
    parse_condition,
    route_test,
    segment_test,
    step_test,
    tag_test,
)
from haishin.richmenus.rules_repository import NO_LINK, RuleRepository, RuleSetModel, job_to_dict
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.scenarios.repository import ScenarioRepository
from haishin.segments.engine import SegmentEngine
from haishin.segments.saved import SavedSegmentRepository
from haishin.storage.shard_scan import iter_shard_pages
from haishin.storage.shards import SHARDS
from haishin.tags.repository import TagRepository

log = logging.getLogger(__name__)
JOB_KIND = "rich_menu_relink"
ONE_FRIEND_BUDGET_S = 3.0  # retrying one friend's link inside the cause's Lambda
CHUNK_BUDGET_S = 120.0  # retrying one bulk call (429 / 5xx) before the job is left to SQS's redelivery
SUPERSEDED_JA = "ルールがもう一度保存されたため、この反映は新しいジョブに引き継がれました。"
NOT_QUEUED_JA = "ルールは保存しましたが、反映ジョブを開始できませんでした。もう一度保存してください。"
TAG_EVENTS = frozenset({"tag_added", "tag_removed"})


# ------------------------------------------------------------------------------------------------ collaborators
class PublishedMenus(Protocol):
    """The rich menus package's view of its menus (wired to RM's repository in ``haishin.wiring``)."""

    def menu_channel(self, workspace_id: str, menu_id: str) -> str | None:
        """The LINE channel ID of the workspace's menu, or None when the workspace has no such menu."""
        ...

    def line_menu_id(self, workspace_id: str, menu_id: str) -> str | None:
        """The LINE rich menu ID of a published menu; None while it is a draft (or unknown)."""
        ...

    def set_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        """Make the menu the channel's default on LINE (None: no default)."""
        ...


class RichMenuPort:
    """``PublishedMenus`` over the rich menus service (``haishin.richmenus.service.RichMenuService``: its
    ``menu_channel``, ``line_menu_id`` and ``set_default``). The service is fetched on first use: it runs postback
    actions, whose tag changes re-link through these rules, so building it eagerly here would loop."""

    def __init__(self, service: Callable[[], Any]) -> None:
        self._service = service

    @property
    def service(self) -> Any:
        return self._service()

    def menu_channel(self, workspace_id: str, menu_id: str) -> str | None:
        return self.service.menu_channel(workspace_id, menu_id)

    def line_menu_id(self, workspace_id: str, menu_id: str) -> str | None:
        return self.service.line_menu_id(workspace_id, menu_id)

    def set_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        self.service.set_default(workspace_id, channel_id, menu_id)


class ChannelLookup(Protocol):
    def require(self, workspace_id: str, channel_id: str) -> Any: ...


class RouteLookup(Protocol):
    def require(self, workspace_id: str, route_id: str) -> Any: ...


class RelinkQueue(Protocol):
    def send(self, body: dict[str, Any]) -> None: ...


class SqsRelinkQueue:
    """Puts a job's message on PlannerQueue (the broadcast planner Lambda dispatches on ``kind``)."""

    def __init__(self, client: Any = None, queue_url: str | None = None) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, body: dict[str, Any]) -> None:
        if self._client is None:
            import boto3  # noqa: PLC0415 - only the admin request that saves rules sends

            self._client = boto3.client("sqs")
        self._client.send_message(QueueUrl=self._queue_url or settings().planner_queue_url,
                                  MessageBody=json.dumps(body, separators=(",", ":")))


# ------------------------------------------------------------------------------------------------ compiling rules
class RuleBooks:
    """Compiles a stored rule set into a ``RuleBook`` (IDs resolved now; a rule whose tag, segment or route is gone
    is skipped, so one deleted tag never stops a channel's menus)."""

    def __init__(self, menus: PublishedMenus, *, engine: SegmentEngine, segments: SavedSegmentRepository,
                 routes: RouteLookup) -> None:
        self.menus = menus
        self.engine = engine
        self.segments = segments
        self.routes = routes

    def compile(self, rule_set: RuleSetModel, *, now: Any = None) -> RuleBook:
        ws, channel_id = rule_set.workspace_id, rule_set.channel_id
        book = RuleBook(ws, channel_id, rule_set.default_menu_id, [], {}, {"subscriber_id", "merged_into", "line"},
                        set(), [], int(rule_set.version or 0))
        menu_ids = {r["menu_id"] for r in rule_set.rules or []}
        for menu_id in sorted(menu_ids):
            line_id = self.menus.line_menu_id(ws, menu_id)
            if line_id:
                book.menus[menu_id] = line_id
        for number, raw in enumerate(rule_set.rules or [], start=1):
            try:
                condition = parse_condition(raw["condition"])
                test = self._test(book, condition, now)
            except (NotFound, ValidationFailed, ValidationError) as exc:
                log.warning("menu rule %s of channel %s skipped: %s", number, channel_id, exc)
                continue
            book.rules.append(CompiledRule(number, str(raw["menu_id"]), test))
        return book

    def _test(self, book: RuleBook, condition: Any, now: Any) -> Callable[..., bool]:
        kind = condition.type
        if kind == "tag":
            book.attributes.add("tags")
            return tag_test(condition.tag_id)
        if kind == "route":
            book.attributes |= {"inflow_route", "inflow_route_id"}
            route = self.routes.require(book.workspace_id, condition.route_id)
            return route_test(str(condition.route_id), str(route.name))
        if kind == "scenario_step":
            book.scenario_ids.add(condition.scenario_id)
            return step_test(condition.scenario_id, condition.step_index)
        saved = self.segments.get(book.workspace_id, condition.segment_id)
        compiled = self.engine.compile(book.workspace_id, saved.segment, now=now)
        book.attributes |= compiled.attributes
        book.scenario_ids |= compiled.scenario_ids
        book.segments.append(compiled)
        return segment_test(compiled)


def _positions(enrollments: EnrollmentRepository, book: RuleBook, subscriber_ids: list[str]
               ) -> dict[tuple[str, str], tuple[str, int]]:
    out: dict[tuple[str, str], tuple[str, int]] = {}
    if not subscriber_ids:
        return out
    for scenario_id in sorted(book.scenario_ids):
        for sid, position in enrollments.positions(book.workspace_id, scenario_id, subscriber_ids).items():
            out[(sid, scenario_id)] = position
    return out


def _unchanged(current: Any, target: str, line_menu: str) -> bool:
    """``current``: what is linked, (menu ID, LINE menu ID) or NO_LINK; ``target``: menu ID or "" (the default)."""
    if current is NO_LINK:
        return target == ""
    return tuple(current) == (target, line_menu)


def _rule_names(rules: list[dict[str, Any]], kind: str) -> set[str]:
    return {str((r.get("condition") or {}).get(kind) or "") for r in rules}


# ------------------------------------------------------------------------------------------------ one friend
class FriendMenus:
    """Re-links one friend whose tags, scenario position or route changed, or who just followed."""

    def __init__(self, repository: RuleRepository, books: RuleBooks, enrollments: EnrollmentRepository,
                 line_clients: Any, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.repository = repository
        self.books = books
        self.enrollments = enrollments
        self.line_clients = line_clients
        self.sleep = sleep

    # EventFanout listener (the same protocol as outgoing webhooks)
    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        if event_type not in TAG_EVENTS or not data.get("subscriber_id"):
            return 0
        return len(self.relink(workspace_id, str(data["subscriber_id"]), needs=("tag", "segment")))

    def after_step(self, workspace_id: str, subscriber_id: str, scenario_id: str) -> int:
        """A scenario step was sent: rules on that scenario's steps (or on segments) may now pick another menu."""
        return len(self.relink(workspace_id, subscriber_id, needs=("scenario_step", "segment"),
                               scenario_id=scenario_id))

    def relink(self, workspace_id: str, subscriber_id: str, *, channel_id: str | None = None,
               needs: tuple[str, ...] | None = None, scenario_id: str | None = None) -> list[dict[str, Any]]:
        """Compute the friend's menu on each channel with rules (or on ``channel_id``) and link or unlink it on LINE
        when it changed. ``needs``: only when a rule of these kinds exists (a tag change cannot move a route rule).
        Returns what was changed; never raises (logged)."""
        try:
            return self._relink(workspace_id, subscriber_id, channel_id, needs, scenario_id)
        except Exception:
            log.exception("rich menu re-link of %s failed; the next change or bulk job repairs it", subscriber_id)
            return []

    def _relink(self, workspace_id: str, subscriber_id: str, channel_id: str | None,
                needs: tuple[str, ...] | None, scenario_id: str | None) -> list[dict[str, Any]]:
        sets = ([s for s in [self.repository.rule_set(workspace_id, channel_id)] if s is not None] if channel_id
                else self.repository.rule_sets(workspace_id))
        if needs is not None:
            sets = [s for s in sets if any(_relevant(r, needs, scenario_id) for r in s.rules or [])]
        sets = [s for s in sets if s.rules or s.default_menu_id]
        if not sets:
            return []
        books = [self.books.compile(s) for s in sets]
        attributes = set().union(*(b.attributes for b in books))
        row = self.repository.friend_row(workspace_id, subscriber_id, attributes)
        if row is None:
            return []
        changed: list[dict[str, Any]] = []
        for book in books:
            user_id = line_target(row, book.channel_id)
            if user_id is None:
                continue
            facts = book.facts(_positions(self.enrollments, book, [subscriber_id]))
            choice = book.choose(row, facts)
            target = choice.menu_id or ""
            line_menu = book.line_menu(choice.menu_id) or ""
            current = self.repository.linked_menu(workspace_id, book.channel_id, subscriber_id)
            if _unchanged(current, target, line_menu):
                continue
            client = self.line_clients.for_channel(workspace_id, book.channel_id)
            self._retry(_link_one(client, user_id, line_menu))
            self.repository.put_links(workspace_id, book.channel_id, [(subscriber_id, target, line_menu)])
            changed.append({"channel_id": book.channel_id, "menu_id": choice.menu_id, "reason": choice.reason})
        return changed

    def _retry(self, call: Callable[[], Any]) -> Any:
        return with_backoff(call, deadline=clock.monotonic() + ONE_FRIEND_BUDGET_S, base_delay=0.2, max_delay=1.0,
                            sleep=self.sleep, monotonic=clock.monotonic)


def _link_one(client: Any, user_id: str, line_menu: str) -> Callable[[], Any]:
    """One friend's LINE call: link to ``line_menu``, or unlink ("": the default shows)."""
    if line_menu:
        return lambda: client.link_rich_menu(user_id, line_menu)
    return lambda: client.unlink_rich_menu(user_id)


def _link_many(client: Any, user_ids: list[str], line_menu: str) -> Callable[[], Any]:
    """One bulk LINE call for 1-500 friends."""
    if line_menu:
        return lambda: client.link_rich_menu_to_users(line_menu, user_ids)
    return lambda: client.unlink_rich_menus(user_ids)


def _relevant(rule: dict[str, Any], needs: tuple[str, ...], scenario_id: str | None) -> bool:
    condition = rule.get("condition") or {}
    kind = condition.get("type")
    if kind not in needs:
        return False
    return not (kind == "scenario_step" and scenario_id is not None and condition.get("scenario_id") != scenario_id)


# ------------------------------------------------------------------------------------------------ bulk job
class RelinkJobs:
    """The bulk re-link of a channel after its rules changed (PlannerQueue message ``kind: rich_menu_relink``)."""

    def __init__(self, repository: RuleRepository, books: RuleBooks, enrollments: EnrollmentRepository,
                 line_clients: Any, *, max_workers: int = 8, chunk_budget_s: float = CHUNK_BUDGET_S,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.repository = repository
        self.books = books
        self.enrollments = enrollments
        self.line_clients = line_clients
        self.max_workers = max_workers
        self.chunk_budget_s = chunk_budget_s
        self.sleep = sleep

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.run(str(body["workspace_id"]), str(body["job_id"]))

    def run(self, workspace_id: str, job_id: str) -> dict[str, Any]:
        job = self.repository.find_job(workspace_id, job_id)
        if job is None:
            return {"job": job_id, "outcome": "ignored:missing"}
        if job.status in ("done", "failed"):
            return {"job": job_id, "outcome": f"ignored:{job.status}"}
        rule_set = self.repository.rule_set(workspace_id, job.channel_id)
        if rule_set is None or rule_set.job_id != job_id:
            self.repository.finish_job(job, "failed", SUPERSEDED_JA)
            return {"job": job_id, "outcome": "superseded"}
        self.repository.start_job(job)
        try:
            book = self.books.compile(rule_set)
            self._apply_default(workspace_id, job.channel_id, rule_set.default_menu_id)
            total, changes = self.scan(book)
            self.repository.set_scan(job, total, total - sum(len(v) for v in changes.values()))
            calls = self.apply(job, book, changes)
        except BudgetSpent as spent:  # LINE kept refusing: SQS redelivers the message and the job resumes
            self.repository.note_error(job, f"LINE が混み合っています。自動で再開します ({spent})"[:500])
            raise
        except _Superseded:
            self.repository.finish_job(job, "failed", SUPERSEDED_JA)
            return {"job": job_id, "outcome": "superseded"}
        except Exception as exc:  # failed for good (shown with the job; saving the rules again starts a new one)
            log.exception("rich menu re-link job %s failed", job_id)
            error = f"メニューの反映に失敗しました。もう一度保存してください ({type(exc).__name__}: {exc})"
            self.repository.finish_job(job, "failed", error[:500])
            return {"job": job_id, "outcome": "failed"}
        self.repository.finish_job(job, "done")
        return {"job": job_id, "outcome": "done", "total": total, "calls": calls}

    def _apply_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        """The channel's default on LINE (what the friends without a per-user link see); a draft default waits for
        its publishing (the rich menus service sets it then)."""
        menus = self.books.menus
        if menu_id is None or menus.line_menu_id(workspace_id, menu_id):
            self._retry(lambda: menus.set_default(workspace_id, channel_id, menu_id))

    # ------------------------------------------------------------------ scan
    def scan(self, book: RuleBook) -> tuple[int, dict[str, list[tuple[str, str]]]]:
        """(following friends, {target: [(subscriber ID, LINE user ID)]} of the friends whose menu changes); target
        is a menu ID, or "" for the default."""

        def shard_work(shard: int) -> tuple[int, dict[str, list[tuple[str, str]]]]:
            links = self.repository.shard_links(book.workspace_id, book.channel_id, shard)
            total = 0
            out: dict[str, list[tuple[str, str]]] = {}
            for page in iter_shard_pages(book.workspace_id, shard, book.attributes):
                candidates = [(row, uid) for row in page if (uid := line_target(row, book.channel_id))]
                if not candidates:
                    continue
                facts = book.facts(_positions(self.enrollments, book,
                                              [str(row["subscriber_id"]) for row, _ in candidates]))
                for row, uid in candidates:
                    total += 1
                    sid = str(row["subscriber_id"])
                    target = book.choose(row, facts).menu_id or ""
                    if not _unchanged(links.get(sid, NO_LINK), target, book.line_menu(target) or ""):
                        out.setdefault(target, []).append((sid, uid))
            return total, out

        total = 0
        merged: dict[str, list[tuple[str, str]]] = {}
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="relink") as pool:
            for shard_total, shard_out in pool.map(shard_work, range(SHARDS)):
                total += shard_total
                for target, friends in shard_out.items():
                    merged.setdefault(target, []).extend(friends)
        return total, merged

    # ------------------------------------------------------------------ LINE calls
    def apply(self, job: Any, book: RuleBook, changes: dict[str, list[tuple[str, str]]]) -> int:
        client = self.line_clients.for_channel(book.workspace_id, book.channel_id)
        calls = 0
        for target in sorted(changes):
            line_menu = book.line_menu(target) or ""
            for chunk in chunks(changes[target]):
                self._check_current(book, job.job_id)
                self._retry(_link_many(client, [uid for _sid, uid in chunk], line_menu))
                calls += 1
                self.repository.put_links(book.workspace_id, book.channel_id,
                                          [(sid, target, line_menu) for sid, _ in chunk])
                if line_menu:
                    self.repository.add_progress(job, linked=len(chunk))
                else:
                    self.repository.add_progress(job, unlinked=len(chunk))
        return calls

    def _check_current(self, book: RuleBook, job_id: str) -> None:
        current = self.repository.rule_set(book.workspace_id, book.channel_id)
        if current is None or current.job_id != job_id:
            raise _Superseded

    def _retry(self, call: Callable[[], Any]) -> Any:
        return with_backoff(call, deadline=clock.monotonic() + self.chunk_budget_s, base_delay=0.5, max_delay=30.0,
                            sleep=self.sleep, monotonic=clock.monotonic)


class _Superseded(Exception):
    pass


# ------------------------------------------------------------------------------------------------ admin
def _menu_error(number: int | None, what: str) -> str:
    return f"ルール {number}: {what}" if number else what


class RichMenuRules:
    """The admin's menu rules of a channel: read, save (validated, then a bulk job), job progress, a friend's menu."""

    def __init__(self, repository: RuleRepository, books: RuleBooks, queue: RelinkQueue, *, menus: PublishedMenus,
                 channels: ChannelLookup, tags: TagRepository, segments: SavedSegmentRepository,
                 scenarios: ScenarioRepository, routes: RouteLookup, enrollments: EnrollmentRepository) -> None:
        self.repository = repository
        self.books = books
        self.queue = queue
        self.menus = menus
        self.channels = channels
        self.tags = tags
        self.segments = segments
        self.scenarios = scenarios
        self.routes = routes
        self.enrollments = enrollments

    def view(self, workspace_id: str, channel_id: str) -> dict[str, Any]:
        self.channels.require(workspace_id, channel_id)
        rule_set = self.repository.rule_set(workspace_id, channel_id)
        if rule_set is None:
            return {"channel_id": channel_id, "default_menu_id": None, "rules": [], "job": None}
        job = self.repository.find_job(workspace_id, rule_set.job_id) if rule_set.job_id else None
        return {"channel_id": channel_id, "default_menu_id": rule_set.default_menu_id,
                "rules": list(rule_set.rules or []), "job": job_to_dict(job) if job else None}

    def save(self, workspace_id: str, data: RuleSetIn) -> dict[str, Any]:
        """Validate every ID against the workspace (nothing stored on error), store, and queue the bulk job."""
        self.channels.require(workspace_id, data.channel_id)
        if data.default_menu_id:
            self._check_menu(workspace_id, data.channel_id, data.default_menu_id, None, "default_menu_id")
        rules: list[dict[str, Any]] = []
        for number, rule in enumerate(data.rules, start=1):
            where = f"rules.{number - 1}"
            self._check_menu(workspace_id, data.channel_id, rule.menu_id, number, f"{where}.menu_id")
            self._check_condition(workspace_id, rule.condition, number, f"{where}.condition")
            rules.append({"id": f"r{number}", "menu_id": rule.menu_id,
                          "condition": rule.condition.model_dump(mode="json")})
        job_id = ids.new_id("rmj_")
        self.repository.save_rule_set(workspace_id, data.channel_id, data.default_menu_id, rules, job_id)
        try:
            self.queue.send({"kind": JOB_KIND, "workspace_id": workspace_id, "job_id": job_id})
        except Exception as exc:
            raise ExternalServiceError(NOT_QUEUED_JA, where="job") from exc
        return self.view(workspace_id, data.channel_id)

    def _check_menu(self, workspace_id: str, channel_id: str, menu_id: str, number: int | None, where: str) -> None:
        label = "既定メニュー" if number is None else "メニュー"
        owner = self.menus.menu_channel(workspace_id, menu_id)
        if owner is None:
            raise ValidationFailed(_menu_error(number, f"{label}が見つかりません ({menu_id})"), where=where)
        if owner != channel_id:
            raise ValidationFailed(_menu_error(number, f"{label}は別の LINE チャネルのメニューです ({menu_id})"),
                                   where=where)

    def _check_condition(self, workspace_id: str, condition: Any, number: int, where: str) -> None:
        kind = condition.type
        if kind == "tag":
            if self.tags.get(workspace_id, condition.tag_id) is None:
                raise ValidationFailed(f"ルール {number}: タグが見つかりません ({condition.tag_id})",
                                       where=f"{where}.tag_id")
        elif kind == "segment":
            try:
                self.segments.get(workspace_id, condition.segment_id)
            except NotFound:
                raise ValidationFailed(f"ルール {number}: セグメントが見つかりません ({condition.segment_id})",
                                       where=f"{where}.segment_id") from None
        elif kind == "scenario_step":
            scenario = self.scenarios.get_head(workspace_id, condition.scenario_id)
            if scenario is None:
                raise ValidationFailed(f"ルール {number}: シナリオが見つかりません ({condition.scenario_id})",
                                       where=f"{where}.scenario_id")
            if condition.step_index >= len(scenario.steps):
                raise ValidationFailed(
                    f"ルール {number}: シナリオ「{scenario.name}」にはステップ {condition.step_index + 1} がありません"
                    f" (ステップは {len(scenario.steps)} 件)", where=f"{where}.step_index")
        elif kind == "route":
            try:
                self.routes.require(workspace_id, condition.route_id)
            except NotFound:
                raise ValidationFailed(f"ルール {number}: 流入経路が見つかりません ({condition.route_id})",
                                       where=f"{where}.route_id") from None

    def job(self, workspace_id: str, job_id: str) -> dict[str, Any]:
        return job_to_dict(self.repository.job(workspace_id, job_id))

    def on_menu_replaced(self, workspace_id: str, channel_id: str, old_line_id: str, new_line_id: str | None) -> None:
        """The rich menus service re-published (or removed) a menu: its friends' links name an old LINE menu, so the
        channel's rules run again as a bulk job (it links exactly the friends whose stored LINE menu differs)."""
        job_id = ids.new_id("rmj_")
        try:
            if self.repository.restart(workspace_id, channel_id, job_id) is not None:
                self.queue.send({"kind": JOB_KIND, "workspace_id": workspace_id, "job_id": job_id})
        except Exception:  # the menu is published either way; saving the rules again re-links
            log.exception("re-link after menu replacement on channel %s not started", channel_id)

    def relink_channels(self, workspace_id: str, kinds: dict[str, set[str]]) -> dict[str, str]:
        """Many friends changed at once outside the one-friend paths (a CSV import): ``kinds`` maps each channel
        they follow to the rule kinds the changes can move (``tag``, ``route``, ``segment``). Each channel whose
        rules have a rule of those kinds gets one bulk job (the same rules again, as after a menu replacement), which
        links in 500s exactly the friends whose menu changed. Returns {channel ID: job ID}; a channel whose job
        cannot start is logged and left (saving its rules again re-links)."""
        started: dict[str, str] = {}
        for channel_id in sorted(kinds):
            wanted = tuple(sorted(kinds[channel_id]))
            rule_set = self.repository.rule_set(workspace_id, channel_id)
            if rule_set is None or not any(_relevant(r, wanted, None) for r in rule_set.rules or []):
                continue
            job_id = ids.new_id("rmj_")
            try:
                if self.repository.restart(workspace_id, channel_id, job_id) is None:
                    continue
                self.queue.send({"kind": JOB_KIND, "workspace_id": workspace_id, "job_id": job_id})
            except Exception:
                log.exception("re-link of channel %s after a bulk change not started", channel_id)
                continue
            started[channel_id] = job_id
        return started

    def friend_menu(self, workspace_id: str, subscriber_id: str, channel_id: str | None = None) -> dict[str, Any]:
        """The menu the rules give the friend (on ``channel_id``, or the first channel they follow that has rules):
        ``{"menu_id", "reason": "rule <n>" | "default" | "none", "channel_id", "linked"}``; ``linked`` is what
        Haishin last linked on LINE (``""``: unlinked, the default shows; None: nothing yet)."""
        sets = ([s for s in [self.repository.rule_set(workspace_id, channel_id)] if s is not None] if channel_id
                else self.repository.rule_sets(workspace_id))
        books = [self.books.compile(s) for s in sets]
        attributes = set().union({"line"}, *(b.attributes for b in books))
        row = self.repository.friend_row(workspace_id, subscriber_id, attributes)
        if row is None:
            raise NotFound(f"友だちが見つかりません: {subscriber_id}", where="subscriber_id")
        for book in books:
            if line_target(row, book.channel_id) is None:
                continue
            choice = book.choose(row, book.facts(_positions(self.enrollments, book, [subscriber_id])))
            linked = self.repository.linked_menu(workspace_id, book.channel_id, subscriber_id)
            menu_id = choice.menu_id or (book.default_menu_id if choice.reason == "default" else None)
            return {"menu_id": menu_id, "reason": choice.reason, "channel_id": book.channel_id,
                    "linked": None if linked is NO_LINK else linked[0]}
        return {"menu_id": None, "reason": "none", "channel_id": channel_id, "linked": None}
