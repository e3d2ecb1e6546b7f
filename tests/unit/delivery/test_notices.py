"""One-off LINE notices (``kind: "notice"``) go through DeliveryQueue and the delivery worker: sent exactly once,
LINE's 5xx retried, a refusal recorded in the delivery error log. Against the LINE emulator's fault injection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from haishin.delivery.handler import handle_record
from haishin.delivery.ledger import Ledger
from haishin.delivery.messages import DeliveryMessage, notice_delivery_id
from haishin.delivery.notices import NoticeQueue
from haishin.delivery.worker import PermanentFailure, RetryLater
from haishin.errors import ExternalServiceError
from haishin.ids import retry_key
from haishin_local.line_emulator import LineEmulator
from tests.unit.line.test_line_reads import TOKEN, EmulatedClients  # the real LINE client over the emulator
from tests.unit.scenarios.step_harness import CHANNEL, StepWorld

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]
USER = "U" + "a" * 32


@pytest.fixture
def emulator() -> Iterator[LineEmulator]:
    emu = LineEmulator(host="127.0.0.1", port=0).start()
    emu.register_channel(CHANNEL, "secret", TOKEN, display_name="サロン")
    emu.add_follower(CHANNEL, USER)
    try:
        yield emu
    finally:
        emu.stop()


def world_on(emulator: LineEmulator) -> tuple[StepWorld, str, Any]:
    world = StepWorld(EmulatedClients(emulator))  # type: ignore[arg-type]
    ws = world.workspace()
    subscriber_id = world.friend(ws, USER)
    return world, ws, world.services.subscribers.get(ws, subscriber_id)


def texts(emulator: LineEmulator) -> list[str]:
    return [str((d.get("message") or {}).get("text")) for d in emulator.received(USER, CHANNEL)]


def test_a_500_from_line_then_success_sends_exactly_one_message(aws: Any, manual_clock: Any,
                                                                emulator: LineEmulator) -> None:
    world, ws, friend = world_on(emulator)
    key = retry_key("seminar-promoted", ws, "reg_1")
    assert world.services.messenger.queue_text(ws, friend, "キャンセル待ちのお席が確定しました", retry_key=key)
    [message] = world.queue.take()  # on DeliveryQueue, not sent by the feature
    assert (message.kind, message.recipients, message.delivery_id) == ("notice", [friend.subscriber_id],
                                                                       notice_delivery_id(key))
    assert texts(emulator) == []

    emulator.set_faults(error_burst=1, status=500, endpoints=["push"])
    record = {"body": message.to_json(), "attributes": {"ApproximateReceiveCount": "1"}}
    assert handle_record(world.services.worker, record) == "sent"  # the SQS record, as the Lambda gets it
    assert texts(emulator) == ["キャンセル待ちのお席が確定しました"]
    assert world.services.worker.stats.retries == 1  # the 500, retried with backoff
    row = Ledger().get(message.delivery_id)
    assert (row.status, row.kind, row.subscriber_id) == ("sent", "notice", friend.subscriber_id)
    assert handle_record(world.services.worker, record) == "sent"  # SQS delivers it again: nothing more
    assert len(texts(emulator)) == 1


def test_a_duplicate_enqueue_sends_one(aws: Any, manual_clock: Any, emulator: LineEmulator) -> None:
    world, ws, friend = world_on(emulator)
    key = retry_key("booking-confirmed", "bk_1")
    for _ in range(2):  # e.g. a Stripe webhook delivered twice before the worker ran
        assert world.services.messenger.queue_text(ws, friend, "ご予約を承りました", retry_key=key)
    world.waiting.extend(world.queue.take())
    assert len(world.waiting) == 2
    world.drain()
    assert texts(emulator) == ["ご予約を承りました"]
    assert world.services.messenger.queue_text(ws, friend, "ご予約を承りました", retry_key=key)
    assert world.queue.take() == []  # settled already: not queued again


def test_a_longer_outage_goes_back_to_sqs_and_is_sent_once_later(aws: Any, manual_clock: Any,
                                                                 emulator: LineEmulator) -> None:
    world, ws, friend = world_on(emulator)
    world.services.messenger.queue_text(ws, friend, "返金しました", retry_key=retry_key("seminar-refund", "r"))
    [message] = world.queue.take()
    emulator.set_faults(error_rate=1.0, status=503, endpoints=["push"])
    world.services.worker.retry_budget_s = 0.0
    with pytest.raises(RetryLater):
        world.services.worker.process(message)
    row = Ledger().get(message.delivery_id)
    assert row.status == "retrying" and "503" in (row.error or "")
    rows, _ = Ledger().errors_page(ws)
    assert [r.delivery_id for r in rows] == [message.delivery_id]  # visible while it retries
    emulator.clear_faults()
    world.services.worker.retry_budget_s = 8.0
    assert world.services.worker.process(message) == "sent"
    assert texts(emulator) == ["返金しました"]
    assert Ledger().errors_page(ws)[0] == []  # sent: off the error log


def test_a_refused_notice_is_in_the_error_log_and_goes_on_to_the_dlq(aws: Any, manual_clock: Any,
                                                                     emulator: LineEmulator) -> None:
    world, ws, friend = world_on(emulator)
    world.services.messenger.queue(ws, friend, [{"type": "text", "text": ""}], retry_key=retry_key("bad", "1"))
    [message] = world.queue.take()
    with pytest.raises(PermanentFailure):
        world.services.worker.process(message)
    rows, _ = Ledger().errors_page(ws)
    assert [(r.delivery_id, r.kind, r.status) for r in rows] == [(message.delivery_id, "notice", "failed")]
    with pytest.raises(PermanentFailure):  # redelivered: not tried again, on towards the DLQ
        world.services.worker.process(message)
    assert texts(emulator) == []


def test_a_blocked_friend_or_one_without_line_gets_nothing_queued(aws: Any, manual_clock: Any,
                                                                 emulator: LineEmulator) -> None:
    world, ws, _ = world_on(emulator)
    blocked = world.services.subscribers.get(ws, world.friend(ws, "U" + "b" * 32, status="blocked"))
    assert world.services.messenger.queue_text(ws, blocked, "x", retry_key=retry_key("b")) is False
    no_line = world.services.subscribers.get(ws, world.friend(ws, "U" + "c" * 32))
    no_line.line = {}
    assert world.services.messenger.queue_text(ws, no_line, "x", retry_key=retry_key("c")) is False
    assert world.queue.take() == []


def test_when_the_queue_refuses_the_notice_is_recorded_failed_and_the_caller_told(aws: Any, manual_clock: Any,
                                                                                 emulator: LineEmulator) -> None:
    world, ws, friend = world_on(emulator)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    notices = NoticeQueue(Ledger(), world.queue, sleep=sleep, monotonic=lambda: now[0])
    world.queue.fail_next = 1000
    key = retry_key("seminar-promoted", ws, "reg_2")
    with pytest.raises(ExternalServiceError):
        notices.queue_text(ws, friend, "確定しました", retry_key=key)
    rows, _ = Ledger().errors_page(ws)
    assert [(r.delivery_id, r.status) for r in rows] == [(notice_delivery_id(key), "failed")]
    assert "could not be queued" in (rows[0].error or "")


def test_the_text_is_sent_as_queued_never_rendered(aws: Any, manual_clock: Any, emulator: LineEmulator) -> None:
    world, ws, friend = world_on(emulator)
    text = "「{{ 秘密 }} セミナー」のお席が確定しました"  # a seminar title is the marketer's text, not a template
    world.services.messenger.queue_text(ws, friend, text, retry_key=retry_key("t", "1"))
    [message] = world.queue.take()
    assert DeliveryMessage.from_json(message.to_json()) == message
    assert world.services.worker.process(message) == "sent"
    assert texts(emulator) == [text]
