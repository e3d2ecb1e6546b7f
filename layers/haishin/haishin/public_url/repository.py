"""The public base the admin API was last served under, kept for paths that have no request (delivery, planner).

One item per deployment in WorkspaceTable: pk ``deployment`` sk ``public_base``.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from haishin import clock
from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta

PK, SK = "deployment", "public_base"


class PublicBaseModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True, default=PK)
    sk = UnicodeAttribute(range_key=True, default=SK)
    base = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()


class RecordedBase:
    def get(self) -> str | None:
        try:
            return PublicBaseModel.get(PK, SK, consistent_read=True).base
        except PublicBaseModel.DoesNotExist:
            return None

    def put(self, base: str) -> None:
        PublicBaseModel(pk=PK, sk=SK, base=base, recorded_at=clock.now()).save()
