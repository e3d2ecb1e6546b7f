"""A CSV import that adds or removes tags fires ``tag_added`` / ``tag_removed`` exactly once per real change: a new
friend's tags, an update that adds or (replace mode) removes one; a tag already present fires nothing, and a chunk
replayed after a crash enrolls nobody twice."""

from __future__ import annotations

import io
from typing import Any

import pytest

from haishin.csvio.importer import Importer, ImportService, import_rows, iter_records
from haishin.csvio.jobs import ImportOptions
from haishin.subscribers.repository import SubscriberRepository
from tests.unit.crm.conftest import WS
from tests.unit.scenarios.step_harness import StepWorld
from tests.unit.scenarios.test_tag_triggers import CrashAfterWrite, SpySink


def run(data: str, triggers: Any, **options: Any) -> dict[str, Any]:
    return import_rows(ImportService(triggers=triggers), WS, data.encode("utf-8-sig"), ImportOptions(**options))


def kinds(spy: SpySink) -> list[tuple[str, str]]:
    return [(trigger, detail["tag"]) for trigger, detail, _key in spy.calls if trigger.startswith("tag_")]


def test_import_fires_once_per_real_tag_change(crm) -> None:
    spy = SpySink()
    run("メールアドレス,タグ\r\na@example.jp,vip\r\nb@example.jp,\r\n", spy)
    assert kinds(spy) == [("tag_added", "VIP")]  # the new friend's tag; b has none
    spy.calls.clear()
    run("メールアドレス,タグ\r\na@example.jp,vip\r\nb@example.jp,vip、新規\r\n", spy)
    assert sorted(kinds(spy)) == [("tag_added", "VIP"), ("tag_added", "新規")]  # only b changed
    spy.calls.clear()
    run("メールアドレス,タグ\r\nb@example.jp,新規\r\n", spy, tags_mode="replace")
    assert kinds(spy) == [("tag_removed", "VIP")]
    assert all(key.startswith("import:imp_") for _t, _d, key in spy.calls)  # tag and csv triggers alike


def test_an_import_that_writes_needs_the_scenario_engine(crm) -> None:
    with pytest.raises(TypeError):
        run("メールアドレス,タグ\r\nc@example.jp,vip\r\n", None)


def test_a_replayed_chunk_enrolls_the_friend_once(crm, manual_clock) -> None:
    world = StepWorld()
    world.workspace(WS)
    scenario = world.scenario(WS, {"name": "vip welcome", "triggers": [{"type": "tag_added", "tag": "vip"}],
                                   "steps": [{"id": "hello", "line": [{"type": "text", "text": "ようこそ"}]}]})
    text = "メールアドレス,タグ\r\nd@example.jp,vip\r\n"
    for _attempt in range(2):  # the same job's chunk again, as after a crash before its progress was committed
        importer = Importer(WS, ImportOptions(), job_id="imp_replay", created_ms=1,
                            triggers=world.services.scenario_service)
        importer.map_header(["メールアドレス", "タグ"])
        [(plans, _errors, _rows, _last)] = list(importer.chunks(iter_records(io.StringIO(text)), 500))
        importer.submit(plans).result()
        importer.close()
    friend = SubscriberRepository().find_by_email(WS, "d@example.jp")
    assert friend is not None
    enrolled = world.services.enrollments.for_subscriber(WS, friend.subscriber_id)
    assert [e.scenario_id for e in enrolled] == [scenario.id]


def test_an_update_whose_trigger_was_lost_in_a_crash_fires_when_the_chunk_is_replayed(crm) -> None:
    run("メールアドレス,タグ\r\ne@example.jp,\r\n", SpySink())  # an existing friend without tags
    text = "メールアドレス,タグ\r\ne@example.jp,vip\r\n"

    def chunk(triggers: Any) -> None:
        importer = Importer(WS, ImportOptions(), job_id="imp_crash", created_ms=1, triggers=triggers)
        importer.map_header(["メールアドレス", "タグ"])
        [(plans, _errors, _rows, _last)] = list(importer.chunks(iter_records(io.StringIO(text)), 500))
        try:
            importer.submit(plans).result()
        finally:
            importer.close()

    with pytest.raises(SystemExit):
        chunk(CrashAfterWrite())  # the tag is written, the process dies before the trigger
    spy = SpySink()
    chunk(spy)  # the job resumes from its last committed line: the same chunk again
    assert kinds(spy) == [("tag_added", "VIP")]
    chunk(spy)
    tagged = [key for trigger, _d, key in spy.calls if trigger == "tag_added"]
    assert len(tagged) == 2 and tagged[0] == tagged[1]  # a further replay: the same key, no new one
