"""Payment records in WorkspaceTable.

- product:  pk ``ws#<ws>`` sk ``product#<id>`` (definition JSON); lookup pk ``product#<id>`` sk ``product`` -> ws
- order:    pk ``ws#<ws>`` sk ``order#<id>``; gsi1 ``ordersub#<ws>#<subscriber>`` / ``<created>#<order>`` (a friend's
            orders, for the purchase summary). ``facts`` holds what Stripe's objects said; the status is derived
            from the facts (``haishin.payments.state``), never from the order in which events arrived.
- ref:      pk ``stripe#<ws>#<stripe object id>`` sk ``ref`` -> order (subscriptions, payment intents, charges)
- settings: pk ``ws#<ws>`` sk ``stripe_settings`` (``mode``: test | live, masked key hints)
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


class OrdersBySubscriber(GlobalSecondaryIndex["OrderModel"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ProductModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    definition = JSONTextAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ProductLookupModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="product")
    workspace_id = UnicodeAttribute()
    product_id = UnicodeAttribute()


class OrderModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_subscriber = OrdersBySubscriber()

    workspace_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()  # one_time | installments | subscription
    mode = UnicodeAttribute(default="test")  # test | live
    status = UnicodeAttribute(default="pending")
    amount = NumberAttribute(default=0)  # price of one payment incl. order bump (JPY: no minor unit)
    installments = NumberAttribute(default=0)  # N for installments
    paid_total = NumberAttribute(default=0)
    refunded_total = NumberAttribute(default=0)
    payments_made = NumberAttribute(default=0)
    checkout_session_id = UnicodeAttribute(null=True)
    ref = UnicodeAttribute(null=True)  # what the order pays for elsewhere, e.g. ``sem:<event>:<registration>``
    partner_ref = UnicodeAttribute(null=True)  # a partner's code from the product page (haishin.partners credits it)
    partner_ref_at = UTCDateTimeAttribute(null=True)  # when the buyer opened the page by that link
    funnel_ref = UnicodeAttribute(null=True)  # the funnel page sold it: ``<funnel>:<page>:<variant>`` (its stats)
    subscription_id = UnicodeAttribute(null=True)
    schedule_id = UnicodeAttribute(null=True)
    facts = JSONTextAttribute(default=dict)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class RefModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="ref")
    order_id = UnicodeAttribute()


class StripeSettingsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="stripe_settings")
    mode = UnicodeAttribute(default="test")
    hints = JSONTextAttribute(default=dict)  # mode -> {"secret_key": "…abcd", "webhook_secrets": ["…wxyz"]}


class StripeEventRecordModel(HaishinModel):
    """A Stripe event kept for review: pk ``ws#<ws>`` sk ``stripe_event#<event id>``.

    ``outcome``: ``unmatched`` (no order found: kept, not marked processed, so a redelivery or a replay applies it)
    or ``refused_livemode`` (its ``livemode`` differs from the order's mode: nothing changed). ``event`` is the
    event as received (Stripe events are a few KB; DynamoDB items hold 400 KB). Expires after ``expires_at``
    (TTL deletion is lazy: readers filter expired records).
    """

    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    livemode = UnicodeAttribute(null=True)  # "true" | "false" as Stripe said; None when absent
    outcome = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    order_mode = UnicodeAttribute(null=True)
    event = JSONTextAttribute(null=True)
    deliveries = NumberAttribute(default=1)
    first_received_at = UTCDateTimeAttribute()
    last_received_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()
