"""The one check every reference goes through: an object a write names by ID belongs to the caller's workspace.

Objects under pk ``ws#<workspace_id>`` cannot be read through another workspace's key, so a route that loads its
own path object is safe by construction. The risk is a write that *stores* or *acts on* an ID it was given (a
broadcast naming a segment, a scenario step starting another scenario, an operator limited to a channel, a test
send to a friend): without a check, another workspace's ID is saved and later used with that workspace's data.

``references`` reads a JSON body (any nesting) and returns each ID it names, by field name (``REFERENCE_FIELDS``:
the single list of what a reference is called in our API) and, for tags, which bodies may name by name or by ID,
by the shape of a tag ID. ``require_owned`` checks them all: a reference that is not an object of this
workspace (another workspace's, or none at all) is ``NotFound`` (404) naming the field, before anything is stored.
The admin API applies it to every write body at its front door, so a new route cannot forget it; services call
``owned`` for references they receive another way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from haishin.assets.models import AssetModel, asset_sk
from haishin.autoreplies.rules import AutoReplyStore
from haishin.broadcasts.repository import BroadcastRepository
from haishin.errors import NotFound
from haishin.forms.models import FormModel, form_sk
from haishin.links.models import LinkModel, link_sk
from haishin.members.models import CourseModel, course_sk
from haishin.payments.models import ProductModel
from haishin.payments.service import product_sk
from haishin.scenarios.repository import ScenarioRepository
from haishin.segments.lists import ListRepository
from haishin.segments.saved import SavedSegmentRepository
from haishin.subscribers.repository import SubscriberRepository
from haishin.tags.repository import TagRepository
from haishin.webhooks.models import WebhookEndpointModel, endpoint_sk
from haishin.workspaces.models import ChannelModel, channel_pk, workspace_pk


class Kind(StrEnum):
    CHANNEL = "channel"
    SUBSCRIBER = "subscriber"
    TAG = "tag"
    TAG_FOLDER = "tag_folder"
    SCENARIO = "scenario"
    FORM = "form"
    PRODUCT = "product"
    SEGMENT = "segment"
    LIST = "list"
    LINK = "link"
    BROADCAST = "broadcast"
    AUTO_REPLY = "auto_reply"
    WEBHOOK_ENDPOINT = "webhook_endpoint"
    COURSE = "course"
    ASSET = "asset"


# Field name -> what it refers to. A list under one of these names refers to each of its items.
REFERENCE_FIELDS: dict[str, Kind] = {
    "channel_id": Kind.CHANNEL,
    "line_channel_id": Kind.CHANNEL,
    "channel_ids": Kind.CHANNEL,
    "subscriber_id": Kind.SUBSCRIBER,
    "subscriber_ids": Kind.SUBSCRIBER,
    "other_subscriber_id": Kind.SUBSCRIBER,
    "loser_id": Kind.SUBSCRIBER,
    "winner_id": Kind.SUBSCRIBER,
    "tag_id": Kind.TAG,
    "tag_ids": Kind.TAG,
    "into_tag_id": Kind.TAG,  # POST /tags/{id}/merge
    "folder_id": Kind.TAG_FOLDER,
    "scenario_id": Kind.SCENARIO,
    "scenario_ids": Kind.SCENARIO,
    "dunning_scenario_id": Kind.SCENARIO,
    "reminder_scenario_id": Kind.SCENARIO,  # a seminar's reminder scenario
    "form_id": Kind.FORM,
    "product_id": Kind.PRODUCT,
    "segment_id": Kind.SEGMENT,
    "list_id": Kind.LIST,
    "list_ids": Kind.LIST,
    "link_id": Kind.LINK,
    "broadcast_id": Kind.BROADCAST,
    "auto_reply_id": Kind.AUTO_REPLY,
    "endpoint_id": Kind.WEBHOOK_ENDPOINT,  # the call_webhook action's outgoing-webhook endpoint
    "products": Kind.PRODUCT,  # a segment's "purchased" condition
    "course_id": Kind.COURSE,  # a member-site course (a completion trigger's filter)
    "course_ids": Kind.COURSE,  # the courses a product grants
    "asset_id": Kind.ASSET,  # an uploaded image (funnel image block) or attachment (lesson)
}
# ``*_id`` fields of request bodies that are not references to our objects, and why (a unit test fails on an
# ``*_id`` field that is in neither list).
NOT_REFERENCES: dict[str, str] = {
    "line_user_id": "LINE's ID of a friend (LINE refuses users who are not the channel's friends)",
    "line_user_ids": "LINE's IDs of friends, as above",
    "login_channel_id": "the LINE Login channel of the channel being connected (LINE checks it)",
    "event_id": "POST /conversions: the caller's own ID of the conversion (an order number), only a run-once key",
    "menu_id": "a rich menu: PUT /rich-menu-rules checks each against the workspace and channel (RichMenuRules.save)",
    "default_menu_id": "a rich menu, as menu_id",
    "route_id": "an inflow route: PUT /rich-menu-rules checks it against the workspace (RichMenuRules.save)",
    "coupon_id": "a coupon: read under the caller's workspace key only (CouponService; a segment condition naming "
                 "another workspace's coupon matches no one)",
    "session_id": "a seminar session: looked up inside the path's seminar of the caller's workspace (SeminarService)",
    "page_id": "a funnel page's URL slug, unique inside the funnel the body defines (FunnelIn)",
    "seminar_id": "a form's seminar session field: FormService checks it against the caller's workspace on save "
                  "(SeminarService.form_check; another workspace's is not found)",
}
# Tags may be named by name ("VIP") or by ID anywhere a body lists tags; a value shaped like a tag ID is an ID.
TAG_ID = re.compile(r"^tag_[0-9A-HJKMNP-TV-Z]{26}$")
RULE_PATH = re.compile(r"^rules\.(\d+)\.")


@dataclass(frozen=True)
class Reference:
    kind: Kind
    object_id: str
    where: str


def references(body: Any, *, where: str = "") -> Iterator[Reference]:
    """Every ID a JSON body names, with the dotted path it was found at."""
    if isinstance(body, dict):
        for key, value in body.items():
            path = f"{where}.{key}" if where else str(key)
            kind = REFERENCE_FIELDS.get(str(key))
            if kind is not None and isinstance(value, str) and value:
                yield Reference(kind, value, path)
            elif kind is not None and isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, str) and item:
                        yield Reference(kind, item, f"{path}.{index}")
                    else:
                        yield from references(item, where=f"{path}.{index}")
            else:
                yield from references(value, where=path)
    elif isinstance(body, list):
        for index, item in enumerate(body):
            yield from references(item, where=f"{where}.{index}" if where else str(index))
    elif isinstance(body, str) and TAG_ID.match(body):
        yield Reference(Kind.TAG, body, where)


def _channel(workspace_id: str, channel_id: str) -> bool:
    if not channel_id.isdigit():
        return False
    try:
        return ChannelModel.get(channel_pk(channel_id), "channel", consistent_read=True).workspace_id == workspace_id
    except ChannelModel.DoesNotExist:
        return False


def _subscriber(workspace_id: str, subscriber_id: str) -> bool:
    return SubscriberRepository().get(workspace_id, subscriber_id) is not None


def _tag(workspace_id: str, tag_id: str) -> bool:
    return TagRepository().get(workspace_id, tag_id) is not None


def _found(load: Callable[[], Any]) -> bool:
    try:
        load()
    except NotFound:
        return False
    return True


def _tag_folder(workspace_id: str, folder_id: str) -> bool:
    return _found(lambda: TagRepository().require_folder(workspace_id, folder_id))


def _scenario(workspace_id: str, scenario_id: str) -> bool:
    return ScenarioRepository().get_head(workspace_id, scenario_id) is not None


def _item(model: Any, pk: str, sk: str) -> bool:
    """A workspace-keyed item exists (read consistently: a reference to what was just created is found)."""
    try:
        model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return False
    return True


def _form(workspace_id: str, form_id: str) -> bool:
    return _item(FormModel, workspace_pk(workspace_id), form_sk(form_id))


def _product(workspace_id: str, product_id: str) -> bool:
    return _item(ProductModel, workspace_pk(workspace_id), product_sk(product_id))


def _segment(workspace_id: str, segment_id: str) -> bool:
    return _found(lambda: SavedSegmentRepository().get(workspace_id, segment_id))


def _list(workspace_id: str, list_id: str) -> bool:
    return _found(lambda: ListRepository().header(workspace_id, list_id))


def _link(workspace_id: str, link_id: str) -> bool:
    return _item(LinkModel, workspace_pk(workspace_id), link_sk(link_id))


def _broadcast(workspace_id: str, broadcast_id: str) -> bool:
    return _found(lambda: BroadcastRepository().require(workspace_id, broadcast_id))


def _auto_reply(workspace_id: str, auto_reply_id: str) -> bool:
    return _found(lambda: AutoReplyStore().get(workspace_id, auto_reply_id))


def _webhook_endpoint(workspace_id: str, endpoint_id: str) -> bool:
    return _item(WebhookEndpointModel, workspace_pk(workspace_id), endpoint_sk(endpoint_id))


def _course(workspace_id: str, course_id: str) -> bool:
    return _item(CourseModel, workspace_pk(workspace_id), course_sk(course_id))


def _asset(workspace_id: str, asset_id: str) -> bool:
    return _item(AssetModel, workspace_pk(workspace_id), asset_sk(asset_id))


_EXISTS: dict[Kind, Callable[[str, str], bool]] = {
    Kind.CHANNEL: _channel,
    Kind.SUBSCRIBER: _subscriber,
    Kind.TAG: _tag,
    Kind.TAG_FOLDER: _tag_folder,
    Kind.SCENARIO: _scenario,
    Kind.FORM: _form,
    Kind.PRODUCT: _product,
    Kind.SEGMENT: _segment,
    Kind.LIST: _list,
    Kind.LINK: _link,
    Kind.BROADCAST: _broadcast,
    Kind.AUTO_REPLY: _auto_reply,
    Kind.WEBHOOK_ENDPOINT: _webhook_endpoint,
    Kind.COURSE: _course,
    Kind.ASSET: _asset,
}
_LABELS = {
    Kind.CHANNEL: "チャネル", Kind.SUBSCRIBER: "友だち", Kind.TAG: "タグ", Kind.TAG_FOLDER: "タグフォルダ",
    Kind.SCENARIO: "シナリオ", Kind.FORM: "フォーム", Kind.PRODUCT: "商品", Kind.SEGMENT: "セグメント",
    Kind.LIST: "リスト", Kind.LINK: "リンク", Kind.BROADCAST: "一斉配信", Kind.AUTO_REPLY: "自動応答",
    Kind.WEBHOOK_ENDPOINT: "Webhook エンドポイント", Kind.COURSE: "コース",
    Kind.ASSET: "ファイル",
}  # fmt: skip


def owned(workspace_id: str, kind: Kind, object_id: str, *, where: str | None = None) -> None:
    """Raises NotFound unless ``object_id`` is a ``kind`` of this workspace (another workspace's is not found)."""
    if not _EXISTS[kind](workspace_id, object_id):
        rule = RULE_PATH.match(where or "")  # an ordered list of rules (rich menu rules): say which, as numbered
        prefix = f"ルール {int(rule.group(1)) + 1}: " if rule else ""
        raise NotFound(f"{prefix}この{_LABELS[kind]}はワークスペースにありません: {object_id}",
                       where=where or kind.value)


def owned_channel(workspace_id: str, channel_id: str, *, where: str = "channel_id") -> None:
    owned(workspace_id, Kind.CHANNEL, channel_id, where=where)


def require_owned(workspace_id: str, body: Any, *, exempt: frozenset[str] = frozenset()) -> None:
    """Every reference in ``body`` must be an object of ``workspace_id``. ``exempt`` names top-level fields that
    are not references in this body (e.g. the ``channel_id`` of the channel being connected)."""
    checked: set[tuple[Kind, str]] = set()
    for ref in references(body):
        if ref.where.split(".", 1)[0] in exempt or (ref.kind, ref.object_id) in checked:
            continue
        owned(workspace_id, ref.kind, ref.object_id, where=ref.where)
        checked.add((ref.kind, ref.object_id))
