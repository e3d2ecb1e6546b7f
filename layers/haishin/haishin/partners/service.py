"""Partners (パートナー・アフィリエイト): CRUD, attribution of purchases, refunds and seminar registrations, the
partner's own report (behind a signed, rotatable link) and the shop's monthly payout CSV. No money is moved.

A partner owns an inflow route (``haishin.routes``): its referral link ``/r/<code>``, QR and LINE Login come from
there, and the route's friend records say when each friend first and last came by it. A purchase
(``purchase_completed`` on the EventFanout) is attributed to a partner whose rule for the product allows it:

- ``first`` touch: the partner whose route the friend came by first (of all partners), within ``window_days`` of it;
- ``last`` touch: the partner whose route the friend came by most recently, within ``window_days`` of it.

A Stripe promotion code linked to a partner, or the partner's ``ref`` on the product page (kept on the order as a
touch at checkout), attributes the purchase too. The attribution is decided once per order and kept in the order
index (``partnerorder#``): later invoices of a subscription (``subscription_invoice_paid``) earn by the same rule
when it says ``recurring``, and refunds find the partner and its rows there, without reading every partner.

One commission row per order (key ``sale:<order_id>``), per later invoice (``invoice:<invoice_id>``) and the
「申し込み時」 reward of a subscription (``signup:<order_id>``); a refund (``purchase_refunded``) writes a negative row
keyed by the Stripe event ID for the share of the commission the refunded total now calls for, minus what earlier
reversals took back, so several partial refunds and redeliveries never reverse more than was earned. A seminar
registration (and attendance) earns the partner's fixed seminar reward.

Every row with a commission starts 未確定 (pending); staff approve (確定) or reject (否認) rows, one or many at once;
the payout CSV counts only approved rows.
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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
REF_PURPOSE = "partner-ref"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
Encoding = Literal["utf-8-sig", "cp932"]
Decision = Literal["approved", "rejected"]
STATUSES = ("pending", "approved", "rejected")
EARNING = ("sale", "invoice")  # rows a refund takes back a share of (the 申し込み時 reward stays, as on UTAGE)
_PROMO = re.compile(r"promo_[A-Za-z0-9]{1,64}")
# the partner's report page says these in Japanese
KIND_LABELS = {"sale": "売上", "invoice": "継続課金", "signup": "申し込み時報酬", "reversal": "返金(報酬取消)",
               "registration": "セミナー申込", "attendance": "セミナー出席"}
STATUS_LABELS = {"pending": "未確定", "approved": "確定", "rejected": "否認"}


class CommissionRule(BaseModel):
    """Percent of the sale or a fixed amount in yen, for one product or all, first or last touch within N days."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["percent", "fixed"] = "percent"
    percent: float | None = Field(default=None, gt=0, le=100)
    yen: int | None = Field(default=None, ge=1, le=10_000_000)
    product_id: str | None = None  # None: every product
    touch: Literal["first", "last"] = "last"
    window_days: int = Field(default=30, ge=1, le=365)
    recurring: bool = False  # 継続課金: every later paid invoice of a subscription / installments earns too
    signup_yen: int | None = Field(default=None, ge=1, le=10_000_000)  # 申し込み時: on a subscription's sign-up

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


class SeminarReward(BaseModel):
    """エキスパ's セミナーアフィリ: a fixed reward per registration or attendance, for one seminar or all."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    seminar_id: str | None = None  # None: every seminar
    on: Literal["registration", "attendance"] = "registration"
    yen: int = Field(ge=1, le=10_000_000)


class PartnerDefinition(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    channel_id: str = Field(min_length=1)  # the LINE channel its referral link adds
    seminar_ids: list[str] = Field(default_factory=list, max_length=50)
    rules: list[CommissionRule] = Field(default_factory=list, max_length=20)
    seminar_rewards: list[SeminarReward] = Field(default_factory=list, max_length=20)
    promotion_codes: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("promotion_codes")
    @classmethod
    def _promotion_codes(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        for code in cleaned:
            if not _PROMO.fullmatch(code):
                raise ValueError(f"プロモーションコードIDは Stripe の promo_ で始まるIDです: {code[:40]}")
        return cleaned

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


class ReportMailer(Protocol):
    """Sends the partner the link to their report from the workspace's default verified sender."""

    def send_report_link(self, workspace_id: str, *, to: str, name: str, url: str) -> str: ...


class EmailReportMailer:
    """The report link by e-mail: from the workspace's default sender identity (verified in SES; refused
    otherwise, never sent as someone else), through the one e-mail sender of the composition root. A service
    e-mail to a business partner, not marketing: no unsubscribe footer."""

    def __init__(self, senders: Any, email: Any) -> None:
        self.senders = senders  # haishin.senders.service.SenderService
        self.email = email  # haishin.delivery.email_sms.EmailSender

    def send_report_link(self, workspace_id: str, *, to: str, name: str, url: str) -> str:
        sender = self.senders.for_send(workspace_id, None)
        subject = "パートナー成果レポートのご案内"
        text = (f"{name} 様\n\nいつもご紹介ありがとうございます。\n"
                f"紹介した友だち・売上・報酬(確定/未確定)は次のページでいつでもご確認いただけます。\n\n{url}\n\n"
                "このURLはあなた専用です。ほかの方には共有しないでください。\n")
        return str(self.email.send(source=sender.source, to=to, subject=subject, html=None, text=text))


class PartnerService:
    def __init__(self, *, repository: PartnerRepository, routes: RouteService, route_repository: RouteRepository,
                 signer: Any, zone_of: Callable[[str], str] | None = None,
                 mailer: Callable[[], ReportMailer] | None = None) -> None:
        self.repository = repository
        self.routes = routes
        self.route_repository = route_repository
        self.signer = signer  # haishin.forms.tokens.LinkSigner: the workspace's signing key
        self._zone_of = zone_of  # the workspace's time zone (Settings → 一般), for the month of each row
        self._mailer = mailer

    def _month(self, workspace_id: str, at: datetime) -> str:
        name = (self._zone_of(workspace_id) if self._zone_of else None) or settings().default_time_zone
        return at.astimezone(ZoneInfo(name)).strftime("%Y-%m")

    # ------------------------------------------------------------------ CRUD
    def _check_promotion_codes(self, workspace_id: str, definition: PartnerDefinition, partner_id: str) -> None:
        """A promotion code names one partner: the purchase it was used for must not earn for two."""
        if not definition.promotion_codes:
            return
        for other in self.repository.all(workspace_id):
            taken = set(other.promotion_codes or []) & set(definition.promotion_codes)
            if other.partner_id != partner_id and taken:
                raise ValidationFailed(f"プロモーションコード {sorted(taken)[0]} はパートナー「{other.name}」に"
                                       "設定済みです", where="promotion_codes")

    def create(self, workspace_id: str, raw: Any) -> PartnerModel:
        definition = parse_definition(raw)
        partner_id = ids.new_id("ptn_")
        self._check_promotion_codes(workspace_id, definition, partner_id)
        route = self.routes.create(workspace_id, RouteDefinition(
            name=f"パートナー: {definition.name}"[:100], folder="パートナー", channel_id=definition.channel_id))
        now = clock.now()
        partner = self.repository.new(
            workspace_id, partner_id, name=definition.name, email=definition.email, route_id=route.route_id,
            seminar_ids=definition.seminar_ids, rules=[r.model_dump() for r in definition.rules],
            seminar_rewards=[r.model_dump() for r in definition.seminar_rewards],
            promotion_codes=definition.promotion_codes, link_version=1, created_at=now, updated_at=now)
        return self.repository.save(partner)

    def replace(self, workspace_id: str, partner_id: str, raw: Any) -> PartnerModel:
        definition = parse_definition(raw)
        partner = self.repository.require(workspace_id, partner_id)
        self._check_promotion_codes(workspace_id, definition, partner_id)
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
        partner.seminar_rewards = [r.model_dump() for r in definition.seminar_rewards]
        partner.promotion_codes = definition.promotion_codes
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
            "rules": list(partner.rules or []), "seminar_rewards": list(partner.seminar_rewards or []),
            "promotion_codes": list(partner.promotion_codes or []),
            "friends": self.route_repository.friend_count(workspace_id, partner.route_id),
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

    # ------------------------------------------------------------------ the product page's ``ref``
    def _ref_mac(self, workspace_id: str, code: str, epoch: int, *, create: bool) -> str:
        key = self.signer.key(workspace_id, create=create)
        message = "|".join([REF_PURPOSE, workspace_id, code, str(epoch)]).encode()
        return _b64(hmac.new(key, message, hashlib.sha256).digest())[:22]

    def sign_ref(self, workspace_id: str, code: str) -> str | None:
        """``/p/<product>?ref=<code>``: the visit, signed for the page's form (``<code>.<epoch>.<mac>``), so the
        checkout credits the partner as a touch at the visit and no one can move the visit's time. None for a
        code that is no partner's of this workspace (the page still sells, crediting nobody)."""
        code = code.strip()
        if not _SAFE_ID.fullmatch(code) or self.partner_for_code(workspace_id, code) is None:
            return None
        epoch = int(clock.now().timestamp())
        return f"{code}.{epoch}.{self._ref_mac(workspace_id, code, epoch, create=True)}"

    def verify_ref(self, workspace_id: str, signed: str) -> tuple[str, datetime] | None:
        """The partner code and the visit time of a signed ``ref``; None when forged or malformed."""
        parts = signed.split(".") if signed.isascii() else []
        if len(parts) != 3 or not _SAFE_ID.fullmatch(parts[0]) or not parts[1].isdigit() or len(parts[1]) > 12:
            return None
        code, epoch = parts[0], int(parts[1])
        try:
            expected = self._ref_mac(workspace_id, code, epoch, create=False)
        except NotFound:
            return None
        if not hmac.compare_digest(expected, parts[2]):
            return None
        return code, datetime.fromtimestamp(epoch, tz=UTC)

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
        elif event_type == "subscription_invoice_paid":
            self.on_invoice(workspace_id, data)
        elif event_type == "purchase_refunded":
            self.on_refund(workspace_id, data)
        elif event_type == "seminar_registered":
            self.on_registration(workspace_id, data)
        elif event_type == "seminar_attended":
            self.on_attendance(workspace_id, data)
        return 0

    def _touches(self, workspace_id: str, subscriber_id: str, partners: list[PartnerModel]
                 ) -> dict[str, tuple[datetime, datetime]]:
        """partner ID → when the friend first and last came by its route (one BatchGetItem per 100 partners)."""
        by_route = {p.route_id: p.partner_id for p in partners}
        found = self.route_repository.friend_touches(workspace_id, list(by_route), subscriber_id)
        return {by_route[route_id]: touch for route_id, touch in found.items() if route_id in by_route}

    @staticmethod
    def rule_for(partner: PartnerModel, product_id: str | None) -> CommissionRule | None:
        rules = [CommissionRule.model_validate(r) for r in partner.rules or []]
        return next((r for r in rules if r.product_id and r.product_id == product_id), None) \
            or next((r for r in rules if not r.product_id), None)

    def _by_code(self, workspace_id: str, partners: list[PartnerModel], code: str) -> PartnerModel | None:
        route = self.route_repository.by_code(code) if code else None
        if route is None or route.workspace_id != workspace_id:
            return None
        return next((p for p in partners if p.route_id == route.route_id), None)

    def partner_for_code(self, workspace_id: str, code: str) -> PartnerModel | None:
        """The partner whose referral code this is (a ``ref`` on a product or seminar page), else None."""
        return self._by_code(workspace_id, self.repository.all(workspace_id), code)

    def attributed(self, workspace_id: str, subscriber_id: str | None, product_id: str | None, at: datetime, *,
                   promotion_codes: list[str] | tuple[str, ...] = (), ref_code: str | None = None,
                   ref_at: datetime | None = None) -> list[tuple[PartnerModel, CommissionRule]]:
        """The partners a purchase at ``at`` earns a commission for, with the rule that applies.

        A promotion code linked to a partner decides alone (the buyer named the partner at the checkout). Else the
        touches: the route arrivals, plus the product page's ``ref`` as a touch at the visit ``ref_at``."""
        partners = self.repository.all(workspace_id)
        used = set(promotion_codes)
        for partner in partners:
            if used & set(partner.promotion_codes or []):
                rule = self.rule_for(partner, product_id)
                return [(partner, rule)] if rule is not None else []
        touches = self._touches(workspace_id, subscriber_id, partners) if subscriber_id else {}
        referrer = self._by_code(workspace_id, partners, ref_code or "") if ref_at else None
        if referrer is not None and ref_at is not None:
            came_first, came_last = touches.get(referrer.partner_id, (ref_at, ref_at))
            touches[referrer.partner_id] = (min(came_first, ref_at), max(came_last, ref_at))
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

    def _add(self, workspace_id: str, order_key: str, partner_id: str, row: CommissionModel) -> bool:
        """A commission row, written once, and its key on the order index (so refunds find it)."""
        if row.status is None:
            row.status = "pending" if int(row.commission or 0) != 0 else "approved"  # nothing to pay: no approval
        added = self.repository.add_row(row)
        self.repository.index_row(workspace_id, order_key, partner_id, row.sk)
        return added

    def on_purchase(self, workspace_id: str, data: dict[str, Any]) -> None:
        subscriber_id, order_id = data.get("subscriber_id"), data.get("order_id")
        if not order_id or not (subscriber_id or data.get("promotion_codes") or data.get("partner_ref")):
            return
        amount = int(data.get("amount") or 0)
        now = clock.now()
        indexed = self.repository.order_partners(workspace_id, order_id)
        if indexed:  # a redelivery: the attribution was decided by the first delivery
            chosen = [(i.sk, CommissionRule.model_validate(i.rule)) for i in indexed if i.rule]
        else:
            ref_at = _parse_time(data.get("partner_ref_at"))
            chosen = [(p.partner_id, rule) for p, rule in self.attributed(
                workspace_id, subscriber_id, data.get("product_id"), now,
                promotion_codes=[str(c) for c in data.get("promotion_codes") or []],
                ref_code=str(data.get("partner_ref") or ""), ref_at=ref_at)]
            for partner_id, rule in chosen:
                self.repository.index_order(workspace_id, order_id, partner_id, rule=rule.model_dump(), at=now)
        recurring = str(data.get("kind") or "one_time") != "one_time"
        month = self._month(workspace_id, now)
        for partner_id, rule in chosen:
            common = {"subscriber_id": subscriber_id, "order_id": order_id, "product_id": data.get("product_id"),
                      "rule": rule.model_dump(), "cause": data.get("stripe_event_id"), "at": now}
            if amount > 0 or not recurring:
                row = self.repository.new_row(workspace_id, partner_id, month, f"sale:{order_id}", kind="sale",
                                              amount=amount, commission=rule.commission(amount), **common)
                if self._add(workspace_id, order_id, partner_id, row):
                    log.info("partner %s: commission %s for order %s", partner_id, row.commission, order_id)
            if recurring and rule.signup_yen:
                self._add(workspace_id, order_id, partner_id, self.repository.new_row(
                    workspace_id, partner_id, month, f"signup:{order_id}", kind="signup", amount=0,
                    commission=int(rule.signup_yen), **common))

    def on_invoice(self, workspace_id: str, data: dict[str, Any]) -> None:
        """``subscription_invoice_paid``: a later invoice of a subscription or installments earns by the rule
        kept at the purchase when it says ``recurring`` (the first invoice is the purchase's own)."""
        order_id, invoice_id = data.get("order_id"), data.get("invoice_id")
        if not order_id or not invoice_id or data.get("billing_reason") == "subscription_create":
            return
        amount = int(data.get("invoice_amount") or 0)
        now = clock.now()
        for item in self.repository.order_partners(workspace_id, order_id):
            rule = CommissionRule.model_validate(item.rule) if item.rule else None
            if rule is None or not rule.recurring or amount <= 0:
                continue
            self._add(workspace_id, order_id, item.sk, self.repository.new_row(
                workspace_id, item.sk, self._month(workspace_id, now), f"invoice:{invoice_id}", kind="invoice",
                subscriber_id=data.get("subscriber_id"), order_id=order_id, product_id=data.get("product_id"),
                invoice_id=str(invoice_id), amount=amount, commission=rule.commission(amount), rule=item.rule,
                cause=data.get("stripe_event_id"), at=now))

    def _order_rows(self, workspace_id: str, order_id: str) -> dict[str, list[CommissionModel]]:
        """partner ID → its rows for the order, from the order index (no partner is read)."""
        found: dict[str, list[CommissionModel]] = {}
        for item in self.repository.order_partners(workspace_id, order_id):
            found[item.sk] = self.repository.rows_by_keys(workspace_id, item.sk, item.row_keys or set())
        return found

    def on_refund(self, workspace_id: str, data: dict[str, Any]) -> None:
        order_id, event_id = data.get("order_id"), str(data.get("stripe_event_id") or "")
        if not order_id or not event_id:
            return
        refunded = int(data.get("refunded_total") or 0)
        now = clock.now()
        for partner_id, rows in self._order_rows(workspace_id, order_id).items():
            earning = [r for r in rows if r.kind in EARNING]
            if not earning or any(r.cause == event_id and r.kind == "reversal" for r in rows):
                continue
            # what the order paid in all (a subscription's invoices that earned nothing too): a refund takes back
            # its share of the whole, since Stripe's refunded total does not say which invoice it was
            paid = max(int(data.get("amount") or 0), sum(int(r.amount or 0) for r in earning))
            # a rejected commission was never owed: there is nothing of it to take back
            earned = sum(int(r.commission or 0) for r in earning if r.status != "rejected")
            share = earned if paid <= 0 or refunded >= paid else earned * refunded // paid
            reversals = [r for r in rows if r.kind == "reversal"]
            reversed_so_far = -sum(int(r.commission or 0) for r in reversals)
            refunded_so_far = -sum(int(r.amount or 0) for r in reversals)
            delta = share - reversed_so_far
            if delta <= 0 and refunded <= refunded_so_far:
                continue
            first = earning[0]
            self._add(workspace_id, order_id, partner_id, self.repository.new_row(
                workspace_id, partner_id, self._month(workspace_id, now), f"reversal:{event_id}", kind="reversal",
                subscriber_id=first.subscriber_id, order_id=order_id, product_id=first.product_id,
                amount=-max(0, min(refunded, paid or refunded) - refunded_so_far), commission=-max(0, delta),
                rule=first.rule, cause=event_id, at=now))

    @staticmethod
    def _seminar_reward(partner: PartnerModel, seminar_id: str | None, on: str) -> int:
        rewards = [SeminarReward.model_validate(r) for r in partner.seminar_rewards or []]
        match = next((r for r in rewards if r.on == on and r.seminar_id and r.seminar_id == seminar_id), None) \
            or next((r for r in rewards if r.on == on and not r.seminar_id), None)
        return match.yen if match else 0

    def on_registration(self, workspace_id: str, data: dict[str, Any]) -> None:
        """``seminar_registered``: the partner named by the registration (its code from a per-seminar link, or its
        ID), else the friend's last partner touch within 30 days. Counted, with the partner's fixed seminar reward
        for a registration (if it has one); the partner is kept on the order index as ``reg:<registration_id>``
        so the attendance earns for the same partner."""
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
            partner = self._by_code(workspace_id, partners, str(hint_code))
        now = clock.now()
        if partner is None and subscriber_id:
            touches = self._touches(workspace_id, subscriber_id, partners)
            recent = {p: t for p, t in touches.items() if now - t[1] <= timedelta(days=30)}
            if recent:
                best = max(recent, key=lambda p: recent[p][1])
                partner = next(p for p in partners if p.partner_id == best)
        if partner is None:
            return
        seminar_id = data.get("seminar_id") or data.get("event_id")
        key = f"reg:{registration_id}"
        self.repository.index_order(workspace_id, key, partner.partner_id, rule=None, at=now)
        self._add(workspace_id, key, partner.partner_id, self.repository.new_row(
            workspace_id, partner.partner_id, self._month(workspace_id, now), f"registration:{registration_id}",
            kind="registration", subscriber_id=subscriber_id, seminar_id=seminar_id, cause=str(registration_id),
            commission=self._seminar_reward(partner, seminar_id, "registration"), at=now))

    def on_attendance(self, workspace_id: str, data: dict[str, Any]) -> None:
        """``seminar_attended``: the partner the registration was attributed to earns its attendance reward."""
        registration_id = data.get("registration_id")
        if not registration_id:
            return
        key = f"reg:{registration_id}"
        seminar_id = data.get("seminar_id") or data.get("event_id")
        now = clock.now()
        for item in self.repository.order_partners(workspace_id, key):
            partner = self.repository.find(workspace_id, item.sk)
            reward = self._seminar_reward(partner, seminar_id, "attendance") if partner else 0
            if reward <= 0:
                continue
            self._add(workspace_id, key, item.sk, self.repository.new_row(
                workspace_id, item.sk, self._month(workspace_id, now), f"attendance:{registration_id}",
                kind="attendance", subscriber_id=data.get("subscriber_id"), seminar_id=seminar_id,
                cause=str(registration_id), commission=reward, at=now))

    # ------------------------------------------------------------------ approval (未確定 → 確定 / 否認)
    def commissions(self, workspace_id: str, *, status: str | None = "pending", month: str | None = None
                    ) -> list[dict[str, Any]]:
        """Rows with a commission across partners, newest first, for the approval screen."""
        if status is not None and status not in STATUSES:
            raise ValidationFailed("状態は pending / approved / rejected のいずれかです", where="status")
        if month:
            _check_month(month)
        out = []
        for partner in self.repository.all(workspace_id):
            for row in self.repository.rows(workspace_id, partner.partner_id, month):
                if int(row.commission or 0) == 0 or (status and (row.status or "pending") != status):
                    continue
                out.append({"partner_id": partner.partner_id, "partner_name": partner.name, **_row_view(row)})
        return sorted(out, key=lambda r: (r["at"], r["key"]), reverse=True)[:1000]

    def decide(self, workspace_id: str, raw: Any, *, by: str) -> dict[str, Any]:
        """Approve (確定) or reject (否認) rows in bulk: ``{"decision": ..., "rows": [{"partner_id", "key"}]}``.
        Every row is checked first: an unknown one refuses the whole request and nothing changes."""
        if not isinstance(raw, dict) or raw.get("decision") not in ("approved", "rejected"):
            raise ValidationFailed("decision は approved(確定) か rejected(否認) です", where="decision")
        items = raw.get("rows")
        if not isinstance(items, list) or not items or len(items) > 500:
            raise ValidationFailed("確定・否認する報酬を 1〜500 件選んでください", where="rows")
        rows = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("partner_id"), str) \
                    or not isinstance(item.get("key"), str) or not _SAFE_ID.fullmatch(item["partner_id"]):
                raise ValidationFailed("partner_id と key を指定してください", where=f"rows.{index}")
            row = self.repository.row_by_key(workspace_id, item["partner_id"], item["key"])
            if row is None or int(row.commission or 0) == 0:
                raise NotFound("報酬の明細が見つかりません", where=f"rows.{index}")
            rows.append(row)
        decision: str = raw["decision"]
        now = clock.now()
        changed = sum(1 for row in rows if (row.status or "pending") != decision
                      and self.repository.decide(row, decision, by=by, at=now))
        return {"decision": decision, "changed": changed, "rows": [_row_view(r) for r in rows]}

    # ------------------------------------------------------------------ e-mailing the report link
    def email_report_link(self, workspace_id: str, partner_id: str) -> dict[str, Any]:
        partner = self.get(workspace_id, partner_id)
        if not partner.email:
            raise ValidationFailed("このパートナーにはメールアドレスが登録されていません", where="email")
        if self._mailer is None:
            raise ValidationFailed("メール送信が設定されていません", where="email")
        message_id = self._mailer().send_report_link(workspace_id, to=partner.email, name=partner.name,
                                                     url=self.report_url(workspace_id, partner))
        return {"sent_to": partner.email, "message_id": message_id}

    # ------------------------------------------------------------------ reports
    def report(self, workspace_id: str, partner_id: str) -> dict[str, Any]:
        partner = self.get(workspace_id, partner_id)
        months: dict[str, dict[str, int]] = defaultdict(lambda: {
            "sales": 0, "sales_amount": 0, "refunds": 0, "refunded_amount": 0, "commission": 0,
            "approved_commission": 0, "pending_commission": 0, "registrations": 0, "attendances": 0})
        rows = self.repository.rows(workspace_id, partner_id)
        for row in rows:
            month = months[row.month]
            if row.kind in EARNING:
                month["sales"] += 1
                month["sales_amount"] += int(row.amount or 0)
            elif row.kind == "reversal":
                month["refunds"] += 1
                month["refunded_amount"] += -int(row.amount or 0)
            elif row.kind == "registration":
                month["registrations"] += 1
            elif row.kind == "attendance":
                month["attendances"] += 1
            status = row.status or "pending"
            if status != "rejected":
                month["commission"] += int(row.commission or 0)
            if status == "approved":
                month["approved_commission"] += int(row.commission or 0)
            elif status == "pending":
                month["pending_commission"] += int(row.commission or 0)
        recent = sorted((r for r in rows if r.kind not in ("registration", "attendance") or r.commission),
                        key=lambda r: r.at, reverse=True)[:50]
        return {
            "partner_id": partner_id, "name": partner.name,
            "friends": self.route_repository.friend_count(workspace_id, partner.route_id),
            "months": [{"month": m, **v} for m, v in sorted(months.items(), reverse=True)],
            "total_commission": sum(v["commission"] for v in months.values()),
            "approved_commission": sum(v["approved_commission"] for v in months.values()),
            "pending_commission": sum(v["pending_commission"] for v in months.values()),
            "rows": [_row_view(r) for r in recent],
        }

    def payout_csv(self, workspace_id: str, month: str, encoding: Encoding = "utf-8-sig") -> bytes:
        """One line per partner for ``month`` (YYYY-MM): its approved (確定) sales, refunds and the commission to
        pay; rows still pending or rejected are left out (no money moves)."""
        _check_month(month)
        if encoding not in ("utf-8-sig", "cp932"):
            raise ValidationFailed("文字コードは utf-8-sig か cp932 です", where="encoding")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["対象月", "パートナーID", "パートナー名", "メールアドレス", "紹介コード", "売上件数",
                         "売上金額", "返金件数", "返金額", "セミナー申込数", "報酬額"])
        for partner in sorted(self.repository.all(workspace_id), key=lambda p: (p.name, p.partner_id)):
            rows = [r for r in self.repository.rows(workspace_id, partner.partner_id, month)
                    if r.status == "approved"]
            try:
                code = self.routes.get(workspace_id, partner.route_id).code
            except NotFound:
                code = ""
            sales = [r for r in rows if r.kind in EARNING]
            refunds = [r for r in rows if r.kind == "reversal"]
            writer.writerow([neutralise(str(c)) for c in (
                month, partner.partner_id, partner.name, partner.email or "", code, len(sales),
                sum(int(r.amount or 0) for r in sales), len(refunds), -sum(int(r.amount or 0) for r in refunds),
                sum(1 for r in rows if r.kind == "registration"), sum(int(r.commission or 0) for r in rows))])
        return encode_csv(buffer.getvalue(), encoding)


def _check_month(month: str) -> None:
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() \
            or not 1 <= int(month[5:]) <= 12:
        raise ValidationFailed("対象月は YYYY-MM の形式で指定してください(例: 2026-12)", where="month")


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else None


def _row_view(row: CommissionModel) -> dict[str, Any]:
    return {"key": row.sk, "month": row.month, "kind": row.kind, "order_id": row.order_id,
            "product_id": row.product_id, "seminar_id": row.seminar_id, "invoice_id": row.invoice_id,
            "amount": int(row.amount or 0), "commission": int(row.commission or 0),
            "status": row.status or "pending", "decided_by": row.decided_by,
            "decided_at": iso(row.decided_at) if row.decided_at else None, "at": iso(row.at)}

