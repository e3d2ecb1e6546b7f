"""Tracked links: CRUD for the admin, per-friend signed URLs, and what a click does.

URLs: ``/c/<link_id>`` (public: QR codes, ads, SNS) and ``/c/<link_id>.<signed token>`` (one friend, minted for a
LINE message; the token is ``haishin.forms.tokens.LinkSigner`` with purpose ``link`` and the link ID as target).

A click (each step safe to repeat):
1. resolve the link; an unknown link or a tampered token answers a friendly page and never redirects (the only
   redirect target is the link's stored ``target_url``, never anything from the URL);
2. count it (UpdateItem ADD on the link's own stats item, so concurrent clicks never lose a count);
3. a valid per-friend token (an expired one counts as anonymous and still redirects): timeline ``link_clicked``;
   the friend's inflow route (流入経路) is set when it is unset; on the first click of this friend on this link
   (a conditional write, taken over after a lease if a crash left it half done) the link's actions run with the
   idempotency key ``link:<link_id>:<subscriber_id>``, then the claim is marked done and ``unique_friends`` grows.
Attribution failures are logged and the friend is still redirected; the claim is released so the next click
retries the actions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from haishin import clock, ids
from haishin.actions import parse_actions
from haishin.errors import NotFound, ValidationFailed, pydantic_message
from haishin.forms import tokens
from haishin.forms.collab import Collaborators
from haishin.links.models import LinkModel, LinkStatsModel
from haishin.links.repository import LinkRepository
from haishin.public_url import public_base
from haishin.storage.base import iso
from haishin.subscribers.models import SubscriberModel

log = logging.getLogger(__name__)

DEFAULT_VALIDITY = timedelta(days=365)  # a link in a step message may be tapped months later
CLAIM_LEASE = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 400
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)


class LinkDefinition(BaseModel):
    """What the admin sends to create a tracked link."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    target_url: HttpUrl  # http(s) only; the one place a click may redirect to
    inflow_route: str | None = Field(default=None, max_length=100)  # 流入経路, set on friends who have none
    actions: list[dict[str, Any]] = Field(default_factory=list)  # haishin.actions, run once per friend

    @field_validator("target_url", mode="before")
    @classmethod
    def _http_url(cls, value: Any) -> Any:
        # said in Japanese at the field (the marketer's most common slip: a URL typed without https://)
        if not isinstance(value, str) or not _HTTP_URL.match(value.strip()):
            raise PydanticCustomError("url_scheme", "http:// または https:// で始まる URL を入力してください")
        return value.strip()

    @field_validator("inflow_route")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


@dataclass
class ClickResult:
    outcome: Literal["redirect", "not_found", "token_invalid"]
    target_url: str | None = None
    link_id: str | None = None
    subscriber_id: str | None = None
    first_click: bool = False
    token_reason: str | None = None


def link_url(link_id: str, token: str | None = None) -> str:
    return f"{public_base()}/c/{link_id}" + (f".{token}" if token else "")


def _check_actions(raw: list[dict[str, Any]]) -> None:
    try:
        parse_actions(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(pydantic_message(first),
                               where="actions." + ".".join(str(p) for p in first.get("loc", ()))) from exc


def link_view(link: LinkModel, stats: LinkStatsModel | None = None) -> dict[str, Any]:
    return {
        "link_id": link.link_id, "name": link.name, "target_url": link.target_url,
        "inflow_route": link.inflow_route, "actions": link.actions or [], "url": link_url(link.link_id),
        "clicks": int((stats.clicks if stats else 0) or 0),
        "friend_clicks": int((stats.friend_clicks if stats else 0) or 0),
        "anonymous_clicks": int((stats.anonymous_clicks if stats else 0) or 0),
        "unique_friends": int((stats.unique_friends if stats else 0) or 0),
        "created_at": iso(link.created_at), "updated_at": iso(link.updated_at),
    }


class LinkService:
    def __init__(self, collab: Collaborators, repository: LinkRepository | None = None) -> None:
        self.collab = collab
        self.repository = repository or LinkRepository()

    # ------------------------------------------------------------------ CRUD
    def create(self, workspace_id: str, definition: LinkDefinition) -> LinkModel:
        _check_actions(definition.actions)
        return self.repository.create(workspace_id, ids.new_id("l_"), name=definition.name,
                                      target_url=str(definition.target_url), inflow_route=definition.inflow_route,
                                      actions=definition.actions, now=clock.now())

    def get(self, workspace_id: str, link_id: str) -> LinkModel:
        return self.repository.require(workspace_id, link_id)

    def list_links(self, workspace_id: str) -> list[LinkModel]:
        return self.repository.all(workspace_id)

    def delete(self, workspace_id: str, link_id: str) -> None:
        self.repository.delete(self.get(workspace_id, link_id))

    def stats(self, workspace_id: str, link_ids: list[str]) -> dict[str, LinkStatsModel]:
        return self.repository.stats(workspace_id, link_ids)

    def view(self, workspace_id: str, link_id: str) -> dict[str, Any]:
        link = self.get(workspace_id, link_id)
        return link_view(link, self.stats(workspace_id, [link_id]).get(link_id))

    def views(self, workspace_id: str) -> list[dict[str, Any]]:
        links = self.list_links(workspace_id)
        stats = self.stats(workspace_id, [link.link_id for link in links]) if links else {}
        return [link_view(link, stats.get(link.link_id)) for link in links]

    def resolve(self, link_id: str) -> LinkModel | None:
        """The link behind a public URL (no workspace in it)."""
        workspace_id = self.repository.workspace_of(link_id)
        if workspace_id is None:
            return None
        try:
            return self.get(workspace_id, link_id)
        except NotFound:
            return None

    # ------------------------------------------------------------------ per-friend URLs
    def signer(self) -> tokens.LinkSigner:
        return tokens.LinkSigner(self.collab.secret_store())

    def mint(self, workspace_id: str, link_id: str, subscriber_id: str,
             validity: timedelta = DEFAULT_VALIDITY) -> dict[str, Any]:
        self.get(workspace_id, link_id)
        self.collab.subscribers.require(workspace_id, subscriber_id)
        token = self.signer().mint(tokens.LINK, workspace_id, subscriber_id, link_id, validity)
        return {"url": link_url(link_id, token), "token": f"{link_id}.{token}",
                "expires_at": int(clock.epoch_seconds() + validity.total_seconds())}

    # ------------------------------------------------------------------ click
    def click(self, token: str) -> ClickResult:
        token = (token or "").strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return ClickResult("not_found")
        link_id, _, bound = token.partition(".")
        link = self.resolve(link_id)
        if link is None:
            return ClickResult("not_found")
        workspace_id = link.workspace_id
        subscriber: SubscriberModel | None = None
        if bound:
            try:
                binding = self.signer().verify(tokens.LINK, workspace_id, link_id, bound)
            except tokens.TokenInvalid as exc:
                if exc.reason != "expired":
                    log.info("link %s: refused a %s token", link_id, exc.reason)
                    return ClickResult("token_invalid", link_id=link_id, token_reason=exc.reason)
                log.info("link %s: expired friend token counted as anonymous", link_id)
            else:
                subscriber = self.collab.subscribers.get(workspace_id, binding.subscriber_id)
        self._count(workspace_id, link_id, friend=subscriber is not None)
        result = ClickResult("redirect", target_url=link.target_url, link_id=link_id)
        if subscriber is not None:
            result.subscriber_id = subscriber.subscriber_id
            try:
                result.first_click = self._attribute(link, subscriber)
            except Exception:  # the friend still reaches the page; the next click retries the actions
                log.exception("link %s: attribution failed", link_id)
        return result

    def _count(self, workspace_id: str, link_id: str, *, friend: bool) -> None:
        self.repository.count_click(workspace_id, link_id, friend=friend)

    def _claim(self, workspace_id: str, link_id: str, subscriber_id: str) -> bool:
        """Count this friend's click; True when this call owns running the link's actions (first click)."""
        now, epoch = clock.now(), int(clock.epoch_seconds())
        return self.repository.claim_first_click(workspace_id, link_id, subscriber_id, now=now, epoch=epoch,
                                                 lease_until=epoch + int(CLAIM_LEASE.total_seconds()))

    def _release(self, workspace_id: str, link_id: str, subscriber_id: str) -> None:
        if not self.repository.release_claim(workspace_id, link_id, subscriber_id):  # best effort; the lease expires
            log.info("link %s: claim for %s not released", link_id, subscriber_id)

    def _complete(self, workspace_id: str, link_id: str, subscriber_id: str) -> None:
        if not self.repository.complete_claim(workspace_id, link_id, subscriber_id):
            # a concurrent take-over finished first: it counted this friend
            log.info("link %s: first click of %s completed elsewhere", link_id, subscriber_id)

    def _attribute(self, link: LinkModel, subscriber: SubscriberModel) -> bool:
        workspace_id, link_id, subscriber_id = link.workspace_id, link.link_id, subscriber.subscriber_id
        first = self._claim(workspace_id, link_id, subscriber_id)
        now = clock.now()
        self.collab.timeline.append(
            workspace_id, subscriber_id, "link_clicked",
            {"link_id": link_id, "link_name": link.name, "target_url": link.target_url, "first": first},
            actor="friend", at=now)
        route = link.inflow_route
        if route and not subscriber.inflow_route:
            def set_route(s: SubscriberModel) -> None:
                if not s.inflow_route:
                    s.inflow_route = route

            self.collab.subscribers.mutate(workspace_id, subscriber_id, set_route)
        if not first:
            return False
        try:
            actions = parse_actions(link.actions or [])
            if actions:
                self.collab.action_runner().run(workspace_id, subscriber_id, actions, actor=f"link:{link_id}",
                                                idempotency_key=f"link:{link_id}:{subscriber_id}")
        except BaseException:
            self._release(workspace_id, link_id, subscriber_id)
            raise
        self._complete(workspace_id, link_id, subscriber_id)
        return True


__all__ = ["DEFAULT_VALIDITY", "ClickResult", "LinkDefinition", "LinkService", "link_url", "link_view"]
