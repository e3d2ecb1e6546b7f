"""An e-mail broadcast recipient whose unsubscribe link could not be made (the workspace's signing key unreadable
for a moment) gives its claim back: the batch is retried and the e-mail sent once. Before, the recipient's row was
left "sending", the batch held by a lease nobody finished, and after the lease the row read as "stopped mid-send"
and was failed without being sent (docs/production/race.md)."""

from __future__ import annotations

from typing import Any

import pytest

from haishin.delivery.ledger import LedgerModel
from haishin.subscribers.models import SubscriberModel
from tests.unit.broadcasts.harness import BroadcastWorld


def test_an_email_recipient_whose_unsubscribe_link_failed_once_is_sent_once(aws: Any, manual_clock: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    world = BroadcastWorld()
    ws = world.workspace()
    world.friends(ws, 2, start=100, email="a@example.com")
    for item in SubscriberModel.scan():
        item.line = {}
        item.save()
    broadcast_id = world.create(ws, channel="email", content={"email": {"subject": "Hi", "text": "hello"}})
    optout = world.worker.optout
    original = optout.url
    failures = {"left": 1}

    def flaky(*args: Any, **kwargs: Any) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("the signing key could not be read")
        return str(original(*args, **kwargs))

    monkeypatch.setattr(optout, "url", flaky)
    world.service.send_now(ws, broadcast_id)
    world.plan()
    for _ in range(5):  # whatever an attempt raises, SQS redelivers the batch; the clock does not move
        pending = list(world.waiting)
        try:
            world.drain()
            break
        except Exception:  # redelivered as SQS would
            world.waiting = pending
            continue
    assert world.dlq == []
    assert len(world.email.sent) == 2
    rows = [r for r in LedgerModel.scan() if "#" in (r.delivery_id or "")]
    assert sorted(r.status for r in rows) == ["sent", "sent"]
