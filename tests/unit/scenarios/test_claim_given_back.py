"""A step attempt that fails after claiming its ledger row but before anything was sent (a store or secret read,
e.g. the unsubscribe link's signing key) gives the claim back at once: the retry sends the step, once, instead of
answering "another worker holds this delivery" until the lease runs out and the queue's receives are spent
(docs/production/race.md). With the welcome scenario's first step on a follow, the friend lost it for good."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from haishin.delivery.ledger import Ledger
from haishin.scenarios.models import parse_scenario
from tests.unit.line.test_instant_first_step import USER, WELCOME, ReplyLine, delivery, follow, record, the_enrollment
from tests.unit.scenarios.step_harness import StepWorld


class Flaky:
    """The unsubscribe URL fails ``times`` times, as when the workspace's signing key could not be read."""

    def __init__(self, original: Any, times: int = 1) -> None:
        self.original = original
        self.left = times

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if self.left:
            self.left -= 1
            raise RuntimeError("the signing key could not be read")
        return str(self.original(*args, **kwargs))


def flaky_unsubscribe_url(world: StepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    service = world.services.worker.optout
    monkeypatch.setattr(service, "url", Flaky(service.url))


def test_a_step_whose_attempt_failed_before_the_send_is_sent_by_the_next_attempt(aws: Any, manual_clock: Any,
                                                                                 monkeypatch: pytest.MonkeyPatch
                                                                                 ) -> None:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))
    world = StepWorld()
    ws = world.workspace()
    friend = world.friend(ws, USER)
    scenario = world.services.scenarios.save(ws, parse_scenario({**WELCOME, "triggers": []}))
    world.enroll(ws, friend, scenario)
    world.tick()
    [message] = world.waiting
    flaky_unsubscribe_url(world, monkeypatch)
    outcomes: list[str] = []
    for _ in range(world.max_receives):  # SQS redelivers a failed record; the clock does not move (no lease runs out)
        try:
            outcomes.append(world.services.worker.process(message))
            break
        except Exception as exc:  # whatever the attempt raised, the record is retried
            outcomes.append(str(exc))
    assert outcomes[-1] == "sent", outcomes
    assert "another worker holds this delivery" not in outcomes
    assert [r.text for r in world.line.of(USER)] == ["ようこそ"]
    row = Ledger().get(message.delivery_id)
    assert row is not None and row.status == "sent" and row.attempts == 2


def test_a_follow_whose_first_step_failed_before_the_send_still_gets_it_once(aws: Any, manual_clock: Any,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    manual_clock.set(datetime(2026, 1, 5, 3, 0, 20, tzinfo=UTC))
    line = ReplyLine()
    world = StepWorld(line)
    ws = world.workspace()
    world.scenario(ws, WELCOME)
    flaky_unsubscribe_url(world, monkeypatch)
    for _ in range(5):  # the events queue redelivers a failed record
        try:
            world.services.line_events.process_record(record([follow()], ws))
            break
        except Exception:  # noqa: S112 - retried as SQS would
            continue
    world.waiting.extend(world.queue.take())
    world.drain()
    assert world.dlq == []
    assert [m[0]["text"] for _, m in line.replies] + [r.text for r in line.of(USER)] == ["ようこそ"]
    hello_id, _ = delivery(the_enrollment(world, ws), "hello")
    row = Ledger().get(hello_id)
    assert row is not None and row.status == "sent"
