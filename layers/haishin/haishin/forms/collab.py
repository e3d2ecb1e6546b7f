"""The collaborators the friend-facing services (forms, links, payments, opt-out) share.

Built only by the composition root (``haishin.wiring.Services.collaborators``); every one is required, so a
missing collaborator is a TypeError when the root builds it, never a skipped trigger at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from haishin.actions import ActionRunner
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from haishin.webhook_events import WebhookEvents


class ScenarioTrigger(Protocol):
    def on_trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                   idempotency_key: str) -> Any: ...


class FirstStepQueue(Protocol):
    """Queues at once the "immediately" first steps a trigger just started (``haishin.scenarios.instant``)."""

    def queue(self, workspace_id: str, subscriber_id: str, *, trigger: str) -> int: ...


class Messenger(Protocol):
    """Queues a one-off LINE text to one friend (auto-replies, thank-you messages, seminar and booking notices) for
    the delivery worker, which sends it once under ``retry_key`` (stable per event), retries LINE's 429/5xx and
    records a refusal in the delivery error log (``haishin.delivery.notices.NoticeQueue``). False: the friend has
    no LINE account to reach. Never sends by itself: features have no LINE send path of their own."""

    def queue_text(self, workspace_id: str, subscriber: Any, text: str, *, retry_key: str,
                   channel_id: str | None = None) -> bool: ...


@dataclass(frozen=True)
class FormSeat:
    """What a form's seminar session field got the friend, for the thank-you page: a seat (``confirmed``), a seat held
    until ``pay_by`` that ``pay_url`` pays for (``pending_payment``: a paid seminar; the seminar's own payment link),
    or a waitlist place (``waitlisted``)."""

    status: str
    title: str = ""
    pay_url: str = ""
    pay_by: str = ""  # the hold's end in the workspace's zone, as the friend reads it ("12月7日 21:30")


class SeminarSessions(Protocol):
    """A form's seminar session field (``haishin.seminars.service.SeminarService``; the two feature packages do not
    import each other, so the composition root hands it over late-bound). Refusals are ``HaishinError`` with a
    Japanese message for the form field; nothing is stored then."""

    def form_check(self, workspace_id: str, event_id: str) -> None: ...

    def form_choices(self, workspace_id: str, event_id: str) -> list[tuple[str, str]]: ...

    def form_register(self, workspace_id: str, event_id: str, session_id: str, subscriber_id: str) -> FormSeat: ...

    def form_seat(self, workspace_id: str, event_id: str, subscriber_id: str) -> FormSeat | None: ...


@dataclass(frozen=True)
class Collaborators:
    subscribers: SubscriberRepository
    timeline: Timeline
    secrets: Any  # haishin.secrets.SecretStore
    scenarios: Any  # ScenarioTrigger & ScenarioControl (haishin.scenarios.service.ScenarioService)
    actions: ActionRunner
    messenger: Messenger
    stripe: Callable[[], Any]  # builds haishin.stripe_api.StripeGateway on first use (Stripe SDK import)
    workspaces: Any  # haishin.workspaces.service.WorkspaceService
    webhooks: WebhookEvents  # outgoing webhooks (haishin.webhooks.service.WebhookService): event subscriptions
    first_steps: FirstStepQueue  # a started scenario's "immediately" first step leaves now, not at the next tick
    seminars: Callable[[], SeminarSessions]  # late-bound: SeminarService itself is built on these collaborators

    def secret_store(self) -> Any:
        return self.secrets

    def scenario_service(self) -> Any:
        return self.scenarios

    def line_messenger(self) -> Messenger:
        return self.messenger

    def seminar_sessions(self) -> SeminarSessions:
        return self.seminars()

    def stripe_gateway(self) -> Any:
        return self.stripe()

    def action_runner(self) -> ActionRunner:
        return self.actions

    def publish(self, workspace_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> None:
        """An event for the workspace's webhook endpoints subscribed to it (queued; deduped on the key)."""
        self.webhooks.publish(workspace_id, event_type, data, idempotency_key=idempotency_key)

    def trigger(self, workspace_id: str, subscriber_id: str, trigger: str, detail: dict[str, Any],
                idempotency_key: str) -> bool:
        self.scenarios.on_trigger(workspace_id, subscriber_id, trigger, detail, idempotency_key=idempotency_key)
        # A friend who just answered a form or paid hears back at once (no reply token here: by push, queued now
        # by the tick's own work, with its checks and the step's retry key), not up to a minute later.
        self.first_steps.queue(workspace_id, subscriber_id, trigger=trigger)
        return True
