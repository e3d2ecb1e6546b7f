"""Workspace and channel records in WorkspaceTable.

Key layout (WorkspaceTable holds every per-workspace configuration object):
- workspace:  pk ``ws#<workspace_id>``  sk ``workspace``
- channel:    pk ``channel#<channel_id>`` sk ``channel`` (a strongly consistent GetItem from the webhook path),
              gsi1pk ``ws#<workspace_id>`` gsi1sk ``channel#<channel_id>`` (list a workspace's channels)
Other modules add their own objects under pk ``ws#<workspace_id>`` with their own sk prefix.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta

DEFAULT_TIME_ZONE = "Asia/Tokyo"


def workspace_pk(workspace_id: str) -> str:
    return f"ws#{workspace_id}"


def channel_pk(channel_id: str) -> str:
    return f"channel#{channel_id}"


class WorkspaceGsi1(GlobalSecondaryIndex["ChannelModel"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class WorkspaceModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="workspace")
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    time_zone = UnicodeAttribute(default=DEFAULT_TIME_ZONE)
    # Quiet hours in the workspace's time zone, "HH:MM"; empty means none.
    quiet_hours_start = UnicodeAttribute(null=True)
    quiet_hours_end = UnicodeAttribute(null=True)
    # Optional cap of marketing messages (steps and broadcasts) per friend per local day; 0 means none.
    frequency_cap_per_day = NumberAttribute(default=0)
    # What a broadcast does when the LINE quota would be exceeded: "refuse" or "warn".
    quota_policy = UnicodeAttribute(default="refuse")
    # 特定電子メール法: the sender's name (default: ``name``) and postal address in every marketing e-mail and SMS
    legal_name = UnicodeAttribute(null=True)
    postal_address = UnicodeAttribute(null=True)
    # SMS: the SNS sender ID (where the destination supports one) and the opt-out text before the /u/ link
    sms_sender_id = UnicodeAttribute(null=True)
    sms_optout_text = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    @classmethod
    def key(cls, workspace_id: str) -> tuple[str, str]:
        return workspace_pk(workspace_id), "workspace"


class ChannelModel(HaishinModel):
    """A connected LINE Official Account (Messaging API channel). Secrets live in Secrets Manager only."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="channel")
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_workspace = WorkspaceGsi1()

    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    bot_user_id = UnicodeAttribute(null=True)
    basic_id = UnicodeAttribute(null=True)
    # Name of the Secrets Manager secret holding {"channel_secret", "access_token", ...}.
    secret_name = UnicodeAttribute()
    # Masked hints ("…a1b2") shown instead of the values, which are never returned.
    channel_secret_hint = UnicodeAttribute(null=True)
    access_token_hint = UnicodeAttribute(null=True)
    login_channel_id = UnicodeAttribute(null=True)
    liff_id = UnicodeAttribute(null=True)  # the LIFF app (of the Login channel) whose endpoint is our /liff/<id>
    status = UnicodeAttribute(default="connected")  # connected | disconnected
    connected_at = UTCDateTimeAttribute()
    webhook_verified_at = UTCDateTimeAttribute(null=True)
    last_event_at = UTCDateTimeAttribute(null=True)

    @classmethod
    def for_channel(cls, workspace_id: str, channel_id: str, **attributes: Any) -> ChannelModel:
        return cls(
            pk=channel_pk(channel_id),
            sk="channel",
            gsi1pk=workspace_pk(workspace_id),
            gsi1sk=f"channel#{channel_id}",
            channel_id=channel_id,
            workspace_id=workspace_id,
            **attributes,
        )


def default_line_channel(workspace_id: str) -> str | None:
    """The channel a broadcast without ``line_channel_id`` goes out on: the workspace's first (by ID)."""
    for channel in ChannelModel.by_workspace.query(workspace_pk(workspace_id)):
        return str(channel.channel_id)
    return None


def all_workspace_ids() -> list[str]:
    """Every workspace with a stored record (a Scan of WorkspaceTable for ``sk = workspace``): ops tooling only."""
    return sorted(str(ws.workspace_id) for ws in WorkspaceModel.scan(WorkspaceModel.sk == "workspace"))
