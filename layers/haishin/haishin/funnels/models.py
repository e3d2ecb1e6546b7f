"""Funnel records in WorkspaceTable.

- funnel: pk ``ws#<workspace_id>`` sk ``fn#<funnel_id>`` (the definition: haishin.funnels.inputs.FunnelIn as JSON)
- stats:  pk ``fn#<workspace_id>#<funnel_id>`` sk ``stat#<page_id>#<variant>`` (counters changed only by ADD:
          visitors, opt-ins, checkouts started, purchases, revenue and its squares, refunded), one item per page and
          A/B variant
- order:  pk ``fn#<workspace_id>#<funnel_id>`` sk ``order#<order_id>`` (a purchase counted on a page's variant, once:
          the page, the variant, the amount and how much of it was refunded, so a refund ADDs only what is new)
- visitor: pk ``fn#<workspace_id>#<funnel_id>`` sk ``visitor#<visitor_id>`` (who the cookie's visitor became: the
          subscriber their opt-in created or found (by the page's form, or the LINE friend of its LINE button), the
          order whose saved card a one-click upsell charges, the upsell / downsell orders; TTL)
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute, VersionAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def funnel_sk(funnel_id: str) -> str:
    return f"fn#{funnel_id}"


def stats_pk(workspace_id: str, funnel_id: str) -> str:
    return f"fn#{workspace_id}#{funnel_id}"


def stats_sk(page_id: str, variant: str) -> str:
    return f"stat#{page_id}#{variant}"


def order_sk(order_id: str) -> str:
    return f"order#{order_id}"


def visitor_sk(visitor_id: str) -> str:
    return f"visitor#{visitor_id}"


class FunnelModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    funnel_id = UnicodeAttribute()
    definition = JSONTextAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class FunnelStatsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    page_id = UnicodeAttribute()
    variant = UnicodeAttribute()  # "A" (the page's own blocks), "B".. (its variants)
    visitors = NumberAttribute(default=0)  # distinct visitors (a visitor counts once per page and variant)
    optins = NumberAttribute(default=0)
    checkouts = NumberAttribute(default=0)  # Stripe Checkout sessions started from this page
    purchases = NumberAttribute(default=0)  # paid orders sold by this page (purchase_completed, once per order)
    revenue = NumberAttribute(default=0)  # their amounts (JPY), a refund does not take them back
    revenue_squares = NumberAttribute(default=0)  # sum of amount^2: the variance for Welch's test on revenue
    refunded = NumberAttribute(default=0)  # refunded amounts of those orders (shown apart from the revenue)


class FunnelOrderModel(HaishinModel):
    """A purchase counted on a page's variant (written with the counters' ADD, in one transaction)."""

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    page_id = UnicodeAttribute()
    variant = UnicodeAttribute()
    amount = NumberAttribute(default=0)
    refunded = NumberAttribute(default=0)


class FunnelVisitorModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    subscriber_id = UnicodeAttribute(null=True)  # the opt-in's subscriber: a purchase is theirs
    order_id = UnicodeAttribute(null=True)  # the funnel's Checkout order (its card saved for one-click upsells)
    offer_orders = UnicodeSetAttribute(null=True)  # upsell / downsell orders (their courses linked on thanks)
    expires_at = NumberAttribute()  # epoch seconds (DynamoDB TTL; readers check it: TTL deletion is lazy)
