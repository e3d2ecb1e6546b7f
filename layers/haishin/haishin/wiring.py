"""THE composition root: the one place that builds every service for every handler.

Handlers and routes ask ``services()`` for what they use (``services().worker``, ``services().payments``, ...);
nothing else constructs a service with collaborators of its own choosing. Each service is built on first use and
kept for the container's life, so a Lambda pays only for the part of the graph its path touches.

Why the imports below sit inside the builders: this module names every service of the product, and importing
them all at module level would make the LINE webhook (which must answer in 2 s and imports in ~30 ms) load the
broadcast planner, Stripe glue and CSV code it never runs. This is the one module allowed to import our own
modules lazily (the layering check in ``make lint`` enforces that); it imports only downward, so it creates no
package loop.

Tests and the local system replace parts: ``install(Services(subscribers=fake, ...))``. An override must name a
known collaborator and may not be ``None``: there is no no-op fallback anywhere. ``build_all()`` builds every
service once (a test does it for a fresh container), so a missing collaborator is an error before the first
request, not a log line at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from haishin.actions import ActionRunner
    from haishin.analysis.cross import CrossAnalysis
    from haishin.assets.service import AssetService
    from haishin.audit import AuditLog
    from haishin.autoreplies.rules import AutoReplyStore
    from haishin.bookings.service import BookingService
    from haishin.broadcasts.abtest import BroadcastAbTests
    from haishin.broadcasts.planner import BroadcastPlanner
    from haishin.broadcasts.service import BroadcastService
    from haishin.channels.activity import ChannelActivity
    from haishin.channels.chat import ChatService
    from haishin.channels.service import ChannelService
    from haishin.conversions.service import ConversionService
    from haishin.coupons.service import CouponService
    from haishin.coupons.stripe_codes import StripeCodeJobs
    from haishin.csvio.importer import ImportService
    from haishin.dashboard import Dashboard
    from haishin.delivery.ledger import Ledger
    from haishin.delivery.queue import DeliverySender
    from haishin.delivery.worker import DeliveryWorker
    from haishin.fields.repository import FieldRepository
    from haishin.forms.collab import Collaborators, Messenger
    from haishin.forms.service import FormService
    from haishin.funnels.service import FunnelService
    from haishin.ingest.consumer import LineEventsConsumer
    from haishin.ingest.processor import LineEventProcessor
    from haishin.ingest.webhook import WebhookService
    from haishin.line.client import LineClients
    from haishin.links.service import LinkService
    from haishin.members.service import MemberService
    from haishin.operators.service import OperatorService
    from haishin.optout.keywords import KeywordStore
    from haishin.optout.service import OptOutService
    from haishin.pages.funnels import FunnelPreview
    from haishin.pages.inflow import InflowPages
    from haishin.pages.router import Pages
    from haishin.partners.service import PartnerService
    from haishin.payments.service import PaymentService
    from haishin.render import Renderer
    from haishin.richmenus.relink import FriendMenus, PublishedMenus, RelinkJobs, RichMenuRules, RuleBooks
    from haishin.richmenus.rules_repository import RuleRepository
    from haishin.richmenus.service import RichMenuService
    from haishin.routes.login import InflowLogin
    from haishin.routes.scenario_link import ScenarioLinks
    from haishin.routes.service import RouteService
    from haishin.scenarios.abtest import StepAbTests
    from haishin.scenarios.enrollments import EnrollmentRepository
    from haishin.scenarios.instant import FirstStepsNow, InstantFirstSteps
    from haishin.scenarios.repository import ScenarioRepository
    from haishin.scenarios.schedule import WorkspaceRulesCache
    from haishin.scenarios.service import ScenarioService
    from haishin.scenarios.tick import StepTick
    from haishin.secrets import SecretStore
    from haishin.segments.lists import ListRepository
    from haishin.segments.saved import SavedSegmentRepository
    from haishin.seminars.service import SeminarService
    from haishin.senders.service import SenderService
    from haishin.senders.ses import IdentityApi
    from haishin.storage.once import EventLedger
    from haishin.stripe_api import StripeGateway
    from haishin.subscribers.repository import SubscriberRepository
    from haishin.subscribers.service import CrmService
    from haishin.tags.repository import TagRepository
    from haishin.timeline.models import Timeline
    from haishin.track.line_stats import LineUnitStats
    from haishin.track.service import TrackService
    from haishin.webhook_events import EventFanout
    from haishin.webhooks.service import WebhookService as OutgoingWebhooks
    from haishin.workspaces.service import WorkspaceService

T = TypeVar("T")


class Services:
    """Every service, built once on first use from the collaborators above it in the layer order."""

    def __init__(self, **given: Any) -> None:
        unknown = sorted(set(given) - buildable())
        if unknown:
            raise TypeError(f"not a collaborator of Services: {', '.join(unknown)}")
        missing = sorted(name for name, value in given.items() if value is None)
        if missing:
            raise TypeError(f"None is not a collaborator (no no-op fallbacks): {', '.join(missing)}")
        self._built: dict[str, Any] = dict(given)
        self._lock = threading.RLock()

    def _one(self, name: str, build: Callable[[], T]) -> T:
        built: T
        try:
            built = self._built[name]
            return built
        except KeyError:
            pass
        with self._lock:  # re-entrant: a builder asks for its collaborators
            if name not in self._built:
                self._built[name] = build()
            built = self._built[name]
            return built

    def build_all(self) -> None:
        """Build every service (a fresh container's check that the graph is complete)."""
        for name in sorted(buildable()):
            getattr(self, name)

    # ------------------------------------------------------------------ foundation and outside systems
    @property
    def secrets(self) -> SecretStore:
        def build() -> SecretStore:
            from haishin.secrets import SecretsManagerStore  # noqa: PLC0415

            return SecretsManagerStore()

        return self._one("secrets", build)

    @property
    def line_clients(self) -> LineClients:
        def build() -> LineClients:
            from haishin.line.client import LineClients  # noqa: PLC0415

            return LineClients(self.secrets)

        return self._one("line_clients", build)

    @property
    def renderer(self) -> Renderer:
        def build() -> Renderer:
            from haishin.render import renderer  # noqa: PLC0415

            return renderer()

        return self._one("renderer", build)

    @property
    def stripe(self) -> StripeGateway:
        def build() -> StripeGateway:
            from haishin.stripe_api import StripeGateway  # noqa: PLC0415

            return StripeGateway()

        return self._one("stripe", build)

    @property
    def email(self) -> Any:
        def build() -> Any:
            from haishin.delivery.email_sms import SesEmailSender  # noqa: PLC0415

            return SesEmailSender()

        return self._one("email", build)

    @property
    def sms(self) -> Any:
        def build() -> Any:
            from haishin.delivery.email_sms import SnsSmsSender  # noqa: PLC0415

            return SnsSmsSender()

        return self._one("sms", build)

    @property
    def ses_identities(self) -> IdentityApi:
        """SES v2 e-mail identities (create, read the verification state, delete)."""

        def build() -> IdentityApi:
            from haishin.senders.ses import SesIdentities  # noqa: PLC0415

            return SesIdentities()

        return self._one("ses_identities", build)

    @property
    def sender(self) -> DeliverySender:
        def build() -> DeliverySender:
            from haishin.delivery.queue import SqsDeliverySender  # noqa: PLC0415

            return SqsDeliverySender()

        return self._one("sender", build)

    @property
    def webhooks(self) -> OutgoingWebhooks:
        """Outgoing webhooks (``haishin.webhooks``): endpoints, the ``call_webhook`` action, event subscriptions
        and the WebhookSender consumer."""

        def build() -> OutgoingWebhooks:
            from haishin.webhooks.queue import SqsWebhookQueue  # noqa: PLC0415
            from haishin.webhooks.repository import WebhookRepository  # noqa: PLC0415
            from haishin.webhooks.sender import HttpSender  # noqa: PLC0415
            from haishin.webhooks.service import WebhookService as Outgoing  # noqa: PLC0415

            return Outgoing(WebhookRepository(), self.secrets, SqsWebhookQueue(), HttpSender())

        return self._one("webhooks", build)

    @property
    def events(self) -> EventFanout:
        """Domain events (tag added, form answered, purchase...): outgoing webhooks, then conversions."""

        def build() -> EventFanout:
            from haishin.coupons.service import CheckoutRedemptions  # noqa: PLC0415
            from haishin.webhook_events import EventFanout, LateListener  # noqa: PLC0415

            # the rich menu re-linker after conversions: a tag change re-links the friend's menu (FriendMenus);
            # a Stripe checkout with a coupon's promotion code records its redemption; partners attribute purchases
            # and registrations; seminars confirm a paid seat (or cancel a refunded one), bookings a paid held
            # booking; funnels count a paid order on the page that sold it. Coupons, partners, seminars, bookings and
            # funnels late: they are built from services that publish here.
            return EventFanout(self.webhooks, self.conversions, self.friend_menus,
                               LateListener(lambda: CheckoutRedemptions(self.coupons)),
                               LateListener(lambda: self.partners), LateListener(lambda: self.seminars),
                               LateListener(lambda: self.members), LateListener(lambda: self.bookings),
                               LateListener(lambda: self.funnels))

        return self._one("events", build)

    # ------------------------------------------------------------------ repositories
    @property
    def subscribers(self) -> SubscriberRepository:
        def build() -> SubscriberRepository:
            from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415

            return SubscriberRepository()

        return self._one("subscribers", build)

    @property
    def timeline(self) -> Timeline:
        def build() -> Timeline:
            from haishin.timeline.models import Timeline  # noqa: PLC0415

            return Timeline()

        return self._one("timeline", build)

    @property
    def tags(self) -> TagRepository:
        def build() -> TagRepository:
            from haishin.tags.repository import TagRepository  # noqa: PLC0415

            return TagRepository()

        return self._one("tags", build)

    @property
    def fields(self) -> FieldRepository:
        def build() -> FieldRepository:
            from haishin.fields.repository import FieldRepository  # noqa: PLC0415

            return FieldRepository()

        return self._one("fields", build)

    @property
    def lists(self) -> ListRepository:
        def build() -> ListRepository:
            from haishin.segments.lists import ListRepository  # noqa: PLC0415

            return ListRepository()

        return self._one("lists", build)

    @property
    def saved_segments(self) -> SavedSegmentRepository:
        def build() -> SavedSegmentRepository:
            from haishin.segments.saved import SavedSegmentRepository  # noqa: PLC0415

            return SavedSegmentRepository()

        return self._one("saved_segments", build)

    @property
    def scenarios(self) -> ScenarioRepository:
        def build() -> ScenarioRepository:
            from haishin.scenarios.repository import ScenarioRepository  # noqa: PLC0415

            return ScenarioRepository()

        return self._one("scenarios", build)

    @property
    def enrollments(self) -> EnrollmentRepository:
        def build() -> EnrollmentRepository:
            from haishin.scenarios.enrollments import EnrollmentRepository  # noqa: PLC0415

            return EnrollmentRepository()

        return self._one("enrollments", build)

    @property
    def ledger(self) -> Ledger:
        def build() -> Ledger:
            from haishin.delivery.ledger import Ledger  # noqa: PLC0415

            return Ledger()

        return self._one("ledger", build)

    @property
    def event_ledger(self) -> EventLedger:
        def build() -> EventLedger:
            from haishin.storage.once import EventLedger  # noqa: PLC0415

            return EventLedger()

        return self._one("event_ledger", build)

    @property
    def auto_replies(self) -> AutoReplyStore:
        def build() -> AutoReplyStore:
            from haishin.autoreplies.rules import AutoReplyStore  # noqa: PLC0415

            return AutoReplyStore()

        return self._one("auto_replies", build)

    @property
    def optout_keywords(self) -> KeywordStore:
        def build() -> KeywordStore:
            from haishin.optout.keywords import KeywordStore  # noqa: PLC0415

            return KeywordStore()

        return self._one("optout_keywords", build)

    @property
    def channel_activity(self) -> ChannelActivity:
        def build() -> ChannelActivity:
            from haishin.channels.activity import ChannelActivity  # noqa: PLC0415

            return ChannelActivity()

        return self._one("channel_activity", build)

    @property
    def rules(self) -> WorkspaceRulesCache:
        def build() -> WorkspaceRulesCache:
            from haishin.scenarios.schedule import WorkspaceRulesCache  # noqa: PLC0415

            return WorkspaceRulesCache()

        return self._one("rules", build)

    # ------------------------------------------------------------------ services
    @property
    def senders(self) -> SenderService:
        """The workspace's e-mail sender identities: the From of every e-mail, verified in SES."""

        def build() -> SenderService:
            from haishin.senders.repository import SenderRepository  # noqa: PLC0415
            from haishin.senders.service import SenderService  # noqa: PLC0415

            return SenderService(SenderRepository(), self.ses_identities)

        return self._one("senders", build)

    @property
    def coupons(self) -> CouponService:
        """Coupons: definitions, code pools, the ``coupon()`` message variable, redemption (publishes
        ``coupon_redeemed``)."""

        def build() -> CouponService:
            from haishin.coupons.repository import CouponRepository  # noqa: PLC0415
            from haishin.coupons.service import CouponService  # noqa: PLC0415
            from haishin.forms.tokens import LinkSigner  # noqa: PLC0415

            return CouponService(CouponRepository(write_workers=4), events=self.events, subscribers=self.subscribers,
                                 stripe=lambda: self.payments, signer=LinkSigner(self.secrets),
                                 zone_of=lambda ws: str(self.workspaces.get(ws).get("time_zone") or "Asia/Tokyo"),
                                 queue=self.planner_queue)

        return self._one("coupons", build)

    @property
    def planner_queue(self) -> Any:
        """PlannerQueue for jobs other than broadcasts (the planner Lambda dispatches on ``kind``)."""

        def build() -> Any:
            from haishin.richmenus.relink import SqsRelinkQueue  # noqa: PLC0415

            return SqsRelinkQueue()

        return self._one("planner_queue", build)

    @property
    def coupon_stripe_jobs(self) -> StripeCodeJobs:
        """A pool coupon's per-code Stripe promotion codes (PlannerQueue messages of kind ``coupon_stripe_codes``)."""

        def build() -> StripeCodeJobs:
            from haishin.coupons.stripe_codes import StripeCodeJobs  # noqa: PLC0415

            return StripeCodeJobs(self.coupons.repository, self.payments.promotion_code_writer, self.planner_queue)

        return self._one("coupon_stripe_jobs", build)

    @property
    def workspaces(self) -> WorkspaceService:
        def build() -> WorkspaceService:
            from haishin.workspaces.service import WorkspaceService  # noqa: PLC0415

            return WorkspaceService()

        return self._one("workspaces", build)

    @property
    def audit(self) -> AuditLog:
        def build() -> AuditLog:
            from haishin.audit import AuditLog  # noqa: PLC0415

            return AuditLog()

        return self._one("audit", build)

    @property
    def operators(self) -> OperatorService:
        def build() -> OperatorService:
            from haishin.operators.service import OperatorService  # noqa: PLC0415

            return OperatorService()

        return self._one("operators", build)

    @property
    def scenario_service(self) -> ScenarioService:
        def build() -> ScenarioService:
            from haishin.scenarios.service import ScenarioService  # noqa: PLC0415

            return ScenarioService(self.scenarios, self.enrollments, self.subscribers, self.timeline, self.rules)

        return self._one("scenario_service", build)

    @property
    def actions(self) -> ActionRunner:
        def build() -> ActionRunner:
            from haishin.actions import ActionRunner  # noqa: PLC0415

            return ActionRunner(self.subscribers, self.timeline, scenarios=self.scenario_service,
                                webhooks=self.webhooks, tags=self.tags, events=self.events)

        return self._one("actions", build)

    @property
    def messenger(self) -> Messenger:
        """One-off LINE notices to one friend (auto-replies, thank-you messages, seminar and booking notices),
        queued on DeliveryQueue for the delivery worker's ``notice`` kind."""

        def build() -> Messenger:
            from haishin.delivery.notices import NoticeQueue  # noqa: PLC0415

            return NoticeQueue(self.ledger, self.sender)

        return self._one("messenger", build)

    @property
    def collaborators(self) -> Collaborators:
        """What the friend-facing services (forms, links, payments, opt-out) share."""

        def build() -> Collaborators:
            from haishin.forms.collab import Collaborators  # noqa: PLC0415

            return Collaborators(subscribers=self.subscribers, timeline=self.timeline, secrets=self.secrets,
                                 scenarios=self.scenario_service, actions=self.actions, messenger=self.messenger,
                                 stripe=lambda: self.stripe, workspaces=self.workspaces, webhooks=self.events,
                                 first_steps=self.first_steps_now, seminars=lambda: self.seminars)

        return self._one("collaborators", build)

    @property
    def tick(self) -> StepTick:
        def build() -> StepTick:
            from haishin.scenarios.tick import StepTick  # noqa: PLC0415

            return StepTick(self.scenarios, self.enrollments, self.ledger, self.sender, self.subscribers,
                            self.rules)

        return self._one("tick", build)

    @property
    def optout(self) -> OptOutService:
        def build() -> OptOutService:
            from haishin.optout.service import OptOutService  # noqa: PLC0415

            return OptOutService(self.collaborators)

        return self._one("optout", build)

    @property
    def worker(self) -> DeliveryWorker:
        def build() -> DeliveryWorker:
            from haishin.broadcasts.send import send_broadcast  # noqa: PLC0415
            from haishin.delivery.notices import send_notice  # noqa: PLC0415
            from haishin.delivery.worker import DeliveryWorker  # noqa: PLC0415
            from haishin.scenarios.step_send import StepSender  # noqa: PLC0415

            steps = StepSender(self.scenarios, self.enrollments, actions=self.actions,
                               scenario_control=self.scenario_service, tags=self.tags, abtests=self.step_abtests,
                               menus=self.friend_menus)
            return DeliveryWorker(
                ledger=self.ledger, subscribers=self.subscribers, line_clients=self.line_clients,
                renderer=self.renderer, timeline=self.timeline,
                kinds={"step": steps, "broadcast": send_broadcast, "notice": send_notice},
                email=self.email, sms=self.sms, optout=self.optout, senders=self.senders, track=self.track,
                coupons=self.coupons)

        return self._one("worker", build)

    @property
    def bookings(self) -> BookingService:
        """Slot booking (予約): staff, menus, slots, bookings (haishin.bookings)."""

        def build() -> BookingService:
            from haishin.bookings.mail import BookingMail  # noqa: PLC0415
            from haishin.bookings.service import BookingService  # noqa: PLC0415
            from haishin.storage.once import Once  # noqa: PLC0415

            mail = BookingMail(self.email, self.senders, Once())
            return BookingService(self.collaborators, mail=mail, payments=self.payments)

        return self._one("bookings", build)

    @property
    def forms(self) -> FormService:
        def build() -> FormService:
            from haishin.forms.service import FormService  # noqa: PLC0415

            return FormService(self.collaborators)

        return self._one("forms", build)

    @property
    def funnels(self) -> FunnelService:
        """Funnels (ファネル): pages of blocks, opt-in through a hosted form, checkout, stats and A/B variants."""

        def build() -> FunnelService:
            from haishin.forms.tokens import LinkSigner  # noqa: PLC0415
            from haishin.funnels.service import FunnelService  # noqa: PLC0415

            return FunnelService(self.collaborators, forms=self.forms, payments=self.payments, routes=self.routes,
                                 signer=LinkSigner(self.secrets), assets=self.assets)

        return self._one("funnels", build)

    @property
    def assets(self) -> AssetService:
        """Uploaded images and attachments (the assets bucket): funnel image blocks, lesson attachments."""

        def build() -> AssetService:
            from haishin.assets.service import AssetService  # noqa: PLC0415

            # deleting refuses an asset a funnel or a lesson still names (they are built from this service: late)
            return AssetService(users=lambda: (self.funnels, self.members))

        return self._one("assets", build)

    @property
    def funnel_preview(self) -> FunnelPreview:
        """The funnel builder's preview (the page renderer, loaded only when a preview is asked)."""

        def build() -> FunnelPreview:
            from haishin.pages.funnels import FunnelPreview  # noqa: PLC0415

            return FunnelPreview(self.funnels)

        return self._one("funnel_preview", build)

    @property
    def seminars(self) -> SeminarService:
        """Seminars and events (セミナー・イベント): sessions, registration, waitlist, attendance, roster."""

        def build() -> SeminarService:
            from haishin.seminars.service import SeminarService  # noqa: PLC0415

            return SeminarService(self.collaborators, payments=self.payments)

        return self._one("seminars", build)

    @property
    def members(self) -> MemberService:
        """Member sites (会員サイト): courses, access from purchases / tags / staff, drip, member login, progress."""

        def build() -> MemberService:
            from haishin.members.service import MemberService  # noqa: PLC0415

            return MemberService(self.collaborators, payments=self.payments, email=self.email, senders=self.senders,
                                 channels=self.channels, assets=self.assets)

        return self._one("members", build)

    @property
    def track(self) -> TrackService:
        """Click tracking on every message (URLs rewritten at render time, clicks counted per source)."""

        def build() -> TrackService:
            from haishin.track.service import TrackService  # noqa: PLC0415

            return TrackService(secrets=self.secrets, subscribers=self.subscribers, timeline=self.timeline)

        return self._one("track", build)

    @property
    def conversions(self) -> ConversionService:
        """Conversion points: recording once, attribution (last click, last message, route), counts."""

        def build() -> ConversionService:
            from haishin.conversions.repository import ConversionRepository  # noqa: PLC0415
            from haishin.conversions.service import ConversionService  # noqa: PLC0415
            from haishin.storage.once import Once  # noqa: PLC0415

            return ConversionService(repository=ConversionRepository(), track=self.track,
                                     subscribers=self.subscribers, timeline=self.timeline, once=Once())

        return self._one("conversions", build)

    @property
    def line_stats(self) -> LineUnitStats:
        """LINE's per-unit statistics (opens, URL taps) of broadcasts and scenario steps."""

        def build() -> LineUnitStats:
            from haishin.track.line_stats import LineUnitStats  # noqa: PLC0415

            return LineUnitStats(line_clients=self.line_clients)

        return self._one("line_stats", build)

    @property
    def links(self) -> LinkService:
        def build() -> LinkService:
            from haishin.links.service import LinkService  # noqa: PLC0415

            return LinkService(self.collaborators)

        return self._one("links", build)

    @property
    def routes(self) -> RouteService:
        """Inflow routes (流入経路): CRUD, QR codes, attribution."""

        def build() -> RouteService:
            from haishin.routes.repository import RouteRepository  # noqa: PLC0415
            from haishin.routes.service import RouteService  # noqa: PLC0415

            # a funnel page's LINE button: the friend is that visitor's opt-in (funnels are built from routes: late)
            return RouteService(repository=RouteRepository(), channels=self.channels, subscribers=self.subscribers,
                                timeline=self.timeline, actions=self.actions, visits=lambda: self.funnels)

        return self._one("routes", build)

    @property
    def partners(self) -> PartnerService:
        """Partners and affiliates: referral routes, commission rules, attribution, reports, payout CSV."""

        def build() -> PartnerService:
            from haishin.forms.tokens import LinkSigner  # noqa: PLC0415
            from haishin.partners.repository import PartnerRepository  # noqa: PLC0415
            from haishin.partners.service import EmailReportMailer, PartnerService  # noqa: PLC0415
            from haishin.routes.repository import RouteRepository  # noqa: PLC0415

            return PartnerService(repository=PartnerRepository(), routes=self.routes,
                                  route_repository=RouteRepository(), signer=LinkSigner(self.secrets),
                                  zone_of=lambda ws: str(self.workspaces.get(ws).get("time_zone") or "Asia/Tokyo"),
                                  mailer=lambda: EmailReportMailer(self.senders, self.email))

        return self._one("partners", build)

    @property
    def scenario_links(self) -> ScenarioLinks:
        """A scenario's own friend-add link and QR (an inflow route that starts it, replacing the welcome)."""

        def build() -> ScenarioLinks:
            from haishin.routes.scenario_link import ScenarioLinks  # noqa: PLC0415

            return ScenarioLinks(routes=self.routes, scenarios=self.scenarios, channels=self.channels)

        return self._one("scenario_links", build)

    @property
    def inflow_login(self) -> InflowLogin:
        def build() -> InflowLogin:
            from haishin.routes.login import InflowLogin  # noqa: PLC0415
            from haishin.storage.once import Once  # noqa: PLC0415

            return InflowLogin(routes=self.routes, secrets=self.secrets, channels=self.channels,
                               subscribers=self.subscribers, once=Once(), first_steps=self.first_steps_now,
                               enrollments=self.scenario_service, menus=self.friend_menus)

        return self._one("inflow_login", build)

    @property
    def inflow_pages(self) -> InflowPages:
        """The public route URL and the LINE Login callback (InflowFunction)."""

        def build() -> InflowPages:
            from haishin.pages.inflow import InflowPages  # noqa: PLC0415

            return InflowPages(self.inflow_login)

        return self._one("inflow_pages", build)

    @property
    def payments(self) -> PaymentService:
        def build() -> PaymentService:
            from haishin.payments.service import PaymentService  # noqa: PLC0415

            return PaymentService(self.collaborators)

        return self._one("payments", build)

    @property
    def crm(self) -> CrmService:
        def build() -> CrmService:
            from haishin.subscribers.service import CrmService  # noqa: PLC0415

            return CrmService(self.subscribers, self.timeline, self.fields, self.tags,
                              triggers=self.scenario_service, events=self.events)

        return self._one("crm", build)

    @property
    def imports(self) -> ImportService:
        def build() -> ImportService:
            from haishin.csvio.importer import ImportService  # noqa: PLC0415

            # the menu rules: an import that changed followers' tags re-links their channels, one bulk job each
            return ImportService(triggers=self.scenario_service, menus=self.rich_menu_rules)

        return self._one("imports", build)

    @property
    def broadcasts(self) -> BroadcastService:
        def build() -> BroadcastService:
            from haishin.broadcasts.service import BroadcastService  # noqa: PLC0415

            return BroadcastService(line_clients=self.line_clients, subscribers=self.subscribers,
                                    render=self.renderer, senders=self.senders, ledger=self.ledger)

        return self._one("broadcasts", build)

    @property
    def broadcast_abtests(self) -> BroadcastAbTests:
        def build() -> BroadcastAbTests:
            from haishin.broadcasts.abtest import BroadcastAbTests  # noqa: PLC0415
            from haishin.broadcasts.repository import BroadcastRepository  # noqa: PLC0415
            from haishin.links.repository import LinkRepository  # noqa: PLC0415

            return BroadcastAbTests(repository=BroadcastRepository(), clicks=LinkRepository(), track=self.track,
                                    conversions=self.conversions)

        return self._one("broadcast_abtests", build)

    @property
    def step_abtests(self) -> StepAbTests:
        """A/B tests on scenario steps: recipients per variant, results, adopting the winner."""

        def build() -> StepAbTests:
            from haishin.scenarios.ab_repository import StepAbRepository  # noqa: PLC0415
            from haishin.scenarios.abtest import StepAbTests  # noqa: PLC0415

            return StepAbTests(scenarios=self.scenarios, repository=StepAbRepository(), track=self.track)

        return self._one("step_abtests", build)

    @property
    def planner(self) -> BroadcastPlanner:
        def build() -> BroadcastPlanner:
            from haishin.broadcasts.planner import BroadcastPlanner  # noqa: PLC0415

            return BroadcastPlanner(ledger=self.ledger, sender=self.sender, render=self.renderer,
                                    optout=self.optout, abtests=self.broadcast_abtests, track=self.track,
                                    coupons=self.coupons)

        return self._one("planner", build)

    @property
    def channels(self) -> ChannelService:
        def build() -> ChannelService:
            from haishin.channels.service import ChannelService  # noqa: PLC0415

            return ChannelService(self.secrets, clients=self.line_clients, subscribers=self.subscribers,
                                  rich_menus=self.rich_menus)

        return self._one("channels", build)

    @property
    def rich_menus(self) -> RichMenuService:
        """Rich menus: drafts, images (S3), publishing to LINE with tabs, deleting, taps and their statistics."""

        def build() -> RichMenuService:
            from haishin.richmenus.liff import LiffAreaUrls  # noqa: PLC0415
            from haishin.richmenus.repository import ImageStore, RichMenuRepository  # noqa: PLC0415
            from haishin.richmenus.service import RichMenuService  # noqa: PLC0415
            from haishin.webhook_events import LateListener  # noqa: PLC0415

            # The re-linker moves per-user links when a menu is replaced. Late, because the rules read menus via
            # this service (published_menus) and the channels service it needs holds this one: a direct reference loops.
            return RichMenuService(line_clients=self.line_clients, track=self.track, actions=self.actions,
                                   repository=RichMenuRepository(), images=ImageStore(),
                                   liff_url=LiffAreaUrls(lambda ws, ch: self.channels.require(ws, ch)),  # noqa: PLW0108 - late: channels holds this service
                                   listeners=(LateListener(lambda: self.rich_menu_rules),))

        return self._one("rich_menus", build)

    @property
    def chat(self) -> ChatService:
        def build() -> ChatService:
            from haishin.channels.chat import ChatService  # noqa: PLC0415

            return ChatService(self.line_clients, subscribers=self.subscribers, timeline=self.timeline,
                               ledger=self.event_ledger)

        return self._one("chat", build)

    @property
    def dashboard(self) -> Dashboard:
        def build() -> Dashboard:
            from haishin.dashboard import Dashboard  # noqa: PLC0415

            return Dashboard(quota=lambda ws, ch: self.line_clients.for_channel(ws, ch).quota())

        return self._one("dashboard", build)

    @property
    def cross_analysis(self) -> CrossAnalysis:
        """クロス分析: friends counted by two dimensions (haishin.analysis.cross)."""

        def build() -> CrossAnalysis:
            from haishin.analysis.cross import CrossAnalysis  # noqa: PLC0415
            from haishin.payments.repository import PaymentRepository  # noqa: PLC0415
            from haishin.routes.repository import RouteRepository  # noqa: PLC0415
            from haishin.segments.engine import SegmentEngine  # noqa: PLC0415

            return CrossAnalysis(engine=SegmentEngine(fields=self.fields, tags=self.tags, lists=self.lists),
                                 tags=self.tags, fields=self.fields, scenarios=self.scenarios,
                                 enrollments=self.enrollments, saved_segments=self.saved_segments,
                                 payments=PaymentRepository(), routes=RouteRepository())

        return self._one("cross_analysis", build)

    @property
    def pages(self) -> Pages:
        def build() -> Pages:
            from haishin.pages.bookings import BookingPages  # noqa: PLC0415
            from haishin.pages.liff import LiffPages  # noqa: PLC0415
            from haishin.pages.members import MemberPages  # noqa: PLC0415
            from haishin.pages.router import Pages  # noqa: PLC0415

            booking_pages = BookingPages(self.bookings)
            liff = LiffPages(channels=self.channels, subscribers=self.subscribers, forms=self.forms,
                             optout=self.optout, bookings=booking_pages, seminars=self.seminars,
                             coupons=self.coupons)
            return Pages(forms=self.forms, payments=self.payments, links=self.links, optout=self.optout,
                         track=self.track, conversions=self.conversions, liff=liff, partners=self.partners,
                         bookings=booking_pages, seminars=self.seminars, routes=self.routes, coupons=self.coupons,
                         members=MemberPages(self.members), funnels=self.funnels, assets=self.assets)

        return self._one("pages", build)

    # ------------------------------------------------------------------ rich menu rules
    @property
    def published_menus(self) -> PublishedMenus:
        """The menus the rules name, read through the rich menus service."""

        def build() -> PublishedMenus:
            from haishin.richmenus.relink import RichMenuPort  # noqa: PLC0415

            return RichMenuPort(lambda: self.rich_menus)

        return self._one("published_menus", build)

    @property
    def rule_repository(self) -> RuleRepository:
        def build() -> RuleRepository:
            from haishin.richmenus.rules_repository import RuleRepository  # noqa: PLC0415

            return RuleRepository()

        return self._one("rule_repository", build)

    @property
    def rule_books(self) -> RuleBooks:
        def build() -> RuleBooks:
            from haishin.richmenus.relink import RuleBooks  # noqa: PLC0415
            from haishin.routes.repository import RouteRepository  # noqa: PLC0415
            from haishin.segments.engine import SegmentEngine  # noqa: PLC0415

            return RuleBooks(self.published_menus, engine=SegmentEngine(fields=self.fields, tags=self.tags,
                                                                        lists=self.lists),
                             segments=self.saved_segments, routes=RouteRepository())

        return self._one("rule_books", build)

    @property
    def friend_menus(self) -> FriendMenus:
        """One friend's rich menu re-link (tag change, follow, route, scenario step)."""

        def build() -> FriendMenus:
            from haishin.richmenus.relink import FriendMenus  # noqa: PLC0415

            return FriendMenus(self.rule_repository, self.rule_books, self.enrollments, self.line_clients)

        return self._one("friend_menus", build)

    @property
    def relink_jobs(self) -> RelinkJobs:
        """The bulk re-link after a rule change (PlannerQueue messages of kind ``rich_menu_relink``)."""

        def build() -> RelinkJobs:
            from haishin.richmenus.relink import RelinkJobs  # noqa: PLC0415

            return RelinkJobs(self.rule_repository, self.rule_books, self.enrollments, self.line_clients)

        return self._one("relink_jobs", build)

    @property
    def rich_menu_rules(self) -> RichMenuRules:
        def build() -> RichMenuRules:
            from haishin.richmenus.relink import RichMenuRules, SqsRelinkQueue  # noqa: PLC0415
            from haishin.routes.repository import RouteRepository  # noqa: PLC0415

            return RichMenuRules(self.rule_repository, self.rule_books, SqsRelinkQueue(), menus=self.published_menus,
                                 channels=self.channels, tags=self.tags, segments=self.saved_segments,
                                 scenarios=self.scenarios, routes=RouteRepository(), enrollments=self.enrollments)

        return self._one("rich_menu_rules", build)

    # ------------------------------------------------------------------ ingestion
    @property
    def line_webhook(self) -> WebhookService:
        def build() -> WebhookService:
            from haishin.ingest.webhook import default_service  # noqa: PLC0415

            return default_service()

        return self._one("line_webhook", build)

    @property
    def line_events(self) -> LineEventProcessor:
        def build() -> LineEventProcessor:
            from haishin.ingest.processor import LineEventProcessor  # noqa: PLC0415

            return LineEventProcessor(
                subscribers=self.subscribers, timeline=self.timeline, ledger=self.event_ledger,
                line=self.line_clients, triggers=self.scenario_service, auto_replies=self.auto_replies,
                channels=self.channel_activity, actions=self.actions, optout=self.optout,
                optout_keywords=self.optout_keywords, events=self.webhooks, first_steps=self.first_steps,
                routes=self.routes, rich_menus=self.rich_menus, track=self.track, menu_rules=self.friend_menus,
                seminars=lambda: self.seminars)

        return self._one("line_events", build)

    @property
    def first_steps(self) -> InstantFirstSteps:
        def build() -> InstantFirstSteps:
            from haishin.scenarios.instant import InstantFirstSteps  # noqa: PLC0415

            return InstantFirstSteps(self.scenarios, self.enrollments, self.worker, self.sender, self.tick,
                                     self.rules, self.first_steps_now)

        return self._one("first_steps", build)

    @property
    def first_steps_now(self) -> FirstStepsNow:
        """First steps an event started, queued at once by the tick's own work (no reply token: forms, payments)."""

        def build() -> FirstStepsNow:
            from haishin.scenarios.instant import FirstStepsNow  # noqa: PLC0415

            return FirstStepsNow(self.enrollments, self.tick)

        return self._one("first_steps_now", build)

    @property
    def line_events_consumer(self) -> LineEventsConsumer:
        def build() -> LineEventsConsumer:
            from haishin.ingest.consumer import LineEventsConsumer  # noqa: PLC0415

            return LineEventsConsumer(self.line_events)

        return self._one("line_events_consumer", build)


def buildable() -> frozenset[str]:
    return frozenset(name for name, value in vars(Services).items() if isinstance(value, property))


_services: Services | None = None
_lock = threading.Lock()


def services() -> Services:
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                _services = Services()
    return _services


def install(replacement: Services | None) -> Services | None:
    global _services
    with _lock:
        previous, _services = _services, replacement
    return previous


def reset() -> None:
    install(None)
