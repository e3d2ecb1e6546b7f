"""Operator records in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``operator#<email>``.

The JWT (Cognito in AWS, the dev login locally) says who signs in and for which workspace; this record says what
they may do there now. A removed operator's record is kept with status "removed", so an old token stops working.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta


def operator_sk(email: str) -> str:
    return f"operator#{email.strip().lower()}"


class OperatorModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    email = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    granted = UnicodeSetAttribute(default=set)
    denied = UnicodeSetAttribute(default=set)
    channel_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="invited")  # invited | active | removed
    invited_by = UnicodeAttribute(null=True)
    invited_at = UTCDateTimeAttribute()
    removed_at = UTCDateTimeAttribute(null=True)
