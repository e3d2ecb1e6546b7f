"""Sender identities in WorkspaceTable.

Key layout:
- identity: pk ``ws#<workspace_id>`` sk ``sender#<identity_id>``: From name, From address, reply-to, and which SES
  identity verifies it (the From address itself, or its domain).
- default:  pk ``ws#<workspace_id>`` sk ``senderdefault``: the identity step e-mails use when a scenario names none.
- claim:    pk ``sesidentity#<name>`` sk ``claim``: which workspace owns an SES identity (a domain or an address).
  Every workspace sends through the same AWS account, where a verified domain lets anyone in the account send as
  any address of it; the claim (a conditional put) is what keeps workspace B from using workspace A's domain.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta

KINDS = ("domain", "address")
DEFAULT_SK = "senderdefault"


def sender_sk(identity_id: str) -> str:
    return f"sender#{identity_id}"


def claim_pk(ses_identity: str) -> str:
    return f"sesidentity#{ses_identity.lower()}"


class SenderIdentityModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    identity_id = UnicodeAttribute()
    from_name = UnicodeAttribute()
    from_address = UnicodeAttribute()
    reply_to = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()  # domain | address: how SES verifies it
    ses_identity = UnicodeAttribute()  # the domain or the address SES verifies
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class SenderDefaultModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=DEFAULT_SK)
    identity_id = UnicodeAttribute()


class SesClaimModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="claim")
    workspace_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
