"""Order state as a pure function of what Stripe's objects said (``facts``), so arrival order cannot matter.

Facts only ever grow or move one way: a session once ``paid`` stays paid, an invoice once paid stays paid, a refund
amount only rises, a subscription once ended stays ended. Replaying any permutation of the same events (with
duplicates) therefore yields the same facts and the same status. A late ``checkout.session.completed`` after
``charge.refunded`` cannot resurrect a refunded order: the refund is a fact and ``refunded`` wins.
"""

from __future__ import annotations

from typing import Any

PURCHASED = frozenset({"paid", "active", "past_due", "completed"})
ENDED = frozenset({"canceled", "refunded"})


def _obj_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj.get("metadata") or {})


def merge(facts: dict[str, Any], event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    f = {k: (dict(v) if isinstance(v, dict) else v) for k, v in facts.items()}
    if event_type.startswith("checkout.session."):
        session = dict(f.get("session") or {})
        session["id"] = obj.get("id")
        session["amount_total"] = int(obj.get("amount_total") or session.get("amount_total") or 0)
        session["created"] = int(obj.get("created") or session.get("created") or 0)
        if obj.get("payment_status") in ("paid", "no_payment_required") or \
                event_type == "checkout.session.async_payment_succeeded":
            session["paid"] = True
        if event_type == "checkout.session.async_payment_failed":
            session["async_failed"] = True
        session["completed"] = True
        if isinstance(obj.get("payment_intent"), str):  # what a refund of the one-time payment names
            session["payment_intent"] = obj["payment_intent"]
        if isinstance(obj.get("customer"), str):  # whose saved card a one-click upsell charges
            session["customer"] = obj["customer"]
        f["session"] = session
    elif event_type == "payment_intent.succeeded":
        # a one-time payment charged without Checkout (a one-click upsell on the saved card), recorded like a paid
        # session; for a Checkout's own payment intent this repeats what checkout.session.completed said
        session = dict(f.get("session") or {})
        session.setdefault("id", obj.get("id"))
        session["amount_total"] = max(int(obj.get("amount_received") or 0), int(session.get("amount_total") or 0))
        session["created"] = int(session.get("created") or obj.get("created") or 0)
        session.update(paid=True, completed=True, payment_intent=session.get("payment_intent") or obj.get("id"))
        f["session"] = session
    elif event_type in ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"):
        invoices = dict(f.get("invoices") or {})
        invoice = dict(invoices.get(obj["id"]) or {})
        invoice["created"] = int(obj.get("created") or invoice.get("created") or 0)
        if event_type != "invoice.payment_failed" or obj.get("status") == "paid":
            invoice["paid"] = True
            invoice["amount_paid"] = max(int(obj.get("amount_paid") or 0), int(invoice.get("amount_paid") or 0))
        else:
            invoice["failed"] = True
        invoice.update(paid_with(event_type, obj))
        invoices[obj["id"]] = invoice
        f["invoices"] = invoices
        if invoice.get("paid"):  # a paid invoice's subscription lines say which period it paid for
            _keep_period(f, "paid_period_end", [
                int((line.get("period") or {}).get("end") or 0)
                for line in (obj.get("lines") or {}).get("data") or [] if isinstance(line, dict)], None)
    elif event_type == "invoice_payment.paid" and isinstance(obj.get("invoice"), str):
        # Stripe's API since 2025-03-31 names what paid an invoice only here (and in the invoice's includable
        # ``payments``): which payment intent a refund of that invoice's payment is made on
        invoices = dict(f.get("invoices") or {})
        invoice = dict(invoices.get(obj["invoice"]) or {})
        invoice.update(paid_with(event_type, obj))
        invoices[obj["invoice"]] = invoice
        f["invoices"] = invoices
    elif event_type.startswith("customer.subscription."):
        if event_type == "customer.subscription.deleted" or obj.get("status") in ("canceled", "incomplete_expired"):
            f["subscription_ended"] = True
        # Stripe's API since 2025-03-31 keeps the period on each item; older versions on the subscription
        ends = [int(i.get("current_period_end") or 0) for i in (obj.get("items") or {}).get("data") or []
                if isinstance(i, dict)] + [int(obj.get("current_period_end") or 0)]
        _keep_period(f, "period_end", ends, bool(obj.get("cancel_at_period_end")))
    elif event_type == "charge.refunded":
        charges = dict(f.get("charge_refunds") or {})
        charges[obj["id"]] = max(int(obj.get("amount_refunded") or 0), int(charges.get(obj["id"]) or 0))
        f["charge_refunds"] = charges
        if isinstance(obj.get("payment_intent"), str):  # which invoice's payment the charge was (invoice_payments)
            f["charge_intents"] = {**dict(f.get("charge_intents") or {}), obj["id"]: obj["payment_intent"]}
    elif event_type.startswith("refund."):
        refunds = dict(f.get("refunds") or {})
        previous = dict(refunds.get(obj["id"]) or {})
        status = obj.get("status") or previous.get("status")
        # a refund that failed or was canceled stays so; a succeeded one never goes back to pending
        if previous.get("status") in ("failed", "canceled", "succeeded") and status == "pending":
            status = previous["status"]
        refunds[obj["id"]] = {"amount": int(obj.get("amount") or 0), "status": status,
                              "charge": obj.get("charge") or previous.get("charge"),
                              "payment_intent": obj.get("payment_intent") or previous.get("payment_intent")}
        f["refunds"] = refunds
    return f


def _paid_with(payment: dict[str, Any]) -> dict[str, str]:
    """An InvoicePayment's ``payment`` ({type, payment_intent | charge}): the IDs a refund of it names."""
    return {k: payment[k] for k in ("payment_intent", "charge") if isinstance(payment.get(k), str)}


def _invoice_payment(obj: dict[str, Any]) -> dict[str, str]:
    """What paid an invoice, as its event says: the ``payments`` list (API 2025-03-31 on; an includable field, so
    an event carries it only when expanded and ``invoice_payment.paid`` says it instead), or the invoice's own
    ``payment_intent`` / ``charge`` (the versions before)."""
    for item in (obj.get("payments") or {}).get("data") or []:
        if isinstance(item, dict) and item.get("status") == "paid":
            return _paid_with(item.get("payment") or {})
    return _paid_with(obj)


def paid_with(event_type: str, obj: dict[str, Any]) -> dict[str, str]:
    """The payment intent / charge an invoice event or ``invoice_payment.paid`` says paid an invoice."""
    if event_type.startswith("invoice."):
        return _invoice_payment(obj)
    if event_type == "invoice_payment.paid":
        return _paid_with(obj.get("payment") or {})
    return {}


def _keep_period(f: dict[str, Any], key: str, ends: list[int], cancel_at_period_end: bool | None) -> None:
    """A period end only moves forward (periods never shrink, whatever order the events arrive in);
    ``cancel_at_period_end`` is taken from the subscription that said the latest period end."""
    end = max(ends, default=0)
    if end <= 0 or end < int(f.get(key) or 0):
        return
    f[key] = end
    if cancel_at_period_end is not None:
        f["cancel_at_period_end"] = cancel_at_period_end


def period_end(facts: dict[str, Any]) -> int | None:
    """The subscription's ``current_period_end`` (epoch seconds) as Stripe's events last said it, if they did."""
    return int(facts.get("period_end") or 0) or None


def paid_period_end(facts: dict[str, Any]) -> int | None:
    """The end of the period that has been paid for, as Stripe said it: the subscription's current period end
    while its latest invoice is not failed (Stripe moves the period on at a renewal even when the renewal's payment
    fails), else the latest paid invoice's line period end. None when no event said a period."""
    current = period_end(facts)
    if current and not latest_invoice_failed(facts):
        return current
    return int(facts.get("paid_period_end") or 0) or None


def paid_amount(kind: str, facts: dict[str, Any]) -> int:
    if kind == "one_time":
        session = facts.get("session") or {}
        return int(session.get("amount_total") or 0) if session.get("paid") else 0
    return sum(int(i.get("amount_paid") or 0) for i in (facts.get("invoices") or {}).values() if i.get("paid"))


def payments_made(kind: str, facts: dict[str, Any]) -> int:
    if kind == "one_time":
        return 1 if (facts.get("session") or {}).get("paid") else 0
    return sum(1 for i in (facts.get("invoices") or {}).values() if i.get("paid"))


def _refunds(facts: dict[str, Any]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Refunded yen per charge (the larger of what ``charge.refunded`` and the ``refund.*`` events said: both
    count the same money), and the refunds that named no charge."""
    per_charge: dict[str, int] = {str(k): int(v) for k, v in (facts.get("charge_refunds") or {}).items()}
    loose: list[dict[str, Any]] = []
    by_charge: dict[str, int] = {}
    for refund in (facts.get("refunds") or {}).values():
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        if refund.get("charge"):
            by_charge[refund["charge"]] = by_charge.get(refund["charge"], 0) + int(refund.get("amount") or 0)
        else:
            loose.append(refund)
    charges = set(per_charge) | set(by_charge)
    return {c: max(per_charge.get(c, 0), by_charge.get(c, 0)) for c in charges}, loose


def refunded_amount(facts: dict[str, Any]) -> int:
    charges, loose = _refunds(facts)
    return sum(int(r.get("amount") or 0) for r in loose) + sum(charges.values())


def invoice_payments(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """A subscription's or installments' paid invoices, oldest first: ``invoice_id``, ``created`` (epoch s),
    ``amount``, ``payment_intent`` / ``charge`` (what paid it, once Stripe said so) and ``refunded`` (yen refunded
    of that payment: refunds of the charge or payment intent that paid it)."""
    charges, loose = _refunds(facts)
    intents = {str(k): str(v) for k, v in (facts.get("charge_intents") or {}).items()}
    for refund in (facts.get("refunds") or {}).values():
        if refund.get("charge") and refund.get("payment_intent"):
            intents.setdefault(str(refund["charge"]), str(refund["payment_intent"]))
    paid = sorted(((k, v) for k, v in (facts.get("invoices") or {}).items() if v.get("paid")),
                  key=lambda item: (int(item[1].get("created") or 0), item[0]))
    rows = []
    for invoice_id, invoice in paid:
        intent, charge = invoice.get("payment_intent"), invoice.get("charge")
        refunded = sum(v for c, v in charges.items() if c == charge or (intent and intents.get(c) == intent))
        refunded += sum(int(r.get("amount") or 0) for r in loose if intent and r.get("payment_intent") == intent)
        rows.append({"invoice_id": invoice_id, "created": int(invoice.get("created") or 0),
                     "amount": int(invoice.get("amount_paid") or 0), "payment_intent": intent, "charge": charge,
                     "refunded": refunded})
    return rows


def latest_payment_refunded(facts: dict[str, Any]) -> bool | None:
    """Whether the latest paid invoice's payment (the period being used now) is refunded in full; None when some
    refund cannot be tied to a payment (Stripe never said what paid the invoices), so the caller cannot tell."""
    payments = invoice_payments(facts)
    if not payments:
        return None
    if sum(p["refunded"] for p in payments) < refunded_amount(facts):
        return None
    latest = payments[-1]
    return latest["refunded"] >= latest["amount"] > 0


def latest_invoice_failed(facts: dict[str, Any]) -> str | None:
    invoices = facts.get("invoices") or {}
    if not invoices:
        return None
    latest_id, latest = max(invoices.items(), key=lambda item: (int(item[1].get("created") or 0), item[0]))
    return latest_id if latest.get("failed") and not latest.get("paid") else None


def derive(kind: str, facts: dict[str, Any], installments: int = 0) -> str:
    paid = paid_amount(kind, facts)
    refunded = refunded_amount(facts)
    count = payments_made(kind, facts)
    # a subscription whose payments are all refunded still bills until it is cancelled (a refund is not 解約):
    # it stays active (cancellable) until then, and is refunded once it has ended
    billing = kind != "one_time" and not (facts.get("admin_canceled") or facts.get("subscription_ended")) and \
        not (kind == "installments" and installments and count >= installments)
    if paid > 0 and refunded >= paid and not billing:
        return "refunded"
    session = facts.get("session") or {}
    if kind == "one_time":
        if session.get("paid"):
            return "paid"
        if facts.get("admin_canceled"):
            return "canceled"
        return "failed" if session.get("async_failed") else "pending"
    if kind == "installments" and installments and count >= installments:
        return "completed"
    if facts.get("admin_canceled") or facts.get("subscription_ended"):
        return "canceled"
    if latest_invoice_failed(facts) and (count > 0 or session.get("paid")):
        return "past_due"  # only a subscription that was once paid is past due (a refused first invoice is not)
    if count > 0 or session.get("paid"):
        return "active"
    return "failed" if session.get("async_failed") else "pending"


def expects_payment(kind: str, status: str) -> bool:
    """Whether Stripe may still charge this order (the admin shows "next payment" only then)."""
    return kind != "one_time" and status in ("active", "past_due", "pending")
