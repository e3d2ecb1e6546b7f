"""An in-process broadcast world: moto tables, the real planner and worker, a fake LINE with the emulator's semantics
(retry keys -> 409, 5xx, 429, timeouts after acceptance), in-memory planner and delivery queues with redelivery."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from haishin import clock
from haishin.broadcasts.planner import BroadcastPlanner
from haishin.broadcasts.service import BroadcastInput, BroadcastService
from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.queue import InMemoryDeliverySender
from haishin.delivery.worker import PermanentFailure, RetryLater
from haishin.storage import shard_scan as scan
from haishin.subscribers.models import SubscriberModel, line_account, shard_of
from haishin.wiring import Services
from haishin.workspaces.models import ChannelModel, WorkspaceModel, workspace_pk
from tests.unit.scenarios.step_harness import FakeEmail, FakeLine, FakeSesIdentities, FakeSms, add_default_sender

CHANNEL = "1000000001"


def user_id(n: int) -> str:
    return "U" + f"{n:032x}"


@dataclass
class QuotaLine(FakeLine):
    """FakeLine plus the quota endpoints and a record of every call (endpoint, recipients)."""

    limit: int | None = None
    usage: int = 0
    log: list[tuple[str, int]] = field(default_factory=list)

    def multicast(self, to: list[str], messages: list[dict[str, Any]], *, retry_key: str | None = None,
                  unit: str | None = None) -> Any:
        self.log.append(("multicast" if len(to) > 1 else "push", len(to)))
        return super().multicast(to, messages, retry_key=retry_key, unit=unit)

    def quota(self) -> dict[str, Any]:
        if self.limit is None:
            return {"type": "none", "value": None, "totalUsage": self.usage}
        return {"type": "limited", "value": self.limit, "totalUsage": self.usage}


class MemoryPlannerQueue:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def send(self, bodies: list[dict[str, Any]]) -> None:
        self.bodies.extend(bodies)


class FakeScheduler:
    def __init__(self) -> None:
        self.schedules: dict[str, dict[str, Any]] = {}

    def put(self, workspace_id: str, broadcast_id: str, local: Any, zone: str) -> str:
        self.schedules[broadcast_id] = {"at": local.replace(tzinfo=None).isoformat(timespec="seconds"),
                                        "zone": zone}
        return f"bc-{broadcast_id}"

    def delete(self, workspace_id: str, broadcast_id: str) -> None:
        self.schedules.pop(broadcast_id, None)


class BroadcastWorld:
    def __init__(self, line: QuotaLine | None = None, *, scheduler: Any = None) -> None:
        scan.reset_clients()
        self.line = line or QuotaLine()
        self.delivery = InMemoryDeliverySender()
        self.planner_queue = MemoryPlannerQueue()
        self.email = FakeEmail()
        self.sms = FakeSms()
        self.ses = FakeSesIdentities()
        self.services = Services(sender=self.delivery, line_clients=self.line, email=self.email, sms=self.sms,
                                 ses_identities=self.ses)
        self.worker = self.services.worker
        self.worker.sleep = lambda _s: None
        self.planner = BroadcastPlanner(sender=self.delivery, planner_queue=self.planner_queue,
                                        optout=self.services.optout, abtests=self.services.broadcast_abtests,
                                        track=self.services.track)
        self.scheduler = scheduler or FakeScheduler()
        self.service = BroadcastService(scheduler=self.scheduler, planner_queue=self.planner_queue,
                                        line_clients=self.line, senders=self.services.senders)
        self.waiting: list[DeliveryMessage] = []
        self.receives: dict[str, int] = defaultdict(int)
        self.dlq: list[DeliveryMessage] = []
        self.max_receives = 10
        self.batches_processed = 0

    # ------------------------------------------------------------------ setup
    def workspace(self, workspace_id: str = "ws1", *, policy: str = "refuse") -> str:
        WorkspaceModel(workspace_pk(workspace_id), "workspace", workspace_id=workspace_id, name="Salon",
                       time_zone="Asia/Tokyo", quota_policy=policy, created_at=clock.now()).save()
        ChannelModel.for_channel(workspace_id, CHANNEL, secret_name="x", connected_at=clock.now()).save()
        add_default_sender(self.services, workspace_id)
        return workspace_id

    def friends(self, workspace_id: str, count: int, *, start: int = 0, status: str = "following",
                names: list[str] | None = None, tags: set[str] | None = None, **extra: Any) -> list[str]:
        """Write ``count`` subscribers with BatchWriteItem (fast); no alias items (broadcasts do not read them)."""
        now = clock.now()
        ids = []
        with SubscriberModel.batch_write() as batch:
            for i in range(start, start + count):
                sid = f"s_{i:08d}"
                ids.append(sid)
                item = SubscriberModel(
                    pk=f"sub#{workspace_id}#{shard_of(sid):02d}", sk=sid, workspace_id=workspace_id,
                    subscriber_id=sid, display_name=names[(i - start) % len(names)] if names else f"Friend {i}",
                    line={CHANNEL: line_account(user_id(i), status)}, tags=set(tags or set()),
                    created_at=now, updated_at=now, **extra)
                batch.save(item)
        return ids

    def create(self, workspace_id: str, *, content: dict[str, Any] | None = None, segment: Any = None,
               channel: str = "line", name: str = "New year sale") -> str:
        broadcast = self.service.create(workspace_id, BroadcastInput(
            name=name, channel=channel, content=content or {"line": [{"type": "text", "text": "Hello!"}]},
            segment=segment, everyone=segment is None))
        return str(broadcast.broadcast_id)

    # ------------------------------------------------------------------ running
    def plan(self, *, duplicate: bool = False) -> None:
        """Run every planner message (start, then the slices); ``duplicate`` runs each one twice."""
        while self.planner_queue.bodies:
            body = self.planner_queue.bodies.pop(0)
            self.planner.handle(body)
            if duplicate:
                self.planner.handle(body)
        self.waiting.extend(self.delivery.take())

    def drain(self, *, rounds: int = 60, stop_after: int | None = None, on_batch: Any = None) -> None:
        for _ in range(rounds):
            if not self.waiting:
                return
            batch, self.waiting = self.waiting, []
            for index, message in enumerate(batch):
                if stop_after is not None and self.batches_processed >= stop_after:
                    self.waiting.extend(batch[index:])
                    return
                self.receives[message.delivery_id] += 1
                self.batches_processed += 1
                try:
                    self.worker.process(message)
                except (RetryLater, PermanentFailure):
                    if self.receives[message.delivery_id] >= self.max_receives:
                        self.dlq.append(message)
                    else:
                        self.waiting.append(message)
                if on_batch:
                    on_batch(message)

    def view(self, workspace_id: str, broadcast_id: str) -> dict[str, Any]:
        return self.service.view(self.service.repository.require(workspace_id, broadcast_id))
