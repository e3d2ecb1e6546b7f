"""Partners (パートナー・アフィリエイト): CRUD, attribution of purchases, refunds and seminar registrations, the
partner's own report (behind a signed, rotatable link) and the shop's monthly payout CSV. No money is moved.

A partner owns an inflow route (``haishin.routes``): its referral link ``/r/<code>``, QR and LINE Login come from
there, and the route's friend records say when each friend first and last came by it. A purchase
(``purchase_completed`` on the EventFanout) is attributed to a partner whose rule for the product allows it:

- ``first`` touch: the partner whose route the friend came by first (of all partners), within ``window_days`` of it;
- ``last`` touch: the partner whose route the friend came by most recently, within ``window_days`` of it.

One commission row per order (key ``sale:<order_id>``); a refund (``purchase_refunded``) writes a negative row keyed
by the Stripe event ID for the share of the commission the refunded total now calls for, minus what earlier
reversals took back, so several partial refunds and redeliveries never reverse more than was earned.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import logging
import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from haishin import clock, ids
from haishin.config import settings
from haishin.csvio.cells import encode_csv, neutralise
from haishin.errors import NotFound, ValidationFailed, pydantic_message
from haishin.partners.models import CommissionModel, PartnerModel
from haishin.partners.repository import PartnerRepository
from haishin.public_url import public_base
from haishin.routes.repository import RouteRepository
from haishin.routes.service import RouteDefinition, RouteService, route_url
from haishin.storage.base import iso

log = logging.getLogger(__name__)

LINK_PURPOSE = "partner-report"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
Encoding = Literal["utf-8-sig", "cp932"]


class CommissionRule(BaseModel):
    """Percent of the sale or a fixed amount in yen, for one product or all, first or last touch within N days."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["percent", "fixed"] = "percent"
    percent: float | None = Field(default=None, gt=0, le=100)
    yen: int | None = Field(default=None, ge=1, le=10_000_000)
    product_id: str | None = None  # None: every product
    touch: Literal["first", "last"] = "last"
    window_days: int = Field(default=30, ge=1, le=365)

    @model_validator(mode="after")
    def _amount(self) -> CommissionRule:
        if self.kind == "percent" and self.percent is None:
            raise ValueError("報酬率(%)を入力してください")
        if self.kind == "fixed" and self.yen is None:
            raise ValueError("報酬額(円)を入力してください")
        return self

    def commission(self, amount: int) -> int:
        if self.kind == "fixed":
            return min(int(self.yen or 0), amount) if amount > 0 else 0
        return int(amount * float(self.percent or 0) // 100)


class PartnerDefinition(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    channel_id: str = Field(min_length=1)  # the LINE channel its referral link adds
    seminar_ids: list[str] = Field(default_factory=list, max_length=50)
    rules: list[CommissionRule] = Field(default_factory=list, max_length=20)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("パートナー名を入力してください")
        return value.strip()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if "@" not in value or value.startswith("@") or value.endswith("@") or " " in value:
            raise ValueError("メールアドレスの形式が正しくありません")
        return value.lower()


def parse_definition(raw: Any) -> PartnerDefinition:
    try:
        return PartnerDefinition.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(pydantic_message(first), where=".".join(str(p) for p in first.get("loc", ()))) from exc


class ReportLinkInvalid(Exception):
    """A forged, malformed or rotated partner report link."""


class ProductNames(Protocol):
    def product_name(self, workspace_id: str, product_id: str) -> str | None: ...


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PartnerService:
    def __init__(self, *, repository: PartnerRepository, routes: RouteService, route_repository: RouteRepository,
                 signer: Any, tz: str | None = None) -> None:
        self.repository = repository
        self.routes = routes
        self.route_repository = route_repository
        self.signer = signer  # haishin.forms.tokens.LinkSigner: the workspace's signing key
        self._tz = tz  # the workspace zone for months (default: settings().default_time_zone)

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self._tz or settings().default_time_zone)

    def _month(self, at: datetime) -> str:
        return at.astimezone(self._zone()).strftime("%Y-%m")

    # ------------------------------------------------------------------ CRUD
    def create(self, workspace_id: str, raw: Any) -> PartnerModel:
        definition = parse_definition(raw)
        route = self.routes.create(workspace_id, RouteDefinition(
            name=f"パートナー: {definition.name}"[:100], folder="パートナー", channel_id=definition.channel_id))
        now = clock.now()
        partner = self.repository.new(
            workspace_id, ids.new_id("ptn_"), name=definition.name, email=definition.email, route_id=route.route_id,
            seminar_ids=definition.seminar_ids, rules=[r.model_dump() for r in definition.rules], link_version=1,
            created_at=now, updated_at=now)
        return self.repository.save(partner)

    def replace(self, workspace_id: str, partner_id: str, raw: Any) -> PartnerModel:
        definition = parse_definition(raw)
        partner = self.repository.require(workspace_id, partner_id)
        route = self.routes.get(workspace_id, partner.route_id)
        if route.channel_id != definition.channel_id or route.name != f"パートナー: {definition.name}"[:100]:
            self.routes.replace(workspace_id, route.route_id, RouteDefinition(
                name=f"パートナー: {definition.name}"[:100], folder=route.folder or "パートナー",
                channel_id=definition.channel_id, actions=route.actions or [], greeting=route.greeting,
                run="every" if route.run == "every" else "once", replace_friend_added=bool(route.replace_friend_added)))
        partner.name = definition.name
        partner.email = definition.email
        partner.seminar_ids = definition.seminar_ids
        partner.rules = [r.model_dump() for r in definition.rules]
        partner.updated_at = clock.now()
        return self.repository.save(partner)

    def get(self, workspace_id: str, partner_id: str) -> PartnerModel:
        return self.repository.require(workspace_id, partner_id)

    def delete(self, workspace_id: str, partner_id: str) -> None:
        """The partner goes; its route and commission rows stay (printed QR codes keep adding friends)."""
        self.repository.delete(self.get(workspace_id, partner_id))

    def view(self, workspace_id: str, partner: PartnerModel, *, with_link: bool = False) -> dict[str, Any]:
        try:
            route = self.routes.get(workspace_id, partner.route_id)
            code, channel_id, url = route.code, route.channel_id, route_url(route.code)
        except NotFound:
            code, channel_id, url = "", "", ""
        view: dict[str, Any] = {
            "partner_id": partner.partner_id, "name": partner.name, "email": partner.email,
            "route_id": partner.route_id, "code": code, "channel_id": channel_id, "referral_url": url,
            "seminar_ids": list(partner.seminar_ids or []),
            "seminar_links": [{"seminar_id": s, "url": self.seminar_url(s, code)} for s in partner.seminar_ids or []],
            "rules": list(partner.rules or []), "friends": self.route_repository.friend_count(
                workspace_id, partner.route_id),
            "created_at": iso(partner.created_at), "updated_at": iso(partner.updated_at),
        }
        if with_link:
            view["report_url"] = self.report_url(workspace_id, partner)
        return view

    def views(self, workspace_id: str) -> list[dict[str, Any]]:
        partners = sorted(self.repository.all(workspace_id), key=lambda p: (p.name, p.partner_id))
        return [self.view(workspace_id, p) for p in partners]

    @staticmethod
    def seminar_url(seminar_id: str, code: str) -> str:
        """A per-seminar affiliate link: the seminar's page with the partner's code (``ref``); the seminars
        feature passes it on in ``seminar_registered`` as ``partner_code``."""
        return f"{public_base()}/s/{seminar_id}?ref={code}"

    # ------------------------------------------------------------------ the partner's signed report link
    def _mac(self, workspace_id: str, partner_id: str, version: int, *, create: bool) -> str:
        key = self.signer.key(workspace_id, create=create)
        message = "|".join([LINK_PURPOSE, workspace_id, partner_id, str(version)]).encode()
        return _b64(hmac.new(key, message, hashlib.sha256).digest())[:32]

    def report_token(self, workspace_id: str, partner: PartnerModel) -> str:
        version = int(partner.link_version or 1)
        mac = self._mac(workspace_id, partner.partner_id, version, create=True)
        return f"{workspace_id}.{partner.partner_id}.{version}.{mac}"

    def report_url(self, workspace_id: str, partner: PartnerModel) -> str:
        return f"{public_base()}/partner/{self.report_token(workspace_id, partner)}"

    def rotate_link(self, workspace_id: str, partner_id: str) -> PartnerModel:
        """A new report link; the old one stops working at once."""
        partner = self.get(workspace_id, partner_id)
        partner.link_version = int(partner.link_version or 1) + 1
        partner.updated_at = clock.now()
        return self.repository.save(partner)

    def open_report(self, token: str) -> tuple[PartnerModel, dict[str, Any]]:
        """The partner behind a report link and their report; ReportLinkInvalid for anything else."""
        parts = token.split(".") if token.isascii() else []
        if len(parts) != 4 or not all(parts) or not parts[2].isdigit() or len(parts[2]) > 9:
            raise ReportLinkInvalid("malformed")
        workspace_id, partner_id, version_text, mac = parts
        if not (_SAFE_ID.fullmatch(workspace_id) and _SAFE_ID.fullmatch(partner_id)):
            raise ReportLinkInvalid("malformed")  # never a secret name built from a stranger's text
        try:
            expected = self._mac(workspace_id, partner_id, int(version_text), create=False)
        except NotFound as exc:
            raise ReportLinkInvalid("signature") from exc
        if not hmac.compare_digest(expected, mac):
            raise ReportLinkInvalid("signature")
        partner = self.repository.find(workspace_id, partner_id)
        if partner is None or int(partner.link_version or 1) != int(version_text):
            raise ReportLinkInvalid("rotated")
        return partner, self.report(workspace_id, partner_id)

    # ------------------------------------------------------------------ attribution (EventFanout listener)
    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        if event_type == "purchase_completed":
            self.on_purchase(workspace_id, data)
        elif event_type == "purchase_refunded":
            self.on_refund(workspace_id, data)
        elif event_type == "seminar_registered":
            self.on_registration(workspace_id, data)
        return 0

    def _touches(self, workspace_id: str, subscriber_id: str, partners: list[PartnerModel]
                 ) -> dict[str, tuple[datetime, datetime]]:
        touches = {}
        for partner in partners:
            touch = self.route_repository.friend_touch(workspace_id, partner.route_id, subscriber_id)
            if touch is not None:
                touches[partner.partner_id] = touch
        return touches

    @staticmethod
    def rule_for(partner: PartnerModel, product_id: str | None) -> CommissionRule | None:
        rules = [CommissionRule.model_validate(r) for r in partner.rules or []]
        return next((r for r in rules if r.product_id and r.product_id == product_id), None) \
            or next((r for r in rules if not r.product_id), None)

    def attributed(self, workspace_id: str, subscriber_id: str, product_id: str | None, at: datetime
                   ) -> list[tuple[PartnerModel, CommissionRule]]:
        """The partners a purchase at ``at`` earns a commission for, with the rule that applies."""
        partners = self.repository.all(workspace_id)
        touches = self._touches(workspace_id, subscriber_id, partners)
        if not touches:
            return []
        first = min(touches, key=lambda p: touches[p][0])
        last = max(touches, key=lambda p: touches[p][1])
        chosen = []
        for partner in partners:
            if partner.partner_id not in touches:
                continue
            rule = self.rule_for(partner, product_id)
            if rule is None:
                continue
            winner, touched_at = (first, touches[partner.partner_id][0]) if rule.touch == "first" \
                else (last, touches[partner.partner_id][1])
            if winner != partner.partner_id:
                continue
            if touched_at > at or at - touched_at > timedelta(days=rule.window_days):
                continue
            chosen.append((partner, rule))
        return chosen

    def on_purchase(self, workspace_id: str, data: dict[str, Any]) -> None:
        subscriber_id, order_id = data.get("subscriber_id"), data.get("order_id")
        if not subscriber_id or not order_id:
            return
        amount = int(data.get("amount") or 0)
        now = clock.now()
        for partner, rule in self.attributed(workspace_id, subscriber_id, data.get("product_id"), now):
            row = self.repository.new_row(
                workspace_id, partner.partner_id, self._month(now), f"sale:{order_id}", kind="sale",
                subscriber_id=subscriber_id, order_id=order_id, product_id=data.get("product_id"), amount=amount,
                commission=rule.commission(amount), rule=rule.model_dump(), cause=data.get("stripe_event_id"),
                at=now)
            if self.repository.add_row(row):
                log.info("partner %s: commission %s for order %s", partner.partner_id, row.commission, order_id)

    def _order_rows(self, workspace_id: str, order_id: str) -> dict[str, list[CommissionModel]]:
        found: dict[str, list[CommissionModel]] = defaultdict(list)
        for partner in self.repository.all(workspace_id):
            for row in self.repository.rows(workspace_id, partner.partner_id):
                if row.order_id == order_id:
                    found[partner.partner_id].append(row)
        return found

    def on_refund(self, workspace_id: str, data: dict[str, Any]) -> None:
        order_id, event_id = data.get("order_id"), str(data.get("stripe_event_id") or "")
        if not order_id or not event_id:
            return
        refunded = int(data.get("refunded_total") or 0)
        now = clock.now()
        for partner_id, rows in self._order_rows(workspace_id, order_id).items():
            sale = next((r for r in rows if r.kind == "sale"), None)
            if sale is None or any(r.cause == event_id and r.kind == "reversal" for r in rows):
                continue
            paid = int(sale.amount or 0)
            earned = int(sale.commission or 0)
            share = earned if paid <= 0 or refunded >= paid else earned * refunded // paid
            reversed_so_far = -sum(int(r.commission or 0) for r in rows if r.kind == "reversal")
            refunded_so_far = -sum(int(r.amount or 0) for r in rows if r.kind == "reversal")
            delta = share - reversed_so_far
            if delta <= 0 and refunded <= refunded_so_far:
                continue
            row = self.repository.new_row(
                workspace_id, partner_id, self._month(now), f"reversal:{event_id}", kind="reversal",
                subscriber_id=sale.subscriber_id, order_id=order_id, product_id=sale.product_id,
                amount=-max(0, min(refunded, paid or refunded) - refunded_so_far), commission=-max(0, delta),
                rule=sale.rule, cause=event_id, at=now)
            self.repository.add_row(row)

    def on_registration(self, workspace_id: str, data: dict[str, Any]) -> None:
        """``seminar_registered``: the partner named by the registration (its code from a per-seminar link, or its
        ID), else the friend's last partner touch within 30 days. Counted, no commission."""
        registration_id = data.get("registration_id")
        subscriber_id = data.get("subscriber_id")
        if not registration_id:
            return
        partners = self.repository.all(workspace_id)
        partner: PartnerModel | None = None
        hint_id, hint_code = data.get("partner_id"), data.get("partner_code") or data.get("ref")
        if hint_id:
            partner = next((p for p in partners if p.partner_id == hint_id), None)
        if partner is None and hint_code:
            for candidate in partners:
                try:
                    if self.routes.get(workspace_id, candidate.route_id).code == hint_code:
                        partner = candidate
                        break
                except NotFound:
                    continue
        now = clock.now()
        if partner is None and subscriber_id:
            touches = self._touches(workspace_id, subscriber_id, partners)
            recent = {p: t for p, t in touches.items() if now - t[1] <= timedelta(days=30)}
            if recent:
                best = max(recent, key=lambda p: recent[p][1])
                partner = next(p for p in partners if p.partner_id == best)
        if partner is None:
            return
        self.repository.add_row(self.repository.new_row(
            workspace_id, partner.partner_id, self._month(now), f"registration:{registration_id}",
            kind="registration", subscriber_id=subscriber_id, seminar_id=data.get("seminar_id") or data.get(
                "event_id"), cause=str(registration_id), at=now))

    # ------------------------------------------------------------------ reports
    def report(self, workspace_id: str, partner_id: str) -> dict[str, Any]:
        partner = self.get(workspace_id, partner_id)
        months: dict[str, dict[str, int]] = defaultdict(lambda: {
            "sales": 0, "sales_amount": 0, "refunds": 0, "refunded_amount": 0, "commission": 0,
            "registrations": 0})
        rows = self.repository.rows(workspace_id, partner_id)
        for row in rows:
            month = months[row.month]
            if row.kind == "sale":
                month["sales"] += 1
                month["sales_amount"] += int(row.amount or 0)
            elif row.kind == "reversal":
                month["refunds"] += 1
                month["refunded_amount"] += -int(row.amount or 0)
            elif row.kind == "registration":
                month["registrations"] += 1
            month["commission"] += int(row.commission or 0)
        recent = sorted((r for r in rows if r.kind != "registration"), key=lambda r: r.at, reverse=True)[:50]
        return {
            "partner_id": partner_id, "name": partner.name,
            "friends": self.route_repository.friend_count(workspace_id, partner.route_id),
            "months": [{"month": m, **v} for m, v in sorted(months.items(), reverse=True)],
            "total_commission": sum(v["commission"] for v in months.values()),
            "rows": [{"month": r.month, "kind": r.kind, "order_id": r.order_id, "product_id": r.product_id,
                      "amount": int(r.amount or 0), "commission": int(r.commission or 0), "at": iso(r.at)}
                     for r in recent],
        }

    def payout_csv(self, workspace_id: str, month: str, encoding: Encoding = "utf-8-sig") -> bytes:
        """One line per partner for ``month`` (YYYY-MM): sales, refunds and the commission to pay (no money moves)."""
        if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() \
                or not 1 <= int(month[5:]) <= 12:
            raise ValidationFailed("対象月は YYYY-MM の形式で指定してください(例: 2026-12)", where="month")
        if encoding not in ("utf-8-sig", "cp932"):
            raise ValidationFailed("文字コードは utf-8-sig か cp932 です", where="encoding")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["対象月", "パートナーID", "パートナー名", "メールアドレス", "紹介コード", "売上件数",
                         "売上金額", "返金件数", "返金額", "報酬額"])
        for partner in sorted(self.repository.all(workspace_id), key=lambda p: (p.name, p.partner_id)):
            rows = self.repository.rows(workspace_id, partner.partner_id, month)
            try:
                code = self.routes.get(workspace_id, partner.route_id).code
            except NotFound:
                code = ""
            sales = [r for r in rows if r.kind == "sale"]
            refunds = [r for r in rows if r.kind == "reversal"]
            writer.writerow([neutralise(str(c)) for c in (
                month, partner.partner_id, partner.name, partner.email or "", code, len(sales),
                sum(int(r.amount or 0) for r in sales), len(refunds), -sum(int(r.amount or 0) for r in refunds),
                sum(int(r.commission or 0) for r in rows))])
        return encode_csv(buffer.getvalue(), encoding)
