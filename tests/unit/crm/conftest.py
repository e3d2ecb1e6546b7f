"""CRM unit fixtures: a moto account with the template's tables (``aws``), a manual clock, an S3 exports bucket,
and a workspace with typed fields and tags."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from haishin import clock
from haishin.fields.models import FieldDefinition, FieldType
from haishin.fields.repository import FieldRepository
from haishin.storage import shard_scan as scan
from haishin.tags.repository import TagIn, TagRepository
from haishin.workspaces.models import ChannelModel

WS = "ws_test"
OTHER_WS = "ws_other"
CHANNEL = "1650000000"
EXPORTS_BUCKET = "haishin-exports-test"

FIELDS = [
    FieldDefinition(key="name", label="名前", type=FieldType.TEXT),
    FieldDefinition(key="score", label="得点", type=FieldType.NUMBER),
    FieldDefinition(key="birthday", label="誕生日", type=FieldType.DATE),
    FieldDefinition(key="visit", label="来店日時", type=FieldType.DATETIME),
    FieldDefinition(key="plan", label="プラン", type=FieldType.CHOICE, choices=["松", "竹", "梅"]),
    FieldDefinition(key="interests", label="興味", type=FieldType.MULTI_CHOICE, choices=["美容", "健康", "旅行"]),
    FieldDefinition(key="member", label="会員", type=FieldType.BOOLEAN),
    FieldDefinition(key="memo", label="メモ", type=FieldType.TEXT, scope="scenario", scenario_id="sc_1"),
]


@dataclass
class Crm:
    aws: Any
    clock: clock.ManualClock
    tags: dict[str, str]  # name -> tag_id


def setup_workspace(workspace_id: str) -> dict[str, str]:
    fields = FieldRepository()
    for definition in FIELDS:
        fields.create(workspace_id, definition)
    tags = TagRepository()
    return {name: tags.create(workspace_id, TagIn(name=name)).tag_id for name in ("VIP", "常連", "休眠")}


@pytest.fixture
def crm(aws: Any, manual_clock: clock.ManualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Crm]:
    scan.reset_clients()
    monkeypatch.setenv("EXPORTS_BUCKET", EXPORTS_BUCKET)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=EXPORTS_BUCKET)
    tags = setup_workspace(WS)
    # Its friends come through its connected channel (a body naming another channel is refused with 404).
    ChannelModel.for_channel(WS, CHANNEL, secret_name="test", connected_at=manual_clock.now()).save()
    yield Crm(aws=aws, clock=manual_clock, tags=tags)
    scan.reset_clients()
