"""Broadcasts through the local system: PlannerQueue -> BroadcastPlannerFunction -> DeliveryQueue -> the worker ->
the LINE emulator, and a one-time EventBridge schedule fired by the local runtime when the clock reaches it."""

from __future__ import annotations

import secrets as pysecrets
from collections import Counter
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from haishin import clock
from haishin.broadcasts.service import BroadcastInput, BroadcastService
from haishin.secrets import SecretsManagerStore, secret_name
from haishin.storage import shard_scan as scan
from haishin.subscribers.models import SubscriberModel, line_account, shard_of
from haishin.wiring import services
from haishin.workspaces.models import ChannelModel, WorkspaceModel, workspace_pk
from haishin_local.runtime import LocalSystem

pytestmark = pytest.mark.integration


def _user(prefix: str, n: int) -> str:
    return "U" + (prefix + f"{n:024x}").rjust(32, "0")


def setup_workspace(system: LocalSystem, friends: int, *, blocked: int = 0) -> tuple[str, str, list[str]]:
    """A fresh workspace and channel (unique IDs), ``friends`` following friends and ``blocked`` blocked ones."""
    scan.reset_clients()
    tag = pysecrets.token_hex(4)
    workspace_id = f"ws_bc_{tag}"
    channel_id = str(2_000_000_000 + int(tag, 16) % 1_000_000_000)
    token = f"token-{tag}"
    emulator = system.line_emulator
    emulator.register_channel(channel_id, "0" * 32, token)
    name = secret_name(workspace_id, "line", channel_id)
    SecretsManagerStore().put(name, {"channel_secret": "0" * 32, "access_token": token})
    now = clock.now()
    WorkspaceModel(workspace_pk(workspace_id), "workspace", workspace_id=workspace_id, name="Bench",
                   time_zone="Asia/Tokyo", quota_policy="warn", created_at=now).save()
    ChannelModel.for_channel(workspace_id, channel_id, secret_name=name, connected_at=now).save()
    users = []
    with SubscriberModel.batch_write() as batch:
        for i in range(friends + blocked):
            sid = f"s_{tag}{i:08d}"
            user = _user(tag, i)
            status = "following" if i < friends else "blocked"
            if status == "following":
                users.append(user)
                emulator.add_follower(channel_id, user)
            batch.save(SubscriberModel(
                pk=f"sub#{workspace_id}#{shard_of(sid):02d}", sk=sid, workspace_id=workspace_id, subscriber_id=sid,
                display_name=f"Friend {i}", line={channel_id: line_account(user, status)},
                created_at=now, updated_at=now))
    return workspace_id, channel_id, users


def multicasts(system: LocalSystem) -> int:
    return sum((system.line_emulator.stats()["calls"].get("multicast") or {}).values())


def received_texts(system: LocalSystem, users: list[str], channel_id: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for user in users:
        for delivery in system.line_emulator.received(user, channel_id):
            out[f"{user}|{delivery['message'].get('text')}"] += 1
    return out


def create(service: BroadcastService, workspace_id: str, text: str) -> str:
    broadcast = service.create(workspace_id, BroadcastInput(name=text, channel="line",
                                                            content={"line": [{"type": "text", "text": text}]},
                                                            everyone=True))
    return str(broadcast.broadcast_id)


def test_10000_identical_recipients_are_20_multicasts(local_system: LocalSystem) -> None:
    workspace_id, channel_id, users = setup_workspace(local_system, 10_000)
    local_system.line_emulator.clear_faults()
    before = multicasts(local_system)
    service = services().broadcasts
    broadcast_id = create(service, workspace_id, "sale")
    service.send_now(workspace_id, broadcast_id)
    local_system.drain(timeout=300)
    assert multicasts(local_system) - before == 20
    texts = received_texts(local_system, users, channel_id)
    assert len(texts) == 10_000 and set(texts.values()) == {1}
    view = service.view(service.repository.require(workspace_id, broadcast_id))
    assert view["status"] == "done" and view["progress"]["sent"] == 10_000


def test_faults_and_throttling_deliver_exactly_once_and_skip_blocked(local_system: LocalSystem) -> None:
    workspace_id, channel_id, users = setup_workspace(local_system, 3_000, blocked=25)
    emulator = local_system.line_emulator
    emulator.set_faults(error_rate=0.2, timeout_after_delivery=True, timeout_rate=0.05, timeout_s=0.2,
                        throttle_burst=3, endpoints=["multicast", "push"], seed=11)
    emulator.set_rate_limits({"multicast": (4, 1.0)})
    try:
        service = services().broadcasts
        broadcast_id = create(service, workspace_id, "faults")
        service.send_now(workspace_id, broadcast_id)
        local_system.drain(timeout=300)
        for _ in range(20):  # retried messages come back after their visibility backoff
            view = service.view(service.repository.require(workspace_id, broadcast_id))
            if view["status"] == "done":
                break
            local_system.advance(timedelta(seconds=30), timeout=120)
    finally:
        emulator.clear_faults()
        emulator.set_rate_limits({"multicast": (200, 1.0)})
    texts = received_texts(local_system, users, channel_id)
    assert len(texts) == 3_000 and set(texts.values()) == {1}
    view = service.view(service.repository.require(workspace_id, broadcast_id))
    assert view["progress"]["sent"] == 3_000 and view["progress"]["skipped_blocked"] == 25
    assert view["status"] == "done"


def test_a_scheduled_broadcast_fires_at_its_minute_moves_when_edited_and_cancel_removes_it(
        local_system: LocalSystem) -> None:
    workspace_id, channel_id, users = setup_workspace(local_system, 30)
    service = services().broadcasts
    zone = ZoneInfo("Asia/Tokyo")
    at = (clock.now().astimezone(zone) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    fire = create(service, workspace_id, "scheduled")
    service.schedule(workspace_id, fire, at.replace(tzinfo=None).isoformat(timespec="minutes"))
    service.schedule(workspace_id, fire, (at + timedelta(minutes=5)).replace(tzinfo=None).isoformat())  # edit
    cancelled = create(service, workspace_id, "cancelled")
    service.schedule(workspace_id, cancelled, at.replace(tzinfo=None).isoformat(timespec="minutes"))
    service.cancel(workspace_id, cancelled)

    def texts() -> dict[str, Any]:
        return dict(Counter(key.split("|")[1] for key in received_texts(local_system, users, channel_id)))

    local_system.advance(timedelta(minutes=11))  # the original minute: nothing (moved), nothing (cancelled)
    assert texts() == {}
    local_system.advance(timedelta(minutes=5))
    local_system.drain(timeout=120)
    assert texts() == {"scheduled": 30}
    view = service.view(service.repository.require(workspace_id, fire))
    assert view["status"] == "done"
    assert service.scheduler.get(workspace_id, fire) is None  # ActionAfterCompletion: DELETE
    assert service.scheduler.get(workspace_id, cancelled) is None
