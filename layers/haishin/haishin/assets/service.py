"""Uploading, listing, deleting and serving a workspace's assets.

An upload is checked before anything is stored: the type is sniffed from the bytes (``haishin.assets.sniff``), the
size is capped per kind, and every refusal says why in Japanese. An asset never changes: a new file is a new asset
(a new ID), so its public URL can be cached for a year. Another workspace's asset ID is "not found" everywhere.
An asset still named by a funnel image block or a lesson attachment is not deleted (409, saying where it is used):
the places are asked of the packages that name assets (``AssetUsers``, wired late in ``haishin.wiring``: they are
built from this service, so it never imports them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from haishin import clock
from haishin.assets.inputs import AssetUpload
from haishin.assets.models import AssetModel
from haishin.assets.repository import AssetRepository, AssetStore
from haishin.assets.sniff import sniff
from haishin.errors import Conflict, NotFound, ValidationFailed
from haishin.ids import new_id
from haishin.public_url import public_base
from haishin.storage.base import iso
from haishin.workspaces.models import workspace_pk

IMAGE_CACHE = "public, max-age=31536000, immutable"  # an asset never changes (a new upload is a new ID)
SHOWN_USES = 5  # a refusal names this many places, then counts the rest


class AssetInUse(Conflict):
    """A funnel or a lesson still names the asset (409; the admin says to take it off there first, not to reload)."""

    code = "in_use"


class AssetUsers(Protocol):
    """A package whose definitions name uploaded assets (funnel image blocks, lesson attachments)."""

    def asset_uses(self, workspace_id: str, asset_id: str) -> list[str]:
        """Where this workspace uses the asset, each place said for a person (「ファネル「…」のページ「…」」)."""
        ...


def image_url(workspace_id: str, asset_id: str) -> str:
    """Where a funnel page's browser fetches an uploaded image (the pages function, same origin as the page)."""
    return f"{public_base()}/a/{workspace_id}/{asset_id}"


class AssetService:
    def __init__(self, repository: AssetRepository | None = None, store: AssetStore | None = None,
                 users: Callable[[], Sequence[AssetUsers]] | None = None) -> None:
        self.repo = repository or AssetRepository()
        self.store = store or AssetStore()
        self.users = users  # built on first use: the funnels and member sites are built from this service

    def upload(self, workspace_id: str, body: AssetUpload) -> AssetModel:
        data = body.data()
        found = sniff(body.kind, body.name, data)
        asset_id = new_id("ast_")
        # bytes first: a record never points at a missing object (an orphan object costs only storage)
        self.store.put(workspace_id, asset_id, found.content_type, data)
        item = AssetModel(workspace_pk(workspace_id), f"asset#{asset_id}", workspace_id=workspace_id,
                          asset_id=asset_id, kind=body.kind, name=body.name, content_type=found.content_type,
                          size=len(data), width=found.width, height=found.height, created_at=clock.now())
        return self.repo.create(item)

    def all(self, workspace_id: str, kind: str | None = None) -> list[AssetModel]:
        items = [a for a in self.repo.all(workspace_id) if kind is None or a.kind == kind]
        return sorted(items, key=lambda a: (a.created_at, a.asset_id), reverse=True)  # IDs sort by creation

    def get(self, workspace_id: str, asset_id: str) -> AssetModel:
        return self.repo.require(workspace_id, asset_id)

    def uses(self, workspace_id: str, asset_id: str) -> list[str]:
        """Every place of this workspace that names the asset (funnels, then courses)."""
        return [place for user in (self.users() if self.users else ()) for place in
                user.asset_uses(workspace_id, asset_id)]

    def delete(self, workspace_id: str, asset_id: str) -> None:
        """Delete the bytes and the record; AssetInUse (409) naming the places when something still uses the asset
        (nothing is deleted). A funnel saved with it between the check and the delete shows a missing image: the
        check is a guard for the marketer, not a lock."""
        item = self.repo.require(workspace_id, asset_id)
        uses = self.uses(workspace_id, asset_id)
        if uses:
            shown = "、".join(uses[:SHOWN_USES]) + (f" ほか {len(uses) - SHOWN_USES} 件" if len(uses) > SHOWN_USES
                                                   else "")
            raise AssetInUse(f"「{item.name}」は使われているため削除できません（{shown}）。先にそこから外してください",
                             where=f"asset {asset_id}", details={"uses": uses})
        self.store.delete(workspace_id, asset_id)
        self.repo.delete(item)

    def require(self, workspace_id: str, asset_id: str, kind: str, where: str) -> AssetModel:
        """The workspace's asset of this kind, or ValidationFailed at ``where`` (a funnel block, an attachment)."""
        item = self.repo.get(workspace_id, asset_id)
        if item is None or (kind == "image" and item.kind != "image"):
            what = "画像" if kind == "image" else "ファイル"
            raise ValidationFailed(f"{what}「{asset_id}」が見つかりません（アップロードし直してください）", where=where)
        return item

    def content(self, workspace_id: str, asset_id: str) -> tuple[AssetModel, bytes]:
        item = self.repo.require(workspace_id, asset_id)
        return item, self.store.get(workspace_id, asset_id)

    def public_image(self, workspace_id: str, asset_id: str) -> tuple[AssetModel, bytes]:
        """An image asset for anyone (funnel pages are public); attachments are never served here."""
        item = self.repo.get(workspace_id, asset_id)
        if item is None or item.kind != "image":
            raise NotFound("画像が見つかりません", where=f"asset {asset_id}")
        return item, self.store.get(workspace_id, asset_id)

    @staticmethod
    def view(item: AssetModel) -> dict[str, Any]:
        return {"asset_id": item.asset_id, "kind": item.kind, "name": item.name, "content_type": item.content_type,
                "size": int(item.size), "width": int(item.width) if item.width else None,
                "height": int(item.height) if item.height else None, "created_at": iso(item.created_at),
                "url": image_url(item.workspace_id, item.asset_id) if item.kind == "image" else None}


__all__ = ["IMAGE_CACHE", "AssetInUse", "AssetService", "AssetUsers", "image_url"]
