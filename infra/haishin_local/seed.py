"""Demo data for the local system: a workspace, a connected emulated channel, a few hundred friends, a scenario, a form.

Everything goes through the same domain code the Lambdas use (repositories, secret store), so what the demo shows is
what production would store. Names and numbers are generated from a fixed seed: every run shows the same friends.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from haishin import clock
from haishin.fields.models import FieldDefinition, FieldType
from haishin.fields.repository import FieldRepository
from haishin.secrets import SecretsManagerStore, mask, secret_name
from haishin.storage.base import iso
from haishin.subscribers.models import AliasModel, SubscriberModel, alias_pk, line_account
from haishin.subscribers.repository import SubscriberRepository, line_alias_kind
from haishin.tags.repository import TagRepository
from haishin.webhooks.models import EVENT_TYPES
from haishin.webhooks.schemas import EndpointDefinition, EndpointUpdate
from haishin.webhooks.service import SECRET_KIND
from haishin.wiring import services
from haishin.workspaces.models import ChannelModel, WorkspaceModel

DEMO_WORKSPACE_ID = "ws_demo"
DEMO_WORKSPACE_NAME = "デモサロン Haishin"
DEMO_CHANNEL_ID = "1650000001"
DEMO_CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"  # noqa: S105 - a fixed local demo value, not a secret
DEMO_ACCESS_TOKEN = "demo-channel-access-token-0001"  # noqa: S105 - a fixed local demo value, not a secret
DEMO_OWNER_EMAIL = "owner@example.com"
DEMO_SENDER = "info@salon-demo.example.jp"  # the demo's verified e-mail sender (a domain identity)
DEMO_POSTAL_ADDRESS = "東京都渋谷区神南1-2-3 サロンビル2F"
DEMO_SUBSCRIBERS = 300
REPO_ROOT = Path(__file__).resolve().parents[2]

FAMILY_NAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "髙橋",
    "斎藤",
]
GIVEN_NAMES = [
    "陽菜",
    "結衣",
    "葵",
    "さくら",
    "美咲",
    "凛",
    "翔太",
    "大翔",
    "蓮",
    "悠真",
    "花子",
    "七海",
    "優奈",
    "ゆい",
]
TAGS = ["VIP", "新規", "リピーター", "カット", "カラー", "パーマ", "トリートメント"]
INFLOW_ROUTES = ["instagram", "店頭QR", "チラシ", "紹介", "ホットペッパー"]


def demo_line_user_id(index: int) -> str:
    return "U" + f"{index:08x}".rjust(32, "d")


def seed_demo(system: Any) -> dict[str, Any]:
    """Create the demo workspace in the running local system. Idempotent: a second run changes nothing."""
    now = clock.now()
    if _exists(DEMO_WORKSPACE_ID):
        _seed_owner(system)  # a data directory seeded before owners were records gets its owner too
        _seed_webhook(system)  # the receiver listens on a new port each run: point the demo endpoint at it
        return {"workspace_id": DEMO_WORKSPACE_ID, "created": False}

    WorkspaceModel(
        pk=f"ws#{DEMO_WORKSPACE_ID}",
        sk="workspace",
        workspace_id=DEMO_WORKSPACE_ID,
        name=DEMO_WORKSPACE_NAME,
        time_zone="Asia/Tokyo",
        quiet_hours_start="22:00",
        quiet_hours_end="08:00",
        postal_address=DEMO_POSTAL_ADDRESS,
        created_at=now,
    ).save()
    _seed_owner(system)
    _seed_sender(system)

    webhook_url = f"{system.api_url}/line/webhook/{DEMO_CHANNEL_ID}"
    emulator = getattr(system, "line_emulator", None)
    bot: dict[str, Any] = {}
    if emulator is not None:
        bot = emulator.register_channel(
            DEMO_CHANNEL_ID,
            DEMO_CHANNEL_SECRET,
            DEMO_ACCESS_TOKEN,
            display_name=DEMO_WORKSPACE_NAME,
            webhook_url=webhook_url,
        )
    name = secret_name(DEMO_WORKSPACE_ID, "line", DEMO_CHANNEL_ID)
    SecretsManagerStore().put(name, {"channel_secret": DEMO_CHANNEL_SECRET, "access_token": DEMO_ACCESS_TOKEN})
    ChannelModel.for_channel(
        DEMO_WORKSPACE_ID,
        DEMO_CHANNEL_ID,
        name=DEMO_WORKSPACE_NAME,
        bot_user_id=bot.get("botUserId"),
        basic_id=bot.get("basicId"),
        secret_name=name,
        channel_secret_hint=mask(DEMO_CHANNEL_SECRET),
        access_token_hint=mask(DEMO_ACCESS_TOKEN),
        connected_at=now,
    ).save()

    fields = FieldRepository()
    for key, label, kind in (("age", "年齢", FieldType.NUMBER), ("visit_count", "来店回数", FieldType.NUMBER),
                             ("last_visit", "最終来店日", FieldType.DATE)):
        fields.create(DEMO_WORKSPACE_ID, FieldDefinition(key=key, label=label, type=kind))
    subscribers = _seed_subscribers(emulator, now)
    result: dict[str, Any] = {
        "workspace_id": DEMO_WORKSPACE_ID,
        "channel_id": DEMO_CHANNEL_ID,
        "subscribers": subscribers,
        "created": True,
    }
    result.update(_seed_optional(now))
    result["webhook_endpoint_id"] = _seed_webhook(system)
    return result


DEMO_WEBHOOK_NAME = "demo"
DEMO_WEBHOOK_DESCRIPTION = "ローカル受信口（デモ）"


def _seed_webhook(system: Any) -> str | None:
    """One outgoing-webhook endpoint, subscribed to every event, pointing at the local receiver's /hooks/demo; the
    receiver is given its secret so it can verify what arrives."""
    receiver = getattr(system, "webhook_receiver", None)
    if receiver is None:
        return None
    webhooks = services().webhooks
    url = receiver.url(DEMO_WEBHOOK_NAME)
    found = next((e for e in webhooks.endpoints(DEMO_WORKSPACE_ID)
                  if e["description"] == DEMO_WEBHOOK_DESCRIPTION), None)
    if found is None:
        created = webhooks.create_endpoint(DEMO_WORKSPACE_ID, EndpointDefinition.model_validate(
            {"url": url, "description": DEMO_WEBHOOK_DESCRIPTION, "events": list(EVENT_TYPES)}))
        endpoint_id, secret = created["endpoint_id"], created["secret"]
    else:
        endpoint_id = found["endpoint_id"]
        webhooks.update_endpoint(DEMO_WORKSPACE_ID, endpoint_id, EndpointUpdate.model_validate({"url": url}))
        secret = SecretsManagerStore().get(secret_name(DEMO_WORKSPACE_ID, SECRET_KIND, endpoint_id))["secret"]
    receiver.set_secret(DEMO_WEBHOOK_NAME, secret)
    return str(endpoint_id)


def _seed_sender(system: Any) -> None:
    """The demo's e-mail sender: a domain identity asked of (local) SES, then verified as its DNS records would."""
    services().senders.create(DEMO_WORKSPACE_ID, {"from_name": DEMO_WORKSPACE_NAME, "from_address": DEMO_SENDER,
                                                  "kind": "domain"}, created_by="seed")
    verify = getattr(system, "verify_ses_identity", None)
    if verify is not None:
        verify(DEMO_SENDER.rsplit("@", 1)[1])
        services().senders.list(DEMO_WORKSPACE_ID, fresh=True)  # what 状態を更新 does: no stale PENDING cached


def _seed_owner(system: Any) -> None:
    """The demo owner, made the way the create-owner command makes a deployed workspace's first owner."""
    system.create_owner(DEMO_WORKSPACE_ID, DEMO_OWNER_EMAIL, workspace_name=DEMO_WORKSPACE_NAME)


def _exists(workspace_id: str) -> bool:
    try:
        WorkspaceModel.get(f"ws#{workspace_id}", "workspace")
        return True
    except WorkspaceModel.DoesNotExist:
        return False


def _seed_subscribers(emulator: Any, now: Any) -> int:
    """Batch-written: a fresh demo workspace has no aliases to collide with, so no per-friend transaction."""
    rng = random.Random(20261123)  # fixed: the demo shows the same friends every time
    repository = SubscriberRepository()
    # Friends carry tag IDs; the demo's tags are created once, by name.
    tag_ids = dict(zip(TAGS, TagRepository().resolve(DEMO_WORKSPACE_ID, TAGS, create_missing=True), strict=True))
    with SubscriberModel.batch_write() as subscriber_batch, AliasModel.batch_write() as alias_batch:
        for index in range(DEMO_SUBSCRIBERS):
            user_id = demo_line_user_id(index)
            display_name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(GIVEN_NAMES)}"
            followed_at = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
            blocked = rng.random() < 0.06
            subscriber = repository.new(DEMO_WORKSPACE_ID, source="line", now=followed_at)
            subscriber.display_name = display_name
            subscriber.line = {
                DEMO_CHANNEL_ID: line_account(
                    user_id, status="blocked" if blocked else "following", followed_at=iso(followed_at),
                    blocked_at=iso(min(followed_at + timedelta(days=3), now)) if blocked else None,
                )
            }
            subscriber.tags = {tag_ids[name] for name in rng.sample(TAGS, rng.randint(0, 3))}
            last_visit = now - timedelta(days=rng.randint(1, 200))
            subscriber.fields = {
                "age": rng.randint(18, 70),
                "visit_count": rng.randint(0, 30),
                "last_visit": last_visit.date().isoformat(),
            }
            subscriber.total_spent = rng.randint(0, 120) * 1000
            subscriber.inflow_route = rng.choice(INFLOW_ROUTES)
            subscriber.consent = {"line": True}
            subscriber.last_interaction_at = min(followed_at + timedelta(days=rng.randint(0, 30)), now)
            aliases = [(line_alias_kind(DEMO_CHANNEL_ID), user_id)]
            if index % 4 == 0:
                subscriber.email = f"friend{index:03d}@example.com"
                aliases.append(("email", subscriber.email))
            subscriber_batch.save(subscriber)
            for kind, value in aliases:
                alias_batch.save(AliasModel(pk=alias_pk(DEMO_WORKSPACE_ID, kind, value), sk="alias",
                                            subscriber_id=subscriber.subscriber_id))
            if emulator is not None:
                emulator.add_user(user_id, display_name)
                if not blocked:
                    emulator.add_follower(DEMO_CHANNEL_ID, user_id)
    return DEMO_SUBSCRIBERS


def _seed_optional(now: Any) -> dict[str, Any]:
    """The sample scenario and form, through their own services."""
    seeded: dict[str, Any] = {}
    scenario_file = REPO_ROOT / "samples" / "scenarios" / "welcome.yaml"
    from haishin_local.seed_content import seed_form, seed_scenario  # noqa: PLC0415

    seeded["scenario_id"] = seed_scenario(DEMO_WORKSPACE_ID, scenario_file)
    seeded["form_id"] = seed_form(DEMO_WORKSPACE_ID)
    return seeded
