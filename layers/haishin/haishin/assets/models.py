"""An uploaded asset's record in WorkspaceTable: pk ``ws#<workspace_id>``, sk ``asset#<asset_id>``.

The bytes are in the assets bucket at ``<workspace_id>/<asset_id>`` (``ASSETS_BUCKET``): the workspace is part of
every key, so an asset is only ever read through its own workspace's record.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta


def asset_sk(asset_id: str) -> str:
    return f"asset#{asset_id}"


class AssetModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # image | attachment
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()  # sniffed from the bytes
    size = NumberAttribute()
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()
