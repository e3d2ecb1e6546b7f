"""A small in-process world for step delivery tests: moto tables, a manual clock, a fake LINE with the emulator's
semantics (retry keys -> 409, 5xx, timeouts before and after acceptance, 429), and an SQS stand-in with redelivery."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from haishin import clock
from haishin.delivery.messages import DeliveryMessage
from haishin.delivery.queue import InMemoryDeliverySender
from haishin.delivery.worker import PermanentFailure, RetryLater
from haishin.line.client import LineApiError, SendResult
from haishin.scenarios.enrollments import EnrollmentModel, due_bucket
from haishin.scenarios.models import parse_scenario
from haishin.scenarios.timing import floor_minute
from haishin.subscribers.models import line_account
from haishin.subscribers.repository import SubscriberRepository
from haishin.wiring import Services
from haishin.workspaces.models import WorkspaceModel, workspace_pk

CHANNEL = "1000000001"


@dataclass
class Received:
    user_id: str
    at: datetime
    messages: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return " | ".join(str(m.get("text", m.get("type"))) for m in self.messages)


@dataclass
class FakeLine:
    """LINE as the emulator behaves: a repeated retry key within 24 h answers 409 (``honour_retry_keys``)."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    accepted_timeout_rate: float = 0.0
    throttle_rate: float = 0.0
    honour_retry_keys: bool = True
    seed: int = 7
    received: list[Received] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    calls: int = 0
    units: list[str | None] = field(default_factory=list)  # the aggregation unit of each send
    faults: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def _fault(self) -> None:
        roll = self._random.random()
        if roll < self.throttle_rate:
            self.faults["429"] += 1
            raise LineApiError(429, "The API rate limit has been exceeded")
        roll -= self.throttle_rate
        if roll < self.error_rate:
            self.faults["5xx"] += 1
            raise LineApiError(500, "internal error")
        roll -= self.error_rate
        if roll < self.timeout_rate:
            self.faults["timeout"] += 1
            raise LineApiError(None, "no answer from LINE: ReadTimeoutError")

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
             unit: str | None = None) -> SendResult:
        return self.multicast([to], messages, retry_key=retry_key, unit=unit)

    def multicast(self, to: list[str], messages: list[dict[str, Any]], *, retry_key: str | None = None,
                  unit: str | None = None) -> SendResult:
        self.calls += 1
        self.units.append(unit)
        self._fault()
        if retry_key and self.honour_retry_keys and retry_key in self.keys:
            return SendResult(request_id=None, already_accepted=True)
        if retry_key:
            self.keys.add(retry_key)
        for user in to:
            self.received.append(Received(user, clock.now(), messages))
        if self._random.random() < self.accepted_timeout_rate:
            self.faults["accepted_then_timeout"] += 1
            raise LineApiError(None, "no answer from LINE: ReadTimeoutError (accepted)")
        return SendResult(request_id=uuid.uuid4().hex)

    def for_channel(self, workspace_id: str, channel_id: str) -> FakeLine:
        return self

    def of(self, user_id: str) -> list[Received]:
        return [r for r in self.received if r.user_id == user_id]


@dataclass
class FakeEmail:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, *, source: str, to: str, subject: str, html: str | None, text: str | None,
             headers: dict[str, str] | None = None) -> str:
        self.sent.append({"to": to, "subject": subject, "html": html, "text": text, "at": clock.now(),
                          "headers": headers or {}, "source": source})
        return uuid.uuid4().hex


@dataclass
class FakeSms:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, *, phone: str, text: str, sender_id: str | None = None) -> str:
        self.sent.append({"to": phone, "text": text, "at": clock.now(), "sender_id": sender_id})
        return uuid.uuid4().hex


@dataclass
class FakeSesIdentities:
    """SES v2 identities as the local system's SES behaves: created PENDING (or verified at once with
    ``auto_verify``, as the harness's default sender is), ``verify(name)`` as the DNS records / the click would."""

    auto_verify: bool = True
    identities: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def create(self, name: str, *, domain: bool, tags: dict[str, str]) -> None:
        self.calls.append(f"create {name}")
        self.identities.setdefault(name.lower(), {"verified": self.auto_verify, "domain": domain, "tags": tags})

    def get(self, name: str) -> Any:
        from haishin.senders.ses import MISSING, IdentityState  # noqa: PLC0415

        self.calls.append(f"get {name}")
        found = self.identities.get(name.lower())
        if found is None:
            return MISSING
        tokens = [f"tok{i}{name.split('.', maxsplit=1)[0]}" for i in range(3)] if found["domain"] else []
        return IdentityState(exists=True, verified=found["verified"],
                             status="SUCCESS" if found["verified"] else "PENDING", dkim_tokens=tokens,
                             dkim_status="SUCCESS" if found["verified"] else "PENDING")

    def delete(self, name: str) -> None:
        self.calls.append(f"delete {name}")
        self.identities.pop(name.lower(), None)

    def verify(self, name: str, verified: bool = True) -> None:
        self.identities[name.lower()]["verified"] = verified


def sender_of(workspace_id: str) -> str:
    return f"shop+{workspace_id}@example.jp"  # one per workspace: an SES identity belongs to one workspace
POSTAL_ADDRESS = "東京都千代田区千代田1-1"


def add_default_sender(services: Any, workspace_id: str, address: str | None = None) -> None:
    """A verified default sender identity and the postal address the footer needs (what settings would hold)."""
    found = WorkspaceModel.get(workspace_pk(workspace_id), "workspace")
    found.update(actions=[WorkspaceModel.postal_address.set(POSTAL_ADDRESS)])
    if services.senders.repository.list(workspace_id):
        return
    services.senders.create(workspace_id, {"from_name": "Salon", "from_address": address or sender_of(workspace_id),
                                           "kind": "address"})


class StepWorld:
    def __init__(self, line: FakeLine | None = None) -> None:
        self.line = line or FakeLine()
        self.queue = InMemoryDeliverySender()
        self.email = FakeEmail()
        self.sms = FakeSms()
        self.ses = FakeSesIdentities()
        self.services = Services(sender=self.queue, line_clients=self.line, email=self.email, sms=self.sms,
                                 ses_identities=self.ses)
        self.services.worker.sleep = lambda _s: None
        self.waiting: list[DeliveryMessage] = []  # SQS redelivery stand-in
        self.dlq: list[DeliveryMessage] = []
        self.receives: dict[str, int] = defaultdict(int)
        self.max_receives = 8
        self.bucket_queries = 0
        self._occupied: set[str] | None = None
        self._due_in_bucket = self.services.enrollments.due_in_bucket
        self.services.enrollments.due_in_bucket = self._filtered_due_in_bucket  # type: ignore[method-assign]

    # ------------------------------------------------------------------ setup
    def workspace(self, workspace_id: str = "ws1", *, quiet: tuple[str, str] | None = None, cap: int = 0) -> str:
        WorkspaceModel(workspace_pk(workspace_id), "workspace", workspace_id=workspace_id, name="Salon",
                       time_zone="Asia/Tokyo", quiet_hours_start=quiet[0] if quiet else None,
                       quiet_hours_end=quiet[1] if quiet else None, frequency_cap_per_day=cap,
                       created_at=clock.now()).save()
        add_default_sender(self.services, workspace_id)
        return workspace_id

    def friend(self, workspace_id: str, user_id: str, *, status: str = "following", email: str | None = None,
               phone: str | None = None, tags: set[str] | None = None, fields: dict[str, Any] | None = None,
               name: str = "Hanako", subscriber_id: str | None = None) -> str:
        repo = SubscriberRepository()
        subscriber = repo.new(workspace_id, source="line", subscriber_id=subscriber_id)
        subscriber.line = {CHANNEL: line_account(user_id, status)}
        subscriber.display_name = name
        subscriber.email = email
        subscriber.phone = phone
        subscriber.tags = tags or set()
        subscriber.fields = fields or {}
        repo.create(subscriber, [(f"line:{CHANNEL}", user_id)])
        return subscriber.subscriber_id

    def scenario(self, workspace_id: str, raw: dict[str, Any]) -> Any:
        return self.services.scenarios.save(workspace_id, parse_scenario(raw))

    def enroll(self, workspace_id: str, subscriber_id: str, scenario: Any) -> Any:
        return self.services.scenario_service.enroll(workspace_id, subscriber_id, scenario, trigger="api",
                                                     idempotency_key=None)

    # ------------------------------------------------------------------ running
    def _due_buckets(self) -> dict[str, datetime]:
        """Every due bucket a waiting enrollment names (its live due pointer) and the earliest moment one of its items
        can be read: one scan of the (small) test table instead of a moto query per empty minute and shard."""
        out: dict[str, datetime] = {}
        for item in EnrollmentModel.scan(EnrollmentModel.due_pk.exists()):
            if not item.due_pk or item.next_due_at is None:
                continue
            bucket_minute = datetime.strptime(item.due_pk.split("#")[1], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
            ready = max(bucket_minute, item.next_due_at)
            out[item.due_pk] = min(out.get(item.due_pk, ready), ready)
        return out

    def tick(self) -> Any:
        """One real tick (watermark, every minute since it, every shard). Buckets that the scan just found empty
        answer without a moto round trip: the tick cannot write into a minute it is reading (it buckets new work at
        the next minute or later), so the snapshot is exact for this run."""
        self._occupied = set(self._due_buckets())
        try:
            report = self.services.tick.run()
        finally:
            self._occupied = None
        self.waiting.extend(self.queue.take())
        self.bucket_queries += report.queries
        return report

    def _filtered_due_in_bucket(self, minute: datetime, shard: int, until: datetime, page_size: int = 100
                                ) -> Iterator[EnrollmentModel]:
        if self._occupied is not None and due_bucket(minute, shard) not in self._occupied:
            return iter(())
        return self._due_in_bucket(minute, shard, until, page_size)

    def drain(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            self.waiting.extend(self.queue.take())  # queued outside a tick too (one-off notices), sent at once
            if not self.waiting:
                return
            batch, self.waiting = self.waiting, []
            for message in batch:
                self.receives[message.delivery_id] += 1
                try:
                    self.services.worker.process(message)
                except (RetryLater, PermanentFailure):
                    if self.receives[message.delivery_id] >= self.max_receives:
                        self.dlq.append(message)
                    else:
                        self.waiting.append(message)

    def next_event(self) -> datetime | None:
        """When the next tick has something to do: the earliest moment a waiting enrollment becomes readable."""
        ready = self._due_buckets().values()
        return min(ready) if ready else None

    def _skipped_ticks_done(self, last_skipped: datetime, *, since: datetime) -> None:
        """The ticks the jump skipped found nothing readable (the clock jumped to the first event) and would have
        moved the watermark to the last complete minute before the last of them; do what they would have done, so
        the tick at the event reads a minute or so, as deployed (not a capped catch-up of the whole jump)."""
        if last_skipped <= since:
            return
        tick = self.services.tick
        done = floor_minute(last_skipped) - timedelta(minutes=1)
        current = tick.watermark()
        if current is not None and current < done:
            tick._save_watermark(done)

    def run_for(self, duration: timedelta, every: timedelta = timedelta(minutes=1)) -> None:
        """Run the system for ``duration`` as a tick every ``every`` would, but tick only at the minutes where
        something is due (the clock jumps to them; the tick reads every minute since its watermark, as deployed).
        Nothing happens at the skipped minutes: no enrollment is readable there and the queue is drained."""
        end = clock.now() + duration
        while clock.now() < end:
            self.drain()  # what was queued since (a notice), as the worker would: before the clock moves on
            now = clock.now()
            event = self.next_event()
            if event is None or event > end:
                clock.current().set(end)  # type: ignore[attr-defined]
            elif event <= now:  # due but not taken (e.g. the queue refused it): the next tick minute retries
                clock.current().set(min(end, now + every))  # type: ignore[attr-defined]
            else:
                # a tick every ``every`` sees the event at the first tick at or after it
                steps = -(-(event - now) // every)
                clock.current().set(min(end, now + steps * every))  # type: ignore[attr-defined]
            self._skipped_ticks_done(clock.now() - every, since=now)
            self.tick()
            self.drain()
