"""A/B tests on scenario steps: validation (Japanese, at the field), one variant per friend on every send path
(tick, instant first step on the reply token, retries, redelivery), recipients counted once per friend, clicks per
variant from the tracked URLs, the results API with the shared statistics, and adopting the winner."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from haishin import wiring
from haishin.abtests.assign import variant_index
from haishin.api.app import AdminApi
from haishin.delivery.ledger import Ledger
from haishin.delivery.worker import RetryLater
from haishin.errors import ValidationFailed
from haishin.scenarios.abtest import ab_test_id, variant_of
from haishin.scenarios.models import parse_scenario
from haishin.track import tokens
from tests.support.admin_api import call_admin_api
from tests.unit.line.test_instant_first_step import ReplyLine, follow, record
from tests.unit.scenarios.step_harness import FakeLine, StepWorld

BASE = "https://localhost"


def text(t: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": t}]


def ab_step(**extra: Any) -> dict[str, Any]:
    return {"id": "hello", "timing": {"type": "immediately"}, "variants": [
        {"content": {"line": text("A: https://shop.example.jp/a")}, "weight": 1},
        {"content": {"line": text("B: https://shop.example.jp/b")}, "weight": 1},
    ], **extra}


def scenario_raw(**step: Any) -> dict[str, Any]:
    return {"name": "welcome", "triggers": [{"type": "friend_added"}], "steps": [ab_step(**step)]}


def error_of(raw: dict[str, Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_scenario(raw)
    return caught.value


# ---------------------------------------------------------------------------------------------------- validation
def test_a_step_with_variants_keeps_variant_a_as_its_own_content_and_round_trips() -> None:
    scenario = parse_scenario(scenario_raw())
    step = scenario.steps[0]
    assert step.line == text("A: https://shop.example.jp/a") and step.channels == ["line"]
    again = parse_scenario(scenario.model_dump(mode="json", by_alias=True))  # GET -> PUT as the admin does
    assert again.steps[0].variants == step.variants
    assert parse_scenario({"name": "x", "steps": [{"line": text("x"), "variants": []}]}).steps[0].variants is None


@pytest.mark.parametrize(("change", "where", "words"), [
    (lambda s: s["variants"].pop(), "steps[0].variants", "2〜4個"),
    (lambda s: s["variants"][1].update(weight=0), "steps[0].variants[1].weight", "1〜1000"),
    (lambda s: s["variants"][1].update(weight="2"), "steps[0].variants[1].weight", "1〜1000"),
    (lambda s: s["variants"][1].update(content={}), "steps[0].variants[1].content", "パターンBの内容がありません"),
    (lambda s: s["variants"][1].update(extra=1), "steps[0].variants[1]", "content と weight"),
    (lambda s: s["variants"][1].update(content={"sms": {"text": "b"}}), "steps[0].variants[1].content",
     "パターンAと同じ"),
    (lambda s: s["variants"][1].update(content={"line": text("{{ name")}), "steps[0].variants[1].content.line[0].text",
     "template"),
    (lambda s: s.update(line=text("other")), "steps[0]", "パターンAと同じ"),
])
def test_variant_errors_name_the_step_variant_and_field(change: Any, where: str, words: str) -> None:
    raw = scenario_raw()
    change(raw["steps"][0])
    error = error_of(raw)
    assert error.where == where and words in error.message


def test_a_content_error_in_a_variant_is_shown_in_japanese_at_the_message() -> None:
    raw = scenario_raw()
    raw["steps"][0]["variants"][1]["content"] = {"line": [{"type": "text"}]}
    error = error_of(raw)
    assert error.where == "steps[0].variants[1].content.line" and "text" in error.message


# ---------------------------------------------------------------------------------------------------- delivery
def run_step(world: StepWorld, ws: str, friends: int, raw: dict[str, Any] | None = None) -> tuple[Any, list[str]]:
    scenario = world.scenario(ws, copy.deepcopy(raw or scenario_raw()))
    ids = [world.friend(ws, f"U{n:032d}") for n in range(friends)]
    for sub in ids:
        world.enroll(ws, sub, scenario)
    world.tick()
    return scenario, ids


def expected_text(scenario: Any, sub: str) -> str:
    index = variant_of(scenario.id, scenario.steps[0], sub)
    return "AB"[index]


def test_each_friend_receives_their_variant_once_under_faults_and_is_counted_once(aws, manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    line = FakeLine(error_rate=0.1, timeout_rate=0.05, accepted_timeout_rate=0.1, throttle_rate=0.05, seed=11)
    world = StepWorld(line)
    ws = world.workspace()
    scenario, ids = run_step(world, ws, 40)
    duplicates = list(world.waiting)  # SQS at-least-once: every message delivered twice
    world.drain()
    world.waiting.extend(duplicates)
    world.drain()
    assert not world.dlq
    users = {sub: f"U{n:032d}" for n, sub in enumerate(ids)}
    for sub, user in users.items():
        got = [r.text for r in line.of(user)]
        assert len(got) == 1 and got[0].startswith(expected_text(scenario, sub) + ": ")
    expected = Counter(variant_of(scenario.id, scenario.steps[0], sub) for sub in ids)
    assert set(expected) == {0, 1}  # both variants are used by 40 friends
    recipients = world.services.step_abtests.repository.recipients(ws, scenario.id, "hello")
    assert recipients == dict(expected)


def test_the_assignment_is_the_shared_deterministic_hash_of_scenario_step_and_friend() -> None:
    scenario = parse_scenario({**scenario_raw(), "id": "scn1"})
    step = scenario.steps[0]
    for sub in ("s1", "s2", "s3", "s4"):
        assert variant_of("scn1", step, sub) == variant_index(ab_test_id("scn1", "hello"), sub, [1, 1])
    assert variant_of("scn1", parse_scenario({"name": "x", "steps": [{"line": text("x")}]}).steps[0], "s1") is None


def test_a_crash_after_the_send_is_recorded_counts_on_the_retry_without_sending_again(aws, manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    world = StepWorld(FakeLine(honour_retry_keys=False))
    ws = world.workspace()
    scenario, (sub,) = run_step(world, ws, 1)
    abtests = world.services.step_abtests
    real = abtests.count
    calls: list[int] = []

    def flaky(*args: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("DynamoDB throttled the count")
        return real(*args)

    abtests.count = flaky  # type: ignore[method-assign]
    message = world.waiting[0]
    with pytest.raises(RetryLater):  # the message is retried (the instant path queues it)
        world.services.worker.process(message)
    assert Ledger().get(message.delivery_id).status == "sent"  # type: ignore[union-attr]
    assert world.services.step_abtests.repository.recipients(ws, scenario.id, "hello") == {}
    world.services.worker.process(message)  # the redelivery: final row, counted now, not sent again
    world.services.worker.process(message)  # and once more: still counted once
    assert len(world.line.received) == 1
    variant = variant_of(scenario.id, scenario.steps[0], sub)
    assert world.services.step_abtests.repository.recipients(ws, scenario.id, "hello") == {variant: 1}


def test_the_instant_first_step_on_the_reply_token_sends_the_friends_variant(aws, manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))
    line = ReplyLine()
    world = StepWorld(line)
    ws = world.workspace()
    scenario = world.scenario(ws, scenario_raw())
    world.services.line_events.process_record(record([follow()], ws))
    assert len(line.replies) == 1 and line.pushes == []
    (friend,) = [r for r in world.services.step_abtests.repository.recipients(ws, scenario.id, "hello").items()]
    label = "AB"[friend[0]]
    sent = line.replies[0][1][0]["text"]
    assert sent.startswith(f"{label}: {BASE}/c/m") and friend[1] == 1
    source = tokens.parse(sent.split()[1].split("/c/")[1]).source_text
    assert source == f"s~{scenario.id}~hello~{friend[0]}"
    world.tick()
    world.drain()
    assert len(line.replies) == 1 and [t for t, _ in line.pushes] == []  # the tick does not send it again


# ---------------------------------------------------------------------------------------------------- clicks, API
def click(world: StepWorld, url: str) -> None:
    response = world.services.pages.handle({"rawPath": url.removeprefix(BASE),
                                            "requestContext": {"http": {"method": "GET"}}})
    assert response["statusCode"] == 302


@pytest.fixture
def api_world(aws: Any, manual_clock: Any) -> Any:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    world = StepWorld()
    previous = wiring.install(world.services)
    yield world
    wiring.install(previous)


def test_clicks_count_on_the_variant_and_the_results_api_gives_the_verdict(api_world: StepWorld):
    world = api_world
    ws = world.workspace("w_stepab")
    scenario, ids = run_step(world, ws, 12)
    world.drain()
    by_variant: dict[int, list[str]] = {0: [], 1: []}
    for n, sub in enumerate(ids):
        by_variant[variant_of(scenario.id, scenario.steps[0], sub)].append(f"U{n:032d}")
    clicker = by_variant[1][0]
    url = world.line.of(clicker)[0].text.split()[1]
    click(world, url)
    click(world, url)  # a second click: total 2, unique 1
    path = f"/api/scenarios/{scenario.id}/steps/hello/abtest"
    status, body = call_admin_api(AdminApi(), "GET", path, workspace=ws)
    assert status == 200, body
    rows = {v["label"]: v for v in body["variants"]}
    assert rows["A"]["recipients"] == len(by_variant[0]) and rows["B"]["recipients"] == len(by_variant[1])
    assert (rows["A"]["clicks"], rows["B"]["clicks"], rows["B"]["total_clicks"]) == (0, 1, 2)
    assert rows["B"]["click_rate"] == pytest.approx(1 / len(by_variant[1]))
    assert body["verdict"]["ready"] is False and "まだ判定できません" in body["verdict"]["message"]
    assert body["active"] is True
    # the step's own click counter still counts every click
    steps = world.services.track.scenario_view(ws, scenario.id, ["hello"])["steps"]
    assert steps == [{"step_id": "hello", "clicks": 2, "unique_clicks": 1}]


def test_the_results_use_the_shared_statistics_once_the_sample_is_large(api_world: StepWorld):
    from haishin.scenarios.ab_repository import StepAbCounter, counter_pk  # noqa: PLC0415
    from haishin.track.models import ClickStatsModel, stats_pk  # noqa: PLC0415

    world = api_world
    ws = world.workspace("w_stepab2")
    scenario = world.scenario(ws, scenario_raw())
    for index, (sent, clicked) in enumerate([(1000, 100), (1000, 140)]):
        StepAbCounter(pk=counter_pk(ws, scenario.id), sk=f"hello#v{index}", recipients=sent).save()
        ClickStatsModel(pk=stats_pk(ws, f"scenario#{scenario.id}"), sk=f"step#hello#variant#{index}",
                        clicks=clicked, unique_friends=clicked).save()
    status, body = call_admin_api(AdminApi(), "GET", f"/api/scenarios/{scenario.id}/steps/hello/abtest",
                                  workspace=ws)
    assert status == 200
    from haishin.abtests.stats import Arm, verdict  # noqa: PLC0415

    expected = verdict([Arm(1000, 100), Arm(1000, 140)])
    assert body["verdict"]["message"] == expected.message and body["verdict"]["leader"] == "B"
    assert body["verdict"]["message"].startswith("B の方がクリック率が高い可能性 99%")
    assert body["variants"][1]["probability_best"] == pytest.approx(expected.probabilities["B"])


def test_adopting_the_winner_makes_it_the_steps_content_and_ends_the_test(api_world: StepWorld):
    world = api_world
    ws = world.workspace("w_stepab3")
    scenario = world.scenario(ws, scenario_raw())
    api = AdminApi()
    base = f"/api/scenarios/{scenario.id}/steps/hello/abtest"
    status, body = call_admin_api(api, "POST", f"{base}/adopt", workspace=ws, body={"variant": "C"})
    assert status == 422 and body["where"] == "variant"
    status, body = call_admin_api(api, "POST", f"{base}/adopt", workspace=ws,
                                  body={"variant": "B", "version": scenario.version})
    assert status == 200, body
    step = body["steps"][0]
    assert step["variants"] is None and step["line"] == text("B: https://shop.example.jp/b")
    assert body["version"] == scenario.version + 1
    status, body = call_admin_api(api, "POST", f"{base}/adopt", workspace=ws, body={"variant": "A"})
    assert status == 422 and body["where"] == "variants"  # no test any more
    status, body = call_admin_api(api, "GET", f"/api/scenarios/{scenario.id}/steps/nope/abtest", workspace=ws)
    assert status == 404


def test_a_viewer_cannot_adopt(api_world: StepWorld):
    ws = api_world.workspace("w_stepab4")
    scenario = api_world.scenario(ws, scenario_raw())
    status, _ = call_admin_api(AdminApi(), "POST", f"/api/scenarios/{scenario.id}/steps/hello/abtest/adopt",
                               workspace=ws, role="viewer", body={"variant": "B"})
    assert status == 403


def test_the_click_source_of_a_step_variant_round_trips_and_counts_on_step_and_variant() -> None:
    from haishin.track.service import scopes  # noqa: PLC0415

    source = tokens.Source("s", "scn_1", "hello", "1")
    assert source.encode() == "s~scn_1~hello~1" and tokens.Source.decode("s~scn_1~hello~1") == source
    assert tokens.Source.decode("s~scn_1~hello") == tokens.Source("s", "scn_1", "hello")  # older URLs still work
    with pytest.raises(tokens.TrackTokenInvalid):
        tokens.Source.decode("b~bc_1~1~2")  # only a step has a fourth part
    assert scopes(source) == [("scenario#scn_1", "step#hello"), ("scenario#scn_1", "step#hello#variant#1")]


def test_a_failed_count_on_the_reply_token_path_is_made_by_the_queued_retry_without_a_second_message(aws,
                                                                                                      manual_clock):
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))
    line = ReplyLine()
    world = StepWorld(line)
    ws = world.workspace()
    scenario = world.scenario(ws, scenario_raw())
    abtests = world.services.step_abtests
    real = abtests.count
    failures = [1]

    def flaky(*args: Any) -> bool:
        if failures:
            failures.pop()
            raise RuntimeError("DynamoDB throttled the count")
        return real(*args)

    abtests.count = flaky  # type: ignore[method-assign]
    world.services.line_events.process_record(record([follow()], ws))
    assert len(line.replies) == 1 and abtests.repository.recipients(ws, scenario.id, "hello") == {}
    world.waiting.extend(world.queue.take())  # the step was handed to the delivery queue
    world.drain()
    assert len(line.replies) == 1 and line.pushes == []  # not sent again
    assert sum(abtests.repository.recipients(ws, scenario.id, "hello").values()) == 1
