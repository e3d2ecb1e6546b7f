"""Default services, built lazily once per container, so handlers stay thin and tests can inject fakes.

``services()`` returns the process-wide ``Services``; ``install(Services(...))`` replaces it (tests, the local system),
``reset()`` forgets it (after env changes). Nothing here touches AWS or LINE until a service is first used.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from haishin.actions import ActionRunner
from haishin.broadcasts.send import send_broadcast
from haishin.delivery.ledger import Ledger
from haishin.delivery.queue import DeliverySender, SqsDeliverySender
from haishin.delivery.senders import SesEmailSender, SnsSmsSender
from haishin.delivery.worker import DeliveryWorker
from haishin.line.client import LineClients
from haishin.render import Renderer, renderer
from haishin.scenarios.enrollments import EnrollmentRepository
from haishin.scenarios.repository import ScenarioRepository
from haishin.scenarios.schedule import WorkspaceRulesCache
from haishin.scenarios.service import ScenarioService
from haishin.scenarios.step_send import StepSender
from haishin.scenarios.tick import StepTick
from haishin.secrets import SecretsManagerStore
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline


@dataclass
class Services:
    subscribers: SubscriberRepository = field(default_factory=SubscriberRepository)
    timeline: Timeline = field(default_factory=Timeline)
    scenarios: ScenarioRepository = field(default_factory=ScenarioRepository)
    enrollments: EnrollmentRepository = field(default_factory=EnrollmentRepository)
    ledger: Ledger = field(default_factory=Ledger)
    rules: WorkspaceRulesCache = field(default_factory=WorkspaceRulesCache)
    renderer: Renderer = field(default_factory=renderer)
    sender: DeliverySender = field(default_factory=SqsDeliverySender)
    line_clients: Any = None
    email: Any = None
    sms: Any = None
    webhooks: Any = None
    _scenario_service: ScenarioService | None = None
    _actions: ActionRunner | None = None
    _tick: StepTick | None = None
    _worker: DeliveryWorker | None = None

    @property
    def scenario_service(self) -> ScenarioService:
        if self._scenario_service is None:
            self._scenario_service = ScenarioService(self.scenarios, self.enrollments, self.subscribers,
                                                     self.timeline, self.rules)
        return self._scenario_service

    @property
    def actions(self) -> ActionRunner:
        if self._actions is None:
            self._actions = ActionRunner(self.subscribers, self.timeline, self.scenario_service, self.webhooks)
        return self._actions

    @property
    def tick(self) -> StepTick:
        if self._tick is None:
            self._tick = StepTick(self.scenarios, self.enrollments, self.ledger, self.sender, self.subscribers,
                                  self.rules)
        return self._tick

    @property
    def worker(self) -> DeliveryWorker:
        if self._worker is None:
            if self.line_clients is None:
                self.line_clients = LineClients(SecretsManagerStore())
            steps = StepSender(self.scenarios, self.enrollments, actions=self.actions,
                               scenario_control=self.scenario_service)
            self._worker = DeliveryWorker(
                ledger=self.ledger, subscribers=self.subscribers, line_clients=self.line_clients,
                renderer=self.renderer, timeline=self.timeline, kinds={"step": steps, "broadcast": send_broadcast},
                email=self.email or SesEmailSender(), sms=self.sms or SnsSmsSender())
        return self._worker


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
