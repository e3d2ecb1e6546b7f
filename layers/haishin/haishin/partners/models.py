"""Partner records in WorkspaceTable.

- partner:    pk ``ws#<workspace_id>`` sk ``partner#<partner_id>`` (name, e-mail, its own inflow route, seminar IDs
              it has links for, commission rules as JSON, the report link's version: rotating bumps it)
- commission: pk ``partnercomm#<workspace_id>#<partner_id>`` sk ``<YYYY-MM>#<row key>``: one row per sale, per refund
              reversal (negative, never a deletion) and per seminar registration. The row key is the cause (the
              order for a sale, the Stripe event ID for a reversal, the registration ID), written only if new, so a
              redelivered event never counts twice. Each row with a commission waits for staff: ``status``
              pending (未確定) → approved (確定) or rejected (否認); the payout CSV counts only approved rows.
- order index: pk ``partnerorder#<workspace_id>#<order_id>`` sk ``<partner_id>``: the partner an order was attributed
              to, the rule copy, and the keys of its rows, so refunds and later invoices of a subscription find their
              partner and rows without reading every partner.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def partner_sk(partner_id: str) -> str:
    return f"partner#{partner_id}"


def commission_pk(workspace_id: str, partner_id: str) -> str:
    return f"partnercomm#{workspace_id}#{partner_id}"


def order_index_pk(workspace_id: str, order_id: str) -> str:
    return f"partnerorder#{workspace_id}#{order_id}"


class PartnerModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    route_id = UnicodeAttribute()  # its own inflow route (haishin.routes): referral link, code, QR, LINE Login
    seminar_ids = JSONTextAttribute(default=list)
    rules = JSONTextAttribute(default=list)  # CommissionRule dicts
    seminar_rewards = JSONTextAttribute(null=True)  # SeminarReward dicts: a fixed reward per registration/attendance
    promotion_codes = JSONTextAttribute(null=True)  # Stripe promotion code IDs whose use attributes a purchase
    link_version = NumberAttribute(default=1)  # the report link carries it; rotating bumps it
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class CommissionModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    month = UnicodeAttribute()  # YYYY-MM in the workspace's zone
    kind = UnicodeAttribute()  # sale | invoice | signup | reversal | registration
    subscriber_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    product_id = UnicodeAttribute(null=True)
    seminar_id = UnicodeAttribute(null=True)
    amount = NumberAttribute(default=0)  # the sale (positive) or the refunded amount (negative), yen
    commission = NumberAttribute(default=0)  # yen; negative for a reversal
    rule = JSONTextAttribute(null=True)  # the rule applied (a copy: later edits do not change past rows)
    cause = UnicodeAttribute(null=True)  # the Stripe event ID or registration ID
    invoice_id = UnicodeAttribute(null=True)  # a subscription's later invoice (kind invoice)
    at = UTCDateTimeAttribute()
    status = UnicodeAttribute(null=True)  # pending (未確定; null on rows from before approval) | approved | rejected
    decided_by = UnicodeAttribute(null=True)  # the operator's e-mail
    decided_at = UTCDateTimeAttribute(null=True)


class PartnerOrderModel(HaishinModel):
    """Which partner an order was attributed to (one item per partner and order)."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # partner ID
    rule = JSONTextAttribute(null=True)  # the rule at the purchase: later invoices earn by it
    row_keys = UnicodeSetAttribute(null=True)  # the sk of every commission row of this order for the partner
    at = UTCDateTimeAttribute()
