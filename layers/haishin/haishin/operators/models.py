"""Operator records in WorkspaceTable: pk ``ws#<workspace_id>`` sk ``operator#<operator_id>``.

``operator_id`` is the sign-in account's immutable subject (Cognito's ``sub``; locally the dev login's), never the
e-mail: an e-mail can change and is only what the admin shows. The JWT says who signs in and for which workspace;
this record says whether they belong to it and what they may do there now. No record: no access, whatever the
token's groups say. A removed operator's record is kept with status "removed", so an old token stops working.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta

OPERATOR_PREFIX = "operator#"


def operator_sk(operator_id: str) -> str:
    return f"{OPERATOR_PREFIX}{operator_id}"


class OperatorModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    operator_id = UnicodeAttribute()
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
