"""Rich menus: drafts, images, publishing to LINE, tabs, deleting, taps and their statistics.

- Draft (create/update): validated against LINE's limits (``models``); a tab area must point at another menu of the
  same workspace and channel. A published menu that is edited is re-published (LINE menus are immutable).
- Image: checked from its bytes (``images``), must have the menu's size, stored in S3 (``ImageStore``).
- Publish: the menu and every unpublished menu its tabs point at (transitively: a tab set) are created on LINE,
  their images uploaded (api-data host), and their aliases (``hs-<ulid>``) created. Re-publishing a menu creates a
  new LINE menu, moves its alias, moves the channel's default when it was the default, tells the listeners (the
  re-linker moves per-user links: ``MenuReplaced``), then deletes the old LINE menu.
- Delete: refused while another menu's tab points at it (Japanese error naming that menu); otherwise default
  cancelled, alias and LINE menu deleted (LINE drops per-user links with the menu), image and record removed.
- Channel disconnect (``forget_channel``): every published menu of the channel is taken down on LINE the same way and
  marked draft, so nothing stays on LINE's side.
- Taps (``count_tap``): one per postback/tab tap, per (menu, area, Japan day): total and unique friend; the URL
  areas' taps are counted by click tracking (anonymous: a rich menu is shared by every friend).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from haishin import clock, ids
from haishin.actions import Action, parse_actions
from haishin.errors import Conflict, ExternalServiceError, NotFound, ValidationFailed
from haishin.line.client import LineApiError
from haishin.richmenus import images
from haishin.richmenus.models import (
    ImageUpload,
    RichMenuInput,
    alias_for,
    dump_areas,
    parse_tap_data,
    tap_data,
)
from haishin.richmenus.repository import ImageStore, RichMenuModel, RichMenuRepository
from haishin.track.service import TrackService, day_jst, richmenu_scope

log = logging.getLogger(__name__)

MAX_STATS_DAYS = 366
MENU_LEVEL = -1  # the tap counter of the whole menu (unique friends across its areas)
NOTE_DRAFT = "LINE の統計は公開中のメニューにだけあります"
NOTE_THRESHOLD = "LINE の統計は人数が少ないため表示されません（LINE のプライバシー基準未満）"
NOTE_UNAVAILABLE = "LINE からリッチメニューの統計を取得できませんでした"
NOTE_NEXT_DAY = "（今日の分は LINE が翌日に集計します）"


class MenuReplaced(Protocol):
    """Told when a menu's LINE rich menu is replaced (re-publish: ``new_line_id``) or removed (``None``), before the
    old one is deleted on LINE. The re-linker (haishin.richmenus.relink, helper RULE) links the friends who had the
    old menu to the new one; LINE drops their links to the old menu when it is deleted."""

    def on_menu_replaced(
        self, workspace_id: str, channel_id: str, old_line_id: str, new_line_id: str | None
    ) -> None: ...


class LineClientsLike(Protocol):
    def for_channel(self, workspace_id: str, channel_id: str) -> Any: ...


class ActionRunnerLike(Protocol):
    def run(
        self, workspace_id: str, subscriber_id: str, actions: Sequence[Action], *, actor: str, idempotency_key: str
    ) -> Any: ...


def _gone(error: LineApiError) -> bool:
    """LINE no longer has it (deleted by hand in the console, or with the channel): nothing left to remove."""
    return error.status in (400, 404)


def menu_to_dict(menu: RichMenuModel) -> dict[str, Any]:
    return {
        "id": menu.menu_id,
        "name": menu.name,
        "channel_id": menu.channel_id,
        "size": {"width": int(menu.width), "height": int(menu.height)},
        "chat_bar_text": menu.chat_bar_text,
        "selected": bool(menu.selected),
        "areas": list(menu.areas or []),
        "image": menu.image,
        "line_rich_menu_id": menu.line_rich_menu_id,
        "alias_id": menu.alias_id,
        "status": menu.status,
        "published_at": menu.published_at.isoformat() if menu.published_at else None,
        "created_at": menu.created_at.isoformat(),
        "updated_at": menu.updated_at.isoformat(),
    }


def tab_targets(areas: Iterable[dict[str, Any]]) -> list[str]:
    return [
        str(a["action"]["menu_id"])
        for a in areas
        if isinstance(a, dict) and (a.get("action") or {}).get("type") == "tab"
    ]


class RichMenuService:
    def __init__(
        self,
        *,
        line_clients: LineClientsLike,
        track: TrackService,
        actions: ActionRunnerLike,
        repository: RichMenuRepository | None = None,
        images: ImageStore | None = None,
        listeners: Sequence[MenuReplaced] = (),
        liff_url: Callable[[str, str, str], str],
    ) -> None:
        self.line_clients = line_clients
        self.track = track
        self.actions = actions
        self.repository = repository or RichMenuRepository()
        self.images = images or ImageStore()
        self.listeners = list(listeners)
        self.liff_url = liff_url

    # ------------------------------------------------------------------ reading
    def menus(self, workspace_id: str, channel_id: str | None = None) -> list[RichMenuModel]:
        return sorted(self.repository.all(workspace_id, channel_id), key=lambda m: m.created_at)

    def require(self, workspace_id: str, menu_id: str) -> RichMenuModel:
        return self.repository.require(workspace_id, menu_id)

    def menu_channel(self, workspace_id: str, menu_id: str) -> str | None:
        """The channel a menu belongs to; None for an unknown menu (another workspace's included)."""
        menu = self.repository.get(workspace_id, menu_id)
        return str(menu.channel_id) if menu is not None else None

    def line_menu_id(self, workspace_id: str, menu_id: str) -> str | None:
        """The LINE rich menu ID of a published menu; None while it is a draft (or unknown)."""
        menu = self.repository.get(workspace_id, menu_id)
        return str(menu.line_rich_menu_id) if menu is not None and menu.line_rich_menu_id else None

    def image(self, workspace_id: str, menu_id: str) -> tuple[str, bytes]:
        menu = self.require(workspace_id, menu_id)
        if not menu.image:
            raise NotFound("このリッチメニューには画像がまだありません", where="image")
        return self.images.get(workspace_id, menu_id)

    # ------------------------------------------------------------------ drafts
    def _check_tabs(self, workspace_id: str, menu_id: str | None, request: RichMenuInput) -> None:
        for index, area in enumerate(request.areas):
            if area.action.type != "tab":
                continue
            target_id = area.action.menu_id
            where = f"areas.{index}.action.menu_id"
            if target_id == menu_id:
                raise ValidationFailed("タブの切り替え先に自分自身は指定できません", where=where)
            target = self.repository.get(workspace_id, target_id)
            if target is None:  # another workspace's menu is not found either
                raise NotFound(f"切り替え先のリッチメニューがワークスペースにありません: {target_id}", where=where)
            if target.channel_id != request.channel_id:
                raise ValidationFailed(f"切り替え先「{target.name}」は別のチャネルのリッチメニューです", where=where)

    def create(self, workspace_id: str, request: RichMenuInput) -> RichMenuModel:
        self._check_tabs(workspace_id, None, request)
        now = clock.now()
        menu = self.repository.new(
            workspace_id,
            ids.new_id("rmn_"),
            now,
            name=request.name,
            channel_id=request.channel_id,
            width=request.size.width,
            height=request.size.height,
            chat_bar_text=request.chat_bar_text,
            selected=request.selected,
            areas=dump_areas(request.areas),
            image=None,
            status="draft",
        )
        return self.repository.create(menu)

    def update(self, workspace_id: str, menu_id: str, request: RichMenuInput) -> RichMenuModel:
        menu = self.require(workspace_id, menu_id)
        if request.channel_id != menu.channel_id and menu.line_rich_menu_id:
            raise ValidationFailed(
                "公開中のリッチメニューのチャネルは変えられません。削除して作り直してください", where="channel_id"
            )
        self._check_tabs(workspace_id, menu_id, request)
        image = menu.image
        if image and (int(image["width"]), int(image["height"])) != (request.size.width, request.size.height):
            if menu.line_rich_menu_id:
                raise ValidationFailed(
                    f"公開中のメニューのサイズを変えるには、先に {request.size.width}×{request.size.height} の画像を"
                    "アップロードしてください",
                    where="size",
                )
            image = None  # the old image no longer fits: the marketer uploads one of the new size
        menu.name, menu.channel_id, menu.chat_bar_text = request.name, request.channel_id, request.chat_bar_text
        menu.width, menu.height, menu.selected = request.size.width, request.size.height, request.selected
        menu.areas, menu.image, menu.updated_at = dump_areas(request.areas), image, clock.now()
        self.repository.save(menu)
        if menu.line_rich_menu_id:  # LINE menus are immutable: a new one replaces it
            return self.publish(workspace_id, menu_id)
        return menu

    def upload_image(self, workspace_id: str, menu_id: str, upload: ImageUpload) -> dict[str, Any]:
        menu = self.require(workspace_id, menu_id)
        try:
            data = base64.b64decode(upload.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("画像のデータ（base64）が壊れています", where="data") from None
        meta = images.inspect(data, upload.content_type)
        if (meta.width, meta.height) != (int(menu.width), int(menu.height)):
            raise ValidationFailed(
                f"この画像はリッチメニューに使えません: 画像のサイズ（{meta.width}×{meta.height}）がメニューの"
                f"サイズ（{int(menu.width)}×{int(menu.height)}）と違います",
                where="image",
            )
        self.images.put(workspace_id, menu_id, meta.content_type, data)
        menu.image, menu.updated_at = meta.to_dict(), clock.now()
        self.repository.save(menu)
        if menu.line_rich_menu_id:  # a LINE menu's image cannot be replaced: a new menu takes it
            self.publish(workspace_id, menu_id)
        return meta.to_dict()

    # ------------------------------------------------------------------ LINE
    def line_body(self, menu: RichMenuModel) -> dict[str, Any]:
        """The menu as LINE's rich menu object."""
        areas = []
        for index, area in enumerate(menu.areas or []):
            action = dict(area["action"])
            kind = action.get("type")
            line_action: dict[str, Any]
            if kind == "uri":
                uri = str(action["uri"])
                if action.get("track", True) and uri.lower().startswith(("http://", "https://")):
                    uri = self.track.shared_url(menu.workspace_id, uri, "r", menu.menu_id, str(index))
                line_action = {"type": "uri", "uri": uri}
            elif kind == "message":
                line_action = {"type": "message", "text": str(action["text"])}
            elif kind == "postback":
                line_action = {"type": "postback", "data": tap_data(menu.menu_id, index)}
                if action.get("display_text"):
                    line_action["displayText"] = str(action["display_text"])
            elif kind == "tab":
                line_action = {
                    "type": "richmenuswitch",
                    "richMenuAliasId": alias_for(str(action["menu_id"])),
                    "data": tap_data(menu.menu_id, index, tab=True),
                }
            elif kind == "liff":
                line_action = {
                    "type": "uri",
                    "uri": self.liff_url(menu.workspace_id, menu.channel_id, str(action["path"])),
                }
            else:  # pragma: no cover - the model allows no other type
                raise ValidationFailed(
                    f"エリア {index + 1} のアクションの種類 {kind} は使えません", where=f"areas.{index}.action"
                )
            if area.get("label"):
                line_action["label"] = str(area["label"])[:20]
            areas.append({"bounds": dict(area["bounds"]), "action": line_action})
        return {
            "size": {"width": int(menu.width), "height": int(menu.height)},
            "selected": bool(menu.selected),
            "name": menu.name[:300],
            "chatBarText": menu.chat_bar_text,
            "areas": areas,
        }

    def _tab_set(self, workspace_id: str, menu: RichMenuModel) -> list[RichMenuModel]:
        """The menu, then every unpublished menu its tabs reach (they need their aliases on LINE)."""
        found: dict[str, RichMenuModel] = {menu.menu_id: menu}
        pending = tab_targets(menu.areas or [])
        while pending:
            target_id = pending.pop()
            if target_id in found:
                continue
            target = self.repository.require(workspace_id, target_id, where="areas")
            found[target_id] = target
            if not target.line_rich_menu_id:
                pending.extend(tab_targets(target.areas or []))
        return [m for m in found.values() if m is menu or not m.line_rich_menu_id]

    def publish(self, workspace_id: str, menu_id: str) -> RichMenuModel:
        menu = self.require(workspace_id, menu_id)
        batch = self._tab_set(workspace_id, menu)
        for item in batch:
            if not item.image:
                name = "このメニュー" if item is menu else f"タブの切り替え先「{item.name}」"
                raise ValidationFailed(
                    f"{name}に画像がありません。画像をアップロードしてから公開してください", where="image"
                )
            if item.channel_id != menu.channel_id:
                raise ValidationFailed(
                    f"タブの切り替え先「{item.name}」は別のチャネルのリッチメニューです", where="areas"
                )
        client = self.line_clients.for_channel(workspace_id, menu.channel_id)
        for item in batch:
            self._put_on_line(client, item)
        return menu

    def _put_on_line(self, client: Any, menu: RichMenuModel) -> None:
        content_type, data = self.images.get(menu.workspace_id, menu.menu_id)
        old = menu.line_rich_menu_id
        new = client.create_rich_menu(self.line_body(menu))
        try:
            client.upload_rich_menu_image(new, content_type, data)
        except Exception:
            self._quietly(client.delete_rich_menu, new)  # a menu without an image cannot be shown: not left behind
            raise
        alias = alias_for(menu.menu_id)
        try:
            if old:
                client.update_rich_menu_alias(alias, new)
            else:
                self._create_alias(client, alias, new)
        except Exception:
            self._quietly(client.delete_rich_menu, new)
            raise
        menu.line_rich_menu_id, menu.alias_id, menu.status = new, alias, "published"
        menu.published_at = menu.updated_at = clock.now()
        self.repository.save(menu)
        if not old:
            return
        default = self.repository.default(menu.workspace_id, menu.channel_id)
        if default is not None and default.menu_id == menu.menu_id:
            client.set_default_rich_menu(new)
            self.repository.set_default(menu.workspace_id, menu.channel_id, menu.menu_id, new, clock.now())
        for listener in self.listeners:
            listener.on_menu_replaced(menu.workspace_id, menu.channel_id, old, new)
        self._quietly(client.delete_rich_menu, old)

    @staticmethod
    def _create_alias(client: Any, alias: str, line_id: str) -> None:
        try:
            client.create_rich_menu_alias(alias, line_id)
        except LineApiError as error:
            if error.status not in (400, 409):  # the alias is left from an earlier attempt: point it here
                raise
            client.update_rich_menu_alias(alias, line_id)

    @staticmethod
    def _quietly(call: Callable[[str], Any], line_id: str) -> None:
        try:
            call(line_id)
        except LineApiError as error:
            if not _gone(error):
                log.warning("LINE refused to remove %s (HTTP %s): %s", line_id, error.status, error.message)

    def _take_down(self, client: Any, menu: RichMenuModel) -> None:
        """Removes the menu from LINE: default cancelled, alias and menu deleted (their links with it)."""
        old = menu.line_rich_menu_id
        if not old:
            return
        default = self.repository.default(menu.workspace_id, menu.channel_id)
        if default is not None and default.menu_id == menu.menu_id:
            try:
                client.cancel_default_rich_menu()
            except LineApiError as error:
                if not _gone(error):
                    raise
            self.repository.clear_default(menu.workspace_id, menu.channel_id)
        for listener in self.listeners:
            listener.on_menu_replaced(menu.workspace_id, menu.channel_id, old, None)
        for call, value in (
            (client.delete_rich_menu_alias, menu.alias_id or alias_for(menu.menu_id)),
            (client.delete_rich_menu, old),
        ):
            try:
                call(value)
            except LineApiError as error:
                if not _gone(error):
                    raise
        menu.line_rich_menu_id, menu.alias_id, menu.status = None, None, "draft"
        menu.updated_at = clock.now()
        self.repository.save(menu)

    def set_default(self, workspace_id: str, channel_id: str, menu_id: str | None) -> None:
        """The channel's default menu on LINE (``None``: none). The menu must be published on that channel."""
        client = self.line_clients.for_channel(workspace_id, channel_id)
        if menu_id is None:
            if self.repository.default(workspace_id, channel_id) is not None:
                client.cancel_default_rich_menu()
                self.repository.clear_default(workspace_id, channel_id)
            return
        menu = self.require(workspace_id, menu_id)
        if menu.channel_id != channel_id:
            raise ValidationFailed("このリッチメニューは別のチャネルのものです", where="default_menu_id")
        if not menu.line_rich_menu_id:
            self.publish(workspace_id, menu_id)
            menu = self.require(workspace_id, menu_id)
        assert menu.line_rich_menu_id
        client.set_default_rich_menu(menu.line_rich_menu_id)
        self.repository.set_default(workspace_id, channel_id, menu_id, menu.line_rich_menu_id, clock.now())

    def default_menu_id(self, workspace_id: str, channel_id: str) -> str | None:
        found = self.repository.default(workspace_id, channel_id)
        return found.menu_id if found is not None else None

    # ------------------------------------------------------------------ delete
    def delete(self, workspace_id: str, menu_id: str) -> None:
        menu = self.require(workspace_id, menu_id)
        for other in self.repository.all(workspace_id):
            if other.menu_id != menu_id and menu_id in tab_targets(other.areas or []):
                raise Conflict(
                    f"リッチメニュー「{other.name}」のタブがこのメニューを指しているため削除できません。"
                    "先にそのタブの切り替え先を変えてください",
                    where="menu_id",
                    details={"referenced_by": other.menu_id},
                )
        if menu.line_rich_menu_id:
            self._take_down(self.line_clients.for_channel(workspace_id, menu.channel_id), menu)
        if menu.image:
            self.images.delete(workspace_id, menu_id)
        self.repository.delete(menu)

    def forget_channel(self, workspace_id: str, channel_id: str, client: Any) -> int:
        """A channel being disconnected: every published menu of it is removed from LINE (with ``client``, built
        from the token before it is deleted) and marked draft. Returns how many were taken down. A menu LINE no
        longer has counts as removed; a retryable failure is raised (the disconnect is retried)."""
        count = 0
        for menu in self.repository.all(workspace_id, channel_id):
            if menu.line_rich_menu_id:
                self._take_down(client, menu)
                count += 1
        if self.repository.default(workspace_id, channel_id) is not None:
            self.repository.clear_default(workspace_id, channel_id)
        return count

    # ------------------------------------------------------------------ taps
    def count_tap(self, workspace_id: str, data: str, subscriber_id: str, at: datetime) -> bool:
        """Counts a postback or tab tap named by ``data`` on its area and on the menu (total and unique friend per
        Japan day). False when ``data`` is not a rich menu tap of ours."""
        parsed = parse_tap_data(data)
        if parsed is None:
            return False
        _kind, menu_id, index = parsed
        day = day_jst(at)
        expires = int(at.timestamp()) + 3 * 86_400
        self.repository.count_tap(workspace_id, menu_id, day, index, subscriber_id, expires)
        self.repository.count_tap(workspace_id, menu_id, day, MENU_LEVEL, subscriber_id, expires)
        return True

    def tap_actions(self, workspace_id: str, data: str) -> list[Action]:
        """The actions a postback area runs (its stored actions: editing the menu changes them at once); [] for a
        tab area, a deleted menu or area, or data that is not ours."""
        parsed = parse_tap_data(data)
        if parsed is None or parsed[0] != "rm":
            return []
        menu = self.repository.get(workspace_id, parsed[1])
        areas = list(menu.areas or []) if menu is not None else []
        if parsed[2] >= len(areas):
            log.info("a tap on area %s of rich menu %s, which no longer has it", parsed[2], parsed[1])
            return []
        action = areas[parsed[2]].get("action") or {}
        if action.get("type") != "postback":
            return []
        return parse_actions(action.get("actions") or [])

    # ------------------------------------------------------------------ statistics
    def stats(
        self, workspace_id: str, menu_id: str, since: date | None = None, until: date | None = None
    ) -> dict[str, Any]:
        menu = self.require(workspace_id, menu_id)
        until = until or datetime.strptime(day_jst(clock.now()), "%Y%m%d").date()
        since = since or until - timedelta(days=29)
        if since > until:
            raise ValidationFailed("since は until より前の日付にしてください", where="since")
        if (until - since).days >= MAX_STATS_DAYS:
            raise ValidationFailed(f"期間は {MAX_STATS_DAYS} 日以内にしてください", where="since")
        first, last = since.strftime("%Y%m%d"), until.strftime("%Y%m%d")
        areas = list(menu.areas or [])
        taps = {i: 0 for i in range(len(areas))}
        unique = {i: 0 for i in range(len(areas))}
        total = total_unique = 0
        for _day, index, count, friends in self.repository.taps(workspace_id, menu_id, first, last):
            if index == MENU_LEVEL:
                total += count
                total_unique += friends
            elif index in taps:
                taps[index] += count
                unique[index] += friends
        for sub, (clicks, _unique) in self.track.counts(workspace_id, richmenu_scope(menu_id)).items():
            parts = sub.split("#")  # area#<index>#<yyyymmdd>
            if len(parts) == 3 and parts[1].isdigit() and first <= parts[2] <= last and int(parts[1]) in taps:
                taps[int(parts[1])] += clicks
                total += clicks
        rows = []
        for index, area in enumerate(areas):
            action = area.get("action") or {}
            kind = action.get("type")
            # postback and tab taps come to us with the friend; a tracked URL's taps come without (one URL for
            # every friend); a message area's tap is the friend's own message, and an untracked URL or LIFF page
            # is opened by LINE alone: not counted here (LINE's insight counts every area)
            counted = kind in ("postback", "tab") or (kind == "uri" and action.get("track", True))
            rows.append(
                {
                    "index": index,
                    "label": area.get("label") or f"エリア {index + 1}",
                    "action": kind,
                    "taps": taps[index],
                    "unique": unique[index],
                    "taps_measured": counted,
                    "unique_measured": kind in ("postback", "tab"),
                }
            )
        insight, note = self._line_insight(menu, first, last)
        return {
            "menu_id": menu_id,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "areas": rows,
            "total": total,
            "unique": total_unique,
            "line_insight": insight,
            "line_insight_note": note,
        }

    def _line_insight(self, menu: RichMenuModel, first: str, last: str) -> tuple[dict[str, Any] | None, str | None]:
        """LINE's own figures (impressions, clicks per area) of the LINE menu published now; a re-publish starts a
        new LINE menu, so they cover the time since the last publish. None with the reason when there are none."""
        if not menu.line_rich_menu_id:
            return None, NOTE_DRAFT
        try:
            raw = self.line_clients.for_channel(menu.workspace_id, menu.channel_id).rich_menu_insight(
                menu.line_rich_menu_id, first, last
            )
        except (LineApiError, ExternalServiceError, NotFound) as error:
            log.info("rich menu insight of %s not available: %s", menu.line_rich_menu_id, error)
            return None, f"{NOTE_UNAVAILABLE}（{getattr(error, 'where', None) or type(error).__name__}）"
        if not raw.get("clicks") and not raw.get("impression"):
            # LINE answers only the menu ID both below its threshold and for days it has not aggregated yet
            return None, NOTE_THRESHOLD + (NOTE_NEXT_DAY if last >= day_jst(clock.now()) else "")
        by_bounds = {
            (int(a["bounds"]["x"]), int(a["bounds"]["y"]), int(a["bounds"]["width"]), int(a["bounds"]["height"])): index
            for index, a in enumerate(menu.areas or [])
        }
        areas = []
        for click in raw.get("clicks") or []:
            b, metrics = click.get("bounds") or {}, click.get("metrics") or {}
            key = (int(b.get("x", -1)), int(b.get("y", -1)), int(b.get("width", -1)), int(b.get("height", -1)))
            areas.append(
                {
                    "index": by_bounds.get(key),
                    "bounds": b,
                    "clicks": metrics.get("count"),
                    "unique_users": metrics.get("uniqueUsers"),
                }
            )
        impression = ((raw.get("impression") or {}).get("metrics")) or {}
        return {
            "line_rich_menu_id": menu.line_rich_menu_id,
            "from": raw.get("metricsFrom"),
            "to": raw.get("metricsTo"),
            "impressions": impression.get("count"),
            "impression_users": impression.get("uniqueUsers"),
            "areas": areas,
        }, None


__all__ = ["MenuReplaced", "RichMenuService", "menu_to_dict", "tab_targets"]
