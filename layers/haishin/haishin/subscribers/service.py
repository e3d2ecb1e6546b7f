"""CRM operations on one friend: create, edit fields / tags / identity, merge. Every change goes on the timeline.

Route handlers and the other areas call this; the repository below it knows storage only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from haishin import clock
from haishin.auth.caller import Caller
from haishin.auth.permissions import Permission
from haishin.errors import NotFound, ValidationFailed
from haishin.fields.models import FieldDefinition
from haishin.fields.repository import FieldRepository, plan_field_changes
from haishin.fields.values import to_text
from haishin.phone import INVALID_PHONE_MESSAGE, to_e164
from haishin.subscribers.models import SubscriberModel, follow_status, line_account
from haishin.subscribers.repository import (
    SubscriberRepository,
    line_alias_kind,
    normalise_email,
)
from haishin.tags.repository import TagModel, TagRepository
from haishin.tags.triggers import TriggerSink, fire_tag_changes
from haishin.timeline.models import Timeline
from haishin.webhook_events import WebhookEvents

API_CREATED = "api"  # the scenario trigger fired when a friend is created through the API (POST /api/subscribers)


class SubscriberPatch(BaseModel):
    """PATCH /api/subscribers/{id}: every part optional; validated as a whole before anything is written."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=30)
    inflow_route: str | None = Field(default=None, max_length=200)
    fields: dict[str, Any] = Field(default_factory=dict)
    add_to_fields: dict[str, float] = Field(default_factory=dict)
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)


class SubscriberCreate(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=30)
    line_channel_id: str | None = None
    line_user_id: str | None = Field(default=None, pattern=r"^U[0-9a-f]{32}$")
    inflow_route: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


def check_email(email: str) -> str:
    value = normalise_email(email)
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValidationFailed(f"「{email}」はメールアドレスの形式ではありません。", where="email")
    return value


def check_phone(phone: str) -> str:
    value = to_e164(phone)
    if value is None:
        raise ValidationFailed(INVALID_PHONE_MESSAGE, where="phone", details={"value": phone})
    return value


class CrmService:
    def __init__(
        self,
        subscribers: SubscriberRepository | None = None,
        timeline: Timeline | None = None,
        fields: FieldRepository | None = None,
        tags: TagRepository | None = None,
        *,
        triggers: TriggerSink,
        events: WebhookEvents,
    ) -> None:
        self.events = events  # outgoing webhooks: tag_added / tag_removed
        self.subscribers = subscribers or SubscriberRepository()
        self.timeline = timeline or Timeline()
        self.fields = fields or FieldRepository()
        self.tags = tags or TagRepository()
        # the scenario engine: api (create), tag_added / tag_removed (patch); None: no scenarios, e.g. tools
        self.triggers = triggers

    def create(self, workspace_id: str, data: SubscriberCreate, *, actor: str) -> SubscriberModel:
        definitions = self.fields.by_key(workspace_id)
        plan = plan_field_changes(definitions, data.fields)
        known = self.tags.all(workspace_id)
        names = {t.tag_id: t.name for t in known}
        tag_ids = self.tags.resolve(workspace_id, data.tags, known=known, where="tags")
        subscriber = self.subscribers.new(workspace_id, source="api")
        aliases: list[tuple[str, str]] = []
        if data.email:
            subscriber.email = check_email(data.email)
            aliases.append(("email", subscriber.email))
        if data.phone:
            subscriber.phone = check_phone(data.phone)
            aliases.append(("phone", subscriber.phone))
        if data.line_user_id:
            if not data.line_channel_id:
                raise ValidationFailed("a LINE user ID needs its channel", where="line_channel_id")
            subscriber.line = {data.line_channel_id: line_account(data.line_user_id)}
            aliases.append((line_alias_kind(data.line_channel_id), data.line_user_id))
        subscriber.display_name = data.display_name
        subscriber.inflow_route = data.inflow_route
        fields: dict[str, Any] = {}
        ends: dict[str, Any] = {}
        plan.apply(fields, ends, definitions)
        subscriber.fields = fields
        subscriber.field_ends = ends
        subscriber.tags = set(tag_ids)
        self.subscribers.save_with_aliases(subscriber, add=aliases, new=True)
        self.timeline.append(workspace_id, subscriber.subscriber_id, "created",
                             {"source": "api", "fields": fields, "tags": sorted(tag_ids)}, actor=actor)
        key = f"created:{subscriber.subscriber_id}"
        # the scenarios that start when a friend is registered through the API
        self.triggers.on_trigger(workspace_id, subscriber.subscriber_id, API_CREATED, {"source": "api"},
                                 idempotency_key=key)
        fire_tag_changes(self.triggers, workspace_id, subscriber.subscriber_id,  # tags given at creation are added
                         [("tag_added", {"tag_id": t, "tag": names.get(t)}) for t in dict.fromkeys(tag_ids)], key)
        return subscriber

    def patch(self, workspace_id: str, subscriber_id: str, patch: SubscriberPatch, *, actor: str) -> SubscriberModel:
        self.subscribers.require(workspace_id, subscriber_id)
        definitions = self.fields.by_key(workspace_id)
        plan = plan_field_changes(definitions, patch.fields, additions=patch.add_to_fields)
        known = self.tags.all(workspace_id)
        names = {t.tag_id: t.name for t in known}
        add_tags = self.tags.resolve(workspace_id, patch.add_tags, known=known, where="add_tags")
        remove_tags = self.tags.resolve(workspace_id, patch.remove_tags, known=known, where="remove_tags")
        email = check_email(patch.email) if patch.email else patch.email
        phone = check_phone(patch.phone) if patch.phone else patch.phone
        entries: list[tuple[str, dict[str, Any]]] = []

        def change(subscriber: SubscriberModel) -> None:
            entries.clear()
            fields = dict(subscriber.fields or {})
            ends = dict(subscriber.field_ends or {})
            entries.extend(("field_changed", c) for c in plan.apply(fields, ends, definitions))
            subscriber.fields = fields
            subscriber.field_ends = ends
            tags = set(subscriber.tags or set())
            for tag_id in add_tags:
                if tag_id not in tags:
                    tags.add(tag_id)
                    entries.append(("tag_added", {"tag": tag_id, "tag_id": tag_id, "name": names.get(tag_id)}))
            for tag_id in remove_tags:
                if tag_id in tags:
                    tags.discard(tag_id)
                    entries.append(("tag_removed", {"tag": tag_id, "tag_id": tag_id, "name": names.get(tag_id)}))
            subscriber.tags = tags
            for attribute, value in (("display_name", patch.display_name), ("inflow_route", patch.inflow_route),
                                     ("email", email), ("phone", phone)):
                if attribute in patch.model_fields_set and getattr(subscriber, attribute) != (value or None):
                    entries.append(("profile_changed", {"field": attribute, "old": getattr(subscriber, attribute),
                                                        "new": value or None}))
                    setattr(subscriber, attribute, value or None)
                    if attribute == "inflow_route":  # the admin's name is no route's attribution any more
                        subscriber.inflow_route_id = None

        subscriber = self.subscribers.mutate_identity(workspace_id, subscriber_id, change)
        now = clock.now()
        for kind, data in entries:
            self.timeline.append(workspace_id, subscriber_id, kind, data, actor=actor, at=now)
        key = f"patch:{subscriber_id}:v{subscriber.version}"
        fire_tag_changes(self.triggers, workspace_id, subscriber_id,
                         [(k, {"tag_id": d["tag_id"], "tag": d["name"]}) for k, d in entries if "tag_id" in d],
                         idempotency_key=key)
        for kind, data in entries:
            if kind in ("tag_added", "tag_removed"):
                self.events.publish(workspace_id, kind, {"subscriber_id": subscriber_id, "tag_id": data["tag_id"],
                                                         "tag": data["name"], "cause": actor},
                                    idempotency_key=f"{key}#{kind}#{data['tag_id']}")
        return subscriber

    def merge(self, workspace_id: str, winner_id: str, loser_id: str, *, actor: str) -> SubscriberModel:
        winner, _loser = self.subscribers.merge(workspace_id, winner_id, loser_id)
        now = clock.now()
        self.timeline.append(workspace_id, winner_id, "merged", {"role": "winner", "other": loser_id},
                             actor=actor, at=now)
        self.timeline.append(workspace_id, loser_id, "merged", {"role": "loser", "other": winner_id,
                                                                "merged_into": winner_id}, actor=actor, at=now)
        return winner

    # ------------------------------------------------------------------ tag management (タグ管理)
    def _tag(self, workspace_id: str, tag_id: str, where: str) -> TagModel:
        tag = self.tags.get(workspace_id, tag_id)
        if tag is None:
            raise NotFound(f"このタグはワークスペースにありません: {tag_id}", where=where)
        return tag

    def friends_with_tag(self, workspace_id: str, tag_id: str) -> list[str]:
        """IDs of the friends carrying ``tag_id`` (read from the rows, like the counts of ``GET /tags``)."""
        return self.subscribers.ids_where(workspace_id, ["tags"], lambda row: tag_id in (row.get("tags") or ()))

    def tag_usage(self, workspace_id: str, tag_id: str) -> dict[str, Any]:
        """How many friends a delete or a merge of this tag would change (the dry run the admin shows first)."""
        tag = self._tag(workspace_id, tag_id, "tag_id")
        return {"tag_id": tag.tag_id, "name": tag.name, "folder_id": tag.folder_id,
                "friends": len(self.friends_with_tag(workspace_id, tag_id))}

    def merge_tag(self, workspace_id: str, tag_id: str, into_tag_id: str, *, dry_run: bool, actor: str
                  ) -> dict[str, Any]:
        """統合: every friend with ``tag_id`` gets ``into_tag_id`` instead, then ``tag_id`` is deleted. It renames
        a label: no tag_added / tag_removed trigger fires and no outgoing webhook is sent (a friend did nothing).
        Each friend is one optimistic read-modify-write, so a retry after a failure finishes the job."""
        if tag_id == into_tag_id:
            raise ValidationFailed("同じタグには統合できません。統合先に別のタグを選んでください", where="into_tag_id")
        source = self._tag(workspace_id, tag_id, "tag_id")
        target = self._tag(workspace_id, into_tag_id, "into_tag_id")
        friends = self.friends_with_tag(workspace_id, tag_id)
        result = {"tag_id": source.tag_id, "name": source.name, "into_tag_id": target.tag_id,
                  "into_name": target.name, "friends_affected": len(friends), "dry_run": dry_run}
        if dry_run:
            return result

        def change(subscriber: SubscriberModel) -> None:
            tags = set(subscriber.tags or set())
            if tag_id in tags:
                tags.discard(tag_id)
                tags.add(into_tag_id)
            subscriber.tags = tags

        now = clock.now()
        for subscriber_id in friends:
            self.subscribers.mutate(workspace_id, subscriber_id, change)
            self.timeline.append(workspace_id, subscriber_id, "tag_merged",
                                 {"tag_id": tag_id, "name": source.name, "into_tag_id": into_tag_id,
                                  "into_name": target.name}, actor=actor, at=now,
                                 entry_id=f"tagmerge#{tag_id}#{into_tag_id}")
        self.tags.delete(workspace_id, tag_id)
        return result


def present(
    subscriber: SubscriberModel | Mapping[str, Any],
    caller: Caller | None,
    definitions: Mapping[str, FieldDefinition],
    tag_names: Mapping[str, str],
    *,
    detail: bool = False,
) -> dict[str, Any]:
    """The API form of a friend (model or scan row). LINE user IDs only for callers with VIEW_LINE_USER_IDS."""
    get = subscriber.get if isinstance(subscriber, Mapping) else (lambda k, d=None: getattr(subscriber, k, d))
    show_line_ids = caller is not None and caller.can(Permission.VIEW_LINE_USER_IDS)
    line = get("line") or {}
    channels = []
    for channel_id, account in sorted(line.items()):
        entry = {"channel_id": channel_id, "status": (account or {}).get("status"),
                 "followed_at": (account or {}).get("followed_at"), "blocked_at": (account or {}).get("blocked_at")}
        if show_line_ids:
            entry["line_user_id"] = (account or {}).get("user_id")
        channels.append(entry)
    tags: Iterable[str] = get("tags") or ()
    out: dict[str, Any] = {
        "subscriber_id": get("subscriber_id"),
        "display_name": get("display_name"),
        "picture_url": get("picture_url"),
        "email": get("email"),
        "phone": get("phone"),
        "follow_status": follow_status(line),
        "line": channels,
        "tags": [{"tag_id": t, "name": tag_names[t]} for t in sorted(tags) if t in tag_names],
        "inflow_route": get("inflow_route"),
        "created_at": _text(get("created_at")),
        "last_interaction_at": _text(get("last_interaction_at")),
        "unsubscribed_all": bool(get("unsubscribed_all")),
        "total_spent": get("total_spent"),
    }
    if detail:
        fields = get("fields") or {}
        ends = get("field_ends") or {}
        out["fields"] = [
            {"key": key, "label": d.label, "type": d.type.value, "scope": d.scope, "scenario_id": d.scenario_id,
             "choices": d.choices, "required": d.required,
             "value": fields.get(key), "end": ends.get(key), "text": to_text(d, fields.get(key), ends.get(key))}
            for key, d in definitions.items()
        ]
        out.update({
            "source": get("source"), "consent": get("consent") or {}, "unsubscribed": get("unsubscribed") or {},
            "merged_into": get("merged_into"), "merged_from": sorted(get("merged_from") or ()),
            "unverified_match": get("unverified_match"),
            "products": sorted(get("products") or ()), "forms_answered": sorted(get("forms_answered") or ()),
            "updated_at": _text(get("updated_at")),
        })
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
