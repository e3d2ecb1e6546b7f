"""Per-channel settings that are not part of the connection itself.

Item in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``channel_settings#<channel_id>``: the greeting (あいさつメッセージ)
sent with the reply API when a friend adds the account (1 to 5 LINE message objects; empty: none).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def settings_sk(channel_id: str) -> str:
    return f"channel_settings#{channel_id}"


class ChannelSettingsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    greeting_enabled = BooleanAttribute(default=False)
    greeting_messages = JSONTextAttribute(default=list)
    updated_at = UTCDateTimeAttribute()
