"""The product page (GET /p/{product_id}): what is for sale and a button that POSTs to start the checkout.

A GET only shows the page: link previews (LINE, Slack, SNS) and crawlers fetch URLs, and a fetch must never create
an order or a Stripe Checkout Session. The form has no ``action``, so it posts to the page's own URL (stage prefix
and ``?s=`` purchase token included); the token also travels as a hidden field.
"""

from __future__ import annotations

from typing import Any

from haishin.pages.html import page, render
from haishin.payments.products import ProductDefinition

INTERVALS_JA = {"day": "日", "week": "週", "month": "月", "year": "年"}
ZERO_DECIMAL = {"jpy"}
SYMBOLS = {"jpy": "¥", "usd": "$", "eur": "€"}


def price_text(amount: int, currency: str) -> str:
    symbol = SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount:,}"
    return f"{symbol}{amount / 100:,.2f}"


def plan_text(definition: ProductDefinition) -> str:
    every = INTERVALS_JA.get(definition.interval, definition.interval)
    if definition.kind == "installments":
        return f"{definition.installments}回払い（毎{every}）"
    if definition.kind == "subscription":
        return f"継続課金（毎{every}）"
    return "一括払い"


def product_page(definition: ProductDefinition, token: str | None, *, partner_ref: str | None = None
                 ) -> dict[str, Any]:
    bump = definition.order_bump
    html = render("product.html.j2", title=definition.name, product_name=definition.name,
                  price=price_text(definition.amount, definition.currency), plan=plan_text(definition),
                  bump_name=bump.name if bump else None,
                  bump_price=price_text(bump.amount, definition.currency) if bump else None,
                  token=token or "", partner_ref=partner_ref or "")
    return page(200, html)
