"""Inflow routes (流入経路): CRUD and QR codes for the admin, and the attribution of a friend to a route.

A route names a LINE channel; its URL ``/r/<code>`` starts a LINE Login (``haishin.routes.login``) that links the LINE
user to the route. Attribution (``attribute``): the friend's ``inflow_route`` (the route's name) and ``inflow_route_id``
are set when unset (first touch wins, as the segment condition reads the name), a ``route`` timeline entry is written
every time, and the route's actions run on the friend's first arrival by this route ('once', the default) or on every
arrival ('every').
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from haishin import clock, ids
from haishin.actions import ActionRunner, parse_actions
from haishin.errors import NotFound, ValidationFailed, pydantic_message
from haishin.public_url import public_base
from haishin.routes.models import RouteModel
from haishin.routes.qr import FORMATS, qr_code
from haishin.routes.repository import RouteRepository
from haishin.scenarios.triggers import ROUTE_STARTED
from haishin.storage.base import iso
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(hours=1)  # a login whose follow never comes is forgotten
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: codes are read off posters
CODE_LENGTH = 8
MAX_GREETING_MESSAGES = 5
SCENARIO_FOLDER = "シナリオ"  # where the scenarios' own friend-add links show in the routes list
# a page visit a route URL may carry (``/r/<code>?fv=…``): opaque here, the page that made it checks its signature
_VISIT = re.compile(r"[A-Za-z0-9_.:-]{1,300}")


class ChannelLookup(Protocol):
    def require(self, workspace_id: str, channel_id: str) -> Any: ...


class RouteDefinition(BaseModel):
    """What the admin sends to create or replace a route."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    folder: str | None = Field(default=None, max_length=100)
    channel_id: str = Field(min_length=1)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    greeting: list[dict[str, Any]] | None = Field(default=None, max_length=MAX_GREETING_MESSAGES)
    run: Literal["once", "every"] = "once"
    replace_friend_added: bool = False  # friends who come by it skip the friend-added (welcome) scenarios

    @field_validator("name", "folder")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value.strip() or None


class RouteVisits(Protocol):
    """The page a friend came from through a route (``haishin.funnels.service.FunnelService``: a funnel's LINE
    opt-in). ``visit`` is that page's signed reference, not checked here: the receiver checks it and ignores a forged,
    expired or another workspace's one."""

    def arrived(self, workspace_id: str, subscriber_id: str, visit: str) -> None: ...


def visit_reference(text: str | None) -> str | None:
    """A visit reference from a URL, or None when it is not one (too long, characters a reference never has)."""
    return text if text and _VISIT.fullmatch(text) else None


@dataclass(frozen=True)
class PendingLogin:
    """A LINE Login that named a route before the friend's follow arrived, and the page visit it came from."""

    route: RouteModel
    visit: str | None = None


@dataclass(frozen=True)
class Attribution:
    route: RouteModel
    first_time: bool
    actions_ran: bool


def route_url(code: str) -> str:
    return f"{public_base()}/r/{code}"


def route_view(route: RouteModel, friends: int | None = None) -> dict[str, Any]:
    view = {
        "route_id": route.route_id, "name": route.name, "folder": route.folder, "code": route.code,
        "channel_id": route.channel_id, "actions": route.actions or [], "greeting": route.greeting,
        "run": route.run or "once", "url": route_url(route.code),
        "replace_friend_added": bool(route.replace_friend_added), "scenario_id": route.scenario_id,
        "created_at": iso(route.created_at), "updated_at": iso(route.updated_at),
    }
    if friends is not None:
        view["friends"] = friends
    return view


def _check(definition: RouteDefinition) -> None:
    if not definition.name:
        raise ValidationFailed("経路名を入力してください", where="name")
    try:
        parse_actions(definition.actions)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(f"アクションが正しくありません: {pydantic_message(first)}",
                               where="actions." + ".".join(str(p) for p in first.get("loc", ()))) from exc
    for index, message in enumerate(definition.greeting or []):
        if message.get("type") != "text" or not isinstance(message.get("text"), str) or not message["text"].strip():
            raise ValidationFailed("あいさつメッセージはテキストで入力してください", where=f"greeting.{index}")
        if len(message["text"]) > 5000:
            raise ValidationFailed("あいさつメッセージは 5000 文字以内です", where=f"greeting.{index}")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class RouteService:
    def __init__(self, *, repository: RouteRepository, channels: ChannelLookup, subscribers: SubscriberRepository,
                 timeline: Timeline, actions: ActionRunner, visits: Callable[[], RouteVisits] | None = None) -> None:
        self.repository = repository
        self.channels = channels
        self.subscribers = subscribers
        self.timeline = timeline
        self.actions = actions
        self.visits = visits  # built on first use: the funnels are built from this service

    # ------------------------------------------------------------------ CRUD
    def create(self, workspace_id: str, definition: RouteDefinition) -> RouteModel:
        _check(definition)
        self.channels.require(workspace_id, definition.channel_id)
        return self.repository.create(workspace_id, ids.new_id("rt_"), new_code(), clock.now(),
                                      **self._values(definition))

    def replace(self, workspace_id: str, route_id: str, definition: RouteDefinition) -> RouteModel:
        """Everything but the code (printed QR codes keep working) and the creation time."""
        _check(definition)
        self.channels.require(workspace_id, definition.channel_id)
        route = self.repository.require(workspace_id, route_id)
        for name, value in self._values(definition).items():
            setattr(route, name, value)
        if route.scenario_id:  # a scenario's own link always replaces the welcome (the routes editor may omit it)
            route.replace_friend_added = True
        route.updated_at = clock.now()
        return self.repository.save(route)

    @staticmethod
    def _values(definition: RouteDefinition) -> dict[str, Any]:
        return {"name": definition.name, "folder": definition.folder, "channel_id": definition.channel_id,
                "actions": definition.actions, "greeting": definition.greeting, "run": definition.run,
                "replace_friend_added": definition.replace_friend_added}

    def get(self, workspace_id: str, route_id: str) -> RouteModel:
        return self.repository.require(workspace_id, route_id)

    def view(self, workspace_id: str, route_id: str) -> dict[str, Any]:
        route = self.get(workspace_id, route_id)
        return route_view(route, self.repository.friend_count(workspace_id, route_id))

    def views(self, workspace_id: str) -> list[dict[str, Any]]:
        routes = sorted(self.repository.all(workspace_id), key=lambda r: ((r.folder or ""), r.name, r.route_id))
        return [route_view(route, self.repository.friend_count(workspace_id, route.route_id)) for route in routes]

    def delete(self, workspace_id: str, route_id: str) -> None:
        self.repository.delete(self.get(workspace_id, route_id))

    def qr(self, workspace_id: str, route_id: str, fmt: str) -> tuple[bytes, str]:
        if fmt not in FORMATS:
            raise ValidationFailed("QR コードの形式は png か svg です", where="format")
        return qr_code(route_url(self.get(workspace_id, route_id).code), fmt)

    def of_scenario(self, workspace_id: str, scenario_id: str) -> RouteModel | None:
        """The scenario's own friend-add link (a route marked with the scenario), if it has one."""
        return next((r for r in self.repository.all(workspace_id) if r.scenario_id == scenario_id), None)

    def create_for_scenario(self, workspace_id: str, scenario_id: str, *, name: str, channel_id: str) -> RouteModel:
        """A scenario's own friend-add link: a route that starts the scenario and replaces the friend-added
        scenarios, run every time (a friend already following enters too; the scenario's own rule decides whether
        one who is or was in it enters again, and a running enrollment is never restarted by a route)."""
        existing = self.of_scenario(workspace_id, scenario_id)
        if existing is not None:
            return existing
        self.channels.require(workspace_id, channel_id)
        return self.repository.create(
            workspace_id, ids.new_id("rt_"), new_code(), clock.now(), name=name[:100], folder=SCENARIO_FOLDER,
            channel_id=channel_id, actions=[{"type": "start_scenario", "scenario_id": scenario_id}], greeting=None,
            run="every", replace_friend_added=True, scenario_id=scenario_id)

    def friends_of(self, workspace_id: str, route_id: str) -> int:
        return self.repository.friend_count(workspace_id, route_id)

    def by_code(self, code: str) -> RouteModel | None:
        return self.repository.by_code(code) if code.isalnum() and len(code) <= 32 else None

    # ------------------------------------------------------------------ attribution
    def remember_login(self, workspace_id: str, channel_id: str, line_user_id: str, route: RouteModel, *,
                       visit: str | None = None) -> None:
        now = clock.now()
        self.repository.put_pending(workspace_id, channel_id, line_user_id, route.route_id, at=now,
                                    expires_at=int(now.timestamp() + PENDING_TTL.total_seconds()),
                                    visit=visit_reference(visit))

    def take_pending(self, workspace_id: str, channel_id: str, line_user_id: str) -> PendingLogin | None:
        taken = self.repository.take_pending(workspace_id, channel_id, line_user_id,
                                             now_epoch=int(clock.epoch_seconds()))
        if taken is None:
            return None
        route_id, visit = taken
        try:
            return PendingLogin(self.repository.require(workspace_id, route_id), visit)
        except NotFound:  # deleted meanwhile
            return None

    def attribute(self, workspace_id: str, subscriber_id: str, route: RouteModel, *, cause: str,
                  first_follow: bool, visit: str | None = None) -> Attribution:
        """The friend came by ``route`` (``cause``: a key of this arrival, e.g. the follow's webhookEventId;
        ``visit``: the page visit the login came from, handed to its page, e.g. a funnel's LINE opt-in)."""
        now = clock.now()
        first_time, done = self.repository.record_friend(workspace_id, route.route_id, subscriber_id, at=now)

        def mark(subscriber: Any) -> None:
            if not subscriber.inflow_route:
                subscriber.inflow_route = route.name
                subscriber.inflow_route_id = route.route_id  # the name may change; rich menu rules match the ID

        self.subscribers.mutate(workspace_id, subscriber_id, mark)
        self.timeline.append(workspace_id, subscriber_id, "route",
                             {"route_id": route.route_id, "route": route.name, "channel_id": route.channel_id,
                              "first_time": first_time, "new_friend": first_follow},
                             actor="friend", at=now, entry_id=f"route:{route.route_id}:{cause}")
        every = (route.run or "once") == "every"
        run = every or not done
        if run and route.actions:
            # 'once': one key per friend and route, so a retry after a crash repeats no effect; 'every': per arrival
            key = f"route:{route.route_id}:{subscriber_id}" + (f":{cause}" if every else "")
            self.actions.run(workspace_id, subscriber_id, parse_actions(route.actions), actor=ROUTE_STARTED,
                             idempotency_key=key)
        if not every and not done:
            self.repository.mark_actions_done(workspace_id, route.route_id, subscriber_id)
        if visit_reference(visit) and self.visits is not None:  # keyed by the visit there: a retry changes nothing
            self.visits().arrived(workspace_id, subscriber_id, str(visit))
        return Attribution(route, first_time, run and bool(route.actions))
