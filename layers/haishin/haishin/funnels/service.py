"""Funnels (ファネル): what building, visiting, opting in and buying on a funnel's pages do.

A funnel is an ordered list of pages (opt-in, thank-you, sales, checkout, upsell/downsell, thanks); a page's "next"
is the page after it. The public side reuses what exists: an opt-in is the hosted form's own submit
(``FormService.submit``: the e-mail reader or friend, tags, the form's actions), then the funnel's scenario starts
for that subscriber; a purchase is the product's Stripe Checkout (``PaymentService.start_checkout``, its order bump
the second line item) returning to the funnel's next page; the add-friend button goes through an inflow route
(``/r/<code>?fv=<visit>``: LINE Login, the friend added, the route's actions) and carries the visitor's signed
reference, so the friend is this visitor's LINE opt-in (``arrived``: noted on the visitor, counted, the funnel's
scenario started once). A page's A/B variants split visitors with the broadcast A/B tests' assignment and are judged
by their statistics (``haishin.abtests``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from haishin import clock
from haishin.abtests.assign import variant_index, variant_label
from haishin.abtests.stats import Arm, Sample, revenue_verdict, verdict
from haishin.actions import StartScenario
from haishin.assets.service import AssetService, image_url
from haishin.errors import NotFound, ValidationFailed
from haishin.forms.collab import Collaborators
from haishin.forms.service import FormService, SubmitResult
from haishin.forms.tokens import LinkSigner, TokenInvalid
from haishin.funnels.inputs import Button, Countdown, FormBlock, FunnelIn, Image, PageIn, ProductBlock
from haishin.funnels.models import FunnelModel
from haishin.funnels.repository import Counter, FunnelRepository
from haishin.ids import new_id
from haishin.payments.service import OneClickUnavailable
from haishin.payments.state import PURCHASED
from haishin.public_url import public_base
from haishin.storage.once import Once

log = logging.getLogger(__name__)

VISIT_TTL = timedelta(days=90)  # a visitor counts once per page and variant within this time
OFFERS = frozenset({"upsell", "downsell"})  # post-purchase pages: one click on the saved card
PURCHASE_TTL = timedelta(days=400)  # payments republishes a paid order's purchase_completed with its later events
TRIGGER = "funnel"  # the scenario enrollments an opt-in starts carry this trigger (its first step leaves at once)
VISIT_PURPOSE = "funnel-visit"  # the signed visitor reference a LINE button's route URL carries (LinkSigner)
# how long a page's LINE button keeps its visitor: long enough to read the page, short so a copied button link soon
# stops naming the visitor who copied it
VISIT_REF_TTL = timedelta(hours=2)


def funnel_url(workspace_id: str, funnel_id: str, page_id: str) -> str:
    return f"{public_base()}/f/{workspace_id}/{funnel_id}/{page_id}"


@dataclass(frozen=True)
class Visitor:
    """A browser, known by its cookie: a random ID and when it first opened this funnel (evergreen countdowns)."""

    visitor_id: str
    first_seen: datetime


@dataclass
class PageView:
    """What one visitor sees on one page: the variant's blocks and what they need (form, product, deadlines)."""

    workspace_id: str
    funnel_id: str
    page: PageIn
    variant: str  # "A" (the page's own blocks) or "B".."D"
    title: str
    blocks: list[Any]
    next_url: str | None
    after_offer_url: str | None = None  # an upsell/downsell bought: the first page after the downsells
    form: SubmitResult | None = None  # the form block's form (fields, nonce), errors after a refused post
    product: Any = None  # the product block's haishin.payments.products.ProductDefinition
    deadlines: dict[int, datetime] = field(default_factory=dict)  # countdown block index -> when it ends
    member_urls: list[str] = field(default_factory=list)  # a thanks page: the member sites the purchase opened
    visit_ref: str = ""  # a LINE button's route URL carries it (``?fv=``): this visitor on this page and variant


class FunnelService:
    def __init__(self, collab: Collaborators, *, forms: FormService, payments: Any, routes: Any,
                 signer: LinkSigner | None = None, once: Once | None = None,
                 repository: FunnelRepository | None = None, assets: AssetService | None = None) -> None:
        self.collab = collab
        self.assets = assets or AssetService()  # uploaded images named by image blocks
        self.forms = forms
        self.payments = payments  # haishin.payments.service.PaymentService
        self.routes = routes  # haishin.routes.service.RouteService
        self.signer = signer  # the workspace's link signer: the LINE button's visitor reference
        self.once = once or Once()
        self.repo = repository or FunnelRepository()

    # ------------------------------------------------------------------ admin
    def _check(self, workspace_id: str, body: FunnelIn) -> None:
        """Everything a block names belongs to this workspace (named at its place, in Japanese)."""
        stored = getattr(self.collab.scenarios, "scenarios", None)  # ScenarioService's repository
        if body.scenario_id and stored is not None:
            try:
                stored.require(workspace_id, body.scenario_id)
            except NotFound as exc:
                raise ValidationFailed(f"シナリオ「{body.scenario_id}」が見つかりません", where="scenario_id") from exc
        for p, page in enumerate(body.pages):
            arms = [page.blocks] + [v.blocks for v in page.variants]
            for v, blocks in enumerate(arms):
                for b, block in enumerate(blocks):
                    where = f"pages[{p}]" + (f".variants[{v - 1}]" if v else "") + f".blocks[{b}]"
                    self._check_block(workspace_id, block, where)

    def _check_block(self, workspace_id: str, block: Any, where: str) -> None:
        if isinstance(block, FormBlock):
            try:
                self.forms.get(workspace_id, block.form_id)
            except NotFound as exc:
                raise ValidationFailed(f"フォーム「{block.form_id}」が見つかりません", where=where) from exc
        elif isinstance(block, ProductBlock):
            try:
                self.payments.get_product(workspace_id, block.product_id)
            except NotFound as exc:
                raise ValidationFailed(f"商品「{block.product_id}」が見つかりません", where=where) from exc
        elif isinstance(block, Image) and block.asset_id:
            self.assets.require(workspace_id, block.asset_id, "image", where)
        elif getattr(block, "type", "") == "button" and block.target == "route":
            route = self.routes.by_code(block.route_code)
            if route is None or route.workspace_id != workspace_id:
                raise ValidationFailed(f"流入経路「{block.route_code}」が見つかりません", where=where)

    def create(self, workspace_id: str, body: FunnelIn) -> FunnelModel:
        self._check(workspace_id, body)
        return self.repo.create(workspace_id, new_id("fnl_"), body.model_dump(mode="json"), now=clock.now())

    def get(self, workspace_id: str, funnel_id: str) -> FunnelModel:
        return self.repo.require(workspace_id, funnel_id)

    def all(self, workspace_id: str) -> list[FunnelModel]:
        return self.repo.all(workspace_id)

    def asset_uses(self, workspace_id: str, asset_id: str) -> list[str]:
        """The pages (and A/B variants) whose image blocks show this uploaded image: the assets' delete check
        (``haishin.assets.service.AssetUsers``). Reads the workspace's funnels whole: a few dozen definitions of at
        most 20 pages, one query, so no usage index is kept."""
        out: list[str] = []
        for funnel in self.repo.all(workspace_id):
            name = funnel.definition.get("name") or funnel.funnel_id
            for page in funnel.definition.get("pages") or []:
                arms = [page.get("blocks") or []] + [v.get("blocks") or [] for v in page.get("variants") or []]
                for arm, blocks in enumerate(arms):
                    if any(b.get("type") == "image" and b.get("asset_id") == asset_id for b in blocks):
                        variant = f"（パターン {variant_label(arm)}）" if arm else ""
                        out.append(f"ファネル「{name}」のページ「{page.get('title') or page.get('page_id')}」{variant}")
        return out

    def update(self, workspace_id: str, funnel_id: str, body: FunnelIn) -> FunnelModel:
        item = self.repo.require(workspace_id, funnel_id)
        self._check(workspace_id, body)
        self.repo.save_definition(item, body.model_dump(mode="json"), now=clock.now())
        return item

    def delete(self, workspace_id: str, funnel_id: str) -> None:
        self.repo.delete(self.repo.require(workspace_id, funnel_id))

    def view(self, item: FunnelModel) -> dict[str, Any]:
        definition = FunnelIn.model_validate(item.definition)
        return {"funnel_id": item.funnel_id, **definition.model_dump(mode="json"),
                "urls": {p.page_id: funnel_url(item.workspace_id, item.funnel_id, p.page_id)
                         for p in definition.pages},
                "created_at": item.created_at.isoformat(), "updated_at": item.updated_at.isoformat()}

    def stats(self, workspace_id: str, funnel_id: str) -> dict[str, Any]:
        """Per page and variant: visitors, opt-ins, checkouts started, purchases, revenue (and refunded apart) and
        their rates; with variants, the broadcast A/B tests' verdicts (``haishin.abtests.stats``): the goal rate
        (purchases on a page that sells, else opt-ins) and, on a page that sells, revenue per visitor (Welch)."""
        definition = FunnelIn.model_validate(self.repo.require(workspace_id, funnel_id).definition)
        counted = {(s.page_id, s.variant): s for s in self.repo.stats(workspace_id, funnel_id)}
        pages = []
        for page in definition.pages:
            rows: list[dict[str, Any]] = []
            squares: list[int] = []
            for index in range(1 + len(page.variants)):
                label = variant_label(index)
                item = counted.get((page.page_id, label))
                n = {k: int(getattr(item, k) or 0) if item else 0
                     for k in ("visitors", "optins", "checkouts", "purchases", "revenue", "refunded")}
                squares.append(int(item.revenue_squares or 0) if item else 0)
                visitors = n["visitors"]
                rows.append({"variant": label, "title": page.title if index == 0 else page.variants[index - 1].title,
                             "weight": page.weight if index == 0 else page.variants[index - 1].weight, **n,
                             "optin_rate": n["optins"] / visitors if visitors else 0.0,
                             "checkout_rate": n["checkouts"] / visitors if visitors else 0.0,
                             "purchase_rate": n["purchases"] / visitors if visitors else 0.0,
                             "revenue_per_visitor": n["revenue"] / visitors if visitors else 0.0})
            entry: dict[str, Any] = {"page_id": page.page_id, "kind": page.kind, "title": page.title,
                                     "variants": rows}
            if page.variants:
                goal = "purchases" if _sells(page) else "optins"
                result = verdict([Arm(int(r["visitors"]), int(r[goal])) for r in rows], "conversion_rate", unit="人")
                entry["abtest"] = _verdict_view(result, goal=goal)
                if goal == "purchases":
                    money = revenue_verdict([Sample(int(r["visitors"]), float(r["revenue"]), float(sq))
                                             for r, sq in zip(rows, squares, strict=True)],
                                            [int(r["purchases"]) for r in rows], unit="人")
                    entry["revenue_abtest"] = _verdict_view(money, goal="revenue")
            pages.append(entry)
        return {"funnel_id": funnel_id, "pages": pages}

    # ------------------------------------------------------------------ visitors
    def _published(self, workspace_id: str, funnel_id: str, *, draft: bool = False) -> FunnelIn:
        item = self.repo.get(workspace_id, funnel_id)
        definition = FunnelIn.model_validate(item.definition) if item is not None else None
        if definition is None or (definition.status != "published" and not draft):
            raise NotFound("ページが見つかりません", where=f"funnel {funnel_id}")
        return definition

    def preview(self, workspace_id: str, funnel_id: str, page_id: str) -> PageView:
        """The page as a new visitor sees it, drafts included, counting nothing (the admin's preview)."""
        return self._view(workspace_id, funnel_id, page_id, Visitor("preview", clock.now()), draft=True)

    def open(self, workspace_id: str, funnel_id: str, page_id: str, visitor: Visitor) -> PageView:
        """The page a visitor opens (GET: reads and counts the visitor once; starts nothing)."""
        view = self._view(workspace_id, funnel_id, page_id, visitor)
        if view.form is None and any(isinstance(b, FormBlock) for b in view.blocks):
            raise NotFound("フォームが見つかりません", where=f"funnel {funnel_id} page {page_id}")
        self.once.run_once(f"fn-visit#{workspace_id}#{funnel_id}#{page_id}#{view.variant}#{visitor.visitor_id}",
                           lambda: self._count(view, "visitors"), ttl=VISIT_TTL)
        if view.page.kind == "thanks":
            view.member_urls = self._member_urls(workspace_id, funnel_id, visitor)
        if self.signer is not None and any(isinstance(b, Button) and b.target == "route" for b in view.blocks):
            target = f"{funnel_id}:{page_id}:{view.variant}"
            token = self.signer.mint(VISIT_PURPOSE, workspace_id, visitor.visitor_id, target, VISIT_REF_TTL)
            view.visit_ref = f"{funnel_id}.{page_id}.{view.variant}.{token}"
        return view

    def arrived(self, workspace_id: str, subscriber_id: str, visit: str) -> None:
        """A LINE friend came through a funnel page's LINE button (``RouteVisits``; the route's workspace): the
        visitor's opt-in. Once per visitor (the first friend wins): the friend noted on the visitor (a later purchase
        is theirs), the funnel's scenario started, the opt-in counted on the page and variant. A forged, expired,
        another workspace's or an unpublished funnel's reference is ignored (the friend is still the route's)."""
        found = self._visit(workspace_id, visit)
        if found is None:
            log.info("funnel visit reference ignored in %s", workspace_id)
            return
        funnel_id, page_id, variant, visitor_id, scenario_id = found

        def opt_in() -> None:
            self.repo.remember(workspace_id, funnel_id, visitor_id, subscriber_id=subscriber_id,
                               expires_at=_visitor_expiry())
            self._start_scenario(workspace_id, subscriber_id, scenario_id, f"funnel:{funnel_id}:line:{visitor_id}")
            self.repo.add(workspace_id, funnel_id, page_id, variant, "optins")

        self.once.run_once(f"fn-line-optin#{workspace_id}#{funnel_id}#{visitor_id}", opt_in, ttl=VISIT_TTL)

    def _visit(self, workspace_id: str, visit: str) -> tuple[str, str, str, str, str | None] | None:
        """(funnel, page, variant, visitor, the funnel's scenario) of a reference this workspace signed for a
        published funnel's page; None otherwise."""
        parts = visit.split(".")
        if self.signer is None or len(parts) != 6:
            return None
        funnel_id, page_id, variant = parts[:3]
        try:
            visitor_id = self.signer.verify(VISIT_PURPOSE, workspace_id, f"{funnel_id}:{page_id}:{variant}",
                                            ".".join(parts[3:])).subscriber_id
            definition = self._published(workspace_id, funnel_id)
        except (TokenInvalid, NotFound):
            return None
        if not any(p.page_id == page_id for p in definition.pages):
            return None
        return funnel_id, page_id, variant, visitor_id, definition.scenario_id

    def _start_scenario(self, workspace_id: str, subscriber_id: str, scenario_id: str | None, key: str) -> None:
        """The funnel's scenario for whoever opted in (once per ``key``), its "immediately" first step queued now."""
        if scenario_id:
            self.collab.actions.run(workspace_id, subscriber_id, [StartScenario(scenario_id=scenario_id)],
                                    actor=TRIGGER, idempotency_key=key)
            self.collab.first_steps.queue(workspace_id, subscriber_id, trigger=TRIGGER)

    def _member_urls(self, workspace_id: str, funnel_id: str, visitor: Visitor) -> list[str]:
        """The member sites (``/m/<ws>/<course>/``) of the courses the visitor's paid funnel purchases grant: the
        sale's and each accepted upsell's / downsell's product ``course_ids`` (access itself is haishin.members'
        grant on ``purchase_completed``)."""
        known = self.repo.visitor(workspace_id, funnel_id, visitor.visitor_id, now=int(clock.epoch_seconds()))
        if known is None or not known.order_id:
            return []
        courses: dict[str, None] = {}  # in purchase order, each course once
        for order_id in [known.order_id, *sorted(known.offer_orders or ())]:
            try:
                order = self.payments.get_order(workspace_id, order_id)
                product = self.payments.get_product(workspace_id, order.product_id)
            except NotFound:
                continue
            if order.status in PURCHASED:
                courses.update(dict.fromkeys(product.definition.get("course_ids") or []))
        return [f"{public_base()}/m/{workspace_id}/{course_id}/" for course_id in courses]

    def _view(self, workspace_id: str, funnel_id: str, page_id: str, visitor: Visitor,
              form: SubmitResult | None = None, *, draft: bool = False) -> PageView:
        definition = self._published(workspace_id, funnel_id, draft=draft)
        index = next((i for i, p in enumerate(definition.pages) if p.page_id == page_id), None)
        if index is None:
            raise NotFound("ページが見つかりません", where=f"page {page_id}")
        page = definition.pages[index]
        arm = 0
        if page.variants:
            weights = [page.weight] + [v.weight for v in page.variants]
            arm = variant_index(f"{funnel_id}:{page_id}", visitor.visitor_id, weights)
        title, blocks = (page.title, page.blocks) if arm == 0 else (page.variants[arm - 1].title,
                                                                     page.variants[arm - 1].blocks)
        following = definition.pages[index + 1].page_id if index + 1 < len(definition.pages) else None
        after = next((p.page_id for p in definition.pages[index + 1:] if p.kind != "downsell"), None)
        view = PageView(workspace_id, funnel_id, page, variant_label(arm), title, list(blocks),
                        funnel_url(workspace_id, funnel_id, following) if following else None,
                        funnel_url(workspace_id, funnel_id, after) if after else None)
        zone = ZoneInfo(self.collab.workspaces.get(workspace_id)["time_zone"])
        for i, block in enumerate(blocks):
            if isinstance(block, FormBlock):
                opened = form or self.forms.open(block.form_id, None)
                if opened.form is not None and opened.form.workspace_id == workspace_id and opened.definition:
                    view.form = opened
            elif isinstance(block, ProductBlock):
                product, view.product, _ = self.payments.offer(block.product_id, None)
                if product.workspace_id != workspace_id:
                    raise NotFound("商品が見つかりません", where=f"product {block.product_id}")
            elif isinstance(block, Countdown):
                view.deadlines[i] = _deadline(block, visitor, zone)
            elif isinstance(block, Image) and block.asset_id:  # served by the pages function, same origin
                view.blocks[i] = block.model_copy(update={"url": image_url(workspace_id, block.asset_id)})
        return view

    def _count(self, view: PageView, counter: Counter) -> None:
        self.repo.add(view.workspace_id, view.funnel_id, view.page.page_id, view.variant, counter)

    def opt_in(self, workspace_id: str, funnel_id: str, page_id: str, visitor: Visitor,
               data: dict[str, list[str]], *, ip: str = "") -> tuple[PageView, SubmitResult]:
        """The page's form posted: the hosted form's own submit (its checks, its subscriber, its actions), then the
        funnel's scenario for that subscriber (once per submission). The caller redirects to ``view.next_url``
        when the result is ``thanks`` / ``redirect``, and shows the page again with the errors when ``invalid``."""
        view = self._view(workspace_id, funnel_id, page_id, visitor)
        block = next((b for b in view.blocks if isinstance(b, FormBlock)), None)
        if block is None or view.form is None:
            raise NotFound("このページにはフォームがありません", where=f"page {page_id}")
        result = self.forms.submit(block.form_id, data, ip=ip)
        if result.outcome == "invalid":
            return self._view(workspace_id, funnel_id, page_id, visitor, form=result), result
        if result.outcome not in ("thanks", "redirect") or result.duplicate or not result.subscriber_id:
            return view, result  # refused (throttled, closed), a repeat, or the honeypot: nothing counted
        self._count(view, "optins")
        self.repo.remember(workspace_id, funnel_id, visitor.visitor_id, subscriber_id=result.subscriber_id,
                           expires_at=_visitor_expiry())
        self._start_scenario(workspace_id, result.subscriber_id, self._published(workspace_id, funnel_id).scenario_id,
                             f"funnel:{funnel_id}:{result.submission_id}")
        return view, result

    def checkout(self, workspace_id: str, funnel_id: str, page_id: str, visitor: Visitor) -> str:
        """The page's product block bought; only a POST calls this; returns the URL to send the visitor to.

        On an upsell or downsell page, with the card the visitor's funnel purchase saved: one click
        (``PaymentService.buy_with_saved_card``, once per purchase and product), on to the page after the downsells.
        Otherwise, or when the card cannot be charged so (declined, authentication required): the product's Stripe
        Checkout (the order bump its second line item), returning to the funnel's next page (after an offer: the
        page after the downsells). The purchase is the opted-in visitor's (their subscriber), and a sale before an
        upsell page saves the card."""
        view = self._view(workspace_id, funnel_id, page_id, visitor)
        block = next((b for b in view.blocks if isinstance(b, ProductBlock)), None)
        if block is None:
            raise NotFound("このページには商品がありません", where=f"page {page_id}")
        known = self.repo.visitor(workspace_id, funnel_id, visitor.visitor_id, now=int(clock.epoch_seconds()))
        offer = view.page.kind in OFFERS
        if offer and known is not None and known.order_id:
            try:
                order_id = self.payments.buy_with_saved_card(workspace_id, known.order_id, block.product_id,
                                                             funnel_ref=_funnel_ref(view))
            except OneClickUnavailable:
                log.info("funnel %s page %s: one click unavailable, Checkout instead", funnel_id, page_id)
            else:
                self.once.run_once(f"fn-oneclick#{workspace_id}#{order_id}", lambda: self._count(view, "checkouts"),
                                   ttl=VISIT_TTL)
                self.repo.remember(workspace_id, funnel_id, visitor.visitor_id, offer_order_id=order_id,
                                   expires_at=_visitor_expiry())  # its courses are linked on the thanks page
                return view.after_offer_url or funnel_url(workspace_id, funnel_id, page_id)
        definition = self._published(workspace_id, funnel_id)
        index = next(i for i, p in enumerate(definition.pages) if p.page_id == page_id)
        save_card = any(p.kind in OFFERS for p in definition.pages[index + 1:])
        order_id, url = self.payments.start_order_checkout(
            block.product_id, None, success_url=(view.after_offer_url if offer else view.next_url),
            buyer=known.subscriber_id if known is not None else None, save_card=save_card,
            funnel_ref=_funnel_ref(view))
        if not offer:  # the funnel's sale: its card (saved when an offer follows), its member site on thanks
            self.repo.remember(workspace_id, funnel_id, visitor.visitor_id, order_id=order_id,
                               expires_at=_visitor_expiry())
        else:  # an offer bought on Checkout (no card to charge): its member site on thanks too, once paid
            self.repo.remember(workspace_id, funnel_id, visitor.visitor_id, offer_order_id=order_id,
                               expires_at=_visitor_expiry())
        self._count(view, "checkouts")
        return str(url)


    # ------------------------------------------------------------------ purchases (EventFanout listener)
    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> int:
        """A paid order a funnel page sold (``funnel_ref`` on ``purchase_completed``, set by ``checkout``) counts
        one purchase and its amount on that page's variant, once per order (payments publishes the event again
        with every later Stripe event of a paid order); ``purchase_refunded`` adds what is newly refunded to the
        variant's refunded amount. The purchase itself stays counted."""
        ref = str(data.get("funnel_ref") or "")
        order_id = str(data.get("order_id") or "")
        parts = ref.split(":")
        if len(parts) != 3 or not order_id or event_type not in ("purchase_completed", "purchase_refunded"):
            return 0
        funnel_id, page_id, variant = parts
        if self.repo.get(workspace_id, funnel_id) is None:
            return 0
        if event_type == "purchase_completed":
            amount = int(data.get("amount") or 0)
            self.once.run_once(f"fn-purchase#{workspace_id}#{order_id}", lambda: self.repo.add_purchase(
                workspace_id, funnel_id, order_id, page_id, variant, amount), ttl=PURCHASE_TTL)
        else:
            self.repo.add_refund(workspace_id, funnel_id, order_id, int(data.get("refunded_total") or 0))
        return 0


def _funnel_ref(view: PageView) -> str:
    """What the order carries so its purchase counts on this page's variant (``publish``)."""
    return f"{view.funnel_id}:{view.page.page_id}:{view.variant}"


def _visitor_expiry() -> int:
    return int(clock.epoch_seconds() + VISIT_TTL.total_seconds())


def _verdict_view(result: Any, *, goal: str) -> dict[str, Any]:
    return {"goal": goal, "ready": result.ready, "message": result.message, "leader": result.leader,
            "significant": result.significant, "p_value": result.p_value,
            "probabilities": result.probabilities}


def _sells(page: PageIn) -> bool:
    return any(isinstance(b, ProductBlock) for b in [*page.blocks, *(b for v in page.variants for b in v.blocks)])


def _deadline(block: Countdown, visitor: Visitor, zone: ZoneInfo) -> datetime:
    if block.mode == "evergreen":
        return visitor.first_seen + timedelta(minutes=block.minutes)
    assert block.ends_at is not None
    return block.ends_at if block.ends_at.tzinfo else block.ends_at.replace(tzinfo=zone)
