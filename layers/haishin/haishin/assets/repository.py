"""Every read and write of assets: the records (WorkspaceTable) and the bytes (the assets bucket)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from haishin.assets.models import AssetModel, asset_sk
from haishin.errors import NotFound
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
    """The bytes of assets in S3, under ``<workspace_id>/<asset_id>``."""

    def __init__(self, bucket: str | None = None, client: Any = None) -> None:
        self._bucket = bucket
        self._client = client

    @property
    def bucket(self) -> str:
        return self._bucket or os.environ.get("ASSETS_BUCKET", "assetsbucket")

    def _s3(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415 - only the asset paths need S3

            self._client = boto3.client(
                "s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            )
        return self._client

    @staticmethod
    def key(workspace_id: str, asset_id: str) -> str:
        return f"{workspace_id}/{asset_id}"

    def put(self, workspace_id: str, asset_id: str, content_type: str, data: bytes) -> None:
        self._s3().put_object(Bucket=self.bucket, Key=self.key(workspace_id, asset_id), Body=data,
                              ContentType=content_type)

    def get(self, workspace_id: str, asset_id: str) -> bytes:
        s3 = self._s3()
        try:
            found = s3.get_object(Bucket=self.bucket, Key=self.key(workspace_id, asset_id))
        except s3.exceptions.NoSuchKey as exc:
            raise NotFound("ファイルが見つかりません", where=f"asset {asset_id}") from exc
        return bytes(found["Body"].read())

    def delete(self, workspace_id: str, asset_id: str) -> None:
        self._s3().delete_object(Bucket=self.bucket, Key=self.key(workspace_id, asset_id))


__all__ = ["AssetRepository", "AssetStore"]
