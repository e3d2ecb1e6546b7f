"""The ``api`` and ``csv`` scenario triggers fire: a friend created through the API (``CrmService.create``) and the
friends a CSV import creates (``ImportService.run``) enroll in the scenarios that start on them, once, with the real
engine; friends an import only updates are not enrolled, and a chunk replayed after an interruption enrolls nobody
twice."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from haishin.csvio.importer import ImportService
from haishin.csvio.jobs import ImportJobModel, load_job
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.subscribers.repository import SubscriberRepository
from haishin.subscribers.service import CrmService, SubscriberCreate
from haishin.tags.repository import TagIn, TagRepository
from tests.unit.scenarios.step_harness import CHANNEL, StepWorld

BUCKET = "haishin-exports-creation-triggers"


def text(t: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": t}]


def scenarios(world: StepWorld, ws: str) -> dict[str, Any]:
    return {kind: world.scenario(ws, {"name": kind, "triggers": [{"type": kind}],
                                      "steps": [{"id": "s1", "line": text(f"{kind}のご案内")}]})
            for kind in ("api", "csv", "friend_added")}


def enrolled_in(ws: str, subscriber_id: str) -> list[str]:
    return sorted(e.scenario_id for e in EnrollmentRepository().for_subscriber(ws, subscriber_id))


def test_a_friend_created_through_the_api_enrolls_in_the_api_scenarios(aws: Any, manual_clock: Any) -> None:
    world = StepWorld()
    ws = world.workspace()
    by_kind = scenarios(world, ws)
    vip = world.scenario(ws, {"name": "vip", "triggers": [{"type": "tag_added", "tag": "vip"}],
                              "steps": [{"id": "s1", "line": text("VIPのご案内")}]})
    TagRepository().create(ws, TagIn(name="VIP"))
    user = "U" + "a" * 32
    friend = CrmService(triggers=world.services.scenario_service).create(
        ws, SubscriberCreate(display_name="API 太郎", line_channel_id=CHANNEL, line_user_id=user, tags=["VIP"]),
        actor="operator:o1")
    assert enrolled_in(ws, friend.subscriber_id) == sorted([by_kind["api"].id, vip.id])
    world.tick()
    world.drain()
    assert sorted(r.text for r in world.line.of(user)) == ["VIPのご案内", "apiのご案内"]


class LostTriggers:
    """Triggers that never reach the engine: the process died between writing the chunk and firing them."""

    def on_trigger(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_csv_import_enrolls_the_friends_it_creates_once(aws: Any, manual_clock: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTS_BUCKET", BUCKET)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    world = StepWorld()
    ws = world.workspace()
    by_kind = scenarios(world, ws)
    known = SubscriberRepository().new(ws, source="line")
    known.email = "known@example.jp"
    SubscriberRepository().create(known, [("email", "known@example.jp")])
    existing = known.subscriber_id
    rows = "メールアドレス,表示名\r\nnew1@example.jp,一郎\r\nknown@example.jp,既存\r\nnew2@example.jp,二郎\r\n"
    job = world.services.imports.upload(ws, "friends.csv", rows.encode("utf-8"), actor="operator:o1")
    # the first chunk is written, then the run is interrupted before its triggers reached the engine ...
    assert ImportService(chunk_size=1, triggers=LostTriggers()).run(ws, job.job_id, seconds=0).status == "paused"

    def replay_from_the_start() -> None:
        load_job(ws, job.job_id).update(actions=[
            ImportJobModel.status.set("paused"), ImportJobModel.last_line.set(1), ImportJobModel.processed.set(0),
            ImportJobModel.created.set(0), ImportJobModel.updated.set(0)])
        done = ImportService(chunk_size=1, triggers=world.services.scenario_service).run(ws, job.job_id)
        assert done.status == "completed"

    replay_from_the_start()  # ... so the replayed chunk finds its own friend again and fires for it
    replay_from_the_start()  # and a second replay enrolls nobody twice
    repo = SubscriberRepository()
    new = [repo.find_by_email(ws, f"new{n}@example.jp") for n in (1, 2)]
    assert all(f is not None for f in new)
    for friend in new:
        assert friend is not None
        assert enrolled_in(ws, friend.subscriber_id) == [by_kind["csv"].id]
        entries = [e for e in world.services.timeline.page(ws, friend.subscriber_id, limit=50)[0]
                   if e.kind == "enrolled"]
        assert len(entries) == 1, entries
    assert enrolled_in(ws, existing) == []  # updated by the file, not imported by it
