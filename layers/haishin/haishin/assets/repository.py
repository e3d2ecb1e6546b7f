"""Every read and write of assets: the records (WorkspaceTable) and the bytes (the assets bucket)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from haishin.assets.models import AssetModel, asset_sk
from haishin.errors import NotFound
from haishin.storage.objects import BucketObjects
from haishin.workspaces.models import workspace_pk


class AssetRepository:
    def create(self, item: AssetModel) -> AssetModel:
        item.save(condition=AssetModel.pk.does_not_exist())
        return item

    def get(self, workspace_id: str, asset_id: str) -> AssetModel | None:
        try:
            return AssetModel.get(workspace_pk(workspace_id), asset_sk(asset_id))
        except AssetModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, asset_id: str) -> AssetModel:
        item = self.get(workspace_id, asset_id)
        if item is None:
            raise NotFound("ファイルが見つかりません", where=f"asset {asset_id}")
        return item

    def all(self, workspace_id: str) -> Iterator[AssetModel]:
        return AssetModel.query(workspace_pk(workspace_id), AssetModel.sk.startswith("asset#"))

    def delete(self, item: AssetModel) -> None:
        item.delete()


class AssetStore:
    """The bytes of assets in the assets bucket, under ``<workspace_id>/<asset_id>``."""

    def __init__(self, bucket: str | None = None, client: Any = None) -> None:
        self.objects = BucketObjects("ASSETS_BUCKET", "assetsbucket", bucket=bucket, client=client)

    @staticmethod
    def key(workspace_id: str, asset_id: str) -> str:
        return f"{workspace_id}/{asset_id}"

    def put(self, workspace_id: str, asset_id: str, content_type: str, data: bytes) -> None:
        self.objects.put(self.key(workspace_id, asset_id), content_type, data)

    def get(self, workspace_id: str, asset_id: str) -> bytes:
        missing = NotFound("ファイルが見つかりません", where=f"asset {asset_id}")
        return self.objects.get(self.key(workspace_id, asset_id), missing)[1]

    def delete(self, workspace_id: str, asset_id: str) -> None:
        self.objects.delete(self.key(workspace_id, asset_id))


__all__ = ["AssetRepository", "AssetStore"]
